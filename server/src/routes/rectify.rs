//! `/api/v1/loop/…`: the bad-rating loop for unit admins and supervisors,
//! what window staff see of it, the calendar admin and the citizen's
//! feedback link. Thin: rules are in `domain::rectify`, orchestration
//! in `crate::rectify`.

use std::collections::{BTreeSet, VecDeque};
use std::convert::Infallible;
use std::time::Duration;

use app::api::types::{
    CalendarYear, CommonArchive, CommonArchiveResult, CommonGroup, CommonOverview, CommonView,
    EvidenceView, FeedbackSubmit, FeedbackView, MyTicketView, NewCommon, Revealed, SampleView,
    StepRequest, TicketDetail, TicketList, TicketPush,
};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::calendar::{Date, DayKind, SpecialDay};
use domain::link;
use domain::rectify::{
    check_evidence, common_problems, satisfaction_percent, spot_check_sample, Action, GroupInput,
    GroupKey, Outcome, Role, SampleItem, Status, Verdict, EVIDENCE_MAX_BYTES,
};
use domain::time::{china_deadline, china_time};
use domain::{Level, ReasonTag};
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::json_body;
use crate::auth::Staff;
use crate::error::ApiError;
use crate::push::TicketSignal;
use crate::rectify::{self as loop_, Actor};
use crate::state::{now_ms, AppState};
use crate::store::{NewEvent, TicketRow};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(one))
        .routes(routes!(take_step))
        .routes(routes!(reveal))
        .routes(super::limited(routes!(upload), EVIDENCE_MAX_BYTES + 1))
        .routes(routes!(download))
        .routes(routes!(events))
        .routes(routes!(sample))
        .routes(routes!(common_overview, new_common))
        .routes(routes!(common_archive))
        .routes(routes!(ledger))
        .routes(routes!(mine))
        .routes(routes!(calendar_year))
        .routes(routes!(put_day, delete_day))
        .routes(routes!(feedback_view, feedback_submit))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Period {
    /// 起始日 `YYYY-MM-DD` / First day
    from: Option<String>,
    /// 截止日 `YYYY-MM-DD` / Last day
    to: Option<String>,
}

fn bad_date(s: &str) -> ApiError {
    ApiError::Unprocessable {
        code: "invalid_date",
        zh: format!("日期“{s}”格式不正确，应为 YYYY-MM-DD"),
        en: format!("Date '{s}' is not YYYY-MM-DD"),
    }
}

fn date(s: &str) -> Result<Date, ApiError> {
    Date::parse(s.trim()).ok_or_else(|| bad_date(s))
}

