//! Cases (办件): pushed by business systems (`POST /api/v1/cases`, batch,
//! idempotent by source + case number), imported from CSV by departments on
//! private networks (seed 002), and started by window staff (`staff.rs`).

use app::api::types::{
    CaseIn, CaseResult, CasesRequest, CasesResponse, ErrorBody, ImportReport, LinkRequest,
    LinkResponse, RowError,
};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::HeaderMap;
use axum::Json;
use domain::case::{valid_id_no, valid_mobile};
use domain::rating::CASE_NO_MAX_CHARS;
use domain::Role;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::csv_file::{unreadable, CsvFile};
use super::json_body;
use crate::auth::{self, Staff};
use crate::error::ApiError;
use crate::ratings;
use crate::state::{now_ms, AppState};
use crate::store::{AuditBy, CaseUpsert, CaseVia, UpsertOutcome};

pub const MAX_CASES: usize = 1000;
const CSV_LIMIT: usize = 8 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(push_cases))
        .routes(routes!(import_csv))
        .routes(routes!(case_link))
        .layer(DefaultBodyLimit::max(CSV_LIMIT))
}

fn err(code: &str, zh: impl Into<String>, en: impl Into<String>) -> ErrorBody {
    ErrorBody {
        code: code.into(),
        message: zh.into(),
        message_en: en.into(),
    }
}

fn case_no_ok(s: &str) -> bool {
    let n = s.chars().count();
    (1..=CASE_NO_MAX_CHARS).contains(&n)
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Checks a case and resolves its references. Each problem is one clear
/// message; nothing is stored for a refused case.
/// Where the sender of a case may put it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseScope {
    /// A business system's integration, a system administrator: anywhere.
    Anywhere,
    /// A unit administrator: their own place, or (for a department's
    /// administrator) a window or service item of their department.
    Unit {
        place_id: Option<i64>,
        department_id: Option<i64>,
    },
    /// A window clerk: their own window.
    Window { window_id: i64 },
}

impl CaseScope {
    pub fn of(staff: &Staff) -> CaseScope {
        let s = &staff.session;
        match s.role {
            Role::UnitAdmin => CaseScope::Unit {
                place_id: s.place_id,
                department_id: s.department_id,
            },
            Role::WindowStaff => CaseScope::Window {
                window_id: s.window_id.unwrap_or(-1),
            },
            _ => CaseScope::Anywhere,
        }
    }
}

