//! The citizen's feedback on a rectification (`/f/{token}`).

use domain::rectify::Outcome;
use domain::Level;
use serde::Deserialize;
use serde::Serialize;

/// `GET /api/v1/feedback/{token}`: what the citizen is asked to rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedbackView {
    pub place_name: String,
    pub window_name: Option<String>,
    pub opened_at: i64,
    pub outcome: Option<Outcome>,
    pub description: String,
    /// Already rated through this link.
    pub used: bool,
}

/// `POST /api/v1/feedback/{token}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedbackSubmit {
    pub level: Level,
    #[serde(default)]
    pub comment: String,
}
