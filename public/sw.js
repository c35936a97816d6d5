// 好差评 service worker: the kiosk must load and work with no network,
// including a reload while offline.
//
// Same-origin GETs go to the network first (so a deployment is picked up
// at once) and fall back to the cache when the network fails or is slower
// than NETWORK_TIMEOUT_MS. /api/ is never cached: ratings travel through the
// page's own queue, never through this worker.
const CACHE = 'hcp-v1';
const NETWORK_TIMEOUT_MS = 4000;
const PRECACHE = [
  '/',
  '/pkg/hcp.js',
  '/pkg/hcp.wasm',
  '/pkg/hcp.css',
  '/manifest.webmanifest',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll(PRECACHE))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
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
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/api/')) {
    return;
  }
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const resp = await withTimeout(fetch(req), NETWORK_TIMEOUT_MS);
      if (resp.ok) {
        cache.put(req, resp.clone());
      }
      return resp;
    } catch (err) {
      const hit = await cache.match(req, { ignoreSearch: req.mode === 'navigate' });
      if (hit) {
        return hit;
      }
      throw err;
    }
  })());
});
