import { test, expect, type Browser, type Page } from '@playwright/test';
import {
  cachedForOffline, hydrated, lowContrastButtons, openKiosk, openPad, openStaffPanel, prefillQueue, queuedIds, rate, signInAsAdmin, staffApi,
} from './helpers';
import { ADMIN_PASSWORD, REAL_NAME_PORT } from '../playwright.config';

// The rating itself, held to a dedicated terminal (issue 11), at each
// user's real screen size. Screenshots go to end2end/screenshots/ (not in
// git) to be looked at.

const KIOSK_PORTRAIT = { width: 1080, height: 1920 };
const KIOSK_LANDSCAPE = { width: 1920, height: 1080 };
const PHONE = { width: 390, height: 844 };
const PAD = { width: 1280, height: 800 };
const TABLET = { width: 1024, height: 768 };

const shot = (page: Page, name: string) => page.screenshot({ path: `screenshots/${name}.png` });
const uniq = (p: string) => `${p}-${Date.now().toString(36).toUpperCase()}`;

async function signIn(browser: Browser, username: string, viewport = TABLET) {
  const ctx = await browser.newContext({ viewport });
  const page = await ctx.newPage();
  await page.goto('/staff/login');
  await hydrated(page);
  await page.getByTestId('username').fill(username);
  await page.getByTestId('password').fill(ADMIN_PASSWORD);
  await page.getByTestId('login').click();
  await page.waitForURL(/\/staff$/);
  await hydrated(page);
  return { ctx, page };
}

/** Goes to a bad rating's confirm screen on a page showing the faces. */
async function toBadConfirm(page: Page) {
  await page.getByTestId('level-very_dissatisfied').click();
  await page.getByTestId('reason-attitude').click();
  await page.getByTestId('next').click();
  await expect(page.getByTestId('confirm')).toBeVisible();
}

test('the 确认提交 of a bad rating is legible on kiosk, pad and phone, in both modes', async ({ page, browser }) => {
  const check = async (p: Page, name: string) => {
    for (const elder of [false, true]) {
      const on = (await p.getByTestId('elder-toggle').getAttribute('aria-pressed')) === 'true';
      if (on !== elder) await p.getByTestId('elder-toggle').click();
      await toBadConfirm(p);
      const confirm = p.getByTestId('confirm');
      await expect(confirm).toHaveText('确认提交');
      expect(await lowContrastButtons(p), `${name} elder=${elder}`).toEqual([]);
      await shot(p, `confirm-${name}${elder ? '-elder' : ''}`);
      await p.getByTestId('back-to-levels').click();
    }
  };
  await page.setViewportSize(KIOSK_PORTRAIT);
  await openKiosk(page, 'KIOSK-DC-01');
  await check(page, 'kiosk-portrait');

  const phone = await browser.newPage({ viewport: PHONE });
  await phone.goto('/q/HALL-DC/W02');
  await hydrated(phone);
  await check(phone, 'phone');
  await phone.close();

  const pad = await browser.newPage({ viewport: PAD });
  await openPad(pad, 'PAD-DC-W02');
  const { ctx, page: tablet } = await signIn(browser, 'window2');
  await tablet.goto('/staff/window');
  await hydrated(tablet);
  await tablet.getByTestId('start-service').click();
  await tablet.getByTestId('finish').click();
  await expect(pad.getByTestId('level-satisfied')).toBeVisible();
  await check(pad, 'pad');
  // Rated, so the window's next pad is not asked for this case (the pad
  // asks for 30 minutes, until rated or the next case starts).
  await pad.getByTestId('level-satisfied').click();
  await expect(pad.getByTestId('thanks')).toBeVisible();
  await ctx.close();
  await pad.close();
});

test('on the kiosk a good rating is one touch and a bad one at most four', async ({ page }) => {
  await page.setViewportSize(KIOSK_LANDSCAPE);
  await openKiosk(page, 'KIOSK-DC-02');
  await shot(page, 'kiosk-landscape-faces');
  let taps = 0;
  const tap = async (id: string) => { taps += 1; await page.getByTestId(id).click(); };

  await tap('level-very_satisfied');
  await expect(page.getByTestId('thanks')).toBeVisible();
  expect(taps).toBe(1);
  expect((await queuedIds(page)).length).toBe(1);
  // Details are offered, never required.
  await expect(page.getByTestId('add-details')).toBeVisible();
  await shot(page, 'kiosk-landscape-thanks');
  await page.getByTestId('done').click();

  taps = 0;
  await tap('level-very_dissatisfied');
  await tap('reason-long_wait');
  await tap('next');
  await shot(page, 'kiosk-landscape-confirm');
  await tap('confirm');
  await expect(page.getByTestId('thanks')).toBeVisible();
  expect(taps).toBeLessThanOrEqual(4);
  await page.getByTestId('done').click();
  await expect(page.getByTestId('level-satisfied')).toBeVisible();
});

