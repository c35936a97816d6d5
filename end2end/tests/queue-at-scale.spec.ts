import { test, expect } from '@playwright/test';
import { adminApi, cachedForOffline, hydrated, openKiosk, prefillQueue, queuedIds, rate } from './helpers';

test('with 10,000 ratings queued offline a new one still queues, and all 10,001 arrive exactly once', async ({ page, context, request }) => {
  test.setTimeout(180_000);
  const api = await adminApi(request);
  const before = (await api.summary()).ratings;
  await openKiosk(page, 'KIOSK-DC-01');
  await cachedForOffline(page);
  await context.setOffline(true);
  await prefillQueue(page, 'KIOSK-DC-01', 10_000);
  // An offline reload, served by the service worker, reads the queue afresh.
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('pending-count')).toHaveAttribute('data-count', '10000');

  await rate(page, { level: 'dissatisfied', reasons: ['other'], comment: '一万条之后的评价' });
  await expect(page.getByTestId('pending-count')).toHaveAttribute('data-count', '10001');
  const queued = await queuedIds(page);
  expect(queued.length).toBe(10_001);

  await context.setOffline(false);
  await expect(page.getByTestId('pending-count')).toHaveAttribute('data-count', '0', { timeout: 120_000 });
  expect(await queuedIds(page)).toEqual([]);
  // Exactly once: neither a rating lost nor one stored twice.
  expect((await api.summary()).ratings - before).toBe(10_001);
  const newest = await api.ratingIds();
  const mine = queued.filter((id) => newest.includes(id));
  expect(mine.length).toBeGreaterThan(0);
});
