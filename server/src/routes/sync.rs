//! `POST /api/v1/sync`: a device uploads a batch of queued ratings. The
//! protocol is in `docs/api.md`; the reconciliation rules in
//! `app::domain::sync`.

use app::api::types::{ErrorBody, ItemResult, SyncResponse};
use app::domain::case::RealName;
use app::domain::rating::DeviceBinding;
use app::domain::sync::{corrected_time, ItemStatus, MAX_BATCH};
use app::domain::{Channel, RatingRecord};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use uuid::Uuid;

use super::json_body;
use crate::error::ApiError;
use crate::ratings::{self, Prepared};
use crate::startup::{now_ms, AppState};
use crate::store::Rejection;

/// 500 ratings with 500-character comments fit with room to spare.
pub const SYNC_BODY_LIMIT: usize = 2 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/sync", post(sync))
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
        let path = e.path().to_string();
        let inner = e.into_inner();
        rejected(
            index,
            id,
            "invalid_item",
            format!("第 {n} 条评价的字段“{path}”类型或取值不正确：{inner}"),
            format!("Item {n}: field '{path}' has the wrong type or value: {inner}"),
        )
    })?;
    let record_id = record.id;
    let fail = |e: app::domain::RatingError| {
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

#[tracing::instrument(skip_all, err)]
async fn sync(
    State(state): State<AppState>,
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
    let device = ratings::authenticate_device(&state, &batch.device_id, &headers).await?;
    let place_windows = state.store.window_ids_of_place(device.place_id).await?;
    let binding = DeviceBinding {
        device_id: batch.device_id,
        channels: Channel::allowed_for_device_kind(&device.kind),
        place_id: device.place_id,
        window_id: device.window_id,
        place_windows: &place_windows,
    };

    let mut records = Vec::with_capacity(batch.items.len());
    let mut refused = Vec::new();
    let mut rejections = Vec::new();
    // Policy may make a phone number compulsory on the phone and PC channels.
    let real_name_missing = |r: &RatingRecord| {
        device.kind == "web"
            && state.settings.policy.real_name == RealName::Required
            && Channel::WEB.contains(&r.channel)
            && r.evaluator_phone.is_none()
    };
    for (i, raw) in batch.items.iter().enumerate() {
        let checked = match check_item(i, raw, &binding) {
            Ok(record) if real_name_missing(&record) => Err(rejected(
                i,
                Some(record.id),
                "phone_required",
                format!("第 {} 条评价：按规定须填写手机号码", i + 1),
                format!("Item {}: a mobile number is required", i + 1),
            )),
            Ok(record) => match ratings::resolve_case(&state, &record).await? {
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
            .record_rejections(&device.id, &rejections, received_at)
            .await?;
        return Err(ApiError::InvalidItems {
            total: batch.items.len(),
            results: refused,
        });
    }

    let answers = ratings::store(
        &state,
        &records,
        |r| corrected_time(r.device_time, batch.sent_at, received_at),
        None,
        received_at,
    )
    .await?;
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
