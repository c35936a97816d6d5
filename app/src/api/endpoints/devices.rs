//! Kiosks and window pads: a device's own configuration and enrolment, and
//! their administration (`/api/v1/admin/devices`).

use gloo_net::http::Request;
use serde::de::IgnoredAny;

use super::done;
use crate::api::client::{enc, net, post_json, read, staff_get, staff_post, ClientError};
use crate::api::types::{
    DeviceConfig, DeviceView, EnrolRequest, EnrolResponse, EnrolmentCode, RegisterDevice,
};

/// `GET /api/v1/devices/{code}`, with the device's token if it has one.
pub async fn device_config(code: &str, token: Option<&str>) -> Result<DeviceConfig, ClientError> {
    let mut r = Request::get(&format!("/api/v1/devices/{}", enc(code)));
    if let Some(t) = token {
        r = r.header("Authorization", &format!("Bearer {t}"));
    }
    read(r.send().await.map_err(net)?).await
}

/// `POST /api/v1/devices/enrol`: the one-time code for a token.
pub async fn enrol(req: &EnrolRequest) -> Result<EnrolResponse, ClientError> {
    post_json("/api/v1/devices/enrol", req).await
}

/// `GET /api/v1/admin/devices`.
pub async fn devices() -> Result<Vec<DeviceView>, ClientError> {
    staff_get("/api/v1/admin/devices").await
}

/// `POST /api/v1/admin/devices`: register a device, with its first code.
pub async fn register_device(
    csrf: &str,
    req: &RegisterDevice,
) -> Result<EnrolmentCode, ClientError> {
    staff_post("/api/v1/admin/devices", csrf, req).await
}

/// `POST /api/v1/admin/devices/{code}/enrolment`: a new one-time code.
pub async fn new_enrolment(csrf: &str, code: &str) -> Result<EnrolmentCode, ClientError> {
    staff_post(
        &format!("/api/v1/admin/devices/{code}/enrolment"),
        csrf,
        &(),
    )
    .await
}

/// `POST /api/v1/admin/devices/{code}/revoke`.
pub async fn revoke_device(csrf: &str, code: &str) -> Result<(), ClientError> {
    done(
        staff_post::<_, IgnoredAny>(&format!("/api/v1/admin/devices/{code}/revoke"), csrf, &())
            .await,
    )
}

/// `POST /api/v1/admin/devices/{code}/voice`: spoken prompts on or off.
pub async fn set_device_voice(csrf: &str, code: &str, voice: bool) -> Result<(), ClientError> {
    done(
        staff_post::<_, IgnoredAny>(
            &format!("/api/v1/admin/devices/{code}/voice"),
            csrf,
            &serde_json::json!({ "voice": voice }),
        )
        .await,
    )
}
