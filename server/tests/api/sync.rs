use serde_json::{json, Value};
use server::state::now_ms;
use server::store::CountedTable;

use crate::helpers::{rating_for, statuses, TestApp};

crate::on_both_databases!(
    a_batch_is_stored_and_every_item_accepted,
    retried_batch_is_accepted_once,
    an_item_repeated_in_a_batch_is_stored_once,
    a_changed_payload_under_an_old_id_is_a_conflict_kept_for_review,
    malformed_json_gets_a_400_with_a_clear_message,
    wrong_types_get_a_422_naming_the_field,
    an_unknown_level_is_rejected_with_its_position_and_nothing_is_stored,
    a_hall_kiosk_may_name_a_window_of_its_own_hall_only,
    an_over_long_comment_is_rejected_with_a_clear_message,
    an_oversized_body_gets_a_413,
    a_body_that_is_not_json_gets_a_415,
    more_than_500_items_are_refused,
    an_unregistered_device_is_refused_and_told_its_ratings_stay,
    a_rating_claiming_another_place_is_rejected,
    device_clock_skew_is_corrected_on_receipt,
);

async fn a_batch_is_stored_and_every_item_accepted(app: TestApp) {
    let items: Vec<Value> = (1..=6)
        .map(|i| app.rating(i, if i == 3 { "dissatisfied" } else { "satisfied" }))
        .collect();
    let r = app.post_sync(&app.batch(items)).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(statuses(&body), vec!["accepted"; 6]);
    assert_eq!(app.count(CountedTable::Ratings).await, 6);
}

async fn retried_batch_is_accepted_once(app: TestApp) {
    let batch = app.batch((1..=3).map(|i| app.rating(i, "very_satisfied")).collect());
    let first: Value = app.post_sync(&batch).await.json().await.unwrap();
    assert_eq!(statuses(&first), vec!["accepted"; 3]);
    // The answer was lost on the way back; the device sends the batch again.
    let r = app.post_sync(&batch).await;
    assert_eq!(r.status(), 200);
    let second: Value = r.json().await.unwrap();
    assert_eq!(statuses(&second), vec!["duplicate"; 3]);
    assert_eq!(app.count(CountedTable::Ratings).await, 3);
    assert_eq!(app.count(CountedTable::SyncConflicts).await, 0);
}

async fn an_item_repeated_in_a_batch_is_stored_once(app: TestApp) {
    let a = app.rating(1, "basic");
    let b = app.rating(2, "satisfied");
    let body: Value = app
        .post_sync(&app.batch(vec![a.clone(), b, a]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(statuses(&body), ["accepted", "accepted", "duplicate"]);
    assert_eq!(app.count(CountedTable::Ratings).await, 2);
}

async fn a_changed_payload_under_an_old_id_is_a_conflict_kept_for_review(app: TestApp) {
    let original = app.rating(1, "dissatisfied");
    app.post_sync(&app.batch(vec![original.clone()])).await;
    let mut changed = original.clone();
    changed["level"] = json!("very_satisfied");
    changed["reasons"] = json!([]);
    changed["comment"] = json!("");
    changed["items"] = json!([]);
    let body: Value = app
        .post_sync(&app.batch(vec![changed, original.clone()]))
        .await
        .json()
        .await
        .unwrap();
    // The changed copy is a conflict; the original, sent again, a replay.
    assert_eq!(statuses(&body), ["conflict", "duplicate"]);
    assert_eq!(app.count(CountedTable::Ratings).await, 1);
    assert_eq!(app.count(CountedTable::SyncConflicts).await, 1);
    // The stored rating is still the first content.
    app.login_admin().await;
    let (_, list) = app.get_json("/api/v1/staff/ratings").await;
    assert_eq!(list[0]["level"], "dissatisfied");
    assert_eq!(list[0]["id"], original["id"]);
}

fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap()
}

async fn malformed_json_gets_a_400_with_a_clear_message(app: TestApp) {
    let r = app
        .post_raw(
            r#"{"items": [ {"level": "satisfied",, "#,
            "application/json",
        )
        .await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(error_code(&body), "malformed_json");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("不是合法的 JSON"));
    assert!(body["error"]["message_en"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
}

async fn wrong_types_get_a_422_naming_the_field(app: TestApp) {
    let mut batch = app.batch(vec![]);
    batch["sent_at"] = json!("yesterday");
    let r = app.post_sync(&batch).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(error_code(&body), "invalid_field");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("sent_at"),
        "{body}"
    );

    let mut item = app.rating(1, "satisfied");
    item["seq"] = json!("one");
    let r = app.post_sync(&app.batch(vec![item])).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["results"][0]["error"]["code"], "invalid_item");
    assert!(
        body["results"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("seq"),
        "{body}"
    );
}

async fn an_unknown_level_is_rejected_with_its_position_and_nothing_is_stored(app: TestApp) {
    let good = app.rating(1, "satisfied");
    let mut bad = app.rating(2, "satisfied");
    bad["level"] = json!("excellent");
    let r = app.post_sync(&app.batch(vec![good, bad.clone()])).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(error_code(&body), "invalid_items");
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "only the bad item is listed: {body}");
    assert_eq!(results[0]["index"], 1);
    assert_eq!(results[0]["id"], bad["id"]);
    assert_eq!(results[0]["status"], "rejected");
    let message = results[0]["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("第 2 条") && message.contains("level") && message.contains("excellent"),
        "{message}"
    );
    // Nothing of the batch is stored, but the refused item is kept as received.
    assert_eq!(app.count(CountedTable::Ratings).await, 0);
    assert_eq!(app.count(CountedTable::SyncRejections).await, 1);
}

