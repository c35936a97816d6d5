//! The province's feed of bad ratings (`POST /api/v1/province/bad-ratings`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use domain::sync::ItemStatus;
pub use domain::upstream::InboundBadRating;

/// A batch from the provincial platform: 1 to 500 records.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundBatch {
    pub records: Vec<InboundBadRating>,
}

/// What became of each record, in the batch's order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboundAnswer {
    pub results: Vec<InboundResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InboundResult {
    pub upstream_id: String,
    /// Our rating made of it (its 差评整改 ticket is about this rating).
    pub rating_id: Uuid,
    /// `accepted`, `duplicate` (sent before, same content) or `conflict`
    /// (sent before with other content: the first is kept).
    pub status: ItemStatus,
}
