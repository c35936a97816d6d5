//! The evaluator pad at a window (一机双屏). The staff member starts a case
//! on their tablet; the server pushes it here (server-sent events) and the
//! citizen rates that case. With no case, it shows a welcome screen.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::types::{DeviceConfig, PadEvent};
use crate::components::enrol::{device_gate, load_device, DeviceNotice};
use crate::components::rating_flow::{CitizenToolbar, RatingFlow, Step, Subject};
use crate::components::sync_bar::SyncBar;
use crate::domain::Channel;
use crate::i18n::{prefs, texts};
use crate::offline::engine::SyncState;
use crate::offline::web;

#[component]
pub fn PadPage() -> impl IntoView {
    let params = use_params_map();
    let t = texts();
    let p = prefs();
    let sync = SyncState::new();
    let device: RwSignal<Option<DeviceConfig>> = RwSignal::new(None);
    let device_error: RwSignal<Option<String>> = RwSignal::new(None);
    let step = RwSignal::new(Step::Start);
    let subject = RwSignal::new(Subject::default());
    let connected = RwSignal::new(false);
    let staff_name: RwSignal<Option<String>> = RwSignal::new(None);
    let code = Signal::derive(move || params.read().get("device").unwrap_or_default());

    Effect::new(move |_| {
        spawn_local(load_device(code.get(), device, device_error, sync));
    });

    // Browser only: listen for the window's cases once enrolled. EventSource
    // reconnects by itself after a network cut.
    Effect::new(move |started: Option<bool>| {
        let enrolled = device.with(Option::is_some) && !sync.needs_enrol.get();
        if started == Some(true) || !enrolled {
            return started.unwrap_or(false);
        }
        let Some(token) = web::device_token(&code.get_untracked()) else {
            return false;
        };
        let url = format!(
            "/api/v1/pad/events?token={}",
            js_sys::encode_uri_component(&token)
        );
        let Ok(es) = web_sys::EventSource::new(&url) else {
            return false;
        };
        let on_message =
            Closure::<dyn Fn(web_sys::MessageEvent)>::new(move |ev: web_sys::MessageEvent| {
                let Some(data) = ev.data().as_string() else {
                    return;
                };
                match serde_json::from_str::<PadEvent>(&data) {
                    Ok(PadEvent::Case {
                        case_no,
                        staff_name: who,
                        ..
                    }) => {
                        staff_name.set(who);
                        subject.set(Subject {
                            case_no: Some(case_no),
                            ..Default::default()
                        });
                        step.set(Step::Level);
                    }
                    Ok(PadEvent::Idle) => {
                        // A rating in progress is finished first.
                        if matches!(step.get_untracked(), Step::Level) {
                            step.set(Step::Start);
                        }
                        subject.set(Subject::default());
                    }
                    Err(_) => {}
                }
            });
        es.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        on_message.forget();
        let on_open = Closure::<dyn Fn()>::new(move || connected.set(true));
        es.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        on_open.forget();
        let on_error = Closure::<dyn Fn()>::new(move || connected.set(false));
        es.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        on_error.forget();
        std::mem::forget(es);
        true
    });

    let body = move || {
        let cfg = match device_gate(code, device, device_error, sync) {
            Ok(cfg) => cfg,
            Err(screen) => return screen,
        };
        view! {
            <DeviceNotice device_error/>
            <Show when=move || step.get() == Step::Start>
                <section class="attract pad-idle" data-testid="pad-idle">
                    <span class="attract-place">{cfg.place_name.clone()}</span>
                    <h1 class="attract-title">{move || t.get().pad_idle}</h1>
                    <p class="pad-link" data-testid="pad-connected" data-connected=move || connected.get().to_string()>
                        {move || if connected.get() { "●" } else { "○" }}
                    </p>
                </section>
            </Show>
            <Show when=move || step.get() == Step::Level>
                <p class="pad-case" data-testid="pad-case">
                    {move || t.get().pad_case}
                    {move || staff_name.get().map(|n| format!(" · {n}"))}
                </p>
            </Show>
            <RatingFlow device channel=Channel::WindowPad sync step subject/>
        }.into_any()
    };

    view! {
        <Title text="窗口评价器 · 好差评"/>
        <div class="kiosk pad citizen" class:elder=move || p.elder.get() lang=move || t.get().lang_code>
            <CitizenToolbar/>
            {body}
            <SyncBar state=sync/>
        </div>
    }
}
