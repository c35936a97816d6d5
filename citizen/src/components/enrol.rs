//! A kiosk or pad enrols once: staff type the one-time code the
//! administrator was given, the device keeps the token it gets back.

use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::offline::engine::SyncState;
use app::api::endpoints::devices;
use app::api::types::{DeviceConfig, EnrolRequest};
use app::i18n::texts;
use app::web;

/// The device's configuration: from its cache at once (offline starts),
/// then from the server with its token. A 401 asks for enrolment; the
/// queue is kept whatever happens.
pub async fn load_device(
    code: String,
    device: RwSignal<Option<DeviceConfig>>,
    device_error: RwSignal<Option<String>>,
    sync: SyncState,
) {
    let key = format!("hcp.device.{code}");
    if let Ok(cached) = LocalStorage::get::<DeviceConfig>(&key) {
        device.set(Some(cached.clone()));
        sync.start(cached);
    }
    let token = web::device_token(&code);
    if token.is_none() {
        sync.needs_enrol.set(true);
        return;
    }
    match devices::device_config(&code, token.as_deref()).await {
        Ok(cfg) => {
            let _ = LocalStorage::set(&key, &cfg);
            device_error.set(None);
            sync.needs_enrol.set(false);
            if device.get_untracked().as_ref() != Some(&cfg) {
                device.set(Some(cfg.clone()));
                sync.start(cfg);
            }
        }
        Err(e) if e.status() == Some(401) => sync.needs_enrol.set(true),
        Err(e) if matches!(e.status(), Some(403 | 404)) => device_error.set(Some(e.message())),
        Err(_) if device.with_untracked(Option::is_none) => {
            device_error.set(Some(
                "此设备尚未完成首次联网配置：请连接网络后刷新页面".into(),
            ));
        }
        Err(_) => {} // offline with a cached configuration: carry on
    }
}

#[component]
pub fn EnrolForm(
    code: Signal<String>,
    device: RwSignal<Option<DeviceConfig>>,
    sync: SyncState,
) -> impl IntoView {
    let t = texts();
    let enrol_code = RwSignal::new(String::new());
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = EnrolRequest {
            device_code: code.get_untracked(),
            enrol_code: enrol_code.get_untracked().trim().to_string(),
        };
        busy.set(true);
        spawn_local(async move {
            match devices::enrol(&req).await {
                Ok(resp) => {
                    web::set_device_token(&req.device_code, &resp.token);
                    let _ =
                        LocalStorage::set(format!("hcp.device.{}", req.device_code), &resp.config);
                    error.set(None);
                    sync.needs_enrol.set(false);
                    device.set(Some(resp.config.clone()));
                    sync.start(resp.config);
                }
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="page narrow form enrol" on:submit=submit data-testid="enrol-form">
            <h1>{move || t.get().enrol_title}</h1>
            <p>{move || t.get().enrol_hint}</p>
            <p>{move || code.get()}</p>
            <label>
                <span>{move || t.get().enrol_code}</span>
                <input inputmode="numeric" autocomplete="off" data-testid="enrol-code"
                    prop:value=move || enrol_code.get()
                    on:input=move |ev| enrol_code.set(event_target_value(&ev))/>
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="enrol-error">{e}</p> })}
            <button class="primary" type="submit" data-testid="enrol-submit" disabled=move || busy.get()>
                {move || t.get().enrol_button}
            </button>
        </form>
    }
}

/// What a kiosk or pad shows before it can rate: the enrolment form, why it
/// was refused, or that it is loading. `Ok` with the configuration once it
/// can rate.
pub fn device_gate(
    code: Signal<String>,
    device: RwSignal<Option<DeviceConfig>>,
    device_error: RwSignal<Option<String>>,
    sync: SyncState,
) -> Result<DeviceConfig, AnyView> {
    if sync.needs_enrol.get() && device.with(Option::is_none) {
        return Err(view! { <EnrolForm code device sync/> }.into_any());
    }
    if let Some(err) = device_error.get().filter(|_| device.with(Option::is_none)) {
        return Err(
            view! { <div class="kiosk-message" data-testid="device-error">{err}</div> }.into_any(),
        );
    }
    device.get().ok_or_else(|| {
        let t = texts();
        view! { <div class="kiosk-message">{move || t.get().loading_device}</div> }.into_any()
    })
}

/// Revoked (or otherwise refused) with a configuration cached: the device
/// keeps working offline and keeps its queue, and says why.
#[component]
pub fn DeviceNotice(device_error: RwSignal<Option<String>>) -> impl IntoView {
    move || {
        device_error.get().map(
            |e| view! { <div class="notice" role="alert" data-testid="device-error">{e}</div> },
        )
    }
}
