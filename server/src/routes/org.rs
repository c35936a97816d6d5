//! Organisation admin (system administrators): regions, departments,
//! places, windows, service items and providers — create, edit,
//! deactivate — and a CSV import of the whole tree with a per-row report.

use app::api::types::{ErrorBody, ImportReport, RowError};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use domain::org::{parent_level_ok, OrgInput, OrgType};
use domain::Role;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::csv_file::{unreadable, CsvFile};
use super::json_body;
use crate::auth::Staff;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{AuditBy, OrgRow, OrgWrite, StaffExtra, StoreError};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import))
        .routes(routes!(list, create))
        .routes(routes!(update))
        .routes(routes!(set_active))
}

fn org_type(s: &str) -> Result<OrgType, ApiError> {
    OrgType::parse(s).ok_or_else(|| ApiError::NotFound {
        code: "org_type_unknown",
        zh: format!("未知的组织类型“{s}”"),
        en: format!("Unknown organisation type '{s}'"),
    })
}

fn err(code: &str, zh: String, en: String) -> ErrorBody {
    ErrorBody {
        code: code.into(),
        message: zh,
        message_en: en,
    }
}

/// Validates and resolves parent and department codes. `Ok(Err(_))` is
/// the user's mistake, to show; `Err(_)` a server failure.
async fn resolve(
    state: &AppState,
    input: OrgInput,
) -> Result<Result<(OrgInput, Option<i64>, Option<i64>), ErrorBody>, ApiError> {
    let input = match input.validate() {
        Ok(i) => i,
        Err(e) => return Ok(Err(err(e.code(), e.message_zh(), e.message_en()))),
    };
    let t = input.org_type;
    let parent_id = match input.parent_code.as_deref() {
        None => None,
        Some(code) => {
            let found = match t.parent() {
                OrgType::Region => match state.store.region_by_code(code).await? {
                    Some((id, level)) => {
                        if let Err(e) = parent_level_ok(t, input.kind.as_deref(), &level) {
                            return Ok(Err(err(e.code(), e.message_zh(), e.message_en())));
                        }
                        Some(id)
                    }
                    None => None,
                },
                OrgType::Place => state.store.place_by_code(code).await?.map(|(id, _)| id),
                OrgType::Department => state.store.department_by_code(code).await?,
                _ => None,
            };
            match found {
                Some(id) => Some(id),
                None => {
                    return Ok(Err(err(
                        "org_parent_unknown",
                        format!("上级{}编码“{code}”不存在", t.parent().label_zh()),
                        format!("No {} has code '{code}'", t.parent().as_str()),
                    )))
                }
            }
        }
    };
    let department_id = match input.department_code.as_deref() {
        None => None,
        Some(code) => match state.store.department_by_code(code).await? {
            Some(id) => Some(id),
            None => {
                return Ok(Err(err(
                    "org_department_unknown",
                    format!("部门编码“{code}”不存在"),
                    format!("No department has code '{code}'"),
                )))
            }
        },
    };
    Ok(Ok((input, parent_id, department_id)))
}

fn duplicate(t: OrgType, code: &str) -> ApiError {
    ApiError::Conflict {
        code: "org_code_taken",
        zh: format!("{}编码“{code}”已存在", t.label_zh()),
        en: format!("A {} with code '{code}' exists already", t.as_str()),
    }
}

/// Creates (`id` None) or edits a unit; the store writes its audit line.
async fn write(
    state: &AppState,
    input: OrgInput,
    id: Option<i64>,
    by: &AuditBy,
) -> Result<i64, ApiError> {
    let (input, parent_id, department_id) = match resolve(state, input).await? {
        Ok(r) => r,
        Err(e) => {
            return Err(ApiError::Unprocessable {
                code: "org_invalid",
                zh: e.message,
                en: e.message_en,
            })
        }
    };
    let w = OrgWrite {
        code: &input.code,
        name: &input.name,
        parent_id,
        kind: input.kind.as_deref(),
        department_id,
    };
    let t = input.org_type;
    match id {
        None => state
            .store
            .org_insert(t, &w, by)
            .await
            .map_err(|e| match e {
                StoreError::Unique { .. } => duplicate(t, &input.code),
                other => other.into(),
            }),
        Some(id) => {
            if state.store.org_update(t, id, &w, by).await? {
                Ok(id)
            } else {
                Err(ApiError::NotFound {
                    code: "org_not_found",
                    zh: "记录不存在".into(),
                    en: "No such record".into(),
                })
            }
        }
    }
}

