//! 录入评价 (`/staff/entry`): paper forms and phone ratings typed in by
//! staff, fast with a keyboard.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use uuid::Uuid;
use wasm_bindgen::JsCast;

use crate::pages::common::{csrf, roles, use_session_for, StaffPage};
use app::api::endpoints::staff as staff_api;
use app::api::types::StaffEntry;
use app::web;
use domain::case::{EvaluatorType, RatingKind};
use domain::rating::new_rating_id;
use domain::{Channel, CodeMap, ReasonTag};

/// Today in China, `YYYY-MM-DD` (one time zone on every staff page).
fn today() -> String {
    domain::calendar::Date::of_instant(web::now_ms()).to_string()
}

/// When a form dated `YYYY-MM-DD` was filled in: noon China time of that
/// day, or now for a form dated today (noon may not have come yet).
fn time_of(date: &str) -> Option<i64> {
    let d = domain::calendar::Date::parse(date)?;
    Some((d.start_ms() + 12 * 3_600_000).min(web::now_ms()))
}

/// 书面评价表 / 电话 entry. Keys: type the GB/T 39046 code 1–5 for the level
/// (1 非常满意 … 5 非常不满意), Enter submits, the next form starts with the
/// cursor in the case number and the channel, date and window kept.
#[component]
pub fn EntryPage() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let session = use_session_for(roles::HANDLERS, error, |_| {});
    let channel = RwSignal::new(Channel::Paper);
    let date = RwSignal::new(String::new());
    let window = RwSignal::new(String::new());
    let case_no = RwSignal::new(String::new());
    let level_code = RwSignal::new(String::new());
    let reasons: RwSignal<Vec<ReasonTag>> = RwSignal::new(vec![]);
    let comment = RwSignal::new(String::new());
    let evaluator_type: RwSignal<Option<EvaluatorType>> = RwSignal::new(None);
    let entered: RwSignal<Vec<(String, String)>> = RwSignal::new(vec![]);
    let form_id = RwSignal::new(Uuid::nil());
    let busy = RwSignal::new(false);
    Effect::new(move |_| {
        date.set(today());
        form_id.set(new_rating_id(web::now_ms() as u64, &web::random_10()));
    });
    let level = move || {
        level_code
            .with(|c| c.trim().parse::<u8>().ok())
            .and_then(|c| CodeMap::Gbt39046.decode(c))
    };
    let focus_case = move || {
        if let Some(el) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector("[data-testid=entry-case]").ok().flatten())
        {
            if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(level) = level() else {
            error.set(Some(
                "请输入评价等级代码 1–5（1 非常满意、2 满意、3 基本满意、4 不满意、5 非常不满意）"
                    .into(),
            ));
            return;
        };
        let entry = StaffEntry {
            id: form_id.get_untracked(),
            channel: channel.get_untracked(),
            level,
            case_no: Some(case_no.get_untracked()).filter(|s| !s.trim().is_empty()),
            window_code: Some(window.get_untracked()).filter(|s| !s.trim().is_empty()),
            reasons: if level.is_bad() {
                reasons.get_untracked()
            } else {
                vec![]
            },
            // 意见建议 on a form of any level are kept (seed 001 三(四)).
            comment: comment.get_untracked(),
            evaluator_phone: None,
            evaluator_type: evaluator_type.get_untracked(),
            rated_at: time_of(&date.get_untracked()),
        };
        busy.set(true);
        spawn_local(async move {
            match staff_api::add_entry(&csrf(session), &entry).await {
                Ok(r) => {
                    error.set(None);
                    let kind = match r.kind {
                        Some(RatingKind::FollowUp) => "追加评价",
                        _ => "已录入",
                    };
                    entered.update(|e| {
                        e.insert(
                            0,
                            (
                                format!(
                                    "{} {}",
                                    entry
                                        .case_no
                                        .clone()
                                        .unwrap_or_else(|| "（无办件编号）".into()),
                                    level.label_zh()
                                ),
                                kind.into(),
                            ),
                        )
                    });
                    form_id.set(new_rating_id(web::now_ms() as u64, &web::random_10()));
                    case_no.set(String::new());
                    level_code.set(String::new());
                    reasons.set(vec![]);
                    comment.set(String::new());
                    evaluator_type.set(None);
                    focus_case();
                }
                // Nothing typed is lost: the form keeps its content and id.
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
    };
    view! {
        <Title text="录入评价 · 好差评"/>
        <StaffPage title=Signal::derive(|| "录入书面评价表 / 电话评价".to_string()) class="">
            <p class="hint">"等级键入 1–5（1 非常满意 … 5 非常不满意），回车提交并开始下一份。"</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="entry-error">{e}</p> })}
            <form class="form entry" on:submit=submit>
                <div class="row">
                    <label><span>"渠道"</span>
                        <select data-testid="entry-channel" on:change=move |ev| channel.set(Channel::parse(&event_target_value(&ev)).unwrap_or(Channel::Paper))>
                            <option value="paper" selected>"书面评价表"</option>
                            <option value="phone">"电话/12345"</option>
                        </select></label>
                    <label><span>"评价日期"</span>
                        <input type="date" data-testid="entry-date" prop:value=move || date.get() on:input=move |ev| date.set(event_target_value(&ev))/></label>
                    <label><span>"窗口编码（选填）"</span>
                        <input data-testid="entry-window" prop:value=move || window.get() on:input=move |ev| window.set(event_target_value(&ev))/></label>
                </div>
                <div class="row">
                    <label><span>"办件编号（选填）"</span>
                        <input data-testid="entry-case" autofocus prop:value=move || case_no.get() on:input=move |ev| case_no.set(event_target_value(&ev))/></label>
                    <label><span>"等级代码 1–5"</span>
                        <input data-testid="entry-level" inputmode="numeric" maxlength="1" prop:value=move || level_code.get() on:input=move |ev| level_code.set(event_target_value(&ev))/></label>
                    <span class="level-echo" data-testid="entry-level-label">{move || level().map(|l| l.label_zh()).unwrap_or("")}</span>
                </div>
                <Show when=move || level().is_some_and(|l| l.is_bad())>
                    <fieldset class="reasons-inline"><legend>"差评原因"</legend>
                        {ReasonTag::ALL.into_iter().map(|r| view! {
                            <label class="check"><input type="checkbox" data-testid=format!("entry-reason-{}", r.as_str())
                                prop:checked=move || reasons.with(|v| v.contains(&r))
                                on:change=move |_| reasons.update(|v| if let Some(i) = v.iter().position(|x| *x == r) { v.remove(i); } else { v.push(r); })/>
                            {r.label_zh()}</label>
                        }).collect_view()}
                    </fieldset>
                </Show>
                <div class="row">
                    <label><span>"意见建议（选填）"</span>
                        <input data-testid="entry-comment" prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))/></label>
                    <label><span>"评价人类型（选填）"</span>
                        <select data-testid="entry-evaluator-type"
                            on:change=move |ev| evaluator_type.set(EvaluatorType::parse(&event_target_value(&ev)))>
                            <option value="" selected=move || evaluator_type.get().is_none()>"未填写"</option>
                            {EvaluatorType::ALL.into_iter().map(|t| view! {
                                <option value=t.as_str() selected=move || evaluator_type.get() == Some(t)>{t.label_zh()}</option>
                            }).collect_view()}
                        </select></label>
                </div>
                <button class="primary" type="submit" data-testid="entry-submit" disabled=move || busy.get()>"提交（回车）"</button>
            </form>
            <p data-testid="entry-count">{move || format!("本次已录入 {} 份", entered.with(Vec::len))}</p>
            <ul data-testid="entry-list">
                {move || entered.get().into_iter().map(|(what, kind)| view! { <li>{format!("{what} · {kind}")}</li> }).collect_view()}
            </ul>
        </StaffPage>
    }
}
