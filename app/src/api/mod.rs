//! The typed HTTP API: wire types shared with the server, and the browser's client.

pub mod client;
pub mod endpoints;
pub mod loaders;
pub mod types;
