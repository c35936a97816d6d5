//! The terminal bundle (`hcp-terminal.wasm`): what a hall's kiosk or window
//! pad loads, and what a kiosk's service worker keeps for working offline.

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(citizen::TerminalApp);
}
