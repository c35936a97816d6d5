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
