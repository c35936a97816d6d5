//! The machine-readable description of `/api/v1`, served at
//! `/api/v1/openapi.json` (utoipa). Paths come from the handlers'
//! `#[utoipa::path]` and are registered with the router by the same macro
//! (`utoipa_axum::routes!`), so a route cannot exist without its entry;
//! schemas are derived from the wire types (`app::api::types`, and the
//! domain's, behind its `openapi` feature). This module adds what is the
//! document's own: title, the four kinds of credential, the tags.

use std::collections::BTreeMap;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use utoipa::openapi::{
    ContentBuilder, OpenApi as Document, Ref, RefOr, Response, ResponseBuilder, Schema,
};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "好差评 API",
        version = "1",
        description = "政务服务“好差评”系统的接口：评价终端同步、办件推送、差评整改、统计报表、省平台与12345对接。\
错误均为 `{\"error\": {\"code\", \"message\", \"message_en\"}}`，中文在前、英文备用。\n\n\
The API of the 好差评 system: terminal sync, case push, the rectification loop, reports, the provincial \
platform and the 12345 hotline. Every error is `{\"error\": {\"code\", \"message\", \"message_en\"}}`, \
Chinese first, English available. See docs/api.md."
    ),
    components(schemas(app::api::types::ErrorResponse)),
    modifiers(&Credentials),
    tags(
        (name = "sync", description = "评价终端离线同步 / Terminals upload their ratings"),
        (name = "devices", description = "终端注册与配置 / Terminal enrolment and configuration"),
        (name = "rate", description = "扫码与链接评价页的配置 / Rating pages reached by QR code or link"),
        (name = "cases", description = "业务系统推送办件 / Business systems push cases"),
        (name = "window", description = "窗口服务：开始服务、办结 / The window's service"),
        (name = "staff", description = "工作人员会话与评价查询 / Staff sessions and ratings"),
        (name = "loop", description = "差评整改闭环 / The bad-rating rectification loop"),
        (name = "feedback", description = "群众对整改的回访评价 / The citizen rates the rectification"),
        (name = "reports", description = "统计报表与通报 / Reports"),
        (name = "admin", description = "系统管理 / Administration"),
        (name = "org", description = "组织机构与账号 / Organisation and accounts"),
        (name = "upstream", description = "省平台、12345 热线、短信网关 / Provincial platform, 12345 hotline, SMS gateway"),
    )
)]
pub struct ApiDoc;

/// The credentials a caller presents, named by the operations' `security`.
struct Credentials;

impl utoipa::Modify for Credentials {
    fn modify(&self, doc: &mut Document) {
        let c = doc.components.get_or_insert_with(Default::default);
        c.add_security_scheme(
            "staff_session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "工作人员登录会话（POST /api/v1/staff/login 设置）/ A staff session, set by POST /api/v1/staff/login",
            ))),
        );
        let bearer = |d: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(d))
                    .build(),
            )
        };
        c.add_security_scheme(
            "device_token",
            bearer("评价终端注册后获得的令牌 / The token a kiosk or pad got when enrolled"),
        );
        c.add_security_scheme(
            "integration_token",
            bearer("业务系统的对接令牌（HCP_INTEGRATIONS）/ A business system's integration token"),
        );
        c.add_security_scheme(
            "callback_token",
            bearer("省平台、12345、短信网关回调令牌（HCP_*_INBOUND_TOKEN）/ The upstream system's inbound token"),
        );
    }
}

/// The error answers every operation has: `ErrorResponse` for any 4xx
/// and 5xx (`responses(…, crate::openapi::Errors)` in each handler's
/// `#[utoipa::path]`).
pub struct Errors;

impl utoipa::IntoResponses for Errors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorResponse")))
                        .build(),
                )
                .build()
                .into()
        };
        BTreeMap::from([
            (
                "4XX".to_string(),
                error("错误（中文在前，英文备用） / Error, Chinese first"),
            ),
            ("5XX".to_string(), error("服务器错误 / Server error")),
        ])
    }
}

/// A body of raw bytes (a CSV file, a photo, an evidence file).
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for Binary {}

/// The whole document, as served.
pub fn document(api: Document) -> Document {
    use utoipa::OpenApi as _;
    let mut doc = ApiDoc::openapi();
    doc.merge(api);
    doc
}
