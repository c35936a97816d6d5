import { test, expect, type Browser, type Page } from '@playwright/test';
import { ADMIN_PASSWORD } from '../playwright.config';
import { hydrated, openKiosk, rateOnPhone, seriousViolations, smsSent, staffApi } from './helpers';

// A tablet held in landscape at the window or in the supervisor's office.
const TABLET = { viewport: { width: 1024, height: 768 }, hasTouch: true };
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

async function signIn(browser: Browser, username: string): Promise<Page> {
  const ctx = await browser.newContext(TABLET);
  const page = await ctx.newPage();
  await page.goto('/staff/login');
  await hydrated(page);
  await page.getByTestId('username').fill(username);
  await page.getByTestId('password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login').click();
  await page.waitForURL(/\/staff$/);
  return page;
}

/** The tablet's ticket list, hydrated and connected to the push stream. */
async function openLoop(page: Page) {
  await page.goto('/staff/loop');
  await hydrated(page);
  await expect(page.getByTestId('loop-live')).toHaveAttribute('data-live', 'true');
}

/** A citizen's very dissatisfied rating on the kiosk, leaving a phone number. */
async function rateBadOnKiosk(page: Page, comment: string, phone: string) {
  await page.getByTestId('level-very_dissatisfied').click();
  await page.getByTestId('reason-long_wait').click();
  await page.getByTestId('comment').fill(comment);
  await page.getByTestId('next').click();
  await page.getByTestId('phone').fill(phone);
  await page.getByTestId('confirm').click();
  await expect(page.getByTestId('thanks')).toBeVisible();
  await page.getByTestId('done').click();
  await expect(page.getByTestId('pending-count')).toHaveAttribute('data-count', '0');
}

async function takeStep(page: Page, button: string, note?: string) {
  if (note !== undefined) await page.getByTestId('note').first().fill(note);
  await page.getByTestId(button).click();
}

