//! The rating itself, shared by every citizen channel (kiosk, pad, phone,
//! PC), built like a dedicated 评价器: a good rating is one touch on a face;
//! a bad one is face → reasons (and comment) → confirm. The thank-you screen
//! keeps a 10-second undo and offers the itemized ratings (分项评价) and a
//! comment, never requires them. Seed 002 found 85% of one district's bad
//! ratings were mis-taps, hence the confirm step and the undo. The rating
//! goes into the device's queue before the thank-you.

mod screens;

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::components::voice;
use crate::offline::engine::SyncState;
use crate::offline::queue;
use app::api::types::DeviceConfig;
use app::i18n::{prefs, texts, Texts};
use app::web;
use domain::case::{EvaluatorType, Stage};
use domain::rating::new_rating_id;
use domain::sync::UNDO_WINDOW_MS;
use domain::{Channel, DimensionSet, ItemRating, Level, RatingRecord, ReasonTag};
use screens::{ConfirmScreen, DetailsScreen, LevelScreen, ReasonsScreen, ThanksScreen};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The device's own start screen (pad welcome or service, phone done).
    Start,
    Level,
    Reasons,
    Confirm,
    Thanks,
    /// 分项评价 and comment, added to the rating just given.
    Details,
}

impl Step {
    /// Unfinished ratings are abandoned after this long without a touch;
    /// longer while the citizen may be typing.
    pub fn idle_ms(self) -> Option<i64> {
        match self {
            Step::Start | Step::Thanks => None,
            Step::Reasons | Step::Details => Some(180_000),
            Step::Level | Step::Confirm => Some(60_000),
        }
    }
}

/// How long a rating stays on the device while the citizen adds details.
const DETAILS_HOLD_MS: i64 = 200_000;
/// The thank-you screen after details were saved (nothing left to undo).
const AFTER_DETAILS_S: i64 = 5;

#[derive(Clone, Default)]
struct Draft {
    level: Option<Level>,
    items: BTreeMap<&'static str, Level>,
    reasons: Vec<ReasonTag>,
    comment: String,
    phone: String,
    stage: Option<Stage>,
    evaluator_type: Option<EvaluatorType>,
}

