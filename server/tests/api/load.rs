//! Many devices at once (issue 15): contention waits, it never fails.

use serde_json::{json, Value};
use server::config::{Quota, Settings};
use server::state::now_ms;
use server::store::CountedTable;

use crate::helpers::{enrol_with, rating_for, register_kiosk_as, signed_in, statuses, TestApp};

/// Devices enrolled from one test address: the per-address limit is off.
pub fn many_devices(s: &mut Settings) {
    s.security.enrol_per_address = Quota::new(0, 60);
}

crate::on_both_databases_with!(
    load, crate::load::many_devices;
    two_hundred_devices_syncing_back_to_back_all_get_answers_and_no_500,
    the_load_tool_counts_exactly_what_the_server_stored,
);

crate::on_both_databases!(
    kiosks_syncing_at_once_show_their_last_contact_by_their_answer_and_once_a_minute,
    a_database_growing_fast_has_its_planner_statistics_refreshed_once,
    concurrent_batches_sharing_ids_are_answered_as_if_stored_one_after_another,
    a_batch_the_database_refuses_fails_alone_when_written_with_others,
    an_ingest_reads_its_new_ratings_back_by_key_not_by_reading_whole_tables,
    before_any_statistics_an_ingest_reads_flags_by_key_and_compiles_nothing,
    the_web_burst_detector_reads_one_window_of_an_endpoint_through_its_own_index,
    the_device_burst_detector_reads_a_device_by_time_and_no_index_is_kept_by_sequence,
    a_rating_naming_what_does_not_exist_is_refused_and_what_a_rating_names_stays,
);

/// The level a stored rating has, read from the content kept for it.
async fn stored_level(app: &TestApp, id: &str) -> String {
    let sql = "SELECT payload FROM ratings WHERE id = $1";
    let payload: String = match &app.store {
        server::store::Store::Sqlite(pool) => {
            sqlx::query_scalar(sql).bind(id).fetch_one(pool).await
        }
        server::store::Store::Postgres(pool) => {
            sqlx::query_scalar(sql).bind(id).fetch_one(pool).await
        }
    }
    .unwrap();
    let record: Value = serde_json::from_str(&payload).unwrap();
    record["level"].as_str().unwrap().to_string()
}

/// Thirty batches at once: ten groups of ten ratings, each group sent as
/// it is, sent again, and sent with every level changed. However the
/// writer merges them, each rating is stored once, and the answers are
/// those of the thirty batches stored one after the other in some order:
/// one `accepted` per rating; a resend of what was stored is `duplicate`,
/// other content under its id is `conflict` (and kept for review).
async fn concurrent_batches_sharing_ids_are_answered_as_if_stored_one_after_another(app: TestApp) {
    const GROUPS: u64 = 10;
    const PER: u64 = 10;
    let sent: Vec<Vec<Value>> = (0..GROUPS)
        .map(|g| {
            (1..=PER)
                .map(|i| app.rating(g * PER + i, "satisfied"))
                .collect()
        })
        .collect();
    let mut bodies = Vec::new();
    for items in &sent {
        let changed: Vec<Value> = items
            .iter()
            .map(|r| {
                let mut r = r.clone();
                r["level"] = json!("very_satisfied");
                r
            })
            .collect();
        bodies.push(("satisfied", app.batch(items.clone())));
        bodies.push(("satisfied", app.batch(items.clone())));
        bodies.push(("very_satisfied", app.batch(changed)));
    }
    let answers =
        futures_util::future::join_all(bodies.iter().map(|(_, b)| app.post_sync(b))).await;
    // rating id -> (level sent, status answered), one entry per sending.
    let mut by_id: std::collections::HashMap<String, Vec<(&str, String)>> = Default::default();
    for ((level, body), r) in bodies.iter().zip(answers) {
        assert_eq!(r.status(), 200);
        let answer: Value = r.json().await.unwrap();
        let items = body["items"].as_array().unwrap();
        let st = statuses(&answer);
        assert_eq!(st.len(), items.len(), "one answer per item: {answer}");
        for (item, status) in items.iter().zip(st) {
            by_id
                .entry(item["id"].as_str().unwrap().to_string())
                .or_default()
                .push((*level, status));
        }
    }
    assert_eq!(by_id.len(), (GROUPS * PER) as usize);
    let mut conflicts = 0;
    for (id, sendings) in &by_id {
        let accepted: Vec<&str> = sendings
            .iter()
            .filter(|(_, s)| s == "accepted")
            .map(|(l, _)| *l)
            .collect();
        assert_eq!(accepted.len(), 1, "{id}: {sendings:?}");
        let kept = accepted[0];
        assert_eq!(stored_level(&app, id).await, kept, "{id}: {sendings:?}");
        for (level, status) in sendings {
            if status == "accepted" {
                continue;
            }
            let expected = if *level == kept {
                "duplicate"
            } else {
                "conflict"
            };
            assert_eq!(status, expected, "{id}: {sendings:?}");
            conflicts += usize::from(status == "conflict");
        }
    }
    assert_eq!(
        app.count(CountedTable::Ratings).await,
        (GROUPS * PER) as i64
    );
    assert_eq!(
        app.count(CountedTable::SyncConflicts).await,
        conflicts as i64
    );
}

