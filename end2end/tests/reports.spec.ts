import { test, expect, type Browser, type Locator, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { ADMIN_PASSWORD } from '../playwright.config';
import { hydrated, seriousViolations, staffApi } from './helpers';

// The supervisor's tablet in landscape; reports are also read on desks.
const TABLET = { viewport: { width: 1024, height: 768 }, hasTouch: true };
const DISTRICT_HEADINGS = ['区县', '办件数', '评价数', '评价率', '主动评价数', '差评数', '整改满意率'];

async function signIn(browser: Browser, username: string): Promise<Page> {
  const ctx = await browser.newContext({ ...TABLET, acceptDownloads: true });
  const page = await ctx.newPage();
  await page.goto('/staff/login');
  await hydrated(page);
  await page.getByTestId('username').fill(username);
  await page.getByTestId('password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login').click();
  await page.waitForURL(/\/staff$/);
  return page;
}

/** The table once the server's answer for `code` is on screen. */
async function reportTable(page: Page, code: string): Promise<Locator> {
  const table = page.locator(`[data-testid="report-table"][data-code="${code}"]`);
  await expect(table).toBeVisible();
  return table;
}

function header(table: Locator, label: string): Locator {
  return table.getByRole('columnheader', { name: label, exact: true });
}

/** A column's figures, top to bottom (data rows only); `/` reads as null. */
async function column(table: Locator, key: string): Promise<(number | null)[]> {
  const texts = await table.locator(`tr[data-testid="report-row"] td[data-key="${key}"]`).allTextContents();
  return texts.map((t) => {
    const s = t.trim().replace('%', '');
    return s === '/' || s === '' ? null : Number(s);
  });
}

/** Sorted that way, with the rows that have no figure last. */
function expectSorted(values: (number | null)[], dir: 'desc' | 'asc') {
  const numbers = values.filter((v): v is number => v !== null);
  const firstNull = values.indexOf(null);
  if (firstNull >= 0) expect(values.slice(firstNull).every((v) => v === null), `nulls last: ${values}`).toBe(true);
  const want = [...numbers].sort((a, b) => (dir === 'desc' ? b - a : a - b));
  expect(numbers, `${dir}: ${values}`).toEqual(want);
}

async function ranks(table: Locator): Promise<string[]> {
  return (await table.locator('tr[data-testid="report-row"] td.rank').allTextContents()).map((t) => t.trim());
}

/** The API twin of a report page's link (same code, parameters and period). */
function apiPath(href: string): string {
  const url = new URL(href, 'http://x');
  const code = url.pathname.split('/').pop();
  url.searchParams.delete('trail');
  return `/api/v1/reports/${code}?${url.searchParams.toString()}`;
}

type ReportJson = { rows: { name: string; drill: string | null }[] };

/**
 * The drill link (name, href) of the first row whose next table down has
 * rows (with links of their own when `deeper`): the demo data decides
 * which district has departments, windows and staff, not this test.
 */
async function pickDrill(
  table: Locator,
  api: Awaited<ReturnType<typeof staffApi>>,
  deeper: boolean,
): Promise<{ name: string; link: Locator; params: string[] }> {
  const links = table.getByTestId('drill');
  const n = await links.count();
  expect(n, 'rows with a drill-down link').toBeGreaterThan(0);
  for (let i = 0; i < n; i++) {
    const link = links.nth(i);
    const href = (await link.getAttribute('href'))!;
    const next: ReportJson = await api.get(apiPath(href));
    if (next.rows.length > 0 && (!deeper || next.rows.some((r) => r.drill))) {
      // The table's own parameters (`window=5`), without period and trail.
      const params = [...new URL(href, 'http://x').searchParams]
        .filter(([k]) => !['quarter', 'month', 'from', 'to', 'trail'].includes(k))
        .map(([k, v]) => `${k}=${v}`);
      return { name: (await link.textContent())!.trim(), link, params };
    }
  }
  throw new Error('no row leads further down');
}

/** The files of a zip archive (stored or deflated entries), read from its central directory. */
function unzip(buf: Buffer): Map<string, Buffer> {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65_535); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error('not a zip file');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  const files = new Map<string, Buffer>();
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(p) !== 0x02014b50) throw new Error(`bad central directory entry at ${p}`);
    const method = buf.readUInt16LE(p + 10);
    const size = buf.readUInt32LE(p + 20);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8');
    if (buf.readUInt32LE(local) !== 0x04034b50) throw new Error(`bad local header for ${name}`);
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    const data = buf.subarray(start, start + size);
    if (method === 0) files.set(name, Buffer.from(data));
    else if (method === 8) files.set(name, inflateRawSync(data));
    else throw new Error(`${name}: compression method ${method}`);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return files;
}

