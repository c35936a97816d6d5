//! Channels, devices' tokens, cases, links, 一次一评, default ratings and
//! who may see an evaluator's phone.

use app::api::types::RateConfig;
use serde_json::{json, Value};
use server::state::now_ms;
use uuid::Uuid;

use crate::helpers::{enrol, TestApp};

crate::on_both_databases!(
    a_revoked_device_is_refused_and_keeps_its_ratings_until_re_enrolled,
    a_device_without_its_token_is_refused,
    window_staff_never_read_an_evaluator_phone_or_id,
    the_case_import_keeps_good_rows_and_reports_bad_ones,
    cases_pushed_twice_are_stored_once_and_invited_once,
    the_second_rating_of_a_case_is_a_follow_up,
    a_used_link_cannot_rate_again_and_a_forged_one_never,
    a_case_unrated_for_seven_days_gets_one_default_rating,
    a_paper_form_entered_by_staff_records_channel_and_who_entered_it,
    starting_service_reaches_the_window_pad_or_gives_a_case_qr,
    each_stage_of_a_case_is_rated_once,
    a_kiosk_rates_under_the_dimension_set_it_was_registered_with_and_old_ratings_keep_theirs,
);

crate::on_both_databases_with!(
    seven_on_the_web,
    crate::channels::seven_dimensions_on_the_web;
    phones_are_offered_the_dimension_set_the_city_chose,
);

pub fn seven_dimensions_on_the_web(s: &mut server::config::Settings) {
    s.policy.web_dimension_set = domain::catalog::SEVEN_V1;
}

pub const PHONE: &str = "13912345678";
pub const ID_NO: &str = "11010519491231002X";

pub fn web_rating(cfg: &RateConfig, level: &str) -> Value {
    let d = &cfg.device;
    json!({
        "id": Uuid::now_v7(),
        "device_id": d.device_id,
        "seq": 1,
        "device_time": now_ms(),
        "channel": cfg.channel,
        "case_no": cfg.case_no,
        "place_id": d.place_id,
        "window_id": d.window_id,
        "level": level,
        "dimension_set": d.dimension_set,
        "link": cfg.link,
    })
}

