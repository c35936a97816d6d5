//! The citizen's feedback link (`/f/{token}`): no session.

use serde::de::IgnoredAny;

use super::done;
use crate::api::client::{enc, get_json, post_json, ClientError};
use crate::api::types::{FeedbackSubmit, FeedbackView};

/// `GET /api/v1/feedback/{token}`.
pub async fn feedback_view(token: &str) -> Result<FeedbackView, ClientError> {
    get_json(&format!("/api/v1/feedback/{}", enc(token))).await
}

/// `POST /api/v1/feedback/{token}`.
pub async fn feedback_submit(token: &str, body: &FeedbackSubmit) -> Result<(), ClientError> {
    done(post_json::<_, IgnoredAny>(&format!("/api/v1/feedback/{}", enc(token)), body).await)
}
