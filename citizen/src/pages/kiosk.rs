//! The self-service kiosk (自助终端). Its first screen is the five faces: a
//! good rating is one touch. A case number typed or scanned (a barcode
//! scanner types into the field) is one tap away; opened as
//! `/kiosk/{code}?case={no}` after a transaction it rates that case.
//! The sync state is for staff: five taps on the place name show it.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::components::enrol::{device_gate, load_device, DeviceNotice};
use crate::components::rating_flow::{CitizenToolbar, RatingFlow, Step, Subject};
use crate::components::sync_bar::{staff_gesture, StaffPanel, WaitingBanner};
use crate::components::voice::use_voice;
use crate::offline::engine::SyncState;
use app::api::types::DeviceConfig;
use app::i18n::{prefs, texts};
use domain::Channel;

#[component]
pub fn KioskPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let t = texts();
    let p = prefs();
    let sync = SyncState::new();
    let device: RwSignal<Option<DeviceConfig>> = RwSignal::new(None);
    let device_error: RwSignal<Option<String>> = RwSignal::new(None);
    let step = RwSignal::new(Step::Level);
    let subject = RwSignal::new(Subject::default());
    let case_input = RwSignal::new(String::new());
    let code = Signal::derive(move || params.read().get("device").unwrap_or_default());

    // Browser only: the device's configuration, cached for offline starts.
    Effect::new(move |_| {
        spawn_local(load_device(code.get(), device, device_error, sync));
    });
    // Opened with a case: rate that case.
    Effect::new(move |_| {
        if let Some(case_no) = query.read().get("case").filter(|c| !c.trim().is_empty()) {
            subject.set(Subject {
                case_no: Some(case_no.trim().to_string()),
                ..Default::default()
            });
            step.set(Step::Level);
        }
    });

    // Back at the faces: the next citizen starts without a case.
    let on_home = Callback::new(move |_rated: bool| {
        subject.set(Subject::default());
        case_input.set(String::new());
    });
    let voice_on = use_voice(device);

    let body = move || {
        if let Err(screen) = device_gate(code, device, device_error, sync) {
            return screen;
        }
        view! {
            <DeviceNotice device_error/>
            <WaitingBanner state=sync/>
            <Show when=move || step.get() == Step::Start>
                <section class="screen case-screen">
                    <h1>{move || t.get().case_entry_open}</h1>
                    <form class="case-entry" on:submit=move |ev| {
                        ev.prevent_default();
                        let c = case_input.get_untracked().trim().to_string();
                        subject.set(Subject { case_no: Some(c).filter(|c| !c.is_empty()), ..Default::default() });
                        step.set(Step::Level);
                    }>
                        <label>
                            <span>{move || t.get().case_label}</span>
                            <input data-testid="case-no" autocomplete="off" placeholder=move || t.get().case_placeholder
                                prop:value=move || case_input.get()
                                on:input=move |ev| case_input.set(event_target_value(&ev))/>
                        </label>
                        <div class="actions">
                            <button type="button" class="secondary" data-testid="case-cancel"
                                on:click=move |_| { case_input.set(String::new()); step.set(Step::Level); }>
                                {move || t.get().case_entry_cancel}
                            </button>
                            <button type="submit" class="primary" data-testid="start-with-case">{move || t.get().rate_with_case}</button>
                        </div>
                    </form>
                </section>
            </Show>
            <RatingFlow device channel=Channel::Kiosk sync step subject
                home=Step::Level on_home voice_on/>
            <Show when=move || step.get() == Step::Level && subject.with(|s| s.case_no.is_none())>
                <div class="kiosk-foot">
                    <button class="secondary case-open" data-testid="enter-case"
                        on:click=move |_| step.set(Step::Start)>
                        {move || t.get().case_entry_open}
                    </button>
                </div>
            </Show>
        }.into_any()
    };

    let panel_open = RwSignal::new(false);
    let staff_tap = staff_gesture(panel_open);

    view! {
        <Title text="服务评价 · 好差评"/>
        <div class="kiosk citizen" class:elder=move || p.elder.get() lang=move || t.get().lang_code>
            <CitizenToolbar>
                <span class="toolbar-place" data-testid="staff-gesture" on:click=staff_tap>
                    {move || device.with(|d| d.as_ref().map(|d| d.place_name.clone()).unwrap_or_default())}
                </span>
            </CitizenToolbar>
            {body}
            <StaffPanel state=sync open=panel_open/>
        </div>
    }
}
