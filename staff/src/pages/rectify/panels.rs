//! The sections under the ticket list: the supervisor's spot-check
//! sample, common problems (共性问题) and the ledger export, each with its
//! own period.

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::TicketCard;
use crate::pages::common::csrf;
use app::api::endpoints::rectify as api;
use app::api::types::{
    CommonArchive, CommonGroup, CommonOverview, CommonView, NewCommon, SampleView, StaffSession,
};
use domain::rectify::Outcome;

/// Two date inputs, `YYYY-MM-DD`.
#[component]
fn Period(from: RwSignal<String>, to: RwSignal<String>, prefix: &'static str) -> impl IntoView {
    view! {
        <label><span>"开始日期"</span>
            <input type="date" data-testid=format!("{prefix}-from") prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev))/></label>
        <label><span>"结束日期"</span>
            <input type="date" data-testid=format!("{prefix}-to") prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev))/></label>
    }
}

/// 抽查样本 (supervisors): the period and the sample drawn for it.
#[component]
pub(super) fn SamplePanel(
    from: RwSignal<String>,
    to: RwSignal<String>,
    sample: RwSignal<Option<SampleView>>,
    load: Callback<()>,
) -> impl IntoView {
    view! {
                <section class="loop-section" id="sample" data-testid="sample-section">
                    <h2>"抽查样本"</h2>
                    <form class="form row" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); load.run(()); }>
                        <Period from=from to=to prefix="sample"/>
                        <button class="primary" type="submit" data-testid="sample-load">"查询"</button>
                    </form>
                    {move || sample.get().map(|s| view! {
                        <p data-testid="sample-summary">{format!("{} 至 {}：已存档整改 {} 件，按不低于 {}% 抽取，样本 {} 件", s.from, s.to, s.archived, s.percent, s.tickets.len())}</p>
                        <div class="ticket-list" data-testid="sample">
                            {s.tickets.into_iter().map(|t| view! { <TicketCard ticket=t testid="sample-ticket"/> }).collect_view()}
                        </div>
                    })}
                </section>
    }
}

