//! Phone and PC rating pages (`/api/v1/rate/…`).

use super::devices::DeviceConfig;
use domain::case::RealName;
use domain::case::Stage;
use domain::Channel;
use serde::Deserialize;
use serde::Serialize;

/// What a phone or PC page needs to rate: from a static QR code
/// (`GET /api/v1/rate/place/{place}[/{window}]`) or a case link
/// (`GET /api/v1/rate/link/{token}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RateConfig {
    pub device: DeviceConfig,
    pub channel: Channel,
    pub window_name: Option<String>,
    pub case_no: Option<String>,
    pub service_name: Option<String>,
    /// Stages the citizen may rate apart (empty: the case as a whole).
    pub stages: Vec<Stage>,
    pub link: Option<String>,
    /// The link was used already: a rating now is a 追加评价.
    pub link_used: bool,
    pub real_name: RealName,
}
