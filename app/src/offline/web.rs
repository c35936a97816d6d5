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
