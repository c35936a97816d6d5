//! One typed function per `/api/v1` endpoint the browser calls, by
//! resource. They build the URL (and query string) from typed arguments and
//! call the generic helpers of `api::client`; pages never spell a URL.
//! Addresses the browser follows itself (downloads, images, event streams)
//! come from the `*_url` functions here too.

pub mod admin;
pub mod cases;
pub mod devices;
pub mod feedback;
pub mod flags;
pub mod rate;
pub mod rectify;
pub mod reports;
pub mod staff;
pub mod sync;
pub mod window;

use serde::de::IgnoredAny;

use super::client::ClientError;

/// An answer whose body does not matter, only that it is a success.
fn done(r: Result<IgnoredAny, ClientError>) -> Result<(), ClientError> {
    r.map(|_| ())
}
