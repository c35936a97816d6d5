//! Window service (开始服务 / 办结) and what the window pad is pushed.

use serde::Deserialize;
use serde::Serialize;

/// Window staff start serving a citizen (开始服务).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StartService {
    #[serde(default)]
    pub case_no: Option<String>,
    #[serde(default)]
    pub service_item_code: Option<String>,
    #[serde(default)]
    pub applicant_phone: Option<String>,
}

/// A case as window staff see it: never the applicant's phone or ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CaseView {
    pub id: i64,
    pub case_no: String,
    pub status: String,
    pub service_name: Option<String>,
    pub window_name: Option<String>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StartedService {
    pub case: CaseView,
    /// The window's pad is connected: the case is on its screen now.
    pub pad_online: bool,
    /// When the pad is not connected: a per-case link to show as a QR code.
    pub qr_path: Option<String>,
}

/// Pushed to a window pad (server-sent events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PadEvent {
    /// 开始服务: a citizen is being served; the pad shows who serves them
    /// and the case (no rating yet).
    Serving(PadCase),
    /// 办结: rate this case. The prompt stays until the citizen rates or
    /// the clerk starts the next case.
    Rate(PadCase),
    /// Nothing in service and nothing to rate: the welcome screen.
    Idle,
}

/// The case on a window pad and the clerk serving it (shown to the
/// citizen, as on the window's 公示牌).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PadCase {
    pub case_id: i64,
    pub case_no: String,
    pub service_name: Option<String>,
    pub window_name: Option<String>,
    pub staff_name: Option<String>,
    /// 工号
    pub staff_no: Option<String>,
    /// `/api/v1/photos/{id}` when the clerk's photo was uploaded.
    pub photo_url: Option<String>,
}
