import { test, expect, type Page } from '@playwright/test';
import { hydrated } from './helpers';
import { ADMIN_PASSWORD } from '../playwright.config';

async function signIn(page: Page, username = 'admin') {
  await page.goto('/staff/login');
  await hydrated(page);
  await page.getByTestId('username').fill(username);
  await page.getByTestId('password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login').click();
  await page.waitForURL(/\/staff$/);
}

test('an admin registers a window pad, enrols it with the one-time code, then revokes it', async ({ page, browser }) => {
  await signIn(page);
  await page.goto('/staff/devices');
  await hydrated(page);
  const code = `PAD-E2E-${Date.now() % 100000}`;
  await page.getByTestId('device-code').fill(code);
  await page.getByTestId('device-kind').selectOption('window_pad');
  await page.getByTestId('device-window').fill('W03');
  await page.getByTestId('device-register').click();
  const issued = page.getByTestId('enrol-issued');
  await expect(issued).toBeVisible();
  const enrolCode = await issued.getAttribute('data-code');
  expect(enrolCode).toMatch(/^\d{8}$/);
  await expect(page.getByTestId('device-row').filter({ hasText: code })).toHaveAttribute('data-state', 'waiting');
  // A kiosk cannot be bound to a window: a clear error, nothing lost from the form.
  await page.getByTestId('device-code').fill(`${code}-K`);
  await page.getByTestId('device-kind').selectOption('kiosk');
  await page.getByTestId('device-register').click();
  await expect(page.getByTestId('devices-error')).toContainText('自助终端绑定场所');

  const padCtx = await browser.newContext();
  const pad = await padCtx.newPage();
  await pad.goto(`/pad/${code}`);
  await hydrated(pad);
  await pad.getByTestId('enrol-code').fill(enrolCode!);
  await pad.getByTestId('enrol-submit').click();
  await expect(pad.getByTestId('pad-connected')).toHaveAttribute('data-connected', 'true');
  // The code works once only.
  const again = await padCtx.request.post('/api/v1/devices/enrol', { data: { device_code: code, enrol_code: enrolCode } });
  expect(again.status()).toBe(422);

  await page.reload();
  await hydrated(page);
  const row = page.getByTestId('device-row').filter({ hasText: code });
  await expect(row).toHaveAttribute('data-state', 'enrolled');
  await row.getByTestId('revoke').click();
  await expect(row).toHaveAttribute('data-state', 'revoked');
  // The revoked pad is refused and told why; its screen stays usable.
  await pad.reload();
  await hydrated(pad);
  await expect(pad.getByTestId('device-error')).toContainText('停用');
  await padCtx.close();
});

test('QR posters (展示牌): one per place and window, with a scannable code, printable on A4 or A5', async ({ page }) => {
  await signIn(page);
  await page.goto('/staff/posters');
  await hydrated(page);
  const w01 = page.getByTestId('poster').filter({ hasText: '1号综合受理窗口' });
  await expect(w01).toHaveAttribute('data-path', '/q/HALL-DC/W01');
  await expect(page.getByTestId('poster').filter({ hasText: '东城区政务服务中心' }).first()).toBeVisible();
  await expect.poll(() => w01.locator('img').evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(100);
  // The printed page size follows the choice: A4, then A5 (PDF points).
  const pageSize = async () => {
    const pdf = (await page.pdf({ preferCSSPageSize: true })).toString('latin1');
    const m = pdf.match(/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)/)!;
    return [Math.round(Number(m[1])), Math.round(Number(m[2]))];
  };
  expect(await pageSize()).toEqual([595, 842]);
  await page.getByTestId('poster-a5').check();
  expect(await pageSize()).toEqual([420, 595]);
  // In print, the controls go and each poster takes a page of its own.
  await page.emulateMedia({ media: 'print' });
  await expect(page.getByTestId('poster-a5')).toBeHidden();
  expect(await w01.evaluate((e) => getComputedStyle(e).breakAfter)).toBe('page');
});