/// 共性问题: groups the server suggests merging, and the merged ones, each
/// archived with one rectification for all its tickets.
#[component]
#[allow(clippy::too_many_arguments)]
pub(super) fn CommonPanel(
    from: RwSignal<String>,
    to: RwSignal<String>,
    common: RwSignal<Option<CommonOverview>>,
    session: RwSignal<Option<StaffSession>>,
    error: RwSignal<Option<String>>,
    notice: RwSignal<Option<String>>,
    /// Reloads the ticket list.
    reload: Callback<()>,
    /// Reloads this panel.
    load: Callback<()>,
) -> impl IntoView {
    let common_result: RwSignal<Option<String>> = RwSignal::new(None);
    let merge = move |g: CommonGroup| {
        let req = NewCommon {
            key: g.key,
            title: g.label,
            ticket_ids: g.ticket_ids,
        };
        spawn_local(async move {
            match api::new_common(&csrf(session), &req).await {
                Ok(c) => {
                    error.set(None);
                    notice.set(Some(format!(
                        "已合并为共性问题：{}（{} 件）",
                        c.title,
                        c.ticket_ids.len()
                    )));
                    load.run(());
                }
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    let archive_common = move |id: i64, outcome: Outcome, description: RwSignal<String>| {
        let req = CommonArchive {
            outcome,
            note: description.get_untracked(),
        };
        spawn_local(async move {
            match api::archive_common(&csrf(session), id, &req).await {
                Ok(r) => {
                    error.set(None);
                    let mut text = format!("已存档 {} 件", r.archived.len());
                    if !r.skipped.is_empty() {
                        let why: Vec<String> = r
                            .skipped
                            .iter()
                            .map(|(t, m)| format!("#{t}：{m}"))
                            .collect();
                        text.push_str(&format!(
                            "，未存档 {} 件（{}）",
                            r.skipped.len(),
                            why.join("；")
                        ));
                    }
                    common_result.set(Some(text));
                    description.set(String::new());
                    reload.run(());
                    load.run(());
                }
                // What was typed stays.
                Err(e) => error.set(Some(e.message())),
            }
        });
    };

    view! {
            <section class="loop-section" id="common" data-testid="common-section">
                <h2>"共性问题"</h2>
                <form class="form row" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); load.run(()); }>
                    <Period from=from to=to prefix="common"/>
                    <button class="secondary" type="submit" data-testid="common-load">"查询"</button>
                </form>
                {move || common_result.get().map(|r| view! { <p class="notice-ok" role="status" data-testid="common-result">{r}</p> })}
                <h3>"建议合并"</h3>
                {move || common.with(|c| c.as_ref().is_some_and(|c| c.suggested.is_empty())).then(|| view! { <p class="hint">"暂无可合并的共性问题。"</p> })}
                <ul class="common-list">
                    {move || common.with(|c| c.as_ref().map(|c| c.suggested.clone()).unwrap_or_default()).into_iter().map(|g| {
                        let label = g.label.clone();
                        let ids = g.ticket_ids.iter().map(|i| format!("#{i}")).collect::<Vec<_>>().join(" ");
                        view! {
                            <li class="common-item" data-testid="common-suggested">
                                <span><strong>{label}</strong>{format!("（{} 件：{ids}）", g.ticket_ids.len())}</span>
                                <button class="primary" data-testid="common-merge" on:click=move |_| merge(g.clone())>"合并整改"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
                <h3>"已合并"</h3>
                {move || common.with(|c| c.as_ref().is_some_and(|c| c.existing.is_empty())).then(|| view! { <p class="hint">"暂无。"</p> })}
                <ul class="common-list">
                    // Keyed: a reload (a new bad rating, say) keeps what is being typed.
                    <For each=move || common.with(|c| c.as_ref().map(|c| c.existing.clone()).unwrap_or_default())
                        key=|x| x.id
                        children=move |x: CommonView| {
                            let outcome = RwSignal::new(Outcome::Fixed);
                            let description = RwSignal::new(String::new());
                            let id = x.id;
                            let ids = x.ticket_ids.iter().map(|i| format!("#{i}")).collect::<Vec<_>>().join(" ");
                            view! {
                                <li class="common-item existing" data-testid="common-existing" data-common-id=x.id.to_string()>
                                    <p><strong>{x.title.clone()}</strong>{format!("（{} 件：{ids}）", x.ticket_ids.len())}</p>
                                    <form class="form common-archive" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                        ev.prevent_default();
                                        archive_common(id, outcome.get_untracked(), description);
                                    }>
                                        <label><span>"整改结果"</span>
                                            <select data-testid="common-outcome" on:change=move |ev| outcome.set(Outcome::parse(&event_target_value(&ev)).unwrap_or(Outcome::Fixed))>
                                                {Outcome::ALL.iter().map(|o| view! { <option value=o.as_str() selected=move || outcome.get() == *o>{o.label_zh()}</option> }).collect_view()}
                                            </select></label>
                                        <label><span>"整改说明"</span>
                                            <textarea rows="3" data-testid="common-description" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                                            <small class="hint" data-testid="description-warning">"此说明将展示给被评价的窗口工作人员（系统会隐去手机号、证件号和姓名），请勿写入评价人的任何信息。"</small></label>
                                        <button class="primary" type="submit" data-testid="common-archive">"提交"</button>
                                    </form>
                                </li>
                            }
                        }
                    />
                </ul>
            </section>
    }
}

/// 整改台账导出: the ledger of the period as Excel or CSV.
#[component]
pub(super) fn LedgerPanel(from: RwSignal<String>, to: RwSignal<String>) -> impl IntoView {
    let ledger_href = move |format: &str| api::ledger_url(&from.get(), &to.get(), format);
    view! {
            <section class="loop-section ledger" id="ledger" data-testid="ledger-section">
                <h2>"整改台账导出"</h2>
                <div class="form row">
                    <Period from=from to=to prefix="ledger"/>
                    <a class="button-link primary" data-testid="ledger-xlsx" rel="external" download href=move || ledger_href("xlsx")>"导出 Excel"</a>
                    <a class="button-link" data-testid="ledger-csv" rel="external" download href=move || ledger_href("csv")>"导出 CSV"</a>
                </div>
            </section>
    }
}
