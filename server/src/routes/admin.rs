//! Administration: devices (register, enrolment codes, revoke), the SMS
//! outbox, the jobs, and the poster list (展示牌).

use app::api::types::{
    AuditEntry, DeadLetterView, DestinationStatus, DeviceView, EnrolmentCode, JobsReport,
    OutboxMessage, RegisterDevice, RequeueRequest, RequeueResult, UpstreamStatus, AUDIT_ENTITIES,
};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::Json;
use domain::DEFAULT_DIMENSION_SET;
use domain::{DeviceKind, Role};
use rand::Rng;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::json_body;
use crate::auth::{self, Staff};
use crate::error::ApiError;
use crate::state::{now_ms, AppState};
use crate::store::NewDevice;

/// Enrolment codes last a day.
const ENROL_VALID_MS: i64 = 24 * 3_600_000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_devices, register_device))
        .routes(routes!(new_enrolment))
        .routes(routes!(revoke))
        .routes(routes!(set_voice))
        .routes(routes!(outbox))
        .routes(routes!(reveal_outbox))
        .routes(routes!(run_jobs))
        .routes(routes!(upstream))
        .routes(routes!(requeue_upstream))
        .routes(routes!(retry_upstream))
        .routes(routes!(posters))
        .routes(routes!(audit))
}

/// A unit admin manages their own place's devices; a system admin all.
fn place_scope(staff: &Staff) -> Result<Option<i64>, ApiError> {
    staff.require_can(Role::manages_devices)?;
    Ok(if staff.role() == Role::SystemAdmin {
        None
    } else {
        staff.session.place_id.or(Some(-1))
    })
}

