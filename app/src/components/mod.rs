//! Widgets both wings use.

pub mod face;