pub async fn sync_web(app: &TestApp, cfg: &RateConfig, items: Vec<Value>) -> (u16, Value) {
    let r = app
        .client
        .post(app.url("/api/v1/sync"))
        .json(&json!({ "device_id": cfg.device.device_id, "sent_at": now_ms(), "items": items }))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

pub async fn config(app: &TestApp, path: &str) -> RateConfig {
    let (status, body) = app.get_json(path).await;
    assert_eq!(status, 200, "{path}: {body}");
    serde_json::from_value(body).unwrap()
}

/// Pushes one case as the demo business system; returns its id.
pub(crate) async fn push_case(app: &TestApp, case: Value) -> Value {
    let r = app
        .client
        .post(app.url("/api/v1/cases"))
        .bearer_auth(server::demo::integration_token(
            crate::helpers::ADMIN_PASSWORD,
        ))
        .json(&json!({ "cases": [case] }))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body["results"][0].clone()
}

async fn link_for(app: &TestApp, case_id: i64, channel: &str) -> String {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/cases/{case_id}/links")))
        .bearer_auth(server::demo::integration_token(
            crate::helpers::ADMIN_PASSWORD,
        ))
        .json(&json!({ "channel": channel }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn a_revoked_device_is_refused_and_keeps_its_ratings_until_re_enrolled(app: TestApp) {
    let csrf = app.login_admin().await;
    let (status, _) = app
        .post_json(
            "/api/v1/admin/devices/KIOSK-DC-01/revoke",
            &csrf,
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let r = app
        .post_sync(&app.batch(vec![app.rating(1, "satisfied")]))
        .await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "device_revoked");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("仍完整保存在本机"));
    assert_eq!(app.count(server::store::CountedTable::Ratings).await, 0);
    // A new enrolment code brings it back with a new token; the old one stays dead.
    let (_, token) = enrol(&app.address, "KIOSK-DC-01").await;
    let batch = app.batch(vec![app.rating(1, "satisfied")]);
    let old = app.post_sync(&batch).await;
    assert_eq!(old.status(), 401);
    let r = app
        .client
        .post(app.url("/api/v1/sync"))
        .bearer_auth(token)
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

async fn a_device_without_its_token_is_refused(app: TestApp) {
    let batch = app.batch(vec![app.rating(1, "satisfied")]);
    let r = app
        .client
        .post(app.url("/api/v1/sync"))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .post(app.url("/api/v1/sync"))
        .bearer_auth(&app.tokens[&app.other_kiosk.device_id])
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "another device's token does not do");
    // A kiosk's rating cannot be slipped in through the web endpoint either.
    let web = config(&app, "/api/v1/rate/place/HALL-DC").await;
    let mut item = web_rating(&web, "satisfied");
    item["channel"] = json!("kiosk");
    let (status, body) = sync_web(&app, &web, vec![item]).await;
    assert_eq!(status, 422);
    assert_eq!(body["results"][0]["error"]["code"], "channel_mismatch");
}

async fn window_staff_never_read_an_evaluator_phone_or_id(app: TestApp) {
    // A bad rating with the evaluator's phone and ID, by static QR at W01…
    let web = config(&app, "/api/v1/rate/place/HALL-DC/W01").await;
    let mut item = web_rating(&web, "dissatisfied");
    item["evaluator_phone"] = json!(PHONE);
    item["evaluator_id_no"] = json!(ID_NO);
    item["reasons"] = json!(["attitude"]);
    let (status, _) = sync_web(&app, &web, vec![item]).await;
    assert_eq!(status, 200);
    // …and a case at W01 whose applicant left the same phone.
    push_case(
        &app,
        json!({ "case_no": "SP-1", "place_code": "HALL-DC", "window_code": "W01",
        "status": "finished", "applicant_phone": PHONE, "applicant_id_no": ID_NO }),
    )
    .await;

    let csrf = app.login_as("window1").await;
    let mut bodies = vec![];
    for path in [
        "/api/v1/staff/me",
        "/api/v1/staff/cases",
        "/api/v1/staff/inbox",
        "/api/v1/staff/ratings",
        "/api/v1/staff/summary",
        "/api/v1/admin/outbox",
        "/api/v1/admin/devices",
        "/api/v1/admin/posters",
        "/api/v1/loop/mine",
        "/api/v1/loop/tickets",
        "/api/v1/loop/tickets/1",
        "/api/v1/loop/ledger?format=csv",
        "/api/v1/loop/common",
        "/api/v1/loop/sample",
        "/api/v1/loop/events",
    ] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        bodies.push(format!("{path} {} {}", r.status(), r.text().await.unwrap()));
    }
    let (_, started) = app
        .post_json(
            "/api/v1/staff/service",
            &csrf,
            &json!({ "case_no": "SP-1" }),
        )
        .await;
    bodies.push(started.to_string());
    let case_id = started["case"]["id"].as_i64().unwrap();
    let (_, finished) = app
        .post_json(
            &format!("/api/v1/staff/service/{case_id}/finish"),
            &csrf,
            &json!({}),
        )
        .await;
    bodies.push(finished.to_string());
    for b in &bodies {
        assert!(
            !b.contains(PHONE)
                && !b.contains("1391")
                && !b.contains(ID_NO)
                && !b.contains("110105"),
            "leak: {b}"
        );
    }
    // The rated staff member's lists are refused outright.
    assert!(bodies
        .iter()
        .any(|b| b.starts_with("/api/v1/staff/inbox 403")));

    // The rating's ticket, worked through to its archive by the unit admin,
    // shows in the window's own list: outcome, no evaluator.
    let admin = app.login_admin().await;
    let (_, list) = app.get_json("/api/v1/staff/inbox").await;
    // Lists show the phone masked to everyone; the whole number is a
    // logged reveal on the ticket.
    assert_eq!(list[0]["evaluator_phone"], "139****5678");
    let (_, tickets) = app.get_json("/api/v1/loop/tickets").await;
    let id = tickets["tickets"][0]["id"].as_i64().unwrap();
    for step in [
        json!({ "action": "contact", "reached": true, "note": "已联系 13912345678" }),
        json!({ "action": "verify", "verdict": "valid" }),
        json!({ "action": "archive", "outcome": "fixed", "note": "已整改：窗口增加引导" }),
    ] {
        let (status, body) = app
            .post_json(&format!("/api/v1/loop/tickets/{id}/steps"), &admin, &step)
            .await;
        assert_eq!(status, 200, "{body}");
    }
    app.login_as("sysadmin").await;
    let (_, list) = app.get_json("/api/v1/staff/inbox").await;
    assert_eq!(list[0]["evaluator_phone"], "139****5678");

    app.login_as("window1").await;
    let (status, mine) = app.get_json("/api/v1/loop/mine").await;
    assert_eq!(status, 200);
    assert_eq!(mine[0]["status"], "awaiting_feedback");
    assert_eq!(mine[0]["description"], "已整改：窗口增加引导");
    let text = mine.to_string();
    assert!(
        !text.contains(PHONE)
            && !text.contains("1391")
            && !text.contains(ID_NO)
            && !text.contains("rating_id"),
        "leak: {text}"
    );
    // Another window's staff member does not see it.
    app.login_as("window2").await;
    let (_, mine) = app.get_json("/api/v1/loop/mine").await;
    assert_eq!(mine, json!([]));
}

async fn the_case_import_keeps_good_rows_and_reports_bad_ones(app: TestApp) {
    let csrf = app.login_admin().await;
    let csv =
        "\u{feff}case_no,place_code,window_code,status,applicant_phone,started_at,finished_at\n\
        IMP-1,HALL-DC,W01,finished,13800001111,2026-11-20 09:00,2026-11-20 09:30\n\
        IMP-2,NO-SUCH,,finished,,,\n\
        IMP 3,HALL-DC,,in_service,,,\n\
        IMP-4,HALL-DC,W09,finished,,,\n\
        IMP-5,HALL-DC,W02,in_service,12345,,\n\
        IMP-6,HALL-DC,W02,finished,,2026-11-20 10:00,昨天\n\
        IMP-7,HALL-DC,W02,in_service,,,\n";
    let r = app
        .client
        .post(app.url("/api/v1/cases/import"))
        .header("x-csrf-token", &csrf)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["rows"], 7);
    assert_eq!(report["imported"], 2, "{report}");
    let lines: Vec<i64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, vec![3, 4, 5, 6, 7]);
    let messages = report["errors"].to_string();
    for expected in ["NO-SUCH", "办件编号", "W09", "手机号码", "办结时间"] {
        assert!(messages.contains(expected), "{expected} in {messages}");
    }
    // The finished good row invited its applicant by SMS; the bad ones left nothing.
    app.login_as("sysadmin").await;
    let (_, outbox) = app.get_json("/api/v1/admin/outbox").await;
    assert_eq!(outbox.as_array().unwrap().len(), 1);
    assert!(outbox[0]["body"].as_str().unwrap().contains("IMP-1"));
    // A header with an unknown column is refused as a whole, with the column named.
    let csrf = app.login_admin().await;
    let r = app
        .client
        .post(app.url("/api/v1/cases/import"))
        .header("x-csrf-token", &csrf)
        .header("content-type", "text/csv")
        .body("case_no,place,status\n")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("place"));
}

