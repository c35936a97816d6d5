import { expect, type Page, type APIRequestContext } from '@playwright/test';
import { ADMIN_PASSWORD } from '../playwright.config';

/** Waits until the wasm has hydrated the page: an SSR page looks right without it. */
export async function hydrated(page: Page) {
  await expect(page.locator('main[data-hydrated="true"]')).toBeAttached();
}

/** Opens a kiosk and waits until it is interactive with its device configuration. */
export async function openKiosk(page: Page, code: string) {
  await page.goto(`/kiosk/${code}`);
  await hydrated(page);
  await expect(page.getByTestId('start')).toBeVisible();
}

export type Rating = { level: string; reasons?: string[]; comment?: string; dims?: Record<string, string> };

/** Rates once through the kiosk UI, as a citizen would, and ends the undo window. */
export async function rate(page: Page, r: Rating) {
  await page.getByTestId('start').click();
  await page.getByTestId(`level-${r.level}`).click();
  for (const [dim, level] of Object.entries(r.dims ?? {})) {
    await page.getByTestId(`dim-${dim}-${level}`).click();
  }
  await page.getByTestId('next').click();
  if (r.level.includes('dissatisfied')) {
    for (const reason of r.reasons ?? []) {
      await page.getByTestId(`reason-${reason}`).click();
    }
    if (r.comment) {
      await page.getByTestId('comment').fill(r.comment);
    }
    await page.getByTestId('next').click();
    await expect(page.getByText('请确认您的评价')).toBeVisible();
    await page.getByTestId('confirm').click();
  }
  await expect(page.getByTestId('thanks')).toBeVisible();
  await page.getByTestId('done').click();
  await expect(page.getByTestId('start')).toBeVisible();
}

/** Ids of the ratings this page's kiosk holds in its local queue. */
export async function queuedIds(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Object.keys(localStorage).filter((k) => k.startsWith('hcp.q.')).map((k) => k.slice('hcp.q.'.length)).sort(),
  );
}

export async function adminApi(request: APIRequestContext) {
  const r = await request.post('/api/v1/staff/login', { data: { username: 'admin', password: ADMIN_PASSWORD } });
  expect(r.status()).toBe(200);
  return {
    async ratingIds(): Promise<string[]> {
      const list = await (await request.get('/api/v1/staff/ratings?limit=1000')).json();
      return list.map((x: { id: string }) => x.id).sort();
    },
  };
}

export async function signInAsAdmin(page: Page) {
  await page.goto('/staff/login');
  await hydrated(page);
  await page.getByTestId('username').fill('admin');
  await page.getByTestId('password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login').click();
  await page.waitForURL('**/staff/inbox');
  await hydrated(page);
}
