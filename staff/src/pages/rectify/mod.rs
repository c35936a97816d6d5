//! 差评整改 (the bad-rating closed loop) for unit administrators and
//! supervisors, on a tablet: the ticket list with live alerts, the
//! supervisor's spot-check sample, common problems and the ledger export;
//! and one ticket's detail with the steps the server says are possible.
//! The rules live in `domain::rectify` and on the server: this page shows
//! `ticket.possible` and the server's answers, nothing more.

mod list;
mod panels;
mod steps;
mod ticket;

pub use list::LoopPage;
pub use ticket::TicketPage;

use leptos::prelude::*;

use app::api::types::TicketView;
use app::components::face::Face;
use app::web;
use domain::calendar::DAY_MS;
use domain::rectify::{Overdue, Role};
use domain::time::{china_deadline_short, china_time};

pub(crate) fn role_of(session: &app::api::types::StaffSession) -> Option<Role> {
    Role::parse(&session.role)
}

/// "剩余 N 天" (whole days, rounded up) or "已超期", and whether it is late.
pub(crate) fn due_text(due: i64, now: i64) -> (String, bool) {
    if now >= due {
        ("已超期".into(), true)
    } else {
        let days = (due - now + DAY_MS - 1) / DAY_MS;
        (format!("剩余 {days} 天"), false)
    }
}

pub(crate) fn place_window(place: &str, window: Option<&str>) -> String {
    match window {
        Some(w) if !w.is_empty() => format!("{place} · {w}"),
        _ => place.to_string(),
    }
}

pub(crate) fn reasons_zh(t: &TicketView) -> String {
    t.reasons
        .iter()
        .map(|r| r.label_zh())
        .collect::<Vec<_>>()
        .join("、")
}

pub(crate) fn overdue_badge(o: Overdue) -> impl IntoView {
    view! { <span class="badge danger overdue" data-testid="overdue">{o.label_zh()}</span> }
}

/// One ticket in a list: a link to its detail.
#[component]
pub(crate) fn TicketCard(
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
}
