//! Callbacks from the systems we deliver to: the 12345 hotline's events on
//! our work orders (`POST /api/v1/hotline/events`, 002 一(三)) and the SMS
//! gateway's delivery receipts (`POST /api/v1/sms/receipts`). Each is
//! authenticated by its own token and idempotent: an event sent twice is
//! applied once; a receipt sent twice changes nothing more.

use app::api::types::{
    ErrorBody, HotlineAnswer, HotlineBatch, HotlineResult, ItemResult, SmsReceiptAnswer,
    SmsReceipts,
};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use domain::hotline::{ticket_of_work_order, HotlineStep};
use domain::rectify::Status;
use domain::sync::ItemStatus;
use domain::Role;
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::json_body;
use crate::auth;
use crate::config::Destination;
use crate::error::ApiError;
use crate::rectify::{self, Actor};
use crate::state::{now_ms, AppState};
use crate::store::{EventClaim, NewEvent};

/// Events or receipts per request.
const MAX_ITEMS: usize = 500;
/// Bytes per request.
const BODY_LIMIT: usize = 1 << 20;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(super::limited(routes!(events), BODY_LIMIT))
        .routes(super::limited(routes!(receipts), BODY_LIMIT))
}

/// The destination whose inbound token the request carries, or 401.
fn authenticated<'a>(
    dest: Option<&'a Destination>,
    headers: &HeaderMap,
    code: &'static str,
    zh: &str,
    en: &str,
) -> Result<&'a Destination, ApiError> {
    let sent = auth::bearer(headers);
    match (dest, dest.and_then(|d| d.inbound_token.as_deref()), sent) {
        (Some(d), Some(e), Some(s)) if auth::constant_time_eq(e.as_bytes(), s.as_bytes()) => Ok(d),
        _ => Err(ApiError::DeviceUnauthenticated {
            code,
            zh: zh.into(),
            en: en.into(),
        }),
    }
}

fn batch_size(n: usize) -> Result<(), ApiError> {
    if n == 0 || n > MAX_ITEMS {
        return Err(ApiError::Unprocessable {
            code: "batch_size",
            zh: format!("每批 1 至 {MAX_ITEMS} 条（本批 {n} 条）"),
            en: format!("1 to {MAX_ITEMS} items per batch (this one has {n})"),
        });
    }
    Ok(())
}

fn refused(index: usize, code: &str, zh: String, en: String) -> ItemResult {
    ItemResult {
        index,
        id: None,
        status: ItemStatus::Rejected,
        error: Some(ErrorBody {
            code: code.into(),
            message: zh,
            message_en: en,
        }),
        kind: None,
    }
}

fn invalid_batch(total: usize, results: Vec<ItemResult>, zh: &str, en: &str) -> ApiError {
    ApiError::InvalidBatch {
        code: "invalid_items",
        zh: format!(
            "本批 {total} 条{zh}中有 {} 条格式不正确，整批未处理；请更正后重新发送",
            results.len()
        ),
        en: format!(
            "{} of {total} {en} in this batch are malformed and nothing was applied; correct them and send the batch again",
            results.len()
        ),
        results,
    }
}

/// A refusal the hotline can act on; other errors (the database) stay errors.
fn as_body(e: ApiError) -> Result<ErrorBody, ApiError> {
    match e {
        ApiError::Unprocessable { code, zh, en }
        | ApiError::Forbidden { code, zh, en }
        | ApiError::NotFound { code, zh, en }
        | ApiError::Conflict { code, zh, en } => Ok(ErrorBody {
            code: code.into(),
            message: zh,
            message_en: en,
        }),
        other => Err(other),
    }
}

