//! `make bench`: prints `BENCH <name> <value> <unit>` lines.
//!
//! - sync ingest over HTTP: batches of 500 to `POST /api/v1/sync`, two
//!   devices sending at once, on SQLite and on PostgreSQL (a fresh database
//!   on `TEST_DATABASE_URL`'s server, default the local one, dropped after);
//! - the baseline, measured in the same run: the same rows inserted into the
//!   same schema with plain batched INSERTs, no HTTP and no reconciliation;
//! - their ratio (the figure that holds on a noisy machine);
//! - the ingest with the outbox on (queuing for the provincial platform)
//!   against off, measured off, on, on, off: their means and ratio;
//! - the kiosk's wasm + js + css, raw, gzip and brotli (release build).
//!
//! `BENCH_SQLITE_ONLY=1` stops after the SQLite figures (about 25 s: for
//! alternating two builds on this noisy machine).

use std::io::Write;
use std::time::Instant;

use app::api::types::SyncRequest;
use domain::{Channel, ItemRating, Level, RatingRecord, ReasonTag, DEFAULT_DIMENSION_SET};
use server::config::Settings;
use server::startup::Application;
use server::state::now_ms;
use server::store::{CountedTable, NewRating, Store};
use uuid::Uuid;

const BATCH: usize = 500;
const BATCHES_PER_DEVICE: usize = 40;