pub async fn resolve(
    state: &AppState,
    source: &str,
    c: &CaseIn,
    scope: CaseScope,
    now: i64,
) -> Result<Result<CaseUpsert, ErrorBody>, ApiError> {
    let case_no = c.case_no.trim();
    if !case_no_ok(case_no) {
        return Ok(Err(err(
            "case_no_invalid",
            format!("办件编号“{case_no}”格式不正确（1 至 {CASE_NO_MAX_CHARS} 位字母、数字、“-”或“_”）"),
            format!("Case number '{case_no}' must be 1 to {CASE_NO_MAX_CHARS} letters, digits, '-' or '_'"),
        )));
    }
    let finished = match c.status.trim() {
        "finished" | "办结" => true,
        "in_service" | "办理中" => false,
        other => {
            return Ok(Err(err(
                "status_invalid",
                format!("办件状态“{other}”不正确，应为 finished（办结）或 in_service（办理中）"),
                format!("Status '{other}' must be finished or in_service"),
            )))
        }
    };
    let Some((place_id, _)) = state.store.place_by_code(c.place_code.trim()).await? else {
        return Ok(Err(err(
            "place_unknown",
            format!("服务场所编码“{}”不存在", c.place_code.trim()),
            format!("No place has code '{}'", c.place_code.trim()),
        )));
    };
    let window_id = match c
        .window_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(w) => match state.store.window_by_code(place_id, w).await? {
            Some((id, _)) => Some(id),
            None => {
                return Ok(Err(err(
                    "window_unknown",
                    format!("该场所没有编码为“{w}”的窗口"),
                    format!("The place has no window '{w}'"),
                )))
            }
        },
    };
    let service_item_id = match c
        .service_item_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(code) => match state.store.service_item_by_code(code).await? {
            Some(id) => Some(id),
            None => {
                return Ok(Err(err(
                    "service_item_unknown",
                    format!("事项编码“{code}”不存在"),
                    format!("No service item has code '{code}'"),
                )))
            }
        },
    };
    // Another unit's place (or window) is not the sender's to fill: its
    // cases would invite any number by SMS in that unit's name.
    let allowed = match scope {
        CaseScope::Anywhere => true,
        CaseScope::Window { window_id: w } => window_id == Some(w),
        CaseScope::Unit {
            place_id: own,
            department_id: dept,
        } => {
            own == Some(place_id)
                || (dept.is_some()
                    && (match window_id {
                        Some(w) => state.store.window_department(w).await? == dept,
                        None => false,
                    } || match service_item_id {
                        Some(i) => state.store.service_item_department(i).await? == dept,
                        None => false,
                    }))
        }
    };
    if !allowed {
        return Ok(Err(err(
            "case_not_yours",
            format!(
                "场所“{}”不属于您的单位，不能为其录入或导入办件",
                c.place_code.trim()
            ),
            format!(
                "The place '{}' is not your unit's; you cannot enter cases for it",
                c.place_code.trim()
            ),
        )));
    }
    let staff_id = match c
        .staff_username
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(u) => state.store.staff_by_username(u).await?,
    };
    let phone = c
        .applicant_phone
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if phone.is_some_and(|p| !valid_mobile(p)) {
        return Ok(Err(err(
            "phone_invalid",
            "申请人手机号码格式不正确（11 位数字，以 1 开头）",
            "The applicant's mobile number is not valid",
        )));
    }
    let id_no = c
        .applicant_id_no
        .as_deref()
        .map(|s| s.trim().to_ascii_uppercase())
        .filter(|s| !s.is_empty());
    if id_no.as_deref().is_some_and(|p| !valid_id_no(p)) {
        return Ok(Err(err(
            "id_no_invalid",
            "申请人身份证号码不正确",
            "The applicant's ID number is not valid",
        )));
    }
    let applicant_type = match c
        .applicant_type
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(t) => match domain::case::EvaluatorType::parse(t) {
            Some(t) => Some(t.as_str().to_string()),
            None => {
                return Ok(Err(err(
                    "applicant_type_invalid",
                    "申请人类型应为 person（自然人）或 organisation（法人或其他组织）",
                    "The applicant type must be person or organisation",
                )))
            }
        },
    };
    let started_at = c.started_at.unwrap_or(now);
    let finished_at = if finished {
        Some(c.finished_at.unwrap_or(now))
    } else {
        None
    };
    if finished_at.is_some_and(|f| f < started_at) {
        return Ok(Err(err(
            "times_invalid",
            "办结时间早于受理时间",
            "The finish time is before the start time",
        )));
    }
    if finished_at.is_some_and(|f| f > now + 300_000) {
        return Ok(Err(err(
            "times_invalid",
            "办结时间晚于当前时间",
            "The finish time is in the future",
        )));
    }
    Ok(Ok(CaseUpsert {
        source: source.to_string(),
        case_no: case_no.to_string(),
        place_id,
        window_id,
        service_item_id,
        staff_id,
        finished,
        stages: c.stages,
        applicant_phone: phone.map(str::to_string),
        applicant_id_no: id_no,
        applicant_type,
        started_at,
        finished_at,
    }))
}

/// Stores one resolved case (with its audit line when it is created or
/// changes, in the same transaction) and, when it has just finished,
/// invites the applicant by SMS.
pub async fn save(
    state: &AppState,
    c: &CaseUpsert,
    via: CaseVia,
    by: &AuditBy,
) -> Result<(i64, UpsertOutcome), ApiError> {
    let now = by.at;
    let (id, outcome) = state.store.upsert_case_audited(c, via, by).await?;
    let just_finished = c.finished && outcome != UpsertOutcome::Unchanged;
    if just_finished {
        if let Some(case) = state.store.case(id).await? {
            if case.ratings == 0 {
                crate::sms::invite(state, &case, "invitation", now).await?;
            }
        }
    }
    Ok((id, outcome))
}

/// Who may push cases: a business system with its integration token
/// (source = the integration), or a unit or system administrator.
async fn source_of(
    state: &AppState,
    headers: &HeaderMap,
    staff: Option<&Staff>,
) -> Result<String, ApiError> {
    if let Some(token) = auth::bearer(headers) {
        return state
            .store
            .integration_source(&auth::token_hash(token))
            .await?
            .ok_or(ApiError::DeviceUnauthenticated {
                code: "integration_unknown",
                zh: "接入凭证无效".into(),
                en: "The integration token is not valid".into(),
            });
    }
    match staff {
        Some(s) if matches!(s.role(), Role::UnitAdmin | Role::SystemAdmin) => {
            Ok(format!("csv:{}", s.session.username))
        }
        Some(_) => Err(ApiError::Forbidden {
            code: "role",
            zh: "您的角色无权导入办件".into(),
            en: "Your role may not import cases".into(),
        }),
        None => Err(ApiError::Unauthorized),
    }
}

