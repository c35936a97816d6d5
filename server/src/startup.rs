//! Builds the application: store, routes, Leptos SSR, listener.

use std::sync::Arc;

use axum::extract::FromRef;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;

use crate::config::Settings;
use crate::routes::api_router;
use crate::store::Store;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub leptos_options: LeptosOptions,
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    pub store: Store,
    pub demo: Option<crate::demo::DemoSummary>,
}

impl Application {
    /// Connects, migrates, loads demo data if asked and binds (port 0 gives
    /// a free port: tests read it back with [`Application::port`]).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let store = Store::connect(&settings.database_url).await?;
        let demo = if settings.demo {
            Some(crate::demo::load(&store, settings.demo_password.as_deref()).await?)
        } else {
            None
        };
        let listener = TcpListener::bind(settings.addr).await?;
        let leptos_options = LeptosOptions::builder()
            .output_name(settings.output_name.clone())
            .site_root(settings.site_root.clone())
            .site_pkg_dir(settings.site_pkg_dir.clone())
            .site_addr(listener.local_addr()?)
            .build();
        let state = AppState {
            store: store.clone(),
            settings: Arc::new(settings),
            leptos_options,
        };
        Ok(Application {
            listener,
            router: router(state),
            store,
            demo,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown_signal())
            .await
    }
}

fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let opts = state.leptos_options.clone();
    Router::new()
        .nest("/api/v1", api_router())
        .leptos_routes(&state, routes, move || app::shell(opts.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            app::shell,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