async fn cases_pushed_twice_are_stored_once_and_invited_once(app: TestApp) {
    let case = json!({ "case_no": "YTH-9", "place_code": "HALL-DC", "window_code": "W02",
        "service_item_code": "DC-RS-001", "status": "finished", "applicant_phone": PHONE });
    assert_eq!(push_case(&app, case.clone()).await["status"], "created");
    assert_eq!(push_case(&app, case).await["status"], "unchanged");
    let bad = push_case(
        &app,
        json!({ "case_no": "YTH-10", "place_code": "HALL-DC", "status": "done" }),
    )
    .await;
    assert_eq!(bad["status"], "rejected");
    assert!(bad["error"]["message"]
        .as_str()
        .unwrap()
        .contains("办件状态"));
    app.login_as("sysadmin").await;
    let (_, outbox) = app.get_json("/api/v1/admin/outbox").await;
    assert_eq!(outbox.as_array().unwrap().len(), 1, "one invitation");
    let body = outbox[0]["body"].as_str().unwrap();
    assert!(
        body.contains("失业保险金申领") && body.contains("/r/"),
        "{body}"
    );
    // No integration token, no session: refused.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/cases"))
        .bearer_auth("nope")
        .json(&json!({ "cases": [] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

async fn the_second_rating_of_a_case_is_a_follow_up(app: TestApp) {
    let case = push_case(&app, json!({ "case_no": "FU-1", "place_code": "HALL-DC", "window_code": "W03", "status": "finished" })).await;
    let id = case["case_id"].as_i64().unwrap();
    let sms = config(
        &app,
        &format!("/api/v1/rate/link/{}", link_for(&app, id, "sms").await),
    )
    .await;
    assert_eq!(sms.case_no.as_deref(), Some("FU-1"));
    let (status, first) = sync_web(&app, &sms, vec![web_rating(&sms, "satisfied")]).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["results"][0]["kind"], "first");
    let pc = config(
        &app,
        &format!("/api/v1/rate/link/{}", link_for(&app, id, "pc_web").await),
    )
    .await;
    let (_, second) = sync_web(&app, &pc, vec![web_rating(&pc, "very_dissatisfied")]).await;
    assert_eq!(second["results"][0]["kind"], "follow_up");
    // A kiosk rating naming the case number is a follow-up too.
    let mut k = app.rating(1, "satisfied");
    k["case_no"] = json!("FU-1");
    let r: Value = app
        .post_sync(&app.batch(vec![k]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(r["results"][0]["kind"], "follow_up");
    app.login_admin().await;
    let (_, list) = app.get_json("/api/v1/staff/ratings").await;
    let kinds: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "first").count(), 1);
    assert_eq!(kinds.iter().filter(|k| **k == "follow_up").count(), 2);
}

async fn a_used_link_cannot_rate_again_and_a_forged_one_never(app: TestApp) {
    let case = push_case(
        &app,
        json!({ "case_no": "L-1", "place_code": "HALL-DC", "status": "finished" }),
    )
    .await;
    let token = link_for(&app, case["case_id"].as_i64().unwrap(), "qr_case").await;
    let cfg = config(&app, &format!("/api/v1/rate/link/{token}")).await;
    assert!(!cfg.link_used);
    let item = web_rating(&cfg, "satisfied");
    assert_eq!(sync_web(&app, &cfg, vec![item.clone()]).await.0, 200);
    // The same rating again is a replay, not a second use.
    let (_, replay) = sync_web(&app, &cfg, vec![item]).await;
    assert_eq!(replay["results"][0]["status"], "duplicate");
    let (status, again) = sync_web(&app, &cfg, vec![web_rating(&cfg, "dissatisfied")]).await;
    assert_eq!(status, 422);
    assert_eq!(again["results"][0]["error"]["code"], "link_used");
    assert!(
        config(&app, &format!("/api/v1/rate/link/{token}"))
            .await
            .link_used
    );
    // Changing the case id in the token breaks its signature.
    let mut parts: Vec<&str> = token.split('.').collect();
    let other = (case["case_id"].as_i64().unwrap() + 1).to_string();
    parts[0] = &other;
    let (status, body) = app
        .get_json(&format!("/api/v1/rate/link/{}", parts.join(".")))
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "link_forged");
}

async fn a_case_unrated_for_seven_days_gets_one_default_rating(app: TestApp) {
    let day = 86_400_000;
    let now = now_ms();
    let old = push_case(&app, json!({ "case_no": "OLD-1", "place_code": "HALL-DC", "window_code": "W01",
        "status": "finished", "started_at": now - 8 * day - 3_600_000, "finished_at": now - 8 * day })).await;
    push_case(
        &app,
        json!({ "case_no": "NEW-1", "place_code": "HALL-DC", "status": "finished",
        "started_at": now - 6 * day, "finished_at": now - 6 * day + 60_000 }),
    )
    .await;
    let rated = push_case(
        &app,
        json!({ "case_no": "OLD-2", "place_code": "HALL-DC", "status": "finished",
        "started_at": now - 9 * day, "finished_at": now - 9 * day }),
    )
    .await;
    let cfg = config(
        &app,
        &format!(
            "/api/v1/rate/link/{}",
            link_for(&app, rated["case_id"].as_i64().unwrap(), "sms").await
        ),
    )
    .await;
    sync_web(&app, &cfg, vec![web_rating(&cfg, "basic")]).await;

    let csrf = app.login_as("sysadmin").await;
    let (status, first) = app
        .post_json("/api/v1/admin/jobs/run", &csrf, &json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(first["default_ratings"], 1, "only OLD-1: {first}");
    let (_, again) = app
        .post_json("/api/v1/admin/jobs/run", &csrf, &json!({}))
        .await;
    assert_eq!(again["default_ratings"], 0, "safe to rerun");
    let (_, list) = app.get_json("/api/v1/staff/ratings").await;
    let defaults: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "system_default")
        .collect();
    assert_eq!(defaults.len(), 1);
    assert_eq!(defaults[0]["case_no"], "OLD-1");
    assert_eq!(defaults[0]["level"], "satisfied");
    assert_eq!(defaults[0]["proactive"], false);
    assert_eq!(defaults[0]["channel"], "system");
    assert_eq!(old["status"], "created");
}

async fn a_paper_form_entered_by_staff_records_channel_and_who_entered_it(app: TestApp) {
    let csrf = app.login_admin().await;
    let id = Uuid::now_v7();
    let entry = json!({ "id": id, "channel": "paper", "level": "dissatisfied", "window_code": "W02",
        "reasons": ["slow"], "comment": "表格上写：等太久", "rated_at": now_ms() - 86_400_000 });
    let (status, r) = app.post_json("/api/v1/staff/entries", &csrf, &entry).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["status"], "accepted");
    // The same form submitted twice (a retry) is stored once.
    let (_, r) = app.post_json("/api/v1/staff/entries", &csrf, &entry).await;
    assert_eq!(r["status"], "duplicate");
    let (status, bad) = app
        .post_json(
            "/api/v1/staff/entries",
            &csrf,
            &json!({ "id": Uuid::now_v7(), "channel": "kiosk", "level": "satisfied" }),
        )
        .await;
    assert_eq!(status, 422);
    assert!(bad["error"]["message"].as_str().unwrap().contains("书面"));
    let (_, list) = app.get_json("/api/v1/staff/inbox").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["channel"], "paper");
    assert_eq!(list[0]["entered_by"], "好差评管理员");
    assert_eq!(list[0]["window_name"], "2号综合受理窗口");
    // Window staff cannot enter ratings (about themselves or anyone).
    let csrf = app.login_as("window2").await;
    let (status, _) = app
        .post_json(
            "/api/v1/staff/entries",
            &csrf,
            &json!({ "id": Uuid::now_v7(), "channel": "paper", "level": "very_satisfied" }),
        )
        .await;
    assert_eq!(status, 403);
}

