//! Two servers on one database, as behind a load balancer (issue 15).

use std::collections::BTreeSet;

use serde_json::{json, Value};
use server::state::now_ms;

use crate::helpers::{enrol, rating_for, TestApp};
use crate::load::enrol_kiosks;

crate::on_both_databases_with!(
    cluster, crate::load::many_devices;
    each_jobs_tick_runs_on_exactly_one_of_two_servers,
    two_hundred_tickets_opened_at_once_on_two_servers_all_reach_the_tablet_stream,
);

// Several servers share one PostgreSQL database; SQLite serves one server
// (docs/deploy.md), whose pads connect to it.
crate::on_postgres_only!(
    postgres;
    a_pad_on_one_server_is_pushed_the_service_started_on_the_other,
    a_calendar_edit_on_one_server_reaches_the_other_servers_cached_calendar,
    with_a_read_url_the_ratings_export_reads_the_replica_and_writes_go_to_the_primary,
    a_server_has_all_its_database_connections_open_before_the_first_burst,
    the_ratings_writers_keep_their_own_connections_and_losing_one_costs_no_device_an_error,
);

/// Each ratings writer writes its merged groups on a connection of its own,
/// kept across groups, so the ingest's statements are prepared and planned
/// once (docs/scale.md, stop 39). When the database ends that connection,
/// the group is written through the pool and every device is answered as
/// usual; the writer then takes a fresh connection.
async fn the_ratings_writers_keep_their_own_connections_and_losing_one_costs_no_device_an_error(
    app: TestApp,
) {
    let server::store::Store::Postgres(pool) = &app.store else {
        unreachable!()
    };
    let writers = || async {
        sqlx::query_scalar::<_, i32>(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
             AND application_name = $1 ORDER BY pid",
        )
        .bind(server::store::WRITER_APPLICATION_NAME)
        .fetch_all(pool)
        .await
        .unwrap()
    };
    let expected = server::coalesce::writers_for(&app.store, app.settings.ingest_writers);
    let before = writers().await;
    assert_eq!(before.len(), expected, "{before:?}");
    let mut seq = 0;
    let mut burst = |n: u64| {
        let batches: Vec<Value> = (seq + 1..=seq + n)
            .map(|s| app.batch(vec![app.rating(s, "satisfied")]))
            .collect();
        seq += n;
        batches
    };
    for _ in 0..3 {
        let batches = burst(10);
        for r in futures_util::future::join_all(batches.iter().map(|b| app.post_sync(b))).await {
            assert_eq!(r.status(), 200);
        }
        assert_eq!(
            writers().await,
            before,
            "the writers kept their connections"
        );
    }
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY($1)")
        .bind(&before)
        .execute(pool)
        .await
        .unwrap();
    // Syncs one after the other until each writer has met its lost
    // connection (which writer takes a group is not fixed).
    let mut after = vec![];
    for _ in 0..40 {
        let batch = burst(1).remove(0);
        let r = app.post_sync(&batch).await;
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(crate::helpers::statuses(&body), ["accepted"]);
        after = writers().await;
        if after.len() == expected && after.iter().all(|p| !before.contains(p)) {
            break;
        }
    }
    assert_eq!(after.len(), expected, "fresh writer connections: {after:?}");
    assert!(
        after.iter().all(|p| !before.contains(p)),
        "{before:?} {after:?}"
    );
    assert_eq!(
        app.count(server::store::CountedTable::Ratings).await,
        seq as i64
    );
}

/// A server (re)started while its devices wait opens its pool before it
/// answers, not during their first burst of syncs (docs/scale.md, stop
/// 38): right after start, with only the two test kiosks enrolled, every
/// connection of the pool is open, and a burst of 40 requests adds none.
async fn a_server_has_all_its_database_connections_open_before_the_first_burst(app: TestApp) {
    let server::store::Store::Postgres(pool) = &app.store else {
        unreachable!()
    };
    let open = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND backend_type = 'client backend'",
        )
        .fetch_one(pool)
        .await
        .unwrap()
    };
    let pooled = i64::from(server::store::PG_CONNECTIONS);
    // The pool, and the one connection each server keeps for LISTEN.
    let at_start = open().await;
    assert!(at_start >= pooled, "{at_start} connections open at start");
    let batches: Vec<Value> = (1..=40)
        .map(|seq| app.batch(vec![app.rating(seq, "satisfied")]))
        .collect();
    let burst = batches.iter().map(|b| app.post_sync(b));
    for r in futures_util::future::join_all(burst).await {
        assert_eq!(r.status(), 200);
    }
    assert_eq!(app.count(server::store::CountedTable::Ratings).await, 40);
    assert_eq!(open().await, at_start);
}

