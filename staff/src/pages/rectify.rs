//! 差评整改 (the bad-rating closed loop) for unit administrators and
//! supervisors, on a tablet: the ticket list with live alerts, the
//! supervisor's spot-check sample, common problems and the ledger export;
//! and one ticket's detail with the steps the server says are possible.
//! The rules live in `domain::rectify` and on the server: this page shows
//! `ticket.possible` and the server's answers, nothing more.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use wasm_bindgen::JsCast;

use crate::pages::common::{csrf, role_label, roles, use_session_for, StaffPage};
use app::api::client::ClientError;
use app::api::endpoints::rectify::{self as api, TicketQuery};
use app::api::types::{
    CommonArchive, CommonGroup, CommonOverview, CommonView, EvidenceView, NewCommon, Revealed,
    SampleView, StepRequest, TicketDetail, TicketEvent, TicketList, TicketPush, TicketView,
};
use app::components::face::Face;
use app::web;
use app::web::china_today;
use domain::calendar::{Date, DAY_MS};
use domain::rectify::{Action, ActionKind, Outcome, Overdue, Role, Status, Verdict};
use domain::time::{china_deadline, china_deadline_short, china_time};

/// The list's filter buttons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Filter {
    All,
    Open,
    Contacted,
    Rectifying,
    Review,
    Feedback,
    Closed,
    Overdue,
}

impl Filter {
    const ALL: [Filter; 8] = [
        Filter::All,
        Filter::Open,
        Filter::Contacted,
        Filter::Rectifying,
        Filter::Review,
        Filter::Feedback,
        Filter::Closed,
        Filter::Overdue,
    ];

    fn key(self) -> &'static str {
        match self {
            Filter::All => "all",
            Filter::Open => "open",
            Filter::Contacted => "contacted",
            Filter::Rectifying => "rectifying",
            Filter::Review => "review",
            Filter::Feedback => "feedback",
            Filter::Closed => "closed",
            Filter::Overdue => "overdue",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Filter::All => "全部",
            Filter::Open => "待沟通",
            Filter::Contacted => "待核实",
            Filter::Rectifying => "整改中",
            Filter::Review => "待审批",
            Filter::Feedback => "待回访",
            Filter::Closed => "已办结",
            Filter::Overdue => "超期",
        }
    }

    fn statuses(self) -> &'static [Status] {
        match self {
            Filter::All | Filter::Overdue => &[],
            Filter::Open => &[Status::Open],
            Filter::Contacted => &[Status::Contacted],
            Filter::Rectifying => &[Status::Rectifying],
            Filter::Review => &[
                Status::PendingReview,
                Status::Appealed,
                Status::ExtensionRequested,
            ],
            Filter::Feedback => &[Status::AwaitingFeedback],
            Filter::Closed => &[Status::Closed, Status::Excluded],
        }
    }

    /// What the list asks the server for, one page from `offset`.
    fn query(self, offset: i64) -> TicketQuery {
        TicketQuery {
            statuses: self.statuses().to_vec(),
            overdue: self == Filter::Overdue,
            limit: Some(PAGE),
            offset: Some(offset),
        }
    }
}

/// Tickets per page of the list.
const PAGE: i64 = 50;

fn role_of(session: &app::api::types::StaffSession) -> Option<Role> {
    Role::parse(&session.role)
}

/// "剩余 N 天" (whole days, rounded up) or "已超期", and whether it is late.
fn due_text(due: i64, now: i64) -> (String, bool) {
    if now >= due {
        ("已超期".into(), true)
    } else {
        let days = (due - now + DAY_MS - 1) / DAY_MS;
        (format!("剩余 {days} 天"), false)
    }
}

fn place_window(place: &str, window: Option<&str>) -> String {
    match window {
        Some(w) if !w.is_empty() => format!("{place} · {w}"),
        _ => place.to_string(),
    }
}

fn reasons_zh(t: &TicketView) -> String {
    t.reasons
        .iter()
        .map(|r| r.label_zh())
        .collect::<Vec<_>>()
        .join("、")
}

fn overdue_badge(o: Overdue) -> impl IntoView {
    view! { <span class="badge danger overdue" data-testid="overdue">{o.label_zh()}</span> }
}

