#![recursion_limit = "256"]
//! The 好差评 front end (Leptos, SSR + hydration) and the pure domain rules
//! shared with the server.

pub mod api;
mod app;
pub mod components;
pub mod domain;
pub mod i18n;
pub mod offline;
pub mod pages;

pub use app::{shell, App};

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
