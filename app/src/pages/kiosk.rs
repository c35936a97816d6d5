//! The self-service kiosk (自助终端): attract screen → five levels →
//! itemized dimensions → (bad ratings) reasons and comment → confirm →
//! thank-you with a 10-second undo. Seed 002 found 85% of one district's
//! bad ratings were mis-taps, hence the confirm step and the undo.

use std::collections::BTreeMap;

use gloo_storage::{LocalStorage, Storage};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::api::client;
use crate::api::types::DeviceConfig;
use crate::components::face::Face;
use crate::components::sync_bar::SyncBar;
use crate::domain::rating::new_rating_id;
use crate::domain::sync::UNDO_WINDOW_MS;
use crate::domain::{
    Channel, DimensionSet, ItemRating, Level, RatingRecord, ReasonTag, COMMENT_MAX_CHARS,
};
use crate::offline::engine::SyncState;
use crate::offline::{queue, web};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    Attract,
    Level,
    Dimensions,
    Reasons,
    Confirm,
    Thanks,
}

impl Step {
    /// Unfinished ratings are abandoned after this long without a touch;
    /// longer while the citizen may be typing a comment.
    fn idle_ms(self) -> Option<i64> {
        match self {
            Step::Attract | Step::Thanks => None,
            Step::Reasons => Some(180_000),
            _ => Some(60_000),
        }
    }
}

#[derive(Clone, Default)]
struct Draft {
    level: Option<Level>,
    items: BTreeMap<&'static str, Level>,
    reasons: Vec<ReasonTag>,
    comment: String,
}

