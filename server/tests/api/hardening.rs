//! Issue 12, tried as an attacker and a curious clerk would: stuffing and
//! backdating the web channel, binding a case by its number, colleagues'
//! cases and other units' places, sign-in floods and lockouts, enrolment
//! guessing, sessions, what the rated clerk may read, the SMS outbox, CSV
//! formulas, oversized requests, headers and half-open connections.

use serde_json::{json, Value};
use server::config::{Quota, Settings};
use server::state::now_ms;

use crate::channels::{config, sync_web, web_rating};
use crate::helpers::{enrol, signed_in, TestApp, ADMIN_PASSWORD};

crate::on_both_databases!(
    a_web_batch_holds_a_handful_and_a_window_flood_is_refused_then_flagged,
    a_refused_flood_at_one_window_leaves_the_halls_address_free_for_the_others,
    kiosks_and_pads_are_not_rate_limited,
    a_web_rating_is_dated_by_the_server_whatever_its_device_time,
    a_kiosk_rating_before_enrolment_or_past_the_offline_window_is_kept_and_flagged_late,
    a_bare_case_number_from_the_web_never_binds_and_a_pad_binds_only_its_windows_cases,
    a_kiosk_batch_binds_each_case_number_to_its_places_newest_case,
    a_window_clerk_cannot_take_over_a_colleagues_case_number,
    a_unit_admin_cannot_put_cases_at_another_units_place,
    a_citizen_link_used_from_a_staff_browser_is_refused_as_self_evaluation,
    wrong_passwords_lock_the_account_and_say_until_when,
    enrolment_codes_are_stored_keyed_and_burnt_after_five_wrong_tries,
    a_password_reset_or_change_ends_every_session_and_idle_sessions_end,
    the_rated_clerk_reads_no_phone_id_or_name_and_only_the_day,
    the_outbox_masks_numbers_cuts_links_and_logs_each_reveal,
    csv_exports_keep_formulas_as_text,
    a_huge_bad_field_is_answered_with_a_short_message,
    pages_carry_a_nonce_csp_and_every_response_the_security_headers,
    the_ticket_list_is_paged_and_counts_every_ticket,
);

crate::on_both_databases_with!(
    tight,
    crate::hardening::tight_limits;
    web_ratings_per_address_are_limited_across_windows,
    sign_in_attempts_per_address_are_limited_before_any_hashing,
    enrolment_attempts_per_address_are_limited,
    a_half_open_connection_is_dropped_after_the_header_timeout,
    cookies_are_secure_when_the_public_address_is_https,
);

pub fn tight_limits(s: &mut Settings) {
    s.security.web_per_address = Quota::new(3, 60);
    s.security.login_per_address = Quota::new(3, 60);
    s.security.enrol_per_address = Quota::new(2, 600);
    s.security.header_timeout_secs = 1;
    s.public_url = Some("https://hcp.example.gov.cn".into());
}

async fn w01(app: &TestApp) -> app::api::types::RateConfig {
    config(app, "/api/v1/rate/place/HALL-DC/W01").await
}

