//! SMS notices to unit 好差评 administrators: a new bad rating, a deadline
//! near or passed (at once), or a daily digest — per account
//! (`/staff/settings`). Which notices are due is `domain::notice`; each is
//! recorded before it is sent (`staff_notices`, unique per staff member,
//! ticket and kind), so two runs never send it twice. Messages go through
//! the SMS gateway (the outbox table by default).

use domain::notice::{self, NoticeKind, OpenTicket};
use domain::time::china_deadline;

use crate::error::ApiError;
use crate::sms::Sms;
use crate::state::AppState;
use crate::store::{NoticeRecipient, TicketDeadlineRow};

/// Whether an administrator answers for a ticket (their unit's scope).
fn responsible(r: &NoticeRecipient, t: &TicketDeadlineRow) -> bool {
    r.place_id == Some(t.place_id)
        || (r.department_id.is_some() && r.department_id == t.department_id)
}

fn open_ticket(t: &TicketDeadlineRow) -> OpenTicket {
    OpenTicket {
        opened_at: t.opened_at,
        contact_due: t.contact_due,
        contacted_at: t.contacted_at,
        rectify_due: t.rectify_due,
    }
}

fn where_of(t: &TicketDeadlineRow) -> String {
    match &t.window_name {
        Some(w) => format!("{}{w}", t.place_name),
        None => t.place_name.clone(),
    }
}

fn message(kind: NoticeKind, t: &TicketDeadlineRow) -> String {
    let at = where_of(t);
    match kind {
        NoticeKind::New => format!(
            "【好差评】{at}收到一条差评（工单 #{}），请于 {} 前联系评价人核实。",
            t.id,
            china_deadline(t.contact_due)
        ),
        NoticeKind::ContactSoon => format!(
            "【好差评】差评工单 #{}（{at}）须于 {} 前联系评价人，尚未联系。",
            t.id,
            china_deadline(t.contact_due)
        ),
        NoticeKind::ContactOverdue => format!(
            "【好差评】差评工单 #{}（{at}）已超过联系期限（{}），请尽快处理。",
            t.id,
            china_deadline(t.contact_due)
        ),
        NoticeKind::RectifySoon => format!(
            "【好差评】差评工单 #{}（{at}）须于 {} 前完成整改。",
            t.id,
            china_deadline(t.rectify_due.unwrap_or_default())
        ),
        NoticeKind::RectifyOverdue => format!(
            "【好差评】差评工单 #{}（{at}）已超过整改期限（{}），请尽快整改或申请延期。",
            t.id,
            china_deadline(t.rectify_due.unwrap_or_default())
        ),
    }
}

/// Sends what is due at `now`; returns how many SMS went out.
pub async fn run(state: &AppState, now: i64) -> Result<usize, ApiError> {
    let recipients = state.store.notice_recipients().await?;
    if recipients.is_empty() {
        return Ok(0);
    }
    let tickets = state.store.open_ticket_deadlines().await?;
    let digest_day = notice::digest_day(now);
    let mut sent = 0;
    for r in &recipients {
        let mine: Vec<&TicketDeadlineRow> = tickets.iter().filter(|t| responsible(r, t)).collect();
        if r.notify == "digest" {
            let Some(day) = digest_day else { continue };
            let mut counts = [0usize; 3]; // new, near, overdue
            for t in &mine {
                for k in notice::due(&open_ticket(t), now) {
                    match k {
                        NoticeKind::New => counts[0] += 1,
                        k if k.is_overdue() => counts[2] += 1,
                        _ => counts[1] += 1,
                    }
                }
            }
            if counts.iter().all(|n| *n == 0) {
                continue;
            }
            if !state
                .store
                .record_notice(r.id, None, "digest", Some(day.start_ms()), now)
                .await?
            {
                continue;
            }
            let body = format!(
                "【好差评】{day} 差评待办：新差评 {} 条，即将到期 {} 条，已超期 {} 条。请登录好差评系统处理。",
                counts[0], counts[1], counts[2]
            );
            send(state, r, None, &body, "digest", now).await?;
            sent += 1;
            continue;
        }
        for t in &mine {
            for k in notice::due(&open_ticket(t), now) {
                if state
                    .store
                    .record_notice(r.id, Some(t.id), k.as_str(), None, now)
                    .await?
                {
                    send(state, r, Some(t.id), &message(k, t), "alert", now).await?;
                    sent += 1;
                }
            }
        }
    }
    Ok(sent)
}

async fn send(
    state: &AppState,
    r: &NoticeRecipient,
    ticket_id: Option<i64>,
    body: &str,
    purpose: &str,
    now: i64,
) -> Result<(), ApiError> {
    state
        .sms
        .send(Sms {
            case_id: None,
            ticket_id,
            phone: &r.phone,
            body,
            link_nonce: None,
            purpose,
            now,
            staff_id: Some(r.id),
        })
        .await?;
    Ok(())
}
