//! The seeds' printed figures, replayed through the HTTP API: the
//! organisation built by the system admin, cases pushed by the business
//! system, ratings synced by the hall kiosk or entered by staff from 12345
//! calls, the 系统默认 job run, the loop's steps taken, and the 通报 table
//! read as the supervisor reads it (docs/metrics.md names each cell).

use app::api::types::CellKind;
use domain::calendar::Date;
use domain::report::format_cell;
use futures_util::StreamExt;
use serde_json::{json, Value};
use server::state::now_ms;
use uuid::Uuid;

use app::api::types::RateConfig;

use crate::channels::web_rating;
use crate::helpers::{rating_for, TestApp, ADMIN_PASSWORD};

crate::on_both_databases!(
    seed_000_a_city_department_row_comes_out_as_printed,
    seed_000_a_district_row_comes_out_as_printed,
    seed_003_two_districts_reach_100_percent_once_the_default_job_has_run,
    the_loop_table_counts_contact_feedback_and_real_name_bad_ratings_on_time,
    service_items_are_ranked_by_their_bad_rating_rate,
    the_evaluator_type_is_kept_from_the_rating_or_the_case_and_exported,
);

crate::on_both_databases_with!(
    no_default,
    crate::seeds::no_default_rating;
    seed_002_two_month_cells_come_out_as_printed_and_t_counts_after_verification,
);

/// Seed 002's regions: no 系统默认 rating (`HCP_DEFAULT_RATING_DAYS=off`),
/// and kiosk ratings up to four months old taken as they were dated (a
/// village point offline for a season; the default window is 30 days).
pub fn no_default_rating(s: &mut server::config::Settings) {
    s.policy.default_rating.enabled = false;
    s.security.offline_window_days = 120;
}

const DAY: i64 = 86_400_000;
const MINUTE: i64 = 60_000;

/// One case to push: number, window, service item, when it finished.
struct Case {
    no: String,
    place: &'static str,
    window: &'static str,
    item: String,
    finished_at: i64,
}

/// `n` cases at one window and item, numbered `{prefix}-{k:0w$}` (width
/// `w`), the k-th finished at `start + k × step`.
fn run_of_cases(
    prefix: &str,
    w: usize,
    (place, window, item): (&'static str, &'static str, &str),
    n: i64,
    start: i64,
    step: i64,
) -> Vec<Case> {
    (0..n)
        .map(|k| Case {
            no: format!("{prefix}-{k:0w$}"),
            place,
            window,
            item: item.into(),
            finished_at: start + k * step,
        })
        .collect()
}