test('details added after a good rating go into that same rating', async ({ page }) => {
  await openKiosk(page, 'KIOSK-DC-02');
  const comment = `补充意见 ${Date.now()}`;
  await page.getByTestId('level-satisfied').click();
  await page.getByTestId('add-details').click();
  // The rating stays on the device while the citizen is adding details.
  await page.waitForTimeout(12_000);
  await page.getByTestId('dim-attitude-very_satisfied').click();
  await page.getByTestId('comment').fill(comment);
  await page.getByTestId('save-details').click();
  await expect(page.getByTestId('notice')).toContainText('补充评价已保存');
  await page.getByTestId('done').click();
  const admin = await staffApi('admin');
  await expect.poll(async () => {
    const list: { comment: string; level: string }[] = await admin.get('/api/v1/staff/ratings?limit=50');
    return list.filter((r) => r.comment === comment).map((r) => r.level);
  }, { timeout: 20_000 }).toEqual(['satisfied']);
  await admin.ctx.dispose();
});

for (const [name, size] of [['portrait', KIOSK_PORTRAIT], ['landscape', KIOSK_LANDSCAPE]] as const) {
  test(`every kiosk step fills a ${name} screen; the faces take at least half of it`, async ({ page }) => {
    await page.setViewportSize(size);
    await openKiosk(page, 'KIOSK-DC-01');
    const fill = () => page.evaluate(() => {
      const screen = document.querySelector('.flow > .screen, .case-screen') as HTMLElement;
      const r = screen.getBoundingClientRect();
      const levels = document.querySelector('.levels')?.getBoundingClientRect();
      return {
        bottom: r.bottom / innerHeight,
        levels: levels ? levels.height / innerHeight : 0,
        scrolls: document.scrollingElement!.scrollHeight > innerHeight + 1,
      };
    });
    const faces = await fill();
    expect(faces.levels).toBeGreaterThanOrEqual(name === 'portrait' ? 0.5 : 0.4);
    expect(faces.scrolls).toBe(false);
    await shot(page, `kiosk-${name}-faces`);
    // The sync state is for staff: hidden until the staff gesture.
    await expect(page.getByTestId('staff-panel')).toBeHidden();
    const steps: Array<[string, () => Promise<void>]> = [
      ['reasons', async () => { await page.getByTestId('level-dissatisfied').click(); }],
      ['confirm', async () => { await page.getByTestId('next').click(); }],
      ['case-entry', async () => { await page.getByTestId('back-to-levels').click(); await page.getByTestId('enter-case').click(); }],
      ['thanks', async () => { await page.getByTestId('case-cancel').click(); await page.getByTestId('level-satisfied').click(); }],
      ['details', async () => { await page.getByTestId('add-details').click(); }],
    ];
    for (const [step, go] of steps) {
      await go();
      await page.waitForTimeout(200);
      const f = await fill();
      expect(f.bottom, step).toBeGreaterThanOrEqual(0.9);
      await shot(page, `kiosk-${name}-${step}`);
    }
    await page.getByTestId('skip-details').click();
    await openStaffPanel(page);
    await expect(page.getByTestId('pending-count')).toBeVisible();
    await shot(page, `kiosk-${name}-staff-panel`);
  });
}

test('ratings that wait more than five minutes are announced on the screen', async ({ page, context }) => {
  await openKiosk(page, 'KIOSK-DC-01');
  await cachedForOffline(page);
  await context.setOffline(true);
  // A fresh rating waiting: nothing to say.
  await page.getByTestId('level-satisfied').click();
  await page.getByTestId('done').click();
  await expect(page.getByTestId('waiting-banner')).toHaveCount(0);
  // A day's ratings waiting (given offline yesterday): the banner says so.
  await prefillQueue(page, 'KIOSK-DC-01', 12);
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('waiting-banner')).toContainText('条评价已安全保存在本机');
  await shot(page, 'kiosk-waiting-banner');
  await context.setOffline(false);
  await expect(page.getByTestId('waiting-banner')).toHaveCount(0, { timeout: 30_000 });
});

