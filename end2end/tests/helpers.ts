import { expect, request as pwRequest, type Page, type APIRequestContext } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { readFileSync } from 'node:fs';
import { ADMIN_PASSWORD, BASE_URL, SMS_FILE } from '../playwright.config';

/** Waits until the wasm has hydrated the page: an SSR page looks right without it. */
export async function hydrated(page: Page) {
  await expect(page.locator('main[data-hydrated="true"]')).toBeAttached();
}

/** An API session of its own (not the page's cookies) signed in as `username`. */
export async function staffApi(username = 'admin') {
  const ctx = await pwRequest.newContext({ baseURL: BASE_URL });
  const r = await ctx.post('/api/v1/staff/login', { data: { username, password: ADMIN_PASSWORD } });
  expect(r.status()).toBe(200);
  const csrf: string = (await r.json()).csrf_token;
  return {
    ctx,
    async get(path: string) {
      const res = await ctx.get(path);
      expect(res.status(), `${path}`).toBe(200);
      return res.json();
    },
    async post(path: string, data: unknown = {}) {
      const res = await ctx.post(path, { data, headers: { 'X-CSRF-Token': csrf } });
      expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
      return res.json();
    },
  };
}

/** The admin issues a one-time code; the device page enrols with it, as staff would type it. */
export async function enrolOnPage(page: Page, code: string) {
  const admin = await staffApi('admin');
  const issued = await admin.post(`/api/v1/admin/devices/${code}/enrolment`);
  await page.getByTestId('enrol-code').fill(issued.enrol_code);
  await page.getByTestId('enrol-submit').click();
  await admin.ctx.dispose();
}

/** Opens a kiosk (enrolling it if needed) and waits until its faces can be touched. */
export async function openKiosk(page: Page, code: string, path = `/kiosk/${code}`) {
  await page.goto(path);
  await hydrated(page);
  if (await page.getByTestId('enrol-form').isVisible()) {
    await enrolOnPage(page, code);
  }
  await expect(page.getByTestId('level-satisfied')).toBeVisible();
}

/** The staff gesture (five taps on the place name) opens the kiosk's or pad's sync panel. */
export async function openStaffPanel(page: Page) {
  const panel = page.getByTestId('staff-panel');
  if (await panel.isVisible()) return;
  for (let i = 0; i < 5; i++) await page.getByTestId('staff-gesture').click();
  await expect(panel).toBeVisible();
}

/**
 * Opens a window pad (enrolling it) until it is connected. It then shows
 * its window's state: idle, a service, or a case finished and unrated.
 */
export async function openPad(page: Page, code: string) {
  await page.goto(`/pad/${code}`);
  await hydrated(page);
  await expect(page.getByTestId('enrol-form')).toBeVisible();
  await enrolOnPage(page, code);
  await expect(page.getByTestId('enrol-form')).toHaveCount(0);
  await expect(page.getByTestId('pad-connected')).toHaveAttribute('data-connected', 'true');
}

/** Rates on a phone / PC page already at the level screen; optional phone on the confirm step. */
export async function rateOnPhone(page: Page, level: string, phone?: string) {
  await page.getByTestId(`level-${level}`).click();
  if (level.includes('dissatisfied')) {
    await page.getByTestId('reason-slow').click();
    await page.getByTestId('next').click();
  }
  if (phone) await page.getByTestId('phone').fill(phone);
  await page.getByTestId('confirm').click();
  await expect(page.getByTestId('thanks')).toBeVisible();
  await page.getByTestId('done').click();
}

export type Rating = { level: string; reasons?: string[]; comment?: string; dims?: Record<string, string>; phone?: string };

/**
 * Rates once through the kiosk UI, as a citizen would, and ends the undo
 * window: a good rating is the face alone; a bad one reasons → confirm;
 * itemized ratings are added from the thank-you screen.
 */
export async function rate(page: Page, r: Rating) {
  await page.getByTestId(`level-${r.level}`).click();
  if (r.level.includes('dissatisfied')) {
    for (const reason of r.reasons ?? []) {
      await page.getByTestId(`reason-${reason}`).click();
    }
    if (r.comment) {
      await page.getByTestId('comment').fill(r.comment);
    }
    await page.getByTestId('next').click();
    await expect(page.getByText('请确认您的评价')).toBeVisible();
    if (r.phone) await page.getByTestId('phone').fill(r.phone);
    await page.getByTestId('confirm').click();
  }
  await expect(page.getByTestId('thanks')).toBeVisible();
  if (r.dims) {
    await page.getByTestId('add-details').click();
    for (const [dim, level] of Object.entries(r.dims)) {
      await page.getByTestId(`dim-${dim}-${level}`).click();
    }
    await page.getByTestId('save-details').click();
    await expect(page.getByTestId('notice')).toContainText('补充评价已保存');
  }
  await page.getByTestId('done').click();
  await expect(page.getByTestId('level-satisfied')).toBeVisible();
}

