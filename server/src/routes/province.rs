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
use axum::Json;
use domain::sync::ItemStatus;
use domain::upstream::InboundBadRating;
use domain::{Channel, RatingRecord, DEFAULT_DIMENSION_SET};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::json_body;
use crate::auth;
use crate::error::ApiError;
use crate::ratings::{self, Prepared};
use crate::state::{now_ms, AppState};

/// Records per request.
const MAX_RECORDS: usize = 500;
/// Bytes per request.
const BODY_LIMIT: usize = 1 << 20;
/// Bytes per uploaded file (about 20,000 rows).
const FILE_LIMIT: usize = 8 << 20;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(super::limited(routes!(bad_ratings), BODY_LIMIT))
        .routes(super::limited(routes!(import_file), FILE_LIMIT))
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
#[utoipa::path(
    operation_id = "bad_ratings",
    post,
    path = "/province/bad-ratings",
    tag = "upstream",
    request_body = app::api::types::InboundBatch,
    responses((status = 200, description = "成功 / OK", body = app::api::types::InboundAnswer), crate::openapi::Errors),
    security(("callback_token" = []))
)]
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
    state.limits.callback("province")?;
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
        match prepare(&state, &profile, r, now).await? {
            Ok(p) => prepared.push(p),
            Err((code, zh, en)) => problems.push(refused(index, code, zh, en)),
        }
    }
    if !problems.is_empty() {
        return Err(ApiError::InvalidItems {
            total: batch.records.len(),
            results: problems,
        });
    }
    let records: Vec<&InboundBadRating> = batch.records.iter().collect();
    let statuses = keep(&state, &records, &prepared, now).await?;
    let results = batch
        .records
        .iter()
        .zip(&prepared)
        .zip(statuses)
        .map(|((r, p), status)| InboundResult {
            upstream_id: r.upstream_id.clone(),
            rating_id: p.record.id,
            status,
        })
        .collect();
    Ok(Json(InboundAnswer { results }))
}