test('the pad shows the clerk through a 70-second service, asks at 办结 and keeps asking until rated', async ({ page, browser }) => {
  test.setTimeout(300_000);
  // 工号 and photo, as the system admin enters them.
  const sys = await staffApi('sysadmin');
  const list: { id: number; username: string; place_code: string; window_code: string }[] = await sys.get('/api/v1/admin/staff');
  const clerk = list.find((s) => s.username === 'window2')!;
  const put = await sys.ctx.put(`/api/v1/admin/staff/${clerk.id}`, {
    data: { username: 'window2', display_name: '李娜', role: 'window_staff', place_code: clerk.place_code, window_code: clerk.window_code, staff_no: 'DC0102' },
    headers: { 'X-CSRF-Token': (await (await sys.ctx.get('/api/v1/staff/me')).json()).csrf_token },
  });
  expect(put.status()).toBe(200);
  const photo = await sys.ctx.post(`/api/v1/admin/staff/${clerk.id}/photo`, {
    data: PHOTO_PNG,
    headers: { 'Content-Type': 'image/png', 'X-CSRF-Token': (await (await sys.ctx.get('/api/v1/staff/me')).json()).csrf_token },
  });
  expect(photo.status()).toBe(200);

  await page.setViewportSize(PAD);
  await openPad(page, 'PAD-DC-W02');
  const { ctx, page: tablet } = await signIn(browser, 'window2');
  await tablet.goto('/staff/window');
  await hydrated(tablet);
  const caseNo = uniq('LONG');
  await tablet.getByTestId('case-no').fill(caseNo);
  await tablet.getByTestId('applicant-phone').fill('13500007777');
  await tablet.getByTestId('start-service').click();
  await expect(page.getByTestId('serving-case')).toHaveText(caseNo);
  await expect(page.getByTestId('clerk-name')).toHaveText('李娜');
  await expect(page.getByTestId('clerk-no')).toContainText('DC0102');
  await expect(page.getByTestId('clerk-photo')).toHaveJSProperty('complete', true);
  expect(await page.getByTestId('clerk-photo').evaluate((i: HTMLImageElement) => i.naturalWidth)).toBeGreaterThan(0);
  await shot(page, 'pad-serving');
  // A real service lasts more than the old 60-second idle timer.
  await page.waitForTimeout(70_000);
  await expect(page.getByTestId('serving-case')).toHaveText(caseNo);
  await expect(page.getByTestId('level-satisfied')).toHaveCount(0);
  await tablet.getByTestId('finish').click();
  await expect(page.getByTestId('subject-case')).toContainText(caseNo);
  await shot(page, 'pad-asking');
  // The citizen is slow to turn to the pad: it keeps asking.
  await page.waitForTimeout(70_000);
  await expect(page.getByTestId('subject-case')).toContainText(caseNo);
  await page.getByTestId('level-satisfied').click();
  await expect(page.getByTestId('thanks')).toBeVisible();
  await page.getByTestId('done').click();
  await expect(page.getByTestId('pad-idle')).toBeVisible();
  await shot(page, 'pad-idle');

  // The next citizen leaves without rating: the SMS invitation goes when
  // the clerk starts the case after.
  const left = uniq('LEFT');
  await tablet.getByTestId('case-no').fill(left);
  await tablet.getByTestId('applicant-phone').fill('13500008888');
  await tablet.getByTestId('start-service').click();
  await tablet.getByTestId('finish').click();
  await expect(page.getByTestId('subject-case')).toContainText(left);
  const invited = async () => {
    const out: { body: string; purpose: string }[] = await sys.get('/api/v1/admin/outbox');
    return out.filter((m) => m.body.includes(left) && m.purpose === 'invitation').length;
  };
  expect(await invited()).toBe(0);
  await tablet.getByTestId('start-service').click();
  await expect(page.getByTestId('pad-serving')).toBeVisible();
  await expect.poll(invited).toBe(1);
  // The window is left as it was found: that case finished and rated.
  await tablet.getByTestId('finish').click();
  await page.getByTestId('level-satisfied').click();
  await expect(page.getByTestId('thanks')).toBeVisible();
  await ctx.close();
  await sys.ctx.dispose();
});

