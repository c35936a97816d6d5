//! The evaluator pad at a window (一机双屏). The server pushes the window's
//! cases here (server-sent events): at 开始服务 the pad shows the clerk
//! serving the citizen (name, 工号, photo) and the case; at 办结 it asks for
//! the rating, and the question stays until the citizen rates or the clerk
//! starts the next case. No idle timer drops a case pushed to the pad.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::enrol::{device_gate, load_device, DeviceNotice};
use crate::components::rating_flow::{CitizenToolbar, RatingFlow, Step, Subject};
use crate::components::sync_bar::{staff_gesture, StaffPanel, WaitingBanner};
use crate::components::voice::use_voice;
use crate::offline::engine::SyncState;
use app::api::endpoints;
use app::api::types::{DeviceConfig, PadCase, PadEvent};
use app::i18n::{prefs, texts};
use app::web;
use domain::Channel;

/// What the pad is showing between ratings.
#[derive(Clone, Debug, PartialEq)]
enum PadState {
    Idle,
    Serving(PadCase),
    /// 办结: the rating of this case is asked for.
    Rate(PadCase),
}

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
    let state = RwSignal::new(PadState::Idle);
    let code = Signal::derive(move || params.read().get("device").unwrap_or_default());

    Effect::new(move |_| {
        spawn_local(load_device(code.get(), device, device_error, sync));
    });

    let apply = move |ev: PadEvent| match ev {
        PadEvent::Rate(c) => {
            // Already asking for this case (a reconnection): leave the
            // citizen where they are.
            if state.with_untracked(|s| matches!(s, PadState::Rate(x) if x.case_id == c.case_id)) {
                return;
            }
            subject.set(Subject {
                case_no: Some(c.case_no.clone()),
                ..Default::default()
            });
            state.set(PadState::Rate(c));
            if matches!(step.get_untracked(), Step::Start | Step::Level) {
                step.set(Step::Start);
                step.set(Step::Level);
            }
        }
        PadEvent::Serving(c) => {
            // The next case: a rating in progress of the previous one is
            // finished first (its steps still hold the old case).
            let rating = matches!(
                step.get_untracked(),
                Step::Reasons | Step::Confirm | Step::Thanks | Step::Details
            );
            state.set(PadState::Serving(c));
            if !rating {
                subject.set(Subject::default());
                step.set(Step::Start);
            }
        }
        PadEvent::Idle => {
            if state.with_untracked(|s| matches!(s, PadState::Serving(_))) {
                state.set(PadState::Idle);
            }
        }
    };

    // Browser only: listen for the window's cases once enrolled. EventSource
    // reconnects by itself after a network cut; the server then sends the
    // window's current state first.
    Effect::new(move |started: Option<bool>| {
        let enrolled = device.with(Option::is_some) && !sync.needs_enrol.get();
        if started == Some(true) || !enrolled {
            return started.unwrap_or(false);
        }
        let Some(token) = web::device_token(&code.get_untracked()) else {
            return false;
        };
        let url = endpoints::window::pad_events_url(&token);
        web::event_stream(
            &url,
            "message",
            move |data| {
                if let Ok(ev) = serde_json::from_str::<PadEvent>(&data) {
                    apply(ev);
                }
            },
            move || connected.set(true),
            move || connected.set(false),
        )
        .is_some()
    });

    // While a rating is asked for, the faces are the pad's resting screen.
    let home = Signal::derive(move || {
        if state.with(|s| matches!(s, PadState::Rate(_))) {
            Step::Level
        } else {
            Step::Start
        }
    });
    let on_home = Callback::new(move |rated: bool| {
        if rated {
            if state.with_untracked(|s| matches!(s, PadState::Rate(_))) {
                state.set(PadState::Idle);
            }
            subject.set(Subject::default());
        }
    });
    let voice_on = use_voice(device);

    let body = move || {
        let cfg = match device_gate(code, device, device_error, sync) {
            Ok(cfg) => cfg,
            Err(screen) => return screen,
        };
        let place = cfg.place_name.clone();
        view! {
            <DeviceNotice device_error/>
            <WaitingBanner state=sync/>
            <Show when=move || step.get() == Step::Start>
                {let place = place.clone(); move || match state.get() {
                    PadState::Serving(c) => view! { <Serving case=c/> }.into_any(),
                    _ => view! {
                        <section class="attract pad-idle" data-testid="pad-idle">
                            <span class="attract-place">{place.clone()}</span>
                            <h1 class="attract-title">{move || t.get().pad_idle}</h1>
                        </section>
                    }.into_any(),
                }}
            </Show>
            {move || match state.get() {
                PadState::Rate(c) if step.get() == Step::Level => Some(view! {
                    <div class="pad-case" data-testid="pad-case">
                        <span class="visually-hidden">{move || t.get().pad_case}</span>
                        <ClerkCard case=c/>
                    </div>
                }),
                _ => None,
            }}
            <RatingFlow device channel=Channel::WindowPad sync step subject
                home keep_case=true on_home voice_on/>
        }
        .into_any()
    };

    let panel_open = RwSignal::new(false);
    let staff_tap = staff_gesture(panel_open);

    view! {
        <Title text="窗口评价器 · 好差评"/>
        <div class="kiosk pad citizen" class:elder=move || p.elder.get() lang=move || t.get().lang_code>
            <CitizenToolbar>
                <span class="toolbar-place" data-testid="staff-gesture" on:click=staff_tap>
                    {move || device.with(|d| d.as_ref().map(|d| d.place_name.clone()).unwrap_or_default())}
                    <span class="pad-link" data-testid="pad-connected" data-connected=move || connected.get().to_string()
                        title=move || if connected.get() { "已连接" } else { "未连接" }>
                        {move || if connected.get() { " ●" } else { " ○" }}
                    </span>
                </span>
            </CitizenToolbar>
            {body}
            <StaffPanel state=sync open=panel_open/>
        </div>
    }
}

