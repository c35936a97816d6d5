//! Staff sign-in and the unit administrator's views of ratings.

use app::api::types::{
    CaseView, EntryResult, LoginRequest, PadEvent, RatingView, StaffEntry, StaffSession,
    StaffSettings, StartService, StartedService, SuggestionList, SuggestionView, Summary,
    TopicCount,
};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Method};
use axum::response::{AppendHeaders, IntoResponse};
use axum::Json;
use domain::case::{mask_id_no, mask_phone, RatingKind, Stage};
use domain::notice::NotifyMode;
use domain::Role;
use domain::{Channel, CodeMap, RatingRecord, ReasonTag, DEFAULT_DIMENSION_SET};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::json_body;
use crate::auth::{self, Staff};
use crate::error::ApiError;
use crate::limits::ClientAddr;
use crate::ratings::{self, Prepared};
use crate::state::{now_ms, AppState};
use crate::store::{CaseRow, CaseUpsert, RatingViewRow};

const LOGIN_BODY_LIMIT: usize = 4 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(inbox))
        .routes(routes!(ratings))
        .routes(routes!(suggestions))
        .routes(routes!(summary))
        .routes(routes!(window_cases))
        .routes(routes!(start_service))
        .routes(routes!(finish_service))
        .routes(routes!(enter_rating))
        .routes(routes!(settings, put_settings))
        .routes(routes!(change_password))
}

#[derive(serde::Deserialize, utoipa::ToSchema)]
struct PasswordChange {
    current: String,
    new: String,
}

