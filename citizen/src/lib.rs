#![recursion_limit = "256"]
//! The citizen wing: the pages citizens see (kiosk, window pad, phone and
//! PC rating, the re-rating of a rectification, the public results, the
//! home page), the rating steps they share, and the kiosk's offline queue
//! and sync engine. Depends on `app` (the foundation) and `domain`, never
//! on `staff`: the build, not review, keeps staff code out of this bundle.

use leptos::prelude::*;
use leptos_router::any_nested_route::IntoAnyNestedRoute;
use leptos_router::components::{Route, Routes};
use leptos_router::{path, SsrMode};

use app::frame::{Frame, NotFound, Wing};

pub mod components;
pub mod offline;
pub mod pages;

use pages::feedback::FeedbackPage;
use pages::home::HomePage;
use pages::kiosk::KioskPage;
use pages::pad::PadPage;
use pages::public_results::PublicPage;
use pages::rate::RatePage;

/// The hall terminals' routes (kiosk, window pad): their own bundle, the
/// smallest, which a kiosk keeps for working offline.
#[component(transparent)]
pub fn TerminalRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
    view! {
        <Route path=path!("/kiosk/:device") view=KioskPage/>
        <Route path=path!("/pad/:device") view=PadPage/>
    }
    .into_inner()
    .into_any_nested_route()
}

/// The other citizen routes (phone and PC rating, feedback, public
/// results, home); the server mounts them beside the terminal and staff ones.
#[component(transparent)]
pub fn CitizenRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
    view! {
        <Route path=path!("/") view=HomePage/>
        <Route path=path!("/q/:place") view=RatePage ssr=SsrMode::Async/>
        <Route path=path!("/q/:place/:window") view=RatePage ssr=SsrMode::Async/>
        <Route path=path!("/r/:token") view=RatePage ssr=SsrMode::Async/>
        <Route path=path!("/f/:token") view=FeedbackPage/>
        <Route path=path!("/public") view=PublicPage/>
    }
    .into_inner()
    .into_any_nested_route()
}

/// What the citizen bundle hydrates.
#[component]
pub fn CitizenApp() -> impl IntoView {
    view! {
        <Frame wing=Wing::Citizen>
            <Routes fallback=NotFound>
                <CitizenRoutes/>
            </Routes>
        </Frame>
    }
}

/// What the terminal bundle hydrates: a kiosk or a window pad.
#[component]
pub fn TerminalApp() -> impl IntoView {
    view! {
        <Frame wing=Wing::Terminal>
            <Routes fallback=NotFound>
                <TerminalRoutes/>
            </Routes>
        </Frame>
    }
}
