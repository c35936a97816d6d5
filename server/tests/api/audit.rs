//! The audit history of edits (`audit_log`, `GET /api/v1/admin/audit`):
//! organisation units, staff accounts, devices and cases, one line per
//! change, append-only, never a secret or a whole phone or ID number.

use serde_json::{json, Value};
use server::store::Store;

use crate::helpers::{signed_in, TestApp, ADMIN_PASSWORD};

crate::on_both_databases!(
    every_organisation_staff_device_and_case_change_leaves_one_audit_line,
    the_audit_log_of_edits_refuses_updates_and_deletes,
    only_system_admins_and_supervisors_read_the_audit_log,
    no_password_hash_token_enrolment_code_or_whole_phone_number_is_ever_in_the_audit_log,
    edits_at_once_all_succeed_and_each_line_starts_where_the_last_one_ended,
);

const PHONE: &str = "13912345678";
const STAFF_PHONE: &str = "13812341234";
const ID_NO: &str = "11010519491231002X";

/// The audit lines a system admin reads with `query` (newest first).
async fn audit(app: &TestApp, query: &str) -> Vec<Value> {
    let (c, _) = signed_in(app, "sysadmin").await;
    let r = c
        .get(app.url(&format!("/api/v1/admin/audit?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{query}");
    r.json::<Vec<Value>>().await.unwrap()
}

/// The actions on one entity, oldest first.
async fn actions(app: &TestApp, entity: &str, id: &str) -> Vec<String> {
    let mut lines = audit(app, &format!("entity={entity}&entity_id={id}")).await;
    lines.reverse();
    lines
        .iter()
        .map(|l| l["action"].as_str().unwrap().to_string())
        .collect()
}

async fn send(
    c: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    csrf: &str,
    body: Value,
) -> Value {
    let r = c
        .request(method, url)
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

async fn post_csv(c: &reqwest::Client, url: String, csrf: &str, csv: &'static str) -> Value {
    let r = c
        .post(url)
        .header("x-csrf-token", csrf)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn push_cases(app: &TestApp, cases: Vec<Value>) -> Value {
    let r = app
        .client
        .post(app.url("/api/v1/cases"))
        .bearer_auth(server::demo::integration_token(ADMIN_PASSWORD))
        .json(&json!({ "cases": cases }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Registers a kiosk at the demo hall as the unit admin; returns the code
/// it was given.
async fn register_kiosk(app: &TestApp, code: &str) -> String {
    let (c, csrf) = signed_in(app, "admin").await;
    crate::helpers::register_kiosk_as(app, &c, &csrf, code).await
}

/// A device trades its code for a token.
async fn enrol(app: &TestApp, code: &str, enrol_code: &str) -> String {
    crate::helpers::enrol_with(&app.address, code, enrol_code)
        .await
        .1
}

async fn every_organisation_staff_device_and_case_change_leaves_one_audit_line(app: TestApp) {
    let (sys, csrf) = signed_in(&app, "sysadmin").await;
    // One unit of each type, each created once.
    let units = [
        (
            "region",
            json!({ "code": "410405", "name": "南城区", "kind": "district", "parent_code": "410400" }),
        ),
        (
            "department",
            json!({ "code": "NC-SC", "name": "南城区市场监督管理局", "parent_code": "410405" }),
        ),
        (
            "place",
            json!({ "code": "NC-HALL", "name": "南城区政务服务中心", "kind": "hall", "parent_code": "410405" }),
        ),
        (
            "window",
            json!({ "code": "W01", "name": "综合窗口", "parent_code": "NC-HALL", "department_code": "NC-SC" }),
        ),
        (
            "service_item",
            json!({ "code": "NC-SC-001", "name": "食品经营许可", "parent_code": "NC-SC" }),
        ),
        (
            "provider",
            json!({ "code": "WATER-NC", "name": "南城区自来水公司", "kind": "water", "parent_code": "410400" }),
        ),
    ];
    let mut ids = std::collections::HashMap::new();
    for (t, body) in &units {
        let mut body = body.clone();
        body["type"] = json!(t);
        let r = send(
            &sys,
            reqwest::Method::POST,
            app.url(&format!("/api/v1/admin/org/{t}")),
            &csrf,
            body.clone(),
        )
        .await;
        let id = r["id"].as_i64().unwrap().to_string();
        let lines = audit(&app, &format!("entity={t}&entity_id={id}")).await;
        assert_eq!(lines.len(), 1, "{t}: {lines:?}");
        let l = &lines[0];
        assert_eq!(l["action"], "create");
        assert_eq!(l["entity"], *t);
        assert_eq!(l["actor_label"], "sysadmin");
        assert!(l["actor_staff_id"].is_i64());
        assert!(l["before"].is_null());
        assert_eq!(l["after"]["code"], body["code"], "{l}");
        assert_eq!(l["after"]["name"], body["name"]);
        ids.insert(*t, (id, body));
    }
    // The place is renamed, deactivated and reactivated: before → after.
    let (place_id, mut place) = ids["place"].clone();
    place["name"] = json!("南城区政务服务大厅");
    send(
        &sys,
        reqwest::Method::PUT,
        app.url(&format!("/api/v1/admin/org/place/{place_id}")),
        &csrf,
        place,
    )
    .await;
    for active in [false, true] {
        send(
            &sys,
            reqwest::Method::POST,
            app.url(&format!("/api/v1/admin/org/place/{place_id}/active")),
            &csrf,
            json!({ "active": active }),
        )
        .await;
    }
    assert_eq!(
        actions(&app, "place", &place_id).await,
        ["create", "update", "deactivate", "activate"]
    );
    let lines = audit(&app, &format!("entity=place&entity_id={place_id}")).await;
    let update = &lines[2];
    assert_eq!(update["before"]["name"], "南城区政务服务中心");
    assert_eq!(update["after"]["name"], "南城区政务服务大厅");
    assert_eq!(lines[1]["before"]["active"], true);
    assert_eq!(lines[1]["after"]["active"], false);
    assert_eq!(lines[0]["after"]["active"], true);
    // The tree's CSV import: one line per imported row, none for a refused one.
    let report = post_csv(
        &sys,
        app.url("/api/v1/admin/org/import"),
        &csrf,
        "type,code,name,parent_code,kind,department_code\n\
         region,410406,北城区,410400,district,\n\
         place,BC-HALL,北城区政务服务中心,410406,hall,\n\
         region,410405,重复的南城区,410400,district,\n",
    )
    .await;
    assert_eq!(report["imported"], 2, "{report}");
    let imported = |lines: &[Value], code: &str| {
        lines
            .iter()
            .filter(|l| l["after"]["code"] == code && l["action"] == "create")
            .count()
    };
    let regions = audit(&app, "entity=region").await;
    assert_eq!(imported(&regions, "410406"), 1);
    assert_eq!(imported(&regions, "410405"), 1, "the refused row left none");
    assert_eq!(imported(&audit(&app, "entity=place").await, "BC-HALL"), 1);

    // A staff account: created, edited (password reset), deactivated,
    // reactivated, given a photo.
    let new = json!({ "username": "audit1", "display_name": "孙悦", "role": "window_staff",
        "place_code": "HALL-DC", "window_code": "W04", "password": "初始密码-0123456",
        "staff_no": "DC0404", "phone": STAFF_PHONE, "id_no": ID_NO });
    let r = send(
        &sys,
        reqwest::Method::POST,
        app.url("/api/v1/admin/staff"),
        &csrf,
        new.clone(),
    )
    .await;
    let staff_id = r["id"].as_i64().unwrap().to_string();
    let mut edit = new.clone();
    edit["display_name"] = json!("孙悦华");
    edit["password"] = json!("新的密码-9876543210");
    send(
        &sys,
        reqwest::Method::PUT,
        app.url(&format!("/api/v1/admin/staff/{staff_id}")),
        &csrf,
        edit,
    )
    .await;
    for active in [false, true] {
        send(
            &sys,
            reqwest::Method::POST,
            app.url(&format!("/api/v1/admin/staff/{staff_id}/active")),
            &csrf,
            json!({ "active": active }),
        )
        .await;
    }
    let r = sys
        .post(app.url(&format!("/api/v1/admin/staff/{staff_id}/photo")))
        .header("x-csrf-token", &csrf)
        .header("content-type", "image/jpeg")
        .body(vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        actions(&app, "staff", &staff_id).await,
        ["create", "update", "deactivate", "activate", "photo"]
    );
    let lines = audit(&app, &format!("entity=staff&entity_id={staff_id}")).await;
    let update = &lines[3];
    assert_eq!(update["before"]["display_name"], "孙悦");
    assert_eq!(update["after"]["display_name"], "孙悦华");
    assert_eq!(update["after"]["password_reset"], true);
    assert!(update["before"].get("password_reset").is_none());
    assert_eq!(lines[4]["after"]["staff_no"], "DC0404");
    assert_eq!(lines[4]["after"]["phone"], "138****1234");
    assert!(lines[0]["before"]["photo_id"].is_null());
    assert!(lines[0]["after"]["photo_id"].is_string());

    // A kiosk: registered and given a new code by its unit admin, enrolled
    // by itself, voice turned off, revoked.
    let code = "KIOSK-AUD-01";
    register_kiosk(&app, code).await;
    let (admin, admin_csrf) = signed_in(&app, "admin").await;
    let issued = send(
        &admin,
        reqwest::Method::POST,
        app.url(&format!("/api/v1/admin/devices/{code}/enrolment")),
        &admin_csrf,
        json!({}),
    )
    .await;
    enrol(&app, code, issued["enrol_code"].as_str().unwrap()).await;
    send(
        &admin,
        reqwest::Method::POST,
        app.url(&format!("/api/v1/admin/devices/{code}/voice")),
        &admin_csrf,
        json!({ "voice": false }),
    )
    .await;
    send(
        &admin,
        reqwest::Method::POST,
        app.url(&format!("/api/v1/admin/devices/{code}/revoke")),
        &admin_csrf,
        json!({}),
    )
    .await;
    assert_eq!(
        actions(&app, "device", code).await,
        ["register", "enrolment_code", "enrol", "voice", "revoke"]
    );
    let lines = audit(&app, &format!("entity=device&entity_id={code}")).await;
    let by: Vec<(&str, bool)> = lines
        .iter()
        .rev()
        .map(|l| {
            (
                l["actor_label"].as_str().unwrap(),
                l["actor_staff_id"].is_null(),
            )
        })
        .collect();
    assert_eq!(
        by,
        [
            ("admin", false),
            ("admin", false),
            ("device:KIOSK-AUD-01", true),
            ("admin", false),
            ("admin", false)
        ]
    );
    let enrolled = &lines[2];
    assert_eq!(enrolled["before"]["enrol_code_waiting"], true);
    assert_eq!(enrolled["after"]["enrol_code_waiting"], false);
    assert!(enrolled["after"]["enrolled_at"].is_i64());
    assert_eq!(lines[1]["after"]["voice"], false);
    assert_eq!(lines[0]["before"]["active"], true);
    assert_eq!(lines[0]["after"]["active"], false);
    assert!(lines[0]["after"]["revoked_at"].is_i64());

    // A case pushed by the business system: created, an unchanged replay
    // leaves nothing, finishing it is an update.
    let case = json!({ "case_no": "AUD-1", "place_code": "HALL-DC", "window_code": "W01",
        "status": "in_service", "applicant_phone": PHONE });
    let r = push_cases(&app, vec![case.clone()]).await;
    assert_eq!(r["results"][0]["status"], "created");
    let case_id = r["results"][0]["case_id"].as_i64().unwrap().to_string();
    let r = push_cases(&app, vec![case.clone()]).await;
    assert_eq!(r["results"][0]["status"], "unchanged");
    let mut finished = case.clone();
    finished["status"] = json!("finished");
    let r = push_cases(&app, vec![finished]).await;
    assert_eq!(r["results"][0]["status"], "updated");
    assert_eq!(
        actions(&app, "case", &case_id).await,
        ["push_create", "push_update"]
    );
    let lines = audit(&app, &format!("entity=case&entity_id={case_id}")).await;
    assert_eq!(lines[0]["actor_label"], server::demo::INTEGRATION_SOURCE);
    assert!(lines[0]["actor_staff_id"].is_null());
    assert_eq!(lines[0]["before"]["status"], "in_service");
    assert_eq!(lines[0]["after"]["status"], "finished");
    assert_eq!(lines[0]["after"]["applicant_phone"], "139****5678");
    // Imported from CSV by the unit admin: created, then finished.
    for csv in [
        "case_no,place_code,status\nAUD-2,HALL-DC,in_service\n",
        "case_no,place_code,status\nAUD-2,HALL-DC,finished\n",
        "case_no,place_code,status\nAUD-2,HALL-DC,finished\n",
    ] {
        let report = post_csv(&admin, app.url("/api/v1/cases/import"), &admin_csrf, csv).await;
        assert_eq!(report["imported"], 1, "{report}");
    }
    let cases = audit(&app, "entity=case").await;
    let imported: Vec<&Value> = cases
        .iter()
        .filter(|l| l["after"]["case_no"] == "AUD-2")
        .collect();
    assert_eq!(imported.len(), 2, "{imported:?}");
    assert_eq!(imported[0]["action"], "import_update");
    assert_eq!(imported[1]["action"], "import_create");
    assert_eq!(imported[0]["actor_label"], "admin");
    assert_eq!(imported[0]["entity_id"], imported[1]["entity_id"]);
}

async fn the_audit_log_of_edits_refuses_updates_and_deletes(app: TestApp) {
    // Enrolling the test's kiosks already left lines.
    let before = audit(&app, "limit=1000").await;
    assert!(before.len() >= 4, "{before:?}");
    let (upd, del) = match &app.store {
        Store::Sqlite(p) => (
            sqlx::query("UPDATE audit_log SET action = 'x'")
                .execute(p)
                .await
                .err(),
            sqlx::query("DELETE FROM audit_log").execute(p).await.err(),
        ),
        Store::Postgres(p) => (
            sqlx::query("UPDATE audit_log SET action = 'x'")
                .execute(p)
                .await
                .err(),
            sqlx::query("DELETE FROM audit_log").execute(p).await.err(),
        ),
    };
    for e in [upd, del] {
        let e = e.expect("the audit log must refuse it");
        assert!(e.to_string().contains("append-only"), "{e}");
    }
    assert_eq!(audit(&app, "limit=1000").await, before);
}

async fn only_system_admins_and_supervisors_read_the_audit_log(app: TestApp) {
    let url = app.url("/api/v1/admin/audit");
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 401);
    for (user, status) in [
        ("admin", 403),
        ("window1", 403),
        ("supervisor", 200),
        ("sysadmin", 200),
    ] {
        let (c, _) = signed_in(&app, user).await;
        assert_eq!(c.get(&url).send().await.unwrap().status(), status, "{user}");
    }
    // An unknown entity or limit is named, in Chinese and English.
    let (c, _) = signed_in(&app, "supervisor").await;
    for (query, code) in [
        ("entity=ticket", "audit_entity_unknown"),
        ("limit=abc", "audit_limit_invalid"),
        ("limit=0", "audit_limit_invalid"),
    ] {
        let r = c.get(format!("{url}?{query}")).send().await.unwrap();
        assert_eq!(r.status(), 422, "{query}");
        let b: Value = r.json().await.unwrap();
        assert_eq!(b["error"]["code"], code);
        let (zh, en) = (
            b["error"]["message"].as_str().unwrap(),
            b["error"]["message_en"].as_str().unwrap(),
        );
        assert!(zh.contains('“') && !en.is_empty(), "{b}");
    }
    // Newest first, 100 unless asked, never more than 1000.
    let cases: Vec<Value> = (0..1000)
        .map(|i| json!({ "case_no": format!("LIM-{i:04}"), "place_code": "HALL-DC", "status": "in_service" }))
        .collect();
    push_cases(&app, cases).await;
    let get = |q: &'static str| {
        let c = c.clone();
        let url = url.clone();
        async move {
            let r = c.get(format!("{url}?{q}")).send().await.unwrap();
            assert_eq!(r.status(), 200, "{q}");
            r.json::<Vec<Value>>().await.unwrap()
        }
    };
    assert_eq!(get("").await.len(), 100);
    assert_eq!(get("limit=5000").await.len(), 1000);
    let newest = get("entity=case&limit=3").await;
    let nos: Vec<&str> = newest
        .iter()
        .map(|l| l["after"]["case_no"].as_str().unwrap())
        .collect();
    assert_eq!(nos, ["LIM-0999", "LIM-0998", "LIM-0997"]);
    let all = get("limit=1000").await;
    assert!(all
        .windows(2)
        .all(|w| (w[0]["at"].as_i64(), w[0]["id"].as_i64())
            > (w[1]["at"].as_i64(), w[1]["id"].as_i64())));
    // The typed body reads back.
    let typed: Vec<app::api::types::AuditEntry> =
        serde_json::from_value(Value::Array(newest)).unwrap();
    assert_eq!(typed[0].entity, "case");
    let one = get("entity=device&entity_id=KIOSK-DC-01").await;
    assert!(!one.is_empty() && one.iter().all(|l| l["entity_id"] == "KIOSK-DC-01"));
}

/// How many audit lines hold `needle`, read straight from the database.
async fn raw_count(app: &TestApp, needle: &str) -> i64 {
    let sql = "SELECT COUNT(*) FROM audit_log WHERE actor_label LIKE $1 OR entity_id LIKE $1 \
               OR before_json LIKE $1 OR after_json LIKE $1";
    let like = format!("%{needle}%");
    match &app.store {
        Store::Sqlite(p) => sqlx::query_scalar(sql)
            .bind(like)
            .fetch_one(p)
            .await
            .unwrap(),
        Store::Postgres(p) => sqlx::query_scalar(sql)
            .bind(like)
            .fetch_one(p)
            .await
            .unwrap(),
    }
}

async fn no_password_hash_token_enrolment_code_or_whole_phone_number_is_ever_in_the_audit_log(
    app: TestApp,
) {
    let (sys, csrf) = signed_in(&app, "sysadmin").await;
    // A staff account with a phone and an ID number, its password reset.
    let new = json!({ "username": "audit2", "display_name": "周宁", "role": "unit_admin",
        "place_code": "HALL-DC", "password": "初始密码-0123456", "phone": STAFF_PHONE, "id_no": ID_NO });
    let r = send(
        &sys,
        reqwest::Method::POST,
        app.url("/api/v1/admin/staff"),
        &csrf,
        new.clone(),
    )
    .await;
    let first_hash = app
        .text("SELECT password_hash FROM staff WHERE username = 'audit2'")
        .await
        .unwrap();
    let mut edit = new.clone();
    edit["password"] = json!("新的密码-9876543210");
    send(
        &sys,
        reqwest::Method::PUT,
        app.url(&format!("/api/v1/admin/staff/{}", r["id"])),
        &csrf,
        edit,
    )
    .await;
    let second_hash = app
        .text("SELECT password_hash FROM staff WHERE username = 'audit2'")
        .await
        .unwrap();
    // A kiosk registered and enrolled: its code, the code's hash, its token.
    let code = "KIOSK-AUD-02";
    let enrol_code = register_kiosk(&app, code).await;
    let enrol_hash = app
        .text(&format!(
            "SELECT enrol_code_hash FROM devices WHERE code = '{code}'"
        ))
        .await
        .unwrap();
    let token = enrol(&app, code, &enrol_code).await;
    // A case with the applicant's phone and ID number, then finished.
    let mut case = json!({ "case_no": "AUD-9", "place_code": "HALL-DC", "status": "in_service",
        "applicant_phone": PHONE, "applicant_id_no": ID_NO });
    push_cases(&app, vec![case.clone()]).await;
    case["status"] = json!("finished");
    push_cases(&app, vec![case]).await;

    let lines = audit(&app, "limit=1000").await;
    let text = serde_json::to_string(&lines).unwrap();
    for (what, secret) in [
        ("the first password hash", first_hash.as_str()),
        ("the reset password hash", second_hash.as_str()),
        ("any argon2 hash", "$argon2"),
        ("the password", "初始密码-0123456"),
        ("the new password", "新的密码-9876543210"),
        ("the enrolment code's hash", enrol_hash.as_str()),
        ("the device token", token.as_str()),
        ("the token's hash", &server::auth::token_hash(&token)),
        ("the citizen's phone", PHONE),
        ("the staff member's phone", STAFF_PHONE),
        ("the ID number", ID_NO),
    ] {
        assert!(!text.contains(secret), "{what} is in the audit log");
        assert_eq!(raw_count(&app, secret).await, 0, "{what} is stored");
    }
    // The enrolment code as a value (8 digits could happen to sit inside a
    // timestamp), and no field that could hold a secret at all.
    assert!(!text.contains(&format!("\"{enrol_code}\"")));
    for field in [
        "password_hash",
        "token",
        "token_hash",
        "enrol_code",
        "enrol_code_hash",
    ] {
        assert!(
            !text.contains(&format!("\"{field}\"")),
            "{field} is in the audit log"
        );
    }
    // What is there: the numbers masked.
    assert!(text.contains("139****5678") && text.contains("138****1234"));
    assert!(text.contains("110***********002X"));
}

async fn edits_at_once_all_succeed_and_each_line_starts_where_the_last_one_ended(app: TestApp) {
    let (sys, csrf) = signed_in(&app, "sysadmin").await;
    let body = json!({ "type": "place", "code": "NC-HALL", "name": "名称-0", "kind": "hall", "parent_code": "410402" });
    let r = send(
        &sys,
        reqwest::Method::POST,
        app.url("/api/v1/admin/org/place"),
        &csrf,
        body.clone(),
    )
    .await;
    let id = r["id"].as_i64().unwrap();
    // Eight renames at once, with kiosks syncing meanwhile.
    let renames = (1..=8).map(|n| {
        let mut b = body.clone();
        b["name"] = json!(format!("名称-{n}"));
        send(
            &sys,
            reqwest::Method::PUT,
            app.url(&format!("/api/v1/admin/org/place/{id}")),
            &csrf,
            b,
        )
    });
    let batches: Vec<Value> = (0..4)
        .map(|i| app.batch(vec![app.rating(i + 1, "satisfied")]))
        .collect();
    let syncs = batches.iter().map(|b| app.post_sync(b));
    let (_, synced) = tokio::join!(
        futures_util::future::join_all(renames),
        futures_util::future::join_all(syncs)
    );
    assert!(synced.iter().all(|r| r.status() == 200));
    // In the order they were appended (`at` is when each request came).
    let mut lines = audit(&app, &format!("entity=place&entity_id={id}")).await;
    lines.sort_by_key(|l| l["id"].as_i64());
    assert_eq!(lines.len(), 9);
    assert_eq!(lines[0]["action"], "create");
    for w in lines.windows(2) {
        assert_eq!(w[1]["before"]["name"], w[0]["after"]["name"], "{w:?}");
    }
}
