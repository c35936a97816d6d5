//! Delivery to the provincial platform (issue 16) against a fake platform:
//! a real HTTP server on port 0 that fails, times out and loses its answers
//! at random, and refuses some records for good. After the run every
//! record arrived once (by its key), a ticket's steps in their order, and
//! the dead letters are exactly the refused records.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use server::config::Destination;
use server::state::now_ms;
use server::store::Store;

use crate::helpers::TestApp;

crate::on_both_databases!(
    every_record_reaches_the_platform_once_and_in_order_through_failures_timeouts_and_lost_answers,
    a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing,
    only_a_system_admin_requeues_dead_letters_and_the_page_counts_them,
    a_case_goes_up_once_when_it_is_finished,
    a_synced_batch_is_queued_as_one_row_and_becomes_one_record_per_rating_once,
);

crate::on_postgres_only!(
    postgres_only;
    two_servers_share_the_outbox_and_post_each_record_once,
);

pub(crate) const TOKEN: &str = "province-test-token";
pub(crate) const SIGNING_KEY: &str = "province-test-signing-key";
/// The worker's time limit per request; a "slow" platform answers later.
pub(crate) const TIMEOUT_MS: u64 = 400;
/// Records per request.
pub(crate) const BATCH: usize = 20;

/// What the fake platform does with a request, in permille.
#[derive(Clone, Copy, Default)]
pub(crate) struct Faults {
    /// Answers 503 and stores nothing.
    pub(crate) fail: u32,
    /// Answers only after the worker gave up, storing nothing.
    pub(crate) slow: u32,
    /// Stores, then answers only after the worker gave up (the answer is
    /// lost: the worker sends the same records again).
    pub(crate) lost: u32,
    /// Holds every answer this long (ms) after storing.
    pub(crate) delay_ms: u64,
    /// The first three requests fail, are too slow and lose their answer,
    /// in that order, whatever the dice say after.
    pub(crate) scripted: bool,
}

#[derive(Default)]
pub(crate) struct Platform {
    /// What the platform keeps, by key.
    pub(crate) stored: HashMap<String, Value>,
    /// Keys in the order they were first stored.
    pub(crate) arrivals: Vec<String>,
    /// Every request that named a key (retries included).
    pub(crate) posts: HashMap<String, u32>,
    /// Keys refused for good.
    pub(crate) refused: HashSet<String>,
    pub(crate) requests: u32,
    /// Every request, faulty ones included.
    pub(crate) calls: u32,
    /// The most records one request carried.
    pub(crate) largest: usize,
    pub(crate) unauthorised: u32,
}

#[derive(Clone)]
struct Fake {
    platform: Arc<Mutex<Platform>>,
    faults: Faults,
}

