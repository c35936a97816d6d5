import { test, expect, type Page } from '@playwright/test';
import { hydrated, openKiosk, signInAsAdmin } from './helpers';

/** The /pkg files a page fetches, by name. */
function pkgRequests(page: Page): string[] {
  const names: string[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/pkg/')) names.push(u.pathname.slice('/pkg/'.length));
  });
  return names;
}

test('a kiosk page loads the terminal bundle, no staff or phone code, and rates', async ({ page }) => {
  const names = pkgRequests(page);
  await openKiosk(page, 'KIOSK-DC-01');
  expect(names.some((n) => /^hcp-terminal\.([\w-]+\.)?wasm$/.test(n)), names.join(' ')).toBe(true);
  expect(names.filter((n) => n.startsWith('hcp-staff')), names.join(' ')).toEqual([]);
  expect(names.filter((n) => /^hcp\.([\w-]+\.)?wasm$/.test(n)), names.join(' ')).toEqual([]);
  await page.getByTestId('level-satisfied').click();
  await expect(page.getByTestId('thanks')).toBeVisible();
  expect(names.filter((n) => n.startsWith('hcp-staff'))).toEqual([]);
});

test('a phone rating page hydrates with the citizen bundle, not the terminal one', async ({ page }) => {
  const names = pkgRequests(page);
  await page.goto('/q/HALL-DC/W01');
  await hydrated(page);
  await expect(page.getByTestId('level-satisfied')).toBeVisible();
  expect(names.some((n) => /^hcp\.([\w-]+\.)?wasm$/.test(n)), names.join(' ')).toBe(true);
  expect(names.filter((n) => /^hcp-(terminal|staff)\./.test(n)), names.join(' ')).toEqual([]);
});

test('a staff page hydrates with the staff bundle, not the citizen one', async ({ page }) => {
  const names = pkgRequests(page);
  await signInAsAdmin(page);
  await hydrated(page);
  expect(names.some((n) => /^hcp-staff\.([\w-]+\.)?wasm$/.test(n)), names.join(' ')).toBe(true);
  expect(names.filter((n) => /^hcp\.([\w-]+\.)?wasm$/.test(n))).toEqual([]);
});

test('a link from a citizen page to a staff page loads the staff page with its bundle', async ({ page }) => {
  const names = pkgRequests(page);
  await page.goto('/');
  await hydrated(page);
  await page.getByRole('link', { name: '工作人员登录' }).click();
  await expect(page).toHaveURL(/\/staff\/login$/);
  await hydrated(page);
  await expect(page.getByTestId('username')).toBeVisible();
  expect(names.some((n) => n.startsWith('hcp-staff')), names.join(' ')).toBe(true);
});
