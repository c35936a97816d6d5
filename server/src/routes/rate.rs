//! What phone and PC pages need: the place's web endpoint for a static QR
//! code (not linked to a case, seed 000) or a case link; and QR images.

use app::api::loaders::RateQuery;
use app::api::types::RateConfig;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use domain::case::Stage;
use domain::{link, Channel};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::devices::config_of;
use crate::error::ApiError;
use crate::state::{now_ms, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(place_config))
        .routes(routes!(window_config))
        .routes(routes!(link_config))
}

fn no_place(code: &str) -> ApiError {
    ApiError::NotFound {
        code: "place_not_found",
        zh: format!("二维码对应的服务场所“{code}”不存在，请联系工作人员"),
        en: format!("The place '{code}' of this QR code does not exist"),
    }
}

async fn web_config(
    state: &AppState,
    place_id: i64,
) -> Result<app::api::types::DeviceConfig, ApiError> {
    let id = state
        .store
        .web_device(
            place_id,
            state.settings.policy.web_dimension_set.code,
            now_ms(),
        )
        .await?;
    let row = state
        .store
        .device(&id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("web device {id} vanished"))?;
    config_of(row)
}

async fn static_config(
    state: &AppState,
    place: &str,
    window: Option<&str>,
) -> Result<RateConfig, ApiError> {
    let (place_id, _) = state
        .store
        .place_by_code(place)
        .await?
        .ok_or_else(|| no_place(place))?;
    let window = match window {
        None => None,
        Some(w) => Some(
            state
                .store
                .window_by_code(place_id, w)
                .await?
                .ok_or_else(|| ApiError::NotFound {
                    code: "window_not_found",
                    zh: format!("二维码对应的窗口“{w}”不存在，请联系工作人员"),
                    en: format!("The window '{w}' of this QR code does not exist"),
                })?,
        ),
    };
    let mut device = web_config(state, place_id).await?;
    device.window_id = window.as_ref().map(|(id, _)| *id);
    Ok(RateConfig {
        device,
        channel: Channel::QrStatic,
        window_name: window.map(|(_, n)| n),
        case_no: None,
        service_name: None,
        stages: vec![],
        link: None,
        link_used: false,
        real_name: state.settings.policy.real_name,
    })
}

#[utoipa::path(
    operation_id = "place_config",
    get,
    path = "/rate/place/{place}",
    tag = "rate",
    params(("place" = String, Path, description = "服务场所编码 / Place code")),
    responses((status = 200, description = "成功 / OK", body = app::api::types::RateConfig), crate::openapi::Errors),
    security(())
)]
async fn place_config(
    State(state): State<AppState>,
    Path(place): Path<String>,
) -> Result<Json<RateConfig>, ApiError> {
    Ok(Json(static_config(&state, &place, None).await?))
}

#[utoipa::path(
    operation_id = "window_config",
    get,
    path = "/rate/place/{place}/{window}",
    tag = "rate",
    params(("place" = String, Path, description = "服务场所编码 / Place code"), ("window" = String, Path, description = "窗口编码 / Window code")),
    responses((status = 200, description = "成功 / OK", body = app::api::types::RateConfig), crate::openapi::Errors),
    security(())
)]
async fn window_config(
    State(state): State<AppState>,
    Path((place, window)): Path<(String, String)>,
) -> Result<Json<RateConfig>, ApiError> {
    Ok(Json(static_config(&state, &place, Some(&window)).await?))
}

#[utoipa::path(
    operation_id = "link_config",
    get,
    path = "/rate/link/{token}",
    tag = "rate",
    params(("token" = String, Path, description = "一次性评价链接 / Single-use rating link")),
    responses((status = 200, description = "成功 / OK", body = app::api::types::RateConfig), crate::openapi::Errors),
    security(())
)]
async fn link_config(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<RateConfig>, ApiError> {
    Ok(Json(case_link_config(&state, token).await?))
}

/// A rating page's configuration, as its API answers it; also what the
/// server renders the page with.
pub async fn config(state: &AppState, q: &RateQuery) -> Result<RateConfig, ApiError> {
    match &q.token {
        Some(token) => case_link_config(state, token.clone()).await,
        None => static_config(state, &q.place, q.window.as_deref()).await,
    }
}

async fn case_link_config(state: &AppState, token: String) -> Result<RateConfig, ApiError> {
    let claims = link::verify(&state.link_key, &token).map_err(|e| ApiError::NotFound {
        code: e.code(),
        zh: e.message_zh(),
        en: e.message_en(),
    })?;
    let invalid = || ApiError::NotFound {
        code: "link_unknown",
        zh: "评价链接无效，请重新扫码或打开短信中的链接".into(),
        en: "This rating link is not valid".into(),
    };
    let row = state
        .store
        .link(&claims.nonce)
        .await?
        .filter(|l| l.case_id == claims.case_id)
        .ok_or_else(invalid)?;
    let case = state.store.case(row.case_id).await?.ok_or_else(invalid)?;
    let channel = Channel::parse(&row.channel).ok_or_else(invalid)?;
    let mut device = web_config(state, case.place_id).await?;
    device.window_id = case.window_id;
    let stages = match row.stage.as_deref().and_then(Stage::parse) {
        Some(s) => vec![s],
        None if case.stages => Stage::ALL.to_vec(),
        None => vec![],
    };
    Ok(RateConfig {
        device,
        channel,
        window_name: case.window_name,
        case_no: Some(case.case_no),
        service_name: case.service_name,
        stages,
        link: Some(token),
        link_used: row.used_at.is_some(),
        real_name: state.settings.policy.real_name,
    })
}

#[derive(Deserialize)]
pub struct QrQuery {
    /// A path on this server (`/q/…`, `/r/…`, `/kiosk/…`): only our own
    /// links are drawn.
    path: String,
}

/// `GET /qr.svg?path=/q/HALL-DC/W01`: a QR code of this server's link.
pub async fn qr_svg(
    State(state): State<AppState>,
    Query(q): Query<QrQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let ok = q.path.starts_with('/')
        && !q.path.starts_with("//")
        && q.path.len() <= 300
        && q.path.chars().all(|c| c.is_ascii_graphic());
    if !ok {
        return Err(ApiError::Unprocessable {
            code: "qr_path_invalid",
            zh: "只能为本系统的链接生成二维码".into(),
            en: "QR codes are drawn only for this server's links".into(),
        });
    }
    let url = format!("{}{}", state.public_url, q.path);
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| anyhow::anyhow!("qr: {e}"))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "private, max-age=300"),
        ],
        svg,
    ))
}
