//! The province's feed of bad ratings (`POST /api/v1/province/bad-ratings`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use domain::sync::ItemStatus;
pub use domain::upstream::InboundBadRating;

/// A batch from the provincial platform: 1 to 500 records.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InboundBatch {
    pub records: Vec<InboundBadRating>,
}

/// What became of each record, in the batch's order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InboundAnswer {
    pub results: Vec<InboundResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct InboundResult {
    pub upstream_id: String,
    /// Our rating made of it (its 差评整改 ticket is about this rating).
    pub rating_id: Uuid,
    /// `accepted`, `duplicate` (sent before, same content) or `conflict`
    /// (sent before with other content: the first is kept).
    pub status: ItemStatus,
}

/// `POST /api/v1/hotline/events`: what the 12345 hotline did with our
/// work orders, in the order it happened.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HotlineBatch {
    pub events: Vec<domain::hotline::HotlineEvent>,
}

/// What became of each event, in the batch's order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HotlineAnswer {
    pub results: Vec<HotlineResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HotlineResult {
    pub id: String,
    /// `applied`, `duplicate` (applied before), `conflict` (other content
    /// under a known id: the first stands) or `rejected` (see `error`; the
    /// event may be sent again once the ticket allows it).
    pub status: String,
    /// The ticket's state after the event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_status: Option<domain::rectify::Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<super::ErrorBody>,
}

/// `POST /api/v1/sms/receipts`: the SMS gateway's delivery receipts.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SmsReceipts {
    pub receipts: Vec<SmsReceipt>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SmsReceipt {
    /// The gateway's id of the message (its answer when we sent it).
    pub message_id: String,
    /// `delivered` or `failed`.
    pub status: String,
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SmsReceiptAnswer {
    /// Per receipt, in order: `updated` or `unknown` (no message has that id).
    pub results: Vec<String>,
}
