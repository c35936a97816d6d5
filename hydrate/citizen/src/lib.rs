//! The citizen bundle (`hcp.wasm`): what a kiosk, pad, phone or PC loads.

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(citizen::CitizenApp);
}