/// One ticket in a list: a link to its detail.
#[component]
fn TicketCard(
    ticket: TicketView,
    #[prop(default = "ticket")] testid: &'static str,
) -> impl IntoView {
    let now = web::now_ms();
    let t = ticket;
    let reasons = reasons_zh(&t);
    view! {
        <a class="ticket-card" class:is-overdue=t.overdue.is_some()
            href=format!("/staff/loop/{}", t.id)
            data-testid=testid data-ticket-id=t.id.to_string() data-status=t.status.as_str()>
            <div class="ticket-level">
                <Face level=t.level/>
                <span class="bad">{t.level.label_zh()}</span>
            </div>
            <div class="ticket-main">
                <p class="ticket-where">{place_window(&t.place_name, t.window_name.as_deref())}</p>
                <p class="ticket-reasons">{if reasons.is_empty() { "（未选原因）".to_string() } else { reasons }}</p>
                {(!t.comment.is_empty()).then(|| view! { <p class="ticket-comment">{t.comment.clone()}</p> })}
                <p class="ticket-meta">{format!("#{} · {} · {}", t.id, china_time(t.opened_at), t.channel.label_zh())}</p>
            </div>
            <div class="ticket-side">
                <span class="ticket-status" data-testid="ticket-status">{t.status.label_zh()}</span>
                {t.next_due.map(|due| {
                    let (left, late) = due_text(due, now);
                    view! {
                        <span class="due" class:late=late data-testid="due">
                            <span>{format!("期限 {}", china_deadline_short(due))}</span>
                            <span>{left}</span>
                        </span>
                    }
                })}
                {t.overdue.map(overdue_badge)}
            </div>
        </a>
    }
}

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