#[utoipa::path(
    operation_id = "org_list",
    get,
    path = "/admin/org/{type}",
    tag = "org",
    params(("type" = String, Path, description = "district、department、place、window / Unit type")),
    responses((status = 200, description = "成功 / OK", body = Vec<crate::store::OrgRow>), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn list(
    State(state): State<AppState>,
    staff: Staff,
    Path(t): Path<String>,
) -> Result<Json<Vec<OrgRow>>, ApiError> {
    staff.require(&[Role::SystemAdmin, Role::Supervisor])?;
    staff.require_city_wide()?;
    Ok(Json(state.store.org_list(org_type(&t)?).await?))
}

#[utoipa::path(
    operation_id = "create",
    post,
    path = "/admin/org/{type}",
    tag = "org",
    request_body = domain::org::OrgInput,
    params(("type" = String, Path, description = "district、department、place、window / Unit type")),
    responses((status = 200, description = "成功 / OK", body = serde_json::Value), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn create(
    State(state): State<AppState>,
    staff: Staff,
    Path(t): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    staff.require(&[Role::SystemAdmin])?;
    let t = org_type(&t)?;
    let mut input: OrgInput = json_body(&headers, body, 8192)?;
    input.org_type = t;
    let id = write(&state, input, None, &staff.audit_by()).await?;
    Ok(Json(serde_json::json!({ "id": id })))
}

#[utoipa::path(
    operation_id = "update",
    put,
    path = "/admin/org/{type}/{id}",
    tag = "org",
    request_body = domain::org::OrgInput,
    params(("type" = String, Path, description = "district、department、place、window / Unit type"), ("id" = i64, Path, description = "单位 id / Unit id")),
    responses((status = 200, description = "成功 / OK", body = serde_json::Value), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn update(
    State(state): State<AppState>,
    staff: Staff,
    Path((t, id)): Path<(String, i64)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    staff.require(&[Role::SystemAdmin])?;
    let t = org_type(&t)?;
    let mut input: OrgInput = json_body(&headers, body, 8192)?;
    input.org_type = t;
    write(&state, input, Some(id), &staff.audit_by()).await?;
    Ok(Json(serde_json::json!({ "id": id })))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct Active {
    active: bool,
}

/// Deactivating keeps the unit (ratings refer to it); it can be reactivated.
#[utoipa::path(
    operation_id = "set_active",
    post,
    path = "/admin/org/{type}/{id}/active",
    tag = "org",
    request_body = Active,
    params(("type" = String, Path, description = "district、department、place、window / Unit type"), ("id" = i64, Path, description = "单位 id / Unit id")),
    responses((status = 200, description = "成功 / OK", body = serde_json::Value), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn set_active(
    State(state): State<AppState>,
    staff: Staff,
    Path((t, id)): Path<(String, i64)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    staff.require(&[Role::SystemAdmin])?;
    let t = org_type(&t)?;
    let a: Active = json_body(&headers, body, 1024)?;
    if !state
        .store
        .org_set_active(t, id, a.active, &staff.audit_by())
        .await?
    {
        return Err(ApiError::NotFound {
            code: "org_not_found",
            zh: "记录不存在".into(),
            en: "No such record".into(),
        });
    }
    Ok(Json(serde_json::json!({ "id": id, "active": a.active })))
}

/// CSV of the whole tree: `type,code,name,parent_code,kind,department_code`,
/// parents before children. Good rows are kept; bad rows are listed.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "import",
    post,
    path = "/admin/org/import",
    tag = "org",
    request_body(content = crate::openapi::Binary, content_type = "text/csv", description = "组织机构 CSV / The organisation as CSV"),
    responses((status = 200, description = "成功 / OK", body = app::api::types::ImportReport), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn import(
    State(state): State<AppState>,
    staff: Staff,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<ImportReport>, ApiError> {
    staff.require(&[Role::SystemAdmin])?;
    let file = CsvFile::read(
        body,
        8 * 1024 * 1024,
        &[
            "type",
            "code",
            "name",
            "parent_code",
            "kind",
            "department_code",
        ],
        &[],
        2,
    )?;
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
        let code = get("code");
        let Some(t) = OrgType::parse(&get("type")) else {
            report.errors.push(RowError {
                line,
                case_no: code,
                message: format!(
                    "类型“{}”不正确，应为 region/department/place/window/service_item/provider",
                    get("type")
                ),
                message_en: "Unknown type".into(),
            });
            continue;
        };
        let input = OrgInput {
            org_type: t,
            code: code.clone(),
            name: get("name"),
            parent_code: Some(get("parent_code")),
            kind: Some(get("kind")),
            department_code: Some(get("department_code")),
        };
        match write(&state, input, None, &staff.audit_by()).await {
            Ok(_) => report.imported += 1,
            Err(ApiError::Unprocessable { zh, en, .. })
            | Err(ApiError::Conflict { zh, en, .. }) => report.errors.push(RowError {
                line,
                case_no: code,
                message: zh,
                message_en: en,
            }),
            Err(other) => return Err(other),
        }
    }
    Ok(Json(report))
}

/// A staff account as the system admin enters it.
#[derive(serde::Deserialize, utoipa::ToSchema)]
pub struct StaffInput {
    pub username: String,
    pub display_name: String,
    pub role: String,
    #[serde(default)]
    pub place_code: Option<String>,
    #[serde(default)]
    pub window_code: Option<String>,
    #[serde(default)]
    pub department_code: Option<String>,
    /// Required for a new account; blank keeps the current one.
    #[serde(default)]
    pub password: Option<String>,
    /// 工号, shown with the name on the window pad; blank clears it.
    #[serde(default)]
    pub staff_no: Option<String>,
    /// The member's own mobile number and ID number, so that a rating they
    /// give their own unit is flagged (自评); blank clears them.
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub id_no: Option<String>,
}

/// Checks and normalises the phone and ID number of a staff account.
fn staff_identity(s: &StaffInput) -> Result<(Option<String>, Option<String>), ApiError> {
    let phone = blank(&s.phone).map(str::to_string);
    if let Some(p) = &phone {
        if p.len() != 11 || !p.starts_with('1') || !p.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(
                "phone_invalid",
                format!("手机号“{p}”应为 11 位数字"),
                format!("Phone '{p}' must be 11 digits"),
            ));
        }
    }
    let id_no = blank(&s.id_no).map(str::to_ascii_uppercase);
    if let Some(i) = &id_no {
        if !domain::case::valid_id_no(i) {
            return Err(bad(
                "id_no_invalid",
                "身份证号码不正确（18 位，末位校验码）",
                "The ID number is not valid (18 characters with its check character)",
            ));
        }
    }
    Ok((phone, id_no))
}

pub const PASSWORD_MIN_CHARS: usize = 10;

fn bad(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
    ApiError::Unprocessable {
        code,
        zh: zh.into(),
        en: en.into(),
    }
}

fn blank(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Checks a staff account and resolves its place, window and department.
async fn staff_write<'a>(
    state: &AppState,
    s: &'a StaffInput,
    new: bool,
) -> Result<(crate::store::StaffWrite<'a>, Option<String>), ApiError> {
    let name = s.display_name.trim();
    if !(1..=32).contains(&name.chars().count()) {
        return Err(bad(
            "staff_name_invalid",
            "姓名应为 1 至 32 个字",
            "The name must be 1 to 32 characters",
        ));
    }
    let role = match Role::parse(&s.role) {
        Some(r) if r.is_staff() => r,
        _ => {
            return Err(bad(
                "staff_role_invalid",
                "角色应为 window_staff / unit_admin / supervisor / system_admin",
                "Unknown role",
            ))
        }
    };
    let place_id = match blank(&s.place_code) {
        None => None,
        Some(code) => Some(
            state
                .store
                .place_by_code(code)
                .await?
                .ok_or_else(|| {
                    bad(
                        "place_unknown",
                        format!("服务场所编码“{code}”不存在"),
                        format!("No place '{code}'"),
                    )
                })?
                .0,
        ),
    };
    let window_id = match (blank(&s.window_code), place_id) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(bad(
                "window_without_place",
                "填写窗口时须同时填写服务场所",
                "A window needs its place",
            ))
        }
        (Some(w), Some(p)) => Some(
            state
                .store
                .window_by_code(p, w)
                .await?
                .ok_or_else(|| {
                    bad(
                        "window_unknown",
                        format!("该场所没有编码为“{w}”的窗口"),
                        format!("No window '{w}' at the place"),
                    )
                })?
                .0,
        ),
    };
    let department_id = match blank(&s.department_code) {
        None => None,
        Some(code) => Some(state.store.department_by_code(code).await?.ok_or_else(|| {
            bad(
                "org_department_unknown",
                format!("部门编码“{code}”不存在"),
                format!("No department '{code}'"),
            )
        })?),
    };
    if role == Role::WindowStaff && window_id.is_none() {
        return Err(bad(
            "window_required",
            "窗口工作人员必须绑定窗口",
            "Window staff must be bound to a window",
        ));
    }
    if role == Role::UnitAdmin && place_id.is_none() && department_id.is_none() {
        return Err(bad(
            "unit_required",
            "单位管理员必须绑定服务场所或部门",
            "A unit admin needs a place or a department",
        ));
    }
    let hash = match blank(&s.password) {
        None if new => {
            return Err(bad(
                "password_required",
                "新账号必须设置初始密码",
                "A new account needs a password",
            ))
        }
        None => None,
        Some(p) if p.chars().count() < PASSWORD_MIN_CHARS => {
            return Err(bad(
                "password_short",
                format!("密码至少 {PASSWORD_MIN_CHARS} 位"),
                format!("The password needs at least {PASSWORD_MIN_CHARS} characters"),
            ))
        }
        Some(p) => Some(crate::auth::hash_password_limited(state, p.to_string()).await?),
    };
    Ok((
        crate::store::StaffWrite {
            display_name: name,
            role,
            place_id,
            window_id,
            department_id,
            password_hash: None,
        },
        hash,
    ))
}

#[utoipa::path(
    operation_id = "staff_list",
    get,
    path = "/admin/staff",
    tag = "org",
    responses((status = 200, description = "成功 / OK", body = Vec<crate::store::StaffAdminRow>), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn staff_list(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<crate::store::StaffAdminRow>>, ApiError> {
    staff.require(&[Role::SystemAdmin])?;
    Ok(Json(state.store.staff_admin_list().await?))
}

#[utoipa::path(
    operation_id = "staff_create",
    post,
    path = "/admin/staff",
    tag = "org",
    request_body = StaffInput,
    responses((status = 200, description = "成功 / OK", body = serde_json::Value), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn staff_create(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    staff.require(&[Role::SystemAdmin])?;
    let s: StaffInput = json_body(&headers, body, 8192)?;
    let username = s.username.trim().to_string();
    let ok = (2..=32).contains(&username.len())
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.');
    if !ok {
        return Err(bad(
            "username_invalid",
            "用户名为 2 至 32 位字母、数字、“_”“-”或“.”",
            "A username is 2 to 32 letters, digits, '_', '-' or '.'",
        ));
    }
    let (w, hash) = staff_write(&state, &s, true).await?;
    let (phone, id_no) = staff_identity(&s)?;
    let hash = hash.unwrap_or_default();
    let no = staff_no(&s)?;
    let id = state
        .store
        .staff_create(
            &crate::store::NewStaff {
                username: &username,
                display_name: w.display_name,
                role: w.role,
                department_id: w.department_id,
                place_id: w.place_id,
                window_id: w.window_id,
                password_hash: &hash,
            },
            &StaffExtra {
                phone: Some(phone.as_deref()),
                id_no: Some(id_no.as_deref()),
                staff_no: Some(no),
            },
            &staff.audit_by(),
        )
        .await
        .map_err(|e| match e {
            StoreError::Unique { .. } => ApiError::Conflict {
                code: "username_taken",
                zh: format!("用户名“{username}”已被使用"),
                en: format!("Username '{username}' is taken"),
            },
            other => other.into(),
        })?;
    Ok(Json(serde_json::json!({ "id": id })))
}

fn staff_no(s: &StaffInput) -> Result<Option<&str>, ApiError> {
    let no = blank(&s.staff_no);
    if no.is_some_and(|n| n.chars().count() > 32) {
        return Err(bad(
            "staff_no_long",
            "工号至多 32 个字符",
            "A staff number has at most 32 characters",
        ));
    }
    Ok(no)
}

/// The largest staff photo accepted (a passport-size JPEG is ~50 KB).
const PHOTO_MAX_BYTES: usize = 1024 * 1024;

/// `POST /api/v1/admin/staff/{id}/photo`: the body is the image itself
/// (JPEG or PNG, checked by its leading bytes), shown on the window pad.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "staff_photo_upload",
    post,
    path = "/admin/staff/{id}/photo",
    tag = "org",
    request_body(content = crate::openapi::Binary, content_type = "image/jpeg", description = "JPEG 或 PNG 照片 / A JPEG or PNG photo"),
    params(("id" = i64, Path, description = "账号 id / Account id")),
    responses((status = 200, description = "成功 / OK", body = serde_json::Value), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn staff_photo_upload(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    staff.require(&[Role::SystemAdmin])?;
    let body = body.map_err(|_| ApiError::TooLarge {
        limit: PHOTO_MAX_BYTES,
    })?;
    if body.len() > PHOTO_MAX_BYTES {
        return Err(ApiError::TooLarge {
            limit: PHOTO_MAX_BYTES,
        });
    }
    let declared = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let kind = match (declared, body.as_ref()) {
        ("image/jpeg", [0xFF, 0xD8, 0xFF, ..]) => "image/jpeg",
        ("image/png", [0x89, b'P', b'N', b'G', ..]) => "image/png",
        _ => {
            return Err(bad(
                "photo_type",
                "照片应为 JPEG 或 PNG 图片（不超过 1 MB）",
                "The photo must be a JPEG or PNG image (at most 1 MB)",
            ))
        }
    };
    let photo_id = crate::auth::random_token()[..24].to_string();
    if !state
        .store
        .set_staff_photo(id, &photo_id, kind, &body, &staff.audit_by())
        .await?
    {
        return Err(ApiError::NotFound {
            code: "staff_not_found",
            zh: "账号不存在".into(),
            en: "No such account".into(),
        });
    }
    Ok(Json(
        serde_json::json!({ "id": id, "photo_url": format!("/api/v1/photos/{photo_id}") }),
    ))
}

/// `GET /api/v1/photos/{id}`: a clerk's photo, as the window pad shows it
/// (the id is random and changes with every upload).
#[utoipa::path(
    operation_id = "photo",
    get,
    path = "/photos/{id}",
    tag = "org",
    params(("id" = String, Path, description = "照片 id / Photo id")),
    responses((status = 200, description = "照片 / The photo", content_type = "image/jpeg", body = crate::openapi::Binary), crate::openapi::Errors),
    security(())
)]
pub async fn photo(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let (content_type, body) = state
        .store
        .staff_photo(&id)
        .await?
        .ok_or(ApiError::NotFound {
            code: "photo_not_found",
            zh: "照片不存在".into(),
            en: "No such photo".into(),
        })?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (
                axum::http::header::CACHE_CONTROL,
                "public, max-age=86400".to_string(),
            ),
            (
                axum::http::header::X_CONTENT_TYPE_OPTIONS,
                "nosniff".to_string(),
            ),
        ],
        body,
    ))
}

#[utoipa::path(
    operation_id = "staff_update",
    put,
    path = "/admin/staff/{id}",
    tag = "org",
    request_body = StaffInput,
    params(("id" = i64, Path, description = "账号 id / Account id")),
    responses((status = 200, description = "成功 / OK", body = serde_json::Value), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn staff_update(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    staff.require(&[Role::SystemAdmin])?;
    let s: StaffInput = json_body(&headers, body, 8192)?;
    let (mut w, hash) = staff_write(&state, &s, false).await?;
    let (phone, id_no) = staff_identity(&s)?;
    w.password_hash = hash.as_deref();
    let no = staff_no(&s)?;
    // Fields left out of the request are kept (the accounts page does not
    // show a member's phone or ID number); sent blank, they are cleared.
    // A password reset ends every session of the account. One transaction
    // with the audit line.
    let identity_sent = s.phone.is_some() || s.id_no.is_some();
    let extra = StaffExtra {
        phone: identity_sent.then_some(phone.as_deref()),
        id_no: identity_sent.then_some(id_no.as_deref()),
        staff_no: s.staff_no.is_some().then_some(no),
    };
    if !state
        .store
        .staff_update(id, &w, &extra, &staff.audit_by())
        .await?
    {
        return Err(ApiError::NotFound {
            code: "staff_not_found",
            zh: "账号不存在".into(),
            en: "No such account".into(),
        });
    }
    Ok(Json(serde_json::json!({ "id": id })))
}

#[utoipa::path(
    operation_id = "staff_active",
    post,
    path = "/admin/staff/{id}/active",
    tag = "org",
    request_body = Active,
    params(("id" = i64, Path, description = "账号 id / Account id")),
    responses((status = 200, description = "成功 / OK", body = serde_json::Value), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn staff_active(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    staff.require(&[Role::SystemAdmin])?;
    let a: Active = json_body(&headers, body, 1024)?;
    if id == staff.session.staff_id && !a.active {
        return Err(bad(
            "self_deactivate",
            "不能停用自己的账号",
            "You cannot deactivate your own account",
        ));
    }
    if !state
        .store
        .staff_set_active(id, a.active, &staff.audit_by())
        .await?
    {
        return Err(ApiError::NotFound {
            code: "staff_not_found",
            zh: "账号不存在".into(),
            en: "No such account".into(),
        });
    }
    Ok(Json(serde_json::json!({ "id": id, "active": a.active })))
}

pub fn staff_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(staff_list, staff_create))
        .routes(routes!(staff_update))
        .routes(routes!(staff_active))
        .routes(super::limited(
            routes!(staff_photo_upload),
            PHOTO_MAX_BYTES + 1,
        ))
        .routes(routes!(photo))
}
