//! The typed HTTP API: wire types shared with the server, and the browser's client.

pub mod client;
pub mod loaders;
pub mod types;
