//! Kiosks and window pads: their configuration, enrolment and administration.

use serde::Deserialize;
use serde::Serialize;
use uuid::Uuid;

/// `GET /api/v1/devices/{code}`: what a kiosk needs to work offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeviceConfig {
    pub device_id: Uuid,
    pub code: String,
    pub kind: String,
    pub place_id: i64,
    pub place_name: String,
    pub window_id: Option<i64>,
    pub dimension_set: String,
    /// Recorded voice prompts on (kiosks and pads; set per device by the
    /// administrator). Absent in configurations cached before it existed.
    #[serde(default)]
    pub voice: bool,
}

/// `POST /api/v1/devices/enrol`: a device trades its one-time code for a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EnrolRequest {
    pub device_code: String,
    pub enrol_code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EnrolResponse {
    /// Sent as `Authorization: Bearer` on every device request.
    pub token: String,
    pub config: DeviceConfig,
}

/// A device as administrators see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeviceView {
    pub code: String,
    pub kind: String,
    pub place_name: String,
    pub window_name: Option<String>,
    /// `waiting` (no token yet), `enrolled` or `revoked`.
    pub state: String,
    pub enrolled_at: Option<i64>,
    /// When the device last spoke to the server (config, sync, pad stream).
    #[serde(default)]
    pub last_seen_at: Option<i64>,
    /// Recorded voice prompts on.
    #[serde(default)]
    pub voice: bool,
}

impl DeviceView {
    /// Enrolled, but silent for more than a day (or never heard from since
    /// enrolment a day ago): staff should look at it.
    pub fn silent(&self, now: i64) -> bool {
        self.state == "enrolled"
            && self
                .last_seen_at
                .or(self.enrolled_at)
                .is_some_and(|t| now - t > DEVICE_SILENT_MS)
    }
}

/// An enrolled kiosk or pad not heard from for this long is flagged.
pub const DEVICE_SILENT_MS: i64 = 24 * 3_600_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RegisterDevice {
    pub code: String,
    /// `kiosk` or `window_pad`.
    pub kind: String,
    pub place_code: String,
    #[serde(default)]
    pub window_code: Option<String>,
    /// The dimension set its ratings offer (`catalog::DIMENSION_SETS`);
    /// the default set when absent.
    #[serde(default)]
    pub dimension_set: Option<String>,
}

/// A one-time enrolment code, shown once to the administrator.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EnrolmentCode {
    pub device_code: String,
    pub enrol_code: String,
    pub expires_at: i64,
    /// Page the device opens to enrol (also shown as a QR code).
    pub path: String,
}