/// A batch PostgreSQL refuses (a NUL character in a comment) sent at the
/// same time as twenty good ones: if the writer merged them, the merged
/// write fails and each batch is written again on its own, so only that
/// batch is refused (422, nothing of it stored) and every good one is
/// stored. SQLite stores the NUL, so there all twenty-one are accepted.
async fn a_batch_the_database_refuses_fails_alone_when_written_with_others(app: TestApp) {
    let good: Vec<Value> = (0..20u64)
        .map(|b| {
            app.batch(
                (1..=5)
                    .map(|i| app.rating(b * 5 + i, "satisfied"))
                    .collect(),
            )
        })
        .collect();
    let mut odd = app.rating(1000, "satisfied");
    odd["comment"] = json!("窗口\u{0}人员");
    let odd = app.batch(vec![odd]);
    let all: Vec<&Value> = good
        .iter()
        .take(10)
        .chain([&odd])
        .chain(good.iter().skip(10))
        .collect();
    let answers = futures_util::future::join_all(all.iter().map(|b| app.post_sync(b))).await;
    let mut refused = 0;
    for (body, r) in all.iter().zip(answers) {
        let status = r.status().as_u16();
        let answer: Value = r.json().await.unwrap();
        if std::ptr::eq(*body, &odd) && app.store.kind() == "postgres" {
            assert_eq!(status, 422, "{answer}");
            assert_eq!(answer["error"]["code"], "invalid_text", "{answer}");
            refused += 1;
        } else {
            assert_eq!(status, 200, "{answer}");
            assert!(
                statuses(&answer).iter().all(|s| s == "accepted"),
                "{answer}"
            );
        }
    }
    let expected = if app.store.kind() == "postgres" {
        100
    } else {
        101
    };
    assert_eq!(app.count(CountedTable::Ratings).await, expected);
    assert_eq!(refused, usize::from(app.store.kind() == "postgres"));
}