async fn flags(app: &TestApp) -> Vec<Value> {
    let (c, _) = signed_in(app, "supervisor").await;
    let v: Value = c
        .get(app.url("/api/v1/flags"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["flags"].as_array().unwrap().clone()
}

fn reasons_of(flags: &[Value], id: &str) -> Vec<String> {
    flags
        .iter()
        .filter(|f| f["rating_id"] == id)
        .flat_map(|f| f["reasons"].as_array().cloned().unwrap_or_default())
        .map(|r| r.as_str().unwrap_or_default().to_string())
        .collect()
}

async fn a_web_batch_holds_a_handful_and_a_window_flood_is_refused_then_flagged(app: TestApp) {
    let cfg = w01(&app).await;
    // A phone has no offline queue of hundreds.
    let six: Vec<Value> = (0..6)
        .map(|_| web_rating(&cfg, "very_dissatisfied"))
        .collect();
    let (status, body) = sync_web(&app, &cfg, six).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "batch_too_large");
    // A window takes 10 web ratings a minute: the third batch of five waits.
    let mut ids = vec![];
    for _ in 0..2 {
        let items: Vec<Value> = (0..5)
            .map(|_| web_rating(&cfg, "very_dissatisfied"))
            .collect();
        ids.extend(items.iter().map(|i| i["id"].as_str().unwrap().to_string()));
        let (status, body) = sync_web(&app, &cfg, items).await;
        assert_eq!(status, 200, "{body}");
    }
    let r = app
        .client
        .post(app.url("/api/v1/sync"))
        .json(
            &json!({ "device_id": cfg.device.device_id, "sent_at": now_ms(),
            "items": [web_rating(&cfg, "very_dissatisfied")] }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited_unit");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("秒后再试"));
    assert!(body["error"]["message_en"]
        .as_str()
        .unwrap()
        .contains("try again"));
    // What got past the limiter is flagged as a burst, out of valid figures
    // until a supervisor reviews it.
    let f = flags(&app).await;
    for id in &ids {
        assert!(
            reasons_of(&f, id).contains(&"web_burst".to_string()),
            "{id}: {f:?}"
        );
    }
}

async fn a_refused_flood_at_one_window_leaves_the_halls_address_free_for_the_others(app: TestApp) {
    // A hall's Wi-Fi is one address for every phone in it. Thirty batches of
    // five at one window: two pass, the rest are refused by the window's
    // limit and must not use up the address's 60 a minute.
    let a = w01(&app).await;
    let mut refused = 0;
    for _ in 0..30 {
        let items: Vec<Value> = (0..5).map(|_| web_rating(&a, "satisfied")).collect();
        let (status, body) = sync_web(&app, &a, items).await;
        if status == 429 {
            assert_eq!(body["error"]["code"], "rate_limited_unit", "{body}");
            refused += 1;
        }
    }
    assert_eq!(refused, 28);
    let b = config(&app, "/api/v1/rate/place/HALL-DC/W02").await;
    let items: Vec<Value> = (0..5).map(|_| web_rating(&b, "satisfied")).collect();
    let (status, body) = sync_web(&app, &b, items).await;
    assert_eq!(status, 200, "{body}");
}

async fn kiosks_and_pads_are_not_rate_limited(app: TestApp) {
    let items: Vec<Value> = (1..=40).map(|i| app.rating(i, "satisfied")).collect();
    let r = app.post_sync(&app.batch(items)).await;
    assert_eq!(r.status(), 200);
}

async fn web_ratings_per_address_are_limited_across_windows(app: TestApp) {
    let a = w01(&app).await;
    let b = config(&app, "/api/v1/rate/place/HALL-DC/W02").await;
    assert_eq!(
        sync_web(
            &app,
            &a,
            vec![web_rating(&a, "satisfied"), web_rating(&a, "satisfied")]
        )
        .await
        .0,
        200
    );
    assert_eq!(
        sync_web(&app, &b, vec![web_rating(&b, "satisfied")])
            .await
            .0,
        200
    );
    let (status, body) = sync_web(&app, &b, vec![web_rating(&b, "satisfied")]).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited_address");
}

async fn a_web_rating_is_dated_by_the_server_whatever_its_device_time(app: TestApp) {
    let cfg = w01(&app).await;
    let mut r = web_rating(&cfg, "satisfied");
    let year = 365 * 86_400_000i64;
    r["device_time"] = json!(now_ms() - year);
    let id = r["id"].as_str().unwrap().to_string();
    let before = now_ms();
    let body =
        json!({ "device_id": cfg.device.device_id, "sent_at": now_ms() - year, "items": [r] });
    let resp = app
        .client
        .post(app.url("/api/v1/sync"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let rated_at: i64 = app
        .text(&format!(
            "SELECT CAST(rated_at AS TEXT) FROM ratings WHERE id = '{id}'"
        ))
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert!(rated_at >= before && rated_at <= now_ms(), "{rated_at}");
}

async fn a_kiosk_rating_before_enrolment_or_past_the_offline_window_is_kept_and_flagged_late(
    app: TestApp,
) {
    let day = 86_400_000i64;
    let now = now_ms();
    // This kiosk was enrolled an hour ago; a rating of yesterday is before it.
    app.exec(&format!(
        "UPDATE devices SET enrolled_at = {} WHERE id = '{}'",
        now - 3_600_000,
        app.kiosk.device_id
    ))
    .await;
    let mut before = app.rating(1, "satisfied");
    before["device_time"] = json!(now - day);
    // Another kiosk enrolled long ago: age its enrolment.
    app.exec(&format!(
        "UPDATE devices SET enrolled_at = {} WHERE id = '{}'",
        now - 60 * day,
        app.other_kiosk.device_id
    ))
    .await;
    let mut old = crate::helpers::rating_for(&app.other_kiosk, 1, "satisfied");
    old["device_time"] = json!(now - 31 * day);
    let mut fine = crate::helpers::rating_for(&app.other_kiosk, 2, "satisfied");
    fine["device_time"] = json!(now - 2 * day);
    let ids: Vec<String> = [&before, &old, &fine]
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(app.post_sync(&app.batch(vec![before])).await.status(), 200);
    let other = json!({ "device_id": app.other_kiosk.device_id, "sent_at": now_ms(), "items": [old, fine] });
    assert_eq!(app.post_sync(&other).await.status(), 200);
    // Nothing dropped: all three stored.
    for id in &ids {
        assert!(app
            .text(&format!("SELECT id FROM ratings WHERE id = '{id}'"))
            .await
            .is_some());
    }
    let f = flags(&app).await;
    assert!(
        reasons_of(&f, &ids[0]).contains(&"late".to_string()),
        "{f:?}"
    );
    assert!(reasons_of(&f, &ids[1]).contains(&"late".to_string()));
    assert!(reasons_of(&f, &ids[2]).is_empty());
    let detail = f.iter().find(|x| x["rating_id"] == ids[0]).unwrap();
    assert!(detail.to_string().contains("启用时间"), "{detail}");
}

async fn a_bare_case_number_from_the_web_never_binds_and_a_pad_binds_only_its_windows_cases(
    app: TestApp,
) {
    let csrf = app.login_admin().await;
    let (status, body) = app
        .post_json(
            "/api/v1/cases",
            &csrf,
            &json!({ "cases": [{ "case_no": "BIND-1", "place_code": "HALL-DC", "window_code": "W01",
                "status": "finished", "applicant_phone": "13700005555" }] }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let case_id = body["results"][0]["case_id"].as_i64().unwrap();
    // Anyone on the web typing the number: kept as text, not bound.
    let cfg = w01(&app).await;
    let mut r = web_rating(&cfg, "very_dissatisfied");
    r["case_no"] = json!("BIND-1");
    let id = r["id"].as_str().unwrap().to_string();
    assert_eq!(sync_web(&app, &cfg, vec![r]).await.0, 200);
    assert_eq!(
        app.text(&format!("SELECT case_no FROM ratings WHERE id = '{id}'"))
            .await
            .as_deref(),
        Some("BIND-1")
    );
    assert_eq!(
        app.text(&format!(
            "SELECT CAST(case_id AS TEXT) FROM ratings WHERE id = '{id}'"
        ))
        .await,
        None
    );
    // The pad of another window cannot bind it either; W01's own pad can.
    let other = pad_rates(&app, "PAD-DC-W02", "BIND-1").await;
    assert_eq!(
        app.text(&format!(
            "SELECT CAST(case_id AS TEXT) FROM ratings WHERE id = '{other}'"
        ))
        .await,
        None
    );
    let own = pad_rates(&app, "PAD-DC-W01", "BIND-1").await;
    assert_eq!(
        app.text(&format!(
            "SELECT CAST(case_id AS TEXT) FROM ratings WHERE id = '{own}'"
        ))
        .await,
        Some(case_id.to_string())
    );
}

/// A batch's case numbers are looked up together: each rating binds to
/// its own case (the newest of that number at the kiosk's place), a
/// number repeated in the batch binds both, an unknown one binds none.
async fn a_kiosk_batch_binds_each_case_number_to_its_places_newest_case(app: TestApp) {
    let csrf = app.login_admin().await;
    let mut ids = std::collections::HashMap::new();
    for no in ["MANY-1", "MANY-2"] {
        let (status, body) = app
            .post_json(
                "/api/v1/cases",
                &csrf,
                &json!({ "cases": [{ "case_no": no, "place_code": "HALL-DC", "window_code": "W01",
                    "status": "finished" }] }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        ids.insert(no, body["results"][0]["case_id"].as_i64().unwrap());
    }
    let nos = ["MANY-1", "MANY-2", "MANY-1", "MANY-404"];
    let items: Vec<Value> = nos
        .iter()
        .enumerate()
        .map(|(i, no)| {
            let mut r = app.rating(i as u64 + 1, "satisfied");
            r["case_no"] = json!(no);
            r
        })
        .collect();
    let rating_ids: Vec<String> = items
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    let resp = app.post_sync(&app.batch(items)).await;
    assert_eq!(resp.status(), 200);
    for (no, id) in nos.iter().zip(&rating_ids) {
        assert_eq!(
            app.text(&format!(
                "SELECT CAST(case_id AS TEXT) FROM ratings WHERE id = '{id}'"
            ))
            .await,
            ids.get(no).map(|c| c.to_string()),
            "{no}"
        );
    }
}

/// The pad `code` (enrolled now) rates case number `case_no`; the rating's id.
async fn pad_rates(app: &TestApp, code: &str, case_no: &str) -> String {
    let (pad, token) = enrol(&app.address, code).await;
    let mut r = crate::helpers::rating_for(&pad, 1, "satisfied");
    r["channel"] = json!("window_pad");
    r["window_id"] = json!(pad.window_id);
    r["case_no"] = json!(case_no);
    let id = r["id"].as_str().unwrap().to_string();
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/sync"))
        .bearer_auth(&token)
        .json(&json!({ "device_id": pad.device_id, "sent_at": now_ms(), "items": [r] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    id
}

async fn a_window_clerk_cannot_take_over_a_colleagues_case_number(app: TestApp) {
    let (c1, csrf1) = signed_in(&app, "window1").await;
    let r = c1
        .post(app.url("/api/v1/staff/service"))
        .header("x-csrf-token", &csrf1)
        .json(&json!({ "case_no": "MINE-1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (c2, csrf2) = signed_in(&app, "window2").await;
    let r = c2
        .post(app.url("/api/v1/staff/service"))
        .header("x-csrf-token", &csrf2)
        .json(&json!({ "case_no": "MINE-1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "case_other_window");
    assert!(v["error"]["message"].as_str().unwrap().contains("其他窗口"));
    // The colleague's case still belongs to window 1 and gave no QR link away.
    assert!(!v.to_string().contains("/r/"));
}

async fn a_unit_admin_cannot_put_cases_at_another_units_place(app: TestApp) {
    let (c, csrf) = signed_in(&app, "admin-xc").await;
    let r = c
        .post(app.url("/api/v1/cases"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "cases": [{ "case_no": "XC-AT-DC", "place_code": "HALL-DC", "status": "finished",
            "applicant_phone": "13911112222" }] }))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["results"][0]["status"], "rejected", "{v}");
    assert_eq!(v["results"][0]["error"]["code"], "case_not_yours");
    // The CSV import holds the same line.
    let r = c
        .post(app.url("/api/v1/cases/import"))
        .header("x-csrf-token", &csrf)
        .header("content-type", "text/csv")
        .body("case_no,place_code,window_code,status,applicant_phone,started_at,finished_at\nXC-CSV,HALL-DC,,finished,13911113333,,\n")
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["imported"], 0, "{v}");
    // No invitation went to either number.
    let sent = app.store.outbox(1000).await.unwrap();
    assert!(sent
        .iter()
        .all(|m| m.phone != "13911112222" && m.phone != "13911113333"));
}

async fn a_citizen_link_used_from_a_staff_browser_is_refused_as_self_evaluation(app: TestApp) {
    let csrf = app.login_admin().await;
    let (_, body) = app
        .post_json(
            "/api/v1/cases",
            &csrf,
            &json!({ "cases": [{ "case_no": "SELF-1", "place_code": "HALL-DC", "window_code": "W01", "status": "finished" }] }),
        )
        .await;
    let case_id = body["results"][0]["case_id"].as_i64().unwrap();
    let (_, link) = app
        .post_json(
            &format!("/api/v1/cases/{case_id}/links"),
            &csrf,
            &json!({ "channel": "qr_case" }),
        )
        .await;
    let token = link["token"].as_str().unwrap().to_string();
    let cfg = config(&app, &format!("/api/v1/rate/link/{token}")).await;
    // The clerk who served it, signed in on this browser, uses the link.
    let (clerk, _) = signed_in(&app, "window1").await;
    let r = clerk
        .post(app.url("/api/v1/sync"))
        .json(&json!({ "device_id": cfg.device.device_id, "sent_at": now_ms(), "items": [web_rating(&cfg, "very_satisfied")] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["results"][0]["error"]["code"], "self_evaluation", "{v}");
    // The citizen's own phone, with no staff session, rates it.
    let phone = reqwest::Client::new()
        .post(app.url("/api/v1/sync"))
        .json(&json!({ "device_id": cfg.device.device_id, "sent_at": now_ms(), "items": [web_rating(&cfg, "very_satisfied")] }))
        .send()
        .await
        .unwrap();
    assert_eq!(phone.status(), 200);
}

async fn login(app: &TestApp, client: &reqwest::Client, user: &str, pw: &str) -> reqwest::Response {
    client
        .post(app.url("/api/v1/staff/login"))
        .json(&json!({ "username": user, "password": pw }))
        .send()
        .await
        .unwrap()
}

async fn wrong_passwords_lock_the_account_and_say_until_when(app: TestApp) {
    let c = reqwest::Client::new();
    for _ in 0..4 {
        assert_eq!(
            login(&app, &c, "window3", "wrong-password-123")
                .await
                .status(),
            422
        );
    }
    let r = login(&app, &c, "window3", "wrong-password-123").await;
    assert_eq!(r.status(), 429);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "account_locked");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("后再试"),
        "{v}"
    );
    // Locked means locked: the right password waits too; another account does not.
    assert_eq!(
        login(&app, &c, "window3", ADMIN_PASSWORD).await.status(),
        429
    );
    assert_eq!(
        login(&app, &c, "window4", ADMIN_PASSWORD).await.status(),
        200
    );
}

async fn sign_in_attempts_per_address_are_limited_before_any_hashing(app: TestApp) {
    // 3 a minute from one address (the test's set-up used some already):
    // the next ones are refused at once, whatever the account.
    let c = reqwest::Client::new();
    let mut refused = None;
    for (i, user) in ["u1", "u2", "u3", "u4"].iter().enumerate() {
        let r = login(&app, &c, user, "x-wrong-password").await;
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
            assert_eq!(
                r.json::<Value>().await.unwrap()["error"]["code"],
                "rate_limited_login"
            );
            refused = Some(i);
            break;
        }
        assert_eq!(r.status(), 422);
    }
    assert!(
        refused.is_some(),
        "four attempts in a row were all let through"
    );
    // Even the right password waits.
    assert_eq!(login(&app, &c, "admin", ADMIN_PASSWORD).await.status(), 429);
}

async fn enrolment_codes_are_stored_keyed_and_burnt_after_five_wrong_tries(app: TestApp) {
    let csrf = app.login_admin().await;
    let (_, issued) = app
        .post_json(
            "/api/v1/admin/devices/PAD-DC-W02/enrolment",
            &csrf,
            &json!({}),
        )
        .await;
    let code = issued["enrol_code"].as_str().unwrap().to_string();
    let stored = app
        .text("SELECT enrol_code_hash FROM devices WHERE code = 'PAD-DC-W02'")
        .await
        .unwrap();
    assert_ne!(
        stored,
        server::auth::token_hash(&code),
        "a bare SHA-256 of 8 digits"
    );
    let c = reqwest::Client::new();
    let try_code = |c: reqwest::Client, code: String| {
        let url = app.url("/api/v1/devices/enrol");
        async move {
            let r = c
                .post(url)
                .json(&json!({ "device_code": "PAD-DC-W02", "enrol_code": code }))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    for i in 0..5 {
        let (status, v) = try_code(
            c.clone(),
            format!(
                "{:08}",
                (code.parse::<u32>().unwrap() + 1 + i) % 100_000_000
            ),
        )
        .await;
        assert_eq!(status, 422);
        let want = if i == 4 {
            "enrol_code_burnt"
        } else {
            "enrol_code_invalid"
        };
        assert_eq!(v["error"]["code"], want, "{v}");
    }
    // Burnt: even the right code no longer enrols.
    let (status, v) = try_code(c, code).await;
    assert_eq!(status, 422, "{v}");
}

async fn enrolment_attempts_per_address_are_limited(app: TestApp) {
    let c = reqwest::Client::new();
    let mut last = 0;
    for _ in 0..3 {
        last = c
            .post(app.url("/api/v1/devices/enrol"))
            .json(&json!({ "device_code": "PAD-DC-W02", "enrol_code": "00000000" }))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
    }
    assert_eq!(last, 429);
}

async fn a_password_reset_or_change_ends_every_session_and_idle_sessions_end(app: TestApp) {
    let (a, _) = signed_in(&app, "window1").await;
    let (b, csrf_b) = signed_in(&app, "window1").await;
    let me = |c: reqwest::Client| {
        let url = app.url("/api/v1/staff/me");
        async move { c.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(me(a.clone()).await, 200);
    // The clerk changes their own password: both sessions end.
    let r = b
        .post(app.url("/api/v1/staff/password"))
        .header("x-csrf-token", &csrf_b)
        .json(&json!({ "current": ADMIN_PASSWORD, "new": "新的密码-0123456789" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(me(a.clone()).await, 401);
    assert_eq!(me(b.clone()).await, 401);
    // A system admin resets it: the session made with the new one ends too.
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    assert_eq!(
        login(&app, &c, "window1", "新的密码-0123456789")
            .await
            .status(),
        200
    );
    assert_eq!(me(c.clone()).await, 200);
    let (sys, csrf) = signed_in(&app, "sysadmin").await;
    let list: Value = sys
        .get(app.url("/api/v1/admin/staff"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let w1 = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["username"] == "window1")
        .unwrap()
        .clone();
    let r = sys
        .put(app.url(&format!("/api/v1/admin/staff/{}", w1["id"])))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "username": "window1", "display_name": "王芳", "role": "window_staff",
            "place_code": w1["place_code"], "window_code": w1["window_code"], "password": "重置后的密码-0123456" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(me(c).await, 401);
    // A session untouched for longer than the idle timeout (60 min) ends.
    let (d, _) = signed_in(&app, "window2").await;
    assert_eq!(me(d.clone()).await, 200);
    app.exec(&format!(
        "UPDATE sessions SET last_seen_at = {}, created_at = {}",
        now_ms() - 61 * 60_000,
        now_ms() - 61 * 60_000
    ))
    .await;
    assert_eq!(me(d).await, 401);
}

async fn the_rated_clerk_reads_no_phone_id_or_name_and_only_the_day(app: TestApp) {
    let cfg = w01(&app).await;
    let mut r = web_rating(&cfg, "very_dissatisfied");
    r["reasons"] = json!(["attitude"]);
    r["comment"] = json!("我叫张三，电话13812345678，身份证11010519491231002X，窗口李先生态度差");
    assert_eq!(sync_web(&app, &cfg, vec![r]).await.0, 200);
    let (clerk, _) = signed_in(&app, "window1").await;
    let mine: Value = clerk
        .get(app.url("/api/v1/loop/mine"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = mine.to_string();
    for secret in ["张三", "13812345678", "11010519491231002X", "李先生"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(text.contains("态度差"));
    let t = &mine[0];
    assert!(t.get("opened_at").is_none(), "{t}");
    let day = t["opened_on"].as_str().unwrap();
    assert_eq!(day.len(), 10, "{day}");
    // The clerk's own case list says nothing of ratings.
    let cases: Value = clerk
        .get(app.url("/api/v1/staff/cases"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(cases
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c.get("rated").is_none()));
}

async fn the_outbox_masks_numbers_cuts_links_and_logs_each_reveal(app: TestApp) {
    let csrf = app.login_admin().await;
    app.post_json(
        "/api/v1/cases",
        &csrf,
        &json!({ "cases": [{ "case_no": "OUT-1", "place_code": "HALL-DC", "status": "finished", "applicant_phone": "13600001111" }] }),
    )
    .await;
    let (sys, csrf) = signed_in(&app, "supervisor").await;
    let list: Value = sys
        .get(app.url("/api/v1/admin/outbox"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let m = list
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["body"].as_str().unwrap().contains("OUT-1"))
        .unwrap()
        .clone();
    assert_eq!(m["phone"], "136****1111");
    assert!(m["body"].as_str().unwrap().contains("/r/[已隐去]"), "{m}");
    let raw = app.store.outbox(100).await.unwrap();
    let token = raw
        .iter()
        .find(|r| r.body.contains("OUT-1"))
        .unwrap()
        .body
        .split("/r/")
        .nth(1)
        .unwrap()
        .to_string();
    assert!(!list.to_string().contains(&token));
    let r = sys
        .post(app.url(&format!("/api/v1/admin/outbox/{}/reveal", m["id"])))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["phone"], "13600001111");
    assert_eq!(
        app.text(&format!(
            "SELECT CAST(COUNT(*) AS TEXT) FROM outbox_reveals WHERE sms_id = {}",
            m["id"]
        ))
        .await
        .as_deref(),
        Some("1")
    );
    // A unit admin may not read the outbox at all.
    let (admin, _) = signed_in(&app, "admin").await;
    assert_eq!(
        admin
            .get(app.url("/api/v1/admin/outbox"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

async fn csv_exports_keep_formulas_as_text(app: TestApp) {
    let cfg = w01(&app).await;
    let mut r = web_rating(&cfg, "dissatisfied");
    r["reasons"] = json!(["other"]);
    r["comment"] = json!("=HYPERLINK(\"http://evil.example\",\"点我\")");
    assert_eq!(sync_web(&app, &cfg, vec![r]).await.0, 200);
    let (sup, _) = signed_in(&app, "supervisor").await;
    // From ten minutes ago: the rating may fall before China's midnight.
    let from = domain::calendar::Date::of_instant(now_ms() - 600_000);
    let today = domain::calendar::Date::of_instant(now_ms());
    let csv = sup
        .get(app.url(&format!("/api/v1/exports/ratings?from={from}&to={today}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(!csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"));
}

async fn a_huge_bad_field_is_answered_with_a_short_message(app: TestApp) {
    let cfg = w01(&app).await;
    let mut r = web_rating(&cfg, "satisfied");
    r["level"] = json!("x".repeat(1_500_000));
    let resp = app
        .client
        .post(app.url("/api/v1/sync"))
        .json(&json!({ "device_id": cfg.device.device_id, "sent_at": now_ms(), "items": [r] }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 422);
    let text = resp.text().await.unwrap();
    assert!(text.len() < 4096, "{} bytes", text.len());
    // The server keeps serving.
    assert_eq!(app.get_json("/api/v1/rate/place/HALL-DC").await.0, 200);
}

async fn pages_carry_a_nonce_csp_and_every_response_the_security_headers(app: TestApp) {
    let r = reqwest::get(app.url("/q/HALL-DC/W01")).await.unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"),
        "{csp}"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_string();
    for (h, v) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "same-origin"),
    ] {
        assert_eq!(r.headers()[h], v);
    }
    assert!(r.headers().contains_key("permissions-policy"));
    let html = r.text().await.unwrap();
    // Every inline script carries this response's nonce.
    let inline: Vec<&str> = html
        .split("<script")
        .skip(1)
        .map(|t| t.split('>').next().unwrap_or(""))
        .filter(|tag| !tag.contains(" src="))
        .collect();
    assert!(!inline.is_empty());
    for tag in inline {
        assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "<script{tag}>");
    }
    // Another page, another nonce.
    let again = reqwest::get(app.url("/q/HALL-DC/W01")).await.unwrap();
    assert!(!again.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains(&nonce));
    let api = reqwest::get(app.url("/api/v1/rate/place/HALL-DC"))
        .await
        .unwrap();
    assert!(api.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
    assert_eq!(api.headers()["x-frame-options"], "DENY");
}

async fn cookies_are_secure_when_the_public_address_is_https(app: TestApp) {
    let r = login(&app, &reqwest::Client::new(), "admin", ADMIN_PASSWORD).await;
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
}

async fn a_half_open_connection_is_dropped_after_the_header_timeout(app: TestApp) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.address.trim_start_matches("http://").to_string();
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut buf = [0u8; 256];
    let t0 = std::time::Instant::now();
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), s.read(&mut buf))
        .await
        .expect("the server closes the connection within the timeout")
        .unwrap_or(0);
    // Closed (0 bytes) or answered with an error, never held open.
    assert!(
        n == 0 || String::from_utf8_lossy(&buf[..n]).contains("408"),
        "{}",
        String::from_utf8_lossy(&buf[..n])
    );
    assert!(t0.elapsed() < std::time::Duration::from_secs(4));
}

async fn the_ticket_list_is_paged_and_counts_every_ticket(app: TestApp) {
    // A flood on a kiosk (not rate-limited, but flagged): 120 bad ratings.
    for chunk in 0..3u64 {
        let items: Vec<Value> = (1..=40)
            .map(|i| app.rating(chunk * 40 + i, "very_dissatisfied"))
            .collect();
        assert_eq!(app.post_sync(&app.batch(items)).await.status(), 200);
    }
    let (admin, _) = signed_in(&app, "admin").await;
    let page = |q: &'static str| {
        let c = admin.clone();
        let url = app.url(&format!("/api/v1/loop/tickets?{q}"));
        async move {
            c.get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let first = page("limit=50").await;
    assert_eq!(first["tickets"].as_array().unwrap().len(), 50);
    assert!(first["matching"].as_i64().unwrap() >= 120);
    assert_eq!(first["open"], first["matching"]);
    let second = page("limit=50&offset=50").await;
    let ids = |v: &Value| -> Vec<i64> {
        v["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_i64().unwrap())
            .collect()
    };
    assert!(ids(&first).iter().all(|i| !ids(&second).contains(i)));
    // The overdue filter and the overdue count agree (none yet).
    let overdue = page("overdue=1&limit=500").await;
    assert_eq!(overdue["matching"], first["overdue"]);
}
