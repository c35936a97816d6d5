//! `/staff/loop/:id`: one ticket's fields, evidence and log, and the
//! steps the server says are possible (`steps`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use wasm_bindgen::JsCast;

use super::steps::{ActionsPanel, StepForms};
use super::{due_text, overdue_badge, reasons_zh};
use crate::pages::common::{csrf, role_label, roles, use_session_for, StaffPage};
use app::api::endpoints::rectify as api;
use app::api::types::{EvidenceView, Revealed, StepRequest, TicketDetail, TicketEvent, TicketView};
use app::components::face::Face;
use app::web;
use domain::calendar::Date;
use domain::rectify::{Action, ActionKind, Overdue};
use domain::time::{china_deadline, china_time};

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
        "hotline_received" => "12345 热线已接单",
        "hotline_assigned" => "12345 热线转交责任单位",
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
    let forms = StepForms::new();
    let StepForms {
        note,
        description,
        new_due,
        ..
    } = forms;
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
    let reveal = move || {
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
                            {d.ticket.via_hotline.then(|| view! {
                                <p class="notice-info" data-testid="via-hotline">
                                    "此差评已转 12345 热线：由热线沟通核实、回访评价人，本单位负责整改。"
                                </p>
                            })}
                            {ticket_fields(&d, now)}
                            <PhoneBox detail=detail revealed=revealed reveal=Callback::new(move |()| reveal())/>
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
            <ActionsPanel detail=detail possible=possible forms=forms busy=busy uploading=uploading
                step=Callback::new(step) extend=Callback::new(move |()| extend())
                upload=Callback::new(move |(ev, purpose)| upload(ev, purpose))/>
            </div>
        </StaffPage>
    }
}

/// 评价人手机: masked, and the whole number (and ID number) once revealed,
/// which is logged.
#[component]
fn PhoneBox(
    detail: RwSignal<Option<TicketDetail>>,
    revealed: RwSignal<Option<Revealed>>,
    reveal: Callback<()>,
) -> impl IntoView {
    move || {
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
                        <button class="secondary" data-testid="reveal-phone" on:click=move |_| reveal.run(())>"查看完整号码"</button>
                    }.into_any(),
                }}
            </div>
        })
    }
}
