use app::api::types::DeviceConfig;
use axum::extract::{Path, State};
use axum::routing::get;
use axum::{Json, Router};
use uuid::Uuid;

use crate::error::ApiError;
use crate::startup::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/devices/{code}", get(device_config))
}

/// What a registered kiosk or pad needs to rate offline.
#[tracing::instrument(skip_all, err, fields(code = %code))]
async fn device_config(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Json<DeviceConfig>, ApiError> {
    let device = state
        .store
        .device_by_code(&code)
        .await?
        .filter(|d| d.active)
        .ok_or_else(|| ApiError::NotFound {
            code: "device_not_found",
            zh: format!("设备“{code}”未登记或已停用"),
            en: format!("Device '{code}' is not registered or was deactivated"),
        })?;
    let device_id = Uuid::parse_str(&device.id).map_err(|e| anyhow::anyhow!("device id: {e}"))?;
    Ok(Json(DeviceConfig {
        device_id,
        code: device.code,
        kind: device.kind,
        place_id: device.place_id,
        place_name: device.place_name,
        window_id: device.window_id,
        dimension_set: device.dimension_set,
    }))
}