/** Waits until the service worker controls the page and has cached it, so that it loads offline. */
export async function cachedForOffline(page: Page) {
  await page.evaluate(async () => { await navigator.serviceWorker.ready; });
  await expect
    .poll(() => page.evaluate(async () => !!(await caches.match(location.pathname))))
    .toBe(true);
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
    async summary(): Promise<{ ratings: number; bad: number }> {
      return (await request.get('/api/v1/staff/summary')).json();
    },
    async ratingIds(): Promise<string[]> {
      const list = await (await request.get('/api/v1/staff/ratings?limit=1000')).json();
      return list.map((x: { id: string }) => x.id).sort();
    },
  };
}

/** Signs `username` in on this page, as staff would; lands on their home. */
export async function signInOn(page: Page, username: string) {
  await page.goto('/staff/login');
  await hydrated(page);
  await page.getByTestId('username').fill(username);
  await page.getByTestId('password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login').click();
  await page.waitForURL(/\/staff$/);
  await hydrated(page);
}

export async function signInAsAdmin(page: Page) {
  await page.goto('/staff/login');
  await hydrated(page);
  await page.getByTestId('username').fill('admin');
  await page.getByTestId('password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login').click();
  await page.waitForURL(/\/staff$/);
  await hydrated(page);
  await page.goto('/staff/inbox');
  await hydrated(page);
}

/**
 * Puts `n` valid pending ratings straight into the kiosk's local queue, in
 * the queue's own format, as if the kiosk had been offline for a long time.
 */
export async function prefillQueue(page: Page, code: string, n: number) {
  await page.evaluate(async ({ code, n }) => {
    // The configuration the kiosk cached: this works offline too.
    const cfg = JSON.parse(localStorage.getItem(`hcp.device.${code}`) ?? 'null');
    if (!cfg) throw new Error(`kiosk ${code} has no cached configuration`);
    const hex = (bytes: Uint8Array) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
    const t0 = Date.now() - 86_400_000;
    for (let i = 0; i < n; i++) {
      const t = (t0 + i).toString(16).padStart(12, '0');
      const r = hex(crypto.getRandomValues(new Uint8Array(10)));
      const id = `${t.slice(0, 8)}-${t.slice(8)}-7${r.slice(0, 3)}-${(8 | (parseInt(r[3], 16) & 3)).toString(16)}${r.slice(4, 7)}-${r.slice(7, 19)}`;
      const record = {
        id, device_id: cfg.device_id, seq: i + 1, device_time: t0 + i, channel: 'kiosk', case_no: null,
        place_id: cfg.place_id, window_id: null, level: 'satisfied', dimension_set: cfg.dimension_set,
        items: [], reasons: [], comment: '',
      };
      localStorage.setItem(`hcp.q.${id}`, JSON.stringify({ record, queue: { state: 'pending', hold_until: 0 } }));
    }
    localStorage.setItem(`hcp.seq.${cfg.device_id}`, String(n));
  }, { code, n });
}

/** axe-core's serious and critical WCAG 2.1 A/AA violations on the page, one line each. */
export async function seriousViolations(page: Page) {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * Visible, enabled buttons (and button-like links) whose text contrast with
 * the background behind them is below WCAG AA's 4.5:1, one line each. axe
 * leaves many of these "incomplete"; this computes them: the text colour
 * against the first opaque background up the tree, translucent layers
 * composited over it.
 */
export async function lowContrastButtons(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type C = { r: number; g: number; b: number; a: number };
    const parse = (c: string): C | null => {
      const m = c.match(/rgba?\(([^)]+)\)/);
      if (!m) return null;
      const p = m[1].split(/[ ,/]+/).filter(Boolean).map(parseFloat);
      return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
    };
    const lum = (c: C) => {
      const f = (v: number) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
      return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
    };
    const behind = (el: Element): C => {
      const layers: C[] = [];
      for (let e: Element | null = el; e; e = e.parentElement) {
        const c = parse(getComputedStyle(e).backgroundColor);
        if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
      }
      let base: C = { r: 255, g: 255, b: 255, a: 1 };
      for (const l of layers.reverse()) {
        base = { r: l.r * l.a + base.r * (1 - l.a), g: l.g * l.a + base.g * (1 - l.a), b: l.b * l.a + base.b * (1 - l.a), a: 1 };
      }
      return base;
    };
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('button, a.button-link, a.tile')) {
      if (!el.offsetParent || (el as HTMLButtonElement).disabled || !(el.textContent ?? '').trim()) continue;
      const fg = parse(getComputedStyle(el).color)!;
      const bg = behind(el);
      const [l1, l2] = [lum(fg), lum(bg)];
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      if (ratio < 4.5) out.push(`${el.dataset.testid ?? (el.textContent ?? '').trim()}: ${ratio.toFixed(2)}:1`);
    }
    return out;
  });
}

export type Sms = { phone: string; body: string; purpose: string; case_id: number | null };

/** The SMS sent so far, as the citizens' phones received them (HCP_SMS_FILE). */
export function smsSent(): Sms[] {
  let text = '';
  try {
    text = readFileSync(SMS_FILE, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}