test('通报: the districts table sorts, drills down to staff, exports to Excel and passes axe', async ({ browser }) => {
  const page = await signIn(browser, 'supervisor');
  await page.goto('/staff/reports/districts');
  await hydrated(page);
  await expect(page.getByTestId('nav-reports')).toBeVisible();
  await expect(page.getByTestId('nav-flags')).toBeVisible();

  // 1. The seed's headings, a caption naming the period, ranks 1..n, 合计 last.
  const table = await reportTable(page, 'districts');
  for (const h of DISTRICT_HEADINGS) await expect(header(table, h)).toBeVisible();
  await expect(table.locator('caption')).toContainText('季度');
  const rows = table.getByTestId('report-row');
  expect(await rows.count()).toBeGreaterThanOrEqual(3);
  expect(await ranks(table)).toEqual(Array.from({ length: await rows.count() }, (_, i) => String(i + 1)));
  if (await table.getByTestId('report-total').count()) {
    await expect(table.locator('tbody tr').last()).toHaveAttribute('data-testid', 'report-total');
  }
  // The table is chosen from a list, so the table starts above the fold on the tablet.
  await expect(page.getByTestId('report-select')).toHaveValue('districts');
  expect((await table.boundingBox())!.y).toBeLessThan(768);
  await expect(page.getByTestId('report-chart')).toHaveAttribute('role', 'img');
  expect(await seriousViolations(page)).toEqual([]);

  // 2. 评价数: descending, then ascending; ranks follow the new order; 合计 stays last.
  const ratings = header(table, '评价数');
  const key = (await ratings.getAttribute('data-key'))!;
  await ratings.getByRole('button').click();
  await expect(ratings).toHaveAttribute('aria-sort', 'descending');
  expectSorted(await column(table, key), 'desc');
  expect((await ranks(table))[0]).toBe('1');
  await ratings.getByRole('button').click();
  await expect(ratings).toHaveAttribute('aria-sort', 'ascending');
  expectSorted(await column(table, key), 'asc');
  await expect(header(table, '办件数')).toHaveAttribute('aria-sort', 'none');
  if (await table.getByTestId('report-total').count()) {
    await expect(table.locator('tbody tr').last()).toHaveAttribute('data-testid', 'report-total');
  }
  await ratings.getByRole('button').click();
  await expect(ratings).toHaveAttribute('aria-sort', 'descending');
  const firstName = (await rows.first().locator('th.row-name a, th.row-name span').first().textContent())!.trim();

  // 4. The Excel file has the same headings and rows.
  const xlsxLink = page.getByTestId('export-xlsx');
  await expect(xlsxLink).toHaveAttribute('href', /format=xlsx/);
  await expect(xlsxLink).toHaveAttribute('href', /quarter=\d{4}-Q[1-4]/);
  await expect(page.getByTestId('export-csv')).toHaveAttribute('href', /format=csv/);
  const [download] = await Promise.all([page.waitForEvent('download'), xlsxLink.click()]);
  const files = unzip(readFileSync((await download.path())!));
  const xml = [...files].filter(([name]) => name.startsWith('xl/')).map(([, b]) => b.toString('utf8')).join('\n');
  expect(files.has('xl/worksheets/sheet1.xml'), [...files.keys()].join(', ')).toBe(true);
  for (const h of DISTRICT_HEADINGS) expect(xml, h).toContain(h);
  expect(xml).toContain(firstName);

  // 3. Drill down: district → its departments → windows → staff, with breadcrumbs.
  const api = await staffApi('supervisor');
  const district = await pickDrill(table, api, true);
  await district.link.click();
  const departments = await reportTable(page, 'district_departments');
  await expect(page).toHaveURL(/district=\d+/);
  await expect(page.getByTestId('crumb')).toHaveText(['全市', district.name]);
  await expect(page.getByTestId('export-xlsx')).toHaveAttribute('href', /district_departments\?.*district=\d+/);

  const department = await pickDrill(departments, api, true);
  await department.link.click();
  const windows = await reportTable(page, 'windows');
  await expect(page.getByTestId('crumb')).toHaveText(['全市', district.name, department.name]);

  const win = await pickDrill(windows, api, false);
  await win.link.click();
  const staff = await reportTable(page, 'staff');
  for (const p of win.params) await expect(page.getByTestId('export-xlsx')).toHaveAttribute('href', new RegExp(`[?&]${p}(&|$)`));
  expect(await staff.getByTestId('report-row').count()).toBeGreaterThan(0);
  await expect(page.getByTestId('crumb')).toHaveText(['全市', district.name, department.name, win.name]);
  expect(await seriousViolations(page)).toEqual([]);

  // A reload keeps the table; the breadcrumbs lead back up.
  await page.reload();
  await hydrated(page);
  await reportTable(page, 'staff');
  await page.getByTestId('crumbs').getByRole('link', { name: district.name, exact: true }).click();
  await reportTable(page, 'district_departments');
  await expect(page.getByTestId('crumb')).toHaveText(['全市', district.name]);
  await page.getByTestId('crumbs').getByRole('link', { name: '全市' }).click();
  await reportTable(page, 'districts');
  await expect(page.getByTestId('crumbs')).toHaveCount(0);
  await api.ctx.dispose();
});

