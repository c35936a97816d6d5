//! The rating terminal (issue 11): the window pad that waits for 办结, the
//! clerk it shows, invitations deferred while the pad asks, devices' last
//! contact and voice setting, administrators' SMS notices, and how pages
//! and the service worker are served.

use serde_json::{json, Value};
use server::state::now_ms;

use crate::helpers::{enrol, rating_for, TestApp};

crate::on_both_databases!(
    the_pad_shows_the_service_then_asks_for_the_rating_at_banjie,
    a_citizen_who_leaves_the_pad_unrated_gets_the_sms_when_the_next_case_starts,
    a_rating_given_on_the_pad_cancels_the_deferred_invitation,
    the_clerks_number_and_photo_reach_the_pad,
    a_unit_administrator_is_told_of_a_new_bad_rating_once_by_sms,
    concurrent_syncs_tell_the_administrator_of_each_new_ticket_exactly_once,
    a_digest_administrator_gets_one_sms_a_day,
    notice_settings_refuse_a_bad_phone_and_notices_without_one,
    devices_report_their_last_contact_and_take_a_voice_setting,
    the_phone_rating_page_is_rendered_by_the_server,
    pages_render_while_other_servers_start_in_the_same_process,
    pages_are_compressed_and_revalidated_and_api_answers_never_stored,
    the_service_worker_keeps_no_staff_page_or_case_link,
);

/// An open pad stream and what it has said so far.
struct Pad {
    resp: reqwest::Response,
    seen: String,
    token: String,
}

impl Pad {
    async fn connect(app: &TestApp, code: &str) -> Pad {
        let (_, token) = enrol(&app.address, code).await;
        Pad::reconnect(app, token).await
    }