test('the first load is compressed, /pkg is kept under hashed names, pages are revalidated', async ({ page }) => {
  const seen: { url: string; encoding?: string; cache?: string; type?: string }[] = [];
  page.on('response', (r) => seen.push({
    url: r.url(), encoding: r.headers()['content-encoding'], cache: r.headers()['cache-control'], type: r.headers()['content-type'],
  }));
  await page.goto('/q/HALL-DC/W01');
  await hydrated(page);
  const doc = seen.find((s) => s.url.endsWith('/q/HALL-DC/W01'))!;
  expect(doc.cache).toBe('no-cache');
  expect(doc.encoding).toBe('br');
  for (const ext of ['wasm', 'js', 'css']) {
    const f = seen.find((s) => new RegExp(`/pkg/hcp\\.[A-Za-z0-9_-]{10,}\\.${ext}$`).test(s.url));
    expect(f, ext).toBeTruthy();
    expect(f!.encoding, ext).toBe('br');
    expect(f!.cache, ext).toContain('immutable');
  }
});

test('the phone page shows place, window and the five faces before any script runs', async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: PHONE, javaScriptEnabled: false });
  const page = await ctx.newPage();
  await page.goto('/q/HALL-DC/W01');
  await expect(page.getByTestId('rate-place')).toContainText('东城区政务服务中心');
  await expect(page.getByTestId('rate-place')).toContainText('1号综合受理窗口');
  for (const level of ['very_satisfied', 'satisfied', 'basic', 'dissatisfied', 'very_dissatisfied']) {
    await expect(page.getByTestId(`level-${level}`)).toBeVisible();
  }
  await expect(page.getByText('正在加载')).toHaveCount(0);
  await shot(page, 'phone-before-wasm');
  await ctx.close();
});

test('phone form: a corrected error leaves the thank-you clean; the 分项评价 rows fit 390 px without breaking a word', async ({ page }) => {
  await page.setViewportSize(PHONE);
  await page.goto('/q/HALL-DC/W03');
  await hydrated(page);
  await expect(page.getByText('正在加载设备信息')).toHaveCount(0);
  await page.getByTestId('level-satisfied').click();
  await expect(page.getByTestId('phone-label')).toContainText('选填');
  await page.getByTestId('phone').fill('12345');
  await page.getByTestId('confirm').click();
  await expect(page.getByTestId('notice')).toContainText('手机号码格式不正确');
  await shot(page, 'phone-phone-error');
  await page.getByTestId('phone').fill('13800001234');
  await page.getByTestId('confirm').click();
  await expect(page.getByTestId('thanks')).toBeVisible();
  await expect(page.getByTestId('notice')).toHaveCount(0);
  await page.getByTestId('add-details').click();
  const rows = await page.evaluate(() => [...document.querySelectorAll('.dimension')].map((d) => {
    const buttons = [...d.querySelectorAll('.dim-level')].map((b) => b.getBoundingClientRect());
    const words = [...d.querySelectorAll('.dim-label .word')].map((w) => w.getClientRects().length);
    return {
      tops: new Set(buttons.map((b) => Math.round(b.top))).size,
      right: Math.max(...buttons.map((b) => b.right)),
      count: buttons.length,
      brokenWords: words.filter((n) => n > 1).length,
    };
  }));
  expect(rows.length).toBeGreaterThan(0);
  for (const r of rows) {
    expect(r.count).toBe(5);
    expect(r.tops).toBe(1);
    expect(r.right).toBeLessThanOrEqual(390);
    expect(r.brokenWords).toBe(0);
  }
  await shot(page, 'phone-details');
});

test('where policy requires a phone, the field says 必填 and a rating without one is held on the page', async ({ browser }) => {
  const ctx = await browser.newContext({ viewport: PHONE, baseURL: `http://127.0.0.1:${REAL_NAME_PORT}` });
  const page = await ctx.newPage();
  await page.goto('/q/HALL-DC/W01');
  await hydrated(page);
  await page.getByTestId('level-satisfied').click();
  await expect(page.getByTestId('phone-label')).toContainText('必填');
  await expect(page.getByTestId('phone-label')).not.toContainText('选填');
  await page.getByTestId('confirm').click();
  await expect(page.getByTestId('notice')).toContainText('请填写手机号码');
  await page.getByTestId('phone').fill('13800005678');
  await page.getByTestId('confirm').click();
  await expect(page.getByTestId('thanks')).toBeVisible();
  await expect(page.getByTestId('notice')).toHaveCount(0);
  await shot(page, 'phone-required-thanks');
  await ctx.close();
});

