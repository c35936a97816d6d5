//! 上报省平台: what the upstream deliveries are doing. Per destination: what
//! waits and since when, what arrived today, the dead letters with their
//! last error; a system administrator tries the waiting ones now or puts
//! dead letters back in the queue once the cause is fixed.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::pages::common::{csrf, roles, use_session_for, StaffPage};
use app::api::endpoints::admin;
use app::api::types::{DestinationStatus, UpstreamStatus};
use domain::rectify::Role;
use domain::time::china_time;

fn kind_zh(kind: &str) -> &'static str {
    match kind {
        "rating" => "评价",
        "rectify" => "整改环节",
        "case" => "办件",
        "workorder" => "12345 工单",
        "sms" => "短信",
        _ => "其他",
    }
}

/// 导入省平台差评文件: the province's monthly CSV of bad ratings from
/// static QR codes, for a system admin; good rows enter the loop, bad rows
/// are listed with their line.
#[component]
fn ProvinceFileImport(session: RwSignal<Option<app::api::types::StaffSession>>) -> impl IntoView {
    use app::api::types::{ImportReport, RowError};
    use wasm_bindgen::JsCast;
    let running = RwSignal::new(false);
    let report: RwSignal<Option<ImportReport>> = RwSignal::new(None);
    let failed: RwSignal<Option<String>> = RwSignal::new(None);
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        running.set(true);
        report.set(None);
        failed.set(None);
        spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Err(_) => failed.set(Some("无法读取文件".into())),
                Ok(t) => {
                    let text = t.as_string().unwrap_or_default();
                    match admin::import_province_file(&csrf(session), text).await {
                        Ok(r) => report.set(Some(r)),
                        Err(e) => failed.set(Some(e.message())),
                    }
                }
            }
            running.set(false);
        });
    };
    let row = |e: RowError| {
        view! { <li>{format!("第 {} 行（{}）：{}", e.line, e.case_no, e.message)}</li> }
    };
    view! {
        <section class="card upstream-import" data-testid="province-import">
            <h2>"导入省平台差评文件"<small class="en">" · Import the province's file"</small></h2>
            <p class="hint">"省平台按月回传的静态二维码差评（CSV，UTF-8）：列为 upstream_id、place_code、window_code、satisfaction_code、rated_at（YYYYMMDDThhmmss）、comment、evaluator_phone。同一条重复导入不会重复入库；有问题的行逐行列出，其余照常导入并进入差评整改。"</p>
            <label class="file-pick">
                <span>"选择文件"</span>
                <input type="file" accept=".csv,text/csv" data-testid="province-file"
                    disabled=move || running.get() on:change=on_file/>
            </label>
            {move || running.get().then(|| view! { <p class="hint" role="status">"正在导入…"</p> })}
            {move || failed.get().map(|m| view! { <p class="error" role="alert" data-testid="province-import-error">{m}</p> })}
            {move || report.get().map(|r| view! {
                <p class="notice-ok" role="status" data-testid="province-import-result">
                    {format!("共 {} 行，新导入 {} 条，{} 行有问题。", r.rows, r.imported, r.errors.len())}
                </p>
                <ul class="row-errors" data-testid="province-import-errors">
                    {r.errors.into_iter().map(row).collect_view()}
                </ul>
            })}
        </section>
    }
}

