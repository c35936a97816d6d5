//! The 12345 hotline hand-off and the HTTP SMS gateway (issue 16), each
//! against a fake on port 0 that fails, times out and loses answers: work
//! orders and messages arrive once each, the hotline's callback drives the
//! ticket through the same state machine, the gateway's receipts mark
//! delivery, and strangers and malformed bodies get a 4xx with a message.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use server::config::{Destination, Settings};
use server::state::now_ms;

use crate::helpers::TestApp;
use crate::upstream::{
    counts_of, destination_named, drained_of, fake_platform, rate, Faults, SIGNING_KEY, TOKEN,
};

crate::on_both_databases_with!(
    with_hotline_and_gateway, crate::hotline::hotline_and_gateway;
    a_bad_rating_of_a_routed_region_goes_to_12345_and_the_hotlines_events_drive_its_ticket,
    the_hotline_callback_refuses_strangers_and_malformed_events_with_a_message,
    every_sms_reaches_the_gateway_once_and_its_receipts_mark_delivery,
);

crate::on_both_databases_with!(
    with_a_small_callback_budget, crate::hotline::callbacks_limited;
    a_flood_of_callbacks_is_told_to_wait_and_each_system_has_its_own_budget,
);

const HOTLINE_TOKEN: &str = "hotline-callback-token-0123";
const GATEWAY_TOKEN: &str = "sms-gateway-receipt-token-0123";
/// The demo city's division code: the prefix of its work order numbers.
const CITY: &str = "410400";

/// The hotline serves the demo hall's district (东城区 410402); the SMS
/// gateway is on. Both are paused: each test runs the worker against its
/// own fake.
pub fn hotline_and_gateway(s: &mut Settings) {
    let mut h = Destination::new("hotline", "http://127.0.0.1:9/unused");
    h.paused = true;
    h.inbound_token = Some(HOTLINE_TOKEN.into());
    h.regions = vec!["410402".into()];
    s.hotline = Some(h);
    let mut g = Destination::new("sms", "http://127.0.0.1:9/unused");
    g.paused = true;
    g.inbound_token = Some(GATEWAY_TOKEN.into());
    s.sms_gateway = Some(g);
}

/// As [`hotline_and_gateway`], with five callback requests a minute.
pub fn callbacks_limited(s: &mut Settings) {
    hotline_and_gateway(s);
    s.security.callbacks = server::config::Quota::new(5, 60);
}

