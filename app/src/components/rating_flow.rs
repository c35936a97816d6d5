//! The rating itself, shared by every citizen channel (kiosk, pad, phone,
//! PC): five levels → itemized dimensions → (bad ratings) reasons and
//! comment → confirm → thank-you with a 10-second undo. Seed 002 found 85%
//! of one district's bad ratings were mis-taps, hence the confirm step and
//! the undo. The rating goes into the device's queue before the thank-you.

use std::collections::BTreeMap;

use leptos::prelude::*;
use uuid::Uuid;

use crate::api::types::DeviceConfig;
use crate::components::face::Face;
use crate::domain::case::Stage;
use crate::domain::rating::new_rating_id;
use crate::domain::sync::UNDO_WINDOW_MS;
use crate::domain::{
    Channel, DimensionSet, ItemRating, Level, RatingRecord, ReasonTag, COMMENT_MAX_CHARS,
};
use crate::i18n::{prefs, texts};
use crate::offline::engine::SyncState;
use crate::offline::{queue, web};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The device's own start screen (kiosk attract, pad idle, phone done).
    Start,
    Level,
    Dimensions,
    Reasons,
    Confirm,
    Thanks,
}

impl Step {
    /// Unfinished ratings are abandoned after this long without a touch;
    /// longer while the citizen may be typing a comment.
    pub fn idle_ms(self) -> Option<i64> {
        match self {
            Step::Start | Step::Thanks => None,
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
    phone: String,
    stage: Option<Stage>,
}

/// What the rating is about; set by the page before it moves to `Level`.
#[derive(Clone, Default, PartialEq)]
pub struct Subject {
    pub case_no: Option<String>,
    pub link: Option<String>,
    pub window_id: Option<i64>,
    pub stages: Vec<Stage>,
}

#[component]
pub fn RatingFlow(
    device: RwSignal<Option<DeviceConfig>>,
    channel: Channel,
    sync: SyncState,
    step: RwSignal<Step>,
    subject: RwSignal<Subject>,
    /// Offer the optional phone field (real-name policy on phone/PC pages).
    #[prop(optional)]
    ask_phone: bool,
    /// Policy makes the phone number compulsory.
    #[prop(optional)]
    require_phone: bool,
    /// Where to go after the thank-you countdown.
    #[prop(default = Step::Start)]
    after_thanks: Step,
) -> impl IntoView {
    let t = texts();
    let p = prefs();
    let draft = RwSignal::new(Draft::default());
    let last_id: RwSignal<Option<Uuid>> = RwSignal::new(None);
    let countdown = RwSignal::new(0i64);
    let last_touch = RwSignal::new(0i64);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);

    // Browser only: one clock for the thank-you countdown and the idle reset.
    Effect::new(move |_| {
        gloo_timers::callback::Interval::new(1_000, move || {
            let s = step.get_untracked();
            if s == Step::Thanks {
                let left = countdown.get_untracked() - 1;
                countdown.set(left);
                if left <= 0 {
                    step.set(after_thanks);
                }
            } else if let Some(idle) = s.idle_ms() {
                if web::now_ms() - last_touch.get_untracked() > idle {
                    draft.set(Draft::default());
                    step.set(Step::Start);
                }
            }
        })
        .forget();
    });

    // Entering the level screen: start the idle clock, and in 长辈模式 read
    // the options aloud.
    Effect::new(move |prev: Option<Step>| {
        let s = step.get();
        if s == Step::Level && prev != Some(Step::Level) {
            last_touch.set(web::now_ms());
            if p.elder.get_untracked() {
                read_levels(t.get_untracked());
            }
        }
        s
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
        let subj = subject.get_untracked();
        if require_phone && d.phone.trim().is_empty() {
            notice.set(Some(t.get_untracked().phone_required.into()));
            return;
        }
        let now = web::now_ms();
        // If storage cannot even hold the counter, the clock keeps the
        // sequence increasing; the rating itself is still kept (in memory).
        let seq = queue::next_seq(&cfg.device_id).unwrap_or(now as u64);
        let record = RatingRecord {
            id: new_rating_id(now as u64, &web::random_10()),
            device_id: cfg.device_id,
            seq,
            device_time: now,
            channel,
            case_no: subj.case_no.clone(),
            place_id: cfg.place_id,
            window_id: subj.window_id.or(cfg.window_id),
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
            stage: d.stage,
            link: subj.link.clone(),
            evaluator_phone: Some(d.phone.trim().to_string()).filter(|s| !s.is_empty()),
            evaluator_id_no: None,
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
            Err(e) => notice.set(Some(if t.get_untracked().lang_code == "en" {
                e.message_en()
            } else {
                e.message_zh()
            })),
        }
    };

    let after_level = move || {
        if draft.with_untracked(|d| d.level.is_some_and(Level::is_bad)) {
            go(Step::Reasons)
        } else if ask_phone {
            go(Step::Confirm)
        } else {
            submit()
        }
    };

    let screen = move || {
        let tx = t.get();
        let Some(cfg) = device.get() else {
            return ().into_any();
        };
        let set =
            DimensionSet::find(&cfg.dimension_set).unwrap_or(crate::domain::DEFAULT_DIMENSION_SET);
        match step.get() {
            Step::Start => ().into_any(),
            Step::Level => view! {
                <section class="screen">
                    <h1>{tx.how_satisfied}</h1>
                    {move || subject.with(|s| s.case_no.clone()).map(|c| view! {
                        <p class="subject" data-testid="subject-case">{format!("{}：{c}", if t.get().lang_code == "en" { "Case" } else { "办件" })}</p>
                    })}
                    {move || (!subject.with(|s| s.stages.is_empty())).then(|| view! {
                        <div class="stages" role="group" aria-label=t.get().stage_label>
                            <span>{t.get().stage_label}</span>
                            <button class="stage" aria-pressed=move || draft.with(|d| d.stage.is_none()).to_string()
                                on:click=move |_| draft.update(|d| d.stage = None)>{t.get().whole_case}</button>
                            {subject.get().stages.into_iter().map(|s| view! {
                                <button class="stage" data-testid=format!("stage-{}", s.as_str())
                                    aria-pressed=move || draft.with(|d| d.stage == Some(s)).to_string()
                                    on:click=move |_| draft.update(|d| d.stage = Some(s))>{t.get().stage(s)}</button>
                            }).collect_view()}
                        </div>
                    })}
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
                                <span class="level-label">{tx.level(l)}</span>
                            </button>
                        }).collect_view()}
                    </div>
                    <Show when=move || p.elder.get()>
                        <button class="secondary speak" data-testid="read-aloud"
                            on:click=move |_| read_levels(t.get_untracked())>{move || t.get().read_aloud}</button>
                    </Show>
                </section>
            }.into_any(),
            Step::Dimensions => view! {
                <section class="screen">
                    <h1>{tx.dimensions_title}</h1>
                    <div class="dimensions">
                        {set.dimensions.iter().map(|dim| {
                            let code = dim.code;
                            let label = tx.dimension(code, dim.label_zh);
                            view! {
                                <div class="dimension" role="group" aria-label=label>
                                    <span class="dimension-label">{label}</span>
                                    {Level::ALL.into_iter().map(|l| view! {
                                        <button class="dim-level"
                                            data-testid=format!("dim-{code}-{}", l.as_str())
                                            class:selected=move || draft.with(|d| d.items.get(code) == Some(&l))
                                            aria-pressed=move || draft.with(|d| (d.items.get(code) == Some(&l)).to_string())
                                            on:click=move |_| { last_touch.set(web::now_ms()); draft.update(|d| { d.items.insert(code, l); }); }>
                                            {tx.level(l)}
                                        </button>
                                    }).collect_view()}
                                </div>
                            }
                        }).collect_view()}
                    </div>
                    <div class="actions">
                        <button class="secondary" on:click=move |_| go(Step::Level)>{tx.back}</button>
                        <button class="primary" data-testid="next" on:click=move |_| after_level()>
                            {move || if draft.with(|d| d.level.is_some_and(Level::is_bad)) || ask_phone { t.get().next } else { t.get().submit }}
                        </button>
                    </div>
                </section>
            }.into_any(),
            Step::Reasons => view! {
                <section class="screen">
                    <h1>{tx.reasons_title}</h1>
                    <div class="reasons">
                        {ReasonTag::ALL.into_iter().map(|r| view! {
                            <button class="reason" data-testid=format!("reason-{}", r.as_str())
                                class:selected=move || draft.with(|d| d.reasons.contains(&r))
                                aria-pressed=move || draft.with(|d| d.reasons.contains(&r).to_string())
                                on:click=move |_| {
                                    last_touch.set(web::now_ms());
                                    draft.update(|d| if let Some(i) = d.reasons.iter().position(|x| *x == r) { d.reasons.remove(i); } else { d.reasons.push(r); });
                                }>
                                {tx.reason(r)}
                            </button>
                        }).collect_view()}
                    </div>
                    <label class="comment">
                        <span>{tx.comment_label}</span>
                        <textarea data-testid="comment" maxlength=COMMENT_MAX_CHARS.to_string() rows="4"
                            prop:value=move || draft.with(|d| d.comment.clone())
                            on:input=move |ev| { last_touch.set(web::now_ms()); draft.update(|d| d.comment = event_target_value(&ev)); }>
                        </textarea>
                        <span class="counter">{move || format!("{} / {}", draft.with(|d| d.comment.chars().count()), COMMENT_MAX_CHARS)}</span>
                    </label>
                    <div class="actions">
                        <button class="secondary" on:click=move |_| go(Step::Dimensions)>{tx.back}</button>
                        <button class="primary" data-testid="next" on:click=move |_| go(Step::Confirm)>{tx.next}</button>
                    </div>
                </section>
            }.into_any(),
            Step::Confirm => {
                let d = draft.get_untracked();
                let level = d.level.unwrap_or(Level::Dissatisfied);
                let sep = if tx.lang_code == "en" { ", " } else { "、" };
                let reasons = d.reasons.iter().map(|r| tx.reason(*r)).collect::<Vec<_>>().join(sep);
                view! {
                    <section class="screen confirm">
                        <h1>{tx.confirm_title}</h1>
                        <div class="confirm-level"><Face level=level/><span>{tx.level(level)}</span></div>
                        {level.is_bad().then(|| view! {
                            <p>{if reasons.is_empty() { tx.no_reason.to_string() } else { format!("{}{reasons}", tx.reasons_prefix) }}</p>
                            <p class="confirm-hint">{tx.confirm_hint}</p>
                        })}
                        // A bad rating is followed up (回访): the phone is offered
                        // on every device, optional unless policy requires it.
                        {(ask_phone || level.is_bad()).then(|| view! {
                            <label class="phone">
                                <span>{tx.phone_label}</span>
                                <input type="tel" inputmode="numeric" maxlength="11" data-testid="phone" autocomplete="tel"
                                    prop:value=move || draft.with(|d| d.phone.clone())
                                    on:input=move |ev| { last_touch.set(web::now_ms()); draft.update(|d| d.phone = event_target_value(&ev)); }/>
                                <small>{tx.phone_hint}</small>
                            </label>
                        })}
                        <div class="actions">
                            <button class="secondary" data-testid="back-to-levels" on:click=move |_| go(Step::Level)>{tx.change}</button>
                            <button class="primary" class:danger=level.is_bad() data-testid="confirm" on:click=move |_| submit()>{tx.confirm}</button>
                        </div>
                    </section>
                }.into_any()
            }
            Step::Thanks => view! {
                <section class="screen thanks" data-testid="thanks">
                    <h1>{tx.thanks}</h1>
                    <p>{move || t.get().undo_within.replace("{n}", &countdown.get().max(0).to_string())}</p>
                    <div class="actions">
                        <button class="secondary" data-testid="undo" on:click=move |_| {
                            if let Some(id) = last_id.get_untracked() {
                                if sync.undo(id) {
                                    go(Step::Level);
                                    notice.set(Some(t.get_untracked().undone.into()));
                                } else {
                                    notice.set(Some(t.get_untracked().undo_expired.into()));
                                }
                            }
                        }>{tx.undo}</button>
                        <button class="primary" data-testid="done" on:click=move |_| {
                            if let Some(id) = last_id.get_untracked() { sync.release(id); }
                            go(after_thanks);
                        }>{tx.done}</button>
                    </div>
                </section>
            }.into_any(),
        }
    };

    view! {
        {move || notice.get().map(|n| view! { <div class="notice" role="alert" data-testid="notice">{n}</div> })}
        <div class="flow" on:pointerdown=move |_| last_touch.set(web::now_ms())>{screen}</div>
    }
}

fn read_levels(t: &'static crate::i18n::Texts) {
    let sep = if t.lang_code == "en" { ". " } else { "，" };
    let text = format!("{}{sep}{}", t.how_satisfied, t.levels.join(sep));
    web::speak(&text, t.lang_code);
}

/// The citizen's display toggles: language and 长辈模式. On every citizen page.
#[component]
pub fn CitizenToolbar() -> impl IntoView {
    let p = prefs();
    let t = texts();
    view! {
        <nav class="citizen-toolbar" aria-label="display">
            <button class="toggle" data-testid="elder-toggle" aria-pressed=move || p.elder.get().to_string()
                on:click=move |_| p.toggle_elder()>
                {move || if p.elder.get() { t.get().elder_off } else { t.get().elder_on }}
            </button>
            <button class="toggle" data-testid="lang-toggle" lang=move || if t.get().lang_code == "en" { "zh-CN" } else { "en" }
                on:click=move |_| p.toggle_lang()>
                {move || t.get().switch_lang}
            </button>
        </nav>
    }
}
