//! Organisation admin: create, edit, deactivate; the tree's CSV import.

use serde_json::{json, Value};

use crate::helpers::TestApp;

crate::on_both_databases!(
    a_system_admin_builds_the_tree_and_mistakes_get_clear_errors,
    a_deactivated_place_takes_no_more_ratings_or_cases,
    the_tree_imports_from_csv_keeping_good_rows,
    only_system_admins_change_the_organisation,
    staff_accounts_are_created_edited_and_deactivated,
);

async fn create(app: &TestApp, csrf: &str, t: &str, body: Value) -> (u16, Value) {
    let mut body = body;
    body["type"] = json!(t);
    app.post_json(&format!("/api/v1/admin/org/{t}"), csrf, &body)
        .await
}

async fn a_system_admin_builds_the_tree_and_mistakes_get_clear_errors(app: TestApp) {
    let csrf = app.login_as("sysadmin").await;
    assert_eq!(create(&app, &csrf, "region", json!({ "code": "410405", "name": "南城区", "kind": "district", "parent_code": "410400" })).await.0, 200);
    assert_eq!(create(&app, &csrf, "region", json!({ "code": "410405001", "name": "南关街道", "kind": "town", "parent_code": "410405" })).await.0, 200);
    let (s, b) = create(&app, &csrf, "region", json!({ "code": "410405001001", "name": "跳级社区", "kind": "village", "parent_code": "410405" })).await;
    assert_eq!(s, 422);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("不能隶属于"),
        "{b}"
    );
    assert_eq!(
        create(
            &app,
            &csrf,
            "department",
            json!({ "code": "NC-SC", "name": "南城区市场监督管理局", "parent_code": "410405" })
        )
        .await
        .0,
        200
    );
    let (s, b) = create(
        &app,
        &csrf,
        "department",
        json!({ "code": "NC-X", "name": "街道部门", "parent_code": "410405001" }),
    )
    .await;
    assert_eq!(s, 422, "departments sit at city or district level: {b}");
    assert_eq!(create(&app, &csrf, "place", json!({ "code": "TOWN-NG", "name": "南关街道便民服务中心", "kind": "town_centre", "parent_code": "410405001" })).await.0, 200);
    assert_eq!(create(&app, &csrf, "window", json!({ "code": "W01", "name": "综合窗口", "parent_code": "TOWN-NG", "department_code": "NC-SC" })).await.0, 200);
    assert_eq!(
        create(
            &app,
            &csrf,
            "service_item",
            json!({ "code": "NC-SC-001", "name": "食品经营许可", "parent_code": "NC-SC" })
        )
        .await
        .0,
        200
    );
    assert_eq!(create(&app, &csrf, "provider", json!({ "code": "WATER-SF", "name": "示范市自来水公司", "kind": "water", "parent_code": "410400" })).await.0, 200);
    let (s, b) = create(
        &app,
        &csrf,
        "provider",
        json!({ "code": "BANK-1", "name": "银行", "kind": "bank", "parent_code": "410400" }),
    )
    .await;
    assert_eq!(s, 422);
    assert!(b["error"]["message"].as_str().unwrap().contains("water"));
    let (s, b) = create(
        &app,
        &csrf,
        "place",
        json!({ "code": "TOWN-NG", "name": "重复", "kind": "hall", "parent_code": "410405" }),
    )
    .await;
    assert_eq!(s, 409);
    assert!(b["error"]["message"].as_str().unwrap().contains("已存在"));
    let (s, b) = create(
        &app,
        &csrf,
        "window",
        json!({ "code": "W02", "name": "窗口", "parent_code": "NO-PLACE" }),
    )
    .await;
    assert_eq!(s, 422);
    assert!(b["error"]["message"].as_str().unwrap().contains("NO-PLACE"));
    // Edit: a new name, the code stays.
    let (_, windows) = app.get_json("/api/v1/admin/org/window").await;
    let w = windows
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["parent_code"] == "TOWN-NG")
        .unwrap()
        .clone();
    let r = app.client.put(app.url(&format!("/api/v1/admin/org/window/{}", w["id"]))).header("x-csrf-token", &csrf)
        .json(&json!({ "type": "window", "code": "W01", "name": "1号综合窗口", "parent_code": "TOWN-NG", "department_code": "NC-SC" }))
        .send().await.unwrap();
    assert_eq!(r.status(), 200);
    let (_, windows) = app.get_json("/api/v1/admin/org/window").await;
    assert!(windows.to_string().contains("1号综合窗口"));
    // The new window's static QR works at once.
    assert_eq!(app.get_json("/api/v1/rate/place/TOWN-NG/W01").await.0, 200);
}

