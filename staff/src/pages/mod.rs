//! Staff pages (everything under `/staff`): one file per page.

pub mod calendar;
pub mod common;
pub mod flags;
pub mod home;
pub mod inbox;
pub mod login;
pub mod org;
pub mod rectify;
pub mod reports;
pub mod settings;
pub mod tools;
pub mod trends;
pub mod window;