#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "push_cases",
    post,
    path = "/cases",
    tag = "cases",
    request_body = app::api::types::CasesRequest,
    responses((status = 200, description = "成功 / OK", body = app::api::types::CasesResponse), crate::openapi::Errors),
    security(("integration_token" = []), ("staff_session" = []))
)]
async fn push_cases(
    State(state): State<AppState>,
    headers: HeaderMap,
    staff: Option<Staff>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CasesResponse>, ApiError> {
    let source = source_of(&state, &headers, staff.as_ref()).await?;
    let scope = match (&staff, auth::bearer(&headers)) {
        (Some(s), None) => CaseScope::of(s),
        _ => CaseScope::Anywhere,
    };
    let req: CasesRequest = json_body(&headers, body, CSV_LIMIT)?;
    if req.cases.len() > MAX_CASES {
        return Err(ApiError::Unprocessable {
            code: "batch_too_large",
            zh: format!("每批最多 {MAX_CASES} 个办件（本批 {} 个）", req.cases.len()),
            en: format!(
                "At most {MAX_CASES} cases per batch (got {})",
                req.cases.len()
            ),
        });
    }
    let now = now_ms();
    // The audit lines' author: the signed-in administrator, or the
    // business system (its source) with no staff account.
    let by = match (&staff, auth::bearer(&headers)) {
        (Some(s), None) => AuditBy {
            at: now,
            ..s.audit_by()
        },
        _ => AuditBy::system(source.clone(), now),
    };
    let mut results = Vec::with_capacity(req.cases.len());
    for (index, raw) in req.cases.iter().enumerate() {
        let case_no = raw
            .get("case_no")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let parsed: Result<CaseIn, _> = serde_path_to_error::deserialize(raw);
        let outcome = match parsed {
            Err(e) => {
                let path = crate::error::truncate(&e.path().to_string(), 100).into_owned();
                let inner = crate::error::truncate(&e.inner().to_string(), 200).into_owned();
                Err(err(
                    "invalid_case",
                    format!("字段“{path}”类型或取值不正确：{inner}"),
                    format!("Field '{path}' has the wrong type or value: {inner}"),
                ))
            }
            Ok(c) => resolve(&state, &source, &c, scope, now).await?,
        };
        results.push(match outcome {
            Err(e) => CaseResult {
                index,
                case_no,
                status: "rejected".into(),
                case_id: None,
                error: Some(e),
            },
            Ok(c) => {
                let (id, o) = save(&state, &c, CaseVia::Push, &by).await?;
                CaseResult {
                    index,
                    case_no,
                    status: match o {
                        UpsertOutcome::Created => "created",
                        UpsertOutcome::Updated => "updated",
                        UpsertOutcome::Unchanged => "unchanged",
                    }
                    .into(),
                    case_id: Some(id),
                    error: None,
                }
            }
        });
    }
    Ok(Json(CasesResponse { results }))
}

/// Parses `2026-11-20 09:30[:00]` (Beijing time, UTC+8) or epoch ms.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(ms) = s.parse::<i64>() {
        return Some(ms);
    }
    let (date, time) = s.split_once([' ', 'T']).unwrap_or((s, "00:00"));
    let d: Vec<i64> = date
        .split('-')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let t: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let (y, m, day) = (*d.first()?, *d.get(1)?, *d.get(2)?);
    let (h, min, sec) = (
        *t.first()?,
        *t.get(1).unwrap_or(&0),
        *t.get(2).unwrap_or(&0),
    );
    if !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&h)
        || !(0..60).contains(&min)
        || !(0..60).contains(&sec)
    {
        return None;
    }
    // Days from civil (H. Hinnant).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h - 8) * 60 + min) * 60_000 + sec * 1000)
}

