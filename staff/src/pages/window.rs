//! The window staff member's tablet: 开始服务 puts the case on the paired
//! pad (一机双屏); if the pad is not connected, a per-case QR code is shown
//! for the citizen's phone instead. 办结 finishes the case. The cases list
//! says nothing of ratings: whether a case was rated, and when, would point
//! at who complained. 我的差评 is
//! its own page (`MinePage`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::pages::common::{csrf, roles, use_session_for, StaffPage};
use app::api::endpoints::{rectify, window as api};
use app::api::types::{CaseView, MyTicketView, StartService, StartedService};
use domain::time::china_time;

#[component]
pub fn WindowPage() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let cases: RwSignal<Vec<CaseView>> = RwSignal::new(vec![]);
    let reload = move || {
        spawn_local(async move {
            match api::cases().await {
                Ok(list) => cases.set(list),
                Err(e) => error.set(Some(e.message())),
            }
        })
    };
    let session = use_session_for(roles::WINDOW, error, move |_| reload());
    let case_no = RwSignal::new(String::new());
    let phone = RwSignal::new(String::new());
    let started: RwSignal<Option<StartedService>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let finished: RwSignal<Option<String>> = RwSignal::new(None);

    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = StartService {
            case_no: Some(case_no.get_untracked().trim().to_string()).filter(|s| !s.is_empty()),
            service_item_code: None,
            applicant_phone: Some(phone.get_untracked().trim().to_string())
                .filter(|s| !s.is_empty()),
        };
        busy.set(true);
        spawn_local(async move {
            match api::start_service(&csrf(session), &req).await {
                Ok(s) => {
                    error.set(None);
                    finished.set(None);
                    started.set(Some(s));
                    case_no.set(String::new());
                    phone.set(String::new());
                    reload();
                }
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
    };
    let finish = move |id: i64| {
        spawn_local(async move {
            match api::finish_service(&csrf(session), id).await {
                Ok(c) => {
                    started.set(None);
                    finished.set(Some(format!(
                        "办件 {} 已办结，请办事人在评价器上评价",
                        c.case_no
                    )));
                    reload();
                }
                Err(e) => error.set(Some(e.message())),
            }
        });
    };

    view! {
        <Title text="窗口服务 · 好差评"/>
        <StaffPage title=Signal::derive(|| "窗口服务".to_string()) class="tablet">
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="error">{e}</p> })}
            <form class="form start-service" on:submit=start>
                <label><span>"办件编号（不填则自动生成）"</span>
                    <input data-testid="case-no" autocomplete="off" prop:value=move || case_no.get() on:input=move |ev| case_no.set(event_target_value(&ev))/></label>
                <label><span>"申请人手机（选填，用于办结后短信邀评）"</span>
                    <input data-testid="applicant-phone" type="tel" inputmode="numeric" prop:value=move || phone.get() on:input=move |ev| phone.set(event_target_value(&ev))/></label>
                <button class="primary" type="submit" data-testid="start-service" disabled=move || busy.get()>"开始服务"</button>
            </form>
            {move || started.get().map(|s| {
                let id = s.case.id;
                view! {
                    <div class="started" data-testid="started" data-case=s.case.case_no.clone()>
                        {if s.pad_online {
                            view! { <p data-testid="pushed">{format!("办件 {} 已显示在窗口评价器上；点“办结”后评价器请办事人评价", s.case.case_no)}</p> }.into_any()
                        } else {
                            let path = s.qr_path.clone().unwrap_or_default();
                            view! {
                                <div data-testid="case-qr" data-path=path.clone()>
                                    <p>"评价器未连接：请办事人用手机扫描下方二维码评价本办件"</p>
                                    <img alt="办件评价二维码" width="240" height="240" src=format!("/qr.svg?path={}", js_sys::encode_uri_component(&path))/>
                                </div>
                            }.into_any()
                        }}
                        <button class="primary" data-testid="finish" on:click=move |_| finish(id)>"办结"</button>
                    </div>
                }
            })}
            {move || finished.get().map(|f| view! { <p class="notice-ok" role="status" data-testid="finished">{f}</p> })}
            <h2>"本窗口办件"</h2>
            <table class="inbox" data-testid="cases">
                <thead><tr><th>"办件编号"</th><th>"开始时间"</th><th>"状态"</th><th></th></tr></thead>
                <tbody>
                    <For each=move || cases.get() key=|c| (c.id, c.status.clone()) let:c>
                        <tr data-testid="case-row" data-case=c.case_no.clone()>
                            <td>{c.case_no.clone()}</td>
                            <td>{china_time(c.started_at)}</td>
                            <td>{if c.status == "finished" { "已办结" } else { "办理中" }}</td>
                            <td>{(c.status != "finished").then(|| { let id = c.id; view! { <button class="secondary" on:click=move |_| finish(id)>"办结"</button> } })}</td>
                        </tr>
                    </For>
                </tbody>
            </table>
        </StaffPage>
    }
}

/// 我的差评: the bad ratings of the signed-in window clerk and what became
/// of them. Outcomes only, never who rated.
#[component]
pub fn MinePage() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let mine: RwSignal<Option<Vec<MyTicketView>>> = RwSignal::new(None);
    use_session_for(roles::WINDOW, error, move |_| {
        spawn_local(async move {
            match rectify::mine().await {
                Ok(list) => mine.set(Some(list)),
                Err(e) => error.set(Some(e.message())),
            }
        })
    });
    view! {
        <Title text="我的差评 · 好差评"/>
        <StaffPage title=Signal::derive(|| "我的差评整改情况".to_string()) class="tablet">
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="error">{e}</p> })}
            <p class="hint">"这里是您收到的差评及其核实、整改结果。评价人的身份对您保密：请勿自行联系评价人，由单位好差评管理员统一回访。"</p>
            {move || mine.get().map(|list| view! {
                {list.is_empty().then(|| view! { <p data-testid="my-tickets-empty">"暂无差评。"</p> })}
                <table class="inbox" data-testid="my-tickets">
                    <thead><tr><th>"评价日期"</th><th>"等级"</th><th>"原因"</th><th>"意见"</th><th>"状态"</th><th>"核实结论"</th><th>"整改结果"</th><th>"整改说明"</th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|m| view! {
                            <tr data-testid="my-ticket" data-status=m.status.as_str()>
                                <td>{m.opened_on.clone()}</td>
                                <td class="bad">{m.level.label_zh()}</td>
                                <td>{m.reasons.iter().map(|r| r.label_zh()).collect::<Vec<_>>().join("、")}</td>
                                <td class="comment-cell">{m.comment.clone()}</td>
                                <td data-testid="my-ticket-status">{m.status.label_zh()}</td>
                                <td>{m.verdict.map(|v| v.label_zh()).unwrap_or("—")}</td>
                                <td data-testid="my-ticket-outcome">{m.outcome.map(|o| o.label_zh()).unwrap_or("—")}</td>
                                <td class="comment-cell">{m.description.clone().unwrap_or_default()}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </StaffPage>
    }
}
