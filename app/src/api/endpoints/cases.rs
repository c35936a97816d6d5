//! Cases from CSV files (departments on private networks).

use gloo_net::http::Request;

use crate::api::client::{net, read, ClientError, CSRF_HEADER};
use crate::api::types::ImportReport;

/// `POST /api/v1/cases/import`: a slice of a CSV file; `first_line` keeps
/// the report's line numbers those of the whole file.
pub async fn import_csv(
    csrf: &str,
    text: String,
    first_line: usize,
) -> Result<ImportReport, ClientError> {
    let resp = Request::post("/api/v1/cases/import")
        .header(CSRF_HEADER, csrf)
        .header("Content-Type", "text/csv; charset=utf-8")
        .header("X-First-Line", &first_line.to_string())
        .body(text)
        .map_err(net)?
        .send()
        .await
        .map_err(net)?;
    read(resp).await
}