    async fn reconnect(app: &TestApp, token: String) -> Pad {
        let resp = reqwest::Client::new()
            .get(app.url(&format!("/api/v1/pad/events?token={token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        Pad {
            resp,
            seen: String::new(),
            token,
        }
    }

    /// Waits (at most 3 s) for an event containing all of `needles`.
    async fn expect(&mut self, needles: &[&str]) -> Value {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(3);
        loop {
            for line in self.seen.lines() {
                if let Some(data) = line.strip_prefix("data: ") {
                    if needles.iter().all(|n| data.contains(n)) {
                        let v: Value = serde_json::from_str(data).unwrap();
                        self.seen.clear();
                        return v;
                    }
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.resp.chunk())
                .await
                .unwrap_or_else(|_| panic!("no event with {needles:?}; saw {:?}", self.seen))
                .unwrap()
                .unwrap();
            self.seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

async fn start(app: &TestApp, csrf: &str, case_no: &str, phone: Option<&str>) -> Value {
    let (status, s) = app
        .post_json(
            "/api/v1/staff/service",
            csrf,
            &json!({ "case_no": case_no, "applicant_phone": phone }),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    s
}

async fn finish(app: &TestApp, csrf: &str, case_id: i64) {
    let (status, body) = app
        .post_json(
            &format!("/api/v1/staff/service/{case_id}/finish"),
            csrf,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn invitations_for(app: &TestApp, case_id: i64) -> usize {
    app.store
        .outbox(1000)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.case_id == Some(case_id) && m.purpose == "invitation")
        .count()
}

async fn the_pad_shows_the_service_then_asks_for_the_rating_at_banjie(app: TestApp) {
    let mut pad = Pad::connect(&app, "PAD-DC-W01").await;
    pad.expect(&["\"type\":\"idle\""]).await;
    let csrf = app.login_as("window1").await;
    let s = start(&app, &csrf, "SVC-1", None).await;
    assert_eq!(s["pad_online"], true);
    // During the service: who serves, and the case; no rating asked yet.
    let ev = pad.expect(&["\"type\":\"serving\"", "SVC-1"]).await;
    assert_eq!(ev["staff_name"], "王芳");
    assert_eq!(ev["window_name"], "1号综合受理窗口");
    finish(&app, &csrf, s["case"]["id"].as_i64().unwrap()).await;
    pad.expect(&["\"type\":\"rate\"", "SVC-1"]).await;
    // A pad that reloads while asking is asked again (nothing dropped it).
    let again = Pad::reconnect(&app, pad.token.clone()).await;
    let mut again = again;
    again.expect(&["\"type\":\"rate\"", "SVC-1"]).await;
}

async fn a_citizen_who_leaves_the_pad_unrated_gets_the_sms_when_the_next_case_starts(app: TestApp) {
    let mut pad = Pad::connect(&app, "PAD-DC-W01").await;
    let csrf = app.login_as("window1").await;
    let s = start(&app, &csrf, "SMS-PAD-1", Some("13700002222")).await;
    let id = s["case"]["id"].as_i64().unwrap();
    finish(&app, &csrf, id).await;
    pad.expect(&["\"type\":\"rate\""]).await;
    // The pad is asking: no SMS yet.
    assert_eq!(invitations_for(&app, id).await, 0);
    // The clerk starts the next case: the citizen left without rating.
    start(&app, &csrf, "SMS-PAD-2", None).await;
    pad.expect(&["\"type\":\"serving\"", "SMS-PAD-2"]).await;
    assert_eq!(invitations_for(&app, id).await, 1);
    // The jobs do not send it again.
    let sys = app.login_as("sysadmin").await;
    app.post_json("/api/v1/admin/jobs/run", &sys, &json!({}))
        .await;
    assert_eq!(invitations_for(&app, id).await, 1);
}

async fn a_rating_given_on_the_pad_cancels_the_deferred_invitation(app: TestApp) {
    let (pad_cfg, pad_token) = enrol(&app.address, "PAD-DC-W01").await;
    let mut pad = Pad::reconnect(&app, pad_token.clone()).await;
    let csrf = app.login_as("window1").await;
    let s = start(&app, &csrf, "RATED-1", Some("13700003333")).await;
    let id = s["case"]["id"].as_i64().unwrap();
    finish(&app, &csrf, id).await;
    pad.expect(&["\"type\":\"rate\"", "RATED-1"]).await;
    let mut r = rating_for(&pad_cfg, 1, "very_satisfied");
    r["channel"] = json!("window_pad");
    r["case_no"] = json!("RATED-1");
    r["window_id"] = json!(pad_cfg.window_id);
    let resp = app
        .client
        .post(app.url("/api/v1/sync"))
        .bearer_auth(&pad_token)
        .json(&json!({ "device_id": pad_cfg.device_id, "sent_at": now_ms(), "items": [r] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
    start(&app, &csrf, "RATED-2", None).await;
    // Even past its delay, a rated case gets no invitation.
    let sys = app.login_as("sysadmin").await;
    app.post_json("/api/v1/admin/jobs/run", &sys, &json!({}))
        .await;
    assert_eq!(invitations_for(&app, id).await, 0);
}

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

async fn the_clerks_number_and_photo_reach_the_pad(app: TestApp) {
    let sys = app.login_as("sysadmin").await;
    let (_, list) = app.get_json("/api/v1/admin/staff").await;
    let clerk = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["username"] == "window1")
        .unwrap()
        .clone();
    let id = clerk["id"].as_i64().unwrap();
    let (status, body) = app
        .client
        .put(app.url(&format!("/api/v1/admin/staff/{id}")))
        .header("x-csrf-token", &sys)
        .json(&json!({ "username": "window1", "display_name": "王芳", "role": "window_staff",
            "place_code": clerk["place_code"], "window_code": clerk["window_code"], "staff_no": "DC0101" }))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(status, 200, "{}", body.text().await.unwrap());
    // Not an image: refused with a message, nothing stored.
    let r = app
        .client
        .post(app.url(&format!("/api/v1/admin/staff/{id}/photo")))
        .header("x-csrf-token", &sys)
        .header("content-type", "image/png")
        .body("not a png")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = app
        .client
        .post(app.url(&format!("/api/v1/admin/staff/{id}/photo")))
        .header("x-csrf-token", &sys)
        .header("content-type", "image/png")
        .body(PNG)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let photo_url = r.json::<Value>().await.unwrap()["photo_url"]
        .as_str()
        .unwrap()
        .to_string();

    let mut pad = Pad::connect(&app, "PAD-DC-W01").await;
    let csrf = app.login_as("window1").await;
    start(&app, &csrf, "PHOTO-1", None).await;
    let ev = pad.expect(&["\"type\":\"serving\"", "PHOTO-1"]).await;
    assert_eq!(ev["staff_no"], "DC0101");
    assert_eq!(ev["photo_url"], photo_url.as_str());
    // Anyone at the window sees the photo: served as an image, no session.
    let r = reqwest::get(app.url(&photo_url)).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    let r = reqwest::get(app.url("/api/v1/photos/guessed"))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn set_notices(app: &TestApp, csrf: &str, phone: &str, mode: &str) {
    let r = app
        .client
        .put(app.url("/api/v1/staff/settings"))
        .header("x-csrf-token", csrf)
        .json(&json!({ "phone": phone, "notify": mode }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

async fn notices_to(app: &TestApp, phone: &str) -> Vec<(String, String)> {
    app.store
        .outbox(1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.phone == phone)
        .map(|m| (m.purpose, m.body))
        .collect()
}

async fn a_unit_administrator_is_told_of_a_new_bad_rating_once_by_sms(app: TestApp) {
    let csrf = app.login_admin().await;
    set_notices(&app, &csrf, "13600001111", "instant").await;
    let (_, s) = app.get_json("/api/v1/staff/settings").await;
    assert_eq!(s, json!({ "phone": "13600001111", "notify": "instant" }));
    let r = app
        .post_sync(&app.batch(vec![app.rating(1, "very_dissatisfied")]))
        .await;
    assert_eq!(r.status(), 200);
    // Sent beside the sync, not on its path: wait a moment for it.
    let mut sent = vec![];
    for _ in 0..50 {
        sent = notices_to(&app, "13600001111").await;
        if !sent.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].0, "alert");
    assert!(
        sent[0].1.contains("差评") && sent[0].1.contains("工单 #"),
        "{}",
        sent[0].1
    );
    // No evaluator data in it.
    assert!(!sent[0].1.contains("等了一个小时"));
    let sys = app.login_as("sysadmin").await;
    app.post_json("/api/v1/admin/jobs/run", &sys, &json!({}))
        .await;
    assert_eq!(notices_to(&app, "13600001111").await.len(), 1);
}

/// Twenty batches at once, each with two bad ratings: the writer merges
/// them and the announcer sends for many tickets in one run, yet each
/// ticket is told once, to the administrator of its unit, and the jobs'
/// tick adds nothing.
async fn concurrent_syncs_tell_the_administrator_of_each_new_ticket_exactly_once(app: TestApp) {
    let csrf = app.login_admin().await;
    set_notices(&app, &csrf, "13600003333", "instant").await;
    let bodies: Vec<Value> = (0..20u64)
        .map(|b| {
            app.batch(
                (1..=5u64)
                    .map(|i| {
                        let level = if i <= 2 { "dissatisfied" } else { "satisfied" };
                        app.rating(b * 5 + i, level)
                    })
                    .collect(),
            )
        })
        .collect();
    let answers = futures_util::future::join_all(bodies.iter().map(|b| app.post_sync(b))).await;
    assert!(answers.iter().all(|r| r.status() == 200));
    let mut sent = vec![];
    for _ in 0..100 {
        sent = notices_to(&app, "13600003333").await;
        if sent.len() >= 40 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let tickets = |sent: &[(String, String)]| {
        let mut t: Vec<String> = sent
            .iter()
            .map(|(purpose, body)| {
                assert_eq!(purpose, "alert");
                let at = body.find("工单 #").expect(body) + "工单 #".len();
                body[at..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect()
            })
            .collect();
        t.sort();
        t
    };
    let told = tickets(&sent);
    let mut distinct = told.clone();
    distinct.dedup();
    assert_eq!(told.len(), 40, "{sent:?}");
    assert_eq!(distinct.len(), 40, "each ticket once: {told:?}");
    let sys = app.login_as("sysadmin").await;
    app.post_json("/api/v1/admin/jobs/run", &sys, &json!({}))
        .await;
    assert_eq!(tickets(&notices_to(&app, "13600003333").await), told);
}

async fn a_digest_administrator_gets_one_sms_a_day(app: TestApp) {
    let csrf = app.login_admin().await;
    set_notices(&app, &csrf, "13600002222", "digest").await;
    let r = app
        .post_sync(&app.batch(vec![
            app.rating(1, "very_dissatisfied"),
            app.rating(2, "dissatisfied"),
        ]))
        .await;
    assert_eq!(r.status(), 200);
    let sys = app.login_as("sysadmin").await;
    for _ in 0..2 {
        app.post_json("/api/v1/admin/jobs/run", &sys, &json!({}))
            .await;
    }
    let sent = notices_to(&app, "13600002222").await;
    // No SMS per rating; the digest once the day's 08:00 (China time) passed.
    if domain::notice::digest_day(now_ms()).is_some() {
        assert_eq!(sent.len(), 1, "{sent:?}");
        assert_eq!(sent[0].0, "digest");
        assert!(sent[0].1.contains("新差评 2 条"), "{}", sent[0].1);
    } else {
        assert!(sent.is_empty(), "{sent:?}");
    }
}

async fn notice_settings_refuse_a_bad_phone_and_notices_without_one(app: TestApp) {
    let csrf = app.login_admin().await;
    for (body, code) in [
        (
            json!({ "phone": "12345", "notify": "instant" }),
            "phone_invalid",
        ),
        (
            json!({ "phone": null, "notify": "digest" }),
            "phone_required",
        ),
    ] {
        let r = app
            .client
            .put(app.url("/api/v1/staff/settings"))
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], code);
        assert!(!v["error"]["message"].as_str().unwrap().is_empty());
    }
    // Without a session: refused.
    let r = reqwest::Client::new()
        .put(app.url("/api/v1/staff/settings"))
        .json(&json!({ "phone": null, "notify": "off" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

async fn devices_report_their_last_contact_and_take_a_voice_setting(app: TestApp) {
    let before = now_ms();
    let r = app
        .post_sync(&app.batch(vec![app.rating(1, "satisfied")]))
        .await;
    assert_eq!(r.status(), 200);
    let csrf = app.login_admin().await;
    let (_, list) = app.get_json("/api/v1/admin/devices").await;
    let kiosk = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == app.kiosk.code)
        .unwrap()
        .clone();
    assert!(kiosk["last_seen_at"].as_i64().unwrap() >= before - 60_000);
    assert_eq!(kiosk["voice"], true);
    let (status, _) = app
        .post_json(
            &format!("/api/v1/admin/devices/{}/voice", app.kiosk.code),
            &csrf,
            &json!({ "voice": false }),
        )
        .await;
    assert_eq!(status, 200);
    let cfg: Value = app
        .client
        .get(app.url(&format!("/api/v1/devices/{}", app.kiosk.code)))
        .bearer_auth(&app.tokens[&app.kiosk.device_id])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cfg["voice"], false);
    // Another unit's administrator cannot switch it.
    let other = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = other
        .post(app.url("/api/v1/staff/login"))
        .json(&json!({ "username": "admin-xc", "password": crate::helpers::ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    let csrf_xc = r.json::<Value>().await.unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = other
        .post(app.url(&format!("/api/v1/admin/devices/{}/voice", app.kiosk.code)))
        .header("x-csrf-token", csrf_xc)
        .json(&json!({ "voice": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn the_phone_rating_page_is_rendered_by_the_server(app: TestApp) {
    let html = reqwest::get(app.url("/q/HALL-DC/W01"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Place, window and the five faces are in the HTML itself, before any wasm.
    assert!(html.contains("data-testid=\"rate-place\""), "{html}");
    assert!(html.contains("1号综合受理窗口"));
    for level in [
        "very_satisfied",
        "satisfied",
        "basic",
        "dissatisfied",
        "very_dissatisfied",
    ] {
        assert!(
            html.contains(&format!("data-testid=\"level-{level}\"")),
            "{level}"
        );
    }
    assert!(!html.contains("正在加载设备信息"));
    // A wrong code says so, in the page.
    let html = reqwest::get(app.url("/q/NO-SUCH"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-testid=\"rate-error\"") && html.contains("NO-SUCH"));
}

/// Every server start builds the router; a server beside it in the same
/// process (the test suite, a second instance) may be rendering pages at
/// that moment. Listing the page routes holds back every resource load in
/// the process (leptos #4773), so a page rendered then used to wait
/// forever: CI saw the phone page hang for 300 s. Routers built over and
/// over while pages render must leave every page complete.
async fn pages_render_while_other_servers_start_in_the_same_process(app: TestApp) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    const PAGES: usize = 100;
    /// Stops the router builder however the test ends: a failed assertion
    /// must not leave a blocking loop the runtime waits for at shutdown.
    struct Stop(Arc<AtomicBool>);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Relaxed);
        }
    }
    let done = Arc::new(AtomicBool::new(false));
    let stop = Stop(done.clone());
    let builder = {
        let (state, done) = (app.state.clone(), done.clone());
        tokio::task::spawn_blocking(move || {
            let mut built = 0u32;
            while !done.load(Ordering::Relaxed) {
                drop(server::startup::router(state.clone()));
                built += 1;
            }
            built
        })
    };
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .unwrap();
    let mut hung = Vec::new();
    for i in 0..PAGES {
        match client.get(app.url("/q/HALL-DC/W01")).send().await {
            Ok(r) => {
                assert_eq!(r.status(), 200);
                match r.text().await {
                    Ok(html) => assert!(html.contains("data-testid=\"rate-place\""), "{html}"),
                    Err(e) => hung.push(format!("page {i}: {e:?}")),
                }
            }
            Err(e) => hung.push(format!("page {i}: {e:?}")),
        }
    }
    drop(stop);
    let built = builder.await.unwrap();
    assert!(built > 0, "no router was built while the pages rendered");
    assert!(
        hung.is_empty(),
        "{} of {PAGES} pages did not finish within 10 s while {built} routers were built: {hung:?}",
        hung.len()
    );
}

async fn pages_are_compressed_and_revalidated_and_api_answers_never_stored(app: TestApp) {
    let raw = reqwest::Client::builder()
        .no_brotli()
        .no_gzip()
        .build()
        .unwrap();
    let r = raw
        .get(app.url("/q/HALL-DC"))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-encoding"], "br");
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let compressed = r.bytes().await.unwrap().len();
    let plain = raw
        .get(app.url("/q/HALL-DC"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .len();
    assert!(compressed * 3 < plain, "{compressed} vs {plain}");
    let r = raw
        .get(app.url("/api/v1/rate/place/HALL-DC"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
}

async fn the_service_worker_keeps_no_staff_page_or_case_link(app: TestApp) {
    let r = reqwest::get(app.url("/sw.js")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache");
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let js = r.text().await.unwrap();
    assert!(js.contains("\"/pkg/hcp"), "{js}");
    for never in ["'/api/'", "'/staff'", "'/r/'", "'/f/'"] {
        assert!(js.contains(&format!("!p.startsWith({never})")), "{never}");
    }
}
