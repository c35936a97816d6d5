//! The 通报 tables, their trends and the public results.

use crate::api::client::{enc, get_json, ClientError};
use crate::api::types::{Report, ReportEntry};
use crate::widgets::report::Period;

/// A table's parameters besides its code: the period and whatever a
/// drill-down carried (`district=3`), passed on as they are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportQuery {
    pub period: Period,
    pub params: Vec<(String, String)>,
}

/// `district=3&window=5`, encoded.
pub fn encode_params(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl ReportQuery {
    /// `quarter=2026-Q4&district=3`, encoded.
    pub fn query(&self) -> String {
        let e = encode_params(&self.params);
        if e.is_empty() {
            self.period.query()
        } else {
            format!("{}&{e}", self.period.query())
        }
    }
}

/// `GET /api/v1/reports`: the 通报 tables there are.
pub async fn reports() -> Result<Vec<ReportEntry>, ClientError> {
    get_json("/api/v1/reports").await
}

/// `GET /api/v1/reports/{code}?…`: one 通报 table.
pub async fn report(code: &str, q: &ReportQuery) -> Result<Report, ClientError> {
    get_json(&format!("/api/v1/reports/{}?{}", enc(code), q.query())).await
}

/// `GET /api/v1/reports/{code}/trend?…`: months and the hour × weekday heat map.
pub async fn trend(code: &str, q: &ReportQuery) -> Result<domain::trend::Trend, ClientError> {
    get_json(&format!(
        "/api/v1/reports/{}/trend?{}",
        enc(code),
        q.query()
    ))
    .await
}

/// `GET /api/v1/reports/{code}?…&format=`: the table as a download
/// (`xlsx` or `csv`). Without a period yet (before hydration) the period
/// part is empty.
pub fn report_export_url(
    code: &str,
    period: Option<&Period>,
    params: &[(String, String)],
    format: &str,
) -> String {
    let p = period.map(Period::query).unwrap_or_default();
    let e = encode_params(params);
    let mut href = format!("/api/v1/reports/{}?{p}", enc(code));
    if !e.is_empty() {
        href.push('&');
        href.push_str(&e);
    }
    href.push_str(&format!("&format={format}"));
    href
}

/// `GET /api/v1/public/results?…` (评价结果全公开): no session.
pub async fn public_results(period: &Period) -> Result<Report, ClientError> {
    get_json(&format!("/api/v1/public/results?{}", period.query())).await
}
