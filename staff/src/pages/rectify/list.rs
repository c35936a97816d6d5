//! `/staff/loop`: the list of tickets with live alerts, and beneath it the
//! supervisor's sample, common problems and the ledger (`panels`).

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use super::panels::{CommonPanel, LedgerPanel, SamplePanel};
use super::{role_of, TicketCard};
use crate::pages::common::{roles, use_session_for, StaffPage};
use app::api::client::ClientError;
use app::api::endpoints::rectify::{self as api, TicketQuery};
use app::api::types::{CommonOverview, SampleView, TicketList, TicketPush};
use app::web;
use app::web::china_today;
use domain::calendar::Date;
use domain::rectify::{Role, Status};

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

            <TicketCounts list=list live=live reload=Callback::new(move |()| reload())/>
            <FilterBar filter=filter offset=offset list=list reload=Callback::new(move |()| reload())/>
            <TicketPages list=list offset=offset reload=Callback::new(move |()| reload())/>

            <Show when=move || role() == Some(Role::Supervisor)>
                <SamplePanel from=sample_from to=sample_to sample=sample load=Callback::new(move |()| load_sample())/>
            </Show>

            <CommonPanel from=common_from to=common_to common=common session=session error=error notice=notice
                reload=Callback::new(move |()| reload()) load=Callback::new(move |()| load_common())/>

            <LedgerPanel from=ledger_from to=ledger_to/>
        </StaffPage>
    }
}

/// The counts above the list, whether the live alerts are connected, 刷新.
#[component]
fn TicketCounts(
    list: RwSignal<Option<TicketList>>,
    live: RwSignal<bool>,
    reload: Callback<()>,
) -> impl IntoView {
    view! {
            <div class="counts">
                <span class="count" data-testid="count-open">"待办 "<strong>{move || list.with(|l| l.as_ref().map(|l| l.open).unwrap_or(0))}</strong></span>
                <span class="count overdue-count" data-testid="count-overdue">"超期 "<strong>{move || list.with(|l| l.as_ref().map(|l| l.overdue).unwrap_or(0))}</strong></span>
                <span class="count" data-testid="count-on-time">"按期整改 "<strong>{move || list.with(|l| l.as_ref().map(|l| format!("{}/{}", l.on_time, l.archived)).unwrap_or_default())}</strong></span>
                <span class="count" data-testid="satisfaction">"整改满意率 "<strong>{move || list.with(|l| l.as_ref().and_then(|l| l.satisfaction).map(|p| format!("{p:.1}%")).unwrap_or_else(|| "—".into()))}</strong></span>
                <span class="live" data-testid="loop-live" data-live=move || live.get().to_string()>
                    {move || if live.get() { "● 实时提醒已连接" } else { "○ 实时提醒未连接" }}
                </span>
                <button class="secondary" data-testid="refresh" on:click=move |_| reload.run(())>"刷新"</button>
            </div>
    }
}

/// The filter buttons; one picked starts again at the first page.
#[component]
fn FilterBar(
    filter: RwSignal<Filter>,
    offset: RwSignal<i64>,
    list: RwSignal<Option<TicketList>>,
    reload: Callback<()>,
) -> impl IntoView {
    view! {
            <div class="filters" role="group" aria-label="筛选">
                {Filter::ALL.into_iter().map(|f| view! {
                    <button class="filter" class:overdue-filter=f == Filter::Overdue
                        data-testid=format!("filter-{}", f.key())
                        aria-pressed=move || (filter.get() == f).to_string()
                        on:click=move |_| { filter.set(f); offset.set(0); list.set(None); reload.run(()); }>
                        {f.label()}
                    </button>
                }).collect_view()}
            </div>
    }
}

/// One page of the list and the pager.
#[component]
fn TicketPages(
    list: RwSignal<Option<TicketList>>,
    offset: RwSignal<i64>,
    reload: Callback<()>,
) -> impl IntoView {
    view! {
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
                                on:click=move |_| { offset.set((from - PAGE).max(0)); reload.run(()); }>"上一页"</button>
                            <span data-testid="page-range">{format!("第 {}–{} 条，共 {all} 条", from + 1, from + shown)}</span>
                            <button class="secondary" data-testid="page-next" disabled={from + shown >= all}
                                on:click=move |_| { offset.set(from + PAGE); reload.run(()); }>"下一页"</button>
                        </nav>
                    }.into_any()
                }
            }}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
