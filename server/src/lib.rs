//! The 好差评 server: axum + sqlx behind the Leptos front end.

pub mod assets;
pub mod auth;
pub mod coalesce;
pub mod config;
pub mod demo;
pub mod error;
pub mod generator;
pub mod jobs;
pub mod limits;
pub mod notify;
pub mod openapi;
pub mod push;
pub mod ratings;
pub mod rectify;
pub mod reports;
pub mod routes;
pub mod serve;
pub mod shell;
pub mod sms;
pub mod startup;
pub mod state;
pub mod store;
pub mod upstream;