async fn each_jobs_tick_runs_on_exactly_one_of_two_servers(app: TestApp) {
    let (_, other) = app.second_instance().await;
    let every_ms = app.settings.policy.jobs_every_secs as i64 * 1000;
    let first = now_ms() / every_ms;
    for k in 0..6 {
        let now = (first + k) * every_ms + 17;
        let (a, b) = tokio::join!(
            server::jobs::tick(&app.state, now),
            server::jobs::tick(&other, now)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(
            a.is_some() != b.is_some(),
            "tick {k}: first server ran: {}, second: {}",
            a.is_some(),
            b.is_some()
        );
        // A late timer on the same tick finds it taken.
        assert!(server::jobs::tick(&other, now + 1).await.unwrap().is_none());
        assert!(server::jobs::tick(&app.state, now + 2)
            .await
            .unwrap()
            .is_none());
    }
    let runners = app.store.job_tick_runners(first, first + 5).await.unwrap();
    assert_eq!(runners.len(), 6, "{runners:?}");
    let who: BTreeSet<&str> = runners.iter().map(|(_, i)| i.as_str()).collect();
    assert!(who
        .iter()
        .all(|i| [&*app.state.instance, &*other.instance].contains(i)));
}

const DEVICES: usize = 40;
const BAD_PER_DEVICE: u64 = 5;

async fn two_hundred_tickets_opened_at_once_on_two_servers_all_reach_the_tablet_stream(
    app: TestApp,
) {
    let (second, _) = app.second_instance().await;
    let devices = enrol_kiosks(&app, DEVICES).await;
    app.login_admin().await;
    let mut stream = app
        .client
        .get(app.url("/api/v1/loop/events"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    // Every device sends its bad ratings one batch at a time, all devices at
    // once, half of them through the other server.
    let mut tasks = Vec::new();
    for (n, (device, token)) in devices.into_iter().enumerate() {
        let base = if n.is_multiple_of(2) {
            app.address.clone()
        } else {
            second.clone()
        };
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            for seq in 1..=BAD_PER_DEVICE {
                let body = json!({
                    "device_id": device.device_id,
                    "sent_at": now_ms(),
                    "items": [rating_for(&device, seq, "very_dissatisfied")],
                });
                let r = client
                    .post(format!("{base}/api/v1/sync"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let want = DEVICES * BAD_PER_DEVICE as usize;
    let mut heard = BTreeSet::new();
    let mut seen = String::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while heard.len() < want {
            let Some(chunk) = stream.chunk().await.unwrap() else {
                break;
            };
            seen.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = seen.find("\n\n") {
                let event: String = seen.drain(..end + 2).collect();
                if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                    let push: Value = serde_json::from_str(data).unwrap();
                    assert!(
                        heard.insert(push["id"].as_i64().unwrap()),
                        "ticket {} sent twice",
                        push["id"]
                    );
                }
            }
        }
    })
    .await;
    let opened: BTreeSet<i64> = app.get_json("/api/v1/loop/tickets?limit=500").await.1["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(opened.len(), want, "tickets opened");
    let missing: Vec<&i64> = opened.difference(&heard).collect();
    assert!(missing.is_empty(), "not pushed: {missing:?}");
}

/// The events a pad's stream sent, until one has all of `needles` (5 s).
async fn pad_event(resp: &mut reqwest::Response, seen: &mut String, needles: &[&str]) -> Value {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        if let Some(data) = seen
            .lines()
            .filter_map(|l| l.strip_prefix("data: "))
            .find(|d| needles.iter().all(|n| d.contains(n)))
        {
            let v: Value = serde_json::from_str(data).unwrap();
            seen.clear();
            return v;
        }
        let chunk = tokio::time::timeout_at(deadline, resp.chunk())
            .await
            .unwrap_or_else(|_| panic!("no pad event with {needles:?}; saw {seen:?}"))
            .unwrap()
            .expect("the stream stays open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}

async fn a_pad_on_one_server_is_pushed_the_service_started_on_the_other(app: TestApp) {
    let (second, _) = app.second_instance().await;
    let (_, token) = enrol(&app.address, "PAD-DC-W01").await;
    // The pad's stream is on the second server ...
    let mut pad = reqwest::Client::new()
        .get(format!("{second}/api/v1/pad/events?token={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(pad.status(), 200);
    let mut seen = String::new();
    pad_event(&mut pad, &mut seen, &["\"type\":\"idle\""]).await;
    // ... the clerk's tablet on the first.
    let csrf = app.login_as("window1").await;
    let (status, started) = app
        .post_json(
            "/api/v1/staff/service",
            &csrf,
            &json!({ "case_no": "LB-1" }),
        )
        .await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(
        started["pad_online"], true,
        "the first server knows the pad listens elsewhere"
    );
    assert!(started["qr_path"].is_null());
    let ev = pad_event(&mut pad, &mut seen, &["\"type\":\"serving\"", "LB-1"]).await;
    assert_eq!(ev["staff_name"], "王芳");
    let id = started["case"]["id"].as_i64().unwrap();
    let (status, body) = app
        .post_json(
            &format!("/api/v1/staff/service/{id}/finish"),
            &csrf,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    pad_event(&mut pad, &mut seen, &["\"type\":\"rate\"", "LB-1"]).await;
    // The pad gone, the first server offers the case's QR code instead.
    drop(pad);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (_, s) = app
            .post_json(
                "/api/v1/staff/service",
                &csrf,
                &json!({ "case_no": format!("LB-{}", now_ms()) }),
            )
            .await;
        if s["pad_online"] == false {
            assert!(s["qr_path"].is_string());
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the pad still counts as connected"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// The ratings export's data rows (after the header).
pub(crate) async fn exported_rows(address: &str) -> usize {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = c
        .post(format!("{address}/api/v1/staff/login"))
        .json(&json!({ "username": "supervisor", "password": crate::helpers::ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // From ten minutes ago: the ratings may fall before China's midnight.
    let from = domain::calendar::Date::of_instant(now_ms() - 600_000);
    let today = domain::calendar::Date::of_instant(now_ms());
    let r = c
        .get(format!(
            "{address}/api/v1/exports/ratings?from={from}&to={today}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap().lines().count().saturating_sub(1)
}

async fn with_a_read_url_the_ratings_export_reads_the_replica_and_writes_go_to_the_primary(
    app: TestApp,
) {
    use sqlx::Connection;
    // A "replica" that has the schema but has not caught up: no ratings.
    let admin_url = crate::helpers::pg_admin_url();
    let name = format!("hcp_test_replica_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .unwrap();
    let replica_url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
    server::store::Store::connect(&replica_url)
        .await
        .unwrap()
        .close()
        .await;

    let items: Vec<Value> = (1..=3).map(|i| app.rating(i, "satisfied")).collect();
    assert_eq!(app.post_sync(&app.batch(items)).await.status(), 200);
    assert_eq!(exported_rows(&app.address).await, 3, "the primary has them");

    let mut settings = app.settings.clone();
    settings.demo = false;
    settings.database_read_url = Some(replica_url.clone());
    let reader = server::startup::Application::build(settings).await.unwrap();
    let reader_state = reader.state();
    let address = format!("http://127.0.0.1:{}", reader.port());
    tokio::spawn(reader.run_until_stopped());
    // Sign-in writes a session: to the primary, which it reads back.
    assert_eq!(
        exported_rows(&address).await,
        0,
        "the export read the replica"
    );
    // Writes through this server land in the primary.
    let items: Vec<Value> = (4..=5).map(|i| app.rating(i, "satisfied")).collect();
    let r = reqwest::Client::new()
        .post(format!("{address}/api/v1/sync"))
        .bearer_auth(&app.tokens[&app.kiosk.device_id])
        .json(&app.batch(items))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(exported_rows(&app.address).await, 5);
    reader_state.store.close().await;
    reader_state.reads.close().await;
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&mut admin)
        .await;
}

/// Each server keeps the working-day calendar in memory; an edit on one
/// makes every other read it again (`hcp_calendar`), and deadlines set
/// there afterwards follow the edit.
async fn a_calendar_edit_on_one_server_reaches_the_other_servers_cached_calendar(app: TestApp) {
    use domain::calendar::Date;
    let (_, other) = app.second_instance().await;
    // 2026-12-30 is a Wednesday: a working day until made a holiday.
    let day = Date::parse("2026-12-30").unwrap();
    let cal = server::rectify::calendar(&other).await.unwrap();
    assert!(cal.is_working_day(day));
    // Cached: the same copy again.
    assert!(std::sync::Arc::ptr_eq(
        &cal,
        &server::rectify::calendar(&other).await.unwrap()
    ));
    let csrf = app.login_as("sysadmin").await;
    let r = app
        .client
        .put(app.url("/api/v1/admin/calendar/2026-12-30"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "date": "2026-12-30", "kind": "holiday", "name": "测试" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The editing server at once.
    assert!(!server::rectify::calendar(&app.state)
        .await
        .unwrap()
        .is_working_day(day));
    // The other when it hears of it.
    let until = now_ms() + 10_000;
    loop {
        if !server::rectify::calendar(&other)
            .await
            .unwrap()
            .is_working_day(day)
        {
            break;
        }
        assert!(now_ms() < until, "the other server kept its old calendar");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
