//! Offline rating upload (`POST /api/v1/sync`).

use super::ErrorBody;
use domain::case::RatingKind;
use domain::sync::ItemStatus;
use domain::RatingRecord;
use serde::Deserialize;
use serde::Serialize;
use uuid::Uuid;

/// `POST /api/v1/sync`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SyncRequest {
    pub device_id: Uuid,
    /// The device's clock when it sent the batch (ms since the epoch).
    pub sent_at: i64,
    pub items: Vec<RatingRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ItemResult {
    /// Position in the batch.
    pub index: usize,
    /// `None` only when the item's id itself could not be read.
    pub id: Option<Uuid>,
    pub status: ItemStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// For a stored item: first rating, or 追加评价 of a case already rated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<RatingKind>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SyncResponse {
    pub server_time: i64,
    pub results: Vec<ItemResult>,
}
