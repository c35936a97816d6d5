//! `make bench` (jobs): one run of the 系统默认 job (`jobs::default_ratings`)
//! over a Zibo-like quarter (2022 Q4, `server::generator`) of 1,000,000
//! cases of which about 10,000 are finished, unrated and long due, on SQLite
//! and on PostgreSQL. Per database:
//!
//! - the run over the 1,000,000-case quarter (target ≤ 10 s) and the
//!   number of ratings it wrote;
//! - a second run right after (nothing due: the idle tick), and the whole
//!   periodic tick (`jobs::run`) after it;
//! - the ratio of the run to the same run over a 100,000-case quarter with
//!   as many cases due, in the same process: the job reads only the unrated
//!   cases, so it stays near 1.
//!
//! The job writes its ratings, so every run has a fresh copy of the data:
//! the generated SQLite file (target/bench/jobs-*.db) is copied to a
//! scratch file, the PostgreSQL template (`hcp_bench_jobs_*_tpl`) is cloned
//! with `CREATE DATABASE … TEMPLATE` into `hcp_bench_jobs_run`. The
//! generated data are kept and reused (a marker secret says which);
//! `HCP_BENCH_ONLY=sqlite` leaves PostgreSQL out; `RUST_LOG=sqlx::query=debug`
//! prints every statement with its time (to stderr).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use domain::report::Period;
use leptos::config::LeptosOptions;
use server::config::Settings;
use server::generator::Scale;
use server::state::{now_ms, AppState};
use server::store::Store;
use sqlx::Connection;

/// Cases due a default rating in each dataset.
const DUE: u64 = 10_000;

/// The two quarters: the measured one and the baseline.
const SIZES: [(&str, u64); 2] = [("100k", 100_000), ("1m", 1_000_000)];

/// Two cases in three of the generated ones are not rated by a citizen
/// (`generator`): of those, this many per thousand are left unrated, so
/// that about [`DUE`] of `cases` are due.
fn unrated_per_mille(cases: u64) -> u32 {
    (DUE * 1000 * 3 / (cases * 2)) as u32
}

fn settings(url: &str) -> Settings {
    Settings {
        database_url: url.into(),
        database_read_url: None,
        addr: "127.0.0.1:0".parse().unwrap(),
        site_root: "target/site".into(),
        site_pkg_dir: "pkg".into(),
        output_name: "hcp".into(),
        demo: false,
        demo_password: None,
        demo_city: false,
        secure_cookies: false,
        public_url: None,
        sms_file: None,
        province: None,
        hotline: None,
        sms_gateway: None,
        policy: Default::default(),
        ingest_writers: 2,
        security: Default::default(),
    }
}

/// What the jobs see when the server runs (`Application::build` keeps the
/// same), without a listener.
async fn state(store: Store, url: &str) -> AppState {
    let settings = settings(url);
    let link_key = store
        .secret("link_signing_key", server::auth::random_token)
        .await
        .unwrap()
        .into_bytes();
    let hash_key = store
        .secret("hash_key", server::auth::random_token)
        .await
        .unwrap()
        .into_bytes();
    let assets = server::assets::Assets::load(
        &settings.site_root,
        &settings.site_pkg_dir,
        &settings.output_name,
    );
    let leptos_options = LeptosOptions::builder()
        .output_name(settings.output_name.clone())
        .site_root(settings.site_root.clone())
        .site_pkg_dir(settings.site_pkg_dir.clone())
        .build();
    let calendar: Arc<server::rectify::CalendarCache> = Default::default();
    let writer = server::coalesce::Writer::start(
        store.clone(),
        settings.policy.fraud,
        server::coalesce::TicketOpening {
            calendar: calendar.clone(),
            policy: settings.policy.rectify,
        },
        server::coalesce::writers_for(&store, settings.ingest_writers),
    );
    AppState {
        reads: store.clone(),
        store: store.clone(),
        sms: Arc::new(server::sms::OutboxGateway::new(store, None)),
        writer,
        limits: Arc::new(server::limits::Limiters::new(&settings.security)),
        settings: Arc::new(settings),
        leptos_options,
        link_key: Arc::new(link_key),
        pad_hub: Default::default(),
        public_url: "http://127.0.0.1".into(),
        loop_bell: Arc::new(tokio::sync::Notify::new()),
        calendar,
        ticket_notifier: None,
        // Nobody listens: this bench measures the jobs, which send notices
        // themselves.
        announcer: server::notify::Announcer::new().0,
        assets: Arc::new(assets),
        hash_key: Arc::new(hash_key),
        instance: "bench".into(),
        ticket_feed: None,
        last_contact: Default::default(),
    }
}