/// The hotline's events, in order. Each is checked first (a malformed one
/// refuses the whole batch, 422, nothing applied); then each is one step of
/// the ticket's state machine by the `hotline` actor, or a line in its
/// audit log. A step the ticket does not allow now is `rejected` with the
/// reason and may be sent again.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "hotline_events",
    post,
    path = "/hotline/events",
    tag = "upstream",
    request_body = app::api::types::HotlineBatch,
    responses((status = 200, description = "成功 / OK", body = app::api::types::HotlineAnswer), crate::openapi::Errors),
    security(("callback_token" = []))
)]
async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<HotlineAnswer>, ApiError> {
    let hotline = authenticated(
        state.settings.hotline.as_ref(),
        &headers,
        "hotline_token",
        "12345 热线接入凭证无效",
        "The hotline's token is not valid",
    )?;
    state.limits.callback("hotline")?;
    let batch: HotlineBatch = json_body(&headers, body, BODY_LIMIT)?;
    batch_size(batch.events.len())?;
    let prefix = crate::upstream::city_code(&state.store).await?;
    let mut checked = Vec::with_capacity(batch.events.len());
    let mut problems = Vec::new();
    for (index, e) in batch.events.iter().enumerate() {
        let step = match e.step(&hotline.profile) {
            Ok(s) => s,
            Err(err) => {
                problems.push(refused(
                    index,
                    err.code(),
                    err.message_zh(),
                    err.message_en(),
                ));
                continue;
            }
        };
        let Some(ticket) = ticket_of_work_order(&prefix, e.work_order.trim()) else {
            let shown = crate::error::truncate(&e.work_order, 64);
            problems.push(refused(
                index,
                "work_order_invalid",
                format!("工单编号“{shown}”不是本市的工单编号（应为 {prefix}-数字）"),
                format!("'{shown}' is not one of this city's work order numbers ({prefix}-N)"),
            ));
            continue;
        };
        checked.push((e, step, ticket));
    }
    if !problems.is_empty() {
        return Err(invalid_batch(
            batch.events.len(),
            problems,
            "事件",
            "events",
        ));
    }
    let actor = Actor {
        staff_id: None,
        role: Role::Hotline,
    };
    let mut results = Vec::with_capacity(checked.len());
    for (e, step, ticket_id) in checked {
        let now = now_ms();
        let result =
            |status: &str, ticket_status: Option<Status>, error: Option<ErrorBody>| HotlineResult {
                id: e.id.clone(),
                status: status.into(),
                ticket_status,
                error,
            };
        let row = state
            .store
            .ticket(ticket_id)
            .await?
            .filter(|r| r.via_hotline);
        let Some(row) = row else {
            results.push(result(
                "rejected",
                None,
                Some(ErrorBody {
                    code: "work_order_unknown".into(),
                    message: format!("没有转交 12345 热线的工单 {}", e.work_order.trim()),
                    message_en: format!(
                        "No work order {} was sent to the hotline",
                        e.work_order.trim()
                    ),
                }),
            ));
            continue;
        };
        let digest: String =
            Sha256::digest(serde_json::to_string(e).unwrap_or_default().as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
        match state
            .store
            .claim_hotline_event(&e.id, ticket_id, &digest, now)
            .await?
        {
            EventClaim::Duplicate => {
                results.push(result("duplicate", Status::parse(&row.status), None));
                continue;
            }
            EventClaim::Conflict => {
                results.push(result(
                    "conflict",
                    Status::parse(&row.status),
                    Some(ErrorBody {
                        code: "event_conflict".into(),
                        message: "此事件编号已用于内容不同的事件，以第一次为准".into(),
                        message_en: "This event id was used with other content; the first stands"
                            .into(),
                    }),
                ));
                continue;
            }
            EventClaim::New => {}
        }
        let applied = match step {
            HotlineStep::Act(action) => {
                // What the hotline wrote, for the rules (a verdict other
                // than valid needs a reason) and the audit log.
                let note = if e.note.trim().is_empty() {
                    String::new()
                } else {
                    e.audit_note()
                };
                rectify::step(&state, &row, &actor, action, &note, now)
                    .await
                    .map(|t| Some(t.status))
            }
            HotlineStep::Record(action) => state
                .store
                .log_event(&NewEvent {
                    ticket_id,
                    actor_id: None,
                    actor_role: Role::Hotline.as_str(),
                    action,
                    from_status: None,
                    to_status: None,
                    note: &e.audit_note(),
                    at: now,
                })
                .await
                .map(|_| Status::parse(&row.status))
                .map_err(ApiError::from),
        };
        match applied {
            Ok(status) => results.push(result("applied", status, None)),
            Err(err) => {
                state.store.release_hotline_event(&e.id).await?;
                results.push(result(
                    "rejected",
                    Status::parse(&row.status),
                    Some(as_body(err)?),
                ));
            }
        }
    }
    Ok(Json(HotlineAnswer { results }))
}

/// The SMS gateway's delivery receipts.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "receipts",
    post,
    path = "/sms/receipts",
    tag = "upstream",
    request_body = app::api::types::SmsReceipts,
    responses((status = 200, description = "成功 / OK", body = app::api::types::SmsReceiptAnswer), crate::openapi::Errors),
    security(("callback_token" = []))
)]
async fn receipts(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SmsReceiptAnswer>, ApiError> {
    authenticated(
        state.settings.sms_gateway.as_ref(),
        &headers,
        "sms_gateway_token",
        "短信网关回执凭证无效",
        "The SMS gateway's token is not valid",
    )?;
    state.limits.callback("sms")?;
    let batch: SmsReceipts = json_body(&headers, body, BODY_LIMIT)?;
    batch_size(batch.receipts.len())?;
    let mut problems = Vec::new();
    for (index, r) in batch.receipts.iter().enumerate() {
        if r.message_id.is_empty() || r.message_id.len() > 128 {
            problems.push(refused(
                index,
                "message_id_invalid",
                "message_id 须为 1 至 128 个字符".into(),
                "message_id must have 1 to 128 characters".into(),
            ));
        } else if !matches!(r.status.as_str(), "delivered" | "failed") {
            problems.push(refused(
                index,
                "receipt_status_invalid",
                "status 应为 delivered 或 failed".into(),
                "status must be delivered or failed".into(),
            ));
        } else if r.error.as_ref().is_some_and(|e| e.chars().count() > 500) {
            problems.push(refused(
                index,
                "receipt_error_too_long",
                "error 不能超过 500 字".into(),
                "error may have at most 500 characters".into(),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(invalid_batch(
            batch.receipts.len(),
            problems,
            "回执",
            "receipts",
        ));
    }
    let now = now_ms();
    let mut results = Vec::with_capacity(batch.receipts.len());
    for r in &batch.receipts {
        let known = state
            .store
            .sms_receipt(
                &r.message_id,
                r.status == "delivered",
                r.error.as_deref(),
                now,
            )
            .await?;
        results.push(if known { "updated" } else { "unknown" }.to_string());
    }
    Ok(Json(SmsReceiptAnswer { results }))
}
