//! Flagged ratings (supervisors).

use crate::api::client::{enc, get_json, staff_post, ClientError};
use crate::api::types::{FlagList, FlagReview, FlagReviewResult};

/// `GET /api/v1/flags[?status=pending|reviewed]`; without a status, the
/// server's default list (and its pending count).
pub async fn flags(status: Option<&str>) -> Result<FlagList, ClientError> {
    match status {
        Some(s) => get_json(&format!("/api/v1/flags?status={}", enc(s))).await,
        None => get_json("/api/v1/flags").await,
    }
}

/// `POST /api/v1/flags/review`.
pub async fn review_flags(csrf: &str, body: &FlagReview) -> Result<FlagReviewResult, ClientError> {
    staff_post("/api/v1/flags/review", csrf, body).await
}
