//! Phone and PC rating pages.

use crate::api::client::{enc, get_json, ClientError};
use crate::api::types::RateConfig;

/// `GET /api/v1/rate/link/{token}` for a case link, else
/// `GET /api/v1/rate/place/{place}[/{window}]`.
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
