//! Builds the application: store, routes, Leptos SSR, listener.

use std::sync::Arc;

use axum::Router;
use leptos::config::LeptosOptions;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tokio::net::TcpListener;

use crate::assets::Assets;
use crate::config::Settings;
use crate::push::PadHub;
use crate::routes::api_router;
use crate::sms::OutboxGateway;
use crate::state::{now_ms, AppState};
use crate::store::Store;

pub struct Application {
    listener: TcpListener,
    router: Router,
    pub store: Store,
    pub demo: Option<crate::demo::DemoSummary>,
    jobs_state: AppState,
}

impl Application {
    /// Connects, migrates, loads demo data if asked and binds (port 0 gives
    /// a free port: tests read it back with [`Application::port`]).
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let store = Store::connect(&settings.database_url).await?;
        let demo = if settings.demo {
            Some(
                crate::demo::load(
                    &store,
                    settings.demo_password.as_deref(),
                    settings.demo_city,
                )
                .await?,
            )
        } else {
            None
        };
        let listener = TcpListener::bind(settings.addr).await?;
        let assets = Assets::load(
            &settings.site_root,
            &settings.site_pkg_dir,
            &settings.output_name,
        );
        let leptos_options = LeptosOptions::builder()
            .output_name(settings.output_name.clone())
            .site_root(settings.site_root.clone())
            .site_pkg_dir(settings.site_pkg_dir.clone())
            .site_addr(listener.local_addr()?)
            .hash_files(assets.hashed)
            .build();
        let link_key = store
            .secret("link_signing_key", crate::auth::random_token)
            .await?
            .into_bytes();
        let hash_key = store
            .secret("hash_key", crate::auth::random_token)
            .await?
            .into_bytes();
        let public_url: Arc<str> = settings
            .public_url
            .clone()
            .unwrap_or_else(|| {
                format!(
                    "http://{}",
                    listener
                        .local_addr()
                        .map(|a| a.to_string())
                        .unwrap_or_default()
                )
            })
            .into();
        // Cookies are Secure whenever citizens and staff reach us over https.
        let mut settings = settings;
        if settings
            .public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
        {
            settings.secure_cookies = true;
        }
        let settings_security = settings.security.clone();
        let settings_fraud = settings.policy.fraud;
        let settings_writers = settings.ingest_writers;
        let settings_loop = settings.policy.rectify;
        let calendar: Arc<crate::rectify::CalendarCache> = Default::default();
        let (announcer, announced) = crate::notify::Announcer::new();
        let pad_hub = PadHub::default();
        let instance: Arc<str> = uuid::Uuid::now_v7().simple().to_string().into();
        let reads = match &settings.database_read_url {
            Some(url) => Store::connect_reader(url).await?,
            None => store.clone(),
        };
        let state = AppState {
            reads,
            store: store.clone(),
            sms: Arc::new(OutboxGateway::new(
                store.clone(),
                settings.sms_file.clone().map(Into::into),
            )),
            settings: Arc::new(settings),
            leptos_options,
            link_key: Arc::new(link_key),
            pad_hub: pad_hub.clone(),
            public_url,
            loop_bell: Arc::new(tokio::sync::Notify::new()),
            assets: Arc::new(assets),
            limits: Arc::new(crate::limits::Limiters::new(&settings_security)),
            hash_key: Arc::new(hash_key),
            instance: instance.clone(),
            ticket_feed: None,
            calendar: calendar.clone(),
            ticket_notifier: None,
            announcer,
            last_contact: Default::default(),
            writer: crate::coalesce::Writer::start(
                store.clone(),
                settings_fraud,
                crate::coalesce::TicketOpening {
                    calendar: calendar.clone(),
                    policy: settings_loop,
                },
                crate::coalesce::writers_for(&store, settings_writers),
            ),
        };
        // Several servers on PostgreSQL hear each other's tickets and pad
        // events through the database.
        let mut state = state;
        if let crate::store::Store::Postgres(pool) = &store {
            state.ticket_feed = Some(crate::push::cluster_feed(
                pool.clone(),
                pad_hub,
                store.clone(),
                instance,
                state.calendar.clone(),
            ));
            state.ticket_notifier = Some(crate::push::TicketNotifier::start(pool.clone()));
        }
        state.store.seed_calendar(now_ms()).await?;
        // Ingest queues ratings for the provincial platform only when it is
        // configured (every server of a deployment has the same settings).
        for (name, on) in [
            ("province", state.settings.province.is_some()),
            ("hotline", state.settings.hotline.is_some()),
            ("sms", state.settings.sms_gateway.is_some()),
        ] {
            state.store.set_destination(name, on, now_ms()).await?;
        }
        // The regions whose bad ratings go to 12345.
        let routes = state
            .settings
            .hotline
            .as_ref()
            .map(|h| h.regions.clone())
            .unwrap_or_default();
        state.store.set_routes("hotline", &routes).await?;
        state.store.backfill_rollups().await?;
        tokio::spawn(crate::notify::announce_loop(state.clone(), announced));
        crate::rectify::open_new_tickets(&state, now_ms())
            .await
            .map_err(|e| anyhow::anyhow!("opening tickets for bad ratings: {e}"))?;
        if let Some(n) = &state.ticket_notifier {
            // A server that stopped between a commit and its announcement
            // left tickets unannounced: every stream reads what it has not sent.
            n.resync();
        }
        let jobs_state = state.clone();
        Ok(Application {
            listener,
            router: router(state),
            store,
            demo,
            jobs_state,
        })
    }

    /// The state this server's handlers and jobs share.
    pub fn state(&self) -> AppState {
        self.jobs_state.clone()
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Runs the jobs (default ratings, reminders) every
    /// `policy.jobs_every_secs` while the server runs.
    pub fn spawn_jobs(&self) {
        // Rate-limit buckets that are full again are forgotten: their
        // memory stays bounded however many addresses come by.
        let limits = self.jobs_state.limits.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                limits.retain_recent();
            }
        });
        // The rollup deltas ingest appends are folded in every second, on
        // every server (the fold is safe concurrently: see
        // `Store::fold_rollups`), so reads sum few of them.
        let store = self.jobs_state.store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(FOLD_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = store.fold_rollups().await {
                    tracing::warn!(error = ?e, "folding the rollup deltas failed; next second again");
                }
            }
        });
        // Planner statistics that follow a fast-growing database
        // (PostgreSQL; `Store::refresh_statistics`).
        let store = self.jobs_state.store.clone();
        if store.kind() == "postgres" {
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(STATISTICS_EVERY);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tick.tick().await;
                    match store.refresh_statistics().await {
                        Ok(t) if !t.is_empty() => {
                            tracing::info!(tables = ?t, "planner statistics refreshed")
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = ?e, "refreshing planner statistics failed; next time again")
                        }
                    }
                }
            });
        }
        // The delivery workers: the provincial platform, the 12345 hotline,
        // the SMS gateway (several servers share the outbox safely:
        // `Store::claim_outbox`).
        let settings = &self.jobs_state.settings;
        for dest in [&settings.province, &settings.hotline, &settings.sms_gateway]
            .into_iter()
            .flatten()
        {
            if dest.paused {
                tracing::warn!(
                    destination = dest.name,
                    "paused: records are queued, not sent"
                );
            } else {
                tracing::info!(destination = ?dest, "delivering");
                crate::upstream::spawn(self.jobs_state.store.clone(), dest.clone());
            }
        }
        let state = self.jobs_state.clone();
        let every = std::time::Duration::from_secs(state.settings.policy.jobs_every_secs.max(10));
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match crate::jobs::tick(&state, now_ms()).await {
                    Ok(Some(r)) => tracing::info!(
                        default_ratings = r.default_ratings,
                        reminders = r.reminders,
                        "jobs ran"
                    ),
                    Ok(None) => tracing::debug!("jobs: this tick runs on another server"),
                    Err(e) => tracing::error!(error = ?e, "jobs failed; they run again next time"),
                }
            }
        });
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let s = &self.jobs_state.settings.security;
        let limits = crate::serve::Limits {
            header_timeout: std::time::Duration::from_secs(s.header_timeout_secs),
            max_connections: s.max_connections,
        };
        crate::serve::serve(self.listener, self.router, limits, shutdown_signal()).await
    }
}