/// 900 ratings into a fresh database: on PostgreSQL the hot tables are
/// analysed (not waiting for autovacuum's minute), from a small sample,
/// once, and again only when the table has grown fivefold; SQLite has
/// none. On PostgreSQL ratings are kept by month (migration 0025): what
/// is analysed is this month's partition, which holds them.
async fn a_database_growing_fast_has_its_planner_statistics_refreshed_once(app: TestApp) {
    let now = domain::calendar::Date::of_instant(now_ms());
    let month = format!("ratings_{}_{:02}", now.year, now.month);
    if let server::store::Store::Postgres(pool) = &app.store {
        // Autovacuum stays out of the way, so what analyses is the server.
        sqlx::query(&format!(
            "ALTER TABLE {month} SET (autovacuum_enabled = false)"
        ))
        .execute(pool)
        .await
        .unwrap();
    }
    let this = &app;
    let sync = |batches: std::ops::Range<u64>| async move {
        for b in batches {
            let items: Vec<Value> = (1..=450)
                .map(|i| this.rating(b * 450 + i, "satisfied"))
                .collect();
            assert_eq!(this.post_sync(&this.batch(items)).await.status(), 200);
        }
    };
    sync(0..2).await;
    assert_eq!(app.count(CountedTable::Ratings).await, 900);
    if app.store.kind() == "sqlite" {
        assert!(app.store.refresh_statistics().await.unwrap().is_empty());
        return;
    }
    let server::store::Store::Postgres(pool) = &app.store else {
        unreachable!()
    };
    // Whether the month was analysed, and its rows changed since.
    let stat = || async {
        sqlx::query_as::<_, (bool, i64)>(
            "SELECT last_analyze IS NOT NULL, n_mod_since_analyze FROM pg_stat_user_tables \
             WHERE relname = $1",
        )
        .bind(&month)
        .fetch_one(pool)
        .await
        .unwrap()
    };
    assert!(!stat().await.0, "nothing analysed it yet");
    // Each backend reports its counts within a second or so.
    let until = now_ms() + 15_000;
    let tables = loop {
        let t = app.store.refresh_statistics().await.unwrap();
        if !t.is_empty() {
            break t;
        }
        assert!(now_ms() < until, "the ratings table was never analysed");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(tables.contains(&month), "{tables:?}");
    assert!(stat().await.0);
    // A sample of 3,000 rows (target 10), not 30,000: the histogram of the
    // 900 distinct sequence numbers has 11 bounds, not 101.
    let bounds: i32 = sqlx::query_scalar(
        "SELECT array_length(histogram_bounds::TEXT::BIGINT[], 1) FROM pg_stats \
         WHERE tablename = $1 AND attname = 'device_seq'",
    )
    .bind(&month)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(bounds, 11);
    // Twice the size (900 more, seen in the counts): not again yet.
    sync(2..4).await;
    let until = now_ms() + 15_000;
    while stat().await.1 < 900 {
        assert!(now_ms() < until, "the 900 new ratings were never counted");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(!app
        .store
        .refresh_statistics()
        .await
        .unwrap()
        .contains(&month));
    // Five times the size (4,500 ratings since, more than 500 + 4 × 900):
    // analysed again.
    sync(4..12).await;
    let until = now_ms() + 15_000;
    while !app
        .store
        .refresh_statistics()
        .await
        .unwrap()
        .contains(&month)
    {
        assert!(
            now_ms() < until,
            "never analysed again at five times the size"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

const DEVICES: usize = 200;
const BATCHES: u64 = 3;
const PER_BATCH: u64 = 10;

/// Registers and enrols `n` kiosks at the demo hall; their configurations
/// and tokens.
pub async fn enrol_kiosks(app: &TestApp, n: usize) -> Vec<(app::api::types::DeviceConfig, String)> {
    let (admin, csrf) = signed_in(app, "admin").await;
    let mut out = Vec::new();
    for i in 0..n {
        let code = format!("KIOSK-LOAD-{i:03}");
        let enrol_code = register_kiosk_as(app, &admin, &csrf, &code).await;
        out.push(enrol_with(&app.address, &code, &enrol_code).await);
    }
    out
}

async fn two_hundred_devices_syncing_back_to_back_all_get_answers_and_no_500(app: TestApp) {
    let devices = enrol_kiosks(&app, DEVICES).await;
    let url = app.url("/api/v1/sync");
    let mut tasks = Vec::new();
    for (device, token) in devices {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut answers = Vec::new();
            for b in 0..BATCHES {
                let items: Vec<Value> = (1..=PER_BATCH)
                    .map(|i| {
                        let seq = b * PER_BATCH + i;
                        // One in five bad: each opens a ticket in the same transaction.
                        let level = if seq.is_multiple_of(5) {
                            "dissatisfied"
                        } else {
                            "satisfied"
                        };
                        // Each for its case (scanned from the 办件 slip): ingest
                        // reads the cases' ratings before it writes.
                        let mut r = rating_for(&device, seq, level);
                        r["case_no"] =
                            json!(format!("SP-LOAD-{}-{seq}", device.device_id.simple()));
                        r
                    })
                    .collect();
                let body =
                    json!({ "device_id": device.device_id, "sent_at": now_ms(), "items": items });
                let r = client
                    .post(&url)
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = r.status().as_u16();
                let body: Value = r.json().await.unwrap_or(Value::Null);
                answers.push((status, body));
            }
            answers
        }));
    }
    let mut failures = Vec::new();
    for t in tasks {
        for (status, body) in t.await.unwrap() {
            if status != 200 {
                failures.push(format!("{status} {body}"));
            } else {
                assert_eq!(statuses(&body), vec!["accepted"; PER_BATCH as usize]);
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} batches failed, e.g. {:?}",
        failures.len(),
        DEVICES as u64 * BATCHES,
        failures.first()
    );
    let total = DEVICES as i64 * (BATCHES * PER_BATCH) as i64;
    assert_eq!(app.count(CountedTable::Ratings).await, total);
    assert_eq!(app.count(CountedTable::Tickets).await, total / 5);
}

/// Every ingest reads the facts of its new ratings back (for the rollups).
/// On PostgreSQL that read used to hash the whole `rating_flags`,
/// `tickets` and `cases` tables once they looked small to the planner
/// (66 ms for 500 ratings at 130,000 flags under `make load`), so an
/// ingest's work grew with the database. After 1,500 ratings (each a
/// device-burst flag, every tenth bad with a ticket) and fresh statistics,
/// the plan for 500 of them reads each of those tables by key.
async fn an_ingest_reads_its_new_ratings_back_by_key_not_by_reading_whole_tables(app: TestApp) {
    for b in 0..3u64 {
        let items: Vec<Value> = (1..=500)
            .map(|i| {
                let level = if i % 10 == 0 {
                    "dissatisfied"
                } else {
                    "satisfied"
                };
                app.rating(b * 500 + i, level)
            })
            .collect();
        assert_eq!(app.post_sync(&app.batch(items)).await.status(), 200);
    }
    let ids = latest_500_ids(&app).await;
    if let server::store::Store::Postgres(pool) = &app.store {
        // A city's tables after some months: copies of a stored bad
        // rating, each flagged, one in ten with a ticket.
        add_flagged_copies(pool).await;
        for sql in [
            "INSERT INTO tickets OVERRIDING SYSTEM VALUE SELECT (jsonb_populate_record(NULL::tickets, to_jsonb(t) || jsonb_build_object(\
             'id', 1000000 + x.n, 'rating_id', x.id))).* \
             FROM (SELECT * FROM tickets LIMIT 1) t, \
             (SELECT id, device_seq AS n FROM ratings WHERE device_seq > 100000 AND device_seq % 10 = 0) x",
            "ANALYZE",
        ] {
            sqlx::query(sql).execute(pool).await.unwrap();
        }
    }
    let flags = app.count(CountedTable::RatingFlags).await;
    let tickets = app.count(CountedTable::Tickets).await;
    assert_eq!(ids.len(), 500);
    assert!(flags >= 1_000, "the burst detector flagged them ({flags})");
    assert!(tickets >= 140, "the bad ones have tickets ({tickets})");
    let plan = app.store.fact_plan(&ids).await.unwrap();
    let whole = |table: &str, alias: &str| {
        plan.iter().any(|l| {
            l.contains(&format!("Seq Scan on {table} "))
                || l.trim_start().starts_with(&format!("SCAN {alias}"))
                || l.contains(&format!("SCAN {table}"))
        })
    };
    // (`ratings` itself the planner may scan while 500 ids are a few
    // percent of it; it switches to the key as the table grows.)
    for (table, alias) in [("rating_flags", "f"), ("tickets", "t")] {
        let steps: Vec<&String> = plan
            .iter()
            .filter(|l| l.contains("Scan") || l.contains("SCAN") || l.contains("SEARCH"))
            .collect();
        assert!(!whole(table, alias), "{table} read whole: {steps:#?}");
    }
}

/// A new database filling fast has no planner statistics until the next
/// ANALYZE. PostgreSQL then took `verdict IS NULL` for rare and read the
/// flags through the pending-flags index, every unreviewed flag for each
/// rating, and the inflated cost made it JIT-compile the facts query: 400
/// ms a merged write, so the first seconds of `make load` ran at half
/// speed. With 20,000 unreviewed flags and no ANALYZE, the plan for 500
/// new ratings reads the flags by key and compiles nothing, and the
/// server's connections have JIT off.
async fn before_any_statistics_an_ingest_reads_flags_by_key_and_compiles_nothing(app: TestApp) {
    let items: Vec<Value> = (1..=500)
        .map(|i| {
            app.rating(
                i,
                if i % 10 == 0 {
                    "dissatisfied"
                } else {
                    "satisfied"
                },
            )
        })
        .collect();
    assert_eq!(app.post_sync(&app.batch(items)).await.status(), 200);
    let ids = latest_500_ids(&app).await;
    if let server::store::Store::Postgres(pool) = &app.store {
        add_flagged_copies(pool).await;
        let jit: String = sqlx::query_scalar("SHOW jit")
            .fetch_one(pool)
            .await
            .unwrap();
        assert_eq!(jit, "off", "the server's connections never JIT-compile");
    }
    assert!(app.count(CountedTable::RatingFlags).await >= 500);
    let plan = app.store.fact_plan(&ids).await.unwrap();
    assert!(
        !plan.iter().any(|l| l.contains("rating_flags_pending")),
        "flags read through the pending index: {plan:#?}"
    );
    assert!(
        !plan.iter().any(|l| l.contains("JIT")),
        "the facts query is JIT-compiled: {plan:#?}"
    );
}

/// The ids of the 500 ratings stored last.
async fn latest_500_ids(app: &TestApp) -> Vec<String> {
    let sql = "SELECT id FROM ratings ORDER BY received_at DESC, id LIMIT 500";
    match &app.store {
        server::store::Store::Sqlite(p) => sqlx::query_scalar(sql).fetch_all(p).await,
        server::store::Store::Postgres(p) => sqlx::query_scalar(sql).fetch_all(p).await,
    }
    .unwrap()
}

/// 20,000 copies of a stored bad rating (`device_seq` above 100,000), each
/// with an unreviewed device-burst flag, and no ANALYZE.
async fn add_flagged_copies(pool: &sqlx::PgPool) {
    for sql in [
        "INSERT INTO ratings SELECT (jsonb_populate_record(NULL::ratings, to_jsonb(r) || jsonb_build_object(\
         'id', gen_random_uuid()::text, 'device_seq', 100000 + g))).* \
         FROM (SELECT * FROM ratings WHERE grade = 'bad' LIMIT 1) r, generate_series(1, 20000) g",
        "INSERT INTO rating_flags (rating_id, reason, detail, flagged_at) \
         SELECT id, 'device_burst', 'copy', 0 FROM ratings WHERE device_seq > 100000",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
}

/// The load tool's figures are the server's: three devices syncing for a
/// second store exactly the ratings the tool counts as answered, with no
/// error, and their bad ratings open tickets. It loads no other machine.
async fn the_load_tool_counts_exactly_what_the_server_stored(app: TestApp) {
    let ratings = app.count(CountedTable::Ratings).await;
    let tickets = app.count(CountedTable::Tickets).await;
    let args = |url: &str| hcp_load::Args {
        url: url.into(),
        devices: 3,
        seconds: 1.0,
        batch: 5,
        bad_every: 5,
        password: crate::helpers::ADMIN_PASSWORD.into(),
        ..Default::default()
    };
    let report = hcp_load::run(&args(&app.address)).await.unwrap();
    let lines = report.lines().join("\n");
    assert!(report.batches_ok >= 3, "{lines}");
    assert_eq!(
        (
            report.errors_5xx,
            report.errors_4xx,
            report.errors_transport
        ),
        (0, 0, 0),
        "{lines}"
    );
    assert_eq!(report.latencies.len() as u64, report.batches_ok);
    assert!(lines.contains(&format!("BENCH sync_3dev_batches {} ok", report.batches_ok)));
    let stored = app.count(CountedTable::Ratings).await - ratings;
    assert_eq!(stored as u64, report.ratings_sent_ok, "{lines}");
    assert_eq!(report.ratings_sent_ok, report.batches_ok * 5);
    // One bad rating in each batch of five, each with its own case.
    let opened = app.count(CountedTable::Tickets).await - tickets;
    assert_eq!(opened as u64, report.batches_ok, "{lines}");

    let refused = hcp_load::run(&args("http://192.0.2.1:3000")).await;
    assert!(refused.err().unwrap().contains("loopback only"));
    let refused = hcp_load::run(&hcp_load::Args {
        devices: 1001,
        ..args(&app.address)
    })
    .await;
    assert!(refused.err().unwrap().starts_with("bounds"));
}

/// Whether a plan (SQLite's `EXPLAIN QUERY PLAN` lines or PostgreSQL's)
/// reads the whole of `ratings` (aliased `r` or not) instead of an index.
fn reads_all_ratings(plan: &[String]) -> bool {
    plan.iter().any(|l| {
        let l = l.trim_start();
        l.starts_with("SCAN r")
            || l.starts_with("SCAN ratings")
            || l.contains("Seq Scan on ratings")
    })
}

/// The web-burst detector's read (a web endpoint's ratings at one window,
/// around a batch, and the nearest on each side) is served by the index
/// made for it, on the device, the window as the query compares it and the
/// time; not by a device-only index that reads every window's ratings of
/// the place, and no index is kept on kiosk ratings for it.
async fn the_web_burst_detector_reads_one_window_of_an_endpoint_through_its_own_index(
    app: TestApp,
) {
    let device = app.kiosk.device_id.to_string();
    for k in [0, 4] {
        let plan = app.store.near_plan(&device, Some(3), k).await.unwrap();
        let text = plan.join("\n");
        assert!(text.contains("ratings_endpoint_rated"), "{text}");
        for other in ["ratings_device_rated", "ratings_device_window_rated"] {
            assert!(!text.contains(other), "{text}");
        }
        assert!(!reads_all_ratings(&plan), "{text}");
    }
}

/// The device-burst detector's read (a kiosk's ratings around a batch,
/// and the nearest on each side) is served by the device and time index.
/// That read is the only one by device, so no index on the device's
/// sequence numbers is kept for it (migration 0024): each rating is
/// written into one index fewer.
async fn the_device_burst_detector_reads_a_device_by_time_and_no_index_is_kept_by_sequence(
    app: TestApp,
) {
    let device = app.kiosk.device_id.to_string();
    for k in [0, 4] {
        let plan = app.store.near_plan(&device, None, k).await.unwrap();
        let text = plan.join("\n");
        assert!(text.contains("ratings_device_rated"), "{text}");
        assert!(!reads_all_ratings(&plan), "{text}");
    }
    let sql = match app.store {
        server::store::Store::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'ratings_device_seq'"
        }
        server::store::Store::Postgres(_) => {
            "SELECT indexname::TEXT FROM pg_indexes WHERE indexname = 'ratings_device_seq'"
        }
    };
    assert_eq!(app.text(sql).await, None);
}

/// The columns of `ratings`, in the order [`copy_of`] writes them.
pub(crate) const RATING_COLUMNS: [&str; 26] = [
    "id",
    "device_id",
    "device_seq",
    "channel",
    "case_no",
    "place_id",
    "window_id",
    "level",
    "grade",
    "dimension_set",
    "items",
    "reasons",
    "comment",
    "device_time",
    "rated_at",
    "received_at",
    "payload",
    "case_id",
    "stage",
    "kind",
    "proactive",
    "entered_by",
    "evaluator_phone",
    "evaluator_id_no",
    "client_hash",
    "evaluator_type",
];

/// One statement inserting two copies of rating `id` under new ids, the
/// second with `column` set to `value`.
pub(crate) fn copy_of(id: &str, column: &str, value: &str) -> String {
    let select = |new_id: String, changed: Option<&str>| {
        let exprs: Vec<String> = RATING_COLUMNS
            .iter()
            .map(|c| match (*c, changed) {
                ("id", _) => format!("'{new_id}'"),
                (c, Some(v)) if c == column => v.to_string(),
                (c, _) => c.to_string(),
            })
            .collect();
        format!("SELECT {} FROM ratings WHERE id = '{id}'", exprs.join(", "))
    };
    format!(
        "INSERT INTO ratings ({}) {} UNION ALL {}",
        RATING_COLUMNS.join(", "),
        select(uuid::Uuid::now_v7().to_string(), None),
        select(uuid::Uuid::now_v7().to_string(), Some(value)),
    )
}

fn refused_as_a_missing_reference(r: Result<(), sqlx::Error>, what: &str) {
    let e = r.expect_err(what);
    let kind = e.as_database_error().map(|d| d.kind());
    assert!(
        matches!(kind, Some(sqlx::error::ErrorKind::ForeignKeyViolation)),
        "{what}: {e}"
    );
}

/// What a rating names (its device, place, window, case, the staff member
/// who entered it) and a misuse flag's rating must exist, and stay, as
/// foreign keys would keep them. SQLite has the foreign keys; PostgreSQL
/// checks once per statement instead of once per row and key (migration
/// 0023), which a statement of several rows with one bad row, and a delete
/// racing an insert not yet committed, must not get past.
async fn a_rating_naming_what_does_not_exist_is_refused_and_what_a_rating_names_stays(
    app: TestApp,
) {
    let item = app.rating(1, "satisfied");
    let id = item["id"].as_str().unwrap().to_string();
    let r = app.post_sync(&app.batch(vec![item])).await;
    assert_eq!(r.status(), 200);
    let before = app.count(CountedTable::Ratings).await;
    for (column, value) in [
        ("device_id", "'no-such-device'"),
        ("place_id", "999999"),
        ("window_id", "999999"),
        ("case_id", "999999"),
        ("entered_by", "999999"),
    ] {
        refused_as_a_missing_reference(app.try_exec(&copy_of(&id, column, value)).await, column);
    }
    // Each statement failed whole: the good copy beside the bad is not kept.
    assert_eq!(app.count(CountedTable::Ratings).await, before);
    // Every reference as it was: stored.
    app.try_exec(&copy_of(&id, "comment", "'副本'"))
        .await
        .expect("a copy naming what exists");
    assert_eq!(app.count(CountedTable::Ratings).await, before + 2);

    refused_as_a_missing_reference(
        app.try_exec(
            "INSERT INTO rating_flags (rating_id, reason, detail, flagged_at) \
             VALUES ('no-such-rating', 'device_burst', '', 0)",
        )
        .await,
        "a flag of no rating",
    );
    app.try_exec(&format!(
        "INSERT INTO rating_flags (rating_id, reason, detail, flagged_at) VALUES ('{id}', 'device_burst', '', 0)"
    ))
    .await
    .expect("a flag of a stored rating");

    let device = app.kiosk.device_id;
    let place = app.kiosk.place_id;
    for sql in [
        format!("DELETE FROM devices WHERE id = '{device}'"),
        format!("DELETE FROM places WHERE id = {place}"),
        format!("DELETE FROM ratings WHERE id = '{id}'"),
    ] {
        refused_as_a_missing_reference(app.try_exec(&sql).await, &sql);
    }
    // A place no rating names can go (nothing else names this one).
    let empty = format!(
        "INSERT INTO places (code, name, kind, region_id) SELECT 'EMPTY', '空', 'hall', region_id \
         FROM places WHERE id = {place}"
    );
    app.exec(&empty).await;
    app.try_exec("DELETE FROM places WHERE code = 'EMPTY'")
        .await
        .expect("a place no rating names");

    // PostgreSQL: a delete that comes while a rating naming the row is not
    // yet committed waits for it, then refuses.
    let server::store::Store::Postgres(pool) = &app.store else {
        return;
    };
    app.exec(&empty).await;
    let new_place: i64 = sqlx::query_scalar("SELECT id FROM places WHERE code = 'EMPTY'")
        .fetch_one(pool)
        .await
        .unwrap();
    delete_racing_an_uncommitted_insert(
        pool,
        &copy_of(&id, "place_id", &new_place.to_string()),
        "DELETE FROM places WHERE code = 'EMPTY'",
        "a place named by a rating committed while its delete waited",
    )
    .await;
    assert_eq!(app.count(CountedTable::Ratings).await, before + 4);

    // The same for a flag of a rating committed earlier (migration 0026
    // locks only the flagged ratings that other transactions can see, and
    // this is one): the delete waits for the flag, then refuses.
    let other = app.rating(2, "satisfied");
    let other_id = other["id"].as_str().unwrap().to_string();
    assert_eq!(app.post_sync(&app.batch(vec![other])).await.status(), 200);
    let flags: i64 = sqlx::query_scalar("SELECT count(*) FROM rating_flags WHERE rating_id = $1")
        .bind(&other_id)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(flags, 0, "the rating is not flagged yet");
    delete_racing_an_uncommitted_insert(
        pool,
        &format!(
            "INSERT INTO rating_flags (rating_id, reason, detail, flagged_at) VALUES ('{other_id}', 'device_burst', '', 0)"
        ),
        &format!("DELETE FROM ratings WHERE id = '{other_id}'"),
        "a rating flagged by a transaction that committed while its delete waited",
    )
    .await;
    assert_eq!(app.count(CountedTable::Ratings).await, before + 5);
}

/// Runs `insert` in a transaction left open, starts `delete` beside it,
/// and commits once the delete is seen waiting on a lock (or has ended:
/// without the insert's lock it would not wait, and be let through); the
/// delete must then be refused as a missing reference.
async fn delete_racing_an_uncommitted_insert(
    pool: &sqlx::PgPool,
    insert: &str,
    delete: &str,
    what: &str,
) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(insert).execute(&mut *tx).await.unwrap();
    let deleting = {
        let (pool, sql) = (pool.clone(), delete.to_string());
        tokio::spawn(async move { sqlx::query(&sql).execute(&pool).await.map(drop) })
    };
    let like = format!("{}%", delete.split(" WHERE").next().unwrap_or(delete));
    while !deleting.is_finished() {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND wait_event_type = 'Lock' AND query LIKE $1",
        )
        .bind(&like)
        .fetch_one(pool)
        .await
        .unwrap();
        if waiting == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tx.commit().await.unwrap();
    refused_as_a_missing_reference(deleting.await.unwrap(), what);
}

/// Each kiosk's last contact on the devices page, by code (null: never).
async fn last_contacts(app: &TestApp) -> std::collections::HashMap<String, Option<i64>> {
    let (status, list) = app.get_json("/api/v1/admin/devices").await;
    assert_eq!(status, 200);
    list.as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d["last_seen_at"].as_i64(),
            )
        })
        .collect()
}

