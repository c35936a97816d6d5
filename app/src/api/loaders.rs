//! Data a page needs at its first paint, loaded on the server while it
//! renders (so a citizen on a slow phone sees the rating screen before the
//! wasm arrives) and in the browser through the HTTP client otherwise.
//! The server provides each loader as context; the browser has none and
//! falls back to the client. The loaded value travels inside the HTML, so
//! hydration does not fetch it again.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::types::RateConfig;
use super::{client, endpoints};

/// What a phone / PC rating page was opened with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateQuery {
    pub place: String,
    pub window: Option<String>,
    pub token: Option<String>,
}

/// A load that failed: the message is the server's (Chinese first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageError {
    pub status: Option<u16>,
    pub message: String,
}

impl From<client::ClientError> for PageError {
    fn from(e: client::ClientError) -> Self {
        PageError {
            status: e.status(),
            message: e.message(),
        }
    }
}

pub type Loaded<T> = Pin<Box<dyn Future<Output = Result<T, PageError>> + Send>>;

/// The server's own way to answer `GET /api/v1/rate/...` while rendering.
#[derive(Clone)]
pub struct RateLoader(pub Arc<dyn Fn(RateQuery) -> Loaded<RateConfig> + Send + Sync>);

/// Loads a rating page's configuration: through the server's loader while
/// rendering there, through HTTP in the browser.
pub fn rate_config(loader: Option<RateLoader>, q: RateQuery) -> Loaded<RateConfig> {
    match loader {
        Some(RateLoader(load)) => load(q),
        None => Box::pin(send_wrapper::SendWrapper::new(async move {
            endpoints::rate::rate_config(&q.place, q.window.as_deref(), q.token.as_deref())
                .await
                .map_err(PageError::from)
        })),
    }
}
