//! `make bench` (reports): a Zibo-like quarter (9,069,695 ratings and as
//! many cases, 11 districts, `server::generator`) on SQLite and on
//! PostgreSQL, then per database:
//!
//! - the rebuild of the rollups from the raw tables;
//! - the full district report (seed 003 附件1) and the department ×
//!   district matrix (附件3) over HTTP, read from the rollups (median of 5);
//! - the same figures by a naive GROUP BY over the raw tables, and the ratio;
//! - (SQLite) the streamed CSV export of every rating of the quarter.
//!
//! The generated databases are kept (target/bench/, database
//! `hcp_bench_zibo`) and reused while they hold the same number of ratings;
//! `HCP_BENCH_RATINGS` sets another size; `HCP_BENCH_QUICK=1` times the
//! rollup reports alone; `HCP_BENCH_ONLY=sqlite` leaves PostgreSQL out.

use std::time::Instant;

use domain::report::Period;
use server::config::Settings;
use server::startup::Application;
use server::store::{NewStaff, Store};
use sqlx::Connection;

const PASSWORD: &str = "bench-报表";

/// `HCP_BENCH_QUICK=1`: only the reports from the rollups (no naive
/// baseline, no export), on datasets already generated.
fn quick() -> bool {
    std::env::var("HCP_BENCH_QUICK").is_ok_and(|v| v == "1")
}

fn ratings() -> u64 {
    std::env::var("HCP_BENCH_RATINGS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(9_069_695)
}

/// Makes (or reuses) the quarter in `url`.
async fn prepare(url: &str, n: u64) -> Store {
    let store = Store::connect(url).await.unwrap();
    let marker = format!("generated:{n}");
    let have = store.secret("bench_generated", String::new).await.unwrap();
    if have == marker {
        println!(
            "# {} quarter of {n} ratings already generated: reused",
            store.kind()
        );
        return store;
    }
    assert_eq!(have, "", "{url} holds another bench dataset; remove it");
    let period = Period::parse(None, Some("2022-Q4"), None, None).unwrap();
    let t = Instant::now();
    let made =
        server::generator::generate(&store, None, server::generator::Scale::zibo(n), period, "!")
            .await
            .unwrap();
    println!(
        "# {}: generated {made:?} in {:.0} s",
        store.kind(),
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    store.rebuild_rollups().await.unwrap();
    println!(
        "BENCH rollup_rebuild_{} {:.1} s",
        store.kind(),
        t.elapsed().as_secs_f64()
    );
    let hash = server::auth::hash_password(PASSWORD).unwrap();
    store
        .insert_staff(&NewStaff {
            username: "bench-supervisor",
            display_name: "督查",
            role: domain::Role::Supervisor,
            department_id: None,
            place_id: None,
            window_id: None,
            password_hash: &hash,
        })
        .await
        .unwrap();
    store.set_secret("bench_generated", &marker).await.unwrap();
    store
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

async fn median_ms(runs: usize, mut f: impl AsyncFnMut()) -> f64 {
    f().await; // warm-up
    let mut times = vec![];
    for _ in 0..runs {
        let t = Instant::now();
        f().await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

async fn measure(url: &str, n: u64) {
    let store = prepare(url, n).await;
    let kind = store.kind();
    let app = Application::build(settings(url)).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = client
        .post(format!("{base}/api/v1/staff/login"))
        .json(&serde_json::json!({ "username": "bench-supervisor", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let period = Period::parse(None, Some("2022-Q4"), None, None).unwrap();
    let (from, to) = period.day_range();
    let mut check_total = 0.0;
    for (code, naive_keys) in [
        ("districts", ("x.district_id", "0")),
        ("matrix", ("x.department_id", "x.district_id")),
    ] {
        let url = format!("{base}/api/v1/reports/{code}?quarter=2022-Q4");
        let fast = median_ms(5, async || {
            let r = client.get(&url).send().await.unwrap();
            assert!(r.status().is_success(), "{code}: {}", r.status());
            let v: serde_json::Value = r.json().await.unwrap();
            if code == "districts" {
                check_total = v["total"]["cells"][1].as_f64().unwrap();
            }
        })
        .await;
        println!("BENCH report_{code}_{kind} {fast:.1} ms");
        println!(
            "# target: report_{code}_{kind} <= 100 ms: {}",
            if fast <= 100.0 { "met" } else { "MISSED" }
        );
        if quick() {
            continue;
        }
        let t = Instant::now();
        let naive = store
            .naive_sums(naive_keys.0, naive_keys.1, from, to)
            .await
            .unwrap();
        let slow = t.elapsed().as_secs_f64() * 1000.0;
        if code == "districts" {
            let total: u64 = naive.iter().map(|k| k.counts.ratings).sum();
            assert_eq!(total as f64, check_total, "rollups and raw agree on 评价数");
        }
        println!("BENCH naive_group_by_{code}_{kind} {slow:.0} ms");
        println!("BENCH naive_vs_rollup_{code}_{kind} {:.0} x", slow / fast);
    }
    if kind == "sqlite" && !quick() {
        let t = Instant::now();
        let r = client
            .get(format!("{base}/api/v1/exports/ratings?quarter=2022-Q4"))
            .send()
            .await
            .unwrap();
        let mut lines = 0u64;
        let mut r = r;
        while let Some(chunk) = r.chunk().await.unwrap() {
            lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "BENCH export_ratings_csv_{kind} {:.0} rows/s",
            (lines - 1) as f64 / secs
        );
        println!("# export: {} rows streamed in {secs:.0} s", lines - 1);
    }
}

fn main() {
    let n = ratings();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
        std::fs::create_dir_all(&dir).unwrap();
        measure(
            &format!("sqlite://{}", dir.join(format!("zibo-{n}.db")).display()),
            n,
        )
        .await;
        if std::env::var("HCP_BENCH_ONLY").is_ok_and(|v| v == "sqlite") {
            return;
        }
        let admin = std::env::var("TEST_DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        match sqlx::PgConnection::connect(&admin).await {
            Ok(mut c) => {
                let name = format!("hcp_bench_zibo_{n}");
                let exists: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)",
                )
                .bind(&name)
                .fetch_one(&mut c)
                .await
                .unwrap();
                if !exists {
                    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                        .execute(&mut c)
                        .await
                        .unwrap();
                }
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
                measure(&format!("{base}/{name}"), n).await;
            }
            Err(e) => println!("# PostgreSQL skipped: {e}"),
        }
    });
}
