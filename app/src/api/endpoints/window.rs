//! Window service (开始服务 / 办结) and the window pad's event stream.

use crate::api::client::{enc, staff_get, staff_post, ClientError};
use crate::api::types::{CaseView, StartService, StartedService};

/// `GET /api/v1/staff/cases`: the window's recent cases.
pub async fn cases() -> Result<Vec<CaseView>, ClientError> {
    staff_get("/api/v1/staff/cases").await
}

/// `POST /api/v1/staff/service`: 开始服务.
pub async fn start_service(csrf: &str, req: &StartService) -> Result<StartedService, ClientError> {
    staff_post("/api/v1/staff/service", csrf, req).await
}

/// `POST /api/v1/staff/service/{id}/finish`: 办结.
pub async fn finish_service(csrf: &str, id: i64) -> Result<CaseView, ClientError> {
    staff_post(&format!("/api/v1/staff/service/{id}/finish"), csrf, &()).await
}

/// `GET /api/v1/pad/events?token=`: the pad's server-sent events.
pub fn pad_events_url(token: &str) -> String {
    format!("/api/v1/pad/events?token={}", enc(token))
}
