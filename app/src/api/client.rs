//! The browser's HTTP client for `/api/v1`. Only called from effects and
//! event handlers, never while rendering on the server.

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;

use super::types::*;

pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// What can go wrong talking to the server.
#[derive(Debug, Clone)]
pub enum ClientError {
    /// No answer at all: offline, server down, connection cut.
    Network(String),
    /// The server answered with an error body.
    Api { status: u16, body: ErrorResponse },
    /// The server answered something we cannot read (a proxy page, say).
    Unexpected { status: u16 },
}

impl ClientError {
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Network(_) => None,
            ClientError::Api { status, .. } | ClientError::Unexpected { status } => Some(*status),
        }
    }

    /// A sentence for the screen, Chinese first.
    pub fn message(&self) -> String {
        match self {
            ClientError::Network(_) => "无法连接服务器（网络中断或服务器未启动）".into(),
            ClientError::Api { body, .. } => body.error.message.clone(),
            ClientError::Unexpected { status } => format!("服务器返回了无法识别的应答（{status}）"),
        }
    }
}

async fn read<T: DeserializeOwned>(resp: Response) -> Result<T, ClientError> {
    let status = resp.status();
    if resp.ok() {
        return resp
            .json::<T>()
            .await
            .map_err(|_| ClientError::Unexpected { status });
    }
    match resp.json::<ErrorResponse>().await {
        Ok(body) => Err(ClientError::Api { status, body }),
        Err(_) => Err(ClientError::Unexpected { status }),
    }
}

fn net(e: gloo_net::Error) -> ClientError {
    ClientError::Network(e.to_string())
}

async fn post_json<B: serde::Serialize, T: DeserializeOwned>(
    url: &str,
    body: &B,
) -> Result<T, ClientError> {
    let resp = Request::post(url)
        .json(body)
        .map_err(net)?
        .send()
        .await
        .map_err(net)?;
    read(resp).await
}

async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ClientError> {
    let resp = Request::get(url).send().await.map_err(net)?;
    read(resp).await
}

/// `POST` with the device's bearer token (kiosks and pads) if it has one.
pub async fn sync(req: &SyncRequest, token: Option<&str>) -> Result<SyncResponse, ClientError> {
    let mut r = Request::post("/api/v1/sync");
    if let Some(t) = token {
        r = r.header("Authorization", &format!("Bearer {t}"));
    }
    let resp = r.json(req).map_err(net)?.send().await.map_err(net)?;
    read(resp).await
}

fn enc(s: &str) -> String {
    js_sys::encode_uri_component(s).into()
}

pub async fn device_config(code: &str, token: Option<&str>) -> Result<DeviceConfig, ClientError> {
    let mut r = Request::get(&format!("/api/v1/devices/{}", enc(code)));
    if let Some(t) = token {
        r = r.header("Authorization", &format!("Bearer {t}"));
    }
    read(r.send().await.map_err(net)?).await
}

pub async fn enrol(req: &EnrolRequest) -> Result<EnrolResponse, ClientError> {
    post_json("/api/v1/devices/enrol", req).await
}

pub async fn rate_config(
    place: &str,
    window: Option<&str>,
    link: Option<&str>,
) -> Result<RateConfig, ClientError> {
    let url = match (link, window) {
        (Some(l), _) => format!("/api/v1/rate/link/{}", enc(l)),
        (None, Some(w)) => format!("/api/v1/rate/place/{}/{}", enc(place), enc(w)),
        (None, None) => format!("/api/v1/rate/place/{}", enc(place)),
    };
    get_json(&url).await
}

/// A staff request with the session's CSRF token.
pub async fn staff_post<B: serde::Serialize, T: DeserializeOwned>(
    url: &str,
    csrf: &str,
    body: &B,
) -> Result<T, ClientError> {
    let resp = Request::post(url)
        .header(CSRF_HEADER, csrf)
        .json(body)
        .map_err(net)?
        .send()
        .await
        .map_err(net)?;
    read(resp).await
}

pub async fn staff_put<B: serde::Serialize, T: DeserializeOwned>(
    url: &str,
    csrf: &str,
    body: &B,
) -> Result<T, ClientError> {
    let resp = Request::put(url)
        .header(CSRF_HEADER, csrf)
        .json(body)
        .map_err(net)?
        .send()
        .await
        .map_err(net)?;
    read(resp).await
}

