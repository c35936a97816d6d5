pub mod face;
pub mod sync_bar;
