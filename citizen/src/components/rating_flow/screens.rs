//! The flow's screens, one component each: the faces, the reasons of a
//! bad rating, the confirmation, the thank-you (with its undo) and the
//! details (分项评价 and comment).

use leptos::prelude::*;

use super::{read_levels, word_parts, Draft, Step, Subject, AFTER_DETAILS_S};
use crate::offline::engine::SyncState;
use app::components::face::Face;
use app::i18n::{prefs, texts, Texts};
use app::web;
use domain::case::EvaluatorType;
use domain::{DimensionSet, Level, RatingRecord, ReasonTag, COMMENT_MAX_CHARS};

/// The five faces (and the stages of a case, when it has several).
#[component]
pub(super) fn LevelScreen(
    tx: &'static Texts,
    subject: RwSignal<Subject>,
    draft: RwSignal<Draft>,
    voice_on: Signal<bool>,
    choose: Callback<Level>,
) -> impl IntoView {
    let t = texts();
    let p = prefs();
    view! {
        <section class="screen rate-levels">
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
                        on:click=move |_| choose.run(l)>
                        <Face level=l/>
                        <span class="level-label">{tx.level(l)}</span>
                    </button>
                }).collect_view()}
            </div>
            <Show when=move || p.elder.get()>
                <button class="secondary speak" data-testid="read-aloud"
                    on:click=move |_| read_levels(t.get_untracked(), voice_on.get_untracked())>{move || t.get().read_aloud}</button>
            </Show>
        </section>
    }
}

/// The reasons of a bad rating, and a comment.
#[component]
pub(super) fn ReasonsScreen(
    tx: &'static Texts,
    draft: RwSignal<Draft>,
    last_touch: RwSignal<i64>,
    go: Callback<Step>,
) -> impl IntoView {
    view! {
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
            <CommentField draft last_touch/>
            <div class="actions">
                <button class="secondary" data-testid="back" on:click=move |_| go.run(Step::Level)>{tx.back}</button>
                <button class="primary" data-testid="next" on:click=move |_| go.run(Step::Confirm)>{tx.next}</button>
            </div>
        </section>
    }
}

/// The rating before it is given: a bad one's reasons, the phone for the
/// follow-up and who rates.
#[component]
pub(super) fn ConfirmScreen(
    tx: &'static Texts,
    draft: RwSignal<Draft>,
    last_touch: RwSignal<i64>,
    ask_phone: bool,
    require_phone: bool,
    go: Callback<Step>,
    submit: Callback<()>,
) -> impl IntoView {
    let d = draft.get_untracked();
    let level = d.level.unwrap_or(Level::Dissatisfied);
    let sep = if tx.lang_code == "en" { ", " } else { "、" };
    let reasons = d
        .reasons
        .iter()
        .map(|r| tx.reason(*r))
        .collect::<Vec<_>>()
        .join(sep);
    let phone_label = if require_phone {
        tx.phone_label_required
    } else {
        tx.phone_label
    };
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
            {(ask_phone || require_phone || level.is_bad()).then(|| view! {
                <label class="phone">
                    <span data-testid="phone-label">{phone_label}</span>
                    <input type="tel" inputmode="numeric" maxlength="11" data-testid="phone" autocomplete="tel"
                        required=require_phone
                        prop:value=move || draft.with(|d| d.phone.clone())
                        on:input=move |ev| { last_touch.set(web::now_ms()); draft.update(|d| d.phone = event_target_value(&ev)); }/>
                    <small>{tx.phone_hint}</small>
                </label>
                // 004 第三条: 自然人 or 法人和其他组织 (optional).
                <div class="evaluator-type" role="group" aria-label=tx.evaluator_type_label>
                    <span>{tx.evaluator_type_label}</span>
                    {EvaluatorType::ALL.into_iter().map(|et| view! {
                        <button class="secondary" data-testid=format!("evaluator-{}", et.as_str())
                            aria-pressed=move || draft.with(|d| (d.evaluator_type == Some(et)).to_string())
                            on:click=move |_| { last_touch.set(web::now_ms()); draft.update(|d| d.evaluator_type = if d.evaluator_type == Some(et) { None } else { Some(et) }); }>
                            {if tx.lang_code == "en" { et.label_en() } else { et.label_zh() }}
                        </button>
                    }).collect_view()}
                </div>
            })}
            <div class="actions">
                <button class="secondary" data-testid="back-to-levels" on:click=move |_| go.run(Step::Level)>{tx.change}</button>
                <button class="primary" class:danger=level.is_bad() data-testid="confirm" on:click=move |_| submit.run(())>{tx.confirm}</button>
            </div>
        </section>
    }
}

