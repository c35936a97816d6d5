// 好差评 service worker, served by the server at /sw.js with this build's
// asset names filled in (see server/src/assets.rs): the kiosk must load and
// work with no network, including a reload while offline.
//
// - /pkg/ files carry a content hash in their names: cache first, kept in
//   a cache named after the build, dropped when a new build activates.
// - Citizen pages (kiosk, pad, static QR, public results) and the icons,
//   manifest and voice prompts: network first, falling back to the cache
//   when the network fails or is slower than NETWORK_TIMEOUT_MS.
// - Never cached: /api/ (ratings travel through the page's own queue), staff
//   pages (a tablet is shared) and per-case links (/r/, /f/: single-use).
const ASSETS = '__ASSET_CACHE__';
const PAGES = 'hcp-pages';
const NETWORK_TIMEOUT_MS = 4000;
const PRECACHE = __PRECACHE__;

function cacheable(url) {
  const p = url.pathname;
  return url.origin === self.location.origin &&
    !p.startsWith('/api/') && !p.startsWith('/staff') &&
    !p.startsWith('/r/') && !p.startsWith('/f/') && p !== '/sw.js';
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(ASSETS)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const keys = await caches.keys();
    await Promise.all(keys.filter((k) => k !== ASSETS && k !== PAGES).map((k) => caches.delete(k)));
    // Kept pages name the old build's files: fetch them again now.
    const pages = await caches.open(PAGES);
    for (const req of await pages.keys()) {
      if (!cacheable(new URL(req.url))) { await pages.delete(req); continue; }
      try {
        const resp = await fetch(req, { cache: 'no-store' });
        if (resp.ok) await pages.put(req, resp);
      } catch (e) { /* offline now: kept as it was */ }
    }
    await self.clients.claim();
  })());
});

self.addEventListener('message', (event) => {
  const data = event.data || {};
  if (data.keep) {
    const url = new URL(data.keep, self.location.origin);
    if (!cacheable(url)) return;
    event.waitUntil(caches.open(PAGES).then((c) => c.add(url.pathname + url.search)).catch(() => {}));
  } else if (data.forgetStaff) {
    // Sign-out on a shared tablet: nothing of a staff session stays.
    event.waitUntil((async () => {
      for (const name of await caches.keys()) {
        const c = await caches.open(name);
        for (const req of await c.keys()) {
          if (!cacheable(new URL(req.url))) await c.delete(req);
        }
      }
    })());
  }
});

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    promise.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || !cacheable(url)) {
    return;
  }
  if (url.pathname.startsWith('/pkg/')) {
    event.respondWith((async () => {
      const hit = await caches.match(req);
      if (hit) return hit;
      const resp = await fetch(req);
      if (resp.ok) (await caches.open(ASSETS)).put(req, resp.clone());
      return resp;
    })());
    return;
  }
  event.respondWith((async () => {
    const pages = await caches.open(PAGES);
    try {
      const resp = await withTimeout(fetch(req), NETWORK_TIMEOUT_MS);
      if (resp.ok) {
        pages.put(req, resp.clone());
      }
      return resp;
    } catch (err) {
      const hit = (await pages.match(req, { ignoreSearch: req.mode === 'navigate' })) ||
        (await caches.match(req, { ignoreSearch: req.mode === 'navigate' }));
      if (hit) {
        return hit;
      }
      throw err;
    }
  })());
});