async fn due_cases(store: &Store) -> i64 {
    let sql = "SELECT COUNT(*) FROM cases WHERE status = 'finished' AND first_rated_at IS NULL";
    match store {
        Store::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
        Store::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await.unwrap(),
    }
}

/// Makes (or reuses) the quarter of `cases` in `url`, as a running server
/// would hold it (rollups built, calendar seeded, tickets opened), and
/// closes it.
async fn prepare(url: &str, cases: u64) {
    let store = Store::connect(url).await.unwrap();
    let per_mille = unrated_per_mille(cases);
    let marker = format!("jobs:{cases}:{per_mille}");
    let have = store.secret("bench_generated", String::new).await.unwrap();
    if have == marker {
        println!(
            "# {}: quarter of {cases} cases already generated: reused",
            store.kind()
        );
        // A migration since may have emptied a rollup: refilled as the
        // server does on start.
        store.backfill_rollups().await.unwrap();
        settle(&store).await;
        store.close().await;
        return;
    }
    assert_eq!(have, "", "{url} holds another bench dataset; remove it");
    let period = Period::parse(None, Some("2022-Q4"), None, None).unwrap();
    let scale = Scale {
        unrated_per_mille: per_mille,
        ..Scale::zibo(cases)
    };
    let t = Instant::now();
    let made = server::generator::generate(&store, None, scale, period, "!")
        .await
        .unwrap();
    println!(
        "# {}: generated {made:?} ({} due) in {:.0} s",
        store.kind(),
        due_cases(&store).await,
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    store.rebuild_rollups().await.unwrap();
    let st = state(store.clone(), url).await;
    st.store.seed_calendar(now_ms()).await.unwrap();
    server::rectify::open_new_tickets(&st, now_ms())
        .await
        .unwrap();
    store.set_secret("bench_generated", &marker).await.unwrap();
    settle(&store).await;
    println!(
        "# {}: rollups, calendar, tickets in {:.0} s",
        store.kind(),
        t.elapsed().as_secs_f64()
    );
    drop(st);
    store.close().await;
}

/// Leaves the data ready to copy: SQLite's log written back into the
/// file, PostgreSQL's statistics up to date (autovacuum would, in time).
async fn settle(store: &Store) {
    match store {
        Store::Sqlite(p) => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(p)
                .await
                .unwrap();
        }
        Store::Postgres(p) => {
            sqlx::query("ANALYZE").execute(p).await.unwrap();
        }
    }
}

/// One measured run on a fresh copy at `url`.
struct Run {
    written: usize,
    secs: f64,
    idle_secs: f64,
    tick_secs: f64,
}

async fn run(url: &str) -> Run {
    let store = Store::connect(url).await.unwrap();
    let due = due_cases(&store).await;
    let st = state(store.clone(), url).await;
    let now = now_ms();
    let t = Instant::now();
    let written = server::jobs::default_ratings(&st, now).await.unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(written as i64, due, "every due case got its default rating");
    assert_eq!(due_cases(&store).await, 0);
    let t = Instant::now();
    let again = server::jobs::default_ratings(&st, now).await.unwrap();
    let idle_secs = t.elapsed().as_secs_f64();
    assert_eq!(again, 0, "nothing due on the second run");
    let t = Instant::now();
    let report = server::jobs::run(&st, now).await.unwrap();
    let tick_secs = t.elapsed().as_secs_f64();
    assert_eq!(report.default_ratings, 0);
    drop(st);
    store.close().await;
    Run {
        written,
        secs,
        idle_secs,
        tick_secs,
    }
}

