//! The rules of 好差评, pure: no I/O, no clock, no randomness and no `cfg`.
//! Both the kiosk (wasm) and the server use this module; whatever needs the
//! time or random bytes takes them as arguments.

pub mod calendar;
pub mod case;
pub mod catalog;
pub mod channel;
pub mod fraud;
pub mod hotline;
pub mod level;
pub mod link;
pub mod metrics;
pub mod notice;
pub mod org;
pub mod privacy;
pub mod rating;
pub mod rectify;
pub mod report;
pub mod roles;
pub mod suggestion;
pub mod sync;
pub mod time;
pub mod trend;
pub mod upstream;

pub use case::{RatingKind, Stage};
pub use catalog::{DimensionSet, ReasonTag, DEFAULT_DIMENSION_SET};
pub use channel::Channel;
pub use level::{CodeMap, Grade, Level};
pub use rating::{ItemRating, RatingError, RatingRecord, COMMENT_MAX_CHARS};
pub use roles::{DeviceKind, Role};