/// During the service: who serves the citizen, and the case.
#[component]
fn Serving(case: PadCase) -> impl IntoView {
    let t = texts();
    let case_no = case.case_no.clone();
    let attr = case_no.clone();
    let service = case.service_name.clone();
    view! {
        <section class="screen pad-serving" data-testid="pad-serving" data-case=attr>
            <h1>{move || t.get().pad_serving}</h1>
            <ClerkCard case=case/>
            <dl class="pad-case-fields">
                <dt>{move || if t.get().lang_code == "en" { "Case" } else { "办件编号" }}</dt>
                <dd data-testid="serving-case">{case_no}</dd>
                {service.map(|s| view! {
                    <dt>{move || if t.get().lang_code == "en" { "Service" } else { "办理事项" }}</dt>
                    <dd>{s}</dd>
                })}
            </dl>
        </section>
    }
}

/// The clerk: photo (if uploaded), name, 工号, window.
#[component]
fn ClerkCard(case: PadCase) -> impl IntoView {
    let t = texts();
    let name = case.staff_name.clone().unwrap_or_default();
    let alt = name.clone();
    let staff_no = case.staff_no.clone();
    view! {
        <div class="clerk" data-testid="clerk">
            {case.photo_url.clone().map(|src| view! {
                <img class="clerk-photo" data-testid="clerk-photo" src=src alt=alt width="120" height="150"/>
            })}
            <div class="clerk-text">
                {case.window_name.clone().map(|w| view! { <span class="clerk-window">{w}</span> })}
                <span class="clerk-name" data-testid="clerk-name">{name}</span>
                {staff_no.map(|n| view! {
                    <span class="clerk-no" data-testid="clerk-no">{move || format!("{} {n}", t.get().staff_no)}</span>
                })}
            </div>
        </div>
    }
}