test('a kiosk bad rating goes round the whole loop on tablets and ends closed in the ledger', async ({ browser }) => {
  const admin = await signIn(browser, 'admin');
  await openLoop(admin);
  // Marks this page load: still there later means the list updated without a reload.
  await admin.evaluate(() => { (window as unknown as { __sameLoad: boolean }).__sameLoad = true; });

  const kiosk = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await openKiosk(kiosk, 'KIOSK-DC-01');
  const comment = `取号后等了两个小时 ${Date.now()}`;
  const phone = '13700001234';
  await rateBadOnKiosk(kiosk, comment, phone);

  // 1. Pushed to the admin's tablet: visible and audible, no reload.
  const card = admin.getByTestId('ticket').filter({ hasText: comment });
  await expect(card).toBeVisible({ timeout: 10_000 });
  await expect(admin.getByTestId('new-ticket-alert')).toBeVisible();
  await expect
    .poll(() => admin.evaluate(() => (window as unknown as { __hcpBeeps?: number }).__hcpBeeps ?? 0))
    .toBeGreaterThan(0);
  expect(await admin.evaluate(() => (window as unknown as { __sameLoad?: boolean }).__sameLoad)).toBe(true);
  await expect(card).toContainText('待沟通');
  expect(await seriousViolations(admin)).toEqual([]);
  const id = Number(await card.getAttribute('data-ticket-id'));

  // 2. 沟通: the phone only masked, the whole number through a logged reveal.
  await card.click();
  await admin.waitForURL(`**/staff/loop/${id}`);
  await hydrated(admin);
  await expect(admin.getByText('137****1234')).toBeVisible();
  expect(await seriousViolations(admin)).toEqual([]);
  await admin.getByTestId('reveal-phone').click();
  await expect(admin.getByTestId('phone-full')).toContainText(phone);
  await takeStep(admin, 'step-contact', '已电话联系，评价人反映高峰期排队过久');
  await expect(admin.getByTestId('ticket-status')).toHaveText('待核实');

  // 3. 核实: valid.
  await admin.getByTestId('verdict').selectOption('valid');
  await takeStep(admin, 'step-verify', '情况属实');
  await expect(admin.getByTestId('ticket-status')).toHaveText('整改中');

  // 4-5. 整改 and 存档 with an evidence file; a wrong file is refused with a reason.
  await admin.getByTestId('evidence-file').setInputFiles({ name: '说明.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await expect(admin.getByRole('alert').filter({ hasText: 'PDF' })).toBeVisible();
  await admin.getByTestId('evidence-file').setInputFiles({ name: '整改照片.png', mimeType: 'image/png', buffer: PNG });
  await expect(admin.getByTestId('evidence')).toContainText('整改照片.png');
  await admin.getByTestId('outcome').selectOption('fixed');
  await admin.getByTestId('description').fill('高峰期增开两个综合窗口，增设叫号提醒');
  await admin.getByTestId('step-archive').click();
  await expect(admin.getByTestId('ticket-status')).toHaveText('待回访评价');

  // 6. 抽查 by the supervisor on another tablet.
  const sup = await signIn(browser, 'supervisor');
  await sup.goto(`/staff/loop/${id}`);
  await hydrated(sup);
  await takeStep(sup, 'spot-pass', '现场核查，已增开窗口');
  await expect(sup.getByTestId('spot-check')).toContainText('合格');

  // 7. 回访: the citizen's phone receives an SMS with the feedback link.
  await expect.poll(() => smsSent().filter((m) => m.purpose === 'feedback' && m.phone === phone).length).toBe(1);
  const sms = smsSent().find((m) => m.purpose === 'feedback' && m.phone === phone)!;
  const path = new URL(sms.body.match(/https?:\/\/\S+\/f\/\S+/)![0]).pathname;

  // The citizen opens it on their phone and rates the rectification.
  const citizen = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true })).newPage();
  await citizen.goto(path);
  await hydrated(citizen);
  await expect(citizen.getByText('高峰期增开两个综合窗口')).toBeVisible();
  // Many evaluators are elderly: the page passes axe in both modes.
  expect(await seriousViolations(citizen)).toEqual([]);
  await citizen.getByTestId('elder-toggle').click();
  expect(await seriousViolations(citizen)).toEqual([]);
  await citizen.getByTestId('feedback-level-satisfied').click();
  await citizen.getByTestId('feedback-submit').click();
  await expect(citizen.getByTestId('feedback-thanks')).toBeVisible();
  // The link is spent.
  await citizen.reload();
  await hydrated(citizen);
  await expect(citizen.getByTestId('feedback-used')).toBeVisible();

  // 8. Closed, with the whole history, and in the ledger.
  await admin.reload();
  await hydrated(admin);
  await expect(admin.getByTestId('ticket-status')).toHaveText('已办结');
  await expect(admin.getByTestId('event')).toHaveCount(9);
  const csv = await admin.request.get('/api/v1/loop/ledger?format=csv');
  expect(csv.status()).toBe(200);
  const line = (await csv.text()).split('\n').find((l) => l.includes(comment));
  expect(line).toBeTruthy();
  expect(line).toContain('已办结');
  expect(line).toContain('满意');
  expect(line).not.toContain(phone);
  const xlsx = await admin.request.get('/api/v1/loop/ledger?format=xlsx');
  expect(xlsx.headers()['content-type']).toContain('spreadsheetml');
  expect((await xlsx.body()).subarray(0, 2).toString()).toBe('PK');
  // The ledger links are on the tablet page.
  await admin.goto('/staff/loop');
  await hydrated(admin);
  await expect(admin.getByTestId('ledger-xlsx')).toHaveAttribute('href', /format=xlsx/);
});

test('a tablet that was offline catches up with the bad ratings it missed', async ({ browser }) => {
  const admin = await signIn(browser, 'admin');
  await openLoop(admin);
  await admin.context().setOffline(true);

  const kiosk = await (await browser.newContext()).newPage();
  await openKiosk(kiosk, 'KIOSK-DC-02');
  const comment = `离线期间的差评 ${Date.now()}`;
  await rateBadOnKiosk(kiosk, comment, '13700005678');
  const card = admin.getByTestId('ticket').filter({ hasText: comment });
  await admin.waitForTimeout(3000);
  await expect(card).toHaveCount(0);

  await admin.context().setOffline(false);
  await expect(card).toBeVisible({ timeout: 15_000 });
  await expect(card).toContainText('待沟通');
});

test('window staff see how their bad ratings were handled, never who gave them', async ({ browser }) => {
  // A bad rating at window 1 by its static QR code, with a phone number.
  const citizen = await (await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true })).newPage();
  await citizen.goto('/q/HALL-DC/W01');
  await hydrated(citizen);
  await rateOnPhone(citizen, 'dissatisfied', '13700009999');

  const page = await signIn(browser, 'window1');
  // 我的差评 is its own page, one tap from the clerk's home.
  await hydrated(page);
  await page.getByTestId('home-mine').click();
  await page.waitForURL('**/staff/mine');
  await hydrated(page);
  await expect(page.getByTestId('my-tickets')).toContainText('办事效率低');
  const html = await page.content();
  expect(html).not.toMatch(/1370000|137\*{4}9999/);
  const r = await page.request.get('/api/v1/loop/tickets');
  expect(r.status()).toBe(403);
});