async fn receive(State(f): State<Fake>, headers: HeaderMap, body: String) -> Response {
    let authorised = headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {TOKEN}"))
        && headers
            .get("x-hcp-signature")
            .and_then(|v| v.to_str().ok())
            .and_then(|s| {
                let t: i64 = s.strip_prefix("t=")?.split(',').next()?.parse().ok()?;
                Some(server::upstream::signature(SIGNING_KEY, t, &body) == s)
            })
            .unwrap_or(false);
    if !authorised {
        f.platform.lock().unwrap().unauthorised += 1;
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let Faults {
        fail,
        slow,
        lost,
        delay_ms,
        scripted,
    } = f.faults;
    let call = {
        let mut p = f.platform.lock().unwrap();
        p.calls += 1;
        p.calls
    };
    let roll = match call {
        1 if scripted => 0,
        2 if scripted => fail,
        3 if scripted => fail + slow,
        _ => rand::random::<u32>() % 1000,
    };
    if roll < fail {
        return (StatusCode::SERVICE_UNAVAILABLE, "维护中").into_response();
    }
    if roll < fail + slow {
        tokio::time::sleep(Duration::from_millis(TIMEOUT_MS * 2)).await;
        return (StatusCode::SERVICE_UNAVAILABLE, "too late").into_response();
    }
    let records: Value = serde_json::from_str(&body).unwrap();
    let mut results = Vec::new();
    {
        let mut p = f.platform.lock().unwrap();
        p.requests += 1;
        let n = records["records"].as_array().unwrap().len();
        p.largest = p.largest.max(n);
        for r in records["records"].as_array().unwrap() {
            let key = r["key"].as_str().unwrap().to_string();
            *p.posts.entry(key.clone()).or_default() += 1;
            if p.refused.contains(&key) {
                results.push(json!({ "key": key, "ok": false, "error": "办件编号不存在" }));
                continue;
            }
            if !p.stored.contains_key(&key) {
                p.stored.insert(key.clone(), r.clone());
                p.arrivals.push(key.clone());
            }
            results.push(json!({ "key": key, "ok": true }));
        }
    }
    if roll < fail + slow + lost {
        tokio::time::sleep(Duration::from_millis(TIMEOUT_MS * 2)).await;
    } else if delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
    Json(json!({ "results": results })).into_response()
}

/// Starts the fake platform; its address and what it keeps.
pub(crate) async fn fake_platform(faults: Faults) -> (String, Arc<Mutex<Platform>>) {
    let platform = Arc::new(Mutex::new(Platform::default()));
    let app = Router::new()
        .route("/records", post(receive))
        .with_state(Fake {
            platform: platform.clone(),
            faults,
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/records", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, platform)
}

/// The destination as a test runs it: short timeouts, leases and backoff.
pub(crate) fn destination(url: &str) -> Destination {
    destination_named("province", url)
}

/// [`destination`] under another name (the hotline, the SMS gateway).
pub(crate) fn destination_named(name: &'static str, url: &str) -> Destination {
    let mut d = Destination::new(name, url);
    d.token = Some(TOKEN.into());
    d.signing_key = Some(SIGNING_KEY.into());
    d.batch = BATCH;
    d.timeout_ms = TIMEOUT_MS;
    d.lease_ms = 1_500;
    d.poll_ms = 30;
    d.retry = domain::upstream::RetryPolicy {
        base_ms: 20,
        cap_ms: 200,
        max_attempts: 60,
    };
    d
}

/// Kiosk ratings, every fourth one bad (opening a ticket); their ids.
pub(crate) async fn rate(app: &TestApp, n: u64, first_seq: u64) -> Vec<String> {
    let mut ids = Vec::new();
    let items: Vec<Value> = (0..n)
        .map(|i| {
            let level = if i % 4 == 3 {
                "dissatisfied"
            } else {
                "satisfied"
            };
            let r = app.rating(first_seq + i, level);
            ids.push(r["id"].as_str().unwrap().to_string());
            r
        })
        .collect();
    for chunk in items.chunks(10) {
        let resp = app.post_sync(&app.batch(chunk.to_vec())).await;
        assert_eq!(resp.status(), 200);
    }
    ids
}

/// Counts from the outbox.
async fn outbox_counts(store: &Store) -> (i64, i64, i64) {
    counts_of(store, "province").await
}

/// Pending, sent and dead records of `name`.
pub(crate) async fn counts_of(store: &Store, name: &str) -> (i64, i64, i64) {
    let s = store.outbox_stats(0).await.unwrap();
    let p = s.iter().find(|d| d.name == name).unwrap();
    (p.pending, p.sent_since, p.dead)
}

/// Waits (bounded) until nothing is pending.
async fn drained(store: &Store) {
    drained_of(store, "province").await
}

/// Waits (bounded) until nothing of `name` is pending.
pub(crate) async fn drained_of(store: &Store, name: &str) {
    let until = now_ms() + 90_000;
    loop {
        let (pending, _, _) = counts_of(store, name).await;
        if pending == 0 {
            return;
        }
        assert!(
            now_ms() < until,
            "{pending} records still pending after 90 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn ticket_ids(app: &TestApp, csrf_user: &str) -> Vec<i64> {
    let (status, list) = app.get_json("/api/v1/loop/tickets").await;
    assert_eq!(status, 200, "{list} as {csrf_user}");
    list["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

async fn every_record_reaches_the_platform_once_and_in_order_through_failures_timeouts_and_lost_answers(
    app: TestApp,
) {
    app.store
        .set_destination("province", true, now_ms())
        .await
        .unwrap();
    let (url, platform) = fake_platform(Faults {
        fail: 150,
        slow: 100,
        lost: 150,
        delay_ms: 0,
        scripted: true,
    })
    .await;
    // Ratings before the worker starts, and more while it runs.
    let mut ratings = rate(&app, 40, 1).await;
    let refused: HashSet<String> = ratings.iter().step_by(9).cloned().collect();
    platform.lock().unwrap().refused = refused.clone();
    let worker = server::upstream::spawn(app.store.clone(), destination(&url));
    ratings.extend(rate(&app, 40, 41).await);
    // Three tickets take two steps each while the worker runs.
    let csrf = app.login_admin().await;
    let tickets = ticket_ids(&app, "admin").await;
    assert_eq!(tickets.len(), 20, "every fourth of 80 ratings is bad");
    for id in &tickets[..3] {
        for body in [
            json!({ "action": "contact", "reached": true, "note": "已电话联系，评价人手机13912345678" }),
            json!({ "action": "verify", "verdict": "valid" }),
        ] {
            let (status, r) = app
                .post_json(&format!("/api/v1/loop/tickets/{id}/steps"), &csrf, &body)
                .await;
            assert_eq!(status, 200, "{r}");
        }
    }
    drained(&app.store).await;
    worker.abort();
    // The dead letters are exactly the refused records.
    let dead: HashSet<String> = app
        .store
        .outbox_dead("province", 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.ref_id)
        .collect();
    assert_eq!(dead, refused);
    let (pending, sent, dead_n) = outbox_counts(&app.store).await;
    assert_eq!((pending, dead_n), (0, refused.len() as i64));
    assert_eq!(sent, (ratings.len() - refused.len() + 26) as i64);

    let p = platform.lock().unwrap();
    // Every rating but the refused ones, each once under its own id.
    let expected: HashSet<&String> = ratings.iter().filter(|r| !refused.contains(*r)).collect();
    let stored_ratings: HashSet<&String> = p
        .stored
        .iter()
        .filter(|(_, r)| r["kind"] == "rating")
        .map(|(k, _)| k)
        .collect();
    assert_eq!(stored_ratings, expected);
    assert_eq!(p.unauthorised, 0);
    assert!(
        p.largest <= BATCH,
        "a request carried {} records",
        p.largest
    );
    assert!(
        p.posts.values().any(|n| *n > 1),
        "the lost answer made the worker send records again: {} requests",
        p.requests
    );
    assert!(
        p.calls >= p.requests + 2,
        "the failed and slow requests came first"
    );
    // The records carry Table 9's fields.
    let one = &p.stored[expected.iter().next().unwrap().as_str()]["data"];
    assert!(
        ["2", "4"].contains(&one["满意度代码"].to_string().as_str()),
        "{one}"
    );
    assert_eq!(one["评价渠道"], "kiosk");
    assert_eq!(one["评价次数"], "首次");
    assert!(
        one["行政区划代码"].as_str().unwrap().starts_with("4104"),
        "{one}"
    );
    assert_eq!(one["评价时间"].as_str().unwrap().len(), 15);
    // Steps: 20 openings and 3 × 2 steps, each ticket's in order.
    let steps: Vec<&Value> = p
        .arrivals
        .iter()
        .map(|k| &p.stored[k])
        .filter(|r| r["kind"] == "rectify")
        .collect();
    assert_eq!(steps.len(), 20 + 6);
    for id in &tickets[..3] {
        let actions: Vec<&str> = steps
            .iter()
            .filter(|s| {
                s["data"]["整改工单编号"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!("-{id}"))
            })
            .map(|s| s["data"]["办理环节"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["open", "contact", "verify"], "ticket {id}");
    }
    let contact = steps
        .iter()
        .find(|s| s["data"]["办理环节"] == "contact")
        .unwrap();
    assert!(
        !contact.to_string().contains("13912345678"),
        "a phone number in a note is redacted: {contact}"
    );
}

async fn a_worker_killed_mid_batch_loses_nothing_and_doubles_nothing(app: TestApp) {
    app.store
        .set_destination("province", true, now_ms())
        .await
        .unwrap();
    // The platform stores at once and answers 150 ms later: a worker
    // dropped in between has sent records it never settled.
    let (url, platform) = fake_platform(Faults {
        delay_ms: 150,
        ..Faults::default()
    })
    .await;
    let ratings = rate(&app, 60, 1).await;
    let mut dest = destination(&url);
    dest.timeout_ms = 5_000;
    let worker = server::upstream::spawn(app.store.clone(), dest.clone());
    let until = now_ms() + 20_000;
    while platform.lock().unwrap().requests == 0 {
        assert!(now_ms() < until, "the worker never sent");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    worker.abort();
    let _ = worker.await;
    let (pending, sent, _) = outbox_counts(&app.store).await;
    assert!(pending > 0, "stopped mid-batch: records still pending");
    let in_flight = platform.lock().unwrap().stored.len();
    assert!(
        in_flight > 0 && sent == 0,
        "stored upstream, not yet settled here"
    );

    // A new worker (another start of the server) takes over once the
    // dead worker's lease ran out.
    let worker = server::upstream::spawn(app.store.clone(), dest);
    drained(&app.store).await;
    worker.abort();
    let attempts = app
        .text("SELECT CAST(SUM(attempts) AS TEXT) FROM upstream_outbox")
        .await;
    let p = platform.lock().unwrap();
    let stored_ratings: HashSet<&String> = p
        .stored
        .iter()
        .filter(|(_, r)| r["kind"] == "rating")
        .map(|(k, _)| k)
        .collect();
    assert_eq!(stored_ratings, ratings.iter().collect::<HashSet<_>>());
    assert_eq!(
        p.stored.len(),
        60 + 15,
        "60 ratings, 15 ticket openings, once each"
    );
    let resent = p.posts.values().filter(|n| **n > 1).count();
    let debug = format!("tries {attempts:?}, requests {}", p.requests);
    assert!(
        (1..=BATCH).contains(&resent),
        "only the batch in flight was sent again: {resent} {debug}"
    );
}

async fn two_servers_share_the_outbox_and_post_each_record_once(app: TestApp) {
    let (_, second) = app.second_instance().await;
    app.store
        .set_destination("province", true, now_ms())
        .await
        .unwrap();
    let (url, platform) = fake_platform(Faults {
        delay_ms: 20,
        ..Faults::default()
    })
    .await;
    let ratings = rate(&app, 200, 1).await;
    let workers = [
        server::upstream::spawn(app.store.clone(), destination(&url)),
        server::upstream::spawn(second.store.clone(), destination(&url)),
        server::upstream::spawn(app.store.clone(), destination(&url)),
    ];
    drained(&app.store).await;
    for w in workers {
        w.abort();
    }
    let p = platform.lock().unwrap();
    assert_eq!(p.stored.len(), 200 + 50);
    assert!(
        p.largest <= BATCH,
        "a request carried {} records",
        p.largest
    );
    for r in &ratings {
        assert_eq!(p.posts.get(r), Some(&1), "rating {r} posted once");
    }
    assert!(p.posts.values().all(|n| *n == 1));
}

/// The sync ingest queues its new ratings as one row per batch; workers
/// racing to expand them (three at once here; on PostgreSQL they skip a
/// batch another holds) queue each rating exactly once, and the admin
/// page counts them as pending all along.
async fn a_synced_batch_is_queued_as_one_row_and_becomes_one_record_per_rating_once(app: TestApp) {
    let none = rate(&app, 10, 1).await;
    app.store
        .set_destination("province", true, now_ms())
        .await
        .unwrap();
    let ratings = rate(&app, 40, 11).await;
    let app = &app;
    let rows = |sql: &'static str| async move { app.text(sql).await.unwrap() };
    assert_eq!(
        rows("SELECT CAST(COUNT(*) AS TEXT) FROM upstream_rating_batches").await,
        "4",
        "four sync batches of ten, one row each; none while the platform was off"
    );
    assert_eq!(
        rows("SELECT CAST(COUNT(*) AS TEXT) FROM upstream_outbox WHERE kind = 'rating'").await,
        "0"
    );
    assert_eq!(outbox_counts(&app.store).await.0, 40 + 10);
    let expanded = futures_util::future::join_all(
        (0..3).map(|_| app.store.expand_rating_batches("province", None)),
    )
    .await;
    let n: usize = expanded.into_iter().map(Result::unwrap).sum();
    assert_eq!(n, 40, "each batch expanded by one of the workers");
    assert_eq!(
        rows("SELECT CAST(COUNT(*) AS TEXT) FROM upstream_rating_batches").await,
        "0"
    );
    let queued = app
        .text(
            "SELECT CAST(COUNT(*) AS TEXT) || ',' || CAST(COUNT(DISTINCT ref_id) AS TEXT) \
             FROM upstream_outbox WHERE kind = 'rating' AND status = 'pending'",
        )
        .await;
    assert_eq!(queued.as_deref(), Some("40,40"));
    assert_eq!(outbox_counts(&app.store).await.0, 40 + 10);
    for id in none.iter().chain(&ratings) {
        let n = app
            .text(&format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM upstream_outbox WHERE kind = 'rating' AND ref_id = '{id}'"
            ))
            .await;
        let want = if ratings.contains(id) { "1" } else { "0" };
        assert_eq!(n.as_deref(), Some(want), "rating {id}");
    }
}

async fn only_a_system_admin_requeues_dead_letters_and_the_page_counts_them(app: TestApp) {
    app.store
        .set_destination("province", true, now_ms())
        .await
        .unwrap();
    let (url, platform) = fake_platform(Faults::default()).await;
    let ratings = rate(&app, 8, 1).await;
    let refused: HashSet<String> = ratings[..3].iter().cloned().collect();
    platform.lock().unwrap().refused = refused.clone();
    let worker = server::upstream::spawn(app.store.clone(), destination(&url));
    drained(&app.store).await;

    // The ratings export says of each rating whether it reached the platform.
    app.login_as(server::demo::SUPERVISOR_USERNAME).await;
    let from = domain::calendar::Date::of_instant(now_ms() - 600_000);
    let to = domain::calendar::Date::of_instant(now_ms());
    let csv = app
        .client
        .get(app.url(&format!("/api/v1/exports/ratings?from={from}&to={to}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = head.iter().position(|h| *h == "上报省平台").unwrap();
    let mut states: HashMap<String, String> = HashMap::new();
    for line in csv.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        states.insert(
            cells[0].trim_start_matches('\u{feff}').to_string(),
            cells[col].to_string(),
        );
    }
    for r in &ratings {
        let state = &states[r];
        if refused.contains(r) {
            assert_eq!(state, "上报失败", "{r}");
        } else {
            assert!(state.starts_with("已上报 20"), "{r}: {state}");
        }
    }

    // The 通报 says how many of the period's ratings have not arrived.
    let (status, report) = app
        .get_json(&format!("/api/v1/reports/districts?from={from}&to={to}"))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["undelivered"], refused.len() as i64);
    assert!(
        report["note"]
            .as_str()
            .unwrap()
            .contains(&format!("尚有 {} 条评价未上报省平台", refused.len())),
        "{report}"
    );

    // No session: 401. A unit administrator: 403.
    let anon = reqwest::Client::new();
    let r = anon
        .get(app.url("/api/v1/admin/upstream"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let csrf = app.login_admin().await;
    let (status, _) = app
        .post_json("/api/v1/admin/upstream/province/requeue", &csrf, &json!({}))
        .await;
    assert_eq!(status, 403);

    let csrf = app.login_as("sysadmin").await;
    let (status, page) = app.get_json("/api/v1/admin/upstream").await;
    assert_eq!(status, 200, "{page}");
    let d = page["destinations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "province")
        .unwrap();
    assert_eq!(d["label_zh"], "省好差评平台");
    assert_eq!(d["enabled"], true);
    assert_eq!(d["pending"], 0);
    assert_eq!(d["dead"], 3);
    assert_eq!(
        d["sent_today"],
        8 - 3 + 2,
        "5 ratings and 2 ticket openings"
    );
    let letters = d["dead_letters"].as_array().unwrap();
    assert_eq!(letters.len(), 3);
    assert!(letters
        .iter()
        .all(|l| l["last_error"].as_str().unwrap().contains("办件编号不存在")));

    // Unknown destination, bad body: clear 4xx.
    let (status, body) = app
        .post_json("/api/v1/admin/upstream/nowhere/requeue", &csrf, &json!({}))
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app
        .post_json(
            "/api/v1/admin/upstream/province/requeue",
            &csrf,
            &json!({ "ids": "all" }),
        )
        .await;
    assert_eq!(status, 422, "{body}");

    // The platform fixed its side: the dead letters go again and arrive.
    platform.lock().unwrap().refused.clear();
    let id = letters[0]["id"].as_i64().unwrap();
    let (status, body) = app
        .post_json(
            "/api/v1/admin/upstream/province/requeue",
            &csrf,
            &json!({ "ids": [id] }),
        )
        .await;
    assert_eq!((status, body["moved"].as_i64()), (200, Some(1)));
    let (status, body) = app
        .post_json("/api/v1/admin/upstream/province/requeue", &csrf, &json!({}))
        .await;
    assert_eq!((status, body["moved"].as_i64()), (200, Some(2)));
    drained(&app.store).await;
    worker.abort();
    let (_, _, dead) = outbox_counts(&app.store).await;
    assert_eq!(dead, 0);
    let p = platform.lock().unwrap();
    for r in &refused {
        assert!(p.stored.contains_key(r), "{r} arrived after the requeue");
    }
}

// ---- the province's feed of bad ratings ----

const INBOUND_TOKEN: &str = "province-inbound-token-0123456789";

/// A deployment with the provincial platform configured (nothing listens
/// at its address: these tests send nothing) and the feed's token.
pub fn with_province(s: &mut server::config::Settings) {
    let mut d = Destination::new("province", "http://127.0.0.1:9/records");
    d.inbound_token = Some(INBOUND_TOKEN.into());
    s.province = Some(d);
}

crate::on_both_databases_with!(
    inbound, crate::upstream::with_province;
    the_provinces_bad_ratings_enter_the_loop_once_and_are_not_sent_back,
    the_province_feed_answers_4xx_with_a_message_and_never_5xx,
    the_provinces_monthly_file_is_imported_once_with_its_bad_rows_listed,
);

fn forwarded(upstream_id: &str, code: u8, rated_at: i64) -> Value {
    json!({
        "upstream_id": upstream_id,
        "place_code": "HALL-DC",
        "window_code": "W01",
        "satisfaction_code": code,
        "rated_at": domain::upstream::compact_china_time(rated_at),
        "comment": "扫码评价：窗口人员态度生硬",
    })
}

async fn feed(app: &TestApp, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(app.url("/api/v1/province/bad-ratings"))
        .json(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn the_provinces_bad_ratings_enter_the_loop_once_and_are_not_sent_back(app: TestApp) {
    // Given two days ago, forwarded now (the province sends them monthly).
    let given = now_ms() - 2 * 86_400_000;
    let mut second = forwarded("SD-000002", 5, given);
    second["window_code"] = Value::Null;
    let batch = json!({ "records": [forwarded("SD-000001", 4, given), second] });
    let (status, answer) = feed(&app, Some(INBOUND_TOKEN), &batch).await;
    assert_eq!(status, 200, "{answer}");
    let results = answer["results"].as_array().unwrap();
    assert!(
        results.iter().all(|r| r["status"] == "accepted"),
        "{answer}"
    );
    let ids: Vec<String> = results
        .iter()
        .map(|r| r["rating_id"].as_str().unwrap().to_string())
        .collect();

    // Each is a ticket of the unit's loop, its deadlines counted from now.
    app.login_admin().await;
    let (_, list) = app.get_json("/api/v1/loop/tickets").await;
    let tickets: Vec<&Value> = list["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| ids.contains(&t["rating_id"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(tickets.len(), 2, "{list}");
    for t in &tickets {
        assert_eq!(t["channel"], "qr_static");
        assert!(t["opened_at"].as_i64().unwrap() > now_ms() - 600_000, "{t}");
        assert!(
            t["contact_due"].as_i64().unwrap() > now_ms(),
            "not overdue on arrival: {t}"
        );
    }

    // Sent again: stored once. Sent again with other content: the first kept.
    let (status, again) = feed(&app, Some(INBOUND_TOKEN), &batch).await;
    assert_eq!(status, 200, "{again}");
    assert!(
        again["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["status"] == "duplicate"),
        "{again}"
    );
    let mut changed = forwarded("SD-000001", 4, given);
    changed["comment"] = json!("内容不同");
    let (status, conflict) =
        feed(&app, Some(INBOUND_TOKEN), &json!({ "records": [changed] })).await;
    assert_eq!(status, 200, "{conflict}");
    assert_eq!(conflict["results"][0]["status"], "conflict");
    assert_eq!(
        conflict["results"][0]["rating_id"].as_str(),
        Some(ids[0].as_str())
    );
    let (_, list) = app.get_json("/api/v1/loop/tickets").await;
    let n = list["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| ids.contains(&t["rating_id"].as_str().unwrap().to_string()))
        .count();
    assert_eq!(n, 2, "no second ticket");

    // Not queued back to the platform (once their batch is expanded into
    // per-rating records, as the worker does before it claims); their
    // tickets' openings are.
    app.store
        .expand_rating_batches("province", None)
        .await
        .unwrap();
    let list = ids
        .iter()
        .map(|i| format!("'{i}'"))
        .collect::<Vec<_>>()
        .join(",");
    let back = app
        .text(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM upstream_outbox WHERE kind = 'rating' AND ref_id IN ({list})"
        ))
        .await;
    assert_eq!(back.as_deref(), Some("0"));
    let steps = app
        .text(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM upstream_outbox o JOIN tickets t ON o.ref_id = CAST(t.id AS TEXT) \
             WHERE o.kind = 'rectify' AND t.rating_id IN ({list})"
        ))
        .await;
    assert_eq!(steps.as_deref(), Some("2"));
    // A kiosk's own rating is queued as before.
    let resp = app
        .post_sync(&app.batch(vec![app.rating(1, "satisfied")]))
        .await;
    assert_eq!(resp.status(), 200);
    app.store
        .expand_rating_batches("province", None)
        .await
        .unwrap();
    let queued = app
        .text("SELECT CAST(COUNT(*) AS TEXT) FROM upstream_outbox WHERE kind = 'rating'")
        .await;
    assert_eq!(queued.as_deref(), Some("1"));
}

async fn the_province_feed_answers_4xx_with_a_message_and_never_5xx(app: TestApp) {
    let now = now_ms();
    let good = json!({ "records": [forwarded("SD-100", 4, now - 3_600_000)] });
    // Who may send: the province's token only.
    assert_eq!(feed(&app, None, &good).await.0, 401);
    assert_eq!(
        feed(&app, Some("province-inbound-token-wrong00000"), &good)
            .await
            .0,
        401
    );
    app.login_admin().await;
    let r = app
        .client
        .post(app.url("/api/v1/province/bad-ratings"))
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a staff session is not the province");

    let refused = |status: u16, body: &Value, code: &str| {
        assert_eq!(status, 422, "{body}");
        assert!(body.to_string().contains(code), "{code}: {body}");
        assert!(body.to_string().contains("message_en"), "{body}");
    };
    let one = |f: fn(&mut Value)| {
        let mut r = forwarded("SD-200", 4, now - 3_600_000);
        f(&mut r);
        json!({ "records": [r] })
    };
    let (s, b) = feed(
        &app,
        Some(INBOUND_TOKEN),
        &one(|r| r["satisfaction_code"] = json!(2)),
    )
    .await;
    refused(s, &b, "not_a_bad_rating");
    assert!(b.to_string().contains("只接收差评"), "{b}");
    let (s, b) = feed(
        &app,
        Some(INBOUND_TOKEN),
        &one(|r| r["place_code"] = json!("NOWHERE")),
    )
    .await;
    refused(s, &b, "place_unknown");
    let (s, b) = feed(
        &app,
        Some(INBOUND_TOKEN),
        &one(|r| r["window_code"] = json!("W99")),
    )
    .await;
    refused(s, &b, "window_unknown");
    let (s, b) = feed(
        &app,
        Some(INBOUND_TOKEN),
        &one(|r| r["rated_at"] = json!("2026-12-03")),
    )
    .await;
    refused(s, &b, "rated_at_invalid");
    let (s, b) = feed(
        &app,
        Some(INBOUND_TOKEN),
        &one(|r| r["comment"] = json!("长".repeat(501))),
    )
    .await;
    refused(s, &b, "comment_too_long");
    let (s, b) = feed(&app, Some(INBOUND_TOKEN), &one(|r| r["extra"] = json!(1))).await;
    assert_eq!(s, 422, "{b}");
    let (s, b) = feed(&app, Some(INBOUND_TOKEN), &json!({ "records": [] })).await;
    refused(s, &b, "batch_size");
    let many: Vec<Value> = (0..501)
        .map(|i| forwarded(&format!("SD-M{i}"), 4, now - 3_600_000))
        .collect();
    let (s, b) = feed(&app, Some(INBOUND_TOKEN), &json!({ "records": many })).await;
    refused(s, &b, "batch_size");
    // A huge body, not JSON, broken JSON.
    let raw = |body: Vec<u8>, ct: &'static str| {
        reqwest::Client::new()
            .post(app.url("/api/v1/province/bad-ratings"))
            .bearer_auth(INBOUND_TOKEN)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    assert_eq!(
        raw(vec![b' '; 2 << 20], "application/json")
            .await
            .unwrap()
            .status(),
        413
    );
    assert_eq!(
        raw(b"{}".to_vec(), "text/plain").await.unwrap().status(),
        415
    );
    assert_eq!(
        raw(b"{\"records\": [".to_vec(), "application/json")
            .await
            .unwrap()
            .status(),
        400
    );

    // Random damage to a valid batch: every answer is a 2xx or a 4xx with
    // a message, never a 5xx. (Seeded: a failure replays.)
    let text = good.to_string();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let values = [
        json!(null),
        json!(-1),
        json!(256),
        json!(""),
        json!("x".repeat(70)),
        json!([]),
        json!({}),
        json!(true),
        json!(1e308),
        json!("20261301T000000"),
        json!("\u{0}"),
        json!("😀"),
    ];
    let fields = [
        "upstream_id",
        "place_code",
        "window_code",
        "satisfaction_code",
        "rated_at",
        "comment",
        "evaluator_phone",
    ];
    for i in 0..200 {
        let body = if i % 2 == 0 {
            // A field set to an odd value.
            let mut v = good.clone();
            let f = fields[next() as usize % fields.len()];
            v["records"][0][f] = values[next() as usize % values.len()].clone();
            v.to_string().into_bytes()
        } else {
            // Bytes flipped or cut.
            let mut b = text.clone().into_bytes();
            let at = next() as usize % b.len();
            if next() % 2 == 0 {
                b.truncate(at);
            } else {
                b[at] = (next() % 256) as u8;
            }
            b
        };
        let r = raw(body.clone(), "application/json").await.unwrap();
        let status = r.status().as_u16();
        let answer: Value = r.json().await.unwrap_or(Value::Null);
        assert!(
            status < 500,
            "{status} for {:?}: {answer}",
            String::from_utf8_lossy(&body)
        );
        if status >= 400 {
            assert!(answer["error"]["message"].is_string(), "{status}: {answer}");
        }
    }
}

async fn push_cases(app: &TestApp, cases: Value) {
    let r = app
        .client
        .post(app.url("/api/v1/cases"))
        .bearer_auth(server::demo::integration_token(
            crate::helpers::ADMIN_PASSWORD,
        ))
        .json(&json!({ "cases": cases }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn a_case_goes_up_once_when_it_is_finished(app: TestApp) {
    app.store
        .set_destination("province", true, now_ms())
        .await
        .unwrap();
    let (url, platform) = fake_platform(Faults {
        fail: 200,
        lost: 200,
        ..Faults::default()
    })
    .await;
    // Two finished cases and one still in service.
    push_cases(
        &app,
        json!([
            { "case_no": "UP-1", "place_code": "HALL-DC", "window_code": "W01",
              "service_item_code": "DC-RS-001", "status": "finished", "applicant_type": "organisation" },
            { "case_no": "UP-2", "place_code": "HALL-DC", "status": "finished" },
            { "case_no": "UP-3", "place_code": "HALL-DC", "window_code": "W02", "status": "in_service" },
        ]),
    )
    .await;
    // Pushed again unchanged: nothing more; UP-3 finishes: it goes up.
    push_cases(
        &app,
        json!([
            { "case_no": "UP-1", "place_code": "HALL-DC", "window_code": "W01",
              "service_item_code": "DC-RS-001", "status": "finished", "applicant_type": "organisation" },
            { "case_no": "UP-3", "place_code": "HALL-DC", "window_code": "W02", "status": "finished" },
        ]),
    )
    .await;
    let worker = server::upstream::spawn(app.store.clone(), destination(&url));
    drained(&app.store).await;
    worker.abort();
    let (pending, sent, dead) = outbox_counts(&app.store).await;
    let p = platform.lock().unwrap();
    let cases: HashMap<&str, &Value> = p
        .stored
        .values()
        .filter(|r| r["kind"] == "case")
        .map(|r| (r["data"]["办件编号"].as_str().unwrap(), &r["data"]))
        .collect();
    let mut numbers: Vec<&str> = cases.keys().copied().collect();
    numbers.sort_unstable();
    assert_eq!(numbers, ["UP-1", "UP-2", "UP-3"]);
    let one = cases["UP-1"];
    assert_eq!(one["办件状态"], "办结");
    assert_eq!(one["申请人类型"], "法人");
    assert_eq!(one["事项编码"], "DC-RS-001");
    assert_eq!(one["行政区划代码"], "410402");
    assert_eq!(one["办结时间"].as_str().unwrap().len(), 15);
    assert!(p
        .stored
        .keys()
        .filter(|k| k.contains("-case-"))
        .all(|k| k.starts_with("410400-case-")));
    assert_eq!((pending, sent, dead), (0, 3, 0), "each case once");
}

async fn post_file(app: &TestApp, csrf: &str, text: &str) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/api/v1/admin/province/import"))
        .header("x-csrf-token", csrf)
        .header("content-type", "text/csv; charset=utf-8")
        .body(text.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn the_provinces_monthly_file_is_imported_once_with_its_bad_rows_listed(app: TestApp) {
    let at = domain::upstream::compact_china_time(now_ms() - 3 * 86_400_000);
    let file = format!(
        "\u{feff}upstream_id,place_code,window_code,satisfaction_code,rated_at,comment,evaluator_phone\n\
         F-1,HALL-DC,W01,4,{at},态度生硬,13912340001\n\
         F-2,HALL-DC,,5,{at},\"等了很久，没人管\",\n\
         F-3,HALL-DC,W02,4,{at},,\n\
         F-4,HALL-DC,W01,很差,{at},,\n\
         F-5,NOWHERE,,4,{at},,\n\
         F-1,HALL-DC,W01,4,{at},态度生硬,13912340001\n\
         F-6,HALL-DC,W01,2,{at},,\n"
    );
    // Only a city-wide system admin imports it.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/admin/province/import"))
        .header("content-type", "text/csv")
        .body(file.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let csrf = app.login_admin().await;
    assert_eq!(post_file(&app, &csrf, &file).await.0, 403);

    let csrf = app.login_as("sysadmin").await;
    let (status, report) = post_file(&app, &csrf, &file).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["rows"].as_u64(), report["imported"].as_u64()),
        (Some(7), Some(3)),
        "{report}"
    );
    let lines: Vec<(u64, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["message"].as_str().unwrap()))
        .collect();
    assert_eq!(lines.len(), 4, "{report}");
    assert_eq!(lines.iter().map(|l| l.0).collect::<Vec<_>>(), [5, 6, 7, 8]);
    assert!(lines[0].1.contains("满意度代码"), "{lines:?}");
    assert!(lines[1].1.contains("NOWHERE"), "{lines:?}");
    assert!(lines[2].1.contains("重复"), "{lines:?}");
    assert!(lines[3].1.contains("差评"), "{lines:?}");

    // Imported again: nothing new.
    let (_, again) = post_file(&app, &csrf, &file).await;
    assert_eq!(again["imported"], 0, "{again}");
    // Each good row is a ticket of the loop, like the feed's.
    app.login_admin().await;
    let (_, list) = app.get_json("/api/v1/loop/tickets").await;
    let forwarded = list["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["channel"] == "qr_static")
        .count();
    assert_eq!(forwarded, 3, "{list}");
    // A file that is not the province's: refused with the reason.
    let csrf = app.login_as("sysadmin").await;
    let (status, body) = post_file(&app, &csrf, "case_no,place_code\nX,HALL-DC\n").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (422, Some("csv_header")),
        "{body}"
    );
}
