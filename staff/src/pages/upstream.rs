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
        _ => "其他",
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
                <Show when=is_admin>
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
        </StaffPage>
    }
}
