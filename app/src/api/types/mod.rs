//! The JSON bodies of `/api/v1`, shared by the server and the browser,
//! one module per resource; every type is re-exported here, so
//! `app::api::types::X` names any of them. `docs/api.md` describes the
//! protocol.

use serde::{Deserialize, Serialize};

pub use domain::report::{CellKind, Report, ReportColumn, ReportEntry, ReportRow};

pub mod admin;
pub mod cases;
pub mod devices;
pub mod feedback;
pub mod flags;
pub mod province;
pub mod rate;
pub mod rectify;
pub mod staff;
pub mod sync;
pub mod window;

pub use admin::*;
pub use cases::*;
pub use devices::*;
pub use feedback::*;
pub use flags::*;
pub use province::{
    HotlineAnswer, HotlineBatch, HotlineResult, InboundAnswer, InboundBatch, InboundResult,
    SmsReceipt, SmsReceiptAnswer, SmsReceipts,
};
pub use rate::*;
pub use rectify::*;
pub use staff::*;
pub use sync::*;
pub use window::*;

/// Every error body: a stable code, Chinese first, English available.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub message_en: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ErrorResponse {
    pub error: ErrorBody,
    /// Per-item answers, when the error is about some items of a batch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<ItemResult>,
}
