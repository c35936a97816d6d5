//! The bad-rating loop on the server: opening tickets, taking steps
//! through the pure state machine (`domain::rectify`), the calendar
//! from the database, the feedback SMS and the views of a ticket.

use app::api::types::{EvidenceView, TicketDetail, TicketEvent, TicketView};
use domain::calendar::{Calendar, Date, DayKind};
use domain::case::mask_phone;
use domain::link;
use domain::rectify::{Action, Outcome, Role, Status, Ticket, Verdict};
use domain::{Channel, Level, ReasonTag};
use sha2::{Digest, Sha256};

use crate::auth::{self, Staff};
use crate::error::ApiError;
use crate::sms::Sms;
use crate::state::AppState;
use crate::store::{NewEvent, Scope, Store, StoreError, TicketRow, TicketUpdate};

/// This server's copy of the working-day calendar, read from
/// `calendar_days` on first use and again after each edit: an edit on this
/// server forgets it at once ([`calendar_changed`]); on PostgreSQL every
/// other server forgets it when it hears `hcp_calendar` (and whenever its
/// listener reconnects, since it may have missed one).
#[derive(Default)]
pub struct CalendarCache {
    /// (generation, calendar): a read that raced with a `forget` is not kept.
    inner: std::sync::Mutex<(u64, Option<std::sync::Arc<Calendar>>)>,
}

impl CalendarCache {
    pub fn forget(&self) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        g.0 += 1;
        g.1 = None;
    }

    fn get(&self) -> (u64, Option<std::sync::Arc<Calendar>>) {
        let g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        (g.0, g.1.clone())
    }

    fn keep(&self, generation: u64, cal: std::sync::Arc<Calendar>) {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if g.0 == generation {
            g.1 = Some(cal);
        }
    }
}

/// The working-day calendar as the database holds it (cached, see
/// [`CalendarCache`]).
pub async fn calendar(state: &AppState) -> Result<std::sync::Arc<Calendar>, ApiError> {
    Ok(calendar_in(&state.calendar, &state.store).await?)
}

/// [`calendar`] from a cache and a store (the ratings writer has no state).
pub async fn calendar_in(
    cache: &CalendarCache,
    store: &Store,
) -> Result<std::sync::Arc<Calendar>, StoreError> {
    let (generation, cached) = cache.get();
    if let Some(cal) = cached {
        return Ok(cal);
    }
    let days = store.calendar_days().await?;
    let cal = std::sync::Arc::new(Calendar::new(
        days.into_iter()
            .filter_map(|d| Some((Date::parse(&d.day)?, DayKind::parse(&d.kind)?))),
    ));
    cache.keep(generation, cal.clone());
    Ok(cal)
}

/// After an edit of `calendar_days`: this server and (PostgreSQL) every
/// other one read the calendar again.
pub async fn calendar_changed(state: &AppState) {
    state.calendar.forget();
    if let Err(e) = state.store.notify_calendar().await {
        tracing::warn!(error = ?e, "telling other servers of a calendar edit failed");
    }
}

/// Opens a ticket for every bad rating that has none (idempotent: safe
/// after every sync, from the jobs and at start-up), and wakes the push
/// streams if any was opened.
pub async fn open_new_tickets(state: &AppState, now: i64) -> Result<usize, ApiError> {
    let mut opened = 0;
    loop {
        let rows = state.store.bad_ratings_without_ticket(500, None).await?;
        let n = rows.len();
        opened += open(state, &rows, now).await?;
        if n < 500 {
            break;
        }
    }
    Ok(opened)
}

async fn open(
    state: &AppState,
    rows: &[crate::store::BadRatingRow],
    now: i64,
) -> Result<usize, ApiError> {
    let opened = open_rows(
        &state.store,
        &state.calendar,
        &state.settings.policy.rectify,
        rows,
        now,
    )
    .await?;
    let n = opened.len();
    announce(state, opened.into_iter().map(|(id, _)| id).collect(), now);
    Ok(n)
}