test('/public fits a 390 px phone and shows its last column on a 1366 px desktop', async ({ page }) => {
  for (const size of [PHONE, { width: 1366, height: 768 }]) {
    await page.setViewportSize(size);
    await page.goto('/public');
    await hydrated(page);
    await expect(page.locator('table.report')).toBeVisible();
    const m = await page.evaluate(() => {
      const wrap = document.querySelector('.table-wrap') as HTMLElement;
      const last = [...document.querySelectorAll('table.report thead tr:last-child th')].pop()!.getBoundingClientRect();
      return { doc: document.documentElement.scrollWidth, wrapRight: wrap.getBoundingClientRect().right, lastRight: last.right, scrolls: wrap.scrollWidth > wrap.clientWidth };
    });
    expect(m.doc, `${size.width}`).toBeLessThanOrEqual(size.width);
    expect(m.wrapRight).toBeLessThanOrEqual(size.width);
    if (size.width >= 1366) {
      expect(m.scrolls).toBe(false);
      expect(m.lastRight).toBeLessThanOrEqual(size.width);
    }
    await shot(page, `public-${size.width}`);
  }
});

test('kiosk and pad speak their recorded prompts, and staff switch them off per device', async ({ page, browser }) => {
  await page.setViewportSize(PAD);
  await openPad(page, 'PAD-DC-W02');
  const { ctx, page: tablet } = await signIn(browser, 'window2');
  await tablet.goto('/staff/window');
  await hydrated(tablet);
  await tablet.getByTestId('start-service').click();
  await tablet.getByTestId('finish').click();
  await expect(page.getByTestId('level-satisfied')).toBeVisible();
  await page.getByTestId('level-satisfied').click();
  await expect(page.getByTestId('thanks')).toBeVisible();
  const prompts = () => page.evaluate(() => (window as unknown as { __hcpPrompts?: string[] }).__hcpPrompts ?? []);
  const expected = ['/audio/zh/please_rate.mp3', '/audio/zh/satisfied.mp3', '/audio/zh/thanks.mp3'];
  await expect.poll(prompts).toEqual(expected);
  const said = await prompts();
  // Each is a real recording the browser can play.
  for (const url of said) {
    const seconds = await page.evaluate((u) => new Promise<number>((done, fail) => {
      const a = new Audio(u);
      a.onloadedmetadata = () => done(a.duration);
      a.onerror = () => fail(new Error(`${u} does not play`));
    }), url);
    expect(seconds, url).toBeGreaterThan(0.3);
  }
  await ctx.close();

  // Off for one kiosk: it stays silent.
  const admin = await staffApi('admin');
  await admin.post('/api/v1/admin/devices/KIOSK-DC-02/voice', { voice: false });
  await openKiosk(page, 'KIOSK-DC-02');
  await page.reload();
  await hydrated(page);
  await page.getByTestId('level-satisfied').click();
  await expect(page.getByTestId('thanks')).toBeVisible();
  expect(await prompts()).toEqual([]);
  await admin.post('/api/v1/admin/devices/KIOSK-DC-02/voice', { voice: true });
  await admin.ctx.dispose();
});

const STAFF_PAGES = [
  '/staff', '/staff/window', '/staff/mine', '/staff/loop', '/staff/inbox', '/staff/reports', '/staff/flags',
  '/staff/entry', '/staff/devices', '/staff/import', '/staff/org', '/staff/accounts', '/staff/calendar', '/staff/settings',
];