#[component]
pub fn UpstreamPage() -> impl IntoView {
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let notice: RwSignal<Option<String>> = RwSignal::new(None);
    let status: RwSignal<Option<UpstreamStatus>> = RwSignal::new(None);
    let reload = move || {
        spawn_local(async move {
            match admin::upstream().await {
                Ok(s) => status.set(Some(s)),
                Err(e) => error.set(Some(e.message())),
            }
        });
    };
    let session = use_session_for(roles::ORG, error, move |_| reload());
    let is_admin = move || {
        session.with(|s| {
            s.as_ref()
                .and_then(|s| Role::parse(&s.role))
                .is_some_and(|r| r == Role::SystemAdmin)
        })
    };
    let busy = RwSignal::new(false);
    let act = move |name: String, what: &'static str, ids: Option<Vec<i64>>| {
        busy.set(true);
        spawn_local(async move {
            let r = match what {
                "retry" => admin::retry_upstream(&csrf(session), &name).await,
                _ => admin::requeue_upstream(&csrf(session), &name, ids).await,
            };
            match r {
                Ok(r) => {
                    error.set(None);
                    notice.set(Some(match what {
                        "retry" => format!("{} 条待重试记录将立即发送", r.moved),
                        _ => format!("{} 条失败记录已重新排队", r.moved),
                    }));
                    reload();
                }
                Err(e) => error.set(Some(e.message())),
            }
            busy.set(false);
        });
    };

    let card = move |d: DestinationStatus| {
        let name = d.name.clone();
        let name2 = d.name.clone();
        let configured = d.configured;
        let dead = d.dead;
        let state = if !d.configured {
            "未配置（不排队、不发送）".to_string()
        } else if d.paused {
            "已暂停发送（记录照常排队）".to_string()
        } else {
            "运行中".to_string()
        };
        let oldest = d
            .oldest_pending_at
            .map(|t| format!("，最早一条自 {} 起等待", china_time(t)))
            .unwrap_or_default();
        let letters = d.dead_letters.clone();
        view! {
            <section class="card upstream-destination" data-testid=format!("upstream-{}", d.name)>
                <h2>{d.label_zh.clone()}<small class="en">" · "{d.label_en.clone()}</small></h2>
                <p>"状态：" <strong data-testid="upstream-state">{state}</strong></p>
                {d.url.clone().map(|u| view! { <p class="hint">"地址：" <code>{u}</code></p> })}
                <dl class="figures">
                    <div><dt>"待发送"</dt><dd data-testid="upstream-pending">{d.pending}</dd></div>
                    <div><dt>"今日已送达"</dt><dd data-testid="upstream-sent">{d.sent_today}</dd></div>
                    <div><dt>"失败（需处理）"</dt><dd data-testid="upstream-dead">{d.dead}</dd></div>
                </dl>
                {(d.pending > 0).then(|| view! { <p class="hint">{format!("{} 条记录等待发送{oldest}。", d.pending)}</p> })}
                <Show when=move || is_admin() && (configured || dead > 0)>
                    <div class="actions">
                        <button type="button" data-testid="upstream-retry"
                            disabled=move || busy.get()
                            on:click={
                                let name = name.clone();
                                move |_| act(name.clone(), "retry", None)
                            }>"立即重试等待中的记录"</button>
                        <button type="button" data-testid="upstream-requeue-all"
                            disabled=move || busy.get() || d.dead == 0
                            on:click={
                                let name = name.clone();
                                move |_| act(name.clone(), "requeue", None)
                            }>"全部失败记录重新排队"</button>
                    </div>
                </Show>
                {(!letters.is_empty()).then(|| {
                    let name = name2.clone();
                    view! {
                        <table class="dead-letters" data-testid="upstream-dead-letters">
                            <thead><tr><th>"类型"</th><th>"编号"</th><th>"尝试次数"</th><th>"最后错误"</th><th>"排队时间"</th><th></th></tr></thead>
                            <tbody>
                                {letters.into_iter().map(|l| {
                                    let name = name.clone();
                                    let id = l.id;
                                    view! {
                                        <tr>
                                            <td>{kind_zh(&l.kind)}</td>
                                            <td><code>{l.ref_id.clone()}</code></td>
                                            <td>{l.attempts}</td>
                                            <td class="error-text">{l.last_error.clone().unwrap_or_default()}</td>
                                            <td>{china_time(l.created_at)}</td>
                                            <td>
                                                <Show when=is_admin>
                                                    <button type="button" class="small"
                                                        disabled=move || busy.get()
                                                        on:click={
                                                            let name = name.clone();
                                                            move |_| act(name.clone(), "requeue", Some(vec![id]))
                                                        }>"重新排队"</button>
                                                </Show>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                })}
            </section>
        }
    };

    view! {
        <Title text="上报省平台 · 好差评"/>
        <StaffPage title=Signal::derive(|| "上报省平台".to_string()) class="tablet upstream-page">
            <p class="hint">"每条评价、每个整改环节都在保存的同一事务中排队，逐条上报省“好差评”平台（评价数据统一汇聚、差评统一整改）。发送失败自动按递增间隔重试；平台明确拒收的记录列为失败，须核实原因后重新排队。"</p>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="upstream-error">{e}</p> })}
            {move || notice.get().map(|n| view! { <p class="notice-ok" role="status" data-testid="upstream-notice">{n}</p> })}
            {move || status.get().map(|s| {
                if s.destinations.is_empty() {
                    view! { <p data-testid="upstream-none">"尚未配置上报目的地（HCP_PROVINCE_URL）。"</p> }.into_any()
                } else {
                    s.destinations.into_iter().map(card).collect_view().into_any()
                }
            })}
            <Show when=is_admin>
                <ProvinceFileImport session=session/>
            </Show>
        </StaffPage>
    }
}
