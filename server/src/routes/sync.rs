//! `POST /api/v1/sync`: a device uploads a batch of queued ratings. The
//! protocol is in `docs/api.md`; the reconciliation rules in
//! `domain::sync`.

use app::api::types::{ErrorBody, ItemResult, SyncResponse};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::Json;
use domain::case::RealName;
use domain::rating::DeviceBinding;
use domain::sync::{corrected_time, lateness, ItemStatus, MAX_BATCH};
use domain::DeviceKind;
use domain::{Channel, RatingRecord};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::json_body;
use crate::error::ApiError;
use crate::limits::ClientAddr;
use crate::ratings::{self, Binder, Prepared};
use crate::state::{now_ms, AppState};
use crate::store::Rejection;

/// 500 ratings with 500-character comments fit with room to spare.
pub const SYNC_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// A phone or PC rates one service at a time: it has no offline queue of
/// hundreds, so a web batch holds a handful.
pub const MAX_WEB_BATCH: usize = 5;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sync))
        .layer(DefaultBodyLimit::max(SYNC_BODY_LIMIT))
}

/// Items stay raw JSON here so that one malformed item is answered on its
/// own, with its position, instead of failing the whole request.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBatch {
    device_id: Uuid,
    sent_at: i64,
    items: Vec<serde_json::Value>,
}

fn rejected(index: usize, id: Option<Uuid>, code: &str, zh: String, en: String) -> ItemResult {
    ItemResult {
        index,
        id,
        status: ItemStatus::Rejected,
        error: Some(ErrorBody {
            code: code.into(),
            message: zh,
            message_en: en,
        }),
        kind: None,
    }
}

/// Parses, validates and checks one item against the sending device.
fn check_item(
    index: usize,
    raw: &serde_json::Value,
    binding: &DeviceBinding<'_>,
) -> Result<RatingRecord, ItemResult> {
    let id = raw
        .get("id")
        .and_then(|v| v.as_str())
        .and_then(|s| Uuid::parse_str(s).ok());
    let n = index + 1;
    let record: RatingRecord = serde_path_to_error::deserialize(raw).map_err(|e| {
        let path = crate::error::truncate(&e.path().to_string(), 100).into_owned();
        let inner = crate::error::truncate(&e.into_inner().to_string(), 200).into_owned();
        rejected(
            index,
            id,
            "invalid_item",
            format!("第 {n} 条评价的字段“{path}”类型或取值不正确：{inner}"),
            format!("Item {n}: field '{path}' has the wrong type or value: {inner}"),
        )
    })?;
    let record_id = record.id;
    let fail = |e: domain::RatingError| {
        rejected(
            index,
            Some(record_id),
            e.code(),
            format!("第 {n} 条评价：{}", e.message_zh()),
            format!("Item {n}: {}", e.message_en()),
        )
    };
    record.check_binding(binding).map_err(fail)?;
    record.validate().map_err(fail)
}

