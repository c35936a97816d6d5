#![recursion_limit = "256"]
//! The staff wing: every page under `/staff` (工作台, inbox, 差评整改
//! tablet, window service, reports, organisation, devices, calendar, …).
//! Depends on `app` (the foundation) and `domain`, never on `citizen`.

use leptos::prelude::*;
use leptos_router::any_nested_route::IntoAnyNestedRoute;
use leptos_router::components::{Route, Routes};
use leptos_router::path;

use app::frame::{Frame, NotFound, Wing};

pub mod pages;

use pages::calendar::CalendarPage;
use pages::devices::DevicesPage;
use pages::entry::EntryPage;
use pages::flags::FlagsPage;
use pages::home::StaffHome;
use pages::import::ImportPage;
use pages::inbox::InboxPage;
use pages::login::LoginPage;
use pages::org::{OrgPage, StaffAccounts};
use pages::posters::PostersPage;
use pages::rectify::{LoopPage, TicketPage};
use pages::reports::ReportsPage;
use pages::settings::SettingsPage;
use pages::upstream::UpstreamPage;
use pages::window::{MinePage, WindowPage};

/// The staff wing's routes; the server mounts them beside the citizen ones.
#[component(transparent)]
pub fn StaffRoutes() -> impl leptos_router::MatchNestedRoutes + Clone {
    view! {
        <Route path=path!("/staff") view=StaffHome/>
        <Route path=path!("/staff/login") view=LoginPage/>
        <Route path=path!("/staff/mine") view=MinePage/>
        <Route path=path!("/staff/settings") view=SettingsPage/>
        <Route path=path!("/staff/inbox") view=InboxPage/>
        <Route path=path!("/staff/window") view=WindowPage/>
        <Route path=path!("/staff/entry") view=EntryPage/>
        <Route path=path!("/staff/devices") view=DevicesPage/>
        <Route path=path!("/staff/posters") view=PostersPage/>
        <Route path=path!("/staff/import") view=ImportPage/>
        <Route path=path!("/staff/org") view=OrgPage/>
        <Route path=path!("/staff/accounts") view=StaffAccounts/>
        <Route path=path!("/staff/loop") view=LoopPage/>
        <Route path=path!("/staff/loop/:id") view=TicketPage/>
        <Route path=path!("/staff/calendar") view=CalendarPage/>
        <Route path=path!("/staff/reports") view=ReportsPage/>
        <Route path=path!("/staff/reports/:code") view=ReportsPage/>
        <Route path=path!("/staff/flags") view=FlagsPage/>
        <Route path=path!("/staff/upstream") view=UpstreamPage/>
    }
    .into_inner()
    .into_any_nested_route()
}

/// What the staff bundle hydrates.
#[component]
pub fn StaffApp() -> impl IntoView {
    view! {
        <Frame wing=Wing::Staff>
            <Routes fallback=NotFound>
                <StaffRoutes/>
            </Routes>
        </Frame>
    }
}