test('each role lands on its own home; every staff page has the navigation and 退出登录; a clerk meets no half page', async ({ browser }) => {
  const homes: Record<string, string[]> = {
    window1: ['home-window', 'home-mine'],
    admin: ['home-loop', 'home-reports', 'home-devices'],
    supervisor: ['home-reports', 'home-flags', 'home-loop'],
    sysadmin: ['home-org', 'home-accounts', 'home-devices'],
  };
  for (const [user, tiles] of Object.entries(homes)) {
    const { ctx, page } = await signIn(browser, user);
    for (const t of tiles) await expect(page.getByTestId(t)).toBeVisible();
    expect(await lowContrastButtons(page), user).toEqual([]);
    await shot(page, `staff-home-${user}`);
    if (user === 'admin') await expect(page.getByTestId('home-open')).toContainText('待办');
    if (user === 'supervisor') await expect(page.getByTestId('home-flags-pending')).toContainText('待复核');
    for (const path of STAFF_PAGES) {
      await page.goto(path);
      await hydrated(page);
      await expect(page.getByTestId('sign-out'), `${user} ${path}`).toBeVisible();
      await expect(page.locator('nav.staff-nav a').first(), `${user} ${path}`).toBeVisible();
      // Either the page, or a clear refusal and a way home: never half of one.
      const refused = await page.getByTestId('page-refused').isVisible();
      if (refused) {
        await expect(page.getByTestId('error')).toHaveCount(0);
        await expect(page.locator('table, form')).toHaveCount(0);
      }
      if (user === 'window1' && ['/staff/reports', '/staff/org', '/staff/loop', '/staff/devices'].includes(path)) {
        expect(refused, path).toBe(true);
        await shot(page, `staff-refused-${path.replaceAll('/', '_')}`);
      }
    }
    await page.goto('/staff');
    await hydrated(page);
    await page.getByTestId('sign-out').click();
    await page.waitForURL('**/staff/login');
    expect((await page.request.get('/api/v1/staff/me')).status()).toBe(401);
    await ctx.close();
  }
});

test('the devices page shows each device\'s last contact and flags a kiosk silent for more than a day', async ({ browser, page }) => {
  await openKiosk(page, 'KIOSK-DC-01');
  // The kiosk speaks to the server: a citizen rates, the rating is sent.
  await rate(page, { level: 'satisfied' });
  await expect.poll(() => queuedIds(page), { timeout: 20_000 }).toEqual([]);
  const { ctx, page: admin } = await signIn(browser, 'admin');
  await admin.goto('/staff/devices');
  await hydrated(admin);
  const silent = admin.getByTestId('device-row').filter({ hasText: 'KIOSK-DC-09' });
  await expect(silent).toHaveAttribute('data-silent', 'true');
  await expect(silent.getByTestId('device-silent')).toBeVisible();
  const live = admin.getByTestId('device-row').filter({ hasText: 'KIOSK-DC-01' });
  await expect(live).toHaveAttribute('data-silent', 'false');
  // The last contact is minutes old at most, in China time (compared as
  // an instant, so the test holds across China's midnight).
  await expect.poll(async () => {
    const shown = (await live.getByTestId('device-last-seen').textContent()) ?? '';
    const m = shown.match(/(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2})/);
    if (!m) return `no time in ${JSON.stringify(shown)}`;
    const at = Date.parse(`${m[1]}T${m[2]}:${m[3]}:00+08:00`);
    return Math.abs(Date.now() - at) < 3 * 60_000 ? 'recent' : `${shown} is not within 3 minutes of now`;
  }).toBe('recent');
  await shot(admin, 'staff-devices');
  await ctx.close();
});

test('a unit administrator chooses SMS notices on 我的设置, with clear errors', async ({ browser }) => {
  const { ctx, page } = await signIn(browser, 'admin-xc');
  // The saved settings arrive late (a slow link): what is typed meanwhile stays.
  let answered = false;
  await page.route('**/api/v1/staff/settings', async (route) => {
    if (route.request().method() !== 'GET') return route.continue();
    await new Promise((r) => setTimeout(r, 1500));
    await route.continue();
    answered = true;
  });
  await page.goto('/staff/settings');
  await hydrated(page);
  await page.getByTestId('settings-phone').fill('1380000');
  await page.getByTestId('notify-instant').check();
  expect(answered, 'typed before the saved settings arrived').toBe(false);
  await expect.poll(() => answered).toBe(true);
  await page.waitForTimeout(200);
  await expect(page.getByTestId('settings-phone')).toHaveValue('1380000');
  await expect(page.getByTestId('notify-instant')).toBeChecked();
  await page.unroute('**/api/v1/staff/settings');
  await page.getByTestId('settings-save').click();
  await expect(page.getByTestId('settings-error')).toContainText('手机号码应为 11 位数字');
  await page.getByTestId('settings-phone').fill('13800009999');
  await page.getByTestId('notify-digest').check();
  await page.getByTestId('settings-save').click();
  await expect(page.getByTestId('settings-saved')).toBeVisible();
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId('settings-phone')).toHaveValue('13800009999');
  await expect(page.getByTestId('notify-digest')).toBeChecked();
  await shot(page, 'staff-settings');
  await ctx.close();
});

