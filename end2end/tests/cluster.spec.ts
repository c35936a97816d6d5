import { test, expect, request as pwRequest } from '@playwright/test';
import { ADMIN_PASSWORD, CLUSTER_A_PORT, CLUSTER_B_PORT } from '../playwright.config';
import { hydrated } from './helpers';

// Two server instances on one PostgreSQL database, as behind a load
// balancer (docs/deploy.md): the window pad is paired through one, the
// clerk's tablet starts and finishes the service through the other. The
// pad's push stream is served by the first; the news crosses instances
// through the database (LISTEN/NOTIFY), not through either's memory.

const A = `http://127.0.0.1:${CLUSTER_A_PORT}`;
const B = `http://127.0.0.1:${CLUSTER_B_PORT}`;
const PAD = { width: 1280, height: 800 };

test('a pad paired through one server is pushed the service the clerk starts through the other', async ({ browser }) => {
  test.setTimeout(180_000);
  // The pad, on server A, enrolled with a code the admin issues on server B.
  const padCtx = await browser.newContext({ viewport: PAD, baseURL: A });
  const pad = await padCtx.newPage();
  await pad.goto('/pad/PAD-DC-W02');
  await hydrated(pad);
  await expect(pad.getByTestId('enrol-form')).toBeVisible();
  const admin = await pwRequest.newContext({ baseURL: B });
  const login = await admin.post('/api/v1/staff/login', { data: { username: 'admin', password: ADMIN_PASSWORD } });
  expect(login.status()).toBe(200);
  const csrf: string = (await login.json()).csrf_token;
  const issued = await admin.post('/api/v1/admin/devices/PAD-DC-W02/enrolment', { headers: { 'X-CSRF-Token': csrf } });
  expect(issued.status(), await issued.text()).toBe(200);
  await pad.getByTestId('enrol-code').fill((await issued.json()).enrol_code);
  await pad.getByTestId('enrol-submit').click();
  await expect(pad.getByTestId('enrol-form')).toHaveCount(0);
  await expect(pad.getByTestId('pad-connected')).toHaveAttribute('data-connected', 'true');
  await expect(pad.getByTestId('pad-idle')).toBeVisible();

  // The clerk's tablet, on server B.
  const tabletCtx = await browser.newContext({ viewport: { width: 1024, height: 768 }, baseURL: B });
  const tablet = await tabletCtx.newPage();
  await tablet.goto('/staff/login');
  await hydrated(tablet);
  await tablet.getByTestId('username').fill('window2');
  await tablet.getByTestId('password').fill(ADMIN_PASSWORD);
  await tablet.getByTestId('login').click();
  await tablet.waitForURL(/\/staff(\/window)?$/);
  await tablet.goto('/staff/window');
  await hydrated(tablet);
  const caseNo = `CLUSTER-${Date.now()}`;
  await tablet.getByTestId('case-no').fill(caseNo);
  await tablet.getByTestId('start-service').click();
  await expect(pad.getByTestId('serving-case')).toHaveText(caseNo);
  await tablet.getByTestId('finish').click();
  await expect(pad.getByTestId('subject-case')).toContainText(caseNo);

  // The citizen rates on the pad (server A); server B's API has the rating.
  await pad.getByTestId('level-satisfied').click();
  await expect(pad.getByTestId('thanks')).toBeVisible();
  await expect
    .poll(async () => {
      const r = await admin.get("/api/v1/staff/ratings?limit=50");
      return r.status() === 200 ? JSON.stringify(await r.json()) : '';
    }, { timeout: 30_000 })
    .toContain(caseNo);
  await admin.dispose();
  await tabletCtx.close();
  await padCtx.close();
});