/// A whole CSV file (the organisation tree).
pub async fn post_csv<T: DeserializeOwned>(
    url: &str,
    csrf: &str,
    text: String,
) -> Result<T, ClientError> {
    let resp = Request::post(url)
        .header(CSRF_HEADER, csrf)
        .header("Content-Type", "text/csv; charset=utf-8")
        .body(text)
        .map_err(net)?
        .send()
        .await
        .map_err(net)?;
    read(resp).await
}

pub async fn staff_get<T: DeserializeOwned>(url: &str) -> Result<T, ClientError> {
    get_json(url).await
}

/// A slice of a CSV file; `first_line` keeps the report's line numbers
/// those of the whole file.
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

pub async fn login(req: &LoginRequest) -> Result<StaffSession, ClientError> {
    post_json("/api/v1/staff/login", req).await
}

pub async fn me() -> Result<StaffSession, ClientError> {
    get_json("/api/v1/staff/me").await
}

pub async fn logout(csrf_token: &str) -> Result<(), ClientError> {
    let resp = Request::post("/api/v1/staff/logout")
        .header(CSRF_HEADER, csrf_token)
        .send()
        .await
        .map_err(net)?;
    read::<serde::de::IgnoredAny>(resp).await.map(|_| ())
}

pub async fn inbox() -> Result<Vec<RatingView>, ClientError> {
    get_json("/api/v1/staff/inbox").await
}

pub async fn suggestions() -> Result<crate::api::types::SuggestionList, ClientError> {
    get_json("/api/v1/staff/suggestions").await
}

/// `DELETE` with the session's CSRF token; success is any 2xx (204 here).
pub async fn staff_delete(url: &str, csrf: &str) -> Result<(), ClientError> {
    let resp = Request::delete(url)
        .header(CSRF_HEADER, csrf)
        .send()
        .await
        .map_err(net)?;
    if resp.ok() {
        return Ok(());
    }
    read::<serde::de::IgnoredAny>(resp).await.map(|_| ())
}

/// An error found before sending, shaped like the server's answer.
fn refused(code: &str, message: String, message_en: String) -> ClientError {
    ClientError::Api {
        status: 422,
        body: ErrorResponse {
            error: ErrorBody {
                code: code.into(),
                message,
                message_en,
            },
            results: vec![],
        },
    }
}

/// One evidence file for a ticket (`purpose` is `archive` or `appeal`),
/// sent as the raw body. Type and size are checked here first, with the
/// server's limits and messages; the server checks again (and the content).
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

/// A file sent as the raw body with its own content type (a staff photo).
pub async fn upload_file(url: &str, csrf: &str, file: &web_sys::File) -> Result<(), ClientError> {
    let resp = Request::post(url)
        .header(CSRF_HEADER, csrf)
        .header("Content-Type", &file.type_())
        .body(file.clone())
        .map_err(net)?
        .send()
        .await
        .map_err(net)?;
    read::<serde::de::IgnoredAny>(resp).await.map(|_| ())
}

/// The citizen's feedback link (`/f/{token}`): no session.
pub async fn feedback_view(token: &str) -> Result<FeedbackView, ClientError> {
    get_json(&format!("/api/v1/feedback/{}", enc(token))).await
}

pub async fn feedback_submit(token: &str, body: &FeedbackSubmit) -> Result<(), ClientError> {
    post_json::<_, serde::de::IgnoredAny>(&format!("/api/v1/feedback/{}", enc(token)), body)
        .await
        .map(|_| ())
}

/// The 通报 tables there are (`GET /api/v1/reports`).
pub async fn reports() -> Result<Vec<ReportEntry>, ClientError> {
    get_json("/api/v1/reports").await
}

/// One 通报 table; `query` is already encoded (`quarter=2026-Q4&district=3`).
pub async fn report(code: &str, query: &str) -> Result<Report, ClientError> {
    get_json(&format!("/api/v1/reports/{}?{query}", enc(code))).await
}

/// The trend beside a table: months and the hour × weekday heat map.
pub async fn trend(code: &str, query: &str) -> Result<domain::trend::Trend, ClientError> {
    get_json(&format!("/api/v1/reports/{}/trend?{query}", enc(code))).await
}

/// 评价结果全公开: no session.
pub async fn public_results(query: &str) -> Result<Report, ClientError> {
    get_json(&format!("/api/v1/public/results?{query}")).await
}

/// Flagged ratings, `pending` or `reviewed`.
pub async fn flags(status: &str) -> Result<FlagList, ClientError> {
    get_json(&format!("/api/v1/flags?status={}", enc(status))).await
}

pub async fn review_flags(csrf: &str, body: &FlagReview) -> Result<FlagReviewResult, ClientError> {
    staff_post("/api/v1/flags/review", csrf, body).await
}