/// CSV import: header `case_no,place_code,window_code,service_item_code,
/// status,applicant_phone,started_at,finished_at` (any order, extra columns
/// refused). Good rows are kept; bad rows are listed with line and reason.
/// Large files are sent in slices by the import page, which shows progress.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "import_csv",
    post,
    path = "/cases/import",
    tag = "cases",
    request_body(content = crate::openapi::Binary, content_type = "text/csv", description = "办件 CSV（UTF-8）/ Cases as CSV"),
    responses((status = 200, description = "成功 / OK", body = app::api::types::ImportReport), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn import_csv(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportReport>, ApiError> {
    let source = source_of(&state, &HeaderMap::new(), Some(&staff)).await?;
    let scope = CaseScope::of(&staff);
    // Slices of a large file keep their line numbers: the page says where
    // the slice starts.
    let first_line: usize = headers
        .get("x-first-line")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let file = CsvFile::read(
        body,
        CSV_LIMIT,
        &[
            "case_no",
            "place_code",
            "window_code",
            "service_item_code",
            "status",
            "applicant_phone",
            "started_at",
            "finished_at",
        ],
        &["case_no", "place_code", "status"],
        first_line,
    )?;
    let now = now_ms();
    let by = AuditBy {
        at: now,
        ..staff.audit_by()
    };
    let mut report = ImportReport {
        rows: 0,
        imported: 0,
        errors: vec![],
    };
    for (line, rec) in &file.rows {
        let line = *line;
        report.rows += 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                report.errors.push(unreadable(line, e));
                continue;
            }
        };
        let get = |name: &str| file.get(rec, name);
        let opt = |name: &str| Some(get(name)).filter(|s| !s.is_empty());
        let case_no = get("case_no");
        let mut bad_time = None;
        let mut time = |name: &str, label: &str| match opt(name) {
            None => None,
            Some(v) => match parse_time(&v) {
                Some(t) => Some(t),
                None => {
                    bad_time = Some(format!("{label}“{v}”格式不正确，应为 2026-11-20 09:30"));
                    None
                }
            },
        };
        let started_at = time("started_at", "受理时间");
        let finished_at = time("finished_at", "办结时间");
        if let Some(m) = bad_time {
            report.errors.push(RowError {
                line,
                case_no,
                message: m,
                message_en: "A time is not in the form 2026-11-20 09:30".into(),
            });
            continue;
        }
        let c = CaseIn {
            case_no: case_no.clone(),
            place_code: get("place_code"),
            window_code: opt("window_code"),
            service_item_code: opt("service_item_code"),
            staff_username: None,
            status: get("status"),
            stages: false,
            applicant_phone: opt("applicant_phone"),
            applicant_id_no: None,
            applicant_type: opt("applicant_type"),
            started_at,
            finished_at,
        };
        match resolve(&state, &source, &c, scope, now).await? {
            Ok(u) => {
                save(&state, &u, CaseVia::Import, &by).await?;
                report.imported += 1;
            }
            Err(e) => report.errors.push(RowError {
                line,
                case_no,
                message: e.message,
                message_en: e.message_en,
            }),
        }
    }
    Ok(Json(report))
}

/// A signed single-use link to rate a case: for the staff tablet's per-case
/// QR code, or for a business system to show on its own pages (PC).
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "case_link",
    post,
    path = "/cases/{id}/links",
    tag = "cases",
    request_body = app::api::types::LinkRequest,
    params(("id" = i64, Path, description = "办件 id / Case id")),
    responses((status = 200, description = "成功 / OK", body = app::api::types::LinkResponse), crate::openapi::Errors),
    security(("integration_token" = []), ("staff_session" = []))
)]
async fn case_link(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    staff: Option<Staff>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<LinkResponse>, ApiError> {
    let req: LinkRequest = json_body(&headers, body, 4096)?;
    let case = state.store.case(id).await?.ok_or(ApiError::NotFound {
        code: "case_not_found",
        zh: "办件不存在".into(),
        en: "No such case".into(),
    })?;
    match (auth::bearer(&headers), &staff) {
        (Some(_), _) => {
            let source = source_of(&state, &headers, None).await?;
            if source != case.source {
                return Err(ApiError::Forbidden {
                    code: "case_source",
                    zh: "只能为本系统推送的办件生成链接".into(),
                    en: "Only for cases this integration pushed".into(),
                });
            }
        }
        (None, Some(s)) => {
            let mine = s
                .session
                .window_id
                .is_some_and(|w| case.window_id == Some(w))
                || matches!(s.role(), Role::SystemAdmin | Role::Supervisor)
                || (s.role().is_unit_admin() && s.session.place_id == Some(case.place_id));
            if !mine {
                return Err(ApiError::Forbidden {
                    code: "scope",
                    zh: "此办件不在您的管理范围内".into(),
                    en: "This case is outside your scope".into(),
                });
            }
        }
        (None, None) => return Err(ApiError::Unauthorized),
    }
    if !req.channel.needs_link() {
        return Err(ApiError::Unprocessable {
            code: "channel_invalid",
            zh: "只有办件二维码、短信和电脑端评价使用链接".into(),
            en: "Only the case QR, SMS and PC channels use links".into(),
        });
    }
    let token = ratings::make_link(&state, case.id, req.channel, req.stage, now_ms())
        .await?
        .token;
    Ok(Json(LinkResponse {
        path: ratings::link_path(&token),
        token,
    }))
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn beijing_times_and_epoch_millis_parse() {
        // 2026-01-01 08:00 in Beijing is midnight UTC.
        assert_eq!(parse_time("2026-01-01 08:00"), Some(1_767_225_600_000));
        assert_eq!(parse_time("2026-01-01T08:00:30"), Some(1_767_225_630_000));
        assert_eq!(parse_time("1767225600000"), Some(1_767_225_600_000));
        assert_eq!(parse_time("2026-13-01 08:00"), None);
        assert_eq!(parse_time("昨天"), None);
        assert_eq!(parse_time(""), None);
    }
}
