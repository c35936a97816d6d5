pub mod enrol;
pub mod face;
pub mod rating_flow;
pub mod sync_bar;

/// Local date and time of a millisecond timestamp, `YYYY-MM-DD HH:MM:SS`.
/// Browser only (uses the browser's time zone).
pub fn local_time(ms: i64) -> String {
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
    format!(
        "{}-{:02}-{:02} {:02}:{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds()
    )
}
