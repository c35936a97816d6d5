import { test, expect, type Browser } from '@playwright/test';
import { hydrated, openKiosk, openPad, rate, rateOnPhone, smsSent, staffApi } from './helpers';
import { ADMIN_PASSWORD } from '../playwright.config';

// One test per channel, end to end through the real pages; the server's
// answers are checked through the staff API.

const uniq = (p: string) => `${p}-${Date.now().toString(36).toUpperCase()}`;

type RatingRow = { id: string; case_no: string | null; channel: string; kind: string; level: string; window_name: string | null; evaluator_phone?: string; proactive: boolean };

async function allRatings(): Promise<RatingRow[]> {
  const admin = await staffApi('admin');
  const list: RatingRow[] = await admin.get('/api/v1/staff/ratings?limit=1000');
  await admin.ctx.dispose();
  return list;
}

async function ratingsOfCase(caseNo: string): Promise<RatingRow[]> {
  return (await allRatings()).filter((r) => r.case_no === caseNo);
}

async function pushCase(c: Record<string, unknown>): Promise<number> {
  const admin = await staffApi('admin');
  const r = await admin.post('/api/v1/cases', { cases: [{ place_code: 'HALL-DC', ...c }] });
  await admin.ctx.dispose();
  expect(r.results[0].status, JSON.stringify(r)).toBe('created');
  return r.results[0].case_id;
}

async function caseLink(caseId: number, channel: string): Promise<string> {
  const admin = await staffApi('admin');
  const r = await admin.post(`/api/v1/cases/${caseId}/links`, { channel });
  await admin.ctx.dispose();
  return r.path;
}

async function windowStaffTablet(browser: Browser, username: string) {
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  const tablet = await ctx.newPage();
  await tablet.goto('/staff/login');
  await hydrated(tablet);
  await tablet.getByTestId('username').fill(username);
  await tablet.getByTestId('password').fill(ADMIN_PASSWORD);
  await tablet.getByTestId('login').click();
  // Every role lands on its home; the clerk's first tile is 窗口服务.
  await tablet.waitForURL(/\/staff$/);
  await hydrated(tablet);
  await tablet.getByTestId('home-window').click();
  await tablet.waitForURL('**/staff/window');
  await hydrated(tablet);
  return { ctx, tablet };
}

test('window pad: a case started on the staff tablet shows on the paired pad within 2 s; 办结 asks for the rating', async ({ page, browser }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await openPad(page, 'PAD-DC-W01');
  const { ctx, tablet } = await windowStaffTablet(browser, 'window1');
  const caseNo = uniq('PAD');
  await tablet.getByTestId('case-no').fill(caseNo);
  await tablet.getByTestId('start-service').click();
  await expect(tablet.getByTestId('pushed')).toBeVisible();
  // Server push, no reload: during the service the pad shows who serves and the case.
  await expect(page.getByTestId('serving-case')).toHaveText(caseNo, { timeout: 2_000 });
  await expect(page.getByTestId('clerk-name')).toHaveText('王芳');
  await expect(page.getByTestId('level-satisfied')).toHaveCount(0);
  await tablet.getByTestId('finish').click();
  await expect(page.getByTestId('subject-case')).toContainText(caseNo, { timeout: 2_000 });
  await expect(page.getByTestId('pad-case')).toContainText('王芳');
  // One touch rates the case.
  await page.getByTestId('level-very_satisfied').click();
  await expect(page.getByTestId('thanks')).toBeVisible();
  await page.getByTestId('done').click();
  await expect(page.getByTestId('pad-idle')).toBeVisible();
  await expect.poll(async () => (await ratingsOfCase(caseNo)).map((r) => [r.channel, r.kind, r.level])).toEqual([
    ['window_pad', 'first', 'very_satisfied'],
  ]);
  // The clerk's list shows the case, and nothing of its rating.
  await tablet.reload();
  await hydrated(tablet);
  await expect(tablet.getByTestId('case-row').filter({ hasText: caseNo })).toContainText('已办结');
  await expect(tablet.getByTestId('rated')).toHaveCount(0);
  await ctx.close();
});