#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "sync",
    post,
    path = "/sync",
    tag = "sync",
    request_body = app::api::types::SyncRequest,
    responses((status = 200, description = "成功 / OK", body = app::api::types::SyncResponse), crate::openapi::Errors),
    security(("device_token" = []), ())
)]
async fn sync(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<SyncResponse>, ApiError> {
    let received_at = now_ms();
    let batch: RawBatch = json_body(&headers, body, SYNC_BODY_LIMIT)?;
    if batch.items.len() > MAX_BATCH {
        return Err(ApiError::Unprocessable {
            code: "batch_too_large",
            zh: format!(
                "每批最多 {MAX_BATCH} 条评价（本批 {} 条）",
                batch.items.len()
            ),
            en: format!(
                "At most {MAX_BATCH} ratings per batch (got {})",
                batch.items.len()
            ),
        });
    }
    // The last contact is written by the ratings writer, with its group's.
    let device = ratings::check_device(&state, &batch.device_id, &headers).await?;
    let touch = ratings::contact_due(&state, &device, received_at);
    let web = device.kind == DeviceKind::Web;
    if web && batch.items.len() > MAX_WEB_BATCH {
        return Err(ApiError::Unprocessable {
            code: "batch_too_large",
            zh: format!(
                "扫码评价每次最多 {MAX_WEB_BATCH} 条（本次 {} 条）",
                batch.items.len()
            ),
            en: format!(
                "At most {MAX_WEB_BATCH} web ratings at once (got {})",
                batch.items.len()
            ),
        });
    }
    // The web endpoint is open to anyone: per address and per window (or
    // place), a citizen's pace is allowed, a flood is not. Registered
    // kiosks and pads are not limited this way.
    if web {
        let mut units: Vec<(Option<i64>, u32)> = vec![];
        for raw in &batch.items {
            let w = raw.get("window_id").and_then(|v| v.as_i64());
            match units.iter_mut().find(|(u, _)| *u == w) {
                Some(e) => e.1 += 1,
                None => units.push((w, 1)),
            }
        }
        let total = batch.items.len() as u32;
        for (i, (window, n)) in units.iter().enumerate() {
            // The address is charged once for the whole batch.
            let addr_n = if i == 0 { total } else { 0 };
            state
                .limits
                .web(addr, device.place_id, *window, addr_n, *n)?;
        }
    }
    // A citizen's link used from a browser signed in as staff is a staff
    // member rating their own service (自评): refused, and said so.
    let staff_browser = web
        && batch
            .items
            .iter()
            .any(|r| r.get("link").is_some_and(|l| !l.is_null()))
        && crate::auth::has_staff_session(&state, &headers).await;
    // The place's windows matter only to a device of no window whose
    // ratings name one (a hall kiosk where the citizen picked a window).
    let names_window = batch
        .items
        .iter()
        .any(|r| r.get("window_id").is_some_and(|w| !w.is_null()));
    let place_windows = if device.window_id.is_none() && names_window {
        state.store.window_ids_of_place(device.place_id).await?
    } else {
        vec![]
    };
    let binding = DeviceBinding {
        device_id: batch.device_id,
        channels: device.kind.channels(),
        place_id: device.place_id,
        window_id: device.window_id,
        place_windows: &place_windows,
    };

    let mut records = Vec::with_capacity(batch.items.len());
    let mut refused = Vec::new();
    let mut rejections = Vec::new();
    // Policy may make a phone number compulsory on the phone and PC channels.
    let real_name_missing = |r: &RatingRecord| {
        device.kind == DeviceKind::Web
            && state.settings.policy.real_name == RealName::Required
            && Channel::WEB.contains(&r.channel)
            && r.evaluator_phone.is_none()
    };
    let binder = Binder::of(&device);
    let parsed: Vec<Result<RatingRecord, ItemResult>> = batch
        .items
        .iter()
        .enumerate()
        .map(|(i, raw)| check_item(i, raw, &binding))
        .collect();
    // The cases named by number, in one query rather than one per rating.
    let numbers = ratings::cases_by_number(
        &state,
        parsed.iter().filter_map(|r| r.as_ref().ok()),
        binder,
    )
    .await?;
    for ((i, raw), checked) in batch.items.iter().enumerate().zip(parsed) {
        let checked = match checked {
            Ok(record) if staff_browser && record.link.is_some() => Err(rejected(
                i,
                Some(record.id),
                "self_evaluation",
                format!("第 {} 条评价：此浏览器已登录工作人员账号，不能用办事人的评价链接评价（疑似自评）；请退出登录后由办事人本人评价", i + 1),
                format!("Item {}: this browser is signed in as staff and cannot use a citizen's rating link (self-evaluation); sign out and let the citizen rate", i + 1),
            )),
            Ok(record) if real_name_missing(&record) => Err(rejected(
                i,
                Some(record.id),
                "phone_required",
                format!("第 {} 条评价：按规定须填写手机号码", i + 1),
                format!("Item {}: a mobile number is required", i + 1),
            )),
            Ok(record) => match ratings::resolve_case_in(&state, &record, binder, &numbers).await? {
                Ok((case_id, link_nonce)) => Ok(Prepared {
                    record,
                    case_id,
                    link_nonce,
                }),
                Err(e) => Err(rejected(
                    i,
                    Some(record.id),
                    &e.code,
                    format!("第 {} 条评价：{}", i + 1, e.message),
                    format!("Item {}: {}", i + 1, e.message_en),
                )),
            },
            Err(result) => Err(result),
        };
        match checked {
            Ok(p) => records.push(p),
            Err(result) => {
                let error = result.error.clone().unwrap_or_else(|| ErrorBody {
                    code: "rejected".into(),
                    message: String::new(),
                    message_en: String::new(),
                });
                rejections.push(Rejection {
                    rating_id: result.id.map(|u| u.to_string()),
                    code: error.code,
                    message: error.message,
                    payload: raw.to_string(),
                });
                refused.push(result);
            }
        }
    }
    if !refused.is_empty() {
        state
            .store
            .touch_devices(touch.as_slice(), received_at)
            .await?;
        state
            .store
            .record_rejections(&device.id, &rejections, received_at)
            .await?;
        return Err(ApiError::InvalidItems {
            total: batch.items.len(),
            results: refused,
        });
    }

    // Web ratings are given online: the server's clock dates them. A
    // kiosk's or pad's clock is corrected by its skew; a time before its
    // enrolment or past the offline window is kept but flagged.
    let client_hash = web.then(|| crate::auth::keyed_hash(&state.hash_key, &addr.to_string()));
    let window_days = state.settings.security.offline_window_days;
    let timing = |r: &RatingRecord| {
        if web {
            (received_at, None)
        } else {
            let t = corrected_time(r.device_time, batch.sent_at, received_at);
            let late =
                lateness(t, received_at, device.enrolled_at, window_days).map(|l| l.detail_zh());
            (t, late)
        }
    };
    let answers =
        ratings::store_with(&state, &records, timing, client_hash, touch, received_at).await?;
    let results = records
        .iter()
        .zip(answers)
        .enumerate()
        .map(|(index, (p, a))| ItemResult {
            index,
            id: Some(p.record.id),
            status: a.status,
            error: None,
            kind: a.kind,
        })
        .collect();
    Ok(Json(SyncResponse {
        server_time: received_at,
        results,
    }))
}
