//! Rating on the citizen's own phone or PC: a static QR code of a window or
//! place (`/q/{place}[/{window}]`, not linked to a case, seed 000) or a
//! signed single-use link to one case (`/r/{token}`: per-case QR, SMS, PC).
//! The server renders the rating screen itself (place, window, the five
//! faces), so a phone on a slow network sees it at first paint; the faces
//! respond once the wasm has hydrated. Ratings go through the same queue
//! and sync as the kiosk's.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::components::rating_flow::{CitizenToolbar, RatingFlow, Step, Subject};
use crate::components::sync_bar::WaitingBanner;
use crate::offline::engine::SyncState;
use app::api::loaders::{self, RateLoader, RateQuery};
use app::api::types::{DeviceConfig, RateConfig};
use app::i18n::{prefs, texts};
use domain::case::{RatingKind, RealName};

#[component]
pub fn RatePage() -> impl IntoView {
    let params = use_params_map();
    let t = texts();
    let p = prefs();
    let loader = use_context::<RateLoader>();
    let config = Resource::new(
        move || {
            let ps = params.read();
            RateQuery {
                place: ps.get("place").unwrap_or_default(),
                window: ps.get("window"),
                token: ps.get("token"),
            }
        },
        move |q| loaders::rate_config(loader.clone(), q),
    );

    view! {
        <Title text="服务评价 · 好差评"/>
        <div class="phone citizen" class:elder=move || p.elder.get() lang=move || t.get().lang_code>
            <CitizenToolbar/>
            <Suspense fallback=move || view! { <div class="kiosk-message">{move || t.get().loading_page}</div> }>
                {move || Suspend::new(async move {
                    match config.await {
                        Ok(cfg) => view! { <RateScreen cfg/> }.into_any(),
                        Err(e) => view! {
                            <div class="kiosk-message" role="alert" data-testid="rate-error">{e.message}</div>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn RateScreen(cfg: RateConfig) -> impl IntoView {
    let t = texts();
    let sync = SyncState::new();
    let device: RwSignal<Option<DeviceConfig>> = RwSignal::new(Some(cfg.device.clone()));
    let subject = RwSignal::new(Subject {
        case_no: cfg.case_no.clone(),
        link: cfg.link.clone(),
        window_id: cfg.device.window_id,
        stages: cfg.stages.clone(),
    });
    // A used link shows that it was used, and offers no second rating.
    let step = RwSignal::new(if cfg.link_used {
        Step::Start
    } else {
        Step::Level
    });
    let rated_once = RwSignal::new(false);
    let start_device = cfg.device.clone();
    // Browser only: the queue and its sync.
    Effect::new(move |_| sync.start(start_device.clone()));
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

    let heading = [
        Some(cfg.device.place_name.clone()),
        cfg.window_name.clone(),
        cfg.service_name.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let ask_phone = cfg.real_name != RealName::Off;
    let require_phone = cfg.real_name == RealName::Required;
    let link_used = cfg.link_used;
    view! {
        <header class="rate-head">
            <p class="rate-place" data-testid="rate-place">{heading}</p>
        </header>
        <WaitingBanner state=sync/>
        <Show when=move || step.get() == Step::Start>
            {move || if rated_once.get() {
                view! {
                    <section class="screen thanks" data-testid="rate-done">
                        <h1>{move || t.get().thanks}</h1>
                        <p data-testid="rate-answer">{answer}</p>
                    </section>
                }.into_any()
            } else if link_used {
                view! {
                    <section class="screen thanks">
                        <p class="notice" data-testid="link-used">{move || t.get().link_used}</p>
                    </section>
                }.into_any()
            } else {
                view! {
                    <section class="screen">
                        <button class="primary attract-start" data-testid="start" on:click=move |_| step.set(Step::Level)>
                            {move || t.get().please_rate}
                        </button>
                    </section>
                }.into_any()
            }}
        </Show>
        <RatingFlow device channel=cfg.channel sync step subject ask_phone require_phone idle_reset=false/>
    }
}
