//! Staff sign-in and the unit administrator's views of ratings.

use app::api::types::{LoginRequest, RatingView, StaffSession, Summary};
use app::domain::{Channel, CodeMap, ReasonTag};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, Method};
use axum::response::{AppendHeaders, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::json_body;
use crate::auth::{self, Staff};
use crate::error::ApiError;
use crate::startup::{now_ms, AppState};
use crate::store::RatingViewRow;

const LOGIN_BODY_LIMIT: usize = 4 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/staff/login", post(login))
        .route("/staff/logout", post(logout))
        .route("/staff/me", get(me))
        .route("/staff/inbox", get(inbox))
        .route("/staff/ratings", get(ratings))
        .route("/staff/summary", get(summary))
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
        role: s.role.clone(),
        unit_name: s.unit_name.clone(),
        csrf_token: s.csrf_token.clone(),
    }
}

#[tracing::instrument(skip_all, err)]
async fn login(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    auth::check_same_origin(&method, &headers)?;
    let req: LoginRequest = json_body(&headers, body, LOGIN_BODY_LIMIT)?;
    let staff = state.store.staff_for_login(req.username.trim()).await?;
    let hash = staff
        .as_ref()
        .map(|s| s.password_hash.clone())
        .unwrap_or_else(|| auth::dummy_hash().to_string());
    let ok = auth::verify_password(req.password, hash).await?;
    let staff = match staff {
        Some(s) if ok && s.active => s,
        _ => return Err(bad_credentials()),
    };
    let token = auth::random_token();
    let token_hash = auth::token_hash(&token);
    let now = now_ms();
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
        .session(&token_hash, now)
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

#[tracing::instrument(skip_all, err)]
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

async fn me(staff: Staff) -> Json<StaffSession> {
    Json(session_view(&staff.session))
}

fn view(row: RatingViewRow) -> Result<RatingView, ApiError> {
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
        comment: row.comment,
    })
}

#[derive(Deserialize)]
struct ListQuery {
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
#[tracing::instrument(skip_all, err)]
async fn inbox(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<RatingView>>, ApiError> {
    list(&state, &staff, true, q).await
}

/// All ratings in the staff member's scope, newest first.
#[tracing::instrument(skip_all, err)]
async fn ratings(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<RatingView>>, ApiError> {
    list(&state, &staff, false, q).await
}

/// How many ratings, and how many bad ones, the staff member's scope holds.
#[tracing::instrument(skip_all, err)]
async fn summary(State(state): State<AppState>, staff: Staff) -> Result<Json<Summary>, ApiError> {
    let (ratings, bad) = state.store.count_in_scope(staff.scope()?).await?;
    Ok(Json(Summary { ratings, bad }))
}
