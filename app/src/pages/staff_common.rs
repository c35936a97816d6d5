//! What every staff page shares: the session (or a redirect to sign in).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::client;
use crate::api::types::StaffSession;

pub fn go_to(path: &str) {
    if let Some(w) = web_sys::window() {
        let _ = w.location().set_href(path);
    }
}

/// Loads the session once hydrated; sends the browser to the sign-in page
/// without one. `then` runs with the session.
pub fn use_session(
    error: RwSignal<Option<String>>,
    then: impl Fn(StaffSession) + Copy + 'static,
) -> RwSignal<Option<StaffSession>> {
    let session: RwSignal<Option<StaffSession>> = RwSignal::new(None);
    // `StaffNav` shows the links this role has.
    provide_context(NavSession(session));
    Effect::new(move |_| {
        spawn_local(async move {
            match client::me().await {
                Ok(s) => {
                    session.set(Some(s.clone()));
                    then(s);
                }
                Err(e) if e.status() == Some(401) => go_to("/staff/login"),
                Err(e) => error.set(Some(e.message())),
            }
        });
    });
    session
}

pub fn csrf(session: RwSignal<Option<StaffSession>>) -> String {
    session.with_untracked(|s| s.as_ref().map(|s| s.csrf_token.clone()).unwrap_or_default())
}

/// The page's session, for the navigation links (see [`use_session`]).
#[derive(Clone, Copy)]
struct NavSession(RwSignal<Option<StaffSession>>);

/// The links between the staff pages that handle bad ratings and reports.
/// The role's links appear once the session is known: from the page's
/// [`use_session`], or fetched here on pages that load it themselves.
#[component]
pub fn StaffNav() -> impl IntoView {
    let session = match use_context::<NavSession>() {
        Some(NavSession(s)) => s,
        None => {
            let s: RwSignal<Option<StaffSession>> = RwSignal::new(None);
            Effect::new(move |_| {
                spawn_local(async move {
                    if let Ok(me) = client::me().await {
                        s.set(Some(me));
                    }
                });
            });
            s
        }
    };
    let role = move || session.with(|s| s.as_ref().map(|s| s.role.clone()).unwrap_or_default());
    view! {
        <nav class="staff-nav" aria-label="工作人员导航">
            <a href="/staff/inbox" data-testid="nav-inbox">"差评待办"</a>
            <a href="/staff/loop" data-testid="nav-loop">"差评整改"</a>
            <a href="/staff/calendar" data-testid="nav-calendar">"节假日与调休"</a>
            <Show when=move || matches!(role().as_str(), "supervisor" | "unit_admin")>
                <a href="/staff/reports" data-testid="nav-reports">"通报报表"</a>
            </Show>
            <Show when=move || role() == "supervisor">
                <a href="/staff/flags" data-testid="nav-flags">"刷评复核"</a>
            </Show>
        </nav>
    }
}

/// Today in China (browser only).
pub fn china_today() -> crate::domain::calendar::Date {
    crate::domain::calendar::Date::of_instant(crate::offline::web::now_ms())
}

/// A role code in Chinese (audit log, headers).
pub fn role_label(role: &str) -> &'static str {
    match role {
        "window_staff" => "窗口工作人员",
        "unit_admin" => "单位管理员",
        "supervisor" => "督查",
        "system_admin" => "系统管理员",
        "citizen" => "评价人",
        "system" => "系统",
        _ => "",
    }
}
