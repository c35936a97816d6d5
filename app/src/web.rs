//! Small wrappers over browser APIs that web-sys exposes awkwardly or not at all.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Ten random bytes for a UUIDv7, from the Web Crypto API.
pub fn random_10() -> [u8; 10] {
    let mut buf = [0u8; 10];
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .map(|c| c.get_random_values_with_u8_array(&mut buf).is_ok())
        .unwrap_or(false);
    if !filled {
        // No Web Crypto (very old browser): Math.random still makes ids
        // unique enough next to the millisecond timestamp.
        for b in &mut buf {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    buf
}

pub fn is_online() -> bool {
    web_sys::window()
        .map(|w| w.navigator().on_line())
        .unwrap_or(true)
}

/// Runs `f` on every `online` / `offline` event of the window.
pub fn on_connectivity_change(f: impl Fn(bool) + 'static) {
    let Some(w) = web_sys::window() else { return };
    let f = std::rc::Rc::new(f);
    for (name, value) in [("online", true), ("offline", false)] {
        let f = f.clone();
        let cb = Closure::<dyn Fn()>::new(move || f(value));
        let _ = w.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
        // Listens for the page's lifetime.
        cb.forget();
    }
}

/// Runs `job` while holding the origin-wide Web Lock `name`, so that only one
/// tab syncs at a time. Returns false, without running it, when another
/// holder has the lock. Browsers without Web Locks run it unlocked.
pub async fn with_lock_if_available<F>(name: &str, job: F) -> bool
where
    F: std::future::Future<Output = ()> + 'static,
{
    let locks = web_sys::window()
        .map(|w| w.navigator())
        .and_then(|n| js_sys::Reflect::get(&n, &"locks".into()).ok())
        .filter(|l| !l.is_undefined() && !l.is_null());
    let Some(locks) = locks else {
        job.await;
        return true;
    };
    let request = js_sys::Reflect::get(&locks, &"request".into())
        .ok()
        .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
    let Some(request) = request else {
        job.await;
        return true;
    };
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"ifAvailable".into(), &JsValue::TRUE);
    let mut job = Some(job);
    let cb = Closure::once_into_js(move |lock: JsValue| -> js_sys::Promise {
        match job.take() {
            Some(job) if !lock.is_null() => wasm_bindgen_futures::future_to_promise(async move {
                job.await;
                Ok(JsValue::TRUE)
            }),
            _ => js_sys::Promise::resolve(&JsValue::FALSE),
        }
    });
    match request.call3(&locks, &name.into(), &opts, &cb) {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(p))
            .await
            .map(|v| v.as_bool().unwrap_or(false))
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// Asks the browser to keep this origin's storage under pressure; true if granted.
pub async fn request_persistent_storage() -> bool {
    let Some(storage) = web_sys::window().map(|w| w.navigator().storage()) else {
        return false;
    };
    match storage.persist() {
        Ok(p) => wasm_bindgen_futures::JsFuture::from(p)
            .await
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
        Err(_) => false,
    }
}

/// (usage, quota) in bytes from `navigator.storage.estimate()`.
pub async fn storage_estimate() -> Option<(f64, f64)> {
    let storage = web_sys::window()?.navigator().storage();
    let est = wasm_bindgen_futures::JsFuture::from(storage.estimate().ok()?)
        .await
        .ok()?;
    let get = |k: &str| {
        js_sys::Reflect::get(&est, &k.into())
            .ok()
            .and_then(|v| v.as_f64())
    };
    Some((get("usage")?, get("quota")?))
}

/// Reads `text` aloud with the Web Speech API where the browser has it;
/// silently does nothing elsewhere (many kiosks have no voices).
pub fn speak(text: &str, lang: &str) {
    let Some(w) = web_sys::window() else { return };
    let Ok(synth) = w.speech_synthesis() else {
        return;
    };
    let Ok(u) = web_sys::SpeechSynthesisUtterance::new_with_text(text) else {
        return;
    };
    u.set_lang(lang);
    u.set_rate(0.9);
    synth.cancel();
    synth.speak(&u);
}

/// The device's stored token (`Authorization: Bearer`), if it has enrolled.
pub fn device_token(code: &str) -> Option<String> {
    use gloo_storage::{LocalStorage, Storage};
    LocalStorage::get::<String>(format!("hcp.token.{code}")).ok()
}

pub fn set_device_token(code: &str, token: &str) {
    use gloo_storage::{LocalStorage, Storage};
    let _ = LocalStorage::set(format!("hcp.token.{code}"), token);
}

thread_local! {
    /// The page's one AudioContext, kept so a touch can resume it.
    static AUDIO: std::cell::RefCell<Option<JsValue>> = const { std::cell::RefCell::new(None) };
    static STREAMS: std::cell::RefCell<Vec<(u32, EventStream)>> = const { std::cell::RefCell::new(Vec::new()) };
    static NEXT_STREAM: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Calls `obj.method(...args)`; web-sys's Web Audio bindings would need
/// many more features for two beeps.
fn call(obj: &JsValue, method: &str, args: &[JsValue]) -> Option<JsValue> {
    let f = js_sys::Reflect::get(obj, &method.into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    f.apply(obj, &args.iter().collect::<js_sys::Array>()).ok()
}

fn audio_context() -> Option<JsValue> {
    AUDIO.with(|a| {
        if let Some(c) = a.borrow().as_ref() {
            return Some(c.clone());
        }
        let w = web_sys::window()?;
        let ctor = ["AudioContext", "webkitAudioContext"]
            .iter()
            .find_map(|n| {
                js_sys::Reflect::get(&w, &(*n).into())
                    .ok()
                    .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
            })?;
        let ctx = js_sys::Reflect::construct(&ctor, &js_sys::Array::new()).ok()?;
        *a.borrow_mut() = Some(ctx.clone());
        Some(ctx)
    })
}

/// Whether the browser holds sound back until the user touches the page
/// (autoplay policy). Creates the page's AudioContext if needed.
pub fn audio_suspended() -> bool {
    audio_context()
        .and_then(|c| js_sys::Reflect::get(&c, &"state".into()).ok())
        .and_then(|s| s.as_string())
        .is_some_and(|s| s == "suspended")
}

/// Resumes the AudioContext (call from a click); true if sound can play.
pub async fn resume_audio() -> bool {
    if let Some(p) = audio_context().and_then(|c| call(&c, "resume", &[])) {
        let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(p)).await;
    }
    !audio_suspended()
}

/// The new-bad-rating alert: two 0.3 s beeps at 880 Hz. Counts itself in
/// `window.__hcpBeeps`, so tests can see it played even without speakers.
pub fn beep() {
    if let Some(w) = web_sys::window() {
        let key = JsValue::from_str("__hcpBeeps");
        let n = js_sys::Reflect::get(&w, &key)
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(0.0);
        let _ = js_sys::Reflect::set(&w, &key, &JsValue::from_f64(n + 1.0));
    }
    let _ = play_beeps();
}

fn play_beeps() -> Option<()> {
    let ctx = audio_context()?;
    if audio_suspended() {
        // Works once the user has touched the page since it loaded.
        let _ = call(&ctx, "resume", &[]);
    }
    let now = js_sys::Reflect::get(&ctx, &"currentTime".into())
        .ok()?
        .as_f64()?;
    let dest = js_sys::Reflect::get(&ctx, &"destination".into()).ok()?;
    for i in 0..2 {
        let start = now + 0.05 + f64::from(i) * 0.45;
        let osc = call(&ctx, "createOscillator", &[])?;
        let gain = call(&ctx, "createGain", &[])?;
        let _ = js_sys::Reflect::set(&osc, &"type".into(), &"sine".into());
        let freq = js_sys::Reflect::get(&osc, &"frequency".into()).ok()?;
        let _ = js_sys::Reflect::set(&freq, &"value".into(), &JsValue::from_f64(880.0));
        let level = js_sys::Reflect::get(&gain, &"gain".into()).ok()?;
        let _ = js_sys::Reflect::set(&level, &"value".into(), &JsValue::from_f64(0.3));
        call(&osc, "connect", std::slice::from_ref(&gain))?;
        call(&gain, "connect", std::slice::from_ref(&dest))?;
        call(&osc, "start", &[JsValue::from_f64(start)])?;
        call(&osc, "stop", &[JsValue::from_f64(start + 0.3)])?;
    }
    Some(())
}

struct EventStream {
    source: web_sys::EventSource,
    _listeners: Vec<Closure<dyn Fn(web_sys::Event)>>,
}

/// An open server-sent event stream; `close` ends it. Only an id, so it can
/// go into `on_cleanup`.
#[derive(Debug)]
pub struct StreamHandle(u32);

impl StreamHandle {
    pub fn close(self) {
        STREAMS.with(|s| {
            let mut s = s.borrow_mut();
            if let Some(i) = s.iter().position(|(id, _)| *id == self.0) {
                s.remove(i).1.source.close();
            }
        });
    }
}

/// Listens to the `event` events of an EventSource on `url` (same origin,
/// cookies sent): `on_data` gets each event's data, `on_open` runs on every
/// (re)connection, `on_error` when the connection drops. The browser
/// reconnects by itself.
pub fn event_stream(
    url: &str,
    event: &str,
    on_data: impl Fn(String) + 'static,
    on_open: impl Fn() + 'static,
    on_error: impl Fn() + 'static,
) -> Option<StreamHandle> {
    let source = web_sys::EventSource::new(url).ok()?;
    let data = Closure::<dyn Fn(web_sys::Event)>::new(move |ev: web_sys::Event| {
        if let Some(d) = ev
            .dyn_ref::<web_sys::MessageEvent>()
            .and_then(|m| m.data().as_string())
        {
            on_data(d);
        }
    });
    let open = Closure::<dyn Fn(web_sys::Event)>::new(move |_: web_sys::Event| on_open());
    let error = Closure::<dyn Fn(web_sys::Event)>::new(move |_: web_sys::Event| on_error());
    for (name, cb) in [(event, &data), ("open", &open), ("error", &error)] {
        let _ = source.add_event_listener_with_callback(name, cb.as_ref().unchecked_ref());
    }
    let id = NEXT_STREAM.with(|n| {
        n.set(n.get() + 1);
        n.get()
    });
    STREAMS.with(|s| {
        s.borrow_mut().push((
            id,
            EventStream {
                source,
                _listeners: vec![data, open, error],
            },
        ))
    });
    Some(StreamHandle(id))
}

/// A prompt playing, and its "ended" handler (kept alive while it plays).
type Playing = (web_sys::HtmlAudioElement, Closure<dyn Fn()>);

thread_local! {
    /// The one voice-prompt player: a new prompt stops the one playing.
    static VOICE: std::cell::RefCell<Option<Playing>> = const { std::cell::RefCell::new(None) };
}

/// Plays recorded prompts one after another (`/audio/...`), stopping any
/// prompt still playing. Each file played is appended to
/// `window.__hcpPrompts`, so tests can see what was said without speakers.
pub fn play_prompts(urls: Vec<String>) {
    VOICE.with(|v| {
        if let Some((old, _)) = v.borrow_mut().take() {
            let _ = old.pause();
        }
    });
    play_next(std::rc::Rc::new(std::cell::RefCell::new(
        urls.into_iter().collect::<std::collections::VecDeque<_>>(),
    )));
}

fn play_next(rest: std::rc::Rc<std::cell::RefCell<std::collections::VecDeque<String>>>) {
    let Some(url) = rest.borrow_mut().pop_front() else {
        return;
    };
    let Ok(audio) = web_sys::HtmlAudioElement::new_with_src(&url) else {
        return;
    };
    if let Some(w) = web_sys::window() {
        let key = JsValue::from_str("__hcpPrompts");
        let list = js_sys::Reflect::get(&w, &key)
            .ok()
            .and_then(|v| v.dyn_into::<js_sys::Array>().ok())
            .unwrap_or_else(|| {
                let a = js_sys::Array::new();
                let _ = js_sys::Reflect::set(&w, &key, &a);
                a
            });
        list.push(&JsValue::from_str(&url));
    }
    let next = rest.clone();
    let on_end = Closure::<dyn Fn()>::new(move || play_next(next.clone()));
    audio.set_onended(Some(on_end.as_ref().unchecked_ref()));
    // Refused without a touch since the page loaded (autoplay policy): the
    // screen says the same, so nothing is lost.
    if let Ok(p) = audio.play() {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = wasm_bindgen_futures::JsFuture::from(p).await;
        });
    }
    VOICE.with(|v| *v.borrow_mut() = Some((audio, on_end)));
}

/// Sends `key: value` to the service worker controlling the page, if any.
fn tell_service_worker(key: &str, value: &JsValue) {
    let Some(w) = web_sys::window() else { return };
    let Ok(sw) = js_sys::Reflect::get(&w.navigator(), &"serviceWorker".into()) else {
        return;
    };
    let Ok(controller) = js_sys::Reflect::get(&sw, &"controller".into()) else {
        return;
    };
    if controller.is_null() || controller.is_undefined() {
        return;
    }
    let msg = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&msg, &key.into(), value);
    let _ = call(&controller, "postMessage", &[msg.into()]);
}

/// Asks the service worker to keep `paths` for offline use (a kiosk's
/// voice prompts); it ignores what it may not keep.
pub fn keep_offline(paths: &[String]) {
    for p in paths {
        tell_service_worker("keep", &JsValue::from_str(p));
    }
}

/// At sign-out: asks the service worker to drop anything a staff session
/// left in its caches (it caches no staff page or API answer; this also
/// covers a worker from an older build).
pub fn forget_staff_caches() {
    tell_service_worker("forgetStaff", &JsValue::TRUE);
}

/// Today in China (browser only).
pub fn china_today() -> domain::calendar::Date {
    domain::calendar::Date::of_instant(now_ms())
}

/// Loads a page from the server (not through the client-side router).
pub fn load_page(href: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().assign(href);
    }
}
