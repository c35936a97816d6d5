#![recursion_limit = "256"]
//! The foundation both wings of the front end stand on: the wire types and
//! the typed HTTP client (`api`), the citizen strings and preferences
//! (`i18n`), browser API wrappers (`web`), the frame every page sits in
//! (`frame`), and the widgets both wings print (`components`, `widgets`).
//!
//! The citizen pages (`citizen`) and the staff pages (`staff`) are separate
//! crates on top of this one; neither depends on the other, so a citizen
//! page cannot import a staff page. Each has its own hydrate entry point
//! (`hydrate/citizen`, `hydrate/staff`), so the kiosk's bundle carries no
//! staff code. The rules themselves are the `domain` crate.

pub mod api;
pub mod components;
pub mod frame;
pub mod i18n;
pub mod web;
pub mod widgets;