async fn a_flood_of_callbacks_is_told_to_wait_and_each_system_has_its_own_budget(app: TestApp) {
    let event =
        json!([{ "id": "f-1", "work_order": format!("{CITY}-999999"), "type": "received" }]);
    for i in 0..5 {
        let (status, body) = post_events(&app, event.clone()).await;
        assert_eq!(status, 200, "request {i}: {body}");
    }
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/hotline/events"))
        .bearer_auth(HOTLINE_TOKEN)
        .json(&json!({ "events": event }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_some());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited_callback");
    // The SMS gateway's receipts are counted apart.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/sms/receipts"))
        .bearer_auth(GATEWAY_TOKEN)
        .json(&json!({ "receipts": [{ "message_id": "m-1", "status": "delivered" }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn post_events(app: &TestApp, events: Value) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/hotline/events"))
        .bearer_auth(HOTLINE_TOKEN)
        .json(&json!({ "events": events }))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn ticket(app: &TestApp, id: i64) -> Value {
    let (status, t) = app.get_json(&format!("/api/v1/loop/tickets/{id}")).await;
    assert_eq!(status, 200, "{t}");
    t
}

/// Kiosk ratings, every fourth one bad, each with the evaluator's phone
/// (so the rectified ticket awaits a re-rating).
async fn rate_with_phones(app: &TestApp, n: u64, first_seq: u64) {
    let items: Vec<Value> = (0..n)
        .map(|i| {
            let level = if i % 4 == 3 {
                "dissatisfied"
            } else {
                "satisfied"
            };
            let mut r = app.rating(first_seq + i, level);
            r["evaluator_phone"] = json!(format!("139{:08}", first_seq + i));
            r
        })
        .collect();
    let resp = app.post_sync(&app.batch(items)).await;
    assert_eq!(resp.status(), 200);
}

fn statuses(answer: &Value) -> Vec<String> {
    answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect()
}

async fn a_bad_rating_of_a_routed_region_goes_to_12345_and_the_hotlines_events_drive_its_ticket(
    app: TestApp,
) {
    let (url, hotline) = fake_platform(Faults {
        fail: 150,
        slow: 100,
        lost: 150,
        delay_ms: 0,
        scripted: true,
    })
    .await;
    // Eight kiosk ratings of the routed district, two of them bad.
    rate_with_phones(&app, 8, 1).await;
    // The same hall while its district is not routed: its bad rating
    // stays with the unit.
    app.store
        .set_routes("hotline", &["410403".into()])
        .await
        .unwrap();
    rate_with_phones(&app, 4, 9).await;
    app.store
        .set_routes("hotline", &["410402".into()])
        .await
        .unwrap();
    let worker = server::upstream::spawn(app.store.clone(), destination_named("hotline", &url));
    drained_of(&app.store, "hotline").await;

    let admin = app.login_admin().await;
    let (_, list) = app.get_json("/api/v1/loop/tickets").await;
    let tickets = list["tickets"].as_array().unwrap();
    assert_eq!(tickets.len(), 3);
    let routed: Vec<i64> = tickets
        .iter()
        .filter(|t| t["via_hotline"] == true)
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(routed.len(), 2, "{list}");
    let (a, b) = (routed[1], routed[0]);
    {
        let p = hotline.lock().unwrap();
        let orders: HashSet<&String> = p
            .stored
            .iter()
            .filter(|(_, r)| r["kind"] == "workorder")
            .map(|(k, _)| k)
            .collect();
        let expected: Vec<String> = routed.iter().map(|id| format!("{CITY}-{id}")).collect();
        assert_eq!(orders, expected.iter().collect::<HashSet<_>>());
        assert!(
            p.posts.values().any(|n| *n > 1),
            "a lost answer made the worker send again"
        );
        let order = &p.stored[&expected[0]]["data"];
        assert_eq!(order["工单编号"], expected[0]);
        assert_eq!(order["满意度"], "不满意");
        assert_eq!(order["行政区划代码"], "410402");
        assert_eq!(order["沟通期限"].as_str().unwrap().len(), 15);
    }

    // On a routed ticket the unit neither contacts nor verifies.
    let t = ticket(&app, a).await;
    assert_eq!(t["ticket"]["possible"], json!(["appeal"]));
    let (status, r) = app
        .post_json(
            &format!("/api/v1/loop/tickets/{a}/steps"),
            &admin,
            &json!({ "action": "contact", "reached": true }),
        )
        .await;
    assert_eq!(
        (status, r["error"]["code"].as_str()),
        (403, Some("role")),
        "{r}"
    );

    // The hotline receives, contacts and verifies; a backdated time is
    // kept in the note, the deadlines count from arrival.
    let started = now_ms();
    let wo = format!("{CITY}-{a}");
    let steps = json!([
        { "id": "e-1", "work_order": wo, "type": "received" },
        { "id": "e-2", "work_order": wo, "type": "contacted", "reached": true,
          "note": "已电话联系评价人", "at": "20200101T080000" },
        { "id": "e-3", "work_order": wo, "type": "verified", "verdict": "valid" },
        { "id": "e-4", "work_order": wo, "type": "assigned", "unit": "东城区人社局" },
    ]);
    let (status, answer) = post_events(&app, steps.clone()).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(statuses(&answer), ["applied"; 4]);
    assert_eq!(answer["results"][2]["ticket_status"], "rectifying");
    // Sent again (a lost answer): applied once.
    let (_, again) = post_events(&app, steps).await;
    assert_eq!(statuses(&again), ["duplicate"; 4]);
    // Other content under a known id: the first stands.
    let (_, clash) = post_events(
        &app,
        json!([{ "id": "e-3", "work_order": wo, "type": "verified", "verdict": "malicious", "note": "x" }]),
    )
    .await;
    assert_eq!(statuses(&clash), ["conflict"]);
    // A re-rating before the rectification: refused with the reason, and
    // it may come again later.
    let rerate =
        json!([{ "id": "e-5", "work_order": wo, "type": "rerated", "satisfaction_code": 2 }]);
    let (_, early) = post_events(&app, rerate.clone()).await;
    assert_eq!(statuses(&early), ["rejected"]);
    assert_eq!(early["results"][0]["error"]["code"], "wrong_state");

    // The unit rectifies; no feedback SMS of ours (the hotline re-invites),
    // and the archive reaches the hotline.
    let (status, r) = app
        .post_json(
            &format!("/api/v1/loop/tickets/{a}/steps"),
            &admin,
            &json!({ "action": "archive", "outcome": "fixed", "note": "已增加导办人员" }),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    let feedback_sms = app
        .text(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM sms_outbox WHERE ticket_id = {a}"
        ))
        .await;
    assert_eq!(feedback_sms.as_deref(), Some("0"));
    drained_of(&app.store, "hotline").await;
    {
        let p = hotline.lock().unwrap();
        let steps_of_a: Vec<&str> = p
            .arrivals
            .iter()
            .map(|k| &p.stored[k])
            .filter(|r| r["kind"] == "rectify" && r["data"]["整改工单编号"] == wo)
            .map(|r| r["data"]["办理环节"].as_str().unwrap())
            .collect();
        assert_eq!(
            steps_of_a,
            ["archive"],
            "the hotline's own steps are not echoed"
        );
        let order_at = p.arrivals.iter().position(|k| *k == wo).unwrap();
        let archive_at = p
            .arrivals
            .iter()
            .position(|k| p.stored[k]["data"]["办理环节"] == "archive")
            .unwrap();
        assert!(
            order_at < archive_at,
            "a work order arrives before its steps"
        );
    }
    let (_, late) = post_events(&app, rerate).await;
    assert_eq!(statuses(&late), ["applied"]);
    assert_eq!(late["results"][0]["ticket_status"], "closed");
    let t = ticket(&app, a).await;
    assert_eq!(t["ticket"]["feedback_level"], "satisfied");
    let events = t["events"].as_array().unwrap();
    let by_hotline: Vec<&str> = events
        .iter()
        .filter(|e| e["actor_role"] == "hotline")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        by_hotline,
        [
            "hotline_received",
            "contact",
            "verify",
            "hotline_assigned",
            "feedback"
        ]
    );
    assert!(events
        .iter()
        .all(|e| e["actor_role"] != "hotline" || e["actor"] == "12345热线"));
    let contact = events.iter().find(|e| e["action"] == "contact").unwrap();
    assert!(contact["at"].as_i64().unwrap() >= started, "{contact}");
    assert!(contact["note"]
        .as_str()
        .unwrap()
        .contains("热线记录时间 2020-01-01 08:00"));
    assert!(events.iter().any(|e| e["note"]
        .as_str()
        .unwrap()
        .contains("转交责任单位：东城区人社局")));

    // Ticket b: the hotline finds it invalid (a reason is required); the
    // supervisor decides.
    let wo_b = format!("{CITY}-{b}");
    let (_, r) = post_events(
        &app,
        json!([
            { "id": "b-1", "work_order": wo_b, "type": "contacted", "reached": false },
            { "id": "b-2", "work_order": wo_b, "type": "verified", "verdict": "invalid" },
        ]),
    )
    .await;
    assert_eq!(statuses(&r), ["applied", "rejected"]);
    assert_eq!(r["results"][1]["error"]["code"], "note_required");
    let (_, r) = post_events(
        &app,
        json!([{ "id": "b-2", "work_order": wo_b, "type": "verified", "verdict": "invalid",
                 "note": "评价人表示误触" }]),
    )
    .await;
    assert_eq!(r["results"][0]["ticket_status"], "pending_review");
    let sup = app.login_as(server::demo::SUPERVISOR_USERNAME).await;
    let (status, r) = app
        .post_json(
            &format!("/api/v1/loop/tickets/{b}/steps"),
            &sup,
            &json!({ "action": "decide", "approve": true }),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(ticket(&app, b).await["ticket"]["status"], "excluded");

    // The ticket not routed: the hotline may not touch it.
    let other = tickets.iter().find(|t| t["via_hotline"] == false).unwrap()["id"]
        .as_i64()
        .unwrap();
    let (_, r) = post_events(
        &app,
        json!([{ "id": "x-1", "work_order": format!("{CITY}-{other}"), "type": "contacted", "reached": true }]),
    )
    .await;
    assert_eq!(statuses(&r), ["rejected"]);
    assert_eq!(r["results"][0]["error"]["code"], "work_order_unknown");
    drained_of(&app.store, "hotline").await;
    worker.abort();
    let (_, _, dead) = counts_of(&app.store, "hotline").await;
    assert_eq!(dead, 0);
}

async fn the_hotline_callback_refuses_strangers_and_malformed_events_with_a_message(app: TestApp) {
    rate(&app, 4, 1).await;
    let admin = app.login_admin().await;
    let (_, list) = app.get_json("/api/v1/loop/tickets").await;
    let id = list["tickets"][0]["id"].as_i64().unwrap();
    let wo = format!("{CITY}-{id}");
    let valid = json!({ "events": [{ "id": "ok-1", "work_order": wo, "type": "received" }] });
    let url = app.url("/api/v1/hotline/events");
    let anon = reqwest::Client::new();
    // No token, a wrong one, a kiosk's, a staff session: 401 with a message.
    for (label, req) in [
        ("none", anon.post(&url)),
        (
            "wrong",
            anon.post(&url).bearer_auth("hotline-callback-token-0124"),
        ),
        (
            "kiosk",
            anon.post(&url)
                .bearer_auth(&app.tokens[&app.kiosk.device_id]),
        ),
        ("gateway", anon.post(&url).bearer_auth(GATEWAY_TOKEN)),
        (
            "session",
            app.client.post(&url).header("x-csrf-token", &admin),
        ),
    ] {
        let r = req.json(&valid).send().await.unwrap();
        assert_eq!(r.status(), 401, "{label}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "hotline_token", "{label}");
        assert!(body["error"]["message"].as_str().unwrap().contains("12345"));
    }
    let send = |body: Vec<u8>, ct: &'static str| {
        let anon = anon.clone();
        let url = url.clone();
        async move {
            let r = anon
                .post(&url)
                .bearer_auth(HOTLINE_TOKEN)
                .header("content-type", ct)
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let j = |v: Value| v.to_string().into_bytes();
    assert_eq!(send(j(valid.clone()), "text/plain").await.0, 415);
    assert_eq!(send(b"{".to_vec(), "application/json").await.0, 400);
    let (s, b) = send(j(json!({ "events": "x" })), "application/json").await;
    assert_eq!(s, 422, "{b}");
    let (s, b) = send(j(json!({ "events": [] })), "application/json").await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("batch_size")));
    let many: Vec<Value> = (0..501)
        .map(|i| json!({ "id": format!("m-{i}"), "work_order": wo, "type": "received" }))
        .collect();
    let (s, b) = send(j(json!({ "events": many })), "application/json").await;
    assert_eq!((s, b["error"]["code"].as_str()), (422, Some("batch_size")));
    let huge = json!({ "events": [{ "id": "h", "work_order": wo, "type": "received", "note": "很".repeat(400_000) }] });
    assert_eq!(send(j(huge), "application/json").await.0, 413);
    // A malformed event refuses the batch, naming it; nothing is applied.
    let (s, b) = send(
        j(json!({ "events": [
            { "id": "v-1", "work_order": wo, "type": "received" },
            { "id": "v-2", "work_order": wo, "type": "escalated" },
            { "id": "v-3", "work_order": "110000-1", "type": "received" },
            { "id": "v 4", "work_order": wo, "type": "received" },
        ] })),
        "application/json",
    )
    .await;
    assert_eq!(s, 422, "{b}");
    let codes: Vec<(u64, &str)> = b["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap(),
                r["error"]["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            (1, "event_type_unknown"),
            (2, "work_order_invalid"),
            (3, "event_id_invalid")
        ]
    );
    let events = ticket(&app, id).await["events"].as_array().unwrap().len();
    assert_eq!(
        events, 1,
        "only the opening: nothing of the refused batch applied"
    );

    // Fuzz: mutations of a valid body never answer 5xx, and every refusal
    // carries a message.
    let base = valid.to_string().into_bytes();
    let mut seen: HashMap<u16, u32> = HashMap::new();
    for round in 0..300u32 {
        let mut body = base.clone();
        let n = 1 + rand::random::<usize>() % 4;
        for _ in 0..n {
            if body.is_empty() {
                break;
            }
            let at = rand::random::<usize>() % body.len();
            match rand::random::<u8>() % 4 {
                0 => body[at] = rand::random::<u8>(),
                1 => body.truncate(at.max(1)),
                2 => body.insert(at, b"\"\\u0000{[-9e999,"[rand::random::<usize>() % 15]),
                _ => {
                    let cut = at.min(body.len() - 1);
                    body.remove(cut);
                }
            }
        }
        let (status, answer) = send(body.clone(), "application/json").await;
        *seen.entry(status).or_default() += 1;
        assert!(
            status < 500,
            "round {round}: {status} for {}",
            String::from_utf8_lossy(&body)
        );
        if status != 200 {
            assert!(
                answer["error"]["message"].is_string(),
                "round {round}: {status} without a message: {answer}"
            );
        }
    }
    assert!(seen.keys().any(|s| *s >= 400), "{seen:?}");
}

/// What the fake SMS gateway keeps.
#[derive(Default)]
struct Gateway {
    /// The message each `out_id` (our key) carried, once.
    stored: HashMap<String, Value>,
    /// Requests naming each key (retries included).
    posts: HashMap<String, u32>,
    /// Phones the gateway refuses for good (400).
    refused: HashSet<String>,
    calls: u32,
    unauthorised: u32,
}

#[derive(Clone)]
struct FakeGateway {
    gateway: Arc<Mutex<Gateway>>,
    faults: Faults,
}

/// One message per request; the provider's id in the answer; a message
/// sent again under its `out_id` gets the same id (as real gateways do).
async fn gateway_receive(
    State(f): State<FakeGateway>,
    headers: HeaderMap,
    body: String,
) -> Response {
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
        f.gateway.lock().unwrap().unauthorised += 1;
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let roll = {
        let mut g = f.gateway.lock().unwrap();
        g.calls += 1;
        rand::random::<u32>() % 1000
    };
    let Faults {
        fail, slow, lost, ..
    } = f.faults;
    if roll < fail {
        return (StatusCode::SERVICE_UNAVAILABLE, "忙").into_response();
    }
    if roll < fail + slow {
        tokio::time::sleep(Duration::from_millis(crate::upstream::TIMEOUT_MS * 2)).await;
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let m: Value = serde_json::from_str(&body).unwrap();
    let key = m["out_id"].as_str().unwrap().to_string();
    {
        let mut g = f.gateway.lock().unwrap();
        *g.posts.entry(key.clone()).or_default() += 1;
        if g.refused.contains(m["phone"].as_str().unwrap()) {
            return (StatusCode::BAD_REQUEST, "号码无效").into_response();
        }
        g.stored.entry(key.clone()).or_insert(m);
    }
    if roll < fail + slow + lost {
        tokio::time::sleep(Duration::from_millis(crate::upstream::TIMEOUT_MS * 2)).await;
    }
    Json(json!({ "code": "OK", "message_id": format!("gw-{key}") })).into_response()
}

async fn every_sms_reaches_the_gateway_once_and_its_receipts_mark_delivery(app: TestApp) {
    let gateway = Arc::new(Mutex::new(Gateway::default()));
    let router = Router::new()
        .route("/sms", post(gateway_receive))
        .with_state(FakeGateway {
            gateway: gateway.clone(),
            faults: Faults {
                fail: 150,
                slow: 100,
                lost: 150,
                ..Faults::default()
            },
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    gateway.lock().unwrap().refused.insert("13900000003".into());

    // Twelve finished cases: twelve invitations.
    let cases: Vec<Value> = (0..12)
        .map(|i| {
            json!({ "case_no": format!("GW-{i}"), "place_code": "HALL-DC", "window_code": "W01",
                    "status": "finished", "applicant_phone": format!("139000000{i:02}") })
        })
        .collect();
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
    let mut dest = destination_named("sms", &url);
    dest.batch = 5;
    let worker = server::upstream::spawn(app.store.clone(), dest);
    drained_of(&app.store, "sms").await;
    worker.abort();

    let (_, sent, dead) = counts_of(&app.store, "sms").await;
    assert_eq!((sent, dead), (11, 1), "the refused number is a dead letter");
    let dead = app.store.outbox_dead("sms", 10).await.unwrap();
    assert!(
        dead[0].last_error.as_deref().unwrap().contains("号码无效"),
        "{dead:?}"
    );
    {
        let g = gateway.lock().unwrap();
        assert_eq!(g.unauthorised, 0);
        assert_eq!(g.stored.len(), 11, "each message once, by its out_id");
        let one = g.stored.values().next().unwrap();
        assert!(
            one["content"]
                .as_str()
                .unwrap()
                .contains("请对本次服务作出评价"),
            "{one}"
        );
        assert_eq!(one["purpose"], "invitation");
    }

    // The admin's outbox shows the provider's id; receipts mark delivery.
    app.login_as("sysadmin").await;
    let (_, outbox) = app.get_json("/api/v1/admin/outbox").await;
    let ids: Vec<String> = outbox
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["provider_id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(ids.len(), 11, "{outbox}");
    assert!(outbox
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["provider_id"].is_string())
        .all(|m| m["delivery"] == "sent"));
    let receipts = json!({ "receipts": [
        { "message_id": ids[0], "status": "delivered" },
        { "message_id": ids[1], "status": "failed", "error": "用户关机" },
        { "message_id": "gw-nobody", "status": "delivered" },
    ] });
    let post = |token: Option<&'static str>, body: Value| {
        let mut r = reqwest::Client::new().post(app.url("/api/v1/sms/receipts"));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        async move {
            let r = r.json(&body).send().await.unwrap();
            let s = r.status().as_u16();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_eq!(post(None, receipts.clone()).await.0, 401);
    assert_eq!(post(Some(HOTLINE_TOKEN), receipts.clone()).await.0, 401);
    let (s, b) = post(
        Some(GATEWAY_TOKEN),
        json!({ "receipts": [{ "message_id": ids[0], "status": "read" }] }),
    )
    .await;
    assert_eq!(
        (s, b["results"][0]["error"]["code"].as_str()),
        (422, Some("receipt_status_invalid"))
    );
    let (s, b) = post(Some(GATEWAY_TOKEN), receipts.clone()).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["results"], json!(["updated", "updated", "unknown"]));
    // A late "failed" after "delivered" changes nothing; sent twice, the same.
    let (_, b) = post(
        Some(GATEWAY_TOKEN),
        json!({ "receipts": [{ "message_id": ids[0], "status": "failed" }] }),
    )
    .await;
    assert_eq!(b["results"], json!(["updated"]));
    let (_, outbox) = app.get_json("/api/v1/admin/outbox").await;
    let state_of = |id: &str| {
        outbox
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["provider_id"] == id)
            .unwrap()["delivery"]
            .clone()
    };
    assert_eq!(state_of(&ids[0]), "delivered");
    assert_eq!(state_of(&ids[1]), "failed");
}
