//! The kiosk's offline side: the local queue, the sync engine and the
//! storage health checks. Browser-only; reached from effects and handlers.

pub mod engine;
pub mod queue;
