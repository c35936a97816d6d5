import { test, expect, type Page } from '@playwright/test';
import { hydrated, lowContrastButtons, openKiosk, openPad, seriousViolations } from './helpers';
import { ADMIN_PASSWORD } from '../playwright.config';

// axe-core on the citizen pages, in standard and 长辈模式: no serious or
// critical violation, and every visible button's text at least 4.5:1
// against its background (axe leaves those it cannot decide
// "incomplete": the blank red 确认提交 passed it). Then 长辈模式's sizes.

async function bothModes(page: Page, screens: Array<() => Promise<void>>) {
  for (const elder of [false, true]) {
    const on = (await page.getByTestId('elder-toggle').getAttribute('aria-pressed')) === 'true';
    if (on !== elder) await page.getByTestId('elder-toggle').click();
    await expect(page.locator('.citizen')).toHaveClass(elder ? /elder/ : /^(?!.*elder)/);
    for (const show of screens) {
      await show();
      expect(await seriousViolations(page), `elder=${elder}`).toEqual([]);
      expect(await lowContrastButtons(page), `elder=${elder}`).toEqual([]);
    }
  }
}

test('the kiosk has no serious accessibility violation in either mode', async ({ page }) => {
  await openKiosk(page, 'KIOSK-DC-01');
  await bothModes(page, [
    async () => { await expect(page.getByTestId('level-satisfied')).toBeVisible(); },
    async () => { await page.getByTestId('level-dissatisfied').click(); await expect(page.getByTestId('comment')).toBeVisible(); },
    async () => { await page.getByTestId('next').click(); await expect(page.getByTestId('confirm')).toBeVisible(); },
    async () => { await page.getByTestId('back-to-levels').click(); await page.getByTestId('enter-case').click(); await expect(page.getByTestId('case-no')).toBeVisible(); },
    async () => { await page.getByTestId('case-cancel').click(); await page.getByTestId('level-satisfied').click(); await expect(page.getByTestId('add-details')).toBeVisible(); },
    async () => { await page.getByTestId('add-details').click(); await expect(page.getByTestId('save-details')).toBeVisible(); },
    async () => { await page.getByTestId('skip-details').click(); await page.reload(); await hydrated(page); await expect(page.getByTestId('level-satisfied')).toBeVisible(); },
  ]);
});

test('the window pad has no serious accessibility violation in either mode: idle, serving, asking', async ({ page, browser }) => {
  await openPad(page, 'PAD-DC-W02');
  const tablet = await (await browser.newContext()).newPage();
  await tablet.goto('/staff/login');
  await hydrated(tablet);
  await tablet.getByTestId('username').fill('window2');
  await tablet.getByTestId('password').fill(ADMIN_PASSWORD);
  await tablet.getByTestId('login').click();
  await tablet.waitForURL(/\/staff$/);
  await tablet.goto('/staff/window');
  await hydrated(tablet);
  await bothModes(page, [
    async () => { await tablet.getByTestId('start-service').click(); await expect(page.getByTestId('pad-serving')).toBeVisible(); },
    async () => { await tablet.getByTestId('finish').click(); await expect(page.getByTestId('pad-case')).toBeVisible(); },
    async () => { await page.getByTestId('level-very_satisfied').click(); await page.getByTestId('done').click(); await expect(page.getByTestId('pad-idle')).toBeVisible(); },
  ]);
  await tablet.context().close();
});

test('the phone page has no serious accessibility violation in either mode', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto('/q/HALL-DC/W01');
  await hydrated(page);
  await bothModes(page, [
    async () => { await expect(page.getByTestId('level-satisfied')).toBeVisible(); },
    async () => { await page.getByTestId('level-satisfied').click(); await expect(page.getByTestId('phone')).toBeVisible(); },
    async () => { await page.getByTestId('back-to-levels').click(); await expect(page.getByTestId('level-satisfied')).toBeVisible(); },
  ]);
});

test('长辈模式: text at least 18pt, headings at least 30pt, every target at least 60px, and the choice is kept', async ({ page }) => {
  await openKiosk(page, 'KIOSK-DC-01');
  await page.getByTestId('elder-toggle').click();
  await expect(page.getByTestId('level-satisfied')).toBeVisible();
  const measure = () => page.evaluate(() => {
    const px = (el: Element) => parseFloat(getComputedStyle(el).fontSize);
    const root = document.querySelector('.citizen')!;
    const texts = [...root.querySelectorAll('p, span, label, button, li, input, textarea')]
      .filter((e) => (e as HTMLElement).offsetParent !== null && (e.textContent ?? '').trim() !== '' && !e.closest('svg'));
    const heads = [...root.querySelectorAll('h1')].filter((e) => (e as HTMLElement).offsetParent !== null);
    const targets = [...root.querySelectorAll('button, input, textarea, select, a')]
      .filter((e) => (e as HTMLElement).offsetParent !== null)
      .map((e) => e.getBoundingClientRect());
    return {
      minText: Math.min(...texts.map(px)),
      minHeading: Math.min(...heads.map(px)),
      headings: heads.length,
      minTarget: Math.min(...targets.map((r) => Math.min(r.width, r.height))),
      targets: targets.length,
    };
  });
  const m = await measure();
  // 18pt = 24px, 30pt = 40px.
  expect(m.minText).toBeGreaterThanOrEqual(24);
  expect(m.headings).toBeGreaterThan(0);
  expect(m.minHeading).toBeGreaterThanOrEqual(40);
  expect(m.targets).toBeGreaterThan(5);
  expect(m.minTarget).toBeGreaterThanOrEqual(60);
  // The read-aloud button is there; without voices it must stay silent, not fail.
  await page.getByTestId('read-aloud').click();
  await expect(page.getByTestId('level-satisfied')).toBeVisible();
  // Kept across a reload.
  await page.reload();
  await hydrated(page);
  await expect(page.locator('.citizen')).toHaveClass(/elder/);
  // Standard mode is smaller: the measurement can fail.
  await page.getByTestId('elder-toggle').click();
  await page.getByTestId('level-dissatisfied').click();
  expect((await measure()).minText).toBeLessThan(24);
});

test('English is one toggle away and the rating still works', async ({ page }) => {
  await page.goto('/q/HALL-DC');
  await hydrated(page);
  await page.getByTestId('lang-toggle').click();
  await expect(page.locator('h1')).toHaveText('How satisfied are you with this service?');
  await expect(page.getByTestId('level-very_satisfied')).toContainText('Very satisfied');
  await expect(page.locator('.citizen')).toHaveAttribute('lang', 'en');
  await page.getByTestId('lang-toggle').click();
  await expect(page.locator('h1')).toHaveText('您对本次服务满意吗？');
});
