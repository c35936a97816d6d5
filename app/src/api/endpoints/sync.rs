//! The offline queue's upload.

use gloo_net::http::Request;

use crate::api::client::{net, read, ClientError};
use crate::api::types::{SyncRequest, SyncResponse};

/// `POST /api/v1/sync` with the device's bearer token (kiosks and pads) if
/// it has one.
pub async fn sync(req: &SyncRequest, token: Option<&str>) -> Result<SyncResponse, ClientError> {
    let mut r = Request::post("/api/v1/sync");
    if let Some(t) = token {
        r = r.header("Authorization", &format!("Bearer {t}"));
    }
    let resp = r.json(req).map_err(net)?.send().await.map_err(net)?;
    read(resp).await
}
