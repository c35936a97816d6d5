use serde_json::{json, Value};

use crate::helpers::{TestApp, ADMIN_PASSWORD};

crate::on_both_databases!(
    signing_in_sets_an_http_only_same_site_strict_cookie,
    a_wrong_password_is_refused_with_a_clear_message,
    the_inbox_needs_a_signed_in_unit_admin,
    the_inbox_lists_bad_ratings_newest_first_without_evaluator_identity,
    signing_out_needs_the_csrf_token,
    a_cross_site_sign_in_is_refused,
    device_configuration_is_served_to_the_enrolled_device_only,
    suggestions_with_good_ratings_are_listed_by_topic,
);

async fn signing_in_sets_an_http_only_same_site_strict_cookie(app: TestApp) {
    let r = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(r.status(), 200);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("hcp_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["role"], "unit_admin");
    assert_eq!(body["unit_name"], "东城区政务服务中心");
    assert!(body["csrf_token"].as_str().unwrap().len() >= 32);
    let (status, me) = app.get_json("/api/v1/staff/me").await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "admin");
}

async fn a_wrong_password_is_refused_with_a_clear_message(app: TestApp) {
    for (user, password) in [("admin", "not-the-password"), ("nobody", ADMIN_PASSWORD)] {
        let r = app.login(user, password).await;
        assert_eq!(r.status(), 422);
        assert!(r.headers().get("set-cookie").is_none());
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_credentials");
        assert_eq!(body["error"]["message"], "用户名或密码不正确");
    }
    assert_eq!(app.get_json("/api/v1/staff/me").await.0, 401);
}

async fn the_inbox_needs_a_signed_in_unit_admin(app: TestApp) {
    let (status, body) = app.get_json("/api/v1/staff/inbox").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["message"], "请先登录");
    // A forged cookie is no better.
    let r = app
        .client
        .get(app.url("/api/v1/staff/inbox"))
        .header("cookie", "hcp_session=forged")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

async fn the_inbox_lists_bad_ratings_newest_first_without_evaluator_identity(app: TestApp) {
    let mut older = app.rating(1, "dissatisfied");
    older["device_time"] = json!(server::state::now_ms() - 3_600_000);
    older["comment"] = json!("older");
    let mut newer = app.rating(2, "very_dissatisfied");
    newer["comment"] = json!("newer");
    newer["reasons"] = json!(["runaround", "attitude"]);
    let good = app.rating(3, "very_satisfied");
    let batch = app.batch(vec![older, good, newer]);
    assert_eq!(app.post_sync(&batch).await.status(), 200);

    app.login_admin().await;
    let (status, list) = app.get_json("/api/v1/staff/inbox").await;
    assert_eq!(status, 200);
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), 2, "only the bad ratings");
    assert_eq!(list[0]["comment"], "newer");
    assert_eq!(list[1]["comment"], "older");
    assert_eq!(list[0]["reasons"], json!(["attitude", "runaround"]));
    assert_eq!(list[0]["place_name"], "东城区政务服务中心");
    assert_eq!(list[0]["channel"], "kiosk");
    // Nothing that identifies who rated: no device, no phone, no id number.
    let allowed = [
        "id",
        "rated_at",
        "received_at",
        "channel",
        "level",
        "place_name",
        "window_name",
        "case_no",
        "reasons",
        "comment",
        "kind",
        "stage",
        "proactive",
        "entered_by",
    ];
    for row in list {
        for key in row.as_object().unwrap().keys() {
            assert!(
                allowed.contains(&key.as_str()),
                "unexpected field {key} in a staff view"
            );
        }
    }
    let text = serde_json::to_string(list).unwrap();
    assert!(!text.contains(&app.kiosk.device_id.to_string()));
    // All ratings, for the same scope, include the good one.
    let (_, all) = app.get_json("/api/v1/staff/ratings").await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    let (_, summary) = app.get_json("/api/v1/staff/summary").await;
    assert_eq!(summary, json!({ "ratings": 3, "bad": 2 }));
}

