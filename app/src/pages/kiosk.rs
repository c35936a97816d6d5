//! The self-service kiosk (自助终端): rates the place, optionally a case
//! number typed or scanned (a barcode scanner types into the field); opened
//! as `/kiosk/{code}?case={no}` after a transaction it goes straight to the
//! rating of that case.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::types::DeviceConfig;
use crate::components::enrol::{device_gate, load_device, DeviceNotice};
use crate::components::rating_flow::{CitizenToolbar, RatingFlow, Step, Subject};
use crate::components::sync_bar::SyncBar;
use crate::domain::Channel;
use crate::i18n::{prefs, texts};
use crate::offline::engine::SyncState;

#[component]
pub fn KioskPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let t = texts();
    let p = prefs();
    let sync = SyncState::new();
    let device: RwSignal<Option<DeviceConfig>> = RwSignal::new(None);
    let device_error: RwSignal<Option<String>> = RwSignal::new(None);
    let step = RwSignal::new(Step::Start);
    let subject = RwSignal::new(Subject::default());
    let case_input = RwSignal::new(String::new());
    let code = Signal::derive(move || params.read().get("device").unwrap_or_default());

    // Browser only: the device's configuration, cached for offline starts.
    Effect::new(move |_| {
        spawn_local(load_device(code.get(), device, device_error, sync));
    });
    // Opened with a case: straight to the rating.
    Effect::new(move |_| {
        if let Some(case_no) = query.read().get("case").filter(|c| !c.trim().is_empty()) {
            subject.set(Subject {
                case_no: Some(case_no.trim().to_string()),
                ..Default::default()
            });
            step.set(Step::Level);
        }
    });
    // Back at the start screen: the next citizen starts without a case.
    Effect::new(move |_| {
        if step.get() == Step::Start {
            case_input.set(String::new());
        }
    });

    let start = move |case_no: Option<String>| {
        subject.set(Subject {
            case_no,
            ..Default::default()
        });
        step.set(Step::Level);
    };

    let body = move || {
        let cfg = match device_gate(code, device, device_error, sync) {
            Ok(cfg) => cfg,
            Err(screen) => return screen,
        };
        view! {
            <DeviceNotice device_error/>
            <Show when=move || step.get() == Step::Start>
                <section class="attract">
                    <span class="attract-place">{cfg.place_name.clone()}</span>
                    <h1 class="attract-title">{move || t.get().please_rate}</h1>
                    <form class="case-entry" on:submit=move |ev| {
                        ev.prevent_default();
                        let c = case_input.get_untracked().trim().to_string();
                        start(Some(c).filter(|c| !c.is_empty()));
                    }>
                        <label>
                            <span>{move || t.get().case_label}</span>
                            <input data-testid="case-no" autocomplete="off" placeholder=move || t.get().case_placeholder
                                prop:value=move || case_input.get()
                                on:input=move |ev| case_input.set(event_target_value(&ev))/>
                        </label>
                        <button type="submit" class="primary" data-testid="start-with-case">{move || t.get().rate_with_case}</button>
                    </form>
                    <button class="attract-start" data-testid="start" on:click=move |_| start(None)>
                        {move || t.get().rate_without_case}
                    </button>
                </section>
            </Show>
            <RatingFlow device channel=Channel::Kiosk sync step subject/>
        }.into_any()
    };

    view! {
        <Title text="服务评价 · 好差评"/>
        <div class="kiosk citizen" class:elder=move || p.elder.get() lang=move || t.get().lang_code>
            <CitizenToolbar/>
            {body}
            <SyncBar state=sync/>
        </div>
    }
}