/// `/staff/loop`: the tablet's list of bad-rating tickets.
#[component]
pub fn LoopPage() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    let filter = RwSignal::new(Filter::All);
    let list: RwSignal<Option<TicketList>> = RwSignal::new(None);
    let alert: RwSignal<Option<String>> = RwSignal::new(None);
    let alerts = RwSignal::new(0u32);
    let sound_blocked = RwSignal::new(false);
    let live = RwSignal::new(false);
    let offline = RwSignal::new(false);

    // Only the answer to the latest request is shown: an older, slower one
    // (or one for another filter) never overwrites it.
    let issued = RwSignal::new(0u64);
    let offset = RwSignal::new(0i64);
    let reload = move || {
        let f = filter.get_untracked();
        let q = f.query(offset.get_untracked());
        issued.update(|n| *n += 1);
        let mine = issued.get_untracked();
        spawn_local(async move {
            match api::tickets(&q).await {
                Ok(l) if issued.get_untracked() == mine => {
                    offline.set(false);
                    list.set(Some(l));
                }
                Ok(_) => offline.set(false),
                // Reloaded on the way back online (`online`, `open`).
                Err(ClientError::Network(_)) => offline.set(true),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };

    // Supervisor's sample, common problems, ledger: each with its period.
    let [sample_from, sample_to, common_from, common_to, ledger_from, ledger_to] =
        std::array::from_fn(|_| RwSignal::new(String::new()));
    let sample: RwSignal<Option<SampleView>> = RwSignal::new(None);
    let common: RwSignal<Option<CommonOverview>> = RwSignal::new(None);
    let common_result: RwSignal<Option<String>> = RwSignal::new(None);

    let load_sample = move || {
        let (from, to) = (sample_from.get_untracked(), sample_to.get_untracked());
        spawn_local(async move {
            match api::sample(&from, &to).await {
                Ok(s) => sample.set(Some(s)),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    let load_common = move || {
        let (from, to) = (common_from.get_untracked(), common_to.get_untracked());
        spawn_local(async move {
            match api::common(&from, &to).await {
                Ok(c) => common.set(Some(c)),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };

    // The periods default to this month so far (China dates).
    let set_periods = move || {
        let today = china_today();
        let first = Date::new(today.year, today.month, 1);
        for (f, t) in [
            (sample_from, sample_to),
            (common_from, common_to),
            (ledger_from, ledger_to),
        ] {
            f.set(first.to_string());
            t.set(today.to_string());
        }
    };
    let session = use_session_for(roles::HANDLERS, error, move |s| {
        set_periods();
        reload();
        if role_of(&s).is_some_and(Role::handles_tickets) {
            load_common();
        }
        if role_of(&s) == Some(Role::Supervisor) {
            load_sample();
        }
    });
    let role = move || session.with(|s| s.as_ref().and_then(role_of));

    // Live: a `ticket` event for each new bad rating; every (re)connection
    // and every return online reloads, catching up on what was missed.
    Effect::new(move |_| {
        if !session.with(|s| {
            s.as_ref()
                .and_then(role_of)
                .is_some_and(Role::handles_tickets)
        }) {
            return;
        }
        sound_blocked.set(web::audio_suspended());
        let stream = web::event_stream(
            api::EVENTS_URL,
            "ticket",
            move |data| {
                let Ok(p) = serde_json::from_str::<TicketPush>(&data) else {
                    return;
                };
                let text = format!(
                    "新差评：{} {}",
                    p.place_name,
                    p.window_name.unwrap_or_default()
                );
                alert.set(Some(text.trim_end().to_string()));
                alerts.update(|n| *n += 1);
                web::beep();
                sound_blocked.set(web::audio_suspended());
                reload();
                load_common();
            },
            move || {
                live.set(true);
                reload();
            },
            move || live.set(false),
        );
        let online = window_event_listener_untyped("online", move |_| reload());
        on_cleanup(move || {
            if let Some(s) = stream {
                s.close();
            }
            online.remove();
        });
    });

    let enable_sound = move |_| {
        spawn_local(async move {
            let ok = web::resume_audio().await;
            sound_blocked.set(!ok);
        });
    };

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
                    load_common();
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
                    reload();
                    load_common();
                }
                // What was typed stays.
                Err(e) => error.set(Some(e.message())),
            }
        });
    };

    let ledger_href =
        move |format: &str| api::ledger_url(&ledger_from.get(), &ledger_to.get(), format);

    view! {
        <Title text="差评整改 · 好差评"/>
        <StaffPage title=Signal::derive(|| "差评整改".to_string()) class="tablet loop-page">
            {move || alert.get().map(|a| view! {
                <div class="alert-banner" role="alert" data-testid="new-ticket-alert" data-count=move || alerts.get().to_string()>
                    <strong>{a}</strong>
                    <button class="secondary" data-testid="dismiss-alert" on:click=move |_| alert.set(None)>"知道了"</button>
                </div>
            })}
            <Show when=move || sound_blocked.get()>
                <button class="primary sound" data-testid="enable-sound" on:click=enable_sound>"开启提示音"</button>
            </Show>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="error">{e}</p> })}
            {move || notice.get().map(|n| view! { <p class="notice-ok" role="status" data-testid="notice">{n}</p> })}
            <Show when=move || offline.get()>
                <p class="error" role="status" data-testid="offline">"网络中断：列表可能不是最新的，恢复连接后会自动刷新。"</p>
            </Show>

            <div class="counts">
                <span class="count" data-testid="count-open">"待办 "<strong>{move || list.with(|l| l.as_ref().map(|l| l.open).unwrap_or(0))}</strong></span>
                <span class="count overdue-count" data-testid="count-overdue">"超期 "<strong>{move || list.with(|l| l.as_ref().map(|l| l.overdue).unwrap_or(0))}</strong></span>
                <span class="count" data-testid="count-on-time">"按期整改 "<strong>{move || list.with(|l| l.as_ref().map(|l| format!("{}/{}", l.on_time, l.archived)).unwrap_or_default())}</strong></span>
                <span class="count" data-testid="satisfaction">"整改满意率 "<strong>{move || list.with(|l| l.as_ref().and_then(|l| l.satisfaction).map(|p| format!("{p:.1}%")).unwrap_or_else(|| "—".into()))}</strong></span>
                <span class="live" data-testid="loop-live" data-live=move || live.get().to_string()>
                    {move || if live.get() { "● 实时提醒已连接" } else { "○ 实时提醒未连接" }}
                </span>
                <button class="secondary" data-testid="refresh" on:click=move |_| reload()>"刷新"</button>
            </div>
            <div class="filters" role="group" aria-label="筛选">
                {Filter::ALL.into_iter().map(|f| view! {
                    <button class="filter" class:overdue-filter=f == Filter::Overdue
                        data-testid=format!("filter-{}", f.key())
                        aria-pressed=move || (filter.get() == f).to_string()
                        on:click=move |_| { filter.set(f); offset.set(0); list.set(None); reload(); }>
                        {f.label()}
                    </button>
                }).collect_view()}
            </div>
            {move || match list.get() {
                None => view! { <p>"正在加载…"</p> }.into_any(),
                Some(l) if l.tickets.is_empty() => view! { <p data-testid="tickets-empty">"没有符合条件的差评。"</p> }.into_any(),
                Some(l) => {
                    let (from, shown, all) = (l.offset, l.tickets.len() as i64, l.matching);
                    view! {
                        <div class="ticket-list" data-testid="tickets">
                            {l.tickets.into_iter().map(|t| view! { <TicketCard ticket=t/> }).collect_view()}
                        </div>
                        <nav class="pager" aria-label="翻页" data-testid="pager">
                            <button class="secondary" data-testid="page-prev" disabled={from == 0}
                                on:click=move |_| { offset.set((from - PAGE).max(0)); reload(); }>"上一页"</button>
                            <span data-testid="page-range">{format!("第 {}–{} 条，共 {all} 条", from + 1, from + shown)}</span>
                            <button class="secondary" data-testid="page-next" disabled={from + shown >= all}
                                on:click=move |_| { offset.set(from + PAGE); reload(); }>"下一页"</button>
                        </nav>
                    }.into_any()
                }
            }}

            <Show when=move || role() == Some(Role::Supervisor)>
                <section class="loop-section" id="sample" data-testid="sample-section">
                    <h2>"抽查样本"</h2>
                    <form class="form row" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); load_sample(); }>
                        <Period from=sample_from to=sample_to prefix="sample"/>
                        <button class="primary" type="submit" data-testid="sample-load">"查询"</button>
                    </form>
                    {move || sample.get().map(|s| view! {
                        <p data-testid="sample-summary">{format!("{} 至 {}：已存档整改 {} 件，按不低于 {}% 抽取，样本 {} 件", s.from, s.to, s.archived, s.percent, s.tickets.len())}</p>
                        <div class="ticket-list" data-testid="sample">
                            {s.tickets.into_iter().map(|t| view! { <TicketCard ticket=t testid="sample-ticket"/> }).collect_view()}
                        </div>
                    })}
                </section>
            </Show>

            <section class="loop-section" id="common" data-testid="common-section">
                <h2>"共性问题"</h2>
                <form class="form row" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); load_common(); }>
                    <Period from=common_from to=common_to prefix="common"/>
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

            <section class="loop-section ledger" id="ledger" data-testid="ledger-section">
                <h2>"整改台账导出"</h2>
                <div class="form row">
                    <Period from=ledger_from to=ledger_to prefix="ledger"/>
                    <a class="button-link primary" data-testid="ledger-xlsx" rel="external" download href=move || ledger_href("xlsx")>"导出 Excel"</a>
                    <a class="button-link" data-testid="ledger-csv" rel="external" download href=move || ledger_href("csv")>"导出 CSV"</a>
                </div>
            </section>
        </StaffPage>
    }
}