test('通报: departments without any rating are marked 零评价; a month and a wrong period', async ({ browser }) => {
  const page = await signIn(browser, 'supervisor');
  await page.goto('/staff/reports/departments');
  await hydrated(page);
  const table = await reportTable(page, 'departments');
  const zero = table.locator('tr[data-zero="true"]');
  expect(await zero.count(), 'a department with no rating in the demo data').toBeGreaterThan(0);
  await expect(zero.first().getByTestId('zero-badge')).toHaveText('零评价');

  // 按月: the period goes into the URL and the table follows.
  await page.getByTestId('period-mode-month').click();
  await expect(page).toHaveURL(/month=\d{4}-\d{2}/);
  await expect(table.locator('caption')).toContainText('月');

  // A period the server refuses: its message, in an alert.
  await page.goto('/staff/reports/departments?from=2026-12-31&to=2026-01-01');
  await hydrated(page);
  await expect(page.getByTestId('error')).toBeVisible();

  // A unit administrator reads reports but does not review flags.
  const admin = await signIn(browser, 'admin');
  await admin.goto('/staff/reports/districts');
  await hydrated(admin);
  await expect(admin.getByTestId('nav-reports')).toBeVisible();
  await expect(admin.getByTestId('nav-flags')).toHaveCount(0);
});

test('评价结果公开: the public page shows every department without signing in', async ({ browser }) => {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto('/public');
  await hydrated(page);
  const table = page.getByTestId('report-table');
  await expect(table).toBeVisible();
  expect(await table.getByTestId('report-row').count()).toBeGreaterThan(0);
  await expect(page.getByTestId('public-explain')).toContainText('有效评价');
  expect(await seriousViolations(page)).toEqual([]);

  // Sortable here too.
  const sortable = table.locator('thead th[data-key]').nth(1);
  await sortable.getByRole('button').click();
  await expect(sortable).toHaveAttribute('aria-sort', 'descending');

  // Elder mode and English keep the table.
  await page.getByTestId('elder-toggle').click();
  await page.getByTestId('lang-toggle').click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('results');
  await expect(table).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
  await page.getByTestId('lang-toggle').click();
  await page.getByTestId('elder-toggle').click();
});

test('刷评复核: a flagged kiosk burst is reviewed as genuine and moves to 已复核', async ({ browser }) => {
  const page = await signIn(browser, 'supervisor');
  await page.goto('/staff/flags');
  await hydrated(page);
  const pending = page.locator('[data-testid="flags-table"][data-status="pending"]');
  await expect(pending.or(page.getByTestId('flags-empty'))).toBeVisible();
  const rows = pending.getByTestId('flag-row');
  expect(await rows.count(), 'the demo data flags a kiosk burst').toBeGreaterThan(0);
  expect(await seriousViolations(page)).toEqual([]);

  const row = rows.first();
  const id = (await row.getAttribute('data-rating-id'))!;
  await row.getByTestId('flag-check').check();

  // Without a note: refused, and the choice stays.
  await page.getByTestId('flag-genuine').click();
  await expect(page.getByTestId('error')).toContainText('复核说明');
  await expect(row.getByTestId('flag-check')).toBeChecked();

  await page.getByTestId('flag-note').fill('经调取监控核实，为多名群众排队依次评价');
  await page.getByTestId('flag-genuine').click();
  await expect(page.getByTestId('notice')).toContainText('已复核');
  await expect(page.locator(`[data-testid="flag-row"][data-rating-id="${id}"]`)).toHaveCount(0);

  await page.getByTestId('flags-tab-reviewed').click();
  const done = page.locator(`[data-testid="flags-table"][data-status="reviewed"] [data-rating-id="${id}"]`);
  await expect(done).toBeVisible();
  await expect(done.getByTestId('flag-verdict')).toHaveText('正常评价');
  await expect(done).toContainText('经调取监控核实');
});
