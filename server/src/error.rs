//! The server's one error type. Every variant names its status; database
//! and internal errors are logged and answered with a generic message.

use app::api::types::{ErrorBody, ErrorResponse, ItemResult};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the body is not JSON.
    #[error("malformed JSON: {0}")]
    MalformedJson(String),
    /// 413: the body is larger than the route allows.
    #[error("body too large")]
    TooLarge { limit: usize },
    /// 415: not `application/json`.
    #[error("unsupported media type")]
    NotJson,
    /// 422: well-formed but not acceptable; `zh` / `en` are shown to users.
    #[error("{code}: {en}")]
    Unprocessable {
        code: &'static str,
        zh: String,
        en: String,
    },
    /// 422: some items of a batch failed; nothing of the batch was stored.
    #[error("invalid items in batch")]
    InvalidItems {
        total: usize,
        results: Vec<ItemResult>,
    },
    /// 422: some items of a callback's batch (events, receipts) failed;
    /// nothing of it was applied. `zh` / `en` say what the items are.
    #[error("{code}: invalid items in batch")]
    InvalidBatch {
        code: &'static str,
        zh: String,
        en: String,
        results: Vec<ItemResult>,
    },
    /// 401: no valid staff session.
    #[error("not signed in")]
    Unauthorized,
    /// 401: a device without a valid token (not enrolled, or re-enrolled elsewhere).
    #[error("{code}: device not authenticated")]
    DeviceUnauthenticated {
        code: &'static str,
        zh: String,
        en: String,
    },
    /// 403: signed in (or a device), but not allowed.
    #[error("{code}: forbidden")]
    Forbidden {
        code: &'static str,
        zh: String,
        en: String,
    },
    /// 404.
    #[error("{code}: not found")]
    NotFound {
        code: &'static str,
        zh: String,
        en: String,
    },
    /// 409: a uniqueness rule was violated.
    #[error("{code}: conflict")]
    Conflict {
        code: &'static str,
        zh: String,
        en: String,
    },
    /// 429: a rate limit or lockout; `retry_after_secs` goes in `Retry-After`.
    #[error("{code}: too many requests")]
    TooMany {
        code: &'static str,
        retry_after_secs: u64,
        zh: String,
        en: String,
    },
    /// 500: logged in full, answered generically.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unique { what } => ApiError::Conflict {
                code: "already_exists",
                zh: format!("{what}已存在"),
                en: format!("{what} already exists"),
            },
            StoreError::InvalidText => ApiError::Unprocessable {
                code: "invalid_text",
                zh: "输入中含有不允许的字符（如空字符 NUL）".into(),
                en: "The input holds a character that is not allowed (such as NUL)".into(),
            },
            other => ApiError::Internal(other.into()),
        }
    }
}

fn body(code: &str, zh: impl Into<String>, en: impl Into<String>) -> ErrorBody {
    ErrorBody {
        code: code.into(),
        message: zh.into(),
        message_en: en.into(),
    }
}

impl ApiError {
    /// The status and body a client gets (an internal error is logged here).
    pub fn into_parts(self) -> (StatusCode, ErrorResponse) {
        let (status, error, results) = match self {
            ApiError::MalformedJson(detail) => (
                StatusCode::BAD_REQUEST,
                body(
                    "malformed_json",
                    format!("请求内容不是合法的 JSON：{detail}"),
                    format!("The request body is not valid JSON: {detail}"),
                ),
                vec![],
            ),
            ApiError::TooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                body(
                    "body_too_large",
                    format!("请求内容过大（上限 {} KB），请分批发送", limit / 1024),
                    format!("The request body is too large (limit {} KB); send smaller batches", limit / 1024),
                ),
                vec![],
            ),
            ApiError::NotJson => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                body(
                    "not_json",
                    "请求内容类型必须是 application/json",
                    "The request must have Content-Type: application/json",
                ),
                vec![],
            ),
            ApiError::Unprocessable { code, zh, en } => {
                (StatusCode::UNPROCESSABLE_ENTITY, body(code, zh, en), vec![])
            }
            ApiError::InvalidItems { total, results } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                body(
                    "invalid_items",
                    format!(
                        "本批 {total} 条评价中有 {} 条未通过校验，整批未保存；请将这些评价留待人工处理，其余评价重新发送",
                        results.len()
                    ),
                    format!(
                        "{} of {total} ratings in this batch failed validation and nothing was stored; set them aside and resend the rest",
                        results.len()
                    ),
                ),
                results,
            ),
            ApiError::InvalidBatch {
                code,
                zh,
                en,
                results,
            } => (StatusCode::UNPROCESSABLE_ENTITY, body(code, zh, en), results),
            ApiError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                body("not_signed_in", "请先登录", "Please sign in"),
                vec![],
            ),
            ApiError::DeviceUnauthenticated { code, zh, en } => {
                (StatusCode::UNAUTHORIZED, body(code, zh, en), vec![])
            }
            ApiError::Forbidden { code, zh, en } => (StatusCode::FORBIDDEN, body(code, zh, en), vec![]),
            ApiError::NotFound { code, zh, en } => (StatusCode::NOT_FOUND, body(code, zh, en), vec![]),
            ApiError::Conflict { code, zh, en } => (StatusCode::CONFLICT, body(code, zh, en), vec![]),
            ApiError::TooMany { code, zh, en, .. } => (StatusCode::TOO_MANY_REQUESTS, body(code, zh, en), vec![]),
            ApiError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    body(
                        "internal",
                        "服务器内部错误，请稍后重试；数据已保留在设备上",
                        "Internal server error; please retry later. Data stays on the device",
                    ),
                    vec![],
                )
            }
        };
        if status.is_client_error() {
            // A refused request is the client's problem, not an alarm: one
            // short line, whatever size the request was.
            tracing::info!(%status, code = %error.code, message = %truncate(&error.message_en, 300), "request refused");
        }
        (status, ErrorResponse { error, results })
    }
}

/// At most `max` characters of `s`, marked when cut.
pub fn truncate(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match s.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(s),
        Some((i, _)) => {
            std::borrow::Cow::Owned(format!("{}…（共 {} 字）", &s[..i], s.chars().count()))
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry = match &self {
            ApiError::TooMany {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        };
        let (status, body) = self.into_parts();
        let mut resp = (status, Json(body)).into_response();
        if let Some(secs) = retry {
            if let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string()) {
                resp.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, v);
            }
        }
        resp
    }
}
