//! Staff pages (everything under `/staff`): one file per page.

pub mod calendar;
pub mod common;
pub mod devices;
pub mod entry;
pub mod flags;
pub mod home;
pub mod import;
pub mod inbox;
pub mod login;
pub mod org;
pub mod posters;
pub mod rectify;
pub mod reports;
pub mod settings;
pub mod trends;
pub mod upstream;
pub mod window;