/// What an audit-log action code means.
fn action_label(code: &str) -> &'static str {
    if let Some(k) = ActionKind::parse(code) {
        return k.label_zh();
    }
    match code {
        "open" => "差评生成工单",
        "reveal_phone" => "查看评价人联系方式",
        "evidence" => "上传佐证材料",
        "feedback_sent" => "发送回访短信",
        _ => "其他",
    }
}

fn yes_no(v: Option<bool>, yes: &'static str, no: &'static str) -> &'static str {
    match v {
        Some(true) => yes,
        Some(false) => no,
        None => "—",
    }
}

fn opt(v: Option<String>) -> String {
    v.filter(|s| !s.is_empty()).unwrap_or_else(|| "—".into())
}

fn event_row(e: TicketEvent) -> impl IntoView {
    let change = match (e.from_status, e.to_status) {
        (Some(a), Some(b)) if a != b => format!("{} → {}", a.label_zh(), b.label_zh()),
        (_, Some(b)) => b.label_zh().to_string(),
        _ => String::new(),
    };
    let who = match role_label(&e.actor_role) {
        "" => e.actor.clone(),
        r if r == e.actor => e.actor.clone(),
        r => format!("{}（{r}）", e.actor),
    };
    view! {
        <li class="event" data-testid="event" data-action=e.action.clone()>
            <span class="event-time">{china_time(e.at)}</span>
            <span class="event-who">{who}</span>
            <strong class="event-action">{action_label(&e.action)}</strong>
            {(!change.is_empty()).then(|| view! { <span class="event-change">{change}</span> })}
            {(!e.note.is_empty()).then(|| view! { <p class="event-note">{e.note.clone()}</p> })}
        </li>
    }
}

fn evidence_row(ev: EvidenceView) -> impl IntoView {
    let purpose = if ev.purpose == "appeal" {
        "申诉材料"
    } else {
        "整改材料"
    };
    view! {
        <li data-testid="evidence" data-evidence-id=ev.id.to_string()>
            <a href=api::evidence_url(ev.id) target="_blank" rel="noopener">{ev.name.clone()}</a>
            {format!("（{purpose}，{} KB，{}）", (ev.size + 1023) / 1024, china_time(ev.uploaded_at))}
        </li>
    }
}

/// A deadline line: the time, days left or a mark when it has passed.
fn deadline(
    label: &'static str,
    testid: &'static str,
    due: Option<i64>,
    t: &TicketView,
    late: bool,
    now: i64,
) -> impl IntoView {
    let text = due.map(|d| {
        let left = if t.next_due == Some(d) {
            format!("（{}）", due_text(d, now).0)
        } else if testid == "due-appeal" && now >= d {
            "（已截止）".into()
        } else {
            String::new()
        };
        format!("{}{left}", china_deadline(d))
    });
    let unsure = t.beyond_calendar && due.is_some() && t.next_due == due;
    view! {
        <dt>{label}</dt>
        <dd data-testid=testid class:late=late>
            {text.unwrap_or_else(|| "—".into())}
            {late.then(|| t.overdue.map(overdue_badge))}
            {unsure.then(|| view! {
                <span class="hint" data-testid="beyond-calendar">
                    "（该年度节假日尚未录入，期限按周末计算，可能有误）"
                </span>
            })}
        </dd>
    }
}

