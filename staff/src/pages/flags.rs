//! 刷评复核 (`/staff/flags`): the supervisor reviews ratings the server
//! flagged as possible misuse (自评, 批量评价, device bursts). A flagged
//! rating is kept but left out of every figure until reviewed: 确认为正常
//! 评价 counts it again, 认定为刷评 keeps it out. Phones only masked.

use std::collections::BTreeSet;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::pages::common::{csrf, go_to, roles, use_session_for, StaffPage};
use app::api::endpoints::flags as api;
use app::api::types::{FlagList, FlagReview, FlagView};
use domain::fraud::FlagReason;
use domain::time::china_time;

fn reason_zh(code: &str) -> String {
    FlagReason::parse(code)
        .map(|r| r.label_zh().to_string())
        .unwrap_or_else(|| code.to_string())
}

/// China time with seconds: a burst is many ratings within a minute.
fn time_s(ms: i64) -> String {
    format!("{}:{:02}", china_time(ms), ms.rem_euclid(60_000) / 1000)
}

fn verdict_zh(v: Option<&str>) -> &'static str {
    match v {
        Some("genuine") => "正常评价",
        Some("fraud") => "刷评",
        Some(_) => "已复核",
        None => "待复核",
    }
}

fn place(f: &FlagView) -> String {
    match &f.window_name {
        Some(w) if !w.is_empty() => format!("{} · {w}", f.place_name),
        _ => f.place_name.clone(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Pending,
    Reviewed,
}

impl Tab {
    fn key(self) -> &'static str {
        match self {
            Tab::Pending => "pending",
            Tab::Reviewed => "reviewed",
        }
    }
}

#[component]
pub fn FlagsPage() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    let tab = RwSignal::new(Tab::Pending);
    let list: RwSignal<Option<FlagList>> = RwSignal::new(None);
    let pending = RwSignal::new(None::<u64>);
    let selected: RwSignal<BTreeSet<String>> = RwSignal::new(BTreeSet::new());
    let note = RwSignal::new(String::new());
    let busy = RwSignal::new(false);

    let issued = RwSignal::new(0u64);
    let reload = move || {
        let t = tab.get_untracked();
        issued.update(|n| *n += 1);
        let mine = issued.get_untracked();
        spawn_local(async move {
            match api::flags(Some(t.key())).await {
                Ok(l) if issued.get_untracked() == mine => {
                    pending.set(Some(l.pending));
                    // Only what is still listed stays selected.
                    selected.update(|s| s.retain(|id| l.flags.iter().any(|f| &f.rating_id == id)));
                    list.set(Some(l));
                }
                Ok(_) => {}
                Err(e) if e.status() == Some(401) => go_to("/staff/login"),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    let session = use_session_for(roles::SUPERVISOR, error, move |_| reload());
    let is_supervisor = move || session.with(|s| s.as_ref().map(|s| s.role == "supervisor"));

    let review = move |verdict: &'static str| {
        let ids: Vec<String> = selected.get_untracked().into_iter().collect();
        if ids.is_empty() {
            error.set(Some("请先勾选要复核的评价。".into()));
            return;
        }
        let text = note.get_untracked().trim().to_string();
        if text.is_empty() {
            error.set(Some("请填写复核说明。".into()));
            return;
        }
        let body = FlagReview {
            rating_ids: ids,
            verdict: verdict.into(),
            note: text,
        };
        busy.set(true);
        spawn_local(async move {
            match api::review_flags(&csrf(session), &body).await {
                Ok(r) => {
                    error.set(None);
                    notice.set(Some(format!(
                        "已复核 {} 条：{}",
                        r.reviewed,
                        verdict_zh(Some(verdict))
                    )));
                    selected.set(BTreeSet::new());
                    note.set(String::new());
                    reload();
                }
                // The selection and the note stay for another try.
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
    };

    let switch = move |t: Tab| {
        if tab.get_untracked() != t {
            tab.set(t);
            list.set(None);
            notice.set(None);
            reload();
        }
    };

    let all_ids = move || {
        list.with(|l| {
            l.as_ref()
                .map(|l| {
                    l.flags
                        .iter()
                        .map(|f| f.rating_id.clone())
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    let all_selected = move || {
        let ids = all_ids();
        !ids.is_empty() && selected.with(|s| ids.iter().all(|i| s.contains(i)))
    };

    let pending_table = move |flags: Vec<FlagView>| {
        let shown = flags.len() as u64;
        let more = move || {
            pending.get().filter(|n| *n > shown).map(|n| {
                format!("共 {n} 条待复核，此处列出最新的 {shown} 条；复核后其余的会依次显示。")
            })
        };
        view! {
            <p class="hint" data-testid="flags-more">{more}</p>
            <div class="table-wrap" role="region" aria-label="待复核的评价" tabindex="0">
            <table class="inbox flags" data-testid="flags-table" data-status="pending">
                <thead><tr>
                    <th scope="col"><label class="check"><input type="checkbox" class="big-check" data-testid="flag-check-all"
                        prop:checked=all_selected
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            let ids = all_ids();
                            selected.update(|s| if on { s.extend(ids) } else { s.clear() });
                        }/><span>"全选"</span></label></th>
                    <th scope="col">"评价时间"</th><th scope="col">"场所 / 窗口"</th><th scope="col">"设备"</th>
                    <th scope="col">"渠道"</th><th scope="col">"等级"</th><th scope="col">"评价人手机"</th>
                    <th scope="col">"疑似原因"</th><th scope="col">"详情"</th>
                </tr></thead>
                <tbody>
                    {flags.into_iter().map(|f| {
                        let id = f.rating_id.clone();
                        let id2 = id.clone();
                        let label = format!("选择 {} {}", time_s(f.rated_at), place(&f));
                        view! {
                            <tr data-testid="flag-row" data-rating-id=f.rating_id.clone()>
                                <td><input type="checkbox" class="big-check" data-testid="flag-check" aria-label=label
                                    prop:checked=move || selected.with(|s| s.contains(&id))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let id = id2.clone();
                                        selected.update(|s| { if on { s.insert(id); } else { s.remove(&id); } });
                                    }/></td>
                                <td>{time_s(f.rated_at)}</td>
                                <td>{place(&f)}</td>
                                <td>{f.device_code.clone()}</td>
                                <td>{f.channel.label_zh()}</td>
                                <td>{f.level.label_zh()}</td>
                                <td>{f.evaluator_phone.clone().unwrap_or_else(|| "—".into())}</td>
                                <td>{f.reasons.iter().map(|r| reason_zh(r)).collect::<Vec<_>>().join("；")}</td>
                                <td class="comment-cell">{f.detail.clone()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            </div>
            <form class="form review-form" on:submit=move |ev: leptos::ev::SubmitEvent| ev.prevent_default()>
                <p class="hint" data-testid="flag-selected">{move || format!("已选 {} 条", selected.with(|s| s.len()))}</p>
                <label>
                    <span>"复核说明（必填）"</span>
                    <textarea data-testid="flag-note" rows="3" required
                        prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea>
                </label>
                <div class="choices">
                    <button type="button" class="primary" data-testid="flag-genuine" disabled=move || busy.get()
                        on:click=move |_| review("genuine")>"确认为正常评价"</button>
                    <button type="button" class="secondary danger" data-testid="flag-fraud" disabled=move || busy.get()
                        on:click=move |_| review("fraud")>"认定为刷评"</button>
                </div>
            </form>
        }
    };

    let reviewed_table = |flags: Vec<FlagView>| {
        view! {
            <div class="table-wrap" role="region" aria-label="已复核的评价" tabindex="0">
            <table class="inbox flags" data-testid="flags-table" data-status="reviewed">
                <thead><tr>
                    <th scope="col">"评价时间"</th><th scope="col">"场所 / 窗口"</th><th scope="col">"设备"</th>
                    <th scope="col">"渠道"</th><th scope="col">"等级"</th><th scope="col">"疑似原因"</th>
                    <th scope="col">"复核结论"</th><th scope="col">"复核人"</th><th scope="col">"复核时间"</th><th scope="col">"复核说明"</th>
                </tr></thead>
                <tbody>
                    {flags.into_iter().map(|f| {
                        let fraud = f.verdict.as_deref() == Some("fraud");
                        view! {
                            <tr data-testid="flag-row" data-rating-id=f.rating_id.clone() data-verdict=f.verdict.clone().unwrap_or_default()>
                                <td>{time_s(f.rated_at)}</td>
                                <td>{place(&f)}</td>
                                <td>{f.device_code.clone()}</td>
                                <td>{f.channel.label_zh()}</td>
                                <td>{f.level.label_zh()}</td>
                                <td>{f.reasons.iter().map(|r| reason_zh(r)).collect::<Vec<_>>().join("；")}</td>
                                <td class:bad=fraud data-testid="flag-verdict">{verdict_zh(f.verdict.as_deref())}</td>
                                <td>{f.reviewed_by.clone().unwrap_or_default()}</td>
                                <td>{f.reviewed_at.map(china_time).unwrap_or_default()}</td>
                                <td class="comment-cell">{f.review_note.clone().unwrap_or_default()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        }
    };

    view! {
        <Title text="刷评复核 · 好差评"/>
        <StaffPage title=Signal::derive(|| "刷评复核".to_string()) class="tablet flags-page">
            <p class="hint">"系统标记的疑似自评、批量评价和刷评。复核前这些评价仍计入评价数、差评数，但不计入有效评价及好评率、主动评价率等有效指标；确认为正常评价后计入有效指标，认定为刷评的始终不计入。"</p>
            {move || (is_supervisor() == Some(false)).then(|| view! {
                <p class="error" role="alert" data-testid="not-allowed">"刷评复核仅限督查人员。"</p>
            })}
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="error">{e}</p> })}
            {move || notice.get().map(|n| view! { <p class="notice-ok" role="status" data-testid="notice">{n}</p> })}
            <div class="filters" role="group" aria-label="复核状态">
                <button type="button" class="filter" data-testid="flags-tab-pending"
                    aria-pressed=move || (tab.get() == Tab::Pending).to_string() on:click=move |_| switch(Tab::Pending)>
                    {move || match pending.get() { Some(n) => format!("待复核（{n}）"), None => "待复核".into() }}
                </button>
                <button type="button" class="filter" data-testid="flags-tab-reviewed"
                    aria-pressed=move || (tab.get() == Tab::Reviewed).to_string() on:click=move |_| switch(Tab::Reviewed)>
                    "已复核"
                </button>
            </div>
            {move || match (list.get(), tab.get()) {
                (None, _) => view! { <p role="status">"正在加载…"</p> }.into_any(),
                (Some(l), Tab::Pending) if l.flags.is_empty() => view! { <p data-testid="flags-empty">"没有待复核的评价。"</p> }.into_any(),
                (Some(l), Tab::Reviewed) if l.flags.is_empty() => view! { <p data-testid="flags-empty">"还没有复核记录。"</p> }.into_any(),
                (Some(l), Tab::Pending) => pending_table(l.flags).into_any(),
                (Some(l), Tab::Reviewed) => reviewed_table(l.flags).into_any(),
            }}
        </StaffPage>
    }
}
