//! What every page sits in: the manifest and title, the language and 长辈模式
//! preferences, the router and the `data-hydrated` marker browser tests
//! wait for; and the page for an address nothing answers.
//!
//! The server renders [`Frame`] with both wings' routes inside; each wing's
//! hydrate entry point renders it with its own routes only. A route's view
//! is the same on both sides, so the page hydrates. A client-side
//! navigation to the other wing's address finds no route in this bundle:
//! [`NotFound`] then loads that page from the server, with its own bundle.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, Title};
use leptos_router::components::Router;
use leptos_router::hooks::use_location;

use crate::i18n::Prefs;

/// Who a page is for, which decides the bundle that hydrates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wing {
    /// The hall's own terminals: the kiosk and the window pad. Their bundle
    /// is the smallest, and the one a kiosk keeps for working offline.
    Terminal,
    /// Phone and PC rating, feedback, public results, home.
    Citizen,
    /// Everything under `/staff`.
    Staff,
}

impl Wing {
    /// The wing an address belongs to.
    pub fn of_path(path: &str) -> Wing {
        if path == "/staff" || path.starts_with("/staff/") {
            Wing::Staff
        } else if path.starts_with("/kiosk/") || path.starts_with("/pad/") {
            Wing::Terminal
        } else {
            Wing::Citizen
        }
    }
}

/// The frame around every page. `wing` is set by a hydrate entry point (the
/// bundle that runs); the server, which renders every route, leaves it out.
#[component]
pub fn Frame(#[prop(optional)] wing: Option<Wing>, children: Children) -> impl IntoView {
    provide_meta_context();
    if let Some(wing) = wing {
        provide_context(wing);
    }
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
                {children()}
            </main>
        </Router>
    }
}

/// No route here. In a wing's bundle, an address of the other wing is not
/// an error: the page is loaded from the server, with the other bundle.
#[component]
pub fn NotFound() -> impl IntoView {
    let wing = use_context::<Wing>();
    let location = use_location();
    Effect::new(move |_| {
        let path = location.pathname.get();
        if wing.is_some_and(|w| Wing::of_path(&path) != w) {
            let href = format!(
                "{path}{}{}",
                location.search.get_untracked(),
                location.hash.get_untracked()
            );
            crate::web::load_page(&href);
        }
    });
    view! {
        <section class="page">
            <h1>"页面不存在"</h1>
            <p><a href="/">"返回首页"</a></p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::Wing;

    #[test]
    fn staff_pages_terminals_and_the_rest_each_have_their_wing() {
        assert_eq!(Wing::of_path("/staff"), Wing::Staff);
        assert_eq!(Wing::of_path("/staff/loop/12"), Wing::Staff);
        assert_eq!(Wing::of_path("/kiosk/K-1"), Wing::Terminal);
        assert_eq!(Wing::of_path("/pad/P-1"), Wing::Terminal);
        assert_eq!(Wing::of_path("/kiosks"), Wing::Citizen);
        assert_eq!(Wing::of_path("/q/HALL/W01"), Wing::Citizen);
        assert_eq!(Wing::of_path("/staffing"), Wing::Citizen);
        assert_eq!(Wing::of_path("/"), Wing::Citizen);
        assert_eq!(Wing::of_path("/public"), Wing::Citizen);
    }
}
