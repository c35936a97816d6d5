//! The bad-rating closed loop (整改闭环), `/api/v1/loop/…`.

use gloo_net::http::Request;

use crate::api::client::{
    enc, net, read, refused, staff_get, staff_post, ClientError, CSRF_HEADER,
};
use crate::api::types::{
    CommonArchive, CommonArchiveResult, CommonOverview, CommonView, EvidenceView, MyTicketView,
    NewCommon, Revealed, SampleView, StepRequest, TicketDetail, TicketList,
};
use domain::rectify::Status;

/// Which tickets `GET /api/v1/loop/tickets` lists: any of `statuses` (all
/// when empty), only overdue ones, and a page of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TicketQuery {
    pub statuses: Vec<Status>,
    pub overdue: bool,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The list's address for `q`.
pub fn tickets_url(q: &TicketQuery) -> String {
    let mut params: Vec<String> = Vec::new();
    if !q.statuses.is_empty() {
        let codes: Vec<&str> = q.statuses.iter().map(|s| s.as_str()).collect();
        params.push(format!("status={}", codes.join(",")));
    }
    if q.overdue {
        params.push("overdue=1".into());
    }
    if let Some(l) = q.limit {
        params.push(format!("limit={l}"));
    }
    if let Some(o) = q.offset {
        params.push(format!("offset={o}"));
    }
    let base = "/api/v1/loop/tickets";
    if params.is_empty() {
        base.into()
    } else {
        format!("{base}?{}", params.join("&"))
    }
}

/// `GET /api/v1/loop/tickets?…`.
pub async fn tickets(q: &TicketQuery) -> Result<TicketList, ClientError> {
    staff_get(&tickets_url(q)).await
}

/// `GET /api/v1/loop/tickets/{id}`.
pub async fn ticket(id: i64) -> Result<TicketDetail, ClientError> {
    staff_get(&format!("/api/v1/loop/tickets/{id}")).await
}

/// `POST /api/v1/loop/tickets/{id}/steps`: one step and its note.
pub async fn step(csrf: &str, id: i64, req: &StepRequest) -> Result<TicketDetail, ClientError> {
    staff_post(&format!("/api/v1/loop/tickets/{id}/steps"), csrf, req).await
}

/// `POST /api/v1/loop/tickets/{id}/reveal`: the full phone number (logged).
pub async fn reveal(csrf: &str, id: i64) -> Result<Revealed, ClientError> {
    staff_post(
        &format!("/api/v1/loop/tickets/{id}/reveal"),
        csrf,
        &serde_json::json!({}),
    )
    .await
}

/// `POST /api/v1/loop/tickets/{id}/evidence?purpose=`: one evidence file
/// (`purpose` is `archive` or `appeal`), sent as the raw body. Type and size
/// are checked here first, with the server's limits and messages; the
/// server checks again (and the content).
pub async fn upload_evidence(
    ticket_id: i64,
    purpose: &str,
    file: web_sys::File,
    csrf: &str,
) -> Result<EvidenceView, ClientError> {
    use domain::rectify::{EvidenceError, EvidenceType, EVIDENCE_MAX_BYTES};
    let check = |e: EvidenceError| refused(e.code(), e.message_zh(), e.message_en());
    let content_type = file.type_();
    if EvidenceType::parse(&content_type).is_none() {
        return Err(check(EvidenceError::TypeNotAllowed));
    }
    let size = file.size();
    if size <= 0.0 {
        return Err(check(EvidenceError::Empty));
    }
    if size > EVIDENCE_MAX_BYTES as f64 {
        return Err(check(EvidenceError::TooLarge));
    }
    let url = format!(
        "/api/v1/loop/tickets/{ticket_id}/evidence?purpose={}",
        enc(purpose)
    );
    let resp = Request::post(&url)
        .header(CSRF_HEADER, csrf)
        .header("Content-Type", &content_type)
        .header("X-File-Name", &enc(&file.name()))
        .body(file)
        .map_err(net)?
        .send()
        .await
        .map_err(net)?;
    read(resp).await
}

/// `GET /api/v1/loop/evidence/{id}`: an evidence file, for a link.
pub fn evidence_url(id: i64) -> String {
    format!("/api/v1/loop/evidence/{id}")
}

/// `from=…&to=…` (`YYYY-MM-DD`, trimmed and encoded).
fn period(from: &str, to: &str) -> String {
    format!("from={}&to={}", enc(from.trim()), enc(to.trim()))
}

/// `GET /api/v1/loop/sample?from=&to=`: the supervisor's spot-check sample.
pub async fn sample(from: &str, to: &str) -> Result<SampleView, ClientError> {
    staff_get(&format!("/api/v1/loop/sample?{}", period(from, to))).await
}

/// `GET /api/v1/loop/common?from=&to=`: suggested and existing groups.
pub async fn common(from: &str, to: &str) -> Result<CommonOverview, ClientError> {
    staff_get(&format!("/api/v1/loop/common?{}", period(from, to))).await
}

/// `POST /api/v1/loop/common`: merge tickets into one common problem.
pub async fn new_common(csrf: &str, req: &NewCommon) -> Result<CommonView, ClientError> {
    staff_post("/api/v1/loop/common", csrf, req).await
}

/// `POST /api/v1/loop/common/{id}/archive`: one rectification for all.
pub async fn archive_common(
    csrf: &str,
    id: i64,
    req: &CommonArchive,
) -> Result<CommonArchiveResult, ClientError> {
    staff_post(&format!("/api/v1/loop/common/{id}/archive"), csrf, req).await
}

/// `GET /api/v1/loop/ledger?from=&to=&format=`: the 整改台账 download
/// (`format` is `xlsx` or `csv`; the dates are passed as typed).
pub fn ledger_url(from: &str, to: &str, format: &str) -> String {
    format!("/api/v1/loop/ledger?from={from}&to={to}&format={format}")
}

/// `GET /api/v1/loop/events`: server-sent events, one `ticket` per new
/// bad rating.
pub const EVENTS_URL: &str = "/api/v1/loop/events";

/// `GET /api/v1/loop/mine`: the window clerk's own tickets.
pub async fn mine() -> Result<Vec<MyTicketView>, ClientError> {
    staff_get("/api/v1/loop/mine").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_lists_ask_for_their_statuses_and_page() {
        assert_eq!(tickets_url(&TicketQuery::default()), "/api/v1/loop/tickets");
        let review = TicketQuery {
            statuses: vec![
                Status::PendingReview,
                Status::Appealed,
                Status::ExtensionRequested,
            ],
            ..Default::default()
        };
        assert_eq!(
            tickets_url(&review),
            "/api/v1/loop/tickets?status=pending_review,appealed,extension_requested"
        );
        let overdue = TicketQuery {
            overdue: true,
            limit: Some(50),
            offset: Some(100),
            ..Default::default()
        };
        assert_eq!(
            tickets_url(&overdue),
            "/api/v1/loop/tickets?overdue=1&limit=50&offset=100"
        );
        let first = TicketQuery {
            limit: Some(1),
            ..Default::default()
        };
        assert_eq!(tickets_url(&first), "/api/v1/loop/tickets?limit=1");
    }
}