/// What the rating is about; set by the page.
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
    /// Offer the phone field before a good rating too (real-name policy on
    /// phone/PC pages); it is always offered with a bad one.
    #[prop(optional)]
    ask_phone: bool,
    /// Policy makes the phone number compulsory.
    #[prop(optional)]
    require_phone: bool,
    /// Where the flow rests between citizens (kiosk: the faces).
    #[prop(default = Step::Start.into(), into)]
    home: Signal<Step>,
    /// Abandon unfinished ratings after a while without a touch (public
    /// terminals); a phone is the citizen's own and never does.
    #[prop(default = true)]
    idle_reset: bool,
    /// A case pushed to this device stays until it is rated (window pad).
    #[prop(optional)]
    keep_case: bool,
    /// Runs before the flow goes back home: `true` after a rating, `false`
    /// when an unfinished one was abandoned.
    #[prop(optional)]
    on_home: Option<Callback<bool>>,
    /// Recorded voice prompts (kiosks and pads, per device setting).
    #[prop(optional, into)]
    voice_on: Signal<bool>,
) -> impl IntoView {
    let t = texts();
    let p = prefs();
    let draft = RwSignal::new(Draft::default());
    let last: RwSignal<Option<RatingRecord>> = RwSignal::new(None);
    let undoable = RwSignal::new(false);
    let countdown = RwSignal::new(0i64);
    let last_touch = RwSignal::new(0i64);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);

    let go_home = move |rated: bool| {
        draft.set(Draft::default());
        notice.set(None);
        if let Some(f) = on_home {
            f.run(rated);
        }
        step.set(home.get_untracked());
    };

    let save_details = move || -> bool {
        let Some(mut record) = last.get_untracked() else {
            return true;
        };
        let d = draft.get_untracked();
        record.items = d
            .items
            .iter()
            .map(|(dim, l)| ItemRating {
                dimension: (*dim).to_string(),
                level: *l,
            })
            .collect();
        record.comment = d.comment.trim().to_string();
        match record.validate() {
            Ok(record) => {
                let ok = sync.amend(record.clone());
                last.set(Some(record));
                ok
            }
            Err(_) => false,
        }
    };

    // Browser only: one clock for the thank-you countdown and the idle reset.
    Effect::new(move |_| {
        gloo_timers::callback::Interval::new(1_000, move || {
            let s = step.get_untracked();
            if s == Step::Thanks {
                let left = countdown.get_untracked() - 1;
                countdown.set(left);
                if left <= 0 {
                    undoable.set(false);
                    go_home(true);
                }
                return;
            }
            let Some(idle) = s.idle_ms().filter(|_| idle_reset) else {
                return;
            };
            if web::now_ms() - last_touch.get_untracked() <= idle {
                return;
            }
            let at_home = s == home.get_untracked();
            let has_case = subject.with_untracked(|x| x.case_no.is_some());
            if s == Step::Details {
                // Keep what was chosen: the rating itself is already given.
                save_details();
                go_home(true);
            } else if !at_home || (has_case && !keep_case) {
                go_home(false);
            }
        })
        .forget();
    });

    // Entering a screen starts the idle clock. A rating asked for (the pad
    // at 办结, a case typed on the kiosk) is announced; in 长辈模式 the
    // options are read out too.
    Effect::new(move |prev: Option<Step>| {
        let s = step.get();
        if prev != Some(s) {
            last_touch.set(web::now_ms());
        }
        if s == Step::Level && prev == Some(Step::Start) {
            let (tx, recorded) = (t.get_untracked(), voice_on.get_untracked());
            if p.elder.get_untracked() {
                read_levels(tx, recorded);
            } else if recorded {
                voice::say(&[voice::Prompt::PleaseRate], tx.lang_code);
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
            if step.get_untracked() != Step::Confirm {
                step.set(Step::Confirm);
            }
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
            items: vec![],
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
            evaluator_type: d.evaluator_type,
        };
        match record.validate() {
            Ok(record) => {
                // A corrected error is no longer shown above the thank-you.
                notice.set(None);
                if let Err(e) = sync.submit(record.clone()) {
                    notice.set(Some(e.message()));
                }
                last.set(Some(record));
                undoable.set(true);
                countdown.set(UNDO_WINDOW_MS / 1000);
                draft.set(Draft::default());
                step.set(Step::Thanks);
                if voice_on.get_untracked() {
                    voice::say(&[voice::Prompt::Thanks], t.get_untracked().lang_code);
                }
            }
            Err(e) => notice.set(Some(if t.get_untracked().lang_code == "en" {
                e.message_en()
            } else {
                e.message_zh()
            })),
        }
    };

    let choose = move |l: Level| {
        last_touch.set(web::now_ms());
        draft.update(|d| {
            d.level = Some(l);
            if !l.is_bad() {
                d.reasons.clear();
                d.comment.clear();
            }
        });
        if voice_on.get_untracked() {
            voice::say(&[voice::Prompt::Level(l)], t.get_untracked().lang_code);
        }
        if l.is_bad() {
            go(Step::Reasons)
        } else if ask_phone {
            go(Step::Confirm)
        } else {
            submit()
        }
    };

    let open_details = move || {
        let Some(r) = last.get_untracked() else {
            return;
        };
        if !sync.hold(r.id, web::now_ms() + DETAILS_HOLD_MS) {
            undoable.set(false);
            notice.set(Some(t.get_untracked().undo_expired.into()));
            return;
        }
        draft.set(Draft {
            level: Some(r.level),
            comment: r.comment.clone(),
            ..Draft::default()
        });
        go(Step::Details);
    };

    let screen = move || {
        let tx = t.get();
        let Some(cfg) = device.get() else {
            return ().into_any();
        };
        let set = DimensionSet::find(&cfg.dimension_set).unwrap_or(domain::DEFAULT_DIMENSION_SET);
        let go = Callback::new(go);
        let go_home = Callback::new(go_home);
        match step.get() {
            Step::Start => ().into_any(),
            Step::Level => view! {
                <LevelScreen tx subject draft voice_on choose=Callback::new(choose)/>
            }
            .into_any(),
            Step::Reasons => view! { <ReasonsScreen tx draft last_touch go/> }.into_any(),
            Step::Confirm => view! {
                <ConfirmScreen tx draft last_touch ask_phone require_phone go
                    submit=Callback::new(move |()| submit())/>
            }
            .into_any(),
            Step::Thanks => view! {
                <ThanksScreen tx set sync last undoable countdown notice go go_home
                    open_details=Callback::new(move |()| open_details())/>
            }
            .into_any(),
            Step::Details => view! {
                <DetailsScreen tx set sync draft last_touch last undoable countdown notice go go_home
                    save_details=Callback::new(move |()| save_details())/>
            }
            .into_any(),
        }
    };

    view! {
        {move || notice.get().map(|n| view! { <div class="notice" role="alert" data-testid="notice">{n}</div> })}
        <div class="flow" on:pointerdown=move |_| last_touch.set(web::now_ms())>{screen}</div>
    }
}

/// The words of a level's name: Chinese names split after 非常 / 基本,
/// others at spaces.
pub fn word_parts(text: &str) -> Vec<&str> {
    for prefix in ["非常", "基本"] {
        if let Some(rest) = text.strip_prefix(prefix).filter(|r| !r.is_empty()) {
            return vec![prefix, rest];
        }
    }
    if text.contains(' ') {
        return text.split_inclusive(' ').collect();
    }
    vec![text]
}

fn read_levels(t: &'static Texts, recorded: bool) {
    if recorded {
        let mut prompts = vec![voice::Prompt::PleaseRate];
        prompts.extend(Level::ALL.map(voice::Prompt::Level));
        voice::say(&prompts, t.lang_code);
        return;
    }
    let sep = if t.lang_code == "en" { ". " } else { "，" };
    let text = format!("{}{sep}{}", t.how_satisfied, t.levels.join(sep));
    web::speak(&text, t.lang_code);
}

/// The citizen's display toggles: language and 长辈模式. On every citizen page.
#[component]
pub fn CitizenToolbar(
    /// Shown at the toolbar's start (the kiosk's place name).
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let p = prefs();
    let t = texts();
    view! {
        <nav class="citizen-toolbar" aria-label="display">
            {children.map(|c| c())}
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

#[cfg(test)]
mod tests {
    use super::word_parts;

    #[test]
    fn level_names_break_only_between_words() {
        assert_eq!(word_parts("非常不满意"), ["非常", "不满意"]);
        assert_eq!(word_parts("基本满意"), ["基本", "满意"]);
        assert_eq!(word_parts("不满意"), ["不满意"]);
        assert_eq!(word_parts("非常"), ["非常"]);
        assert_eq!(word_parts("Very dissatisfied"), ["Very ", "dissatisfied"]);
    }
}