/// How often each server folds the rollup deltas into the rollups.
const FOLD_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// How often a server checks whether the hot tables' planner statistics
/// have fallen behind their growth (one server at a time does it).
const STATISTICS_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The page routes, listed once per process.
///
/// Listing them runs the whole app once with every resource load held back
/// by a flag that is global to the process (`SuppressResourceLoad` in
/// leptos_server 0.8, leptos issue #4773): a page whose resource is first
/// polled while any thread lists routes waits forever. A process that
/// starts servers while others serve pages (the test suite, a second
/// instance beside the first) must list them only once.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES
        .get_or_init(|| generate_route_list(crate::shell::App))
        .clone()
}

/// Everything this server answers over HTTP, on `state`. Building it lists
/// no routes after the first time (see `page_routes`), so it is safe while
/// other servers in the process render pages.
pub fn router(state: AppState) -> Router {
    use axum::http::{header, HeaderValue};
    use tower_http::compression::CompressionLayer;
    use tower_http::set_header::SetResponseHeaderLayer;

    let routes = page_routes();
    let opts = state.leptos_options.clone();
    let loader = rate_loader(state.clone());
    let api = api_router().layer(SetResponseHeaderLayer::if_not_present(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    ));
    let body_timeout = std::time::Duration::from_secs(state.settings.security.body_timeout_secs);
    let app = Router::new()
        .merge(api)
        .route("/qr.svg", axum::routing::get(crate::routes::rate::qr_svg))
        .route("/sw.js", axum::routing::get(crate::assets::service_worker))
        .nest_service("/pkg", state.assets.pkg_service())
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                leptos::context::provide_context(loader.clone());
                page_csp();
            },
            move || crate::shell::shell(opts.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            crate::shell::shell,
        ));
    with_security_headers(app)
        // Pages are rendered per request: revalidated every time, so a
        // new build or new data shows at once. (/pkg sets its own.)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        // Brotli or gzip for what is made per request (HTML, JSON, CSV);
        // /pkg is precompressed at build time and passes through.
        .layer(CompressionLayer::new())
        // A body that trickles in is cut off (headers: see `serve`).
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            body_timeout,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