fn ticket_fields(d: &TicketDetail, now: i64) -> impl IntoView {
    let t = d.ticket.clone();
    let f = |label: &'static str, value: String| view! { <dt>{label}</dt><dd>{value}</dd> };
    let reasons = reasons_zh(&t);
    let contact_late = t.overdue == Some(Overdue::Contact);
    let rectify_late = t.overdue == Some(Overdue::Rectify);
    view! {
        <dl class="ticket-fields" data-testid="ticket-detail" data-status=t.status.as_str()>
            <dt>"状态"</dt>
            <dd data-testid="ticket-status"><strong>{t.status.label_zh()}</strong></dd>
            <dt>"评价等级"</dt>
            <dd class="level-cell"><Face level=t.level/><span class="bad">{t.level.label_zh()}</span></dd>
            {f("工单编号", format!("#{}", t.id))}
            {f("评价时间", china_time(t.opened_at))}
            {f("评价渠道", t.channel.label_zh().into())}
            {f("办事场所", t.place_name.clone())}
            {f("窗口", opt(t.window_name.clone()))}
            {f("部门", opt(t.department_name.clone()))}
            {f("事项", opt(t.service_item_name.clone()))}
            {f("办件编号", opt(t.case_no.clone()))}
            {f("差评原因", if reasons.is_empty() { "—".into() } else { reasons })}
            <dt>"评价内容"</dt><dd class="comment-cell" data-testid="comment">{opt(Some(t.comment.clone()))}</dd>
            {deadline("沟通期限", "due-contact", Some(t.contact_due), &t, contact_late, now)}
            {deadline("申诉期限", "due-appeal", Some(t.appeal_due), &t, false, now)}
            {deadline("整改期限", "due-rectify", t.rectify_due, &t, rectify_late, now)}
            {f("核实结论", opt(t.verdict.map(|v| v.label_zh().into())))}
            {t.proposed.map(|v| f("待审核的结论", v.label_zh().into()))}
            {t.requested_due.map(|d| f("申请延期至", china_deadline(d)))}
            {f("整改结果", opt(t.outcome.map(|o| o.label_zh().into())))}
            <dt>"整改说明"</dt><dd class="comment-cell" data-testid="description-text">{opt(t.description.clone())}</dd>
            {f("存档时间", opt(t.archived_at.map(china_time)))}
            {f("是否按期", yes_no(t.on_time, "按期完成", "超期完成").into())}
            <dt>"抽查结果"</dt><dd data-testid="spot-check">{yes_no(t.spot_check, "合格", "不合格")}</dd>
            {f("回访评价", opt(t.feedback_level.map(|l| l.label_zh().into())))}
            {f("办结时间", opt(t.closed_at.map(china_time)))}
            {f("共性问题", opt(t.common_id.map(|c| format!("#{c}"))))}
        </dl>
    }
}