test('kiosk with a case: opened after a transaction it goes straight to that case; a typed number works too', async ({ page }) => {
  const caseNo = uniq('KC');
  await pushCase({ case_no: caseNo, window_code: 'W03', status: 'finished' });
  await openKiosk(page, 'KIOSK-DC-02', `/kiosk/KIOSK-DC-02?case=${caseNo}`);
  await expect(page.getByTestId('subject-case')).toContainText(caseNo);
  await page.getByTestId('level-satisfied').click();
  await page.getByTestId('done').click();
  // The next citizen starts without it, and types (or scans) a case number one tap away.
  await expect(page.getByTestId('subject-case')).toHaveCount(0);
  await page.getByTestId('enter-case').click();
  await page.getByTestId('case-no').fill(caseNo);
  await page.getByTestId('start-with-case').click();
  await expect(page.getByTestId('subject-case')).toContainText(caseNo);
  await page.getByTestId('level-basic').click();
  await page.getByTestId('done').click();
  await expect.poll(async () => (await ratingsOfCase(caseNo)).map((r) => `${r.channel}:${r.kind}`).sort()).toEqual([
    'kiosk:first', 'kiosk:follow_up',
  ]);
});

test('kiosk without a case rates the place', async ({ page }) => {
  await openKiosk(page, 'KIOSK-DC-01');
  const placeOnly = async () => (await allRatings()).filter((r) => r.channel === 'kiosk' && r.case_no === null && r.window_name === null).length;
  const before = await placeOnly();
  await rate(page, { level: 'satisfied' });
  await expect.poll(placeOnly).toBe(before + 1);
});

test('phone via the static QR of a window: rated with an optional phone number the unit admin can call back', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/q/HALL-DC/W02');
  await hydrated(page);
  await expect(page.getByTestId('rate-place')).toContainText('2号综合受理窗口');
  await rateOnPhone(page, 'dissatisfied', '13700001234');
  await expect(page.getByTestId('rate-answer')).toHaveText('评价已记录');
  const admin = await staffApi('admin');
  const inbox: RatingRow[] = await admin.get('/api/v1/staff/inbox');
  // Lists show it masked; the whole number is a logged reveal on the rating's ticket.
  const mine = inbox.find((r) => r.channel === 'qr_static' && r.evaluator_phone === '137****1234');
  expect(mine?.window_name).toBe('2号综合受理窗口');
  expect(mine?.case_no).toBeNull();
  const { tickets } = await admin.get('/api/v1/loop/tickets');
  const ticket = tickets.find((t: { rating_id: string }) => t.rating_id === mine!.id);
  expect((await admin.post(`/api/v1/loop/tickets/${ticket.id}/reveal`)).phone).toBe('13700001234');
  await admin.ctx.dispose();
});