fn settings(database_url: &str) -> Settings {
    Settings {
        database_url: database_url.to_string(),
        database_read_url: None,
        addr: "127.0.0.1:0".parse().unwrap(),
        site_root: "target/site".into(),
        site_pkg_dir: "pkg".into(),
        output_name: "hcp".into(),
        demo: true,
        demo_password: Some("bench".into()),
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

/// Realistic ratings: mostly good, a few bad with reasons and a comment.
fn ratings(
    device_no: u8,
    device_id: Uuid,
    place_id: i64,
    n: usize,
    seq0: u64,
) -> Vec<RatingRecord> {
    let t0 = now_ms();
    (0..n)
        .map(|i| {
            let level = Level::ALL[[0, 0, 0, 1, 1, 1, 2, 0, 1, 3][i % 10]];
            // A citizen every 7 s per kiosk: a realistic pace, under the
            // misuse detector's burst threshold (10 within 60 s).
            let t = t0 - 48 * 3_600_000 + i as i64 * 7_000;
            let mut rnd = [0u8; 10];
            rnd[..8].copy_from_slice(&(seq0 + i as u64).to_le_bytes());
            // Ids differ across devices even when their clocks agree.
            rnd[8] = device_no;
            RatingRecord {
                id: domain::rating::new_rating_id(t as u64, &rnd),
                device_id,
                seq: seq0 + i as u64 + 1,
                device_time: t,
                channel: Channel::Kiosk,
                case_no: None,
                place_id,
                window_id: None,
                level,
                dimension_set: DEFAULT_DIMENSION_SET.code.into(),
                items: vec![ItemRating {
                    dimension: "attitude".into(),
                    level,
                }],
                reasons: if level.is_bad() {
                    vec![ReasonTag::Slow]
                } else {
                    vec![]
                },
                comment: if level.is_bad() {
                    "窗口排队时间太长，材料要求没有一次讲清楚".into()
                } else {
                    String::new()
                },
                stage: None,
                link: None,
                evaluator_phone: None,
                evaluator_id_no: None,
                evaluator_type: None,
            }
        })
        .collect()
}

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("hcp-bench-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

async fn device(store: &Store, code: &str) -> (Uuid, i64) {
    let d = store.device_by_code(code).await.unwrap().unwrap();
    (d.id.parse().unwrap(), d.place_id)
}

/// Enrols a demo kiosk straight in the store; returns its token.
async fn enrol(store: &Store, code: &str) -> String {
    use server::auth::token_hash;
    let (one_time, token) = ("bench-enrol", format!("bench-token-{code}"));
    assert!(store
        .set_enrol_code(code, &token_hash(one_time), now_ms() + 60_000)
        .await
        .unwrap());
    // Enrolled a week ago: the ratings, dated up to two days back, are not
    // "before enrolment" (which would flag each of them late).
    assert!(store
        .enrol_device(
            code,
            &token_hash(one_time),
            &token_hash(&token),
            now_ms() - 7 * 86_400_000
        )
        .await
        .unwrap());
    token
}

/// Sync ingest over HTTP; with `outbox`, every rating is also queued for
/// the provincial platform in its transaction (as with `HCP_PROVINCE_URL`).
async fn http_ingest(url: &str, outbox: bool) -> (f64, usize, Store) {
    let app = Application::build(settings(url)).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let store = app.store.clone();
    store
        .set_destination("province", outbox, now_ms())
        .await
        .unwrap();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let mut bodies = Vec::new();
    for (no, code) in server::demo::KIOSKS.into_iter().enumerate() {
        let (id, place) = device(&store, code).await;
        let token = enrol(&store, code).await;
        let all = ratings(no as u8, id, place, BATCH * (BATCHES_PER_DEVICE + 1), 0);
        let per_device: Vec<(String, Vec<u8>)> = all
            .chunks(BATCH)
            .map(|c| {
                let body = serde_json::to_vec(&SyncRequest {
                    device_id: id,
                    sent_at: now_ms(),
                    items: c.to_vec(),
                })
                .unwrap();
                (token.clone(), body)
            })
            .collect();
        bodies.push(per_device);
    }
    let send = |client: reqwest::Client, url: String, (token, body): (String, Vec<u8>)| async move {
        let r = client
            .post(url)
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "sync answered {}", r.status());
    };
    // Warm-up: the first batch of each device is not timed.
    for b in &mut bodies {
        send(client.clone(), format!("{base}/api/v1/sync"), b.remove(0)).await;
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for device_bodies in bodies {
        let client = client.clone();
        let url = format!("{base}/api/v1/sync");
        tasks.push(tokio::spawn(async move {
            for body in device_bodies {
                send(client.clone(), url.clone(), body).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    let timed = 2 * BATCH * BATCHES_PER_DEVICE;
    let stored = store.count(CountedTable::Ratings).await.unwrap() as usize;
    assert_eq!(
        stored,
        timed + 2 * BATCH,
        "every rating stored exactly once"
    );
    (timed as f64 / secs, timed, store)
}

/// The sync ingest with the outbox off and on, measured off, on, on, off
/// (so that neither side always runs later, on a warmer or fuller
/// machine): the mean of each, how many ratings a run times, and the last
/// outbox run's store (for the delivery figure).
async fn off_and_on(urls: [String; 4]) -> (f64, f64, usize, Store) {
    let (off1, n, _) = http_ingest(&urls[0], false).await;
    let (on1, _, _) = http_ingest(&urls[1], true).await;
    let (on2, _, store) = http_ingest(&urls[2], true).await;
    let (off2, _, _) = http_ingest(&urls[3], false).await;
    ((off1 + off2) / 2.0, (on1 + on2) / 2.0, n, store)
}

/// Delivers everything the outbox holds to a fake platform on loopback
/// (it parses each body and counts the records), one worker, batches of
/// 500: records per second.
async fn delivery(store: &Store) -> (f64, usize) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let received = Arc::new(AtomicUsize::new(0));
    let counter = received.clone();
    let platform = axum::Router::new().route(
        "/records",
        axum::routing::post(move |body: String| {
            let counter = counter.clone();
            async move {
                let v: serde_json::Value = serde_json::from_str(&body).unwrap();
                counter.fetch_add(v["records"].as_array().unwrap().len(), Ordering::Relaxed);
                axum::Json(serde_json::json!({ "results": [] }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/records", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, platform).await.unwrap() });
    let mut dest = server::config::Destination::new("province", &url);
    dest.batch = 500;
    let client = server::upstream::client();
    let start = Instant::now();
    let mut n = 0;
    loop {
        let took = server::upstream::deliver_once(store, &dest, &client, now_ms())
            .await
            .unwrap();
        if took == 0 {
            break;
        }
        n += took;
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(received.load(Ordering::Relaxed), n, "every record arrived");
    (n as f64 / secs, n)
}

fn report_outbox(db: &str, ingest_off: f64, ingest_on: f64, delivered: f64, n: usize) {
    println!("BENCH sync_ingest_http_outbox_{db} {ingest_on:.0} ratings/s");
    println!(
        "BENCH sync_ingest_outbox_vs_off_ratio_{db} {:.2} x",
        ingest_on / ingest_off
    );
    println!("# {n} records delivered to a loopback platform, batches of 500, one worker, {db}");
    println!("BENCH outbox_delivery_{db} {delivered:.0} records/s");
    if db == "sqlite" {
        println!(
            "# target: outbox_delivery_sqlite >= 5000 records/s: {}",
            if delivered >= 5_000.0 {
                "met"
            } else {
                "MISSED"
            }
        );
    }
}

fn rows(chunk: &[(RatingRecord, String)]) -> Vec<NewRating<'_>> {
    chunk
        .iter()
        .map(|(r, c)| NewRating::plain(r, c, r.device_time))
        .collect()
}

async fn raw_insert(url: &str) -> f64 {
    let store = Store::connect(url).await.unwrap();
    server::demo::load(&store, Some("bench"), false)
        .await
        .unwrap();
    let mut all = Vec::new();
    for (no, code) in server::demo::KIOSKS.into_iter().enumerate() {
        let (id, place) = device(&store, code).await;
        all.push(ratings(
            no as u8,
            id,
            place,
            BATCH * (BATCHES_PER_DEVICE + 1),
            0,
        ));
    }
    let received = now_ms();
    let prepared: Vec<Vec<(RatingRecord, String)>> = all
        .into_iter()
        .map(|rs| {
            rs.into_iter()
                .map(|r| {
                    let c = r.canonical();
                    (r, c)
                })
                .collect()
        })
        .collect();
    for d in &prepared {
        store
            .insert_ratings_raw(&rows(&d[..BATCH]), received)
            .await
            .unwrap();
    }
    let start = Instant::now();
    let mut n = 0;
    for i in 1..=BATCHES_PER_DEVICE {
        for d in &prepared {
            let chunk = &d[i * BATCH..(i + 1) * BATCH];
            store
                .insert_ratings_raw(&rows(chunk), received)
                .await
                .unwrap();
            n += chunk.len();
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// A bundle's files in a `pkg` directory: `{name}.{ext}` or, with content
/// hashes, `{name}.{hash}.{ext}`.
fn bundle_files(pkg: &std::path::Path, name: &str, exts: &[&str]) -> Option<Vec<Vec<u8>>> {
    let entries: Vec<String> = std::fs::read_dir(pkg)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    exts.iter()
        .map(|ext| {
            let file = entries.iter().find(|f| {
                let Some(rest) = f.strip_prefix(name).and_then(|r| r.strip_suffix(ext)) else {
                    return false;
                };
                // `.` alone, or `.{hash}.` with no further dot (hcp-staff is
                // not hcp).
                rest == "."
                    || (rest.starts_with('.')
                        && rest.ends_with('.')
                        && rest[1..rest.len() - 1].chars().all(|c| c != '.'))
            })?;
            std::fs::read(pkg.join(file)).ok()
        })
        .collect()
}

/// Raw, gzip and brotli bytes, each file compressed on its own as the
/// server sends it (its precompressed `.br` / `.gz` files).
fn compressed(files: &[Vec<u8>]) -> (usize, usize, usize) {
    let (mut raw, mut gz, mut br) = (0, 0, 0);
    for f in files {
        raw += f.len();
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        g.write_all(f).unwrap();
        gz += g.finish().unwrap().len();
        let mut b = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut b, 4096, 11, 22);
            w.write_all(f).unwrap();
        }
        br += b.len();
    }
    (raw, gz, br)
}

fn sizes() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    let citizen_pkg = root.join("site/pkg");
    let terminal_pkg = root.join("site-terminal/pkg");
    let staff_pkg = root.join("site-staff/pkg");
    let css = bundle_files(&citizen_pkg, "hcp", &["css"]).unwrap_or_default();
    // What a kiosk page fetches: the terminal bundle and the stylesheet.
    let Some(mut kiosk) = bundle_files(&terminal_pkg, "hcp-terminal", &["wasm", "js"]) else {
        println!(
            "# bundle sizes skipped: no terminal bundle in {}; run `make build` first",
            terminal_pkg.display()
        );
        return;
    };
    kiosk.extend(css.clone());
    let kb = |n: usize| n as f64 / 1000.0;
    let (raw, gz, br) = compressed(&kiosk);
    println!("BENCH citizen_first_load_raw {:.1} KB", kb(raw));
    println!("BENCH citizen_first_load_gzip {:.1} KB", kb(gz));
    println!("BENCH citizen_first_load_brotli {:.1} KB", kb(br));
    println!(
        "# target: citizen_first_load_brotli <= 200 KB (wasm + js + css a kiosk page fetches): {}",
        if br <= 200_000 { "met" } else { "MISSED" }
    );
    // A phone's rating page fetches the citizen bundle and the stylesheet.
    if let Some(phone) = bundle_files(&citizen_pkg, "hcp", &["wasm", "js", "css"]) {
        let (raw, _, br) = compressed(&phone);
        println!("BENCH phone_first_load_raw {:.1} KB", kb(raw));
        println!("BENCH phone_first_load_brotli {:.1} KB", kb(br));
    }
    // A staff page fetches the staff bundle and the same stylesheet.
    match bundle_files(&staff_pkg, "hcp-staff", &["wasm", "js"]) {
        Some(mut staff) => {
            staff.extend(css);
            let (raw, _, br) = compressed(&staff);
            println!("BENCH staff_first_load_raw {:.1} KB", kb(raw));
            println!("BENCH staff_first_load_brotli {:.1} KB", kb(br));
        }
        None => println!(
            "# staff bundle sizes skipped: none in {}",
            staff_pkg.display()
        ),
    }
}

/// A fresh PostgreSQL database on the test server, or `None` when there is
/// none to reach: (its URL, the admin URL to drop it with).
async fn pg_database(tag: &str) -> Option<(String, String)> {
    use sqlx::Connection;
    let admin = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut conn = sqlx::PgConnection::connect(&admin).await.ok()?;
    let name = format!("hcp_bench_{tag}_{}", std::process::id());
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .ok()?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .ok()?;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some((format!("{base}/{name}"), admin))
}

async fn drop_pg(url: &str, admin: &str) {
    use sqlx::Connection;
    let name = url.rsplit('/').next().unwrap_or_default();
    if let Ok(mut conn) = sqlx::PgConnection::connect(admin).await {
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn)
            .await;
    }
}

fn report(db: &str, n: usize, http: f64, raw: f64, target: f64) {
    println!("# {n} ratings in batches of {BATCH}, two devices at once, {db}");
    println!("BENCH sync_ingest_http_{db} {http:.0} ratings/s");
    println!("BENCH raw_batched_insert_{db} {raw:.0} rows/s");
    // SQLite's ratio keeps the name it always had.
    let ratio = if db == "sqlite" {
        "sync_ingest_vs_raw_ratio".to_string()
    } else {
        format!("sync_ingest_vs_raw_ratio_{db}")
    };
    println!("BENCH {ratio} {:.2} x", http / raw);
    println!(
        "# targets on {db}: ingest >= {target:.0} ratings/s: {}; ratio >= 0.3: {}",
        if http >= target { "met" } else { "MISSED" },
        if http / raw >= 0.3 { "met" } else { "MISSED" }
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sqlite = |name: &str| format!("sqlite://{}", temp_db(name).display());
        let (http, with_outbox, n, store) = off_and_on([
            sqlite("http.db"),
            sqlite("outbox.db"),
            sqlite("outbox2.db"),
            sqlite("http2.db"),
        ])
        .await;
        let raw = raw_insert(&sqlite("raw.db")).await;
        // SQLite (WAL, synchronous=NORMAL).
        report("sqlite", n, http, raw, 30_000.0);
        let (delivered, records) = delivery(&store).await;
        report_outbox("sqlite", http, with_outbox, delivered, records);
        if std::env::var("BENCH_SQLITE_ONLY").is_ok() {
            return;
        }
        let mut dbs = Vec::new();
        for tag in ["http", "outbox", "outbox2", "http2", "raw"] {
            dbs.push(pg_database(tag).await);
        }
        if let Some(dbs) = dbs.into_iter().collect::<Option<Vec<(String, String)>>>() {
            let admin = dbs[0].1.clone();
            let urls: Vec<String> = dbs.into_iter().map(|(url, _)| url).collect();
            let (http, with_outbox, n, store) =
                off_and_on([0, 1, 2, 3].map(|i| urls[i].clone())).await;
            let raw = raw_insert(&urls[4]).await;
            let (delivered, records) = delivery(&store).await;
            if let Store::Postgres(p) = &store {
                p.close().await;
            }
            for url in &urls {
                drop_pg(url, &admin).await;
            }
            report("postgres", n, http, raw, 20_000.0);
            report_outbox("postgres", http, with_outbox, delivered, records);
        } else {
            println!("# PostgreSQL skipped: no server at TEST_DATABASE_URL or 127.0.0.1:5432");
        }
    });
    sizes();
}