/// The ratings writer notes the last contact of a whole group of syncs in
/// one statement (on SQLite one write per request queued behind the
/// writer, and 200 kiosks speaking at once waited over a second). What a
/// device sees is unchanged: by its answer, refused or not, its last
/// contact is written; and at most once a minute.
async fn kiosks_syncing_at_once_show_their_last_contact_by_their_answer_and_once_a_minute(
    app: TestApp,
) {
    app.login_admin().await;
    app.exec("UPDATE devices SET last_seen_at = NULL").await;
    let (kiosk, other) = (&app.kiosk, &app.other_kiosk);
    let body = |k: &app::api::types::DeviceConfig, items: Vec<Value>| json!({ "device_id": k.device_id, "sent_at": now_ms(), "items": items });
    // A refused batch: its device spoke all the same.
    let before = now_ms();
    let mut wrong = rating_for(other, 1, "satisfied");
    wrong["level"] = json!("superb");
    let r = app.post_sync(&body(other, vec![wrong])).await;
    assert_eq!(r.status(), 422);
    let seen = last_contacts(&app).await;
    let at = seen[&other.code].expect("the refused batch's kiosk has a last contact");
    assert!((before..=now_ms()).contains(&at));
    assert_eq!(seen[&kiosk.code], None);
    // Five batches at once, written together.
    let before = now_ms();
    let bodies: Vec<Value> = (1..=5u64)
        .map(|i| body(kiosk, vec![rating_for(kiosk, i, "satisfied")]))
        .collect();
    let answers = futures_util::future::join_all(bodies.iter().map(|b| app.post_sync(b))).await;
    let after = now_ms();
    for r in answers {
        assert_eq!(r.status(), 200);
    }
    let at = last_contacts(&app).await[&kiosk.code].expect("the kiosk has a last contact");
    assert!(
        (before..=after).contains(&at),
        "{before} <= {at} <= {after}"
    );
    // Within the minute it is not written again.
    app.exec("UPDATE devices SET last_seen_at = NULL").await;
    for (k, seq) in [(kiosk, 6), (other, 7)] {
        let r = app
            .post_sync(&body(k, vec![rating_for(k, seq, "satisfied")]))
            .await;
        assert_eq!(r.status(), 200);
    }
    let seen = last_contacts(&app).await;
    assert_eq!((seen[&kiosk.code], seen[&other.code]), (None, None));
}
