use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, Link, Meta, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::i18n::Prefs;
use crate::pages::feedback::FeedbackPage;
use crate::pages::home::{HomePage, NotFound};
use crate::pages::kiosk::KioskPage;
use crate::pages::pad::PadPage;
use crate::pages::public_results::PublicPage;
use crate::pages::rate::RatePage;
use crate::pages::staff_calendar::CalendarPage;
use crate::pages::staff_flags::FlagsPage;
use crate::pages::staff_home::StaffHome;
use crate::pages::staff_inbox::InboxPage;
use crate::pages::staff_login::LoginPage;
use crate::pages::staff_loop::{LoopPage, TicketPage};
use crate::pages::staff_org::{OrgPage, StaffAccounts};
use crate::pages::staff_reports::ReportsPage;
use crate::pages::staff_settings::SettingsPage;
use crate::pages::staff_tools::{DevicesPage, EntryPage, ImportPage, PostersPage};
use crate::pages::staff_window::{MinePage, WindowPage};

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

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="zh-CN">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
                <script nonce=leptos::nonce::use_nonce() inner_html=REGISTER_SW></script>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Set only by an effect, which runs only once the wasm has hydrated the
    // page: tests wait for it, since an SSR page looks right without wasm.
    let hydrated = RwSignal::new(false);
    let prefs = Prefs::new();
    provide_context(prefs);
    Effect::new(move |_| {
        prefs.restore();
        hydrated.set(true);
    });

    view! {
        <Link rel="manifest" href="/manifest.webmanifest"/>
        <Link rel="icon" href="/icons/icon-192.png"/>
        <Meta name="theme-color" content="#b3261e"/>
        <Title text="政务服务好差评"/>
        <Router>
            <main data-hydrated=move || hydrated.get().to_string()>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage/>
                    <Route path=path!("/kiosk/:device") view=KioskPage/>
                    <Route path=path!("/staff") view=StaffHome/>
                    <Route path=path!("/staff/login") view=LoginPage/>
                    <Route path=path!("/staff/mine") view=MinePage/>
                    <Route path=path!("/staff/settings") view=SettingsPage/>
                    <Route path=path!("/staff/inbox") view=InboxPage/>
                    <Route path=path!("/pad/:device") view=PadPage/>
                    <Route path=path!("/q/:place") view=RatePage ssr=SsrMode::Async/>
                    <Route path=path!("/q/:place/:window") view=RatePage ssr=SsrMode::Async/>
                    <Route path=path!("/r/:token") view=RatePage ssr=SsrMode::Async/>
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
                    <Route path=path!("/f/:token") view=FeedbackPage/>
                    <Route path=path!("/staff/reports") view=ReportsPage/>
                    <Route path=path!("/staff/reports/:code") view=ReportsPage/>
                    <Route path=path!("/staff/flags") view=FlagsPage/>
                    <Route path=path!("/public") view=PublicPage/>
                </Routes>
            </main>
        </Router>
    }
}