#[utoipa::path(
    operation_id = "list_devices",
    get,
    path = "/admin/devices",
    tag = "admin",
    responses((status = 200, description = "成功 / OK", body = Vec<app::api::types::DeviceView>), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn list_devices(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<DeviceView>>, ApiError> {
    let scope = place_scope(&staff)?;
    let rows = state.store.devices_admin(scope).await?;
    Ok(Json(
        rows.into_iter()
            .map(|d| DeviceView {
                state: if d.revoked_at.is_some() {
                    "revoked"
                } else if d.enrolled_at.is_some() {
                    "enrolled"
                } else {
                    "waiting"
                }
                .into(),
                code: d.code,
                kind: d.kind,
                place_name: d.place_name,
                window_name: d.window_name,
                enrolled_at: d.enrolled_at,
                last_seen_at: d.last_seen_at,
                voice: d.voice,
            })
            .collect(),
    ))
}

/// A fresh one-time code: (the code, its keyed hash, when it expires).
async fn fresh_enrol_code(state: &AppState) -> Result<(String, String, i64), ApiError> {
    let enrol_code = format!("{:08}", rand::rngs::OsRng.gen_range(0..100_000_000u32));
    let hash = auth::enrol_code_hash(&state.store, &enrol_code).await?;
    Ok((enrol_code, hash, now_ms() + ENROL_VALID_MS))
}

fn enrolment(
    device_code: &str,
    kind: DeviceKind,
    enrol_code: String,
    expires_at: i64,
) -> EnrolmentCode {
    let page = kind.page();
    EnrolmentCode {
        device_code: device_code.into(),
        enrol_code,
        expires_at,
        path: format!("/{page}/{device_code}"),
    }
}

fn device_not_found(device_code: &str) -> ApiError {
    ApiError::NotFound {
        code: "device_not_found",
        zh: format!("设备“{device_code}”未登记"),
        en: format!("Device '{device_code}' is not registered"),
    }
}

/// The device's kind, when it is one the staff member manages.
async fn check_device_scope(
    state: &AppState,
    staff: &Staff,
    code: &str,
) -> Result<DeviceKind, ApiError> {
    let scope = place_scope(staff)?;
    let device = state
        .store
        .device_by_code(code)
        .await?
        .filter(|d| d.kind.is_terminal());
    match device {
        Some(d) if scope.is_none() || scope == Some(d.place_id) => Ok(d.kind),
        _ => Err(ApiError::NotFound {
            code: "device_not_found",
            zh: format!("您管理的场所中没有设备“{code}”"),
            en: format!("No device '{code}' at your places"),
        }),
    }
}

#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "register_device",
    post,
    path = "/admin/devices",
    tag = "admin",
    request_body = app::api::types::RegisterDevice,
    responses((status = 200, description = "成功 / OK", body = app::api::types::EnrolmentCode), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn register_device(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EnrolmentCode>, ApiError> {
    let scope = place_scope(&staff)?;
    let req: RegisterDevice = json_body(&headers, body, 4096)?;
    let code = req.code.trim();
    let code_ok = (3..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !code_ok {
        return Err(ApiError::Unprocessable {
            code: "device_code_invalid",
            zh: "设备编号为 3 至 32 位字母、数字、“-”或“_”".into(),
            en: "A device code is 3 to 32 letters, digits, '-' or '_'".into(),
        });
    }
    let (place_id, _) = state
        .store
        .place_by_code(req.place_code.trim())
        .await?
        .ok_or_else(|| ApiError::Unprocessable {
            code: "place_unknown",
            zh: format!("服务场所编码“{}”不存在", req.place_code.trim()),
            en: format!("No place has code '{}'", req.place_code.trim()),
        })?;
    if scope.is_some_and(|p| p != place_id) {
        return Err(ApiError::Forbidden {
            code: "scope",
            zh: "只能为本单位的场所登记设备".into(),
            en: "Only for your own place".into(),
        });
    }
    let (kind, window_id) = match (
        DeviceKind::parse(&req.kind),
        req.window_code
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty()),
    ) {
        (Some(DeviceKind::Kiosk), None) => (DeviceKind::Kiosk, None),
        (Some(DeviceKind::Kiosk), Some(_)) => {
            return Err(ApiError::Unprocessable {
                code: "kiosk_window",
                zh: "自助终端绑定场所，不绑定窗口".into(),
                en: "A kiosk is bound to a place, not a window".into(),
            })
        }
        (Some(DeviceKind::WindowPad), Some(w)) => (
            DeviceKind::WindowPad,
            Some(
                state
                    .store
                    .window_by_code(place_id, w)
                    .await?
                    .ok_or_else(|| ApiError::Unprocessable {
                        code: "window_unknown",
                        zh: format!("该场所没有编码为“{w}”的窗口"),
                        en: format!("The place has no window '{w}'"),
                    })?
                    .0,
            ),
        ),
        (Some(DeviceKind::WindowPad), None) => {
            return Err(ApiError::Unprocessable {
                code: "pad_window",
                zh: "窗口评价器必须绑定一个窗口".into(),
                en: "A window pad must be bound to a window".into(),
            })
        }
        (Some(DeviceKind::Web) | None, _) => {
            return Err(ApiError::Unprocessable {
                code: "device_kind",
                zh: "设备类型应为 kiosk（自助终端）或 window_pad（窗口评价器）".into(),
                en: "Kind must be kiosk or window_pad".into(),
            })
        }
    };
    let set = match req
        .dimension_set
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => DEFAULT_DIMENSION_SET,
        Some(code) => domain::DimensionSet::find(code).ok_or_else(|| ApiError::Unprocessable {
            code: "dimension_set_unknown",
            zh: format!("没有编码为“{code}”的分项评价指标"),
            en: format!("There is no dimension set '{code}'"),
        })?,
    };
    let (enrol_code, hash, expires_at) = fresh_enrol_code(&state).await?;
    state
        .store
        .register_device(
            &NewDevice {
                id: &Uuid::now_v7(),
                code,
                kind,
                place_id,
                window_id,
                dimension_set: set.code,
            },
            &hash,
            expires_at,
            &staff.audit_by(),
        )
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Unique { .. } => ApiError::Conflict {
                code: "device_exists",
                zh: format!("设备编号“{code}”已被使用"),
                en: format!("Device code '{code}' is taken"),
            },
            other => other.into(),
        })?;
    Ok(Json(enrolment(code, kind, enrol_code, expires_at)))
}

/// A new one-time code: to set up a replaced terminal or re-enrol a
/// revoked one. The old token stops working once the code is used.
#[utoipa::path(
    operation_id = "new_enrolment",
    post,
    path = "/admin/devices/{code}/enrolment",
    tag = "admin",
    params(("code" = String, Path, description = "终端编号 / Device code")),
    responses((status = 200, description = "成功 / OK", body = app::api::types::EnrolmentCode), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn new_enrolment(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
) -> Result<Json<EnrolmentCode>, ApiError> {
    let kind = check_device_scope(&state, &staff, &code).await?;
    let (enrol_code, hash, expires_at) = fresh_enrol_code(&state).await?;
    if !state
        .store
        .issue_enrol_code(&code, &hash, expires_at, &staff.audit_by())
        .await?
    {
        return Err(device_not_found(&code));
    }
    Ok(Json(enrolment(&code, kind, enrol_code, expires_at)))
}

#[utoipa::path(
    operation_id = "revoke",
    post,
    path = "/admin/devices/{code}/revoke",
    tag = "admin",
    params(("code" = String, Path, description = "终端编号 / Device code")),
    responses((status = 200, description = "成功 / OK", body = serde_json::Value), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn revoke(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    check_device_scope(&state, &staff, &code).await?;
    state.store.revoke_device(&code, &staff.audit_by()).await?;
    Ok(Json(serde_json::json!({ "revoked": code })))
}

/// The default SMS gateway's outbox, for system admins and supervisors to
/// see what went out: numbers masked (138****1234) and links cut, so that
/// nobody rates a citizen's case from here or learns who was invited. The
/// whole number is a logged reveal (`POST /admin/outbox/{id}/reveal`).
#[utoipa::path(
    operation_id = "outbox",
    get,
    path = "/admin/outbox",
    tag = "admin",
    responses((status = 200, description = "成功 / OK", body = Vec<app::api::types::OutboxMessage>), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn outbox(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<OutboxMessage>>, ApiError> {
    staff.require(&[Role::SystemAdmin, Role::Supervisor])?;
    staff.require_city_wide()?;
    let rows = state.store.outbox(500).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| OutboxMessage {
                id: r.id,
                case_id: r.case_id,
                phone: domain::case::mask_phone(&r.phone),
                body: cut_links(&r.body),
                purpose: r.purpose,
                created_at: r.created_at,
                delivery: r.delivery,
                delivery_at: r.delivery_at,
                provider_id: r.provider_id,
            })
            .collect(),
    ))
}

/// The upstream deliveries: per destination, what waits (and since
/// when), what went today, the dead letters with their last error. City-wide
/// system admins and supervisors read it; only system admins act on it.
#[utoipa::path(
    operation_id = "upstream",
    get,
    path = "/admin/upstream",
    tag = "upstream",
    responses((status = 200, description = "成功 / OK", body = app::api::types::UpstreamStatus), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn upstream(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<UpstreamStatus>, ApiError> {
    staff.require(&[Role::SystemAdmin, Role::Supervisor])?;
    staff.require_city_wide()?;
    let now = now_ms();
    let today = domain::calendar::Date::of_instant(now).start_ms();
    let mut destinations = Vec::new();
    for d in state.store.outbox_stats(today).await? {
        let configured = match d.name.as_str() {
            "province" => state.settings.province.as_ref(),
            "hotline" => state.settings.hotline.as_ref(),
            "sms" => state.settings.sms_gateway.as_ref(),
            _ => None,
        };
        let dead_letters = state
            .store
            .outbox_dead(&d.name, 50)
            .await?
            .into_iter()
            .map(|l| DeadLetterView {
                id: l.id,
                kind: l.kind,
                ref_id: l.ref_id,
                attempts: l.attempts,
                last_error: l.last_error,
                created_at: l.created_at,
            })
            .collect();
        let (label_zh, label_en) = match d.name.as_str() {
            "province" => ("省好差评平台", "Provincial platform"),
            "hotline" => ("12345 热线", "12345 hotline"),
            "sms" => ("短信网关", "SMS gateway"),
            other => (other, other),
        };
        destinations.push(DestinationStatus {
            label_zh: label_zh.into(),
            label_en: label_en.into(),
            configured: configured.is_some(),
            paused: configured.is_some_and(|c| c.paused),
            url: configured.map(|c| crate::config::redact(&c.url)),
            enabled: d.enabled,
            pending: d.pending,
            oldest_pending_at: d.oldest_pending_at,
            sent_today: d.sent_since,
            dead: d.dead,
            dead_letters,
            name: d.name,
        });
    }
    Ok(Json(UpstreamStatus { destinations }))
}

fn known_destination(name: &str) -> Result<(), ApiError> {
    if matches!(name, "province" | "hotline" | "sms") {
        Ok(())
    } else {
        Err(ApiError::NotFound {
            code: "unknown_destination",
            zh: format!("没有名为“{}”的上报目的地", crate::error::truncate(name, 40)),
            en: format!(
                "No upstream destination named '{}'",
                crate::error::truncate(name, 40)
            ),
        })
    }
}

/// Dead letters back to the queue (after the cause was fixed upstream).
#[utoipa::path(
    operation_id = "requeue_upstream",
    post,
    path = "/admin/upstream/{name}/requeue",
    tag = "upstream",
    request_body = app::api::types::RequeueRequest,
    params(("name" = String, Path, description = "province、hotline 或 sms / Destination")),
    responses((status = 200, description = "成功 / OK", body = app::api::types::RequeueResult), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn requeue_upstream(
    State(state): State<AppState>,
    staff: Staff,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<RequeueResult>, ApiError> {
    staff.require(&[Role::SystemAdmin])?;
    known_destination(&name)?;
    let req: RequeueRequest = json_body(&headers, body, 64 * 1024)?;
    if req.ids.as_ref().is_some_and(|ids| ids.len() > 1000) {
        return Err(ApiError::Unprocessable {
            code: "too_many",
            zh: "一次最多重新排队 1000 条".into(),
            en: "At most 1000 records at a time".into(),
        });
    }
    let moved = state
        .store
        .requeue_outbox(&name, req.ids.as_deref(), now_ms())
        .await?;
    tracing::info!(destination = %name, moved, by = staff.session.staff_id, "dead letters requeued");
    Ok(Json(RequeueResult { moved }))
}

/// Records waiting for their next try are tried now (the link is back).
#[utoipa::path(
    operation_id = "retry_upstream",
    post,
    path = "/admin/upstream/{name}/retry",
    tag = "upstream",
    params(("name" = String, Path, description = "province、hotline 或 sms / Destination")),
    responses((status = 200, description = "成功 / OK", body = app::api::types::RequeueResult), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn retry_upstream(
    State(state): State<AppState>,
    staff: Staff,
    Path(name): Path<String>,
) -> Result<Json<RequeueResult>, ApiError> {
    staff.require(&[Role::SystemAdmin])?;
    known_destination(&name)?;
    let moved = state.store.retry_outbox_now(&name, now_ms()).await?;
    Ok(Json(RequeueResult { moved }))
}

/// Runs the jobs now (they also run on a timer); idempotent.
#[utoipa::path(
    operation_id = "run_jobs",
    post,
    path = "/admin/jobs/run",
    tag = "admin",
    responses((status = 200, description = "成功 / OK", body = app::api::types::JobsReport), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn run_jobs(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<JobsReport>, ApiError> {
    staff.require(&[Role::SystemAdmin])?;
    Ok(Json(crate::jobs::run(&state, now_ms()).await?))
}

#[derive(Serialize)]
struct Poster {
    place_name: String,
    window_name: Option<String>,
    /// The static QR link (`/q/{place}` or `/q/{place}/{window}`).
    path: String,
}

#[utoipa::path(
    operation_id = "posters",
    get,
    path = "/admin/posters",
    tag = "admin",
    responses((status = 200, description = "成功 / OK", body = Vec<serde_json::Value>), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn posters(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<serde_json::Value>>, ApiError> {
    staff.require(&[Role::UnitAdmin, Role::Supervisor, Role::SystemAdmin])?;
    staff.require_city_wide()?;
    let scope = if staff.role().is_unit_admin() {
        staff.session.place_id.or(Some(-1))
    } else {
        None
    };
    let rows = state.store.poster_targets(scope).await?;
    Ok(Json(
        rows.into_iter()
            .map(|(pc, pn, wc, wn)| {
                let path = match &wc {
                    Some(w) => format!("/q/{pc}/{w}"),
                    None => format!("/q/{pc}"),
                };
                serde_json::to_value(Poster {
                    place_name: pn,
                    window_name: wn,
                    path,
                })
                .unwrap_or_default()
            })
            .collect(),
    ))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct Voice {
    voice: bool,
}

/// Recorded voice prompts on or off for one kiosk or pad; the device picks
/// it up with its configuration.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "set_voice",
    post,
    path = "/admin/devices/{code}/voice",
    tag = "admin",
    request_body = Voice,
    params(("code" = String, Path, description = "终端编号 / Device code")),
    responses((status = 200, description = "成功 / OK", body = serde_json::Value), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn set_voice(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    check_device_scope(&state, &staff, &code).await?;
    let v: Voice = json_body(&headers, body, 1024)?;
    state
        .store
        .set_device_voice(&code, v.voice, &staff.audit_by())
        .await?;
    Ok(Json(serde_json::json!({ "code": code, "voice": v.voice })))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// 对象类型 / Entity type
    entity: Option<String>,
    /// 对象 id / Entity id
    entity_id: Option<String>,
    /// 默认 100，最多 1000 / 100 unless given, at most 1000
    limit: Option<String>,
}

/// A query parameter that is there and not blank.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The audit history of edits (organisation, staff accounts, devices,
/// cases), newest first: for system admins and supervisors. `entity` and
/// `entity_id` narrow it; `limit` is 100 unless given, at most 1000.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "audit",
    get,
    path = "/admin/audit",
    tag = "admin",
    params(AuditQuery),
    responses((status = 200, description = "成功 / OK", body = Vec<app::api::types::AuditEntry>), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn audit(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Vec<AuditEntry>>, ApiError> {
    staff.require(&[Role::SystemAdmin, Role::Supervisor])?;
    staff.require_city_wide()?;
    let entity = given(&q.entity);
    if let Some(e) = entity.filter(|e| !AUDIT_ENTITIES.contains(e)) {
        let known = AUDIT_ENTITIES.join(" / ");
        return Err(ApiError::Unprocessable {
            code: "audit_entity_unknown",
            zh: format!("未知的审计对象“{e}”，应为 {known}"),
            en: format!("Unknown audit entity '{e}'; use one of {known}"),
        });
    }
    let limit = match given(&q.limit) {
        None => 100,
        Some(l) => match l.parse::<i64>() {
            Ok(n) if n >= 1 => n.min(crate::store::AUDIT_MAX_LIMIT),
            _ => {
                return Err(ApiError::Unprocessable {
                    code: "audit_limit_invalid",
                    zh: format!(
                        "条数“{l}”不正确，应为 1 至 {} 的整数",
                        crate::store::AUDIT_MAX_LIMIT
                    ),
                    en: format!(
                        "The limit '{l}' must be a whole number from 1 to {}",
                        crate::store::AUDIT_MAX_LIMIT
                    ),
                })
            }
        },
    };
    let json = |s: Option<String>| s.and_then(|s| serde_json::from_str(&s).ok());
    let rows = state
        .store
        .audit_lines(entity, given(&q.entity_id), limit)
        .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: r.at,
                actor_staff_id: r.actor_staff_id,
                actor_label: r.actor_label,
                entity: r.entity,
                entity_id: r.entity_id,
                action: r.action,
                before: json(r.before_json),
                after: json(r.after_json),
            })
            .collect(),
    ))
}

/// A message's link with its token cut: `…/r/[已隐去]`.
fn cut_links(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    while let Some(i) = ["/r/", "/f/"].iter().filter_map(|p| rest.find(p)).min() {
        out.push_str(&rest[..i + 3]);
        out.push_str("[已隐去]");
        let tail = &rest[i + 3..];
        let end = tail
            .find(|c: char| c.is_whitespace() || !c.is_ascii())
            .unwrap_or(tail.len());
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// The whole number of one message, for a supervisor or system admin who
/// must check a delivery; every reveal is logged with who and when.
#[tracing::instrument(skip_all, fields(sms = id))]
#[utoipa::path(
    operation_id = "reveal_outbox",
    post,
    path = "/admin/outbox/{id}/reveal",
    tag = "admin",
    params(("id" = i64, Path, description = "短信 id / Message id")),
    responses((status = 200, description = "成功 / OK", body = serde_json::Value), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn reveal_outbox(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<serde_json::Value>, ApiError> {
    staff.require(&[Role::SystemAdmin, Role::Supervisor])?;
    staff.require_city_wide()?;
    let phone = state
        .store
        .reveal_outbox_phone(id, staff.session.staff_id, now_ms())
        .await?
        .ok_or(ApiError::NotFound {
            code: "sms_not_found",
            zh: "没有这条短信".into(),
            en: "No such message".into(),
        })?;
    tracing::info!(
        sms = id,
        staff = staff.session.staff_id,
        "outbox phone revealed"
    );
    Ok(Json(serde_json::json!({ "id": id, "phone": phone })))
}

#[cfg(test)]
mod tests {
    #[test]
    fn outbox_links_lose_their_tokens() {
        assert_eq!(
            super::cut_links("请评价：https://hcp.example/r/abc.def-123 谢谢"),
            "请评价：https://hcp.example/r/[已隐去] 谢谢"
        );
        assert_eq!(
            super::cut_links("整改结果：http://x/f/TOKEN。"),
            "整改结果：http://x/f/[已隐去]。"
        );
        assert_eq!(super::cut_links("无链接"), "无链接");
    }
}