test('phone via a per-case QR: the tablet shows it when the pad is not connected', async ({ page, browser }) => {
  const { ctx, tablet } = await windowStaffTablet(browser, 'window3');
  const caseNo = uniq('QR');
  await tablet.getByTestId('case-no').fill(caseNo);
  await tablet.getByTestId('start-service').click();
  const qr = tablet.getByTestId('case-qr');
  await expect(qr).toBeVisible();
  await expect(qr.locator('img')).toHaveJSProperty('complete', true);
  expect(await qr.locator('img').evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(100);
  const path = await qr.getAttribute('data-path');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(path!);
  await hydrated(page);
  await expect(page.getByTestId('subject-case')).toContainText(caseNo);
  await rateOnPhone(page, 'very_satisfied');
  await expect(page.getByTestId('rate-answer')).toHaveText('评价已记录');
  expect((await ratingsOfCase(caseNo)).map((r) => r.channel)).toEqual(['qr_case']);
  await ctx.close();
});

test('SMS: a finished case invites its applicant through the outbox, and the link rates it', async ({ page }) => {
  const caseNo = uniq('SMS');
  const id = await pushCase({ case_no: caseNo, window_code: 'W04', service_item_code: 'DC-GA-001', status: 'finished', applicant_phone: '13600002222' });
  const sys = await staffApi('sysadmin');
  const outbox: { id: number; phone: string; body: string }[] = await sys.get('/api/v1/admin/outbox');
  const sms = outbox.find((m) => m.body.includes(caseNo));
  // The outbox page shows the number masked and the link without its token;
  // the whole number is a logged reveal.
  expect(sms?.phone).toBe('136****2222');
  expect(sms?.body).toContain('居民身份证换领');
  expect(sms?.body).toMatch(/\/r\/\[已隐去\]/);
  expect((await sys.post(`/api/v1/admin/outbox/${sms!.id}/reveal`)).phone).toBe('13600002222');
  await sys.ctx.dispose();
  // The citizen's phone received it, link and all.
  const received = smsSent().find((m) => m.body.includes(caseNo) && m.phone === '13600002222');
  expect(received?.case_id).toBe(id);
  const url = received!.body.match(/https?:\/\/\S+\/r\/\S+/)![0];
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(url);
  await hydrated(page);
  await expect(page.getByTestId('subject-case')).toContainText(caseNo);
  await rateOnPhone(page, 'satisfied');
  await expect.poll(async () => (await ratingsOfCase(caseNo)).map((r) => `${r.channel}:${r.kind}`)).toEqual(['sms:first']);
});

test('PC link (一事一评), then a second rating of the same case is a 追加评价', async ({ page }) => {
  const caseNo = uniq('PC');
  const id = await pushCase({ case_no: caseNo, status: 'finished' });
  await page.setViewportSize({ width: 1366, height: 900 });
  await page.goto(await caseLink(id, 'pc_web'));
  await hydrated(page);
  await rateOnPhone(page, 'very_satisfied');
  await expect(page.getByTestId('rate-answer')).toHaveText('评价已记录');
  // The same link again: it says it was used, and offers no second rating.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('link-used')).toBeVisible();
  await expect(page.getByTestId('level-satisfied')).toHaveCount(0);
  // A second link for the same case: stored, but as a follow-up.
  await page.goto(await caseLink(id, 'pc_web'));
  await hydrated(page);
  await rateOnPhone(page, 'dissatisfied');
  await expect(page.getByTestId('rate-answer')).toHaveText('此办件已评价过，本次记录为追加评价');
  expect((await ratingsOfCase(caseNo)).map((r) => `${r.channel}:${r.kind}`).sort()).toEqual(['pc_web:first', 'pc_web:follow_up']);
});

test('staff paper entry: a stack of forms is entered with the keyboard alone', async ({ page }) => {
  await page.goto('/staff/login');
  await hydrated(page);
  await page.getByTestId('username').fill('admin');
  await page.getByTestId('password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login').click();
  await page.waitForURL(/\/staff$/);
  await page.goto('/staff/entry');
  await hydrated(page);
  const caseNo = uniq('PAPER');
  await pushCase({ case_no: caseNo, status: 'finished' });
  await page.getByTestId('entry-case').click();
  // Form 1: case number, Tab, level code 2 (满意), Enter.
  await page.keyboard.type(caseNo);
  await page.keyboard.press('Tab');
  await page.keyboard.type('2');
  await expect(page.getByTestId('entry-level-label')).toHaveText('满意');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('entry-count')).toHaveText('本次已录入 1 份');
  // The cursor is back in the case number: form 2 (the same case: 追加评价).
  await expect(page.getByTestId('entry-case')).toBeFocused();
  await page.keyboard.type(caseNo);
  await page.keyboard.press('Tab');
  await page.keyboard.type('1');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('entry-count')).toHaveText('本次已录入 2 份');
  await expect(page.getByTestId('entry-list')).toContainText('追加评价');
  // A wrong level code is refused with a clear message and nothing is lost.
  await page.keyboard.type('X-1');
  await page.keyboard.press('Tab');
  await page.keyboard.type('9');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('entry-error')).toContainText('1–5');
  await expect(page.getByTestId('entry-case')).toHaveValue('X-1');
  const rows = await ratingsOfCase(caseNo);
  expect(rows.map((r) => `${r.channel}:${r.kind}:${r.level}`).sort()).toEqual(['paper:first:satisfied', 'paper:follow_up:very_satisfied']);
});

test('a case left unrated for more than 7 days gets its 系统默认 rating, once', async () => {
  const caseNo = uniq('OLD');
  const day = 86_400_000;
  await pushCase({ case_no: caseNo, status: 'finished', started_at: Date.now() - 9 * day, finished_at: Date.now() - 8 * day });
  const sys = await staffApi('sysadmin');
  // (The server's own timer may run the job too: the end state is what counts.)
  await sys.post('/api/v1/admin/jobs/run');
  const run2 = await sys.post('/api/v1/admin/jobs/run');
  expect(run2.default_ratings).toBe(0);
  await sys.ctx.dispose();
  const rows = await ratingsOfCase(caseNo);
  expect(rows.map((r) => [r.kind, r.level, r.proactive])).toEqual([['system_default', 'satisfied', false]]);
});