/// Opens a ticket for each of `rows` (bad ratings without one) in one
/// transaction, deadlines from the calendar; returns (ticket id, rating id)
/// of those opened. [`announce`] tells the tablets and administrators.
pub async fn open_rows(
    store: &Store,
    calendar: &CalendarCache,
    policy: &domain::rectify::LoopPolicy,
    rows: &[crate::store::BadRatingRow],
    now: i64,
) -> Result<crate::store::OpenedTickets, StoreError> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let cal = calendar_in(calendar, store).await?;
    let deadlines = crate::store::Deadlines {
        calendar: &cal,
        policy,
    };
    store.open_tickets(&deadlines.due(rows), now).await
}

/// After tickets opened: every server's tablets hear of them (the push
/// streams), and administrators who asked to be told at once get an SMS
/// for these tickets, beside the request, not on its path.
pub fn announce(state: &AppState, ids: Vec<i64>, now: i64) {
    if ids.is_empty() {
        return;
    }
    if let Some(n) = &state.ticket_notifier {
        n.opened(ids.clone());
    }
    state.loop_bell.notify_waiters();
    state.announcer.opened(ids, now);
}

fn parse<T>(s: Option<&str>, f: impl Fn(&str) -> Option<T>) -> Option<T> {
    s.and_then(f)
}

/// The domain's view of a stored ticket.
pub fn ticket_of(r: &TicketRow) -> Result<Ticket, ApiError> {
    let status = Status::parse(&r.status)
        .ok_or_else(|| anyhow::anyhow!("ticket {} has status {:?}", r.id, r.status))?;
    Ok(Ticket {
        status,
        opened_at: r.opened_at,
        has_phone: r.has_phone,
        contact_due: r.contact_due,
        appeal_due: r.appeal_due,
        rectify_due: r.rectify_due,
        contacted_at: r.contacted_at,
        verdict: parse(r.verdict.as_deref(), Verdict::parse),
        proposed: parse(r.proposed.as_deref(), Verdict::parse),
        appealed: r.appealed,
        resume: parse(r.resume.as_deref(), Status::parse),
        requested_due: r.requested_due,
        extended: r.extended,
        outcome: parse(r.outcome.as_deref(), Outcome::parse),
        archived_at: r.archived_at,
        on_time: r.on_time,
        spot_check: r.spot_check,
        feedback_level: r.feedback_level.and_then(|l| u8::try_from(l).ok()),
        closed_at: r.closed_at,
        via_hotline: r.via_hotline,
    })
}

pub fn role_of(staff: &Staff) -> Role {
    staff.role()
}

/// Unit admins act on their unit's tickets, supervisors on all; window
/// staff and system admins get none of these views.
pub fn handler_scope(staff: &Staff) -> Result<Scope, ApiError> {
    staff.require(&[Role::UnitAdmin, Role::Supervisor])?;
    staff.scope()
}

pub fn in_scope(scope: &Scope, r: &TicketRow) -> bool {
    scope.everything
        || (scope.district_id.is_some() && scope.district_id == Some(r.district_id))
        || (scope.place_id.is_some() && scope.place_id == Some(r.place_id))
        || (scope.department_id.is_some() && scope.department_id == r.department_id)
}

fn not_found(id: i64) -> ApiError {
    ApiError::NotFound {
        code: "ticket_not_found",
        zh: format!("找不到差评工单 {id}（或不在您的管辖范围内）"),
        en: format!("Ticket {id} not found (or not in your unit)"),
    }
}

/// The ticket if the staff member may handle it (404 otherwise: a unit
/// admin does not learn other units' ticket numbers).
pub async fn load_for(state: &AppState, staff: &Staff, id: i64) -> Result<TicketRow, ApiError> {
    let scope = handler_scope(staff)?;
    state
        .store
        .ticket(id)
        .await?
        .filter(|r| in_scope(&scope, r))
        .ok_or_else(|| not_found(id))
}

