//! Citizen widgets: the rating steps, device enrolment, the sync banner, voice prompts.

pub mod enrol;
pub mod rating_flow;
pub mod sync_bar;
pub mod voice;
