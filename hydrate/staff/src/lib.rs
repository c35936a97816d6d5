//! The staff bundle (`hcp-staff.wasm`): what a page under `/staff` loads.

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(staff::StaffApp);
}
