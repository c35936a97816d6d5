//! Citizen pages: one file per page.

pub mod feedback;
pub mod home;
pub mod kiosk;
pub mod pad;
pub mod public_results;
pub mod rate;
