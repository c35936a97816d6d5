//! Flagged ratings and their review.

use domain::Channel;
use domain::Level;
use serde::Deserialize;
use serde::Serialize;

/// A rating flagged as possible misuse, as the review screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FlagView {
    pub rating_id: String,
    pub rated_at: i64,
    pub channel: Channel,
    pub level: Level,
    pub place_name: String,
    pub window_name: Option<String>,
    pub device_code: String,
    /// Masked (138****5678).
    pub evaluator_phone: Option<String>,
    /// `self_evaluation`, `batch_phone`, `device_burst`.
    pub reasons: Vec<String>,
    /// The reasons in Chinese, with what was seen.
    pub detail: String,
    pub flagged_at: i64,
    /// `None` until reviewed; then `genuine` or `fraud`.
    pub verdict: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<i64>,
    pub review_note: Option<String>,
}

/// `GET /api/v1/flags?status=pending|reviewed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FlagList {
    pub flags: Vec<FlagView>,
    pub pending: u64,
}

/// `POST /api/v1/flags/review`: a supervisor's decision on flagged ratings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FlagReview {
    pub rating_ids: Vec<String>,
    /// `genuine` (counted again) or `fraud` (stays out of every figure).
    pub verdict: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FlagReviewResult {
    pub reviewed: u64,
}