/// A staff member changes their own password: the current one is checked,
/// and every session of the account ends (sign in again).
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "change_password",
    post,
    path = "/staff/password",
    tag = "staff",
    request_body = PasswordChange,
    responses((status = 200, description = "已修改，请重新登录 / Changed; sign in again"), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn change_password(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let req: PasswordChange = json_body(&headers, body, LOGIN_BODY_LIMIT)?;
    let id = staff.session.staff_id;
    let hash = state
        .store
        .password_hash_of(id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    if !auth::verify_password_limited(&state, req.current, hash).await? {
        return Err(ApiError::Unprocessable {
            code: "password_wrong",
            zh: "当前密码不正确".into(),
            en: "The current password is wrong".into(),
        });
    }
    if req.new.chars().count() < super::org::PASSWORD_MIN_CHARS {
        return Err(ApiError::Unprocessable {
            code: "password_short",
            zh: format!("新密码至少 {} 位", super::org::PASSWORD_MIN_CHARS),
            en: format!(
                "The new password needs at least {} characters",
                super::org::PASSWORD_MIN_CHARS
            ),
        });
    }
    let hash = auth::hash_password_limited(&state, req.new).await?;
    state.store.set_password(id, &hash).await?;
    let ended = state.store.delete_sessions_of(id).await?;
    Ok((
        AppendHeaders([(
            header::SET_COOKIE,
            auth::clear_cookie(state.settings.secure_cookies),
        )]),
        Json(serde_json::json!({ "ok": true, "sessions_ended": ended })),
    ))
}

/// The signed-in account's own settings (notices by SMS).
#[utoipa::path(
    operation_id = "settings",
    get,
    path = "/staff/settings",
    tag = "staff",
    responses((status = 200, description = "成功 / OK", body = app::api::types::StaffSettings), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn settings(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<StaffSettings>, ApiError> {
    let (phone, notify) = state
        .store
        .staff_settings(staff.session.staff_id)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    Ok(Json(StaffSettings {
        phone,
        notify: NotifyMode::parse(&notify).unwrap_or(NotifyMode::Off),
    }))
}

#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "put_settings",
    put,
    path = "/staff/settings",
    tag = "staff",
    request_body = app::api::types::StaffSettings,
    responses((status = 200, description = "成功 / OK", body = app::api::types::StaffSettings), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn put_settings(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<StaffSettings>, ApiError> {
    let req: StaffSettings = json_body(&headers, body, 4096)?;
    let phone = req
        .phone
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    if let Some(p) = phone {
        if !domain::case::valid_mobile(p) {
            return Err(ApiError::Unprocessable {
                code: "phone_invalid",
                zh: "手机号码应为 11 位数字，以 1 开头".into(),
                en: "A mobile number has 11 digits and starts with 1".into(),
            });
        }
    }
    if phone.is_none() && req.notify != NotifyMode::Off {
        return Err(ApiError::Unprocessable {
            code: "phone_required",
            zh: "接收短信提醒须填写手机号码".into(),
            en: "SMS notices need a mobile number".into(),
        });
    }
    state
        .store
        .set_staff_settings(staff.session.staff_id, phone, req.notify.as_str())
        .await?;
    Ok(Json(StaffSettings {
        phone: phone.map(str::to_string),
        notify: req.notify,
    }))
}

/// Locked after too many wrong passwords: says until when (China time).
fn locked(until: i64, now: i64) -> ApiError {
    let at = domain::time::china_time(until);
    ApiError::TooMany {
        code: "account_locked",
        retry_after_secs: u64::try_from((until - now) / 1000).unwrap_or(1).max(1),
        zh: format!("密码错误次数过多，该账号已暂时锁定，请于 {at}（北京时间）后再试，或联系系统管理员"),
        en: format!("Too many wrong passwords: this account is locked until {at} (China time); try again then or ask the system administrator"),
    }
}

fn bad_credentials() -> ApiError {
    ApiError::Unprocessable {
        code: "bad_credentials",
        zh: "用户名或密码不正确".into(),
        en: "Wrong username or password".into(),
    }
}

fn session_view(s: &crate::store::SessionRow) -> StaffSession {
    StaffSession {
        username: s.username.clone(),
        display_name: s.display_name.clone(),
        role: s.role.as_str().into(),
        unit_name: s.unit_name.clone(),
        csrf_token: s.csrf_token.clone(),
        calendar_missing_year: None,
    }
}

#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "login",
    post,
    path = "/staff/login",
    tag = "staff",
    request_body = app::api::types::LoginRequest,
    responses((status = 200, description = "成功 / OK", body = app::api::types::StaffSession), crate::openapi::Errors),
    security(())
)]
async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    method: Method,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    auth::check_same_origin(&method, &headers)?;
    // Per address: a flood is refused before any hashing.
    state.limits.login(addr)?;
    let req: LoginRequest = json_body(&headers, body, LOGIN_BODY_LIMIT)?;
    let username = req.username.trim();
    let now = now_ms();
    let failures = state.store.login_failures(username).await?;
    if let Some(until) = failures.until.filter(|u| *u > now) {
        return Err(locked(until, now));
    }
    let staff = state.store.staff_for_login(username).await?;
    let hash = staff
        .as_ref()
        .map(|s| s.password_hash.clone())
        .unwrap_or_else(|| auth::dummy_hash().to_string());
    let ok = auth::verify_password_limited(&state, req.password, hash).await?;
    let staff = match staff {
        Some(s) if ok && s.active => s,
        _ => {
            let sec = &state.settings.security;
            let next = crate::limits::lockout(
                failures,
                now,
                sec.lockout_failures,
                sec.lockout_secs * 1000,
            );
            state.store.set_login_failures(username, next).await?;
            return Err(match next.until {
                Some(until) => locked(until, now),
                None => bad_credentials(),
            });
        }
    };
    state.store.clear_login_failures(username).await?;
    let token = auth::random_token();
    let token_hash = auth::token_hash(&token);
    state
        .store
        .create_session(
            &token_hash,
            staff.id,
            &auth::random_token(),
            now,
            now + auth::SESSION_HOURS * 3_600_000,
        )
        .await?;
    let session = state
        .store
        .session(&token_hash, now, auth::idle_since(&state))
        .await?
        .ok_or_else(|| anyhow::anyhow!("session vanished after creation"))?;
    Ok((
        AppendHeaders([(
            header::SET_COOKIE,
            auth::session_cookie(&token, state.settings.secure_cookies),
        )]),
        Json(session_view(&session)),
    ))
}

#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "logout",
    post,
    path = "/staff/logout",
    tag = "staff",
    responses((status = 200, description = "已退出 / Signed out"), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn logout(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<impl IntoResponse, ApiError> {
    state.store.delete_session(&staff.token_hash).await?;
    Ok((
        AppendHeaders([(
            header::SET_COOKIE,
            auth::clear_cookie(state.settings.secure_cookies),
        )]),
        Json(serde_json::json!({ "ok": true })),
    ))
}

#[utoipa::path(
    operation_id = "me",
    get,
    path = "/staff/me",
    tag = "staff",
    responses((status = 200, description = "成功 / OK", body = app::api::types::StaffSession), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn me(State(state): State<AppState>, staff: Staff) -> Result<Json<StaffSession>, ApiError> {
    let mut s = session_view(&staff.session);
    if staff.role() == Role::SystemAdmin {
        let today = domain::calendar::Date::of_instant(now_ms());
        s.calendar_missing_year = crate::rectify::calendar(&state).await?.missing_year(today);
    }
    Ok(Json(s))
}

/// Evaluator identity is only ever masked in lists (138****1234); the
/// whole number is revealed per ticket to unit admins and supervisors, and
/// every reveal is logged (`POST /api/v1/loop/tickets/{id}/reveal`). Window
/// staff never reach a rating list at all (`Staff::scope`).
fn view(row: RatingViewRow) -> Result<RatingView, ApiError> {
    let phone = row.evaluator_phone.as_deref().map(mask_phone);
    let id_no = row.evaluator_id_no.as_deref().map(mask_id_no);
    let bad_row =
        |what: &str| ApiError::Internal(anyhow::anyhow!("rating {} has a bad {what}", row.id));
    Ok(RatingView {
        id: row.id.parse().map_err(|_| bad_row("id"))?,
        rated_at: row.rated_at,
        received_at: row.received_at,
        channel: Channel::parse(&row.channel).ok_or_else(|| bad_row("channel"))?,
        level: u8::try_from(row.level)
            .ok()
            .and_then(|c| CodeMap::Gbt39046.decode(c))
            .ok_or_else(|| bad_row("level"))?,
        place_name: row.place_name.clone(),
        window_name: row.window_name.clone(),
        case_no: row.case_no.clone(),
        reasons: serde_json::from_str::<Vec<ReasonTag>>(&row.reasons)
            .map_err(|_| bad_row("reasons"))?,
        kind: RatingKind::parse(&row.kind).ok_or_else(|| bad_row("kind"))?,
        stage: row.stage.as_deref().and_then(Stage::parse),
        proactive: row.proactive,
        entered_by: row.entered_by_name.clone(),
        comment: row.comment,
        evaluator_phone: phone,
        evaluator_id_no: id_no,
    })
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// 最多条数 / At most this many
    limit: Option<i64>,
}

async fn list(
    state: &AppState,
    staff: &Staff,
    bad_only: bool,
    q: ListQuery,
) -> Result<Json<Vec<RatingView>>, ApiError> {
    let limit = q.limit.unwrap_or(200).clamp(1, 1000);
    let rows = state
        .store
        .ratings_in_scope(staff.scope()?, bad_only, limit)
        .await?;
    Ok(Json(rows.into_iter().map(view).collect::<Result<_, _>>()?))
}

/// Bad ratings in the staff member's scope, newest first.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "inbox",
    get,
    path = "/staff/inbox",
    tag = "staff",
    params(ListQuery),
    responses((status = 200, description = "成功 / OK", body = Vec<app::api::types::RatingView>), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn inbox(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<RatingView>>, ApiError> {
    list(&state, &staff, true, q).await
}

/// 意见建议 in the staff member's scope: comments with ratings that are
/// not bad, newest first (at most `limit`, 500 by default, 1,000 at most),
/// each filed under its topic (`domain::suggestion`), and the count per
/// topic of those listed.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "suggestions",
    get,
    path = "/staff/suggestions",
    tag = "staff",
    params(ListQuery),
    responses((status = 200, description = "成功 / OK", body = app::api::types::SuggestionList), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn suggestions(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<SuggestionList>, ApiError> {
    use domain::suggestion::{classify, Topic};
    let limit = q.limit.unwrap_or(500).clamp(1, 1000);
    let rows = state
        .store
        .suggestions_in_scope(staff.scope()?, limit)
        .await?;
    let items: Vec<SuggestionView> = rows
        .into_iter()
        .map(|r| {
            let topic = classify(&r.comment);
            view(r).map(|rating| SuggestionView { topic, rating })
        })
        .collect::<Result<_, _>>()?;
    let counts = Topic::ALL
        .iter()
        .map(|t| TopicCount {
            topic: *t,
            label: t.label_zh().into(),
            count: items.iter().filter(|i| i.topic == *t).count() as u64,
        })
        .collect();
    Ok(Json(SuggestionList { counts, items }))
}

/// All ratings in the staff member's scope, newest first.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "ratings",
    get,
    path = "/staff/ratings",
    tag = "staff",
    params(ListQuery),
    responses((status = 200, description = "成功 / OK", body = Vec<app::api::types::RatingView>), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn ratings(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<RatingView>>, ApiError> {
    list(&state, &staff, false, q).await
}

/// How many ratings, and how many bad ones, the staff member's scope holds.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "summary",
    get,
    path = "/staff/summary",
    tag = "staff",
    responses((status = 200, description = "成功 / OK", body = app::api::types::Summary), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn summary(State(state): State<AppState>, staff: Staff) -> Result<Json<Summary>, ApiError> {
    let (ratings, bad) = state.store.count_in_scope(staff.scope()?).await?;
    Ok(Json(Summary { ratings, bad }))
}

fn case_view(c: CaseRow) -> CaseView {
    CaseView {
        id: c.id,
        case_no: c.case_no,
        status: c.status,
        service_name: c.service_name,
        window_name: c.window_name,
        started_at: c.started_at,
        finished_at: c.finished_at,
    }
}

/// The window a window staff member serves at.
fn own_window(staff: &Staff) -> Result<(i64, i64), ApiError> {
    staff.require(&[Role::WindowStaff])?;
    match (staff.session.place_id, staff.session.window_id) {
        (Some(p), Some(w)) => Ok((p, w)),
        _ => Err(ApiError::Unprocessable {
            code: "no_window",
            zh: "您的账号未绑定窗口，请联系管理员".into(),
            en: "Your account is not bound to a window".into(),
        }),
    }
}

/// The cases of the staff member's window, newest first: no applicant
/// phone or ID, no evaluator.
#[utoipa::path(
    operation_id = "window_cases",
    get,
    path = "/staff/cases",
    tag = "window",
    responses((status = 200, description = "成功 / OK", body = Vec<app::api::types::CaseView>), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn window_cases(
    State(state): State<AppState>,
    staff: Staff,
) -> Result<Json<Vec<CaseView>>, ApiError> {
    let (_, window) = own_window(&staff)?;
    let rows = state.store.cases_at_window(window, 50).await?;
    Ok(Json(rows.into_iter().map(case_view).collect()))
}

/// 开始服务: the case appears on the window's pad at once; when the pad is
/// not connected, the tablet gets a per-case QR link instead.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "start_service",
    post,
    path = "/staff/service",
    tag = "window",
    request_body = app::api::types::StartService,
    responses((status = 200, description = "成功 / OK", body = app::api::types::StartedService), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn start_service(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<StartedService>, ApiError> {
    let (place_id, window_id) = own_window(&staff)?;
    let req: StartService = json_body(&headers, body, 4096)?;
    let now = now_ms();
    let case_no = req
        .case_no
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| format!("CK{now}"));
    let (place_code, _) = state
        .store
        .place_name(place_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("place {place_id}"))?;
    let (window_code, _) = state
        .store
        .window_name(window_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("window {window_id}"))?;
    let input = app::api::types::CaseIn {
        case_no,
        place_code,
        window_code: Some(window_code),
        service_item_code: req.service_item_code.clone(),
        staff_username: Some(staff.session.username.clone()),
        status: "in_service".into(),
        stages: false,
        applicant_phone: req.applicant_phone.clone(),
        applicant_id_no: None,
        applicant_type: None,
        started_at: Some(now),
        finished_at: None,
    };
    // A case number is the clerk's own: another window's case under that
    // number (a colleague's, or a typo) is not taken over.
    if let Some(existing) = state.store.case_by_source("window", &input.case_no).await? {
        if existing.window_id != Some(window_id) {
            return Err(ApiError::Conflict {
                code: "case_other_window",
                zh: format!(
                    "办件编号“{}”已在其他窗口使用，请核对编号（或留空自动生成）",
                    input.case_no
                ),
                en: format!(
                    "Case number '{}' is in use at another window; check it (or leave it blank)",
                    input.case_no
                ),
            });
        }
    }
    let scope = super::cases::CaseScope::Window { window_id };
    let upsert: CaseUpsert =
        match super::cases::resolve(&state, "window", &input, scope, now).await? {
            Ok(u) => u,
            Err(e) => {
                return Err(ApiError::Unprocessable {
                    code: "case_invalid",
                    zh: e.message,
                    en: e.message_en,
                })
            }
        };
    let (id, _) = state.store.upsert_case(&upsert, now).await?;
    let case = state
        .store
        .case(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("case {id} vanished"))?;
    // The previous citizen left without rating on the pad: their SMS
    // invitation goes now.
    send_due_invitations(&state, now, Some(window_id)).await?;
    let pad_online = crate::push::publish_pad(
        &state,
        window_id,
        PadEvent::Serving(super::devices::pad_case(&case)),
    )
    .await?;
    let qr_path = if pad_online {
        None
    } else {
        let link = ratings::make_link(&state, case.id, Channel::QrCase, None, now).await?;
        Some(ratings::link_path(&link.token))
    };
    Ok(Json(StartedService {
        case: case_view(case),
        pad_online,
        qr_path,
    }))
}

/// 办结: the pad goes back to idle; the applicant, if a phone is known and
/// the case is unrated, gets an SMS invitation.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "finish_service",
    post,
    path = "/staff/service/{id}/finish",
    tag = "window",
    params(("id" = i64, Path, description = "办件 id / Case id")),
    responses((status = 200, description = "成功 / OK", body = app::api::types::CaseView), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn finish_service(
    State(state): State<AppState>,
    staff: Staff,
    Path(id): Path<i64>,
) -> Result<Json<CaseView>, ApiError> {
    let (_, window_id) = own_window(&staff)?;
    let case = state
        .store
        .case(id)
        .await?
        .filter(|c| c.window_id == Some(window_id))
        .ok_or(ApiError::NotFound {
            code: "case_not_found",
            zh: "本窗口没有这个办件".into(),
            en: "No such case at your window".into(),
        })?;
    let now = now_ms();
    if state.store.finish_case(case.id, now).await? && case.ratings == 0 {
        if let Some(c) = state.store.case(case.id).await? {
            // On the pad the rating is asked for now; the SMS waits until
            // the citizen has left without rating (the clerk's next case,
            // or the policy's delay).
            if crate::push::publish_pad(
                &state,
                window_id,
                PadEvent::Rate(super::devices::pad_case(&c)),
            )
            .await?
            {
                let delay = i64::from(state.settings.policy.pad_invite_delay_mins) * 60_000;
                state.store.defer_invitation(c.id, now + delay).await?;
            } else {
                crate::sms::invite(&state, &c, "invitation", now).await?;
            }
        }
    }
    let case = state
        .store
        .case(id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("case {id} vanished"))?;
    Ok(Json(case_view(case)))
}

/// A paper form (书面评价表) or a phone / 12345 rating typed in by a unit
/// administrator or supervisor: marked with the channel and who entered it.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "enter_rating",
    post,
    path = "/staff/entries",
    tag = "staff",
    request_body = app::api::types::StaffEntry,
    responses((status = 200, description = "成功 / OK", body = app::api::types::EntryResult), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn enter_rating(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EntryResult>, ApiError> {
    staff.require(&[Role::UnitAdmin, Role::Supervisor])?;
    let entry: StaffEntry = json_body(&headers, body, 16 * 1024)?;
    let place_id = staff.session.place_id.ok_or(ApiError::Unprocessable {
        code: "no_place",
        zh: "您的账号未绑定服务场所，不能录入评价".into(),
        en: "Your account is not bound to a place".into(),
    })?;
    if !Channel::STAFF_ENTRY.contains(&entry.channel) {
        return Err(ApiError::Unprocessable {
            code: "channel_invalid",
            zh: "录入渠道应为书面评价表或电话/12345".into(),
            en: "The channel must be paper or phone".into(),
        });
    }
    let now = now_ms();
    let window_id = match entry
        .window_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(w) => Some(
            state
                .store
                .window_by_code(place_id, w)
                .await?
                .ok_or_else(|| ApiError::Unprocessable {
                    code: "window_unknown",
                    zh: format!("本场所没有编码为“{w}”的窗口"),
                    en: format!("Your place has no window '{w}'"),
                })?
                .0,
        ),
    };
    let device_id = state
        .store
        .web_device(place_id, state.settings.policy.web_dimension_set.code, now)
        .await?;
    let record = RatingRecord {
        id: entry.id,
        device_id,
        seq: 1,
        device_time: entry.rated_at.unwrap_or(now),
        channel: entry.channel,
        case_no: entry
            .case_no
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty()),
        place_id,
        window_id,
        level: entry.level,
        dimension_set: DEFAULT_DIMENSION_SET.code.into(),
        items: vec![],
        reasons: entry.reasons,
        comment: entry.comment.trim().to_string(),
        stage: None,
        link: None,
        evaluator_phone: entry.evaluator_phone,
        evaluator_id_no: None,
        evaluator_type: entry.evaluator_type,
    }
    .validate()
    .map_err(|e| ApiError::Unprocessable {
        code: e.code(),
        zh: e.message_zh(),
        en: e.message_en(),
    })?;
    if record.device_time > now + 300_000 {
        return Err(ApiError::Unprocessable {
            code: "rated_at_future",
            zh: "评价日期不能晚于今天".into(),
            en: "The rating date cannot be in the future".into(),
        });
    }
    let (case_id, _) = match ratings::resolve_case(&state, &record, ratings::Binder::Staff).await? {
        Ok(c) => c,
        Err(e) => {
            return Err(ApiError::Unprocessable {
                code: "case_invalid",
                zh: e.message,
                en: e.message_en,
            })
        }
    };
    let id = record.id;
    let prepared = [Prepared {
        record,
        case_id,
        link_nonce: None,
    }];
    let answer = ratings::store(
        &state,
        &prepared,
        |r| r.device_time,
        Some(staff.session.staff_id),
        now,
    )
    .await?;
    let a = answer
        .first()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("no answer"))?;
    if a.status == domain::sync::ItemStatus::Conflict {
        return Err(ApiError::Conflict {
            code: "entry_conflict",
            zh: "同一编号的评价已录入且内容不同，请刷新页面后重新录入".into(),
            en: "A different rating was entered under this id; reload and enter again".into(),
        });
    }
    Ok(Json(EntryResult {
        id,
        status: a.status,
        kind: a.kind,
    }))
}

/// Sends the invitations that waited for a pad rating which did not come
/// (all of a window's when its clerk starts the next case, else those past
/// their delay). A case rated meanwhile gets none.
pub async fn send_due_invitations(
    state: &AppState,
    now: i64,
    window: Option<i64>,
) -> Result<usize, ApiError> {
    let mut sent = 0;
    for id in state.store.take_due_invitations(now, window).await? {
        if let Some(c) = state.store.case(id).await? {
            if c.ratings == 0 && crate::sms::invite(state, &c, "invitation", now).await? {
                sent += 1;
            }
        }
    }
    Ok(sent)
}
