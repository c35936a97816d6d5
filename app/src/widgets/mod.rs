//! Widgets both wings use, beyond the faces.

pub mod report;