/** A 4×4 PNG photo. */
const PHOTO_PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000004000000040802000000269309290000001049444154789c633861a301470cc47100f1c312c15cec06d70000000049454e44ae426082',
  'hex',
);

test('reports: the table starts above the fold on the tablet, with month-over-month lines and the hour × weekday heat maps', async ({ browser }) => {
  const { ctx, page } = await signIn(browser, 'supervisor');
  await page.goto('/staff/reports/districts');
  await hydrated(page);
  const table = page.locator('[data-testid="report-table"][data-code="districts"]');
  await expect(table).toBeVisible();
  expect((await table.boundingBox())!.y).toBeLessThan(TABLET.height - 100);
  await shot(page, 'reports-tablet-top');
  const lines = page.getByTestId('trend-line');
  await expect(lines).toHaveCount(5);
  await expect(lines.filter({ hasText: '好评率' })).toBeVisible();
  // The heat map counts the same ratings as the table: the 合计 row's 评价数.
  const key = await table.getByRole('columnheader', { name: '评价数', exact: true }).getAttribute('data-key');
  const total = Number((await table.locator(`[data-testid="report-total"] td[data-key="${key}"]`).textContent())!.trim());
  expect(total).toBeGreaterThan(0);
  await expect(page.getByTestId('heat-ratings')).toHaveAttribute('data-total', String(total));
  await page.getByTestId('heat-ratings').scrollIntoViewIfNeeded();
  await shot(page, 'reports-tablet-trends');
  // Another table from the list: the page follows.
  await page.getByTestId('report-select').selectOption('departments');
  await expect(page.locator('[data-testid="report-table"][data-code="departments"]')).toBeVisible();
  await ctx.close();
});

test('a suggestion given with a good rating reaches the inbox filed under its topic; a company says who it is', async ({ page, browser }) => {
  await openKiosk(page, 'KIOSK-DC-02');
  const stamp = Date.now();
  const suggestion = `希望增加取号机，高峰期排队太久 ${stamp}`;
  await page.getByTestId('level-very_satisfied').click();
  await page.getByTestId('add-details').click();
  await page.getByTestId('comment').fill(suggestion);
  await page.getByTestId('save-details').click();
  await expect(page.getByTestId('notice')).toContainText('补充评价已保存');
  await page.getByTestId('done').click();
  // A bad rating from a company: the confirm screen asks who rates, optionally.
  await page.getByTestId('level-dissatisfied').click();
  await page.getByTestId('reason-slow').click();
  await page.getByTestId('next').click();
  const org = page.getByTestId('evaluator-organisation');
  await expect(org).toHaveText('法人或其他组织');
  await org.click();
  await expect(org).toHaveAttribute('aria-pressed', 'true');
  await page.getByTestId('confirm').click();
  await expect(page.getByTestId('thanks')).toBeVisible();
  await page.getByTestId('done').click();

  const ctx = await browser.newContext();
  const staff = await ctx.newPage();
  await signInAsAdmin(staff);
  await staff.getByTestId('tab-suggestions').click();
  const row = staff.getByTestId('suggestion-row').filter({ hasText: String(stamp) });
  await expect(row).toHaveAttribute('data-topic', 'waiting', { timeout: 20_000 });
  await expect(row).toContainText('排队等候');
  await staff.getByTestId('topic-waiting').click();
  await expect(staff.getByTestId('suggestion-row').filter({ hasText: String(stamp) })).toHaveCount(1);
  await ctx.close();
  // The export says 法人或其他组织 for the company's rating.
  const sup = await staffApi('supervisor');
  // China dates from ten minutes ago to now: the rating may fall before midnight.
  const chinaDay = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 10);
  const [from, to] = [chinaDay(Date.now() - 600_000), chinaDay(Date.now())];
  await expect.poll(async () => {
    const res = await sup.ctx.get(`/api/v1/exports/ratings?from=${from}&to=${to}`);
    return (await res.text()).split('\r\n').filter((l) => l.includes('自助终端,不满意') && l.endsWith(',法人或其他组织')).length;
  }, { timeout: 20_000 }).toBeGreaterThan(0);
  await sup.ctx.dispose();
});
