import { test, expect } from '@playwright/test';
import { cachedForOffline, hydrated, openKiosk, queuedIds, signInAsAdmin } from './helpers';

test('an unfinished rating is abandoned after three minutes untouched, and the thank-you screen times out', async ({ page }) => {
  await page.clock.install();
  await openKiosk(page, 'KIOSK-DC-01');
  await page.getByTestId('level-dissatisfied').click();
  await expect(page.getByText('请告诉我们哪里做得不好')).toBeVisible();
  await page.getByTestId('reason-slow').click();
  await page.clock.fastForward(181_000);
  await expect(page.getByTestId('level-satisfied')).toBeVisible();
  await expect(page.getByText('请告诉我们哪里做得不好')).toHaveCount(0);
  expect(await queuedIds(page)).toEqual([]);

  await page.getByTestId('level-satisfied').click();
  await expect(page.getByTestId('thanks')).toBeVisible();
  await expect(page.getByTestId('thanks')).toContainText('10 秒内可撤销');
  await page.clock.fastForward(11_000);
  await expect(page.getByTestId('level-satisfied')).toBeVisible();
  // Out of its undo window, the rating was uploaded.
  await expect(page.getByTestId('pending-count')).toHaveAttribute('data-count', '0');
});

test('when device storage is full the rating is kept in memory, staff are warned, and it still reaches the server', async ({ page }) => {
  await openKiosk(page, 'KIOSK-DC-02');
  // From now on every queue write fails as on a full device.
  await page.evaluate(() => {
    const setItem = Storage.prototype.setItem;
    Storage.prototype.setItem = function (key: string, value: string) {
      if (key.startsWith('hcp.q.')) throw new DOMException('the quota has been exceeded', 'QuotaExceededError');
      return setItem.call(this, key, value);
    };
  });
  const comment = `存储已满时的评价 ${Date.now()}`;
  await page.getByTestId('level-very_dissatisfied').click();
  await page.getByTestId('reason-attitude').click();
  await page.getByTestId('comment').fill(comment);
  await page.getByTestId('next').click();
  await page.getByTestId('confirm').click();
  await expect(page.getByTestId('thanks')).toBeVisible();
  // Said on the screen, not only on the staff panel.
  await expect(page.getByTestId('storage-banner')).toContainText('存储空间已满');
  await expect(page.getByTestId('unsaved-banner')).toBeVisible();
  expect(await queuedIds(page)).toEqual([]);
  await page.getByTestId('done').click();
  // Sent first; once the server holds it, the in-memory copy goes.
  await expect(page.getByTestId('unsaved-banner')).toHaveCount(0, { timeout: 20_000 });
  await signInAsAdmin(page);
  await expect(page.getByTestId('inbox-row').filter({ hasText: comment })).toHaveCount(1);
});

test('the app is installable: a manifest with its icons and a service worker that controls the page', async ({ page, request }) => {
  const manifest = await (await request.get('/manifest.webmanifest')).json();
  expect(manifest.display).toBe('standalone');
  expect(manifest.start_url).toBe('/');
  expect(manifest.icons.map((i: { sizes: string }) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
  for (const icon of manifest.icons) {
    const r = await request.get(icon.src);
    expect(r.ok()).toBe(true);
    expect(r.headers()['content-type']).toContain('image/png');
  }
  await openKiosk(page, 'KIOSK-DC-01');
  await expect(page.locator('link[rel="manifest"]')).toHaveAttribute('href', '/manifest.webmanifest');
  await cachedForOffline(page);
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller?.scriptURL ?? '')).toContain('/sw.js');
});

test('a kiosk that was never configured says so instead of showing an empty screen', async ({ page }) => {
  await page.goto('/kiosk/NO-SUCH-KIOSK');
  await hydrated(page);
  // Not enrolled: the kiosk asks for an enrolment code, and a made-up one is refused clearly.
  await page.getByTestId('enrol-code').fill('12345678');
  await page.getByTestId('enrol-submit').click();
  await expect(page.getByTestId('enrol-error')).toContainText('启用码不正确');
  await expect(page.getByTestId('level-satisfied')).toHaveCount(0);
});
