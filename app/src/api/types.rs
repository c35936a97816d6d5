//! The JSON bodies of `/api/v1`, shared by the server and the browser.
//! `docs/api.md` describes the protocol.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::sync::ItemStatus;
use crate::domain::{Channel, Level, RatingRecord, ReasonTag};

/// Every error body: a stable code, Chinese first, English available.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub message_en: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub error: ErrorBody,
    /// Per-item answers, when the error is about some items of a batch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<ItemResult>,
}

/// `POST /api/v1/sync`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncRequest {
    pub device_id: Uuid,
    /// The device's clock when it sent the batch (ms since the epoch).
    pub sent_at: i64,
    pub items: Vec<RatingRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    /// Position in the batch.
    pub index: usize,
    /// `None` only when the item's id itself could not be read.
    pub id: Option<Uuid>,
    pub status: ItemStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncResponse {
    pub server_time: i64,
    pub results: Vec<ItemResult>,
}

/// `GET /api/v1/devices/{code}`: what a kiosk needs to work offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceConfig {
    pub device_id: Uuid,
    pub code: String,
    pub kind: String,
    pub place_id: i64,
    pub place_name: String,
    pub window_id: Option<i64>,
    pub dimension_set: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// The signed-in staff member, with the token every unsafe request must echo
/// in the `X-CSRF-Token` header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffSession {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit_name: String,
    pub csrf_token: String,
}

/// A rating as staff see it. It carries no evaluator identity by construction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatingView {
    pub id: Uuid,
    pub rated_at: i64,
    pub received_at: i64,
    pub channel: Channel,
    pub level: Level,
    pub place_name: String,
    pub window_name: Option<String>,
    pub case_no: Option<String>,
    pub reasons: Vec<ReasonTag>,
    pub comment: String,
}

/// `GET /api/v1/staff/summary`: counts in the caller's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub ratings: i64,
    pub bad: i64,
}