/// What a page may load: scripts only from this server and the inline
/// ones carrying this response's nonce (Leptos's hydration and resource
/// scripts, the service-worker registration), wasm compiled, styles and
/// images from here, no framing.
fn page_csp() {
    use axum::http::{header, HeaderValue};
    let Some(nonce) = leptos::nonce::use_nonce() else {
        return;
    };
    let Some(opts) = leptos::context::use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self'; \
         connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        opts.insert_header(header::CONTENT_SECURITY_POLICY, v);
    }
}

/// Headers every response carries unless it set its own (a page sets its
/// CSP with its nonce; everything else may load nothing).
fn with_security_headers(r: Router<AppState>) -> Router<AppState> {
    use axum::http::{header, HeaderName, HeaderValue};
    use tower_http::set_header::SetResponseHeaderLayer as H;
    r.layer(H::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; img-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ))
    .layer(H::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    ))
    .layer(H::overriding(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    ))
    .layer(H::overriding(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    ))
    .layer(H::overriding(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    ))
}

/// The rating pages' configuration, loaded while the server renders them
/// (the same answer as `GET /api/v1/rate/...`).
fn rate_loader(state: AppState) -> app::api::loaders::RateLoader {
    use app::api::loaders::{PageError, RateLoader};
    RateLoader(Arc::new(move |q| {
        let state = state.clone();
        Box::pin(async move {
            crate::routes::rate::config(&state, &q).await.map_err(|e| {
                let (status, body) = e.into_parts();
                PageError {
                    status: Some(status.as_u16()),
                    message: body.error.message,
                }
            })
        })
    }))
}

async fn shutdown_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
