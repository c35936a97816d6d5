pub mod home;
pub mod kiosk;
pub mod staff_inbox;
pub mod staff_login;
