//! Cases from business systems and CSV files, and per-case rating links.

use super::ErrorBody;
use domain::case::Stage;
use domain::Channel;
use serde::Deserialize;
use serde::Serialize;

/// One case from a business system (`POST /api/v1/cases`) or a CSV row.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CaseIn {
    pub case_no: String,
    pub place_code: String,
    #[serde(default)]
    pub window_code: Option<String>,
    #[serde(default)]
    pub service_item_code: Option<String>,
    #[serde(default)]
    pub staff_username: Option<String>,
    /// `in_service` or `finished`.
    pub status: String,
    #[serde(default)]
    pub stages: bool,
    #[serde(default)]
    pub applicant_phone: Option<String>,
    #[serde(default)]
    pub applicant_id_no: Option<String>,
    /// `person` (自然人) or `organisation` (法人或其他组织).
    #[serde(default)]
    pub applicant_type: Option<String>,
    #[serde(default)]
    pub started_at: Option<i64>,
    #[serde(default)]
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CasesRequest {
    pub cases: Vec<serde_json::Value>,
}

/// Per case: `created`, `updated`, `unchanged` or `rejected` (with the error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CaseResult {
    pub index: usize,
    pub case_no: Option<String>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CasesResponse {
    pub results: Vec<CaseResult>,
}

/// `POST /api/v1/cases/import` (CSV): good rows kept, bad rows listed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImportReport {
    pub rows: usize,
    pub imported: usize,
    pub errors: Vec<RowError>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: usize,
    pub case_no: String,
    pub message: String,
    pub message_en: String,
}

/// A link to rate one case (`POST /api/v1/cases/{id}/links`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LinkRequest {
    pub channel: Channel,
    #[serde(default)]
    pub stage: Option<Stage>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LinkResponse {
    pub token: String,
    /// Path on this server, e.g. `/r/<token>`.
    pub path: String,
}
