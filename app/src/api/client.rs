//! The browser's HTTP client for `/api/v1`: the generic helpers (JSON
//! `GET`/`POST`/`PUT`/`DELETE`, CSV and file bodies, error reading) that the
//! typed functions of `api::endpoints` call, one per endpoint. Only called
//! from effects and event handlers, never while rendering on the server.

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;

use super::types::{ErrorBody, ErrorResponse};

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

pub(crate) async fn read<T: DeserializeOwned>(resp: Response) -> Result<T, ClientError> {
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

pub(crate) fn net(e: gloo_net::Error) -> ClientError {
    ClientError::Network(e.to_string())
}

pub(crate) async fn post_json<B: serde::Serialize, T: DeserializeOwned>(
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

pub(crate) async fn get_json<T: DeserializeOwned>(url: &str) -> Result<T, ClientError> {
    let resp = Request::get(url).send().await.map_err(net)?;
    read(resp).await
}

/// `encodeURIComponent`.
pub(crate) fn enc(s: &str) -> String {
    js_sys::encode_uri_component(s).into()
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
pub(crate) fn refused(code: &str, message: String, message_en: String) -> ClientError {
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
