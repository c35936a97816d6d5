//! Devices: a kiosk or pad enrols once with a one-time code and then sends
//! its token; a window pad listens for the cases its window starts.

use domain::DeviceKind;
use std::convert::Infallible;
use std::time::Duration;

use app::api::types::{DeviceConfig, EnrolRequest, EnrolResponse, PadCase, PadEvent};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures_util::stream::{self, Stream};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::json_body;
use crate::auth;
use crate::error::ApiError;
use crate::limits::ClientAddr;
use crate::state::{now_ms, AppState};
use crate::store::DeviceRow;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(enrol))
        .routes(routes!(device_config))
        .routes(routes!(pad_events))
}

pub fn config_of(device: DeviceRow) -> Result<DeviceConfig, ApiError> {
    let device_id = Uuid::parse_str(&device.id).map_err(|e| anyhow::anyhow!("device id: {e}"))?;
    let voice = device.voice && device.kind.is_terminal();
    Ok(DeviceConfig {
        device_id,
        code: device.code,
        kind: device.kind.as_str().into(),
        place_id: device.place_id,
        place_name: device.place_name,
        window_id: device.window_id,
        dimension_set: device.dimension_set,
        voice,
    })
}

/// A case as the window pad shows it, with the clerk serving it.
pub fn pad_case(c: &crate::store::CaseRow) -> PadCase {
    PadCase {
        case_id: c.id,
        case_no: c.case_no.clone(),
        service_name: c.service_name.clone(),
        window_name: c.window_name.clone(),
        staff_name: c.staff_name.clone(),
        staff_no: c.staff_no.clone(),
        photo_url: c
            .staff_photo_id
            .as_ref()
            .map(|id| format!("/api/v1/photos/{id}")),
    }
}

/// How long after 办结 a reconnecting pad still asks for the rating.
const RATE_PROMPT_MS: i64 = 30 * 60_000;

fn not_found(code: &str) -> ApiError {
    ApiError::NotFound {
        code: "device_not_found",
        zh: format!("设备“{code}”未登记"),
        en: format!("Device '{code}' is not registered"),
    }
}

/// What an enrolled kiosk or pad needs to rate offline.
#[tracing::instrument(skip_all, fields(code = %code))]
#[utoipa::path(
    operation_id = "device_config",
    get,
    path = "/devices/{code}",
    tag = "devices",
    params(("code" = String, Path, description = "终端编号 / Device code")),
    responses((status = 200, description = "成功 / OK", body = app::api::types::DeviceConfig), crate::openapi::Errors),
    security(("device_token" = []))
)]
async fn device_config(
    State(state): State<AppState>,
    Path(code): Path<String>,
    headers: HeaderMap,
) -> Result<Json<DeviceConfig>, ApiError> {
    let device = state
        .store
        .device_by_code(&code)
        .await?
        .filter(|d| d.kind.is_terminal())
        .ok_or_else(|| not_found(&code))?;
    let id = Uuid::parse_str(&device.id).map_err(|e| anyhow::anyhow!("device id: {e}"))?;
    crate::ratings::authenticate_device(&state, &id, &headers).await?;
    Ok(Json(config_of(device)?))
}

/// Trades a one-time enrolment code for the device's token.
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "enrol",
    post,
    path = "/devices/enrol",
    tag = "devices",
    request_body = app::api::types::EnrolRequest,
    responses((status = 200, description = "成功 / OK", body = app::api::types::EnrolResponse), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn enrol(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<EnrolResponse>, ApiError> {
    // Codes are 8 digits: guessing is slowed per address, and a code is
    // burnt after a few wrong tries on its device.
    state.limits.enrol(addr)?;
    let req: EnrolRequest = json_body(&headers, body, 4096)?;
    let code = req.device_code.trim();
    let enrol_code = req.enrol_code.trim();
    let token = auth::random_token();
    let ok = state
        .store
        .enrol_device(
            code,
            &auth::enrol_code_hash(&state.store, enrol_code).await?,
            &auth::token_hash(&token),
            now_ms(),
        )
        .await?;
    if !ok {
        let tries = state.settings.security.enrol_tries;
        if state.store.enrol_failed(code, tries).await? {
            return Err(ApiError::Unprocessable {
                code: "enrol_code_burnt",
                zh: format!("启用码已连续输错 {tries} 次，已作废；请向管理员重新获取启用码"),
                en: format!("The enrolment code was entered wrongly {tries} times and is no longer valid; ask an administrator for a new one"),
            });
        }
        return Err(ApiError::Unprocessable {
            code: "enrol_code_invalid",
            zh: "启用码不正确或已过期，请向管理员重新获取".into(),
            en: "The enrolment code is wrong or has expired; ask an administrator for a new one"
                .into(),
        });
    }
    let device = state
        .store
        .device_by_code(code)
        .await?
        .ok_or_else(|| not_found(code))?;
    Ok(Json(EnrolResponse {
        token,
        config: config_of(device)?,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct TokenQuery {
    /// 窗口评价器令牌 / The pad's token
    token: String,
}

/// Server-sent events for a window pad: the case to rate now, then every
/// case its window starts. (EventSource cannot send headers, hence the
/// token in the query.)
#[tracing::instrument(skip_all)]
#[utoipa::path(
    operation_id = "pad_events",
    get,
    path = "/pad/events",
    tag = "devices",
    params(TokenQuery),
    responses((status = 200, description = "服务器推送事件 / Server-sent events", content_type = "text/event-stream", body = String), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn pad_events(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let device = state
        .store
        .device_by_token(&auth::token_hash(&q.token))
        .await?
        .filter(|d| d.active && d.kind == DeviceKind::WindowPad)
        .ok_or_else(|| ApiError::DeviceUnauthenticated {
            code: "device_not_enrolled",
            zh: "评价器尚未启用或已被停用".into(),
            en: "This pad is not enrolled or was revoked".into(),
        })?;
    let window_id = device
        .window_id
        .ok_or_else(|| anyhow::anyhow!("pad {} has no window", device.code))?;
    let (rx, conn) = state.pad_hub.subscribe(window_id);
    // Other servers learn that this window's pad listens here.
    let link = crate::push::PadLink::open(&state, window_id).await?;
    let conn = (conn, link);
    let now = now_ms();
    state
        .store
        .touch_devices(std::slice::from_ref(&device.id), now)
        .await?;
    // First the window's state: a case in service, or one finished a
    // moment ago and still unrated (the pad reloaded while asking).
    let first = match state.store.current_case_at_window(window_id).await? {
        Some(c) => PadEvent::Serving(pad_case(&c)),
        None => match state
            .store
            .case_to_rate_at_window(window_id, now - RATE_PROMPT_MS)
            .await?
        {
            Some(c) => PadEvent::Rate(pad_case(&c)),
            None => PadEvent::Idle,
        },
    };
    let events = stream::unfold(
        (Some(first), rx, conn),
        |(first, mut rx, conn)| async move {
            let ev = match first {
                Some(ev) => ev,
                None => loop {
                    match rx.recv().await {
                        Ok(ev) => break ev,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(_) => return None,
                    }
                },
            };
            let data = serde_json::to_string(&ev).unwrap_or_default();
            Some((Ok(Event::default().data(data)), (None, rx, conn)))
        },
    );
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