test('a 10,000-row case file imports with visible progress and lists its bad rows', async ({ page }) => {
  test.setTimeout(300_000);
  await signIn(page);
  await page.goto('/staff/import');
  await hydrated(page);
  const stamp = Date.now().toString(36).toUpperCase();
  const lines = ['case_no,place_code,window_code,status,applicant_phone,finished_at'];
  const bad = new Set([17, 4_321, 9_999]);
  for (let i = 1; i <= 10_000; i++) {
    if (i === 17) lines.push(`IMP-${stamp}-${i},NO-SUCH-PLACE,W01,finished,,`);
    else if (i === 4_321) lines.push(`IMP-${stamp}-${i},HALL-DC,W01,finished,123,`);
    else if (i === 9_999) lines.push(`IMP ${stamp} ${i},HALL-DC,W01,finished,,`);
    else lines.push(`IMP-${stamp}-${i},HALL-DC,W0${(i % 4) + 1},in_service,,`);
  }
  await page.getByTestId('import-file').setInputFiles({ name: 'cases.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) });
  const progress = page.getByTestId('import-progress');
  await expect(progress).toHaveAttribute('max', '10000');
  // Progress shows while it runs (value below max at some point), then completes.
  await expect.poll(async () => Number(await progress.getAttribute('value')), { timeout: 240_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId('import-status')).toHaveAttribute('data-done', 'true', { timeout: 240_000 });
  await expect(page.getByTestId('import-status')).toContainText('已处理 10000 / 10000 行，导入 9997 行，错误 3 行');
  const errLines = await page.getByTestId('import-error-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-line'))));
  // Line numbers are the file's (header = line 1).
  expect(errLines).toEqual([...bad].map((i) => i + 1));
});