pub fn view(r: &TicketRow, role: Role, now: i64, cal: &Calendar) -> Result<TicketView, ApiError> {
    let t = ticket_of(r)?;
    let reasons: Vec<ReasonTag> = serde_json::from_str(&r.reasons).unwrap_or_default();
    Ok(TicketView {
        id: r.id,
        rating_id: r
            .rating_id
            .parse()
            .map_err(|e| anyhow::anyhow!("rating id: {e}"))?,
        status: t.status,
        level: Level::from_rank(r.level as u8).unwrap_or(Level::Dissatisfied),
        channel: Channel::parse(&r.channel).unwrap_or(Channel::Kiosk),
        opened_at: r.opened_at,
        place_name: r.place_name.clone(),
        window_name: r.window_name.clone(),
        department_name: r.department_name.clone(),
        service_item_name: r.service_item_name.clone(),
        case_no: r.case_no.clone(),
        reasons,
        comment: r.comment.clone(),
        contact_due: t.contact_due,
        appeal_due: t.appeal_due,
        rectify_due: t.rectify_due,
        beyond_calendar: t.next_due().is_some_and(|d| cal.beyond_known(d)),
        next_due: t.next_due(),
        overdue: t.overdue(now),
        verdict: t.verdict,
        proposed: t.proposed,
        requested_due: t.requested_due,
        outcome: t.outcome,
        description: r.description.clone(),
        archived_at: t.archived_at,
        on_time: t.on_time,
        spot_check: t.spot_check,
        feedback_level: t.feedback_level.and_then(Level::from_rank),
        closed_at: t.closed_at,
        common_id: r.common_id,
        has_phone: t.has_phone,
        via_hotline: t.via_hotline,
        phone_masked: role
            .may_reveal_phone()
            .then(|| r.evaluator_phone.as_deref().map(mask_phone))
            .flatten(),
        possible: t.possible(role, now),
    })
}

pub async fn detail(
    state: &AppState,
    r: &TicketRow,
    role: Role,
    now: i64,
) -> Result<TicketDetail, ApiError> {
    let events = state
        .store
        .ticket_events(r.id)
        .await?
        .into_iter()
        .map(|e| TicketEvent {
            at: e.at,
            actor: e.actor.unwrap_or_else(|| {
                match e.actor_role.as_str() {
                    "citizen" => "评价人",
                    "hotline" => "12345热线",
                    _ => "系统",
                }
                .into()
            }),
            actor_role: e.actor_role,
            action: e.action,
            from_status: parse(e.from_status.as_deref(), Status::parse),
            to_status: parse(e.to_status.as_deref(), Status::parse),
            note: e.note,
        })
        .collect();
    let evidence = state
        .store
        .evidence_list(r.id)
        .await?
        .into_iter()
        .map(|e| EvidenceView {
            id: e.id,
            name: e.name,
            content_type: e.content_type,
            size: e.size,
            purpose: e.purpose,
            uploaded_at: e.uploaded_at,
        })
        .collect();
    Ok(TicketDetail {
        ticket: view(r, role, now, &*calendar(state).await?)?,
        events,
        evidence,
    })
}

fn loop_error(e: domain::rectify::LoopError) -> ApiError {
    use domain::rectify::LoopError as E;
    let (zh, en) = (e.message_zh(), e.message_en());
    match e {
        E::NotAllowed => ApiError::Forbidden {
            code: e.code(),
            zh,
            en,
        },
        E::WrongState { .. } | E::AlreadyAppealed | E::AlreadyChecked => ApiError::Conflict {
            code: e.code(),
            zh,
            en,
        },
        _ => ApiError::Unprocessable {
            code: e.code(),
            zh,
            en,
        },
    }
}

/// Who took a step, for the audit log.
pub struct Actor {
    pub staff_id: Option<i64>,
    pub role: Role,
}