async fn signing_out_needs_the_csrf_token(app: TestApp) {
    let csrf = app.login_admin().await;
    let r = app
        .client
        .post(app.url("/api/v1/staff/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "csrf");
    assert_eq!(
        app.get_json("/api/v1/staff/me").await.0,
        200,
        "still signed in"
    );
    let r = app
        .client
        .post(app.url("/api/v1/staff/logout"))
        .header("x-csrf-token", csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.get_json("/api/v1/staff/me").await.0, 401);
}

async fn a_cross_site_sign_in_is_refused(app: TestApp) {
    let r = app
        .client
        .post(app.url("/api/v1/staff/login"))
        .header("origin", "http://evil.example")
        .json(&json!({ "username": "admin", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "cross_site"
    );
}

async fn device_configuration_is_served_to_the_enrolled_device_only(app: TestApp) {
    let (status, body) = app.get_json("/api/v1/devices/KIOSK-DC-01").await;
    assert_eq!(status, 401, "no token: {body}");
    assert_eq!(body["error"]["code"], "device_not_enrolled");
    let r = app
        .client
        .get(app.url("/api/v1/devices/KIOSK-DC-01"))
        .bearer_auth(&app.tokens[&app.kiosk.device_id])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let cfg: Value = r.json().await.unwrap();
    assert_eq!(cfg["kind"], "kiosk");
    assert_eq!(cfg["place_name"], "东城区政务服务中心");
    assert_eq!(cfg["dimension_set"], "onsite-v1");
    let (status, body) = app.get_json("/api/v1/devices/NO-SUCH").await;
    assert_eq!(status, 404);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("未登记"));
}

/// Seed 001 三(四): suggestions given with ratings that are not bad are
/// listed apart and classified; bad ratings stay in the inbox; window
/// staff read neither.
async fn suggestions_with_good_ratings_are_listed_by_topic(app: TestApp) {
    let web = crate::channels::config(&app, "/api/v1/rate/place/HALL-DC/W01").await;
    let mut items = vec![];
    for (level, comment) in [
        ("very_satisfied", "希望增加取号机，高峰期排队太久"),
        ("satisfied", "建议一次性告知需要的材料"),
        ("basic", "大厅座位少，老人站着等"),
        ("very_satisfied", ""),
        ("dissatisfied", "排队两个小时"),
    ] {
        let mut r = crate::channels::web_rating(&web, level);
        r["comment"] = json!(comment);
        if level == "dissatisfied" {
            r["reasons"] = json!(["long_wait"]);
        }
        items.push(r);
    }
    let (s, b) = crate::channels::sync_web(&app, &web, items).await;
    assert_eq!(s, 200, "{b}");
    app.login_admin().await;
    let (s, list) = app.get_json("/api/v1/staff/suggestions").await;
    assert_eq!(s, 200, "{list}");
    let topics: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["topic"].as_str().unwrap())
        .collect();
    assert_eq!(
        topics.len(),
        3,
        "the bad one and the empty comment are not suggestions: {list}"
    );
    for t in ["waiting", "materials", "environment"] {
        assert!(topics.contains(&t), "{t}: {list}");
    }
    let count = |t: &str| {
        list["counts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["topic"] == t)
            .unwrap()["count"]
            .as_u64()
            .unwrap()
    };
    assert_eq!((count("waiting"), count("other")), (1, 0));
    let (_, inbox) = app.get_json("/api/v1/staff/inbox").await;
    assert_eq!(inbox.as_array().unwrap().len(), 1, "{inbox}");
    app.login_as("window1").await;
    let (s, _) = app.get_json("/api/v1/staff/suggestions").await;
    assert_eq!(s, 403);
    let r = reqwest::Client::new()
        .get(app.url("/api/v1/staff/suggestions"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}