test('a system admin creates, edits and deactivates organisation units, and imports the tree from CSV', async ({ page }) => {
  await signIn(page, 'sysadmin');
  await page.goto('/staff/org');
  await hydrated(page);
  await page.getByTestId('org-type').selectOption('provider');
  const code = `HEAT-${Date.now() % 100000}`;
  await page.getByTestId('org-code').fill(code);
  await page.getByTestId('org-name').fill('示范市热力公司');
  await page.getByTestId('org-parent').fill('410400');
  await page.getByTestId('org-kind').selectOption('heat');
  await page.getByTestId('org-save').click();
  const row = page.getByTestId('org-row').filter({ hasText: code });
  await expect(row).toContainText('示范市热力公司');
  // A mistake: an unknown parent. The error says which, the form keeps its content.
  await page.getByTestId('org-code').fill(`${code}-2`);
  await page.getByTestId('org-name').fill('第二热力公司');
  await page.getByTestId('org-parent').fill('999999');
  await page.getByTestId('org-kind').selectOption('heat');
  await page.getByTestId('org-save').click();
  await expect(page.getByTestId('org-error')).toContainText('999999');
  await expect(page.getByTestId('org-name')).toHaveValue('第二热力公司');
  // Edit, then deactivate (kept, marked).
  await row.getByTestId('org-edit').click();
  await expect(page.getByTestId('org-code')).toHaveValue(code);
  await page.getByTestId('org-name').fill('示范市热力集团');
  await page.getByTestId('org-save').click();
  await expect(row).toContainText('示范市热力集团');
  await row.getByTestId('org-toggle').click();
  await expect(row).toHaveAttribute('data-active', 'false');
  // The tree from a CSV file: good rows kept, bad rows listed by line.
  const stamp = Date.now() % 100000;
  const csv = [
    'type,code,name,parent_code,kind,department_code',
    `region,4104${stamp},东郊区,410400,district,`,
    `place,HALL-${stamp},东郊区政务服务中心,4104${stamp},hall,`,
    `window,W01,综合窗口,HALL-${stamp},,`,
    `place,BAD-${stamp},坏场所,4104${stamp},shop,`,
  ].join('\n');
  await page.getByTestId('org-import-file').setInputFiles({ name: 'org.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByTestId('org-import-status')).toHaveText('共 4 行，导入 3 行，错误 1 行');
  await expect(page.getByTestId('org-import-errors').locator('li')).toHaveAttribute('data-line', '5');
  await page.getByTestId('org-type').selectOption('place');
  await expect(page.getByTestId('org-row').filter({ hasText: `HALL-${stamp}` })).toHaveCount(1);
});

test('a system admin creates a window staff account who can then sign in to the window tablet', async ({ page, browser }) => {
  await signIn(page, 'sysadmin');
  await page.goto('/staff/accounts');
  await hydrated(page);
  const username = `w${Date.now() % 100000}`;
  await page.getByTestId('staff-username').fill(username);
  await page.getByTestId('staff-name').fill('孙悦');
  await page.getByTestId('staff-role').selectOption('window_staff');
  await page.getByTestId('staff-place').fill('HALL-DC');
  // Forgot the window: told, nothing typed is lost.
  await page.getByTestId('staff-password').fill('初始密码-0123456');
  await page.getByTestId('staff-save').click();
  await expect(page.getByTestId('staff-error')).toContainText('必须绑定窗口');
  await expect(page.getByTestId('staff-name')).toHaveValue('孙悦');
  await page.getByTestId('staff-window').fill('W02');
  await page.getByTestId('staff-save').click();
  await expect(page.getByTestId('staff-row').filter({ hasText: username })).toHaveAttribute('data-active', 'true');

  const ctx = await browser.newContext();
  const tablet = await ctx.newPage();
  await tablet.goto('/staff/login');
  await hydrated(tablet);
  await tablet.getByTestId('username').fill(username);
  await tablet.getByTestId('password').fill('初始密码-0123456');
  await tablet.getByTestId('login').click();
  await tablet.waitForURL(/\/staff$/);
  await hydrated(tablet);
  await expect(tablet.getByTestId('whoami')).toContainText('孙悦');
  await ctx.close();
});

test('from December a system admin is warned on every staff page until next year\'s holidays are entered', async ({ page, browser }) => {
  await signIn(page, 'sysadmin');
  const me = await (await page.request.get('/api/v1/staff/me')).json();
  const now = new Date(Date.now() + 8 * 3600_000); // China time
  if (now.getUTCMonth() === 11 && now.getUTCFullYear() === 2026) {
    expect(me.calendar_missing_year).toBe(2027);
  }
  for (const path of ['/staff', '/staff/devices', '/staff/org', '/staff/calendar', '/staff/accounts']) {
    await page.goto(path);
    await hydrated(page);
    const warning = page.getByTestId('calendar-warning');
    if (me.calendar_missing_year) {
      await expect(warning, path).toContainText(`${me.calendar_missing_year} 年的法定节假日和调休上班日尚未录入`);
      await expect(warning.getByRole('link', { name: '去录入' })).toHaveAttribute('href', '/staff/calendar');
    } else {
      await expect(warning, path).toHaveCount(0);
    }
  }
  // A unit admin cannot enter holidays: not warned.
  const ctx = await browser.newContext();
  const other = await ctx.newPage();
  await signIn(other, 'admin');
  await hydrated(other);
  await expect(other.getByTestId('whoami')).toBeVisible();
  await expect(other.getByTestId('calendar-warning')).toHaveCount(0);
  await ctx.close();
});

test('a kiosk registered with seed 001\'s seven dimensions offers them after a rating', async ({ page, browser }) => {
  await signIn(page);
  await page.goto('/staff/devices');
  await hydrated(page);
  const code = `KIOSK-7-${Date.now() % 100000}`;
  await page.getByTestId('device-code').fill(code);
  await page.getByTestId('device-kind').selectOption('kiosk');
  await page.getByTestId('device-dimension-set').selectOption('seven-v1');
  await page.getByTestId('device-register').click();
  const issued = page.getByTestId('enrol-issued');
  await expect(issued).toBeVisible();
  const enrolCode = await issued.getAttribute('data-code');

  const ctx = await browser.newContext({ viewport: { width: 1080, height: 1920 } });
  const kiosk = await ctx.newPage();
  await kiosk.goto(`/kiosk/${code}`);
  await hydrated(kiosk);
  await kiosk.getByTestId('enrol-code').fill(enrolCode!);
  await kiosk.getByTestId('enrol-submit').click();
  await kiosk.getByTestId('level-satisfied').click();
  await kiosk.getByTestId('add-details').click();
  const labels = await kiosk.locator('.dimension .dimension-label').allTextContents();
  expect(labels).toEqual(['承诺履行', '服务态度', '申请材料', '办事效率', '跑趟次数', '服务机制', '勤政廉洁']);
  await kiosk.getByTestId('dim-trips-very_satisfied').click();
  await kiosk.getByTestId('save-details').click();
  await expect(kiosk.getByTestId('notice')).toContainText('补充评价已保存');
  await ctx.close();
});
