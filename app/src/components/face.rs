//! The five faces, drawn as SVG so they look the same on every terminal
//! (colour emoji fonts are missing on many kiosks).

use domain::Level;
use leptos::prelude::*;

#[component]
pub fn Face(level: Level) -> impl IntoView {
    // Mouth: a quadratic curve whose control point moves from smile to frown.
    let (mouth_y, color) = match level {
        Level::VerySatisfied => (58.0, "#1b7a3a"),
        Level::Satisfied => (50.0, "#3f8f2f"),
        Level::Basic => (40.0, "#8a6d00"),
        Level::Dissatisfied => (30.0, "#b34700"),
        Level::VeryDissatisfied => (22.0, "#b3261e"),
    };
    let mouth = format!("M28 40 Q40 {mouth_y} 52 40");
    view! {
        <svg class="face" viewBox="0 0 80 80" aria-hidden="true" focusable="false">
            <circle cx="40" cy="40" r="36" fill="none" stroke=color stroke-width="5"/>
            <circle cx="28" cy="30" r="4.5" fill=color/>
            <circle cx="52" cy="30" r="4.5" fill=color/>
            <path d=mouth fill="none" stroke=color stroke-width="5" stroke-linecap="round"/>
        </svg>
    }
}
