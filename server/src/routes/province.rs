//! The provincial platform's feed of bad ratings not linked to a case
//! (static QR codes, 000 二): `POST /api/v1/province/bad-ratings` with the
//! province's token. Each record becomes a rating of its place (channel
//! 静态二维码) under an id made from the platform's id, so a record sent
//! twice is stored once; its ticket opens like any bad rating's, and its
//! steps go back upstream (the rating itself does not).

use app::api::types::{ErrorBody, InboundAnswer, InboundBatch, InboundResult, ItemResult};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use domain::sync::ItemStatus;
use domain::{Channel, RatingRecord, DEFAULT_DIMENSION_SET};

use super::json_body;
use crate::auth;
use crate::error::ApiError;
use crate::ratings::{self, Prepared};
use crate::state::{now_ms, AppState};

/// Records per request.
const MAX_RECORDS: usize = 500;
/// Bytes per request.
const BODY_LIMIT: usize = 1 << 20;

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/province/bad-ratings",
        post(bad_ratings).layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT)),
    )
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

#[tracing::instrument(skip_all)]
async fn bad_ratings(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<InboundAnswer>, ApiError> {
    let province = state.settings.province.as_ref();
    let expected = province.and_then(|p| p.inbound_token.as_deref());
    let sent = auth::bearer(&headers);
    let ok = matches!((expected, sent), (Some(e), Some(s)) if auth::constant_time_eq(e.as_bytes(), s.as_bytes()));
    if !ok {
        return Err(ApiError::DeviceUnauthenticated {
            code: "province_token",
            zh: "省平台接入凭证无效".into(),
            en: "The province's token is not valid".into(),
        });
    }
    let profile = province
        .map(|p| p.profile)
        .unwrap_or(domain::upstream::Profile::NATIONAL);
    let batch: InboundBatch = json_body(&headers, body, BODY_LIMIT)?;
    if batch.records.is_empty() || batch.records.len() > MAX_RECORDS {
        return Err(ApiError::Unprocessable {
            code: "batch_size",
            zh: format!(
                "每批 1 至 {MAX_RECORDS} 条（本批 {} 条）",
                batch.records.len()
            ),
            en: format!(
                "1 to {MAX_RECORDS} records per batch (this one has {})",
                batch.records.len()
            ),
        });
    }
    let now = now_ms();
    let mut prepared = Vec::with_capacity(batch.records.len());
    let mut problems = Vec::new();
    for (index, r) in batch.records.iter().enumerate() {
        let (level, rated_at) = match r.check(&profile, now) {
            Ok(x) => x,
            Err(e) => {
                problems.push(refused(index, e.code(), e.message_zh(), e.message_en()));
                continue;
            }
        };
        let Some((place_id, _)) = state.store.place_by_code(r.place_code.trim()).await? else {
            problems.push(refused(
                index,
                "place_unknown",
                format!(
                    "没有编码为“{}”的服务场所",
                    crate::error::truncate(&r.place_code, 64)
                ),
                format!(
                    "No place with code '{}'",
                    crate::error::truncate(&r.place_code, 64)
                ),
            ));
            continue;
        };
        let window_id = match r
            .window_code
            .as_deref()
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            None => None,
            Some(w) => match state.store.window_by_code(place_id, w).await? {
                Some((id, _)) => Some(id),
                None => {
                    problems.push(refused(
                        index,
                        "window_unknown",
                        format!("该场所没有编码为“{}”的窗口", crate::error::truncate(w, 64)),
                        format!(
                            "The place has no window '{}'",
                            crate::error::truncate(w, 64)
                        ),
                    ));
                    continue;
                }
            },
        };
        let device_id = state
            .store
            .web_device(place_id, state.settings.policy.web_dimension_set.code, now)
            .await?;
        let record = RatingRecord {
            id: r.rating_id(rated_at),
            device_id,
            seq: 1,
            device_time: rated_at,
            channel: Channel::QrStatic,
            case_no: None,
            place_id,
            window_id,
            level,
            dimension_set: DEFAULT_DIMENSION_SET.code.into(),
            items: vec![],
            reasons: vec![],
            comment: r.comment.trim().to_string(),
            stage: None,
            link: None,
            evaluator_phone: r.evaluator_phone.clone().filter(|p| !p.trim().is_empty()),
            evaluator_id_no: None,
            evaluator_type: None,
        };
        match record.validate() {
            Ok(record) => prepared.push(Prepared {
                record,
                case_id: None,
                link_nonce: None,
            }),
            Err(e) => problems.push(refused(index, e.code(), e.message_zh(), e.message_en())),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::InvalidItems {
            total: batch.records.len(),
            results: problems,
        });
    }
    // The platform's ids first: ingest then knows not to queue these
    // ratings back upstream.
    let ids: Vec<(String, String)> = batch
        .records
        .iter()
        .zip(&prepared)
        .map(|(r, p)| (r.upstream_id.clone(), p.record.id.to_string()))
        .collect();
    state.store.record_inbound("province", &ids, now).await?;
    let stored = ratings::store(&state, &prepared, |r| r.device_time, None, now).await?;
    let results = batch
        .records
        .iter()
        .zip(&prepared)
        .zip(stored)
        .map(|((r, p), s)| InboundResult {
            upstream_id: r.upstream_id.clone(),
            rating_id: p.record.id,
            status: s.status,
        })
        .collect();
    Ok(Json(InboundAnswer { results }))
}