async fn starting_service_reaches_the_window_pad_or_gives_a_case_qr(app: TestApp) {
    let csrf = app.login_as("window1").await;
    // No pad connected: the tablet gets a per-case QR link instead.
    let (status, s) = app
        .post_json(
            "/api/v1/staff/service",
            &csrf,
            &json!({ "case_no": "PAD-0" }),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["pad_online"], false);
    assert!(s["qr_path"].as_str().unwrap().starts_with("/r/"));

    let (_, token) = enrol(&app.address, "PAD-DC-W01").await;
    let mut events = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/pad/events?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    // On connecting, the pad is told the case in service at its window.
    let first = tokio::time::timeout(std::time::Duration::from_secs(2), events.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&first).contains("PAD-0"));
    let (_, s) = app
        .post_json(
            "/api/v1/staff/service",
            &csrf,
            &json!({ "case_no": "PAD-1" }),
        )
        .await;
    assert_eq!(s["pad_online"], true);
    assert!(s["qr_path"].is_null());
    let pushed = tokio::time::timeout(std::time::Duration::from_secs(2), events.chunk())
        .await
        .expect("pushed within 2 s")
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(&pushed);
    assert!(
        text.contains("\"case_no\":\"PAD-1\"") && text.contains("王芳"),
        "{text}"
    );
    // A wrong token gets no stream.
    let r = reqwest::Client::new()
        .get(app.url("/api/v1/pad/events?token=nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

async fn each_stage_of_a_case_is_rated_once(app: TestApp) {
    let case = push_case(&app, json!({ "case_no": "STG-1", "place_code": "HALL-DC", "status": "finished", "stages": true })).await;
    let id = case["case_id"].as_i64().unwrap();
    let mut kinds = vec![];
    for (channel, stage) in [
        ("sms", "accept"),
        ("pc_web", "review"),
        ("pc_web", "accept"),
    ] {
        let cfg = config(
            &app,
            &format!("/api/v1/rate/link/{}", link_for(&app, id, channel).await),
        )
        .await;
        assert_eq!(cfg.stages.len(), 4, "a case with stages offers all four");
        let mut item = web_rating(&cfg, "satisfied");
        item["stage"] = json!(stage);
        let (status, body) = sync_web(&app, &cfg, vec![item]).await;
        assert_eq!(status, 200, "{body}");
        kinds.push(body["results"][0]["kind"].as_str().unwrap().to_string());
    }
    assert_eq!(kinds, ["first", "first", "follow_up"]);
    app.login_admin().await;
    let (_, list) = app.get_json("/api/v1/staff/ratings").await;
    let stages: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["stage"].as_str())
        .collect();
    assert_eq!(stages.len(), 3);
}

fn real_name_required(s: &mut server::config::Settings) {
    s.policy.real_name = domain::case::RealName::Required;
}

async fn where_policy_requires_a_phone_a_rating_without_one_is_set_aside(app: TestApp) {
    let web = config(&app, "/api/v1/rate/place/HALL-DC").await;
    assert_eq!(web.real_name, domain::case::RealName::Required);
    let (status, body) = sync_web(&app, &web, vec![web_rating(&web, "satisfied")]).await;
    assert_eq!(status, 422);
    assert_eq!(body["results"][0]["error"]["code"], "phone_required");
    let mut item = web_rating(&web, "satisfied");
    item["evaluator_phone"] = json!(PHONE);
    assert_eq!(sync_web(&app, &web, vec![item]).await.0, 200);
    // Kiosks are not phone channels: unaffected.
    assert_eq!(
        app.post_sync(&app.batch(vec![app.rating(1, "satisfied")]))
            .await
            .status(),
        200
    );
}

mod real_name {
    use crate::helpers::{spawn_app_with, Db};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_where_policy_requires_a_phone_a_rating_without_one_is_set_aside() {
        crate::helpers::within_limit("real_name", async {
            let app = spawn_app_with(Db::Sqlite, "real_name", super::real_name_required)
                .await
                .unwrap();
            super::where_policy_requires_a_phone_a_rating_without_one_is_set_aside(app).await;
        })
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_where_policy_requires_a_phone_a_rating_without_one_is_set_aside() {
        crate::helpers::within_limit("real_name", async {
            if let Some(app) =
                spawn_app_with(Db::Postgres, "real_name", super::real_name_required).await
            {
                super::where_policy_requires_a_phone_a_rating_without_one_is_set_aside(app).await;
            }
        })
        .await;
    }
}

/// Seed 001 附件's seven dimensions ship beside the three: a device is
/// registered with its set, rates under it, and a rating queued under the
/// old set before a change is still taken and read under that set.
async fn a_kiosk_rates_under_the_dimension_set_it_was_registered_with_and_old_ratings_keep_theirs(
    app: TestApp,
) {
    let csrf = app.login_admin().await;
    let (s, b) = app
        .post_json(
            "/api/v1/admin/devices",
            &csrf,
            &json!({ "code": "KIOSK-7", "kind": "kiosk",
            "place_code": "HALL-DC", "dimension_set": "onsite-v9" }),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (422, Some("dimension_set_unknown")),
        "{b}"
    );
    let (s, b) = app
        .post_json(
            "/api/v1/admin/devices",
            &csrf,
            &json!({ "code": "KIOSK-7", "kind": "kiosk",
            "place_code": "HALL-DC", "dimension_set": "seven-v1" }),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (cfg, token) = crate::helpers::enrol(&app.address, "KIOSK-7").await;
    assert_eq!(cfg.dimension_set, "seven-v1");
    let rating = |seq: u64, set: &str, dimension: &str| {
        let mut r = crate::helpers::rating_for(&cfg, seq, "satisfied");
        r["dimension_set"] = json!(set);
        r["items"] = json!([{ "dimension": dimension, "level": "very_satisfied" }]);
        r
    };
    let sync = |items: Vec<Value>| {
        let app = &app;
        let token = token.clone();
        let device = cfg.device_id;
        async move {
            let r = app
                .client
                .post(app.url("/api/v1/sync"))
                .bearer_auth(token)
                .json(&json!({ "device_id": device, "sent_at": now_ms(), "items": items }))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    // 跑趟次数 is one of the seven; 服务水平 (competence) is not.
    let (s, b) = sync(vec![rating(1, "seven-v1", "competence")]).await;
    assert_eq!(s, 422, "{b}");
    let (s, b) = sync(vec![
        rating(1, "seven-v1", "trips"),
        rating(2, "onsite-v1", "competence"),
    ])
    .await;
    assert_eq!(s, 200, "{b}");
    let stored = app
        .text("SELECT CAST(COUNT(*) AS TEXT) FROM ratings WHERE (dimension_set = 'seven-v1' AND items LIKE '%trips%') \
               OR (dimension_set = 'onsite-v1' AND items LIKE '%competence%')")
        .await;
    assert_eq!(stored.as_deref(), Some("2"), "each under its own set");
}

/// `HCP_WEB_DIMENSION_SET=seven-v1`: phone and PC rating pages offer the
/// seven; staff entries and the 系统默认 job use the same web device.
async fn phones_are_offered_the_dimension_set_the_city_chose(app: TestApp) {
    let web = config(&app, "/api/v1/rate/place/HALL-DC/W01").await;
    assert_eq!(web.device.dimension_set, "seven-v1");
    let mut r = web_rating(&web, "very_satisfied");
    r["items"] = json!([{ "dimension": "integrity", "level": "very_satisfied" }]);
    let (s, b) = sync_web(&app, &web, vec![r]).await;
    assert_eq!(s, 200, "{b}");
    // A paper form entered meanwhile does not switch the phones back.
    let csrf = app.login_admin().await;
    let (s, _) = app
        .post_json(
            "/api/v1/staff/entries",
            &csrf,
            &json!({ "id": Uuid::now_v7(), "channel": "paper", "level": "satisfied" }),
        )
        .await;
    assert_eq!(s, 200);
    let web = config(&app, "/api/v1/rate/place/HALL-DC/W01").await;
    assert_eq!(web.device.dimension_set, "seven-v1");
}