/// The ratings export of a period, as the supervisor downloads it.
async fn export_csv(app: &TestApp, query: &str) -> String {
    app.login_as(server::demo::SUPERVISOR_USERNAME).await;
    app.client
        .get(app.url(&format!("/api/v1/exports/ratings?{query}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn create(app: &TestApp, csrf: &str, t: &str, mut body: Value) {
    body["type"] = json!(t);
    let (s, b) = app
        .post_json(&format!("/api/v1/admin/org/{t}"), csrf, &body)
        .await;
    assert_eq!(s, 200, "{t} {body}: {b}");
}

/// The business system pushes the cases, finished, in batches (its own
/// client: no staff session). Returns the case ids.
async fn push_cases(app: &TestApp, cases: &[Case]) -> Vec<i64> {
    let client = reqwest::Client::new();
    let mut ids = vec![];
    for chunk in cases.chunks(500) {
        let body: Vec<Value> = chunk
            .iter()
            .map(|c| {
                json!({ "case_no": c.no, "place_code": c.place, "window_code": c.window,
                    "service_item_code": c.item, "status": "finished",
                    "started_at": c.finished_at - 10 * MINUTE, "finished_at": c.finished_at })
            })
            .collect();
        let r = client
            .post(app.url("/api/v1/cases"))
            .bearer_auth(server::demo::integration_token(ADMIN_PASSWORD))
            .json(&json!({ "cases": body }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r: Value = r.json().await.unwrap();
        for x in r["results"].as_array().unwrap() {
            assert_eq!(x["status"], "created", "{x}");
            ids.push(x["case_id"].as_i64().unwrap());
        }
    }
    ids
}

/// A citizen scans a static QR code (`HALL-DC/W01`) on their own phone and
/// rates, leaving a phone number or not. Returns the rating id.
async fn qr_rates(app: &TestApp, path: &str, level: &str, phone: Option<&str>) -> String {
    let client = reqwest::Client::new();
    let cfg: RateConfig = client
        .get(app.url(&format!("/api/v1/rate/place/{path}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut item = web_rating(&cfg, level);
    if level.contains("dissatisfied") {
        item["reasons"] = json!(["long_wait"]);
        item["comment"] = json!("排队两个小时");
    }
    if let Some(p) = phone {
        item["evaluator_phone"] = json!(p);
    }
    let r = client
        .post(app.url("/api/v1/sync"))
        .json(&json!({ "device_id": cfg.device.device_id, "sent_at": now_ms(), "items": [item.clone()] }))
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let b: Value = r.json().await.unwrap();
    assert_eq!(s, 200, "{b}");
    item["id"].as_str().unwrap().to_string()
}

/// The citizen rates a case through the link of its SMS invitation.
async fn sms_rates(app: &TestApp, case_id: i64, level: &str) {
    let r = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/cases/{case_id}/links")))
        .bearer_auth(server::demo::integration_token(ADMIN_PASSWORD))
        .json(&json!({ "channel": "sms" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    // The citizen's own phone: no staff session.
    let phone = reqwest::Client::new();
    let cfg: RateConfig = phone
        .get(app.url(&format!("/api/v1/rate/link/{token}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = phone
        .post(app.url("/api/v1/sync"))
        .json(
            &json!({ "device_id": cfg.device.device_id, "sent_at": now_ms(),
            "items": [web_rating(&cfg, level)] }),
        )
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let b: Value = r.json().await.unwrap();
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["results"][0]["status"], "accepted", "{b}");
}

/// The hall kiosk was enrolled long before the period (its ratings are
/// dated after its enrolment, or flagged).
async fn kiosk_enrolled_days_ago(app: &TestApp, days: i64) {
    app.exec(&format!(
        "UPDATE devices SET enrolled_at = {} WHERE id = '{}'",
        now_ms() - days * DAY,
        app.kiosk.device_id
    ))
    .await;
}

/// The hall kiosk rates cases by number, each a minute or more apart (a
/// citizen takes that long), synced in batches. Returns the rating ids.
async fn kiosk_rates(app: &TestApp, ratings: &[(&Case, &str)]) -> Vec<String> {
    let mut ids = vec![];
    let items: Vec<Value> = ratings
        .iter()
        .enumerate()
        .map(|(i, (case, level))| {
            let mut r = rating_for(&app.kiosk, i as u64 + 1, level);
            r["case_no"] = json!(case.no);
            r["device_time"] = json!(case.finished_at + MINUTE);
            ids.push(r["id"].as_str().unwrap().to_string());
            r
        })
        .collect();
    for chunk in items.chunks(200) {
        let r = app.post_sync(&app.batch(chunk.to_vec())).await;
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 200, "{body}");
        for x in body["results"].as_array().unwrap() {
            assert_eq!(x["status"], "accepted", "{x}");
        }
    }
    ids
}

/// The unit admin enters ratings taken by the 12345 hotline, each about
/// a case, one after another (as one clerk types them).
async fn hotline_rates(app: &TestApp, csrf: &str, cases: &[&Case]) {
    let answers: Vec<(u16, Value)> = futures_util::stream::iter(cases.iter().map(|c| {
        let entry = json!({ "id": Uuid::now_v7(), "channel": "phone", "level": "satisfied",
            "case_no": c.no, "rated_at": c.finished_at + 2 * DAY });
        async move { app.post_json("/api/v1/staff/entries", csrf, &entry).await }
    }))
    .buffered(1)
    .collect()
    .await;
    for (s, b) in answers {
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["status"], "accepted", "{b}");
    }
}

async fn run_jobs(app: &TestApp) -> Value {
    let csrf = app.login_as(server::demo::SYSADMIN_USERNAME).await;
    let (s, r) = app
        .post_json("/api/v1/admin/jobs/run", &csrf, &json!({}))
        .await;
    assert_eq!(s, 200, "{r}");
    r
}

async fn ticket_of(app: &TestApp, rating_id: &str) -> i64 {
    let (s, list) = app.get_json("/api/v1/loop/tickets").await;
    assert_eq!(s, 200, "{list}");
    list["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["rating_id"] == rating_id)
        .unwrap_or_else(|| panic!("no ticket for {rating_id}: {list}"))["id"]
        .as_i64()
        .unwrap()
}

/// The unit admin takes a bad rating's steps: contact, verification (a
/// valid bad rating), and, when `rectify`, the archived rectification.
async fn handle_bad_rating(app: &TestApp, rating_id: &str, rectify: bool) {
    let csrf = app.login_admin().await;
    let id = ticket_of(app, rating_id).await;
    let mut steps = vec![
        json!({ "action": "contact", "reached": true, "note": "已电话联系办事群众" }),
        json!({ "action": "verify", "verdict": "valid" }),
    ];
    if rectify {
        steps.push(json!({ "action": "archive", "outcome": "fixed", "note": "窗口增设引导员" }));
    }
    for step in steps {
        let (s, r) = app
            .post_json(&format!("/api/v1/loop/tickets/{id}/steps"), &csrf, &step)
            .await;
        assert_eq!(s, 200, "{step} → {r}");
    }
}

/// A report as the supervisor reads it: `(column labels, row by name)`.
async fn report(app: &TestApp, code: &str, query: &str) -> Value {
    app.login_as(server::demo::SUPERVISOR_USERNAME).await;
    let (s, r) = app
        .get_json(&format!("/api/v1/reports/{code}?{query}"))
        .await;
    assert_eq!(s, 200, "{code}?{query}: {r}");
    r
}

fn labels(r: &Value) -> Vec<String> {
    r["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap().to_string())
        .collect()
}

fn row(r: &Value, name: &str) -> Vec<Option<f64>> {
    r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == name)
        .unwrap_or_else(|| panic!("no row {name}: {r}"))["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(Value::as_f64)
        .collect()
}

/// A row as the table prints it (`9`, `90.00%`, `/`).
fn printed(r: &Value, name: &str) -> Vec<String> {
    let kinds: Vec<CellKind> = r["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| serde_json::from_value(c["kind"].clone()).unwrap())
        .collect();
    row(r, name)
        .into_iter()
        .zip(kinds)
        .map(|(v, k)| format_cell(v, k))
        .collect()
}

/// Seed 000 附件1: 市公安局 9 | 90.00% | 100.00% | 100.00% | 1 | 100.00%.
/// Ten cases at its window, nine rated on the hall kiosk (one 不满意,
/// rectified on time), one left to the 系统默认 job: 有效评价 9 (the
/// default is not active), 主动评价率 9 ÷ 10.
async fn seed_000_a_city_department_row_comes_out_as_printed(app: TestApp) {
    let csrf = app.login_as(server::demo::SYSADMIN_USERNAME).await;
    create(
        &app,
        &csrf,
        "department",
        json!({ "code": "CITY-GA", "name": "市公安局", "parent_code": "410400" }),
    )
    .await;
    create(
        &app,
        &csrf,
        "service_item",
        json!({ "code": "CITY-GA-001", "name": "居民身份证换领", "parent_code": "CITY-GA" }),
    )
    .await;
    create(&app, &csrf, "window", json!({ "code": "W05", "name": "5号公安窗口", "parent_code": "HALL-DC", "department_code": "CITY-GA" })).await;
    kiosk_enrolled_days_ago(&app, 30).await;
    let start = now_ms() - 9 * DAY;
    let cases = run_of_cases(
        "GA",
        2,
        ("HALL-DC", "W05", "CITY-GA-001"),
        10,
        start,
        10 * MINUTE,
    );
    push_cases(&app, &cases).await;
    // The kiosk sends no window: the case's window decides the department.
    let rated: Vec<(&Case, &str)> = cases[..9]
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                c,
                if i == 4 {
                    "dissatisfied"
                } else {
                    "very_satisfied"
                },
            )
        })
        .collect();
    let ids = kiosk_rates(&app, &rated).await;
    let jobs = run_jobs(&app).await;
    assert_eq!(jobs["default_ratings"], 1, "the tenth case: {jobs}");
    handle_bad_rating(&app, &ids[4], true).await;

    // The 系统默认 rating is dated when it fell due: finished + 7 days.
    app.login_admin().await;
    let (_, list) = app.get_json("/api/v1/staff/ratings").await;
    let default = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "system_default")
        .unwrap_or_else(|| panic!("no default rating: {list}"));
    assert_eq!(default["case_no"], "GA-09");
    assert_eq!(default["rated_at"], cases[9].finished_at + 7 * DAY);

    let today = Date::of_instant(now_ms());
    let q = format!("from={}&to={today}", today.add_days(-10));
    let r = report(&app, "department_summary", &q).await;
    assert_eq!(
        labels(&r),
        [
            "有效评价总数",
            "主动评价率",
            "评价覆盖事项率",
            "评价覆盖部门率",
            "差评总数",
            "差评按期整改率"
        ]
    );
    assert_eq!(
        printed(&r, "市公安局"),
        ["9", "90.00%", "100.00%", "100.00%", "1", "100.00%"]
    );
    // The other city departments had no case: no figure, and flagged.
    assert_eq!(printed(&r, "市数据局")[1], "/");
}

/// Seed 000 附件2: 卫东区 206667 | 96.67% | 96.90% | 100.00% | 1 | 100.00%,
/// scaled: 150 cases over 129 service items of four departments, 145
/// rated on the kiosk (96.67%), one of them 不满意 and rectified on time;
/// the 5 cases left unrated (the only cases of 4 items) get their 系统默认
/// rating, which neither counts as 有效评价 nor covers their items:
/// 125 ÷ 129 = 96.90%.
async fn seed_000_a_district_row_comes_out_as_printed(app: TestApp) {
    let depts = ["DC-SC", "DC-RS", "DC-BDC", "DC-GA"];
    let windows = ["W01", "W02", "W03", "W04"];
    let csrf = app.login_as(server::demo::SYSADMIN_USERNAME).await;
    // The demo's four items (one per department) and 125 more.
    let mut items: Vec<(usize, String)> =
        (0..4).map(|d| (d, format!("{}-001", depts[d]))).collect();
    for i in 0..125 {
        let d = i % 4;
        let code = format!("{}-{:03}", depts[d], 100 + i);
        create(
            &app,
            &csrf,
            "service_item",
            json!({ "code": code, "name": format!("事项{i}"), "parent_code": depts[d] }),
        )
        .await;
        items.push((d, code));
    }
    kiosk_enrolled_days_ago(&app, 30).await;
    let start = now_ms() - 9 * DAY;
    let cases: Vec<Case> = (0..150usize)
        .map(|k| {
            let (d, item) = &items[if k < 129 { k } else { k - 129 }];
            Case {
                no: format!("WD-{k:03}"),
                place: "HALL-DC",
                window: windows[*d],
                item: item.clone(),
                finished_at: start + k as i64 * 2 * MINUTE,
            }
        })
        .collect();
    // Not rated: the only cases of items 125..128, and a second case of item 20.
    let unrated = |k: usize| (125..129).contains(&k) || k == 149;
    push_cases(&app, &cases).await;
    let rated: Vec<(&Case, &str)> = cases
        .iter()
        .enumerate()
        .filter(|(k, _)| !unrated(*k))
        .map(|(k, c)| {
            (
                c,
                if k == 60 {
                    "very_dissatisfied"
                } else {
                    "satisfied"
                },
            )
        })
        .collect();
    assert_eq!(rated.len(), 145);
    let ids = kiosk_rates(&app, &rated).await;
    let jobs = run_jobs(&app).await;
    assert_eq!(jobs["default_ratings"], 5, "{jobs}");
    handle_bad_rating(&app, &ids[60], true).await;

    let today = Date::of_instant(now_ms());
    let q = format!("from={}&to={today}", today.add_days(-10));
    let r = report(&app, "district_summary", &q).await;
    assert_eq!(
        printed(&r, "东城区"),
        ["145", "96.67%", "96.90%", "100.00%", "1", "100.00%"]
    );
    let cells = row(&r, "东城区");
    assert_eq!(cells[2], Some(125.0 * 100.0 / 129.0));
    // The district table (seed 003 附件1) counts all 150 ratings.
    let r = report(&app, "districts", &q).await;
    assert_eq!(
        row(&r, "东城区")[..4],
        [Some(150.0), Some(150.0), Some(100.0), Some(145.0)]
    );
}

/// Seed 002 附件3, two cells of one district's row (the region has no
/// 系统默认 rating):
/// - 经开区 5月: A 133 | M 88 | P 85 | P/M 97% | D 0 | T 0 — 85 kiosk
///   ratings and 3 hotline ratings of 133 cases;
/// - 临淄区 9月: A 2593 | M 2520 | P 246 | P/M 10% | D 1 | T 1 — 246 kiosk
///   ratings (one 不满意) and 2274 hotline ratings of 2593 cases; T, the
///   有效差评数, is 0 until verification finds the bad rating valid.
async fn seed_002_two_month_cells_come_out_as_printed_and_t_counts_after_verification(
    app: TestApp,
) {
    let today = Date::of_instant(now_ms());
    let month_start = |back: u32| {
        let (mut y, mut m) = (today.year, today.month);
        for _ in 0..back {
            (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
        }
        Date::new(y, m, 1)
    };
    let (may, sep) = (month_start(2), month_start(1));
    kiosk_enrolled_days_ago(&app, 110).await;
    let month_cases = |prefix: &str, from: Date, n: usize| -> Vec<Case> {
        (0..n)
            .map(|k| Case {
                no: format!("{prefix}-{k:04}"),
                place: "HALL-DC",
                window: ["W01", "W02", "W03", "W04"][k % 4],
                item: ["DC-SC-001", "DC-RS-001", "DC-BDC-001", "DC-GA-001"][k % 4].into(),
                // Spread over the first 20 days, 9:00 on.
                finished_at: from.start_ms()
                    + (k as i64 % 20) * DAY
                    + 3_600_000
                    + (k as i64 / 20) * 3 * MINUTE,
            })
            .collect()
    };
    let c_may = month_cases("KF", may, 133);
    let c_sep = month_cases("LZ", sep, 2593);
    push_cases(&app, &c_may).await;
    push_cases(&app, &c_sep).await;
    let mut on_site: Vec<(&Case, &str)> =
        c_may[..85].iter().map(|c| (c, "very_satisfied")).collect();
    on_site.extend(c_sep[..246].iter().enumerate().map(|(i, c)| {
        (
            c,
            if i == 100 {
                "dissatisfied"
            } else {
                "very_satisfied"
            },
        )
    }));
    let ids = kiosk_rates(&app, &on_site).await;
    let bad = ids[85 + 100].clone();
    let csrf = app.login_admin().await;
    let hotline: Vec<&Case> = c_may[85..88].iter().chain(&c_sep[246..2520]).collect();
    assert_eq!(hotline.len(), 3 + 2274);
    hotline_rates(&app, &csrf, &hotline).await;
    // HCP_DEFAULT_RATING_DAYS=off: 118 cases long unrated, no default.
    assert_eq!(run_jobs(&app).await["default_ratings"], 0);
    // Staff-entered and kiosk ratings are not web bursts: nothing flagged.
    assert_eq!(
        app.text("SELECT CAST(COUNT(*) AS TEXT) FROM rating_flags")
            .await
            .as_deref(),
        Some("0")
    );

    let q = format!("from={may}&to={}", today.add_days(-(today.day as i64)));
    let cells = |r: &Value| -> (Vec<String>, Vec<String>) {
        let p = printed(r, "东城区");
        (p[..6].to_vec(), p[6..].to_vec())
    };
    let r = report(&app, "monthly", &q).await;
    assert_eq!(
        labels(&r)[..6],
        [
            "办件总数 A",
            "评价总数 M",
            "现场主动评价数 P",
            "现场主动评价率 P/M",
            "差评总数 D",
            "有效差评数 T"
        ]
    );
    let (m5, m9) = cells(&r);
    assert_eq!(m5, ["133", "88", "85", "96.59%", "0", "0"]);
    assert_eq!(
        m9,
        ["2593", "2520", "246", "9.76%", "1", "0"],
        "T before verification"
    );
    handle_bad_rating(&app, &bad, false).await;
    let r = report(&app, "monthly", &q).await;
    let (m5, m9) = cells(&r);
    assert_eq!(m5, ["133", "88", "85", "96.59%", "0", "0"]);
    assert_eq!(
        m9,
        ["2593", "2520", "246", "9.76%", "1", "1"],
        "T once verified valid"
    );
}

/// Seed 003 附件1 (2022 Q4), 评价率 100% in every district, with 主动评价数
/// a few per cent: the 系统默认 rating makes up the rest. Scaled by
/// 1 : 10,000, 张店区 (1,080,786 cases, 62,036 active) is 东城区 with 108
/// cases and 6 kiosk ratings, 淄川区 (1,148,827, 40,330) is 西城区 with 115
/// cases and 4 SMS-link ratings; the job runs between two readings.
async fn seed_003_two_districts_reach_100_percent_once_the_default_job_has_run(app: TestApp) {
    let csrf = app.login_as(server::demo::SYSADMIN_USERNAME).await;
    create(&app, &csrf, "place", json!({ "code": "HALL-XC", "name": "西城区政务服务中心", "kind": "hall", "parent_code": "410403" })).await;
    create(&app, &csrf, "window", json!({ "code": "W01", "name": "市场监管窗口", "parent_code": "HALL-XC", "department_code": "XC-SC" })).await;
    create(
        &app,
        &csrf,
        "service_item",
        json!({ "code": "XC-SC-001", "name": "食品经营许可", "parent_code": "XC-SC" }),
    )
    .await;
    kiosk_enrolled_days_ago(&app, 30).await;
    let start = now_ms() - 9 * DAY;
    let east = run_of_cases(
        "ZD",
        3,
        ("HALL-DC", "W01", "DC-SC-001"),
        108,
        start,
        2 * MINUTE,
    );
    let west = run_of_cases(
        "ZC",
        3,
        ("HALL-XC", "W01", "XC-SC-001"),
        115,
        start,
        2 * MINUTE,
    );
    push_cases(&app, &east).await;
    let west_ids = push_cases(&app, &west).await;
    let on_kiosk: Vec<(&Case, &str)> = east[..6].iter().map(|c| (c, "very_satisfied")).collect();
    kiosk_rates(&app, &on_kiosk).await;
    for id in &west_ids[..4] {
        sms_rates(&app, *id, "satisfied").await;
    }

    let today = Date::of_instant(now_ms());
    let q = format!("from={}&to={today}", today.add_days(-10));
    let r = report(&app, "districts", &q).await;
    assert_eq!(
        labels(&r),
        [
            "办件数",
            "评价数",
            "评价率",
            "主动评价数",
            "差评数",
            "整改满意率"
        ]
    );
    assert_eq!(printed(&r, "东城区"), ["108", "6", "5.56%", "6", "0", "/"]);
    assert_eq!(printed(&r, "西城区"), ["115", "4", "3.48%", "4", "0", "/"]);

    let jobs = run_jobs(&app).await;
    assert_eq!(jobs["default_ratings"], 102 + 111, "{jobs}");
    let r = report(&app, "districts", &q).await;
    assert_eq!(
        printed(&r, "东城区"),
        ["108", "108", "100.00%", "6", "0", "/"]
    );
    assert_eq!(
        printed(&r, "西城区"),
        ["115", "115", "100.00%", "4", "0", "/"]
    );
    // Run again: nothing more is due, nothing changes.
    assert_eq!(run_jobs(&app).await["default_ratings"], 0);
    let again = report(&app, "districts", &q).await;
    assert_eq!(again["rows"], r["rows"]);
}

/// The loop table (002 一(一)(三), 001 第六条/第九条), one district:
/// - A: static QR, 非常不满意, phone left (实名): contacted at once,
///   verified, archived — on time throughout;
/// - B: static QR, 不满意, no phone (匿名): not yet handled, not yet due;
/// - C: kiosk, 不满意, of a case whose applicant left a phone (实名), given
///   26 days ago: contacted late, verified, never archived — due and late
///   (2 working days, then 15 natural days);
/// - three kiosk ratings 非常满意 of cases.
///
/// On site: A, B (the hall's QR code), C and the three: 现场好评率 3 ÷ 6.
async fn the_loop_table_counts_contact_feedback_and_real_name_bad_ratings_on_time(app: TestApp) {
    kiosk_enrolled_days_ago(&app, 30).await;
    let old = now_ms() - 26 * DAY;
    let cases = run_of_cases(
        "LP",
        1,
        ("HALL-DC", "W01", "DC-SC-001"),
        4,
        old,
        10 * MINUTE,
    );
    push_cases(&app, &cases[1..]).await;
    // C's applicant left a phone with the business system.
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/cases"))
        .bearer_auth(server::demo::integration_token(ADMIN_PASSWORD))
        .json(&json!({ "cases": [{ "case_no": "LP-0", "place_code": "HALL-DC", "window_code": "W01",
            "service_item_code": "DC-SC-001", "status": "finished", "applicant_phone": "13912345678",
            "started_at": old - 10 * MINUTE, "finished_at": old }] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let rated: Vec<(&Case, &str)> = cases
        .iter()
        .enumerate()
        .map(|(k, c)| {
            (
                c,
                if k == 0 {
                    "dissatisfied"
                } else {
                    "very_satisfied"
                },
            )
        })
        .collect();
    let ids = kiosk_rates(&app, &rated).await;
    let a = qr_rates(
        &app,
        "HALL-DC/W01",
        "very_dissatisfied",
        Some("13800001111"),
    )
    .await;
    qr_rates(&app, "HALL-DC/W01", "dissatisfied", None).await;
    run_jobs(&app).await;
    handle_bad_rating(&app, &a, true).await;
    handle_bad_rating(&app, &ids[0], false).await;

    let today = Date::of_instant(now_ms());
    let q = format!("from={}&to={today}", today.add_days(-30));
    let r = report(&app, "loop", &q).await;
    assert_eq!(
        labels(&r),
        [
            "有效评价数",
            "好评率",
            "现场好评率",
            "差评总数",
            "有效差评数",
            "待核实差评数",
            "沟通按时率",
            "差评整改率",
            "差评按期整改率",
            "差评件按时回访率",
            "整改满意率",
            "实名差评数",
            "实名差评按期整改率"
        ]
    );
    assert_eq!(
        printed(&r, "东城区"),
        [
            "6", "50.00%", "50.00%", "3", "2", "1", "50.00%", "33.33%", "50.00%", "50.00%", "/",
            "2", "50.00%"
        ]
    );
    // The export says which ratings are 实名.
    let csv = export_csv(&app, &q).await;
    let head: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = head.iter().position(|h| *h == "实名").unwrap();
    let real: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(col))
        .collect();
    assert_eq!(
        real.iter().filter(|x| **x == "实名").count(),
        2,
        "A and C: {csv}"
    );
    assert_eq!(real.iter().filter(|x| **x == "匿名").count(), 4, "{csv}");
}

/// 004 §23: service items by 差评率 (countable bad ÷ valid), highest first;
/// ties by more 差评, then the name.
async fn service_items_are_ranked_by_their_bad_rating_rate(app: TestApp) {
    kiosk_enrolled_days_ago(&app, 30).await;
    let start = now_ms() - 3 * DAY;
    // (item, window, levels)
    let plan: [(&str, &str, &[&str]); 4] = [
        (
            "DC-SC-001",
            "W01",
            &[
                "dissatisfied",
                "very_dissatisfied",
                "satisfied",
                "very_satisfied",
            ],
        ),
        ("DC-RS-001", "W02", &["dissatisfied", "satisfied"]),
        (
            "DC-BDC-001",
            "W03",
            &[
                "satisfied",
                "satisfied",
                "basic",
                "very_satisfied",
                "satisfied",
            ],
        ),
        ("DC-GA-001", "W04", &["very_dissatisfied"]),
    ];
    let mut cases = vec![];
    let mut levels = vec![];
    for (item, window, ls) in plan {
        for l in ls {
            cases.push(Case {
                no: format!("IT-{}", cases.len()),
                place: "HALL-DC",
                window,
                item: item.into(),
                finished_at: start + cases.len() as i64 * 10 * MINUTE,
            });
            levels.push(*l);
        }
    }
    push_cases(&app, &cases).await;
    let rated: Vec<(&Case, &str)> = cases.iter().zip(levels).collect();
    kiosk_rates(&app, &rated).await;
    let today = Date::of_instant(now_ms());
    let r = report(
        &app,
        "items",
        &format!("from={}&to={today}", today.add_days(-7)),
    )
    .await;
    assert_eq!(labels(&r), ["有效评价数", "差评数", "差评率"]);
    let names: Vec<&str> = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "居民身份证换领（东城区公安分局）",
            "个体工商户设立登记（东城区市场监督管理局）",
            "失业保险金申领（东城区人力资源和社会保障局）",
            "不动产首次登记（东城区不动产登记中心）",
        ]
    );
    assert_eq!(
        printed(&r, "居民身份证换领（东城区公安分局）"),
        ["1", "1", "100.00%"]
    );
    assert_eq!(
        printed(&r, "不动产首次登记（东城区不动产登记中心）"),
        ["5", "0", "0.00%"]
    );
}

/// 004 第三条: 自然人 or 法人和其他组织, said by the evaluator (phone, paper
/// form) or known by the business system for the case's applicant; the
/// export prints it, 未填写 when nobody said. A wrong value is refused
/// with a reason and stores nothing.
async fn the_evaluator_type_is_kept_from_the_rating_or_the_case_and_exported(app: TestApp) {
    let push = |cases: Value| {
        let app = &app;
        async move {
            let r = reqwest::Client::new()
                .post(app.url("/api/v1/cases"))
                .bearer_auth(server::demo::integration_token(ADMIN_PASSWORD))
                .json(&json!({ "cases": cases }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.json::<Value>().await.unwrap()
        }
    };
    let now = now_ms();
    let r = push(json!([
        { "case_no": "EV-1", "place_code": "HALL-DC", "window_code": "W01", "status": "finished",
          "applicant_type": "organisation", "started_at": now - 20 * MINUTE, "finished_at": now - 10 * MINUTE },
        { "case_no": "EV-2", "place_code": "HALL-DC", "window_code": "W01", "status": "finished",
          "applicant_type": "company" },
    ]))
    .await;
    assert_eq!(r["results"][0]["status"], "created", "{r}");
    assert_eq!(r["results"][1]["status"], "rejected", "{r}");
    assert_eq!(
        r["results"][1]["error"]["code"], "applicant_type_invalid",
        "{r}"
    );
    assert!(r["results"][1]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("法人或其他组织"));

    // The kiosk rates EV-1 without saying: the case's applicant type counts.
    let mut k = rating_for(&app.kiosk, 1, "satisfied");
    k["case_no"] = json!("EV-1");
    let resp = app.post_sync(&app.batch(vec![k])).await;
    assert_eq!(resp.status(), 200);
    // A phone rating whose evaluator said 自然人; one with a wrong value.
    let client = reqwest::Client::new();
    let cfg: RateConfig = client
        .get(app.url("/api/v1/rate/place/HALL-DC/W02"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut person = web_rating(&cfg, "very_satisfied");
    person["evaluator_type"] = json!("person");
    let mut wrong = web_rating(&cfg, "very_satisfied");
    wrong["evaluator_type"] = json!("robot");
    for (item, ok) in [(wrong, false), (person, true)] {
        let r = client
            .post(app.url("/api/v1/sync"))
            .json(
                &json!({ "device_id": cfg.device.device_id, "sent_at": now_ms(), "items": [item] }),
            )
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body = r.text().await.unwrap();
        if ok {
            assert_eq!(status, 200, "{body}");
        } else {
            assert!((400..500).contains(&status), "{status} {body}");
        }
    }
    // A paper form from a company, entered by the unit admin; and one unsaid.
    let csrf = app.login_admin().await;
    for t in [Some("organisation"), None] {
        let mut e = json!({ "id": Uuid::now_v7(), "channel": "paper", "level": "satisfied",
            "comment": "希望周末也能办理" });
        if let Some(t) = t {
            e["evaluator_type"] = json!(t);
        }
        let (s, b) = app.post_json("/api/v1/staff/entries", &csrf, &e).await;
        assert_eq!(s, 200, "{b}");
    }
    let today = Date::of_instant(now_ms());
    let csv = export_csv(&app, &format!("from={today}&to={today}")).await;
    assert!(
        csv.lines().next().unwrap().ends_with(",实名,评价人类型"),
        "{csv}"
    );
    let mut types: Vec<&str> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.rsplit(',').next())
        .collect();
    types.sort_unstable();
    assert_eq!(
        types,
        ["未填写", "法人或其他组织", "法人或其他组织", "自然人"],
        "{csv}"
    );
}
