//! `/api/v1`: one module per resource, each with its own `router()`.

pub mod admin;
pub mod cases;
mod csv_file;
pub mod devices;
pub mod hotline;
pub mod org;
pub mod province;
pub mod rate;
pub mod rectify;
pub mod reports;
pub mod staff;
pub mod sync;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

use crate::state::AppState;

/// `/api/v1` and its description at `/api/v1/openapi.json`: every route
/// is registered through `utoipa_axum::routes!`, which reads its path from
/// the handler's `#[utoipa::path]`, so the two cannot disagree.
pub fn api_router() -> Router<AppState> {
    let (router, doc) = OpenApiRouter::new()
        .nest("/api/v1", routes())
        .split_for_parts();
    let json = crate::openapi::document(doc)
        .to_json()
        .expect("the OpenAPI document serialises");
    // Serialised once; each answer shares the bytes.
    let json = axum::body::Bytes::from(json);
    router.route(
        "/api/v1/openapi.json",
        axum::routing::get(move || {
            let json = json.clone();
            async move {
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    json,
                )
            }
        }),
    )
}

/// A route with its own body limit.
fn limited(
    (schemas, paths, method): UtoipaMethodRouter<AppState>,
    bytes: usize,
) -> UtoipaMethodRouter<AppState> {
    (schemas, paths, method.layer(DefaultBodyLimit::max(bytes)))
}

fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(sync::router())
        .merge(devices::router())
        .merge(staff::router())
        .merge(cases::router())
        .merge(rate::router())
        .merge(admin::router())
        .merge(org::router())
        .merge(org::staff_router())
        .merge(rectify::router())
        .merge(reports::router())
        .merge(province::router())
        .merge(hotline::router())
}

/// Reads a JSON body with our own errors (Chinese first) instead of axum's
/// plain-text rejections.
pub(crate) fn json_body<T: serde::de::DeserializeOwned>(
    headers: &axum::http::HeaderMap,
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
    limit: usize,
) -> Result<T, crate::error::ApiError> {
    use crate::error::ApiError;
    let is_json = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
    if !is_json {
        return Err(ApiError::NotJson);
    }
    let bytes = body.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge { limit }
        } else {
            ApiError::MalformedJson(e.body_text())
        }
    })?;
    let de = &mut serde_json::Deserializer::from_slice(&bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        // The parser quotes the offending value: a huge one is cut short
        // (it goes back to the client and into the log).
        let path = crate::error::truncate(&e.path().to_string(), 100).into_owned();
        let inner = e.into_inner();
        let detail = crate::error::truncate(&inner.to_string(), 200).into_owned();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::MalformedJson(detail)
        } else {
            ApiError::Unprocessable {
                code: "invalid_field",
                zh: format!("字段“{path}”的类型或取值不正确：{detail}"),
                en: format!("Field '{path}' has the wrong type or value: {detail}"),
            }
        }
    })
}