/// 谢谢: the undo while it is possible, the offer of details, 完成.
#[component]
#[allow(clippy::too_many_arguments)]
pub(super) fn ThanksScreen(
    tx: &'static Texts,
    set: DimensionSet,
    sync: SyncState,
    last: RwSignal<Option<RatingRecord>>,
    undoable: RwSignal<bool>,
    countdown: RwSignal<i64>,
    notice: RwSignal<Option<String>>,
    go: Callback<Step>,
    go_home: Callback<bool>,
    open_details: Callback<()>,
) -> impl IntoView {
    let t = texts();
    view! {
        <section class="screen thanks" data-testid="thanks">
            <h1>{tx.thanks}</h1>
            <Show when=move || undoable.get()>
                <p data-testid="undo-countdown">{move || t.get().undo_within.replace("{n}", &countdown.get().max(0).to_string())}</p>
            </Show>
            <div class="actions">
                <Show when=move || undoable.get()>
                    <button class="secondary" data-testid="undo" on:click=move |_| {
                        if let Some(r) = last.get_untracked() {
                            if sync.undo(r.id) {
                                undoable.set(false);
                                go.run(Step::Level);
                                notice.set(Some(t.get_untracked().undone.into()));
                            } else {
                                undoable.set(false);
                                notice.set(Some(t.get_untracked().undo_expired.into()));
                            }
                        }
                    }>{move || t.get().undo}</button>
                </Show>
                // Offered while the rating is still on the device.
                <Show when=move || details_offered(undoable.get(), countdown.get(), set)>
                    <button class="secondary" data-testid="add-details" on:click=move |_| open_details.run(())>
                        {move || t.get().details_offer}
                    </button>
                </Show>
                <button class="primary" data-testid="done" on:click=move |_| {
                    if let Some(r) = last.get_untracked() { sync.release(r.id); }
                    undoable.set(false);
                    go_home.run(true);
                }>{move || t.get().done}</button>
            </div>
        </section>
    }
}

/// 分项评价 on the rating's own dimensions, and a comment.
#[component]
#[allow(clippy::too_many_arguments)]
pub(super) fn DetailsScreen(
    tx: &'static Texts,
    set: DimensionSet,
    sync: SyncState,
    draft: RwSignal<Draft>,
    last_touch: RwSignal<i64>,
    last: RwSignal<Option<RatingRecord>>,
    undoable: RwSignal<bool>,
    countdown: RwSignal<i64>,
    notice: RwSignal<Option<String>>,
    go: Callback<Step>,
    go_home: Callback<bool>,
    /// Amends the rating on the device; `false` when that failed.
    save_details: Callback<(), bool>,
) -> impl IntoView {
    let t = texts();
    view! {
        <section class="screen details">
            <h1>{tx.dimensions_title}</h1>
            <div class="dimensions">
                {set.dimensions.iter().map(|dim| {
                    let code = dim.code;
                    // Labels from the rating's own set (seven-v1 has its own words).
                    let label = if tx.lang_code == "en" { dim.label_en } else { dim.label_zh };
                    view! {
                        <div class="dimension" role="group" aria-label=label>
                            <span class="dimension-label">{label}</span>
                            <div class="dim-levels">
                                {Level::ALL.into_iter().map(|l| view! {
                                    <button class="dim-level"
                                        data-testid=format!("dim-{code}-{}", l.as_str())
                                        class:selected=move || draft.with(|d| d.items.get(code) == Some(&l))
                                        aria-pressed=move || draft.with(|d| (d.items.get(code) == Some(&l)).to_string())
                                        on:click=move |_| { last_touch.set(web::now_ms()); draft.update(|d| { d.items.insert(code, l); }); }>
                                        <Face level=l/>
                                        <WordWrapped text=tx.level(l)/>
                                    </button>
                                }).collect_view()}
                            </div>
                        </div>
                    }
                }).collect_view()}
            </div>
            <CommentField draft last_touch/>
            <div class="actions">
                <button class="secondary" data-testid="skip-details" on:click=move |_| {
                    if let Some(r) = last.get_untracked() { sync.release(r.id); }
                    undoable.set(false);
                    go_home.run(true);
                }>{tx.skip}</button>
                <button class="primary" data-testid="save-details" on:click=move |_| {
                    let saved = save_details.run(());
                    undoable.set(false);
                    countdown.set(AFTER_DETAILS_S);
                    go.run(Step::Thanks);
                    notice.set(Some(if saved { t.get_untracked().details_saved } else { t.get_untracked().details_not_saved }.into()));
                }>{tx.save}</button>
            </div>
        </section>
    }
}

/// Details are offered while the rating is still on the device, with a
/// second to spare: the set's dimensions, if it has any, and a comment or
/// suggestion on any rating (seed 001 三(四) classifies suggestions given
/// with good ratings).
fn details_offered(undoable: bool, seconds_left: i64, _set: DimensionSet) -> bool {
    undoable && seconds_left > 1
}

/// The comment box, on the reasons screen and with the details.
#[component]
pub(super) fn CommentField(draft: RwSignal<Draft>, last_touch: RwSignal<i64>) -> impl IntoView {
    let t = texts();
    view! {
        <label class="comment">
            <span>{move || t.get().comment_label}</span>
            <textarea data-testid="comment" maxlength=COMMENT_MAX_CHARS.to_string() rows="3"
                prop:value=move || draft.with(|d| d.comment.clone())
                on:input=move |ev| { last_touch.set(web::now_ms()); draft.update(|d| d.comment = event_target_value(&ev)); }>
            </textarea>
            <span class="counter">{move || format!("{} / {}", draft.with(|d| d.comment.chars().count()), COMMENT_MAX_CHARS)}</span>
        </label>
    }
}

/// A level's name that wraps only between words: 非常|不满意, never 非常不|满意.
#[component]
fn WordWrapped(text: &'static str) -> impl IntoView {
    view! {
        <span class="dim-label">
            {word_parts(text).into_iter().map(|w| view! { <span class="word">{w}</span> }).collect_view()}
        </span>
    }
}
