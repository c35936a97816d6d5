import { test, expect, type Page } from '@playwright/test';
import http from 'node:http';
import { hydrated, queuedIds, signInOn } from './helpers';
import { HOTLINE_TOKEN, PROVINCE_PORT, PROVINCE_TOKEN, REAL_NAME_PORT } from '../playwright.config';

const PHONE = { width: 390, height: 844 };
const TABLET = { width: 1024, height: 768 };
const shot = (page: Page, name: string) => page.screenshot({ path: `screenshots/${name}.png`, fullPage: true });

type Received = { key: string; kind: string; data: Record<string, unknown> };

/** A fake provincial platform on PROVINCE_PORT: keeps what it is sent to /records. */
function platform(received: Received[], auth: string[]): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      // The same server stands in for the 12345 hotline at /hotline.
      if (req.url === '/records') {
        auth.push(String(req.headers.authorization));
        for (const r of JSON.parse(body).records) received.push(r);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ results: [] }));
    });
  });
  return new Promise((resolve) => server.listen(PROVINCE_PORT, '127.0.0.1', () => resolve(server)));
}

test('the provincial platform was down: the system admin sees what waits, retries when it is back, and the records arrive', async ({ browser }) => {
  const base = `http://127.0.0.1:${REAL_NAME_PORT}`;
  // A citizen rates by phone while nothing answers at the platform's address.
  const phoneCtx = await browser.newContext({ viewport: PHONE, baseURL: base });
  const phone = await phoneCtx.newPage();
  await phone.goto('/q/HALL-DC/W01');
  await hydrated(phone);
  await phone.getByTestId('level-dissatisfied').click();
  await phone.getByTestId('reason-slow').click();
  await phone.getByTestId('next').click();
  await phone.getByTestId('phone').fill('13800009876');
  await phone.getByTestId('confirm').click();
  await expect(phone.getByTestId('thanks')).toBeVisible();
  await phone.getByTestId('done').click();
  // Uploaded from the phone's queue before the citizen walks away.
  await expect.poll(() => queuedIds(phone), { timeout: 30_000 }).toEqual([]);
  await phoneCtx.close();

  const ctx = await browser.newContext({ viewport: TABLET, baseURL: base });
  const page = await ctx.newPage();
  await signInOn(page, 'sysadmin');
  await page.getByTestId('nav-upstream').click();
  await page.waitForURL(/\/staff\/upstream$/);
  await hydrated(page);
  const card = page.getByTestId('upstream-province');
  await expect(card.getByTestId('upstream-state')).toHaveText('运行中');
  const pending = Number(await card.getByTestId('upstream-pending').innerText());
  expect(pending, 'the rating and its ticket wait').toBeGreaterThanOrEqual(2);
  await shot(page, 'upstream-waiting-1024');

  const received: Received[] = [];
  const auth: string[] = [];
  const server = await platform(received, auth);
  try {
    await card.getByTestId('upstream-retry').click();
    await expect(page.getByTestId('upstream-notice')).toContainText('立即发送');
    await expect(async () => {
      await page.reload();
      await hydrated(page);
      await expect(card.getByTestId('upstream-pending')).toHaveText('0', { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
    const sent = Number(await card.getByTestId('upstream-sent').innerText());
    expect(sent).toBeGreaterThanOrEqual(pending);
    await shot(page, 'upstream-delivered-1024');
  } finally {
    server.close();
  }
  expect(auth.every((a) => a === `Bearer ${PROVINCE_TOKEN}`)).toBe(true);
  // The citizen's rating arrived in the national data set's shape, its
  // evaluator masked; its ticket's opening went with it.
  const rating = received.find((r) => r.kind === 'rating' && r.data['评价人'] === '138****9876');
  expect(rating, JSON.stringify(received.slice(0, 3))).toBeTruthy();
  expect(rating!.data['满意度代码']).toBe(4);
  expect(rating!.data['评价渠道']).toBe('qr_static');
  expect(String(rating!.data['评价时间'])).toMatch(/^\d{8}T\d{6}$/);
  expect(JSON.stringify(received)).not.toContain('13800009876');
  expect(received.some((r) => r.kind === 'rectify' && r.data['评价编号'] === rating!.key)).toBe(true);
  await ctx.close();
});

test('a bad rating routed to 12345: the unit\'s tablet says the hotline contacts and verifies, and shows the hotline\'s steps', async ({ browser }) => {
  const base = `http://127.0.0.1:${REAL_NAME_PORT}`;
  const phoneCtx = await browser.newContext({ viewport: PHONE, baseURL: base });
  const phone = await phoneCtx.newPage();
  await phone.goto('/q/HALL-DC/W01');
  await hydrated(phone);
  await phone.getByTestId('level-very_dissatisfied').click();
  await phone.getByTestId('reason-slow').click();
  await phone.getByTestId('next').click();
  await phone.getByTestId('phone').fill('13800005555');
  await phone.getByTestId('confirm').click();
  await expect(phone.getByTestId('thanks')).toBeVisible();
  await expect.poll(() => queuedIds(phone), { timeout: 30_000 }).toEqual([]);
  await phoneCtx.close();

  const ctx = await browser.newContext({ viewport: TABLET, baseURL: base });
  const page = await ctx.newPage();
  await signInOn(page, 'admin');
  type T = { id: number; via_hotline: boolean; phone_masked: string | null };
  const list = (await (await page.request.get('/api/v1/loop/tickets')).json()) as { tickets: T[] };
  const t = list.tickets.find((x) => x.phone_masked === '138****5555');
  expect(t, JSON.stringify(list.tickets.slice(0, 2))).toBeTruthy();
  expect(t!.via_hotline).toBe(true);
  await page.goto(`/staff/loop/${t!.id}`);
  await hydrated(page);
  await expect(page.getByTestId('via-hotline')).toContainText('12345');
  // Contact and verification are the hotline's: the unit has no such button.
  await expect(page.getByTestId('ticket-status')).toHaveText('待沟通');
  await expect(page.getByTestId('step-contact')).toHaveCount(0);
  await shot(page, 'hotline-waiting-1024');

  // The hotline calls the citizen, finds the rating valid and hands it over.
  const wo = `410400-${t!.id}`;
  const r = await page.request.post('/api/v1/hotline/events', {
    headers: { authorization: `Bearer ${HOTLINE_TOKEN}` },
    data: {
      events: [
        { id: `e2e-${t!.id}-1`, work_order: wo, type: 'received' },
        { id: `e2e-${t!.id}-2`, work_order: wo, type: 'contacted', reached: true, note: '已电话联系评价人，反映排队过久' },
        { id: `e2e-${t!.id}-3`, work_order: wo, type: 'verified', verdict: 'valid' },
        { id: `e2e-${t!.id}-4`, work_order: wo, type: 'assigned', unit: '东城区政务服务中心' },
      ],
    },
  });
  expect(r.status(), await r.text()).toBe(200);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('ticket-status')).toHaveText('整改中');
  const timeline = page.getByTestId('events');
  await expect(timeline).toContainText('12345热线');
  await expect(timeline).toContainText('转交责任单位：东城区政务服务中心');
  // Now the unit rectifies.
  await expect(page.getByTestId('step-archive')).toBeVisible();
  await shot(page, 'hotline-rectifying-1024');
  await ctx.close();
});

test('the system admin imports the province\'s monthly file: good rows enter the loop, the bad one is listed by its line', async ({ browser }) => {
  const base = `http://127.0.0.1:${REAL_NAME_PORT}`;
  const ctx = await browser.newContext({ viewport: TABLET, baseURL: base });
  const page = await ctx.newPage();
  await signInOn(page, 'sysadmin');
  await page.goto('/staff/upstream');
  await hydrated(page);
  const at = '20261101T093000';
  const csv = [
    'upstream_id,place_code,window_code,satisfaction_code,rated_at,comment,evaluator_phone',
    `E2E-F-1,HALL-DC,W01,4,${at},扫码评价：材料要求说不清,13800001111`,
    `E2E-F-2,HALL-DC,,5,${at},等候时间太长,`,
    `E2E-F-3,NOWHERE,,4,${at},,`,
  ].join('\n');
  await page.getByTestId('province-file').setInputFiles({ name: '省平台差评2026年11月.csv', mimeType: 'text/csv', buffer: Buffer.from('\ufeff' + csv) });
  await expect(page.getByTestId('province-import-result')).toContainText('共 3 行，新导入 2 条，1 行有问题');
  await expect(page.getByTestId('province-import-errors')).toContainText('第 4 行（E2E-F-3）');
  await expect(page.getByTestId('province-import-errors')).toContainText('NOWHERE');
  await shot(page, 'province-import-1024');
  // The same file again adds nothing.
  await page.getByTestId('province-file').setInputFiles({ name: 'again.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByTestId('province-import-result')).toContainText('新导入 0 条');
  await ctx.close();
});