/// `/staff/loop/:id`: one ticket, its log and evidence, and its steps.
#[component]
pub fn TicketPage() -> impl IntoView {
    let params = use_params_map();
    let ticket_id =
        move || params.with_untracked(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()));
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    let detail: RwSignal<Option<TicketDetail>> = RwSignal::new(None);
    // Bumped by every step's answer: a reload sent before it is stale.
    let version = RwSignal::new(0u64);
    let load = move || {
        let Some(id) = ticket_id() else {
            error.set(Some("工单编号不正确".into()));
            return;
        };
        let v = version.get_untracked();
        spawn_local(async move {
            match api::ticket(id).await {
                Ok(d) if version.get_untracked() == v => detail.set(Some(d)),
                Ok(_) => {}
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    let session = use_session_for(roles::HANDLERS, error, move |_| load());

    // The forms' state outlives every re-render of the detail.
    let note = RwSignal::new(String::new());
    let reached = RwSignal::new(true);
    let verdict = RwSignal::new(Verdict::Valid);
    let claim = RwSignal::new(Verdict::Invalid);
    let new_due = RwSignal::new(String::new());
    let outcome = RwSignal::new(Outcome::Fixed);
    let description = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let uploading = RwSignal::new(false);
    let revealed: RwSignal<Option<Revealed>> = RwSignal::new(None);
    // Another ticket opened in place (the router keeps this page): start over.
    Effect::new(move |prev: Option<Option<i64>>| {
        let id = params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()));
        if prev.is_some_and(|p| p != id) {
            detail.set(None);
            revealed.set(None);
            error.set(None);
            notice.set(None);
            load();
        }
        id
    });
    let possible = Memo::new(move |_| {
        detail.with(|d| {
            d.as_ref()
                .map(|d| d.ticket.possible.clone())
                .unwrap_or_default()
        })
    });
    let can = move |k: ActionKind| possible.with(|p| p.contains(&k));

    let step = move |action: Action| {
        let Some(id) = ticket_id() else { return };
        // 存档's note is the rectification's description.
        let text = match action {
            Action::Archive { .. } if !description.with_untracked(|d| d.trim().is_empty()) => {
                description.get_untracked()
            }
            _ => note.get_untracked(),
        };
        let req = StepRequest { action, note: text };
        busy.set(true);
        spawn_local(async move {
            match api::step(&csrf(session), id, &req).await {
                Ok(d) => {
                    error.set(None);
                    notice.set(Some(format!("已完成：{}", action.kind().label_zh())));
                    version.update(|v| *v += 1);
                    detail.set(Some(d));
                    note.set(String::new());
                    description.set(String::new());
                    new_due.set(String::new());
                }
                // The typed note stays for another try.
                Err(e) => {
                    notice.set(None);
                    error.set(Some(e.message()));
                }
            }
            busy.set(false);
        });
    };
    let extend = move || match Date::parse(new_due.get_untracked().trim()) {
        Some(d) => step(Action::RequestExtension {
            new_due: d.add_days(1).start_ms(),
        }),
        None => error.set(Some("请选择新的整改期限".into())),
    };
    let upload = move |ev: leptos::ev::Event, purpose: &'static str| {
        let Some(id) = ticket_id() else { return };
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        // The same file may be chosen again after an error.
        input.set_value("");
        uploading.set(true);
        spawn_local(async move {
            match api::upload_evidence(id, purpose, file, &csrf(session)).await {
                Ok(ev) => {
                    error.set(None);
                    notice.set(Some(format!("已上传：{}", ev.name)));
                    detail.update(|d| {
                        if let Some(d) = d {
                            d.evidence.push(ev);
                        }
                    });
                    // The upload is in the log too.
                    load();
                }
                Err(e) => error.set(Some(e.message())),
            }
            uploading.set(false);
        });
    };
    let reveal = move |_| {
        let Some(id) = ticket_id() else { return };
        spawn_local(async move {
            match api::reveal(&csrf(session), id).await {
                Ok(r) => {
                    error.set(None);
                    revealed.set(Some(r));
                    load();
                }
                Err(e) => error.set(Some(e.message())),
            }
        });
    };

    let note_box = move || {
        // 存档 alone uses its own description box.
        let others = possible.with(|p| p.iter().any(|k| *k != ActionKind::Archive));
        others.then(|| view! {
            <label class="note"><span>"处理说明"</span>
                <textarea rows="3" data-testid="note" placeholder="沟通情况、核实理由、申诉或延期理由、驳回原因等"
                    prop:value=move || note.get() on:input=move |ev| note.set(event_target_value(&ev))></textarea></label>
        })
    };

    let pending = move || {
        detail.with(|d| {
            let t = &d.as_ref()?.ticket;
            Some(match t.status {
                Status::PendingReview => format!(
                    "单位核实为“{}”，待审核",
                    t.proposed.map(|v| v.label_zh()).unwrap_or("—")
                ),
                Status::Appealed => format!(
                    "单位申诉为“{}”，待审核",
                    t.proposed.map(|v| v.label_zh()).unwrap_or("—")
                ),
                Status::ExtensionRequested => format!(
                    "申请将整改期限延至 {}",
                    t.requested_due.map(china_deadline).unwrap_or_default()
                ),
                s => s.label_zh().to_string(),
            })
        })
    };

    let loaded = Memo::new(move |_| detail.with(Option::is_some));
    let actions = move || {
        if !loaded.get() {
            return ().into_any();
        }
        if possible.with(Vec::is_empty) {
            return view! { <p class="hint" data-testid="no-actions">"当前没有需要您办理的步骤。"</p> }.into_any();
        }
        let disabled = move || busy.get() || uploading.get();
        view! {
            <section class="actions-panel" data-testid="actions">
                <h2>"办理"</h2>
                {note_box}
                {can(ActionKind::Contact).then(|| view! {
                    <fieldset class="step" data-testid="form-contact"><legend>{ActionKind::Contact.label_zh()}</legend>
                        <div class="choices">
                            <label class="check big"><input type="radio" name="reached" data-testid="reached" prop:checked=move || reached.get() on:change=move |_| reached.set(true)/>"已联系上评价人"</label>
                            <label class="check big"><input type="radio" name="reached" data-testid="unreachable" prop:checked=move || !reached.get() on:change=move |_| reached.set(false)/>"未能联系上"</label>
                        </div>
                        <button class="primary" data-testid="step-contact" disabled=disabled
                            on:click=move |_| step(Action::Contact { reached: reached.get_untracked() })>"提交沟通结果"</button>
                    </fieldset>
                })}
                {can(ActionKind::Verify).then(|| view! {
                    <fieldset class="step" data-testid="form-verify"><legend>{ActionKind::Verify.label_zh()}</legend>
                        <label><span>"核实结论"</span>
                            <select data-testid="verdict" on:change=move |ev| verdict.set(Verdict::parse(&event_target_value(&ev)).unwrap_or(Verdict::Valid))>
                                {Verdict::ALL.iter().map(|v| view! { <option value=v.as_str() selected=move || verdict.get() == *v>{v.label_zh()}</option> }).collect_view()}
                            </select></label>
                        <button class="primary" data-testid="step-verify" disabled=disabled
                            on:click=move |_| step(Action::Verify { verdict: verdict.get_untracked() })>"提交核实结论"</button>
                    </fieldset>
                })}
                {can(ActionKind::Decide).then(|| view! {
                    <fieldset class="step" data-testid="form-decide"><legend>{ActionKind::Decide.label_zh()}</legend>
                        <p class="pending" data-testid="pending">{pending}</p>
                        <div class="choices">
                            <button class="primary" data-testid="step-approve" disabled=disabled
                                on:click=move |_| step(Action::Decide { approve: true })>"批准"</button>
                            <button class="secondary danger" data-testid="step-reject" disabled=disabled
                                on:click=move |_| step(Action::Decide { approve: false })>"驳回"</button>
                        </div>
                    </fieldset>
                })}
                {can(ActionKind::Archive).then(|| view! {
                    <fieldset class="step" data-testid="form-archive"><legend>{ActionKind::Archive.label_zh()}</legend>
                        <label><span>"整改结果"</span>
                            <select data-testid="outcome" on:change=move |ev| outcome.set(Outcome::parse(&event_target_value(&ev)).unwrap_or(Outcome::Fixed))>
                                {Outcome::ALL.iter().map(|o| view! { <option value=o.as_str() selected=move || outcome.get() == *o>{o.label_zh()}</option> }).collect_view()}
                            </select></label>
                        <label><span>"整改情况说明"</span>
                            <textarea rows="4" data-testid="description" prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))></textarea>
                            <small class="hint" data-testid="description-warning">"此说明将展示给被评价的窗口工作人员（系统会隐去手机号、证件号和姓名），请勿写入评价人的任何信息。"</small></label>
                        <label><span>"佐证材料（JPEG、PNG 或 PDF，不超过 5 MB，选择后立即上传）"</span>
                            <input type="file" data-testid="evidence-file" accept="image/jpeg,image/png,application/pdf"
                                disabled=move || uploading.get() on:change=move |ev| upload(ev, "archive")/></label>
                        {move || uploading.get().then(|| view! { <p class="hint" data-testid="uploading">"正在上传…"</p> })}
                        <button class="primary" data-testid="step-archive" disabled=disabled
                            on:click=move |_| step(Action::Archive { outcome: outcome.get_untracked() })>"整改存档"</button>
                    </fieldset>
                })}
                {can(ActionKind::RequestExtension).then(|| view! {
                    <fieldset class="step" data-testid="form-extend"><legend>{ActionKind::RequestExtension.label_zh()}</legend>
                        <label><span>"新的整改期限（当天结束前）"</span>
                            <input type="date" data-testid="new-due" prop:value=move || new_due.get() on:input=move |ev| new_due.set(event_target_value(&ev))/></label>
                        <button class="secondary" data-testid="step-extend" disabled=disabled on:click=move |_| extend()>"申请延期"</button>
                    </fieldset>
                })}
                {can(ActionKind::Appeal).then(|| view! {
                    <fieldset class="step" data-testid="form-appeal"><legend>{ActionKind::Appeal.label_zh()}</legend>
                        <label><span>"申诉理由"</span>
                            <select data-testid="claim" on:change=move |ev| claim.set(Verdict::parse(&event_target_value(&ev)).unwrap_or(Verdict::Invalid))>
                                {[Verdict::Invalid, Verdict::Malicious].into_iter().map(|v| view! { <option value=v.as_str() selected=move || claim.get() == v>{v.label_zh()}</option> }).collect_view()}
                            </select></label>
                        <label><span>"申诉材料（选填，JPEG、PNG 或 PDF，不超过 5 MB）"</span>
                            <input type="file" data-testid="appeal-evidence-file" accept="image/jpeg,image/png,application/pdf"
                                disabled=move || uploading.get() on:change=move |ev| upload(ev, "appeal")/></label>
                        <button class="secondary" data-testid="step-appeal" disabled=disabled
                            on:click=move |_| step(Action::Appeal { claim: claim.get_untracked() })>"提交申诉"</button>
                    </fieldset>
                })}
                {can(ActionKind::SpotCheck).then(|| view! {
                    <fieldset class="step" data-testid="form-spot-check"><legend>{ActionKind::SpotCheck.label_zh()}</legend>
                        <div class="choices">
                            <button class="primary" data-testid="spot-pass" disabled=disabled
                                on:click=move |_| step(Action::SpotCheck { pass: true })>"抽查合格"</button>
                            <button class="secondary danger" data-testid="spot-fail" disabled=disabled
                                on:click=move |_| step(Action::SpotCheck { pass: false })>"不合格，重新整改"</button>
                        </div>
                    </fieldset>
                })}
                {can(ActionKind::Close).then(|| view! {
                    <fieldset class="step" data-testid="form-close"><legend>{ActionKind::Close.label_zh()}</legend>
                        <p class="hint">"评价人未回复回访时，写明情况后办结。"</p>
                        <button class="secondary" data-testid="step-close" disabled=disabled
                            on:click=move |_| step(Action::Close)>"办结"</button>
                    </fieldset>
                })}
            </section>
        }.into_any()
    };

    let phone = move || {
        detail.with(|d| {
            let t = &d.as_ref()?.ticket;
            t.has_phone.then(|| t.phone_masked.clone().unwrap_or_default())
        })
        .map(|masked| view! {
            <div class="phone-box" data-testid="phone">
                <span>"评价人手机："</span>
                <strong data-testid="phone-masked">{masked}</strong>
                {move || match revealed.get() {
                    Some(r) => view! {
                        <span class="revealed">
                            <strong data-testid="phone-full">{r.phone.clone().unwrap_or_else(|| "（未留）".into())}</strong>
                            {r.id_no.clone().map(|n| view! { <span data-testid="id-full">{format!(" 身份证号：{n}")}</span> })}
                            <small data-testid="reveal-logged">" 查看记录已留存"</small>
                        </span>
                    }.into_any(),
                    None => view! {
                        <button class="secondary" data-testid="reveal-phone" on:click=reveal>"查看完整号码"</button>
                    }.into_any(),
                }}
            </div>
        })
    };

    view! {
        <Title text="差评工单 · 好差评"/>
        <StaffPage title=Signal::derive(move || match params.with(|p| p.get("id")) { Some(id) => format!("差评工单 #{id}"), None => "差评工单".into() }) class="tablet ticket-page">
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="error">{e}</p> })}
            {move || notice.get().map(|n| view! { <p class="notice-ok" role="status" data-testid="notice">{n}</p> })}
            <div class="ticket-layout">
            {move || match detail.get() {
                None => view! { <p>"正在加载…"</p> }.into_any(),
                Some(d) => {
                    let now = web::now_ms();
                    view! {
                        <div class="ticket-info">
                            {ticket_fields(&d, now)}
                            {phone}
                            <h2>"佐证材料"</h2>
                            {d.evidence.is_empty().then(|| view! { <p class="hint">"暂无。"</p> })}
                            <ul class="evidence-list" data-testid="evidence-list">
                                {d.evidence.into_iter().map(evidence_row).collect_view()}
                            </ul>
                            <h2>"办理记录"</h2>
                            <ol class="timeline" data-testid="events">
                                {d.events.into_iter().map(event_row).collect_view()}
                            </ol>
                        </div>
                    }.into_any()
                }
            }}
            {actions}
            </div>
        </StaffPage>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_left_round_up_and_a_passed_deadline_is_overdue() {
        let due = 10 * DAY_MS;
        assert_eq!(due_text(due, due - 1), ("剩余 1 天".to_string(), false));
        assert_eq!(
            due_text(due, due - DAY_MS),
            ("剩余 1 天".to_string(), false)
        );
        assert_eq!(
            due_text(due, due - DAY_MS - 1),
            ("剩余 2 天".to_string(), false)
        );
        assert_eq!(due_text(due, due), ("已超期".to_string(), true));
    }

    #[test]
    fn filters_ask_the_server_for_their_statuses() {
        let all = Filter::All.query(0);
        assert!(all.statuses.is_empty() && !all.overdue);
        assert_eq!((all.limit, all.offset), (Some(PAGE), Some(0)));
        let overdue = Filter::Overdue.query(PAGE);
        assert!(overdue.statuses.is_empty() && overdue.overdue);
        assert_eq!(overdue.offset, Some(PAGE));
        assert_eq!(
            Filter::Review.query(0).statuses,
            vec![
                Status::PendingReview,
                Status::Appealed,
                Status::ExtensionRequested
            ]
        );
        assert_eq!(Filter::Open.query(0).statuses, vec![Status::Open]);
        assert!(!Filter::Open.query(0).overdue);
    }
}
