//! SMS notices to unit 好差评 administrators: a new bad rating, a deadline
//! near or passed (at once), or a daily digest — per account
//! (`/staff/settings`). Which notices are due is `domain::notice`; each is
//! recorded before it is sent (`staff_notices`, unique per staff member,
//! ticket and kind), so two runs never send it twice. Messages go through
//! the SMS gateway (the outbox table by default).

use std::collections::HashSet;

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

/// Sends what is due at `now` for every ticket still in the loop, digests
/// included (the periodic jobs); returns how many SMS went out.
pub async fn run(state: &AppState, now: i64) -> Result<usize, ApiError> {
    due_for(state, None, now).await
}

/// Sends what is due at `now` for the tickets `ids` only (new tickets,
/// told "at once"): the work follows what was opened, not how many tickets
/// are open. Digests stay with the jobs.
pub async fn opened(state: &AppState, ids: &[i64], now: i64) -> Result<usize, ApiError> {
    due_for(state, Some(ids), now).await
}

/// Hands new tickets to this server's announcer task, which sends their
/// "at once" notices beside the requests that opened them. The task takes
/// whatever has arrived and sends for all of it in one run, so a burst of
/// bad ratings costs a run per round of the task, not one per request.
#[derive(Clone)]
pub struct Announcer(tokio::sync::mpsc::UnboundedSender<(Vec<i64>, i64)>);

/// The announcer's side of the queue, for [`announce_loop`].
pub type Announced = tokio::sync::mpsc::UnboundedReceiver<(Vec<i64>, i64)>;

impl Announcer {
    pub fn new() -> (Announcer, Announced) {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        (Announcer(tx), rx)
    }

    /// Tickets opened at `now`; never waits.
    pub fn opened(&self, ids: Vec<i64>, now: i64) {
        if !ids.is_empty() {
            let _ = self.0.send((ids, now));
        }
    }
}

/// The tickets one run takes at most.
const ANNOUNCE_MAX: usize = 1000;

/// Runs until the server stops: notices for the tickets handed over. A
/// run that fails is logged; the jobs' tick sends what it left.
pub async fn announce_loop(state: AppState, mut queue: Announced) {
    while let Some((mut ids, mut now)) = queue.recv().await {
        while ids.len() < ANNOUNCE_MAX {
            match queue.try_recv() {
                Ok((more, at)) => {
                    ids.extend(more);
                    now = now.max(at);
                }
                Err(_) => break,
            }
        }
        ids.sort_unstable();
        ids.dedup();
        if let Err(e) = opened(&state, &ids, now).await {
            tracing::warn!(error = ?e, "notices failed; the jobs send them next time");
        }
    }
}

async fn due_for(state: &AppState, ids: Option<&[i64]>, now: i64) -> Result<usize, ApiError> {
    let recipients = state.store.notice_recipients().await?;
    if recipients.is_empty() {
        return Ok(0);
    }
    let tickets = state.store.open_ticket_deadlines(ids).await?;
    // What was told already is read once, not tried again ticket by ticket.
    let told: HashSet<(i64, i64, String)> = state
        .store
        .ticket_notices_told(ids)
        .await?
        .into_iter()
        .collect();
    let digest_day = notice::digest_day(now).filter(|_| ids.is_none());
    let mut sent = 0;
    let mut alerts: Vec<(&NoticeRecipient, &TicketDeadlineRow, NoticeKind)> = vec![];
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
                if !told.contains(&(r.id, t.id, k.as_str().to_string())) {
                    alerts.push((r, *t, k));
                }
            }
        }
    }
    // Recorded (all at once) before they are sent: a second server's run
    // that read the same "not told" records none of them and sends nothing.
    let keys: Vec<(i64, i64, &str)> = alerts
        .iter()
        .map(|(r, t, k)| (r.id, t.id, k.as_str()))
        .collect();
    let recorded: HashSet<(i64, i64, String)> = state
        .store
        .record_ticket_notices(&keys, now)
        .await?
        .into_iter()
        .collect();
    let bodies: Vec<(&NoticeRecipient, i64, String)> = alerts
        .into_iter()
        .filter(|(r, t, k)| recorded.contains(&(r.id, t.id, k.as_str().to_string())))
        .map(|(r, t, k)| (r, t.id, message(k, t)))
        .collect();
    let messages: Vec<Sms> = bodies
        .iter()
        .map(|(r, ticket, body)| Sms {
            case_id: None,
            ticket_id: Some(*ticket),
            phone: &r.phone,
            body,
            link_nonce: None,
            purpose: "alert",
            now,
            staff_id: Some(r.id),
        })
        .collect();
    sent += messages.len();
    state.sms.send_all(messages).await?;
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