/// Why one forwarded record is refused: code, Chinese, English.
type Refusal = (&'static str, String, String);

/// One forwarded record as a rating ready to store, or why not.
async fn prepare(
    state: &AppState,
    profile: &domain::upstream::Profile,
    r: &InboundBadRating,
    now: i64,
) -> Result<Result<Prepared, Refusal>, ApiError> {
    let (level, rated_at) = match r.check(profile, now) {
        Ok(x) => x,
        Err(e) => return Ok(Err((e.code(), e.message_zh(), e.message_en()))),
    };
    let Some((place_id, _)) = state.store.place_by_code(r.place_code.trim()).await? else {
        let shown = crate::error::truncate(&r.place_code, 64);
        return Ok(Err((
            "place_unknown",
            format!("没有编码为“{shown}”的服务场所"),
            format!("No place with code '{shown}'"),
        )));
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
                let shown = crate::error::truncate(w, 64);
                return Ok(Err((
                    "window_unknown",
                    format!("该场所没有编码为“{shown}”的窗口"),
                    format!("The place has no window '{shown}'"),
                )));
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
    Ok(match record.validate() {
        Ok(record) => Ok(Prepared {
            record,
            case_id: None,
            link_nonce: None,
        }),
        Err(e) => Err((e.code(), e.message_zh(), e.message_en())),
    })
}

/// Stores prepared forwarded ratings (the platform's ids first: ingest
/// then knows not to queue them back upstream); each one's status.
async fn keep(
    state: &AppState,
    records: &[&InboundBadRating],
    prepared: &[Prepared],
    now: i64,
) -> Result<Vec<ItemStatus>, ApiError> {
    let ids: Vec<(String, String)> = records
        .iter()
        .zip(prepared)
        .map(|(r, p)| (r.upstream_id.clone(), p.record.id.to_string()))
        .collect();
    state.store.record_inbound("province", &ids, now).await?;
    let stored = ratings::store(state, prepared, |r| r.device_time, None, now).await?;
    Ok(stored.into_iter().map(|s| s.status).collect())
}

/// The columns of the province's monthly file.
const FILE_COLUMNS: [&str; 7] = [
    "upstream_id",
    "place_code",
    "window_code",
    "satisfaction_code",
    "rated_at",
    "comment",
    "evaluator_phone",
];

/// The province's monthly file of bad ratings (CSV, the feed's fields as
/// columns), uploaded by a city-wide system admin on 上报省平台 when the
/// province sends a file instead of calling the feed. Good rows are kept
/// (once: a file imported twice adds nothing), bad rows are listed with
/// their line and reason.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "import_file",
    post,
    path = "/admin/province/import",
    tag = "upstream",
    request_body(content = crate::openapi::Binary, content_type = "text/csv", description = "省平台差评 CSV / The province's monthly file"),
    responses((status = 200, description = "成功 / OK", body = app::api::types::ImportReport), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn import_file(
    State(state): State<AppState>,
    staff: crate::auth::Staff,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<app::api::types::ImportReport>, ApiError> {
    staff.require(&[domain::Role::SystemAdmin])?;
    staff.require_city_wide()?;
    let file = super::csv_file::CsvFile::read(
        body,
        FILE_LIMIT,
        &FILE_COLUMNS,
        &["upstream_id", "place_code", "satisfaction_code", "rated_at"],
        2,
    )?;
    let profile = state
        .settings
        .province
        .as_ref()
        .map(|p| p.profile)
        .unwrap_or(domain::upstream::Profile::NATIONAL);
    let now = now_ms();
    let mut report = app::api::types::ImportReport {
        rows: 0,
        imported: 0,
        errors: vec![],
    };
    let mut good: Vec<InboundBadRating> = Vec::new();
    let mut ready: Vec<Prepared> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (line, rec) in &file.rows {
        report.rows += 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                report.errors.push(super::csv_file::unreadable(*line, e));
                continue;
            }
        };
        let get = |c: &str| file.get(rec, c);
        let opt = |c: &str| Some(get(c)).filter(|s| !s.is_empty());
        let row_error = |zh: String, en: String| app::api::types::RowError {
            line: *line,
            case_no: get("upstream_id"),
            message: zh,
            message_en: en,
        };
        let Ok(code) = get("satisfaction_code").parse::<u8>() else {
            report.errors.push(row_error(
                format!(
                    "满意度代码“{}”不是 1 至 5 的数字",
                    crate::error::truncate(&get("satisfaction_code"), 16)
                ),
                "The satisfaction code is not a number from 1 to 5".into(),
            ));
            continue;
        };
        let r = InboundBadRating {
            upstream_id: get("upstream_id"),
            place_code: get("place_code"),
            window_code: opt("window_code"),
            satisfaction_code: code,
            rated_at: get("rated_at"),
            comment: get("comment"),
            evaluator_phone: opt("evaluator_phone"),
        };
        if !seen.insert(r.upstream_id.clone()) {
            report.errors.push(row_error(
                format!(
                    "upstream_id“{}”在文件中重复出现",
                    crate::error::truncate(&r.upstream_id, 64)
                ),
                "This upstream_id appears twice in the file".into(),
            ));
            continue;
        }
        match prepare(&state, &profile, &r, now).await? {
            Ok(p) => {
                good.push(r);
                ready.push(p);
            }
            Err((_, zh, en)) => report.errors.push(row_error(zh, en)),
        }
    }
    for (records, prepared) in good.chunks(500).zip(ready.chunks(500)) {
        let records: Vec<&InboundBadRating> = records.iter().collect();
        let statuses = keep(&state, &records, prepared, now).await?;
        report.imported += statuses
            .iter()
            .filter(|s| **s == ItemStatus::Accepted)
            .count();
    }
    tracing::info!(
        rows = report.rows,
        imported = report.imported,
        errors = report.errors.len(),
        by = staff.session.staff_id,
        "province file imported"
    );
    Ok(Json(report))
}
