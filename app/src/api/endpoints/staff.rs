//! The signed-in staff member: session, own settings, entered forms, inbox.

use gloo_net::http::Request;
use serde::de::IgnoredAny;

use super::done;
use crate::api::client::{
    get_json, net, post_json, read, staff_get, staff_post, staff_put, ClientError, CSRF_HEADER,
};
use crate::api::types::{
    EntryResult, LoginRequest, PasswordChange, RatingView, StaffEntry, StaffSession, StaffSettings,
    SuggestionList,
};

/// `POST /api/v1/staff/login`.
pub async fn login(req: &LoginRequest) -> Result<StaffSession, ClientError> {
    post_json("/api/v1/staff/login", req).await
}

/// `GET /api/v1/staff/me`.
pub async fn me() -> Result<StaffSession, ClientError> {
    get_json("/api/v1/staff/me").await
}

/// `POST /api/v1/staff/logout`.
pub async fn logout(csrf_token: &str) -> Result<(), ClientError> {
    let resp = Request::post("/api/v1/staff/logout")
        .header(CSRF_HEADER, csrf_token)
        .send()
        .await
        .map_err(net)?;
    done(read::<IgnoredAny>(resp).await)
}

/// `GET /api/v1/staff/inbox`.
pub async fn inbox() -> Result<Vec<RatingView>, ClientError> {
    get_json("/api/v1/staff/inbox").await
}

/// `GET /api/v1/staff/suggestions`.
pub async fn suggestions() -> Result<SuggestionList, ClientError> {
    get_json("/api/v1/staff/suggestions").await
}

/// `GET /api/v1/staff/settings`.
pub async fn settings() -> Result<StaffSettings, ClientError> {
    staff_get("/api/v1/staff/settings").await
}

/// `PUT /api/v1/staff/settings`.
pub async fn save_settings(csrf: &str, body: &StaffSettings) -> Result<StaffSettings, ClientError> {
    staff_put("/api/v1/staff/settings", csrf, body).await
}

/// `POST /api/v1/staff/password`.
pub async fn change_password(csrf: &str, body: &PasswordChange) -> Result<(), ClientError> {
    done(staff_post::<_, IgnoredAny>("/api/v1/staff/password", csrf, body).await)
}

/// `POST /api/v1/staff/entries`: a paper form or phone rating typed in.
pub async fn add_entry(csrf: &str, entry: &StaffEntry) -> Result<EntryResult, ClientError> {
    staff_post("/api/v1/staff/entries", csrf, entry).await
}