impl Period {
    /// `[from, to]` inclusive, as `[start, end)` ms; unset ends default to
    /// the current month.
    fn range(&self, now: i64) -> Result<(Date, Date, i64, i64), ApiError> {
        let today = Date::of_instant(now);
        let from = match &self.from {
            Some(s) => date(s)?,
            None => Date::new(today.year, today.month, 1),
        };
        let to = match &self.to {
            Some(s) => date(s)?,
            None => today,
        };
        if to < from {
            return Err(ApiError::Unprocessable {
                code: "period_reversed",
                zh: "结束日期不能早于开始日期".into(),
                en: "The end date is before the start date".into(),
            });
        }
        Ok((from, to, from.start_ms(), to.add_days(1).start_ms()))
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// One status or several, comma-separated.
    status: Option<String>,
    /// `true`：只列超期 / Only overdue tickets
    overdue: Option<String>,
    /// A page: at most `limit` (default 100, at most 500) from `offset`.
    limit: Option<i64>,
    offset: Option<i64>,
}

/// Tickets in the caller's scope, newest first, a page at a time; the
/// counts (open, overdue, archived, on time, 整改满意率) are over all of
/// them, so a flood of tickets cannot hide one from the count.
#[utoipa::path(
    operation_id = "rectify_list",
    get,
    path = "/loop/tickets",
    tag = "loop",
    params(ListQuery),
    responses((status = 200, description = "成功 / OK", body = app::api::types::TicketList), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<TicketList>, ApiError> {
    let scope = loop_::handler_scope(&staff)?;
    let role = loop_::role_of(&staff);
    let now = now_ms();
    let statuses = match q.status.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Some(
            s.split(',')
                .map(|x| {
                    Status::parse(x.trim())
                        .map(|st| st.as_str().to_string())
                        .ok_or_else(|| ApiError::Unprocessable {
                            code: "invalid_status",
                            zh: format!("没有“{x}”这种状态"),
                            en: format!("No such status: {x}"),
                        })
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        None => None,
    };
    let only_overdue = matches!(q.overdue.as_deref(), Some("1" | "true"));
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let offset = q.offset.unwrap_or(0).max(0);
    let (rows, matching) = state
        .store
        .tickets_page(scope, statuses.as_deref(), only_overdue, now, limit, offset)
        .await?;
    let cal = loop_::calendar(&state).await?;
    let tickets = rows
        .iter()
        .map(|r| loop_::view(r, role, now, &cal))
        .collect::<Result<Vec<_>, _>>()?;
    let mut open = 0;
    let mut overdue = 0;
    let mut archived = 0;
    let mut on_time = 0;
    let mut feedback = Vec::new();
    for t in state.store.ticket_states(scope).await? {
        let status = Status::parse(&t.status).unwrap_or(Status::Open);
        if !matches!(status, Status::Closed | Status::Excluded) {
            open += 1;
        }
        if domain::rectify::overdue(status, t.contact_due, t.rectify_due, now).is_some() {
            overdue += 1;
        }
        if t.archived_at.is_some() {
            archived += 1;
            on_time += i64::from(t.on_time == Some(true));
        }
        feedback.extend(t.feedback_level.and_then(|l| u8::try_from(l).ok()));
    }
    Ok(Json(TicketList {
        tickets,
        matching,
        offset,
        open,
        overdue,
        archived,
        on_time,
        satisfaction: satisfaction_percent(&feedback),
    }))
}

#[utoipa::path(
    operation_id = "rectify_one",
    get,
    path = "/loop/tickets/{id}",
    tag = "loop",
    params(("id" = i64, Path, description = "工单 id / Ticket id")),
    responses((status = 200, description = "成功 / OK", body = app::api::types::TicketDetail), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn one(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<TicketDetail>, ApiError> {
    let r = loop_::load_for(&state, &staff, id).await?;
    Ok(Json(
        loop_::detail(&state, &r, loop_::role_of(&staff), now_ms()).await?,
    ))
}

#[utoipa::path(
    operation_id = "take_step",
    post,
    path = "/loop/tickets/{id}/steps",
    tag = "loop",
    request_body = app::api::types::StepRequest,
    params(("id" = i64, Path, description = "工单 id / Ticket id")),
    responses((status = 200, description = "成功 / OK", body = app::api::types::TicketDetail), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn take_step(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<TicketDetail>, ApiError> {
    let req: StepRequest = json_body(&headers, body, 16 * 1024)?;
    let r = loop_::load_for(&state, &staff, id).await?;
    let role = loop_::role_of(&staff);
    let now = now_ms();
    let actor = Actor {
        staff_id: Some(staff.session.staff_id),
        role,
    };
    loop_::step(&state, &r, &actor, req.action, &req.note, now).await?;
    let r = loop_::load_for(&state, &staff, id).await?;
    Ok(Json(loop_::detail(&state, &r, role, now).await?))
}

/// The evaluator's full phone number and ID, for unit admins and
/// supervisors only; every reveal is in the audit log.
#[utoipa::path(
    operation_id = "reveal",
    post,
    path = "/loop/tickets/{id}/reveal",
    tag = "loop",
    params(("id" = i64, Path, description = "工单 id / Ticket id")),
    responses((status = 200, description = "成功 / OK", body = app::api::types::Revealed), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn reveal(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<Revealed>, ApiError> {
    let r = loop_::load_for(&state, &staff, id).await?;
    if !loop_::role_of(&staff).may_reveal_phone() {
        return Err(ApiError::Forbidden {
            code: "role",
            zh: "您的角色不能查看评价人联系方式".into(),
            en: "Your role may not see the evaluator's contact".into(),
        });
    }
    state
        .store
        .log_event(&NewEvent {
            ticket_id: r.id,
            actor_id: Some(staff.session.staff_id),
            actor_role: staff.role().as_str(),
            action: "reveal_phone",
            from_status: None,
            to_status: None,
            note: "查看了评价人完整联系方式",
            at: now_ms(),
        })
        .await?;
    Ok(Json(Revealed {
        phone: r.evaluator_phone,
        id_no: r.evaluator_id_no,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// `archive`（默认，整改材料）或 `appeal`（申诉材料）/ `archive` (default) or `appeal`
    purpose: Option<String>,
}

/// Decodes `%XX` escapes (the browser sends `encodeURIComponent(name)`).
fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A download: `Content-Disposition: attachment` with the UTF-8 name
/// (RFC 5987) and, for old clients, an ASCII fallback; never sniffed.
pub(crate) fn attachment(
    content_type: &str,
    name: &str,
    ascii_fallback: Option<&str>,
    body: Vec<u8>,
) -> Response {
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let fallback = ascii_fallback
        .map(|f| format!("filename=\"{f}\"; "))
        .unwrap_or_default();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; {fallback}filename*=UTF-8''{encoded}"),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        body,
    )
        .into_response()
}

/// One evidence file, sent as the raw body with its `Content-Type` and an
/// `X-File-Name` (percent-encoded).
#[utoipa::path(
    operation_id = "upload",
    post,
    path = "/loop/tickets/{id}/evidence",
    tag = "loop",
    request_body(content = crate::openapi::Binary, content_type = "application/octet-stream", description = "证据文件（Content-Type 与 X-File-Name）/ The file, with its Content-Type and X-File-Name"),
    params(("id" = i64, Path, description = "工单 id / Ticket id"), UploadQuery),
    responses((status = 200, description = "成功 / OK", body = app::api::types::EvidenceView), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn upload(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EvidenceView>, ApiError> {
    let r = loop_::load_for(&state, &staff, id).await?;
    let purpose = match q.purpose.as_deref().unwrap_or("archive") {
        p @ ("archive" | "appeal") => p,
        other => {
            return Err(ApiError::Unprocessable {
                code: "invalid_purpose",
                zh: format!("佐证材料用途“{other}”不正确（archive 或 appeal）"),
                en: format!("Evidence purpose '{other}' is not archive or appeal"),
            })
        }
    };
    if matches!(r.status.as_str(), "closed" | "excluded") {
        return Err(ApiError::Conflict {
            code: "wrong_state",
            zh: "工单已办结，不能再上传佐证材料".into(),
            en: "The ticket is closed; no more evidence can be added".into(),
        });
    }
    let too_large = || {
        let e = domain::rectify::EvidenceError::TooLarge;
        ApiError::Unprocessable {
            code: e.code(),
            zh: e.message_zh(),
            en: e.message_en(),
        }
    };
    let bytes = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::MalformedJson(e.body_text())
        }
    })?;
    let name = headers
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .and_then(percent_decode)
        .unwrap_or_default();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let existing = state.store.evidence_count(r.id).await? as usize;
    let ty = check_evidence(&name, content_type, &bytes, existing).map_err(|e| {
        ApiError::Unprocessable {
            code: e.code(),
            zh: e.message_zh(),
            en: e.message_en(),
        }
    })?;
    let sha: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let now = now_ms();
    let eid = state
        .store
        .insert_evidence(
            r.id,
            purpose,
            &name,
            ty.as_str(),
            &sha,
            &bytes,
            staff.session.staff_id,
            now,
        )
        .await?;
    state
        .store
        .log_event(&NewEvent {
            ticket_id: r.id,
            actor_id: Some(staff.session.staff_id),
            actor_role: staff.role().as_str(),
            action: "evidence",
            from_status: None,
            to_status: None,
            note: &format!("上传佐证材料：{name}（{} KB）", bytes.len().div_ceil(1024)),
            at: now,
        })
        .await?;
    Ok(Json(EvidenceView {
        id: eid,
        name,
        content_type: ty.as_str().into(),
        size: bytes.len() as i64,
        purpose: purpose.into(),
        uploaded_at: now,
    }))
}

#[utoipa::path(
    operation_id = "download",
    get,
    path = "/loop/evidence/{id}",
    tag = "loop",
    params(("id" = i64, Path, description = "证据 id / Evidence id")),
    responses((status = 200, description = "证据文件 / The file", content_type = "application/octet-stream", body = crate::openapi::Binary), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn download(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let not_found = || ApiError::NotFound {
        code: "evidence_not_found",
        zh: "找不到该佐证材料".into(),
        en: "No such evidence file".into(),
    };
    let (meta, body) = state.store.evidence_file(id).await?.ok_or_else(not_found)?;
    loop_::load_for(&state, &staff, meta.ticket_id)
        .await
        .map_err(|_| not_found())?;
    Ok(attachment(&meta.content_type, &meta.name, None, body))
}

/// Server-sent events: one `ticket` event per new bad rating in the
/// caller's scope, each ticket once. On PostgreSQL the database announces
/// every committed ticket to every server (`push::ticket_feed`); on SQLite
/// (writes serialised, ids visible in order) this server's sync rings a
/// bell and the stream also polls every second. A tablet that reconnects
/// reloads its list (the page does so on `open`).
#[utoipa::path(
    operation_id = "rectify_events",
    get,
    path = "/loop/events",
    tag = "loop",
    responses((status = 200, description = "工单变化推送 / Ticket changes, as server-sent events", content_type = "text/event-stream", body = String), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn events(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let scope = loop_::handler_scope(&staff)?;
    // Subscribed before the latest id is read: nothing falls between.
    let feed = state.ticket_feed.as_ref().map(|f| f.subscribe());
    let last = state.store.latest_ticket_id(scope).await?;
    let tickets = NewTickets {
        state,
        scope,
        feed,
        floor: last,
        seen: BTreeSet::new(),
        pending: VecDeque::new(),
    };
    let events = stream::unfold(tickets, |mut t| async move {
        let r = t.next().await?;
        let push = TicketPush {
            id: r.id,
            level: Level::from_rank(r.level as u8).unwrap_or(Level::Dissatisfied),
            place_name: r.place_name.clone(),
            window_name: r.window_name.clone(),
        };
        let ev = Event::default()
            .event("ticket")
            .data(serde_json::to_string(&push).unwrap_or_default());
        Some((Ok(ev), t))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// The tickets one tablet's stream has yet to send.
struct NewTickets {
    state: AppState,
    scope: crate::store::Scope,
    feed: Option<tokio::sync::broadcast::Receiver<TicketSignal>>,
    /// Every ticket at or below this id is behind us.
    floor: i64,
    /// Tickets above `floor` already sent (or out of scope).
    seen: BTreeSet<i64>,
    pending: VecDeque<TicketRow>,
}

impl NewTickets {
    /// Tickets remembered above the floor before the oldest half is let go.
    const SEEN_MAX: usize = 20_000;

    /// The next ticket to send; `None` ends the stream (server stopping).
    async fn next(&mut self) -> Option<TicketRow> {
        loop {
            if let Some(r) = self.pending.pop_front() {
                return Some(r);
            }
            let found = match self.feed.as_mut() {
                Some(rx) => Self::heard(rx).await?,
                None => {
                    self.polled().await;
                    continue;
                }
            };
            let (ids, resync) = found;
            let rows = if resync {
                self.unseen_after_floor().await
            } else {
                let ids: Vec<i64> = ids
                    .into_iter()
                    .filter(|id| *id > self.floor && !self.seen.contains(id))
                    .collect();
                // Out of scope or not: heard once, never fetched again.
                self.seen.extend(ids.iter().copied());
                match self.state.store.tickets_by_ids(self.scope, &ids).await {
                    Ok(rows) => rows,
                    Err(e) => {
                        tracing::warn!(error = ?e, "ticket push: reading new tickets failed");
                        self.unseen_after_floor().await
                    }
                }
            };
            for r in rows {
                self.seen.insert(r.id);
                self.pending.push_back(r);
            }
            self.forget_oldest();
        }
    }

    /// Waits for the feed; what it announced (ids, and whether to read
    /// everything unsent). `None` when the feed has closed.
    async fn heard(
        rx: &mut tokio::sync::broadcast::Receiver<TicketSignal>,
    ) -> Option<(Vec<i64>, bool)> {
        use tokio::sync::broadcast::error::{RecvError, TryRecvError};
        let (mut ids, mut resync) = (Vec::new(), false);
        match rx.recv().await {
            Ok(TicketSignal::Opened(id)) => ids.push(id),
            Ok(TicketSignal::Resync) | Err(RecvError::Lagged(_)) => resync = true,
            Err(RecvError::Closed) => return None,
        }
        loop {
            match rx.try_recv() {
                Ok(TicketSignal::Opened(id)) => ids.push(id),
                Ok(TicketSignal::Resync) | Err(TryRecvError::Lagged(_)) => resync = true,
                Err(TryRecvError::Empty) | Err(TryRecvError::Closed) => break,
            }
        }
        Some((ids, resync))
    }

    /// SQLite: the bell or a second, then the tickets above the floor.
    async fn polled(&mut self) {
        let bell = self.state.loop_bell.clone();
        let notified = bell.notified();
        let rows = self.unseen_after_floor().await;
        if rows.is_empty() {
            tokio::select! {
                _ = notified => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            return;
        }
        for r in rows {
            self.seen.insert(r.id);
            self.pending.push_back(r);
        }
        // Ids are visible in order here: everything sent is behind us.
        if let Some(max) = self.seen.last().copied() {
            self.floor = max;
            self.seen.clear();
        }
    }

    /// In-scope tickets above the floor not sent yet, oldest first.
    async fn unseen_after_floor(&self) -> Vec<TicketRow> {
        let mut out = Vec::new();
        let mut after = self.floor;
        loop {
            match self.state.store.tickets_after(self.scope, after).await {
                Ok(rows) => {
                    let full = rows.len() >= crate::store::TICKETS_AFTER_LIMIT;
                    after = rows.last().map_or(after, |r| r.id);
                    out.extend(rows.into_iter().filter(|r| !self.seen.contains(&r.id)));
                    if !full {
                        return out;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = ?e, "ticket push: reading new tickets failed");
                    return out;
                }
            }
        }
    }

    /// Keeps memory bounded on a stream open for months: the oldest half
    /// of what was sent goes below the floor.
    fn forget_oldest(&mut self) {
        if self.seen.len() > Self::SEEN_MAX {
            let keep = self.seen.split_off(
                &self
                    .seen
                    .iter()
                    .nth(Self::SEEN_MAX / 2)
                    .copied()
                    .unwrap_or(i64::MAX),
            );
            self.floor = self.seen.last().copied().unwrap_or(self.floor);
            self.seen = keep;
        }
    }
}

/// The unit a ticket belongs to, for sampling: its department, else its place.
fn unit_key(r: &TicketRow) -> i64 {
    r.department_id.map_or(-r.place_id, |d| d)
}

/// The supervisor's spot-check sample of rectifications archived in the period.
#[utoipa::path(
    operation_id = "sample",
    get,
    path = "/loop/sample",
    tag = "loop",
    params(Period),
    responses((status = 200, description = "成功 / OK", body = app::api::types::SampleView), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn sample(
    State(state): State<AppState>,
    staff: Staff,
    Query(p): Query<Period>,
) -> Result<Json<SampleView>, ApiError> {
    staff.require(&[Role::Supervisor])?;
    let scope = staff.scope()?;
    let now = now_ms();
    let (from, to, start, end) = p.range(now)?;
    let rows = state
        .store
        .tickets(scope, true, start, end, 100_000)
        .await?;
    let items: Vec<SampleItem> = rows
        .iter()
        .map(|r| SampleItem {
            id: r.id,
            unit: unit_key(r),
            checked: r.spot_check.is_some(),
        })
        .collect();
    let percent = state.settings.policy.rectify.spot_check_percent;
    let seed = from.day_number() as u64 ^ ((to.day_number() as u64) << 20);
    let chosen = spot_check_sample(&items, percent, seed);
    let cal = loop_::calendar(&state).await?;
    let tickets = rows
        .iter()
        .filter(|r| chosen.binary_search(&r.id).is_ok())
        .map(|r| loop_::view(r, Role::Supervisor, now, &cal))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(SampleView {
        from: from.to_string(),
        to: to.to_string(),
        percent,
        archived: rows.len() as i64,
        tickets,
    }))
}

fn group_label(key: &GroupKey, rows: &[&TicketRow]) -> String {
    match key {
        GroupKey::Window(_) => format!(
            "窗口：{}",
            rows.first()
                .and_then(|r| r.window_name.clone())
                .unwrap_or_default()
        ),
        GroupKey::ServiceItem(_) => format!(
            "事项：{}",
            rows.first()
                .and_then(|r| r.service_item_name.clone())
                .unwrap_or_default()
        ),
        GroupKey::Reason(code) => format!(
            "原因：{}",
            ReasonTag::parse(code).map_or_else(|| code.clone(), |t| t.label_zh().to_string())
        ),
    }
}

fn groupable(r: &TicketRow) -> bool {
    r.common_id.is_none() && matches!(r.status.as_str(), "open" | "contacted" | "rectifying")
}

fn group_input(r: &TicketRow) -> GroupInput {
    GroupInput {
        id: r.id,
        window_id: r.window_id,
        service_item_id: r.service_item_id,
        reasons: serde_json::from_str(&r.reasons).unwrap_or_default(),
    }
}

/// Suggested common problems (tickets opened in the period) and those made.
#[utoipa::path(
    operation_id = "common_overview",
    get,
    path = "/loop/common",
    tag = "loop",
    params(Period),
    responses((status = 200, description = "成功 / OK", body = app::api::types::CommonOverview), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn common_overview(
    State(state): State<AppState>,
    staff: Staff,
    Query(p): Query<Period>,
) -> Result<Json<CommonOverview>, ApiError> {
    let scope = loop_::handler_scope(&staff)?;
    let (_, _, start, end) = p.range(now_ms())?;
    let rows = state
        .store
        .tickets(scope, false, start, end, 10_000)
        .await?;
    let open: Vec<&TicketRow> = rows.iter().filter(|r| groupable(r)).collect();
    let inputs: Vec<GroupInput> = open.iter().map(|r| group_input(r)).collect();
    let suggested = common_problems(&inputs, 2)
        .into_iter()
        .map(|(key, ids)| {
            let members: Vec<&TicketRow> = open
                .iter()
                .copied()
                .filter(|r| ids.contains(&r.id))
                .collect();
            CommonGroup {
                label: group_label(&key, &members),
                key,
                ticket_ids: ids,
            }
        })
        .collect();
    let existing = state
        .store
        .commons(scope)
        .await?
        .into_iter()
        .map(|(c, ids)| CommonView {
            id: c.id,
            title: c.title,
            key: key_of(&c.key_by, &c.key_value),
            ticket_ids: ids,
        })
        .collect();
    Ok(Json(CommonOverview {
        suggested,
        existing,
    }))
}

fn key_parts(k: &GroupKey) -> (&'static str, String) {
    match k {
        GroupKey::Window(id) => ("window", id.to_string()),
        GroupKey::ServiceItem(id) => ("service_item", id.to_string()),
        GroupKey::Reason(r) => ("reason", r.clone()),
    }
}

fn key_of(by: &str, value: &str) -> GroupKey {
    match by {
        "window" => GroupKey::Window(value.parse().unwrap_or_default()),
        "service_item" => GroupKey::ServiceItem(value.parse().unwrap_or_default()),
        _ => GroupKey::Reason(value.to_string()),
    }
}

/// Makes a common problem of tickets that share the key.
#[utoipa::path(
    operation_id = "new_common",
    post,
    path = "/loop/common",
    tag = "loop",
    request_body = app::api::types::NewCommon,
    responses((status = 200, description = "成功 / OK", body = app::api::types::CommonView), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn new_common(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CommonView>, ApiError> {
    let scope = loop_::handler_scope(&staff)?;
    let req: NewCommon = json_body(&headers, body, 64 * 1024)?;
    let title = req.title.trim();
    if title.is_empty() || title.chars().count() > 100 {
        return Err(ApiError::Unprocessable {
            code: "title",
            zh: "请填写共性问题名称（不超过 100 字）".into(),
            en: "Give the common problem a title (at most 100 characters)".into(),
        });
    }
    let mut ids = req.ticket_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() < 2 {
        return Err(ApiError::Unprocessable {
            code: "too_few",
            zh: "共性问题至少包含 2 件差评".into(),
            en: "A common problem needs at least 2 tickets".into(),
        });
    }
    let mut inputs = Vec::new();
    for id in &ids {
        let r = state
            .store
            .ticket(*id)
            .await?
            .filter(|r| loop_::in_scope(&scope, r))
            .ok_or_else(|| ApiError::NotFound {
                code: "ticket_not_found",
                zh: format!("找不到差评工单 {id}（或不在您的管辖范围内）"),
                en: format!("Ticket {id} not found (or not in your unit)"),
            })?;
        if !groupable(&r) {
            return Err(ApiError::Conflict {
                code: "not_groupable",
                zh: format!("工单 {id} 已归入共性问题或已整改完毕"),
                en: format!("Ticket {id} is already grouped or past rectification"),
            });
        }
        inputs.push(group_input(&r));
    }
    let shares = common_problems(&inputs, ids.len())
        .iter()
        .any(|(k, members)| *k == req.key && members.len() == ids.len());
    if !shares {
        return Err(ApiError::Unprocessable {
            code: "not_common",
            zh: "所选差评并不都属于该窗口、事项或原因".into(),
            en: "The tickets do not all share that window, item or reason".into(),
        });
    }
    let (by, value) = key_parts(&req.key);
    let id = state
        .store
        .insert_common(by, &value, title, &ids, staff.session.staff_id, now_ms())
        .await?;
    Ok(Json(CommonView {
        id,
        title: title.into(),
        key: req.key,
        ticket_ids: ids,
    }))
}

/// One rectification for every member still being rectified.
#[utoipa::path(
    operation_id = "common_archive",
    post,
    path = "/loop/common/{id}/archive",
    tag = "loop",
    request_body = app::api::types::CommonArchive,
    params(("id" = i64, Path, description = "共性问题 id / Common problem id")),
    responses((status = 200, description = "成功 / OK", body = app::api::types::CommonArchiveResult), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn common_archive(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CommonArchiveResult>, ApiError> {
    loop_::handler_scope(&staff)?;
    let req: CommonArchive = json_body(&headers, body, 16 * 1024)?;
    let actor = Actor {
        staff_id: Some(staff.session.staff_id),
        role: loop_::role_of(&staff),
    };
    let members = state.store.common_members(id).await?;
    if members.is_empty() {
        return Err(ApiError::NotFound {
            code: "common_not_found",
            zh: "找不到该共性问题".into(),
            en: "No such common problem".into(),
        });
    }
    let now = now_ms();
    let mut archived = Vec::new();
    let mut skipped = Vec::new();
    for tid in members {
        let r = loop_::load_for(&state, &staff, tid).await?;
        // An empty description stays empty, so the domain asks for one.
        let note = match req.note.trim() {
            "" => String::new(),
            text => format!("（共性问题 {id}）{text}"),
        };
        match loop_::step(
            &state,
            &r,
            &actor,
            Action::Archive {
                outcome: req.outcome,
            },
            &note,
            now,
        )
        .await
        {
            Ok(_) => archived.push(tid),
            Err(ApiError::Conflict { zh, .. }) => skipped.push((tid, zh)),
            Err(e) => return Err(e),
        }
    }
    Ok(Json(CommonArchiveResult { archived, skipped }))
}

const LEDGER_HEADERS: [&str; 22] = [
    "工单编号",
    "评价时间",
    "评价渠道",
    "办事场所",
    "窗口",
    "部门",
    "事项",
    "办件编号",
    "评价等级",
    "差评原因",
    "评价内容",
    "状态",
    "核实结论",
    "沟通期限",
    "沟通时间",
    "整改期限",
    "整改结果",
    "整改说明",
    "整改完成时间",
    "是否按期",
    "抽查结果",
    "回访评价",
];

fn ledger_row(r: &TicketRow, now: i64) -> Result<Vec<String>, ApiError> {
    // The ledger does not print the calendar note.
    let v = loop_::view(
        r,
        Role::Supervisor,
        now,
        &domain::calendar::Calendar::default(),
    )?;
    let opt = |t: Option<i64>| t.map(china_time).unwrap_or_default();
    let yes_no = |b: Option<bool>, y: &str, n: &str| match b {
        Some(true) => y.to_string(),
        Some(false) => n.to_string(),
        None => String::new(),
    };
    let mut status = v.status.label_zh().to_string();
    if let Some(o) = v.overdue {
        status = format!("{status}（{}）", o.label_zh());
    }
    Ok(vec![
        v.id.to_string(),
        china_time(v.opened_at),
        v.channel.label_zh().to_string(),
        v.place_name,
        v.window_name.unwrap_or_default(),
        v.department_name.unwrap_or_default(),
        v.service_item_name.unwrap_or_default(),
        v.case_no.unwrap_or_default(),
        v.level.label_zh().to_string(),
        v.reasons
            .iter()
            .map(|r| r.label_zh())
            .collect::<Vec<_>>()
            .join("、"),
        v.comment,
        status,
        v.verdict.map(Verdict::label_zh).unwrap_or_default().into(),
        china_deadline(v.contact_due),
        opt(r.contacted_at),
        v.rectify_due.map(china_deadline).unwrap_or_default(),
        v.outcome.map(Outcome::label_zh).unwrap_or_default().into(),
        v.description.unwrap_or_default(),
        opt(v.archived_at),
        yes_no(v.on_time, "按期", "超期"),
        yes_no(v.spot_check, "合格", "不合格"),
        v.feedback_level
            .map(|l| l.label_zh().to_string())
            .unwrap_or_default(),
    ])
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct LedgerQuery {
    /// 起始日 `YYYY-MM-DD` / First day
    from: Option<String>,
    /// 截止日 `YYYY-MM-DD` / Last day
    to: Option<String>,
    /// `csv`（默认）或 `xlsx`
    format: Option<String>,
}

/// 整改台账: every ticket opened in the period, as CSV (UTF-8 with BOM,
/// for Excel) or XLSX.
#[utoipa::path(
    operation_id = "ledger",
    get,
    path = "/loop/ledger",
    tag = "loop",
    params(LedgerQuery),
    responses((status = 200, description = "整改台账（CSV 或 XLSX）/ The ledger, CSV or XLSX", content_type = "text/csv", body = String), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn ledger(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<LedgerQuery>,
) -> Result<Response, ApiError> {
    let scope = loop_::handler_scope(&staff)?;
    let now = now_ms();
    let period = Period {
        from: q.from,
        to: q.to,
    };
    let (from, to, start, end) = period.range(now)?;
    let mut rows = state
        .store
        .tickets(scope, false, start, end, 1_000_000)
        .await?;
    rows.reverse();
    let lines = rows
        .iter()
        .map(|r| ledger_row(r, now))
        .collect::<Result<Vec<_>, _>>()?;
    let base = format!("整改台账_{from}_{to}");
    let (body, ctype, ext) = match q.format.as_deref().unwrap_or("xlsx") {
        "csv" => {
            let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
            super::csv_file::write_safe(&mut w, LEDGER_HEADERS)
                .and_then(|_| {
                    lines
                        .iter()
                        .try_for_each(|l| super::csv_file::write_safe(&mut w, l))
                })
                .map_err(|e| anyhow::anyhow!("writing CSV: {e}"))?;
            let body = w
                .into_inner()
                .map_err(|e| anyhow::anyhow!("writing CSV: {e}"))?;
            (body, "text/csv; charset=utf-8", "csv")
        }
        "xlsx" => (
            xlsx(&lines, &format!("{from} 至 {to}"))?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        ),
        other => {
            return Err(ApiError::Unprocessable {
                code: "invalid_format",
                zh: format!("不支持的导出格式“{other}”（xlsx 或 csv）"),
                en: format!("Unsupported format '{other}' (xlsx or csv)"),
            })
        }
    };
    Ok(attachment(
        ctype,
        &format!("{base}.{ext}"),
        Some(&format!("ledger.{ext}")),
        body,
    ))
}

fn xlsx(lines: &[Vec<String>], period: &str) -> Result<Vec<u8>, ApiError> {
    use rust_xlsxwriter::{Format, Workbook};
    let err =
        |e: rust_xlsxwriter::XlsxError| ApiError::Internal(anyhow::anyhow!("writing XLSX: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("整改台账").map_err(err)?;
    let bold = Format::new().set_bold();
    sheet
        .write_string_with_format(0, 0, format!("差评整改台账（{period}）"), &bold)
        .map_err(err)?;
    for (c, h) in LEDGER_HEADERS.iter().enumerate() {
        sheet
            .write_string_with_format(1, c as u16, *h, &bold)
            .map_err(err)?;
    }
    for (i, line) in lines.iter().enumerate() {
        for (c, cell) in line.iter().enumerate() {
            sheet
                .write_string(i as u32 + 2, c as u16, cell)
                .map_err(err)?;
        }
    }
    sheet.set_freeze_panes(2, 0).map_err(err)?;
    book.save_to_buffer().map_err(err)
}

/// What the rated window's staff see: their tickets' outcome, no evaluator.
#[utoipa::path(
    operation_id = "mine",
    get,
    path = "/loop/mine",
    tag = "loop",
    responses((status = 200, description = "成功 / OK", body = Vec<app::api::types::MyTicketView>), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn mine(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<MyTicketView>>, ApiError> {
    staff.require(&[Role::WindowStaff])?;
    let rows = state
        .store
        .my_tickets(staff.session.window_id, staff.session.staff_id)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| MyTicketView {
                id: r.id,
                status: Status::parse(&r.status).unwrap_or(Status::Open),
                level: Level::from_rank(r.level as u8).unwrap_or(Level::Dissatisfied),
                opened_on: Date::of_instant(r.opened_at).to_string(),
                reasons: serde_json::from_str(&r.reasons).unwrap_or_default(),
                comment: domain::privacy::redact(&r.comment),
                verdict: r.verdict.as_deref().and_then(Verdict::parse),
                outcome: r.outcome.as_deref().and_then(Outcome::parse),
                description: r.description.as_deref().map(domain::privacy::redact),
                closed_on: r.closed_at.map(|t| Date::of_instant(t).to_string()),
            })
            .collect(),
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct YearQuery {
    /// 年份，默认今年 / The year, this one by default
    year: Option<i32>,
}

/// The special days of a year (any signed-in staff member may read them).
#[utoipa::path(
    operation_id = "calendar_year",
    get,
    path = "/admin/calendar",
    tag = "admin",
    params(YearQuery),
    responses((status = 200, description = "成功 / OK", body = app::api::types::CalendarYear), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn calendar_year(
    State(state): State<AppState>,
    _staff: Staff,
    Query(q): Query<YearQuery>,
) -> Result<Json<CalendarYear>, ApiError> {
    let year = q.year.unwrap_or(Date::of_instant(now_ms()).year);
    let days = state
        .store
        .calendar_days()
        .await?
        .into_iter()
        .filter_map(|d| {
            Some(SpecialDay {
                date: Date::parse(&d.day)?,
                kind: DayKind::parse(&d.kind)?,
                name: d.name,
            })
        })
        .filter(|d| d.date.year == year)
        .collect();
    Ok(Json(CalendarYear { year, days }))
}

#[utoipa::path(
    operation_id = "put_day",
    put,
    path = "/admin/calendar/{day}",
    tag = "admin",
    request_body = domain::calendar::SpecialDay,
    params(("day" = String, Path, description = "日期 YYYY-MM-DD / The date")),
    responses((status = 200, description = "成功 / OK", body = domain::calendar::SpecialDay), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn put_day(
    State(state): State<AppState>,
    staff: Staff,
    Path(day): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SpecialDay>, ApiError> {
    staff.require(&[Role::SystemAdmin])?;
    let d = date(&day)?;
    let mut input: SpecialDay = json_body(&headers, body, 4096)?;
    if input.date != d {
        return Err(ApiError::Unprocessable {
            code: "date_mismatch",
            zh: "请求中的日期与地址中的日期不一致".into(),
            en: "The date in the body differs from the one in the path".into(),
        });
    }
    input.name = input.name.trim().to_string();
    input.validate().map_err(|e| ApiError::Unprocessable {
        code: e.code(),
        zh: e.message_zh().into(),
        en: e.message_en().into(),
    })?;
    state
        .store
        .put_calendar_day(
            &d.to_string(),
            input.kind.as_str(),
            &input.name,
            staff.session.staff_id,
            now_ms(),
        )
        .await?;
    loop_::calendar_changed(&state).await;
    tracing::info!(day = %d, kind = input.kind.as_str(), by = staff.session.staff_id, "calendar day set");
    Ok(Json(input))
}

#[utoipa::path(
    operation_id = "delete_day",
    delete,
    path = "/admin/calendar/{day}",
    tag = "admin",
    params(("day" = String, Path, description = "日期 YYYY-MM-DD / The date")),
    responses((status = 204, description = "已删除 / Deleted"), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn delete_day(
    State(state): State<AppState>,
    staff: Staff,
    Path(day): Path<String>,
) -> Result<StatusCode, ApiError> {
    staff.require(&[Role::SystemAdmin])?;
    let d = date(&day)?;
    if !state.store.delete_calendar_day(&d.to_string()).await? {
        return Err(ApiError::NotFound {
            code: "day_not_found",
            zh: format!("{d} 不是特殊日期"),
            en: format!("{d} is not a listed day"),
        });
    }
    loop_::calendar_changed(&state).await;
    tracing::info!(day = %d, by = staff.session.staff_id, "calendar day removed");
    Ok(StatusCode::NO_CONTENT)
}

fn link_error(e: link::LinkError) -> ApiError {
    ApiError::Unprocessable {
        code: e.code(),
        zh: e.message_zh(),
        en: e.message_en(),
    }
}

/// The ticket a feedback token names, and whether its link was used.
async fn feedback_ticket(
    state: &AppState,
    token: &str,
) -> Result<(TicketRow, String, bool), ApiError> {
    let claims = link::verify(&loop_::feedback_key(state), token).map_err(link_error)?;
    let unknown = || ApiError::NotFound {
        code: "link_unknown",
        zh: "评价链接无效".into(),
        en: "This link is not valid".into(),
    };
    let (ticket_id, used) = state
        .store
        .feedback_link(&claims.nonce)
        .await?
        .filter(|(t, _)| *t == claims.case_id)
        .ok_or_else(unknown)?;
    let r = state.store.ticket(ticket_id).await?.ok_or_else(unknown)?;
    Ok((r, claims.nonce, used))
}

#[utoipa::path(
    operation_id = "feedback_view",
    get,
    path = "/feedback/{token}",
    tag = "feedback",
    params(("token" = String, Path, description = "回访链接 / Feedback link")),
    responses((status = 200, description = "成功 / OK", body = app::api::types::FeedbackView), crate::openapi::Errors),
    security(())
)]
async fn feedback_view(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<FeedbackView>, ApiError> {
    let (r, _, used) = feedback_ticket(&state, &token).await?;
    Ok(Json(FeedbackView {
        place_name: r.place_name,
        window_name: r.window_name,
        opened_at: r.opened_at,
        outcome: r.outcome.as_deref().and_then(Outcome::parse),
        description: r.description.unwrap_or_default(),
        used: used || r.status != "awaiting_feedback",
    }))
}

/// The citizen's rating of the rectification: closes the ticket.
#[utoipa::path(
    operation_id = "feedback_submit",
    post,
    path = "/feedback/{token}",
    tag = "feedback",
    request_body = app::api::types::FeedbackSubmit,
    params(("token" = String, Path, description = "回访链接 / Feedback link")),
    responses((status = 200, description = "成功 / OK", body = serde_json::Value), crate::openapi::Errors),
    security(())
)]
async fn feedback_submit(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    crate::auth::check_same_origin(&axum::http::Method::POST, &headers)?;
    let req: FeedbackSubmit = json_body(&headers, body, 8192)?;
    if req.comment.chars().count() > domain::COMMENT_MAX_CHARS {
        return Err(ApiError::Unprocessable {
            code: "comment_too_long",
            zh: format!("意见不能超过 {} 字", domain::COMMENT_MAX_CHARS),
            en: format!("At most {} characters", domain::COMMENT_MAX_CHARS),
        });
    }
    let (r, nonce, used) = feedback_ticket(&state, &token).await?;
    let used_err = || ApiError::Conflict {
        code: "link_used",
        zh: "您已通过此链接评价过整改结果，感谢您的参与".into(),
        en: "You have already rated the rectification through this link; thank you".into(),
    };
    if used {
        return Err(used_err());
    }
    let now = now_ms();
    let actor = Actor {
        staff_id: None,
        role: Role::Citizen,
    };
    loop_::step(
        &state,
        &r,
        &actor,
        Action::Feedback { level: req.level },
        req.comment.trim(),
        now,
    )
    .await
    .map_err(|e| match e {
        ApiError::Conflict { .. } => ApiError::Conflict {
            code: "link_expired",
            zh: "此整改已重新处理，此链接已失效；处理完毕后会另行发送短信".into(),
            en: "This rectification was reopened; this link no longer applies. You will get a new one".into(),
        },
        other => other,
    })?;
    if !state.store.use_feedback_link(&nonce, now).await? {
        return Err(used_err());
    }
    Ok(Json(serde_json::json!({})))
}
