import { test, expect, type Page } from '@playwright/test';
import { cachedForOffline, hydrated, openKiosk, signInOn, staffApi } from './helpers';

// Issue 12 in the browser: every page hydrates under its nonce CSP with no
// violation, and the service worker keeps no staff page, case link or API
// answer (a tablet is shared; a link is single-use).

/** Records CSP violations from the page's start. */
async function watchCsp(page: Page) {
  await page.addInitScript(() => {
    (window as unknown as { __csp: string[] }).__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __csp: string[] }).__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
}

const violations = (page: Page) => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp);

test('kiosk, phone and staff pages hydrate under their CSP with no violation', async ({ page }) => {
  await watchCsp(page);
  const resp = await page.goto('/q/HALL-DC/W01');
  expect(resp!.headers()['content-security-policy']).toMatch(/script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'/);
  expect(resp!.headers()['x-frame-options']).toBe('DENY');
  await hydrated(page);
  // The rating works: the wasm runs under the policy.
  await page.getByTestId('level-satisfied').click();
  await expect(page.getByTestId('phone')).toBeVisible();
  expect(await violations(page)).toEqual([]);

  await openKiosk(page, 'KIOSK-DC-01');
  await cachedForOffline(page);
  expect(await violations(page)).toEqual([]);

  await signInOn(page, 'admin');
  expect(await violations(page)).toEqual([]);
});

test('the service worker keeps no staff page, case link or API answer, and sign-out leaves nothing', async ({ page }) => {
  await openKiosk(page, 'KIOSK-DC-01');
  await cachedForOffline(page);
  // A citizen's single-use link, opened in the same browser.
  const admin = await staffApi('admin');
  const pushed = await admin.post('/api/v1/cases', { cases: [{ case_no: `SW-${Date.now()}`, place_code: 'HALL-DC', status: 'finished' }] });
  const link = await admin.post(`/api/v1/cases/${pushed.results[0].case_id}/links`, { channel: 'qr_case' });
  await admin.ctx.dispose();
  await page.goto(link.path);
  await hydrated(page);
  // Staff pages on the same (shared) tablet.
  await signInOn(page, 'admin');
  await page.goto('/staff/loop');
  await hydrated(page);
  const cached = () => page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      for (const req of await (await caches.open(name)).keys()) urls.push(new URL(req.url).pathname);
    }
    return urls;
  });
  let urls = await cached();
  expect(urls).toContain('/kiosk/KIOSK-DC-01');
  expect(urls.filter((u) => /^\/(staff|r|f|api)(\/|$)/.test(u))).toEqual([]);
  // The kiosk's page still loads offline (kept), a staff page does not.
  await page.getByTestId('sign-out').click();
  await page.waitForURL('**/staff/login');
  urls = await cached();
  expect(urls.filter((u) => /^\/(staff|r|f|api)(\/|$)/.test(u))).toEqual([]);
});