/// Takes one step on a stored ticket: the domain decides, the store
/// writes state and audit line together (or neither, if someone else
/// changed the ticket meanwhile).
pub async fn step(
    state: &AppState,
    r: &TicketRow,
    actor: &Actor,
    action: Action,
    note: &str,
    now: i64,
) -> Result<Ticket, ApiError> {
    let before = ticket_of(r)?;
    let cal = calendar(state).await?;
    let after = before
        .apply(
            action,
            actor.role,
            note,
            now,
            &cal,
            &state.settings.policy.rectify,
        )
        .map_err(loop_error)?;
    let description = match action {
        Action::Archive { .. } => Some(note.trim()),
        Action::SpotCheck { pass: false } => None,
        _ => r.description.as_deref(),
    };
    let note_line = audit_note(&action, note);
    let stored = state
        .store
        .update_ticket(
            r.id,
            r.version,
            &TicketUpdate {
                status: after.status.as_str(),
                rectify_due: after.rectify_due,
                contacted_at: after.contacted_at,
                verdict: after.verdict.map(Verdict::as_str),
                proposed: after.proposed.map(Verdict::as_str),
                appealed: after.appealed,
                resume: after.resume.map(Status::as_str),
                requested_due: after.requested_due,
                extended: after.extended,
                outcome: after.outcome.map(Outcome::as_str),
                description,
                archived_at: after.archived_at,
                on_time: after.on_time,
                spot_check: after.spot_check,
                feedback_level: after.feedback_level.map(i32::from),
                closed_at: after.closed_at,
            },
            &NewEvent {
                ticket_id: r.id,
                actor_id: actor.staff_id,
                actor_role: actor.role.as_str(),
                action: action.kind().as_str(),
                from_status: Some(before.status.as_str()),
                to_status: Some(after.status.as_str()),
                note: &note_line,
                at: now,
            },
        )
        .await?;
    if !stored {
        return Err(ApiError::Conflict {
            code: "ticket_changed",
            zh: "此工单刚被他人更新，请刷新后再操作；您填写的内容仍在页面上".into(),
            en: "Someone else just changed this ticket; reload and retry (what you typed is kept)"
                .into(),
        });
    }
    // 回访: the hotline invites the re-rating of the tickets routed to it
    // (it hears of the archive through its work order's steps).
    if after.status == Status::AwaitingFeedback
        && before.status != Status::AwaitingFeedback
        && !r.via_hotline
    {
        send_feedback(state, r, now).await?;
    }
    Ok(after)
}

/// The step's own detail in the audit line, then the note.
fn audit_note(action: &Action, note: &str) -> String {
    let what = match action {
        Action::Contact { reached } => Some(
            if *reached {
                "已联系上评价人"
            } else {
                "未能联系上评价人"
            }
            .to_string(),
        ),
        Action::Verify { verdict } => Some(verdict.label_zh().to_string()),
        Action::Appeal { claim } => Some(format!("主张：{}", claim.label_zh())),
        Action::Decide { approve } => Some(if *approve { "批准" } else { "驳回" }.to_string()),
        Action::RequestExtension { new_due } => {
            Some(format!("申请延期至 {}", Date::of_instant(new_due - 1)))
        }
        Action::Archive { outcome } => Some(outcome.label_zh().to_string()),
        Action::SpotCheck { pass } => Some(
            if *pass {
                "抽查合格"
            } else {
                "抽查不合格，重新整改"
            }
            .to_string(),
        ),
        Action::Feedback { level } => Some(format!("回访评价：{}", level.label_zh())),
        Action::Close => None,
    };
    match (what, note.trim()) {
        (Some(w), "") => w,
        (Some(w), n) => format!("{w}。{n}"),
        (None, n) => n.to_string(),
    }
}

/// The key feedback links are signed with: derived from the link key, so
/// a feedback token is never a valid case link and the other way round.
pub fn feedback_key(state: &AppState) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"hcp feedback link\0");
    h.update(state.link_key.as_slice());
    h.finalize().to_vec()
}

pub fn feedback_path(token: &str) -> String {
    format!("/f/{token}")
}

/// 回访: sends the evaluator the result with a single-use link to rate it.
async fn send_feedback(state: &AppState, r: &TicketRow, now: i64) -> Result<(), ApiError> {
    let Some(phone) = r.evaluator_phone.as_deref() else {
        return Ok(());
    };
    let nonce = auth::random_token();
    state.store.insert_feedback_link(&nonce, r.id, now).await?;
    let token = link::sign(&feedback_key(state), r.id, &nonce);
    let body = format!(
        "【{}】您{}提出的意见已整改，请对整改结果作出评价：{}{}",
        r.place_name,
        Date::of_instant(r.opened_at),
        state.public_url,
        feedback_path(&token)
    );
    state
        .sms
        .send(Sms {
            case_id: None,
            ticket_id: Some(r.id),
            phone,
            body: &body,
            link_nonce: Some(&nonce),
            purpose: "feedback",
            now,
            staff_id: None,
        })
        .await?;
    state
        .store
        .log_event(&NewEvent {
            ticket_id: r.id,
            actor_id: None,
            actor_role: "system",
            action: "feedback_sent",
            from_status: None,
            to_status: None,
            note: &format!("回访短信已发送至 {}", mask_phone(phone)),
            at: now,
        })
        .await?;
    Ok(())
}
