//! Rating on the citizen's own phone or PC: a static QR code of a window or
//! place (`/q/{place}[/{window}]`, not linked to a case, seed 000) or a
//! signed single-use link to one case (`/r/{token}`: per-case QR, SMS, PC).
//! Ratings go through the same queue and sync as the kiosk's.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::client;
use crate::api::types::{DeviceConfig, RateConfig};
use crate::components::rating_flow::{CitizenToolbar, RatingFlow, Step, Subject};
use crate::components::sync_bar::SyncBar;
use crate::domain::case::{RatingKind, RealName};
use crate::i18n::{prefs, texts};
use crate::offline::engine::SyncState;

#[component]
pub fn RatePage() -> impl IntoView {
    let params = use_params_map();
    let t = texts();
    let p = prefs();
    let sync = SyncState::new();
    let config: RwSignal<Option<RateConfig>> = RwSignal::new(None);
    let device: RwSignal<Option<DeviceConfig>> = RwSignal::new(None);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let step = RwSignal::new(Step::Level);
    let subject = RwSignal::new(Subject::default());
    let rated_once = RwSignal::new(false);

    Effect::new(move |_| {
        let ps = params.read();
        let place = ps.get("place").unwrap_or_default();
        let window = ps.get("window");
        let token = ps.get("token");
        spawn_local(async move {
            match client::rate_config(&place, window.as_deref(), token.as_deref()).await {
                Ok(cfg) => {
                    subject.set(Subject {
                        case_no: cfg.case_no.clone(),
                        link: cfg.link.clone(),
                        window_id: cfg.device.window_id,
                        stages: cfg.stages.clone(),
                    });
                    device.set(Some(cfg.device.clone()));
                    sync.start(cfg.device.clone());
                    config.set(Some(cfg));
                }
                Err(e) => error.set(Some(e.message())),
            }
        });
    });
    Effect::new(move |_| {
        if step.get() == Step::Thanks {
            rated_once.set(true);
        }
    });

    // The server's answer for this page's ratings: first or 追加评价.
    let answer = move || {
        sync.kinds.with(|k| {
            if k.values().any(|k| *k == RatingKind::FollowUp) {
                Some(t.get().follow_up_recorded)
            } else if !k.is_empty() {
                Some(t.get().first_recorded)
            } else {
                None
            }
        })
    };

    let body = move || {
        if let Some(e) = error.get() {
            return view! { <div class="kiosk-message" role="alert" data-testid="rate-error">{e}</div> }.into_any();
        }
        let Some(cfg) = config.get() else {
            return view! { <div class="kiosk-message">{move || t.get().loading_device}</div> }
                .into_any();
        };
        let ask_phone = cfg.real_name != RealName::Off;
        if cfg.link_used && !rated_once.get_untracked() {
            return view! {
                <section class="screen thanks">
                    <p class="notice" data-testid="link-used">{move || t.get().link_used}</p>
                </section>
            }
            .into_any();
        }
        let heading = match (&cfg.window_name, &cfg.service_name) {
            (Some(w), Some(s)) => format!("{} · {w} · {s}", cfg.device.place_name),
            (Some(w), None) => format!("{} · {w}", cfg.device.place_name),
            (None, Some(s)) => format!("{} · {s}", cfg.device.place_name),
            (None, None) => cfg.device.place_name.clone(),
        };
        view! {
            <header class="rate-head">
                <p class="rate-place" data-testid="rate-place">{heading}</p>
            </header>
            <Show when=move || step.get() == Step::Start>
                {move || if rated_once.get() {
                    view! {
                        <section class="screen thanks" data-testid="rate-done">
                            <h1>{move || t.get().thanks}</h1>
                            <p data-testid="rate-answer">{answer}</p>
                        </section>
                    }.into_any()
                } else {
                    // Left idle before rating: start again, nothing was saved.
                    view! {
                        <section class="screen">
                            <button class="primary attract-start" data-testid="start" on:click=move |_| step.set(Step::Level)>
                                {move || t.get().please_rate}
                            </button>
                        </section>
                    }.into_any()
                }}
            </Show>
            <RatingFlow device channel=cfg.channel sync step subject ask_phone=ask_phone require_phone={cfg.real_name == RealName::Required}/>
        }.into_any()
    };

    view! {
        <Title text="服务评价 · 好差评"/>
        <div class="phone citizen" class:elder=move || p.elder.get() lang=move || t.get().lang_code>
            <CitizenToolbar/>
            {body}
            <Show when=move || rated_once.get()>
                <SyncBar state=sync/>
            </Show>
        </div>
    }
}