fn report(kind: &str, runs: &[(&str, Run)]) {
    let (_, base) = &runs[0];
    let (_, big) = &runs[1];
    println!("BENCH default_job_{kind}_1m_cases {:.2} s", big.secs);
    println!(
        "BENCH default_job_{kind}_ratings_written {} ratings",
        big.written
    );
    println!("BENCH default_job_{kind}_idle_tick {:.3} s", big.idle_secs);
    println!("BENCH jobs_tick_{kind}_1m_idle {:.3} s", big.tick_secs);
    println!("BENCH default_job_{kind}_100k_cases {:.2} s", base.secs);
    println!("# 100k-case quarter: {} ratings written", base.written);
    println!(
        "BENCH default_job_{kind}_1m_over_100k {:.2} ratio",
        big.secs / base.secs
    );
    println!(
        "# target: default_job_{kind}_1m_cases <= 10 s: {}",
        if big.secs <= 10.0 { "met" } else { "MISSED" }
    );
}

fn remove_sqlite(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

async fn sqlite(dir: &Path) {
    let mut runs = vec![];
    for (label, cases) in SIZES {
        let db = dir.join(format!("jobs-{label}.db"));
        prepare(&format!("sqlite://{}", db.display()), cases).await;
        let scratch = dir.join("jobs-run.db");
        remove_sqlite(&scratch);
        for suffix in ["", "-wal"] {
            let from = PathBuf::from(format!("{}{suffix}", db.display()));
            if from.exists() {
                std::fs::copy(&from, format!("{}{suffix}", scratch.display())).unwrap();
            }
        }
        let r = run(&format!("sqlite://{}", scratch.display())).await;
        remove_sqlite(&scratch);
        runs.push((label, r));
    }
    report("sqlite", &runs);
}

async fn postgres() {
    let admin = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut c = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            println!("# PostgreSQL skipped: {e}");
            return;
        }
    };
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
    let mut runs = vec![];
    for (label, cases) in SIZES {
        let tpl = format!("hcp_bench_jobs_{label}_tpl");
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&tpl)
                .fetch_one(&mut c)
                .await
                .unwrap();
        if !exists {
            sqlx::query(&format!("CREATE DATABASE \"{tpl}\""))
                .execute(&mut c)
                .await
                .unwrap();
        }
        prepare(&format!("{base}/{tpl}"), cases).await;
        let scratch = "hcp_bench_jobs_run";
        sqlx::query(&format!("DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"))
            .execute(&mut c)
            .await
            .unwrap();
        // The template's last connections may take a moment to go.
        let mut tries = 0;
        while let Err(e) = sqlx::query(&format!("CREATE DATABASE {scratch} TEMPLATE \"{tpl}\""))
            .execute(&mut c)
            .await
        {
            tries += 1;
            assert!(tries < 50, "CREATE DATABASE {scratch}: {e}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let r = run(&format!("{base}/{scratch}")).await;
        sqlx::query(&format!("DROP DATABASE {scratch} WITH (FORCE)"))
            .execute(&mut c)
            .await
            .unwrap();
        runs.push((label, r));
    }
    report("postgres", &runs);
}

fn main() {
    // `RUST_LOG=sqlx::query=debug` shows each statement and its time.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
        std::fs::create_dir_all(&dir).unwrap();
        sqlite(&dir).await;
        if std::env::var("HCP_BENCH_ONLY").is_ok_and(|v| v == "sqlite") {
            return;
        }
        postgres().await;
    });
}