/// A kiosk of no window (the hall's) may rate a window the citizen picked,
/// if it is one of its own hall's; any other window is refused with its
/// position, and nothing of the batch is stored.
async fn a_hall_kiosk_may_name_a_window_of_its_own_hall_only(app: TestApp) {
    assert_eq!(
        app.kiosk.window_id, None,
        "the test kiosk serves the whole hall"
    );
    let place = app.kiosk.place_id;
    let own: i64 = app
        .text(&format!(
            "SELECT CAST(MIN(id) AS TEXT) FROM windows WHERE place_id = {place}"
        ))
        .await
        .unwrap()
        .parse()
        .unwrap();
    // Not a window of this hall (the test city has no other hall's).
    let foreign = 999_999;
    let mut picked = app.rating(1, "satisfied");
    picked["window_id"] = json!(own);
    let mut elsewhere = app.rating(2, "satisfied");
    elsewhere["window_id"] = json!(foreign);
    let r = app
        .post_sync(&app.batch(vec![picked.clone(), elsewhere]))
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "only the foreign window: {body}");
    assert_eq!(results[0]["index"], 1);
    assert_eq!(results[0]["error"]["code"], "window_mismatch");
    assert_eq!(app.count(CountedTable::Ratings).await, 0);

    let r = app.post_sync(&app.batch(vec![picked])).await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.count(CountedTable::Ratings).await, 1);
}

async fn an_over_long_comment_is_rejected_with_a_clear_message(app: TestApp) {
    let mut item = app.rating(1, "dissatisfied");
    item["comment"] = json!("慢".repeat(501));
    let r = app.post_sync(&app.batch(vec![item])).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    let e = &body["results"][0]["error"];
    assert_eq!(e["code"], "comment_too_long");
    assert!(e["message"].as_str().unwrap().contains("500"), "{e}");
    assert!(e["message_en"].as_str().unwrap().contains("501"), "{e}");

    // Exactly 500 characters is fine.
    let mut item = app.rating(2, "dissatisfied");
    item["comment"] = json!("慢".repeat(500));
    assert_eq!(app.post_sync(&app.batch(vec![item])).await.status(), 200);
}

async fn an_oversized_body_gets_a_413(app: TestApp) {
    let huge = format!(
        r#"{{"device_id":"{}","sent_at":0,"items":[],"pad":"{}"}}"#,
        app.kiosk.device_id,
        "x".repeat(3 * 1024 * 1024)
    );
    let r = app.post_raw(huge, "application/json").await;
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(error_code(&body), "body_too_large");
    assert!(body["error"]["message"].as_str().unwrap().contains("分批"));
}

async fn a_body_that_is_not_json_gets_a_415(app: TestApp) {
    let r = app
        .post_raw("level=good", "application/x-www-form-urlencoded")
        .await;
    assert_eq!(r.status(), 415);
    assert_eq!(error_code(&r.json::<Value>().await.unwrap()), "not_json");
}

async fn more_than_500_items_are_refused(app: TestApp) {
    let items: Vec<Value> = (1..=501).map(|i| app.rating(i, "satisfied")).collect();
    let r = app.post_sync(&app.batch(items)).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        error_code(&r.json::<Value>().await.unwrap()),
        "batch_too_large"
    );
    assert_eq!(app.count(CountedTable::Ratings).await, 0);
}

async fn an_unregistered_device_is_refused_and_told_its_ratings_stay(app: TestApp) {
    let mut batch = app.batch(vec![app.rating(1, "satisfied")]);
    batch["device_id"] = json!(uuid::Uuid::now_v7());
    let r = app.post_sync(&batch).await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(error_code(&body), "device_not_registered");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("保留在设备上"));
}

async fn a_rating_claiming_another_place_is_rejected(app: TestApp) {
    let mut item = app.rating(1, "satisfied");
    item["place_id"] = json!(app.kiosk.place_id + 1000);
    let r = app.post_sync(&app.batch(vec![item])).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["results"][0]["error"]["code"], "place_mismatch");
    // A rating made by the other kiosk cannot be uploaded as this one's.
    let foreign = rating_for(&app.other_kiosk, 1, "satisfied");
    let body: Value = app
        .post_sync(&app.batch(vec![foreign]))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["results"][0]["error"]["code"], "device_mismatch");
}

async fn device_clock_skew_is_corrected_on_receipt(app: TestApp) {
    // The kiosk's clock is a day slow; the citizen rated a minute before the
    // batch left.
    let day = 86_400_000;
    let device_now = now_ms() - day;
    let mut item = app.rating(1, "very_dissatisfied");
    item["device_time"] = json!(device_now - 60_000);
    let batch = json!({ "device_id": app.kiosk.device_id, "sent_at": device_now, "items": [item] });
    assert_eq!(app.post_sync(&batch).await.status(), 200);
    app.login_admin().await;
    let (_, list) = app.get_json("/api/v1/staff/inbox").await;
    let rated_at = list[0]["rated_at"].as_i64().unwrap();
    let received_at = list[0]["received_at"].as_i64().unwrap();
    let off_by = (received_at - 60_000 - rated_at).abs();
    assert!(
        off_by < 5_000,
        "rated_at {rated_at} should be a minute before receipt {received_at}"
    );
}
