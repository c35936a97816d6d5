//! The HTML page around every route: the server renders every wing's routes
//! (`citizen::TerminalRoutes`, `citizen::CitizenRoutes`, `staff::StaffRoutes`)
//! in the shared frame, and names the bundle that hydrates the page by its
//! address: the terminal bundle (`hcp-terminal`) for kiosks and window pads,
//! the citizen bundle (`hcp`) for phones, PCs and the public pages, the
//! staff bundle (`hcp-staff`) for everything under `/staff`.

use app::frame::{Frame, NotFound, Wing};
use citizen::{CitizenRoutes, TerminalRoutes};
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags};
use leptos_router::components::Routes;
use staff::StaffRoutes;

/// Registers the service worker once the page has loaded (so its
/// precache, served from the HTTP cache, never competes with the first
/// load on a slow phone), then asks it to keep the page it runs on: the
/// worker only caches what passes through it, and the first load of a
/// kiosk page did not. The worker decides what may be kept (never staff
/// pages or per-case links). Independent of the wasm.
const REGISTER_SW: &str =
    "if('serviceWorker' in navigator){window.addEventListener('load',function(){\
navigator.serviceWorker.register('/sw.js')\
.then(function(){return navigator.serviceWorker.ready})\
.then(function(r){if(r.active){r.active.postMessage({keep:location.pathname+location.search})}})\
.catch(function(e){console.warn('service worker',e)})})}";

/// The suffix of a wing's bundle name beside the citizen bundle's (`hcp`),
/// which also names its site root and hash file (`hcp-staff`,
/// `target/site-staff`, `hash-staff.txt`).
pub fn bundle_suffix(wing: Wing) -> &'static str {
    match wing {
        Wing::Citizen => "",
        Wing::Terminal => "-terminal",
        Wing::Staff => "-staff",
    }
}

/// The options that make `HydrationScripts` load a wing's bundle.
fn bundle_options(options: &LeptosOptions, wing: Wing) -> LeptosOptions {
    let mut opts = options.clone();
    let suffix = bundle_suffix(wing);
    if !suffix.is_empty() {
        opts.output_name = format!("{}{suffix}", options.output_name).into();
        opts.hash_file = format!("hash{suffix}.txt").into();
    }
    opts
}

pub fn shell(options: LeptosOptions) -> impl IntoView {
    let wing = use_context::<axum::http::request::Parts>()
        .map(|p| Wing::of_path(p.uri.path()))
        .unwrap_or(Wing::Citizen);
    let scripts = bundle_options(&options, wing);
    view! {
        <!DOCTYPE html>
        <html lang="zh-CN">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options=scripts/>
                <MetaTags/>
            </head>
            <body>
                <App/>
                <script nonce=leptos::nonce::use_nonce() inner_html=REGISTER_SW></script>
            </body>
        </html>
    }
}

/// Every route of every wing, for rendering on the server. The browser
/// hydrates the same frame with one wing's routes (`TerminalApp`,
/// `CitizenApp`, `StaffApp`).
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Frame>
            <Routes fallback=NotFound>
                <TerminalRoutes/>
                <CitizenRoutes/>
                <StaffRoutes/>
            </Routes>
        </Frame>
    }
}