#[component]
pub fn KioskPage() -> impl IntoView {
    let params = use_params_map();
    let sync = SyncState::new();
    let device: RwSignal<Option<DeviceConfig>> = RwSignal::new(None);
    let device_error: RwSignal<Option<String>> = RwSignal::new(None);
    let step = RwSignal::new(Step::Attract);
    let draft = RwSignal::new(Draft::default());
    let last_id: RwSignal<Option<Uuid>> = RwSignal::new(None);
    let countdown = RwSignal::new(0i64);
    let last_touch = RwSignal::new(0i64);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);

    // Browser only: the device's configuration, cached for offline starts.
    Effect::new(move |_| {
        let code = params.read().get("device").unwrap_or_default();
        spawn_local(load_device(code, device, device_error, sync));
    });

    // Browser only: one clock for the thank-you countdown and the idle reset.
    Effect::new(move |_| {
        gloo_timers::callback::Interval::new(1_000, move || {
            let s = step.get_untracked();
            if s == Step::Thanks {
                let left = countdown.get_untracked() - 1;
                countdown.set(left);
                if left <= 0 {
                    step.set(Step::Attract);
                }
            } else if let Some(idle) = s.idle_ms() {
                if web::now_ms() - last_touch.get_untracked() > idle {
                    draft.set(Draft::default());
                    step.set(Step::Attract);
                }
            }
        })
        .forget();
    });

    let go = move |s: Step| {
        last_touch.set(web::now_ms());
        notice.set(None);
        step.set(s);
    };

    let submit = move || {
        let Some(cfg) = device.get_untracked() else {
            return;
        };
        let d = draft.get_untracked();
        let Some(level) = d.level else { return };
        let now = web::now_ms();
        // If storage cannot even hold the counter, the clock keeps the
        // sequence increasing; the rating itself is still kept (in memory).
        let seq = queue::next_seq(&cfg.device_id).unwrap_or(now as u64);
        let record = RatingRecord {
            id: new_rating_id(now as u64, &web::random_10()),
            device_id: cfg.device_id,
            seq,
            device_time: now,
            channel: Channel::Kiosk,
            case_no: None,
            place_id: cfg.place_id,
            window_id: cfg.window_id,
            level,
            dimension_set: cfg.dimension_set.clone(),
            items: d
                .items
                .iter()
                .map(|(dim, l)| ItemRating {
                    dimension: (*dim).to_string(),
                    level: *l,
                })
                .collect(),
            reasons: if level.is_bad() { d.reasons } else { vec![] },
            comment: if level.is_bad() {
                d.comment.trim().to_string()
            } else {
                String::new()
            },
        };
        match record.validate() {
            Ok(record) => {
                let id = record.id;
                if let Err(e) = sync.submit(record) {
                    notice.set(Some(e.message()));
                }
                last_id.set(Some(id));
                countdown.set(UNDO_WINDOW_MS / 1000);
                draft.set(Draft::default());
                step.set(Step::Thanks);
            }
            Err(e) => notice.set(Some(e.message_zh())),
        }
    };

    let screen = move || {
        if let Some(err) = device_error.get().filter(|_| device.with(Option::is_none)) {
            return view! { <div class="kiosk-message" data-testid="device-error">{err}</div> }
                .into_any();
        }
        let Some(cfg) = device.get() else {
            return view! { <div class="kiosk-message">"正在加载设备信息…"</div> }.into_any();
        };
        let set =
            DimensionSet::find(&cfg.dimension_set).unwrap_or(crate::domain::DEFAULT_DIMENSION_SET);
        match step.get() {
            Step::Attract => view! {
                <button class="attract" data-testid="start" on:click=move |_| go(Step::Level)>
                    <span class="attract-place">{cfg.place_name.clone()}</span>
                    <span class="attract-title">"请您对本次服务作出评价"</span>
                    <span class="attract-hint">"轻触屏幕开始评价"</span>
                </button>
            }.into_any(),
            Step::Level => view! {
                <section class="screen">
                    <h1>"您对本次服务满意吗？"</h1>
                    <div class="levels">
                        {Level::ALL.into_iter().map(|l| view! {
                            <button class=format!("level level-{}", l.grade().as_str())
                                data-testid=format!("level-{}", l.as_str())
                                on:click=move |_| {
                                    draft.update(|d| {
                                        d.level = Some(l);
                                        if !l.is_bad() { d.reasons.clear(); d.comment.clear(); }
                                    });
                                    go(Step::Dimensions);
                                }>
                                <Face level=l/>
                                <span class="level-label">{l.label_zh()}</span>
                            </button>
                        }).collect_view()}
                    </div>
                </section>
            }.into_any(),
            Step::Dimensions => view! {
                <section class="screen">
                    <h1>"分项评价（可选）"</h1>
                    <div class="dimensions">
                        {set.dimensions.iter().map(|dim| {
                            let code = dim.code;
                            view! {
                                <div class="dimension" role="group" aria-label=dim.label_zh>
                                    <span class="dimension-label">{dim.label_zh}</span>
                                    {Level::ALL.into_iter().map(|l| view! {
                                        <button class="dim-level"
                                            data-testid=format!("dim-{code}-{}", l.as_str())
                                            class:selected=move || draft.with(|d| d.items.get(code) == Some(&l))
                                            aria-pressed=move || draft.with(|d| (d.items.get(code) == Some(&l)).to_string())
                                            on:click=move |_| { last_touch.set(web::now_ms()); draft.update(|d| { d.items.insert(code, l); }); }>
                                            {l.label_zh()}
                                        </button>
                                    }).collect_view()}
                                </div>
                            }
                        }).collect_view()}
                    </div>
                    <div class="actions">
                        <button class="secondary" on:click=move |_| go(Step::Level)>"返回"</button>
                        <button class="primary" data-testid="next" on:click=move |_| {
                            if draft.with_untracked(|d| d.level.is_some_and(Level::is_bad)) { go(Step::Reasons) } else { submit() }
                        }>
                            {move || if draft.with(|d| d.level.is_some_and(Level::is_bad)) { "下一步" } else { "提交评价" }}
                        </button>
                    </div>
                </section>
            }.into_any(),
            Step::Reasons => view! {
                <section class="screen">
                    <h1>"请告诉我们哪里做得不好"</h1>
                    <div class="reasons">
                        {ReasonTag::ALL.into_iter().map(|r| view! {
                            <button class="reason" data-testid=format!("reason-{}", r.as_str())
                                class:selected=move || draft.with(|d| d.reasons.contains(&r))
                                aria-pressed=move || draft.with(|d| d.reasons.contains(&r).to_string())
                                on:click=move |_| {
                                    last_touch.set(web::now_ms());
                                    draft.update(|d| if let Some(i) = d.reasons.iter().position(|x| *x == r) { d.reasons.remove(i); } else { d.reasons.push(r); });
                                }>
                                {r.label_zh()}
                            </button>
                        }).collect_view()}
                    </div>
                    <label class="comment">
                        <span>"意见和建议（选填）"</span>
                        <textarea data-testid="comment" maxlength=COMMENT_MAX_CHARS.to_string() rows="4"
                            prop:value=move || draft.with(|d| d.comment.clone())
                            on:input=move |ev| { last_touch.set(web::now_ms()); draft.update(|d| d.comment = event_target_value(&ev)); }>
                        </textarea>
                        <span class="counter">{move || format!("{} / {}", draft.with(|d| d.comment.chars().count()), COMMENT_MAX_CHARS)}</span>
                    </label>
                    <div class="actions">
                        <button class="secondary" on:click=move |_| go(Step::Dimensions)>"返回"</button>
                        <button class="primary" data-testid="next" on:click=move |_| go(Step::Confirm)>"下一步"</button>
                    </div>
                </section>
            }.into_any(),
            Step::Confirm => {
                let d = draft.get_untracked();
                let level = d.level.unwrap_or(Level::Dissatisfied);
                let reasons = d.reasons.iter().map(|r| r.label_zh()).collect::<Vec<_>>().join("、");
                view! {
                    <section class="screen confirm">
                        <h1>"请确认您的评价"</h1>
                        <div class="confirm-level"><Face level=level/><span>{level.label_zh()}</span></div>
                        <p>{if reasons.is_empty() { "未选择原因".to_string() } else { format!("原因：{reasons}") }}</p>
                        <p class="confirm-hint">"提交后，工作人员会联系您核实并整改。如果选错了，请点“返回修改”。"</p>
                        <div class="actions">
                            <button class="secondary" data-testid="back-to-levels" on:click=move |_| go(Step::Level)>"返回修改"</button>
                            <button class="primary danger" data-testid="confirm" on:click=move |_| submit()>"确认提交"</button>
                        </div>
                    </section>
                }.into_any()
            }
            Step::Thanks => view! {
                <section class="screen thanks" data-testid="thanks">
                    <h1>"感谢您的评价！"</h1>
                    <p>{move || format!("{} 秒内可撤销本次评价", countdown.get().max(0))}</p>
                    <div class="actions">
                        <button class="secondary" data-testid="undo" on:click=move |_| {
                            if let Some(id) = last_id.get_untracked() {
                                if sync.undo(id) {
                                    go(Step::Level);
                                    notice.set(Some("已撤销，请重新评价".into()));
                                } else {
                                    notice.set(Some("撤销时间已过".into()));
                                }
                            }
                        }>"撤销评价"</button>
                        <button class="primary" data-testid="done" on:click=move |_| {
                            if let Some(id) = last_id.get_untracked() { sync.release(id); }
                            go(Step::Attract);
                        }>"完成"</button>
                    </div>
                </section>
            }.into_any(),
        }
    };

    view! {
        <Title text="服务评价 · 好差评"/>
        <div class="kiosk" on:pointerdown=move |_| last_touch.set(web::now_ms())>
            {move || notice.get().map(|n| view! { <div class="notice" role="alert" data-testid="notice">{n}</div> })}
            {screen}
            <SyncBar state=sync/>
        </div>
    }
}

async fn load_device(
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
    match client::device_config(&code).await {
        Ok(cfg) => {
            let _ = LocalStorage::set(&key, &cfg);
            device_error.set(None);
            if device.get_untracked().as_ref() != Some(&cfg) {
                device.set(Some(cfg.clone()));
                sync.start(cfg);
            }
        }
        Err(e) if e.status() == Some(404) => {
            device_error.set(Some(format!("设备编号“{code}”未登记，请联系管理员")));
        }
        Err(_) if device.with_untracked(Option::is_none) => {
            device_error.set(Some(
                "此设备尚未完成首次联网配置：请连接网络后刷新页面".into(),
            ));
        }
        Err(_) => {} // offline with a cached configuration: carry on
    }
}
