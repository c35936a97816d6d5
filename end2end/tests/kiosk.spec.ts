import { test, expect } from '@playwright/test';
import { adminApi, cachedForOffline, hydrated, openKiosk, openStaffPanel, queuedIds, rate, signInAsAdmin } from './helpers';

test('(a) a bad rating given online appears in the signed-in admin inbox', async ({ page }) => {
  await openKiosk(page, 'KIOSK-DC-01');
  const comment = `窗口让我跑了三趟 ${Date.now()}`;
  await rate(page, {
    level: 'very_dissatisfied',
    reasons: ['runaround', 'attitude'],
    comment,
    dims: { attitude: 'very_dissatisfied', efficiency: 'dissatisfied' },
  });
  await expect(page.getByTestId('pending-count')).toHaveAttribute('data-count', '0');
  await expect(page.getByTestId('last-sync')).not.toContainText('尚未同步');

  await signInAsAdmin(page);
  const row = page.getByTestId('inbox-row').filter({ hasText: comment });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('非常不满意');
  await expect(row).toContainText('多头跑、多次跑');
  await expect(row).toContainText('东城区政务服务中心');
});

test('a bad rating needs confirming, and a mis-tap can be taken back', async ({ page }) => {
  await openKiosk(page, 'KIOSK-DC-01');
  await page.getByTestId('level-dissatisfied').click();
  await page.getByTestId('next').click();
  await expect(page.getByText('请确认您的评价')).toBeVisible();
  // 返回修改 goes back to the levels without saving anything.
  await page.getByTestId('back-to-levels').click();
  expect(await queuedIds(page)).toEqual([]);
  // A good rating is one touch, and can still be taken back.
  await page.getByTestId('level-satisfied').click();
  await expect(page.getByTestId('thanks')).toBeVisible();
  expect((await queuedIds(page)).length).toBe(1);
  await page.getByTestId('undo').click();
  await expect(page.getByTestId('notice')).toHaveText('已撤销，请重新评价');
  expect(await queuedIds(page)).toEqual([]);
});

test('(b)+(c) offline: five ratings, a reload while offline, one more; online again the server holds exactly those six', async ({ page, context, request }) => {
  const api = await adminApi(request);
  await openKiosk(page, 'KIOSK-DC-02');
  await cachedForOffline(page);
  const before = await api.ratingIds();

  await context.setOffline(true);
  await openStaffPanel(page);
  await expect(page.getByTestId('offline-badge')).toBeVisible();
  const badComment = `离线差评 ${Date.now()}`;
  await rate(page, { level: 'very_satisfied' });
  await rate(page, { level: 'satisfied', dims: { competence: 'satisfied' } });
  await rate(page, { level: 'dissatisfied', reasons: ['slow', 'long_wait'], comment: badComment });
  await rate(page, { level: 'basic' });
  await rate(page, { level: 'very_satisfied' });
  await expect(page.getByTestId('pending-count')).toHaveAttribute('data-count', '5');

  // A reload with no network: the page comes from the service worker and hydrates.
  await page.reload();
  await hydrated(page);
  await openStaffPanel(page);
  await expect(page.getByTestId('offline-badge')).toBeVisible();
  await expect(page.getByTestId('pending-count')).toHaveAttribute('data-count', '5');
  await rate(page, { level: 'satisfied' });
  await expect(page.getByTestId('pending-count')).toHaveAttribute('data-count', '6');
  const queued = await queuedIds(page);
  expect(queued.length).toBe(6);

  await context.setOffline(false);
  await expect(page.getByTestId('pending-count')).toHaveAttribute('data-count', '0', { timeout: 30_000 });
  const added = (await api.ratingIds()).filter((id) => !before.includes(id)).sort();
  expect(added).toEqual(queued);

  // (c) the inbox shows the bad one.
  await signInAsAdmin(page);
  const row = page.getByTestId('inbox-row').filter({ hasText: badComment });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('不满意');
  await expect(row).toContainText('办事效率低');
});