async fn a_deactivated_place_takes_no_more_ratings_or_cases(app: TestApp) {
    let csrf = app.login_as("sysadmin").await;
    let (_, places) = app.get_json("/api/v1/admin/org/place").await;
    let hall = places
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "HALL-DC")
        .unwrap()["id"]
        .clone();
    let (s, _) = app
        .post_json(
            &format!("/api/v1/admin/org/place/{hall}/active"),
            &csrf,
            &json!({ "active": false }),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = app.get_json("/api/v1/rate/place/HALL-DC").await;
    assert_eq!(s, 404, "{b}");
    let (_, places) = app.get_json("/api/v1/admin/org/place").await;
    assert!(
        places
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "HALL-DC" && p["active"] == false),
        "kept, not deleted"
    );
    app.post_json(
        &format!("/api/v1/admin/org/place/{hall}/active"),
        &csrf,
        &json!({ "active": true }),
    )
    .await;
    assert_eq!(app.get_json("/api/v1/rate/place/HALL-DC").await.0, 200);
}

async fn the_tree_imports_from_csv_keeping_good_rows(app: TestApp) {
    let csrf = app.login_as("sysadmin").await;
    let csv = "type,code,name,parent_code,kind,department_code\n\
        region,410406,北城区,410400,district,\n\
        region,410406001,北关街道,410406,town,\n\
        region,410406001001,北关社区,410406001,village,\n\
        department,BC-RS,北城区人社局,410406,,\n\
        place,VIL-BG,北关社区便民服务站,410406001001,village_point,\n\
        window,W01,代办窗口,VIL-BG,,BC-RS\n\
        service_item,BC-RS-001,社保卡申领,BC-RS,,\n\
        provider,GAS-SF,示范市燃气公司,410400,gas,\n\
        office,X,坏类型,,,\n\
        place,VIL-BAD,坏场所,410406001001,shop,\n\
        window,W02,孤儿窗口,NO-PLACE,,\n\
        region,410406,重复的北城区,410400,district,\n";
    let r = app
        .client
        .post(app.url("/api/v1/admin/org/import"))
        .header("x-csrf-token", &csrf)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["rows"], 12);
    assert_eq!(report["imported"], 8, "{report}");
    let lines: Vec<i64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, vec![10, 11, 12, 13]);
    let text = report["errors"].to_string();
    for expected in ["office", "village_point", "NO-PLACE", "已存在"] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    assert_eq!(app.get_json("/api/v1/rate/place/VIL-BG/W01").await.0, 200);
}

async fn only_system_admins_change_the_organisation(app: TestApp) {
    for user in ["admin", "window1", "supervisor"] {
        let csrf = app.login_as(user).await;
        let (s, _) = create(&app, &csrf, "provider", json!({ "code": "HEAT-1", "name": "热力公司", "kind": "heat", "parent_code": "410400" })).await;
        assert_eq!(s, 403, "{user}");
    }
    // Supervisors may read the tree; window staff may not.
    app.login_as("supervisor").await;
    assert_eq!(app.get_json("/api/v1/admin/org/region").await.0, 200);
    app.login_as("window1").await;
    assert_eq!(app.get_json("/api/v1/admin/org/region").await.0, 403);
}

async fn staff_accounts_are_created_edited_and_deactivated(app: TestApp) {
    let csrf = app.login_as("sysadmin").await;
    let new = json!({ "username": "window9", "display_name": "赵丽", "role": "window_staff",
        "place_code": "HALL-DC", "window_code": "W04", "password": "初始密码-0123456" });
    let (s, b) = app.post_json("/api/v1/admin/staff", &csrf, &new).await;
    assert_eq!(s, 200, "{b}");
    let id = b["id"].as_i64().unwrap();
    let (s, b) = app.post_json("/api/v1/admin/staff", &csrf, &new).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (409, Some("username_taken"))
    );
    let mut no_window = new.clone();
    no_window["username"] = json!("window10");
    no_window["window_code"] = json!("");
    let (s, b) = app
        .post_json("/api/v1/admin/staff", &csrf, &no_window)
        .await;
    assert_eq!(s, 422);
    assert!(b["error"]["message"].as_str().unwrap().contains("窗口"));
    let mut short = new.clone();
    short["username"] = json!("window11");
    short["password"] = json!("123");
    assert_eq!(
        app.post_json("/api/v1/admin/staff", &csrf, &short).await.0,
        422
    );

    // The new account signs in and sees its own window.
    let other = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = other
        .post(app.url("/api/v1/staff/login"))
        .json(&json!({ "username": "window9", "password": "初始密码-0123456" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        other
            .get(app.url("/api/v1/staff/cases"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    // Edited (new name, password kept), then deactivated: its session ends.
    let mut edit = new.clone();
    edit["display_name"] = json!("赵丽华");
    edit["password"] = json!("");
    let r = app
        .client
        .put(app.url(&format!("/api/v1/admin/staff/{id}")))
        .header("x-csrf-token", &csrf)
        .json(&edit)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, list) = app.get_json("/api/v1/admin/staff").await;
    assert!(list.to_string().contains("赵丽华"));
    assert!(
        !list.to_string().contains("password"),
        "hashes never leave the server"
    );
    let (s, _) = app
        .post_json(
            &format!("/api/v1/admin/staff/{id}/active"),
            &csrf,
            &json!({ "active": false }),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        other
            .get(app.url("/api/v1/staff/cases"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let r = other
        .post(app.url("/api/v1/staff/login"))
        .json(&json!({ "username": "window9", "password": "初始密码-0123456" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}
