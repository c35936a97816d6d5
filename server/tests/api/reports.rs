//! The 通报 reports: rollups kept by every write equal a rebuild from raw
//! and the documented formula on random data; a small city shaped like
//! seed 003 附件1 gives every rate; misuse flags for each pattern, left out
//! of the figures until a supervisor reviews them; exports and access.

use std::collections::HashMap;

use domain::calendar::Date;
use domain::fraud::FraudPolicy;
use domain::metrics::{Counts, Coverage, Figures, RatingFact};
use domain::report::{Period, Table};
use domain::{Channel, CodeMap, Level, RatingKind, RatingRecord, DEFAULT_DIMENSION_SET};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use server::generator::{generate, Scale};
use server::reports::instants;
use server::state::now_ms;
use server::store::{CaseUpsert, NewRating, Store};
use uuid::Uuid;

use crate::channels::{config, sync_web, web_rating, PHONE};
use crate::helpers::TestApp;

crate::on_both_databases!(
    rollups_kept_by_every_write_equal_a_rebuild_and_the_raw_formula,
    a_small_city_shaped_like_seed_003_gives_every_rate,
    flagged_ratings_stay_out_of_the_figures_until_a_supervisor_reviews_them,
    a_long_burst_sent_in_many_batches_flags_each_rating_once_and_keeps_the_rollups_exact,
    one_write_holding_several_kiosks_bursts_flags_exactly_each_kiosks_dense_ratings,
    reports_export_with_the_seed_headings_and_the_ratings_export_streams,
    only_supervisors_and_unit_admins_read_reports_and_anyone_the_public_page,
);

// Without the web-channel limits and burst detector, which would flag the
// phones' ratings too: this test is about the other detectors.
crate::on_both_databases_with!(
    quiet_web,
    crate::reports::quiet_web;
    self_evaluation_batch_phones_and_kiosk_bursts_are_flagged_with_a_reason,
);

pub fn quiet_web(s: &mut server::config::Settings) {
    s.security.web_per_window = server::config::Quota::new(0, 1);
    s.policy.fraud.web_burst.count = 0;
    s.policy.fraud.address_burst.count = 0;
}

async fn i64s(store: &Store, sql: &str) -> Vec<i64> {
    match store {
        Store::Sqlite(p) => sqlx::query_scalar(sql).fetch_all(p).await.unwrap(),
        Store::Postgres(p) => sqlx::query_scalar(sql).fetch_all(p).await.unwrap(),
    }
}

async fn exec(store: &Store, sql: &str) {
    match store {
        Store::Sqlite(p) => {
            sqlx::query(sql).execute(p).await.unwrap();
        }
        Store::Postgres(p) => {
            sqlx::query(sql).execute(p).await.unwrap();
        }
    }
}

/// Every rollup row, sorted, zero rows left out, once the deltas are
/// folded in.
async fn rollup_rows(store: &Store) -> Vec<String> {
    store.fold_rollups().await.unwrap();
    let mut out = vec![];
    for t in ["rollup_day", "rollup_unit", "rollup_item"] {
        let sql = format!(
            "SELECT CAST(day AS TEXT) || '/' || CAST(department_id AS TEXT) || '/' || CAST(district_id AS TEXT) || '/' || \
             {} || '=' || CAST(cases AS TEXT) || ',' || CAST(rated_cases AS TEXT) || ',' || CAST(ratings AS TEXT) || ',' || \
             CAST(valid AS TEXT) || ',' || CAST(active AS TEXT) || ',' || CAST(on_site_active AS TEXT) || ',' || \
             CAST(good AS TEXT) || ',' || CAST(bad AS TEXT) || ',' || CAST(valid_bad AS TEXT) || ',' || CAST(on_site_good AS TEXT) FROM {t} \
             WHERE cases <> 0 OR rated_cases <> 0 OR ratings <> 0 OR valid <> 0 OR bad <> 0",
            match t {
                "rollup_day" => "place_kind",
                "rollup_unit" => "CAST(place_id AS TEXT) || '/' || CAST(window_id AS TEXT) || '/' || CAST(staff_id AS TEXT)",
                _ => "CAST(service_item_id AS TEXT)",
            }
        );
        let mut rows: Vec<String> = match store {
            Store::Sqlite(p) => sqlx::query_scalar(&sql).fetch_all(p).await.unwrap(),
            Store::Postgres(p) => sqlx::query_scalar(&sql).fetch_all(p).await.unwrap(),
        };
        rows.sort();
        out.push(format!("{t}: {}", rows.len()));
        out.extend(rows);
    }
    out
}

fn recent(days: i64) -> Period {
    let today = Date::of_instant(now_ms());
    Period {
        from: today.add_days(-days),
        to: today.add_days(-1),
    }
}

fn period_query(p: &Period) -> String {
    format!("from={}&to={}", p.from, p.to)
}

/// The documented formula on the raw rows: counts per district.
async fn raw_counts_by_district(app: &TestApp, p: &Period) -> HashMap<i64, Counts> {
    let (from, to) = instants(p);
    let mut out: HashMap<i64, Counts> = HashMap::new();
    for r in app.store.raw_ratings(from, to).await.unwrap() {
        let fact = RatingFact {
            level: CodeMap::Gbt39046.decode(r.level as u8).unwrap(),
            kind: RatingKind::parse(&r.kind).unwrap(),
            channel: Channel::parse(&r.channel).unwrap(),
            excluded: r.excluded,
            flagged: r.flagged,
            ticket: None,
        };
        out.entry(r.district_id)
            .or_default()
            .add(&Counts::of_rating(&fact));
    }
    for (_, _, district, rated) in app.store.raw_cases(from, to).await.unwrap() {
        out.entry(district)
            .or_default()
            .add(&Counts::of_case(rated));
    }
    let now = now_ms();
    let cal = domain::calendar::Calendar::shipped();
    let policy = domain::rectify::LoopPolicy::default();
    for t in app.store.ticket_facts(from, to).await.unwrap() {
        out.entry(t.district_id)
            .or_default()
            .add(&t.counts(now, &cal, &policy));
    }
    out
}

fn cell(row: &Value, i: usize) -> Option<f64> {
    row["cells"][i].as_f64()
}

/// Every cell of the districts table equals the formula on raw counts.
fn assert_districts_match(report: &Value, raw: &HashMap<i64, Counts>) {
    let cols = Table::Districts.columns();
    let mut seen = 0;
    for row in report["rows"].as_array().unwrap() {
        let id = row["id"].as_i64().unwrap();
        let c = raw.get(&id).copied().unwrap_or_default();
        let f = Figures::of(&c, &Coverage::default(), 0);
        for (i, (col, label)) in cols.iter().enumerate() {
            let (got, want) = (cell(row, i), col.value(&f));
            assert!(
                match (got, want) {
                    (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                    (None, None) => true,
                    _ => false,
                },
                "{} {label}: report {got:?}, raw {want:?}",
                row["name"]
            );
        }
        seen += c.ratings;
    }
    let all: u64 = raw.values().map(|c| c.ratings).sum();
    assert_eq!(seen, all, "every rating is in some district row");
}

fn record(
    device: Uuid,
    place: i64,
    window: Option<i64>,
    channel: Channel,
    level: Level,
    at: i64,
    seq: u64,
) -> RatingRecord {
    let mut rnd = [0u8; 10];
    rnd[..8].copy_from_slice(&seq.to_le_bytes());
    rnd[8..].copy_from_slice(&(place as u16).to_le_bytes());
    RatingRecord {
        id: domain::rating::new_rating_id(at as u64, &rnd),
        device_id: device,
        seq,
        device_time: at,
        channel,
        case_no: None,
        place_id: place,
        window_id: window,
        level,
        dimension_set: DEFAULT_DIMENSION_SET.code.into(),
        items: vec![],
        reasons: vec![],
        comment: String::new(),
        stage: None,
        link: None,
        evaluator_phone: None,
        evaluator_id_no: None,
        evaluator_type: None,
    }
}

async fn ingest(store: &Store, items: &[(RatingRecord, Option<i64>)]) {
    let canonical: Vec<String> = items.iter().map(|(r, _)| r.canonical()).collect();
    let new: Vec<NewRating> = items
        .iter()
        .zip(&canonical)
        .map(|((r, case), c)| NewRating {
            case_id: *case,
            ..NewRating::plain(r, c, r.device_time)
        })
        .collect();
    store
        .ingest(&new, now_ms(), &FraudPolicy::default())
        .await
        .unwrap();
}

/// Runs the jobs (as the system admin), which open the tickets of bad
/// ratings stored without going through a request.
async fn open_tickets(app: &TestApp) {
    let csrf = app.login_as(server::demo::SYSADMIN_USERNAME).await;
    let (s, b) = app
        .post_json("/api/v1/admin/jobs/run", &csrf, &json!({}))
        .await;
    assert_eq!(s, 200, "{b}");
}

async fn city_id(store: &Store) -> i64 {
    i64s(store, "SELECT id FROM regions WHERE level = 'city'").await[0]
}

/// Windows of the generated city: (window, place, staff, service item, kiosk or web device).
async fn slots(store: &Store) -> Vec<(i64, i64, i64, i64, Uuid)> {
    let sql = "SELECT w.id, w.place_id, s.id, si.id, dv.id FROM windows w \
               JOIN staff s ON s.window_id = w.id JOIN service_items si ON si.department_id = w.department_id \
               JOIN devices dv ON dv.place_id = w.place_id AND dv.code LIKE 'G-%' ORDER BY w.id, si.id, dv.code";
    let rows: Vec<(i64, i64, i64, i64, String)> = match store {
        Store::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
        Store::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
    };
    rows.into_iter()
        .map(|(w, p, s, i, d)| (w, p, s, i, Uuid::parse_str(&d).unwrap()))
        .collect()
}

async fn rollups_kept_by_every_write_equal_a_rebuild_and_the_raw_formula(app: TestApp) {
    let period = recent(40);
    let city = city_id(&app.store).await;
    let scale = Scale {
        districts: 3,
        lines: 3,
        city_departments: 2,
        towns_per_district: 1,
        villages_per_town: 1,
        ratings: 400,
        seed: 11,
        // Some generated cases left for the 系统默认 job run below.
        unrated_per_mille: 300,
    };
    generate(&app.store, Some(city), scale, period, "!")
        .await
        .unwrap();
    // On PostgreSQL the 40 days' ratings are in two or more month
    // partitions (migration 0025): the rebuild reads across them.
    if let server::store::Store::Postgres(pool) = &app.store {
        let months: i64 = sqlx::query_scalar("SELECT count(DISTINCT tableoid) FROM ratings")
            .fetch_one(pool)
            .await
            .unwrap();
        assert!(months >= 2, "{months}");
    }
    app.store.rebuild_rollups().await.unwrap();
    let slots = slots(&app.store).await;
    // Random scenarios on top, through the real write paths: ingest (with
    // cases, phones, bursts), cases finishing, tickets excluded, flags reviewed.
    for seed in 0..3u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut batch = vec![];
        let (from, _) = instants(&period);
        for k in 0..rng.gen_range(20..80) {
            let (window, place, staff, item, device) = slots[rng.gen_range(0..slots.len())];
            let at = from + rng.gen_range(0..period.days() * 86_400_000 - 3_600_000);
            let finished = rng.gen_bool(0.7);
            let case_no = format!("R{seed}-{k}");
            let (case_id, _) = app
                .store
                .upsert_case(
                    &CaseUpsert {
                        source: "prop".into(),
                        case_no: case_no.clone(),
                        place_id: place,
                        window_id: Some(window),
                        service_item_id: Some(item),
                        staff_id: Some(staff),
                        finished,
                        stages: false,
                        applicant_phone: None,
                        applicant_id_no: None,
                        applicant_type: None,
                        started_at: at - 60_000,
                        finished_at: finished.then_some(at),
                    },
                    now_ms(),
                )
                .await
                .unwrap();
            let burst = rng.gen_bool(0.1);
            for j in 0..(if burst { 11 } else { rng.gen_range(0..3) }) {
                let channel = *[
                    Channel::Kiosk,
                    Channel::WindowPad,
                    Channel::QrCase,
                    Channel::Sms,
                    Channel::System,
                    Channel::Paper,
                ]
                .get(rng.gen_range(0..6))
                .unwrap();
                let level = Level::ALL[rng.gen_range(0..5)];
                // A kiosk sends no window: the case's window counts.
                let sent_window =
                    (channel != Channel::Kiosk || rng.gen_bool(0.5)).then_some(window);
                let mut r = record(
                    device,
                    place,
                    sent_window,
                    channel,
                    level,
                    at + j * 1_000,
                    (seed << 32) + (k << 8) + j as u64,
                );
                r.case_no = Some(case_no.clone());
                if rng.gen_bool(0.3) {
                    r.evaluator_phone = Some(format!("1390000000{}", rng.gen_range(0..3)));
                }
                batch.push((r, Some(case_id)));
            }
            if !finished && rng.gen_bool(0.5) {
                app.store.finish_case(case_id, at + 5_000).await.unwrap();
            }
        }
        for chunk in batch.chunks(rng.gen_range(1..40)) {
            ingest(&app.store, chunk).await;
        }
        // The jobs' tick: tickets for the bad ones, and the 系统默认 rating
        // of every case unrated for 7 days (the generator left some).
        open_tickets(&app).await;
        let unrated = app
            .text(&format!(
                "SELECT CAST(COUNT(*) AS TEXT) FROM cases WHERE status = 'finished' \
                 AND first_rated_at IS NULL AND finished_at <= {}",
                now_ms() - 7 * 86_400_000
            ))
            .await;
        assert_eq!(unrated.as_deref(), Some("0"));
        let csrf = app.login_as(server::demo::SUPERVISOR_USERNAME).await;
        let ids = i64s(
            &app.store,
            "SELECT id FROM tickets WHERE status = 'open' ORDER BY id",
        )
        .await;
        for id in &ids {
            // Left open, found invalid (out of the figures) or valid (有效差评).
            let verdict = match rng.gen_range(0..5) {
                0 | 1 => continue,
                2 | 3 => "invalid",
                _ => "valid",
            };
            let (s, b) = app
                .post_json(
                    &format!("/api/v1/loop/tickets/{id}/steps"),
                    &csrf,
                    &json!({ "action": "contact", "reached": true, "note": "已联系" }),
                )
                .await;
            assert_eq!(s, 200, "{b}");
            let (s, b) = app
                .post_json(
                    &format!("/api/v1/loop/tickets/{id}/steps"),
                    &csrf,
                    &json!({ "action": "verify", "verdict": verdict, "note": "已核实" }),
                )
                .await;
            assert_eq!(s, 200, "{b}");
        }
        // Review some flags each way.
        let (_, flags) = app.get_json("/api/v1/flags").await;
        let pending: Vec<String> = flags["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rating_id"].as_str().unwrap().to_string())
            .collect();
        for (i, chunk) in pending.chunks(5).enumerate().filter(|_| rng.gen_bool(0.6)) {
            let verdict = if i % 2 == 0 { "genuine" } else { "fraud" };
            let (s, b) = app
                .post_json(
                    "/api/v1/flags/review",
                    &csrf,
                    &json!({ "rating_ids": chunk, "verdict": verdict, "note": "已核实" }),
                )
                .await;
            assert_eq!(s, 200, "{b}");
        }
        // The report read from the rollups equals the formula on raw rows …
        let (s, report) = app
            .get_json(&format!(
                "/api/v1/reports/districts?{}",
                period_query(&period)
            ))
            .await;
        assert_eq!(s, 200, "{report}");
        let raw = raw_counts_by_district(&app, &period).await;
        assert_districts_match(&report, &raw);
        // … and the rollups kept by all those writes equal a rebuild.
        let kept = rollup_rows(&app.store).await;
        app.store.rebuild_rollups().await.unwrap();
        let rebuilt = rollup_rows(&app.store).await;
        assert_eq!(
            kept, rebuilt,
            "seed {seed}: incremental rollups differ from a rebuild"
        );
    }
}

async fn a_small_city_shaped_like_seed_003_gives_every_rate(app: TestApp) {
    // Seed 003 附件1, scaled down: 评价数 = 办件数 where every case is rated,
    // a few active ratings, one bad one rectified on time and re-rated 满意.
    let today = Date::of_instant(now_ms());
    let period = Period {
        from: today.add_days(-30),
        to: today,
    };
    let city = city_id(&app.store).await;
    let scale = Scale {
        districts: 3,
        lines: 2,
        city_departments: 2,
        towns_per_district: 1,
        villages_per_town: 1,
        ratings: 0,
        seed: 3,
        unrated_per_mille: 0,
    };
    generate(&app.store, Some(city), scale, period, "!")
        .await
        .unwrap();
    let names = ["张店区", "淄川区", "博山区"];
    let district = |n: &str| format!("SELECT id FROM regions WHERE name = '{n}'");
    let d: Vec<i64> = futures_util::future::join_all(names.iter().map(|n| {
        let sql = district(n);
        let store = app.store.clone();
        async move { i64s(&store, &sql).await[0] }
    }))
    .await;
    // Windows by (district, line, place kind).
    let window = |district: i64, line: &str, kind: &str| {
        format!(
            "SELECT w.id FROM windows w JOIN departments dp ON dp.id = w.department_id JOIN places p ON p.id = w.place_id \
             JOIN regions g ON g.id = p.region_id WHERE dp.region_id = {district} AND COALESCE(dp.line, '') = '{line}' \
             AND p.kind = '{kind}' ORDER BY w.id"
        )
    };
    let (from, _) = instants(&period);
    let at = from + 86_400_000 + 3_600_000 * 2;
    let mut seq = 0u64;
    // (window, item of its department, place, staff, device)
    async fn slot(app: &TestApp, window: i64) -> (i64, i64, i64, Uuid) {
        let sql = format!(
            "SELECT si.id, w.place_id, s.id FROM windows w JOIN service_items si ON si.department_id = w.department_id \
             JOIN staff s ON s.window_id = w.id WHERE w.id = {window} ORDER BY si.id"
        );
        let rows: Vec<(i64, i64, i64)> = match &app.store {
            Store::Sqlite(p) => sqlx::query_as(&sql).fetch_all(p).await.unwrap(),
            Store::Postgres(p) => sqlx::query_as(&sql).fetch_all(p).await.unwrap(),
        };
        let (item, place, staff) = rows[0];
        let device: String = match &app.store {
            Store::Sqlite(p) => sqlx::query_scalar(&format!(
                "SELECT id FROM devices WHERE place_id = {place} ORDER BY kind LIMIT 1"
            ))
            .fetch_one(p)
            .await
            .unwrap(),
            Store::Postgres(p) => sqlx::query_scalar(&format!(
                "SELECT id FROM devices WHERE place_id = {place} ORDER BY kind LIMIT 1"
            ))
            .fetch_one(p)
            .await
            .unwrap(),
        };
        (item, place, staff, Uuid::parse_str(&device).unwrap())
    }
    // cases: (district index, line, place kind, item index, how many, how rated)
    // rated: 'a' active kiosk 非常满意, 'q' active qr_case 满意, 's' system default 满意,
    // 'b' active kiosk 不满意, '-' not rated.
    let plan: &[(usize, &str, &str, &str)] = &[
        (0, "人社局", "hall", "aaaassssssss"),    // 12 cases, 4 active
        (0, "人社局", "hall", "b"),               // 1 bad (active)
        (0, "public_service", "hall", "qssss s"), // 6 cases (space: not a case)
        (0, "人社局", "town_centre", "a"),
        (0, "人社局", "village_point", "s"),
        (1, "人社局", "hall", "aqsss"),
        (1, "public_service", "hall", "--"), // 2 cases, never rated
        (1, "人社局", "town_centre", "b"),
    ];
    let mut ratings = vec![];
    for (di, line, kind, marks) in plan {
        let windows = i64s(&app.store, &window(d[*di], line, kind)).await;
        let w = windows[0];
        let (item, place, staff, device) = slot(&app, w).await;
        for m in marks.chars().filter(|c| *c != ' ') {
            seq += 1;
            // Unrated cases finished an hour ago: not yet due a 系统默认 rating.
            let t = if m == '-' {
                now_ms() - 3_600_000
            } else {
                at + seq as i64 * 120_000
            };
            let case_no = format!("S{seq}");
            let (case_id, _) = app
                .store
                .upsert_case(
                    &CaseUpsert {
                        source: "s003".into(),
                        case_no: case_no.clone(),
                        place_id: place,
                        window_id: Some(w),
                        service_item_id: Some(item),
                        staff_id: Some(staff),
                        finished: true,
                        stages: false,
                        applicant_phone: None,
                        applicant_id_no: None,
                        applicant_type: None,
                        started_at: t - 60_000,
                        finished_at: Some(t),
                    },
                    now_ms(),
                )
                .await
                .unwrap();
            let (channel, level) = match m {
                'a' => (Channel::Kiosk, Level::VerySatisfied),
                'q' => (Channel::QrCase, Level::Satisfied),
                's' => (Channel::System, Level::Satisfied),
                'b' => (Channel::Kiosk, Level::Dissatisfied),
                _ => continue,
            };
            let mut r = record(device, place, Some(w), channel, level, t + 30_000, seq);
            r.case_no = Some(case_no);
            let kind = (m == 's').then_some(RatingKind::SystemDefault);
            ratings.push((r, Some(case_id), kind));
        }
    }
    let canonical: Vec<String> = ratings.iter().map(|(r, ..)| r.canonical()).collect();
    let new: Vec<NewRating> = ratings
        .iter()
        .zip(&canonical)
        .map(|((r, case, kind), c)| NewRating {
            case_id: *case,
            preset_kind: *kind,
            ..NewRating::plain(r, c, r.device_time)
        })
        .collect();
    app.store
        .ingest(&new, now_ms(), &FraudPolicy::default())
        .await
        .unwrap();
    open_tickets(&app).await;
    // 张店区's bad rating: rectified on time, re-rated 满意 (GB/T code 2);
    // 淄川区's: still within its deadline, not rectified.
    exec(
        &app.store,
        &format!(
            "UPDATE tickets SET status = 'closed', verdict = 'valid', archived_at = opened_at + 1000, \
             on_time = TRUE, rectify_due = opened_at + 86400000, feedback_level = 2 WHERE place_id IN \
             (SELECT p.id FROM places p WHERE p.region_id = {})",
            d[0]
        ),
    )
    .await;
    app.login_as(server::demo::SUPERVISOR_USERNAME).await;
    let q = period_query(&period);
    let get = |code: &str| {
        let sep = if code.contains('?') { '&' } else { '?' };
        let url = format!("/api/v1/reports/{code}{sep}{q}");
        let app = &app;
        async move {
            let (s, r) = app.get_json(&url).await;
            assert_eq!(s, 200, "{url}: {r}");
            r
        }
    };
    let row = |r: &Value, name: &str| -> Vec<Option<f64>> {
        r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == name)
            .unwrap_or_else(|| panic!("no row {name} in {}", r["code"]))["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(Value::as_f64)
            .collect()
    };
    let some = |v: f64| Some(v);

    // 附件1: 区县 办件数 评价数 评价率 主动评价数 差评数 整改满意率.
    let r = get("districts").await;
    let labels: Vec<&str> = r["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        [
            "办件数",
            "评价数",
            "评价率",
            "主动评价数",
            "差评数",
            "整改满意率"
        ]
    );
    assert_eq!(
        row(&r, "张店区"),
        [
            some(21.0),
            some(21.0),
            some(100.0),
            some(7.0),
            some(1.0),
            some(100.0)
        ]
    );
    assert_eq!(
        row(&r, "淄川区"),
        [some(8.0), some(6.0), some(75.0), some(3.0), some(1.0), None]
    );
    let bs = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "博山区")
        .unwrap();
    assert_eq!(bs["zero"], true, "博山区 has no rating: flagged");
    assert_eq!(row(&r, "博山区")[2], None, "评价率 over no case is /");
    // 000 附件2: 有效评价总数 主动评价率 评价覆盖事项率 评价覆盖部门率 差评总数 差评按期整改率.
    let r = get("district_summary").await;
    // 张店区: 有效评价总数 is the active count (7 of 21 ratings; 14 系统默认);
    // items with cases 2 (人社 item, public-service item), both rated;
    // departments with cases 2, both rated; 1 bad, rectified on time.
    assert_eq!(
        row(&r, "张店区"),
        [
            some(7.0),
            some(7.0 * 100.0 / 21.0),
            some(100.0),
            some(100.0),
            some(1.0),
            some(100.0)
        ]
    );
    // 淄川区: public service's 2 cases unrated: coverage 1 of 2; its bad one,
    // never contacted nor verified for four weeks, is past its assessed
    // deadline (2 working days to contact, then 15): due and late.
    assert_eq!(
        row(&r, "淄川区"),
        [
            some(3.0),
            some(3.0 * 100.0 / 8.0),
            some(50.0),
            some(50.0),
            some(1.0),
            some(0.0)
        ]
    );
    // 附件4: 镇级/村级 评价总数 差评数量 按时整改数量.
    let r = get("grassroots").await;
    assert_eq!(
        row(&r, "张店区"),
        [
            some(1.0),
            some(0.0),
            some(0.0),
            some(1.0),
            some(0.0),
            some(0.0)
        ]
    );
    assert_eq!(
        row(&r, "淄川区"),
        [
            some(1.0),
            some(1.0),
            some(0.0),
            some(0.0),
            some(0.0),
            some(0.0)
        ]
    );
    // 附件5: 公共服务 评价数 and 总量占比 (6 of 6: 张店区 100%, 淄川区 0).
    let r = get("public_service").await;
    assert_eq!(row(&r, "张店区"), [some(6.0), some(100.0)]);
    assert_eq!(row(&r, "淄川区"), [some(0.0), some(0.0)]);
    assert_eq!(r["total"]["cells"][0], 6.0);
    // 附件3: lines × districts, 评价数.
    let r = get("matrix").await;
    let rs = row(&r, "人社局");
    let col = |name: &str| {
        r["columns"]
            .as_array()
            .unwrap()
            .iter()
            .position(|c| c["label"] == name)
            .unwrap()
    };
    assert_eq!(
        (rs[col("张店区")], rs[col("淄川区")], rs[col("博山区")]),
        (some(15.0), some(6.0), some(0.0))
    );
    assert_eq!(
        row(&r, "公共服务（水电气热通讯）")[col("张店区")],
        some(6.0)
    );
    // 002 附件3: A M P P/M D T for the month(s).
    let r = get("monthly").await;
    let cells = row(&r, "张店区");
    let sum = |k: usize| -> f64 { cells.chunks(6).map(|m| m[k].unwrap_or(0.0)).sum() };
    assert_eq!(
        (sum(0), sum(1), sum(2), sum(4), sum(5)),
        (21.0, 21.0, 7.0, 1.0, 1.0),
        "A M P D T (P: 5 hall kiosk, 1 qr_case, 1 town kiosk)"
    );
    // 附件2: the city departments have no rating at all: flagged.
    let r = get("departments").await;
    assert!(r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["zero"] == true));
    // The drill-down reaches the staff member of the bad rating.
    let r = get(&format!("district_departments?district={}", d[0])).await;
    let rs = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "张店区人社局")
        .unwrap()
        .clone();
    let drill = rs["drill"].as_str().unwrap().to_string();
    let r = get(&drill).await;
    let w = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["cells"][1].as_f64() == Some(13.0))
        .unwrap_or_else(|| panic!("{r}"))
        .clone();
    let r = get(w["drill"].as_str().unwrap()).await;
    assert_eq!(
        r["rows"][0]["cells"][1], 13.0,
        "the window's one staff member has its 13 ratings"
    );
}

async fn self_evaluation_batch_phones_and_kiosk_bursts_are_flagged_with_a_reason(app: TestApp) {
    // 自评: the system admin records window1's own phone; a rating with it
    // at window1's window is flagged, one with another unit's admin's phone is not.
    let csrf = app.login_as(server::demo::SYSADMIN_USERNAME).await;
    let window1 = i64s(
        &app.store,
        "SELECT id FROM staff WHERE username = 'window1'",
    )
    .await[0];
    let account = |phone: &str| {
        json!({ "username": "window1", "display_name": "王芳", "role": "window_staff", "place_code": "HALL-DC",
                "window_code": "W01", "department_code": "DC-SC", "phone": phone })
    };
    let put = |body: Value| {
        app.client
            .put(app.url(&format!("/api/v1/admin/staff/{window1}")))
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
    };
    let r = put(account("1391234")).await.unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "phone_invalid"
    );
    let r = put(account(PHONE)).await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    exec(
        &app.store,
        "UPDATE staff SET phone = '13800000009' WHERE username = 'admin-xc'",
    )
    .await;
    app.login_as(server::demo::SUPERVISOR_USERNAME).await;
    let web = config(&app, "/api/v1/rate/place/HALL-DC/W01").await;
    let mut own = web_rating(&web, "very_satisfied");
    own["evaluator_phone"] = json!(PHONE);
    let mut other = web_rating(&web, "very_satisfied");
    other["evaluator_phone"] = json!("13800000009");
    let (s, b) = sync_web(&app, &web, vec![own.clone(), other.clone()]).await;
    assert_eq!(s, 200, "{b}");
    // 批量评价: one phone, 5 ratings within the hour; another phone, 4.
    let mut batch = vec![];
    for (phone, n) in [("13700000001", 5), ("13700000002", 4)] {
        for _ in 0..n {
            let mut r = web_rating(&web, "satisfied");
            r["evaluator_phone"] = json!(phone);
            batch.push(r);
        }
    }
    // A phone sends a handful at a time.
    for part in batch.chunks(5) {
        let (s, b) = sync_web(&app, &web, part.to_vec()).await;
        assert_eq!(s, 200, "{b}");
    }
    // Kiosk bursts: 12 within 30 s; on the other kiosk 9 within a minute.
    let t0 = now_ms() - 600_000;
    let burst: Vec<Value> = (0..12)
        .map(|i| {
            let mut r = app.rating(i + 1, "very_satisfied");
            r["device_time"] = json!(t0 + i as i64 * 2_500);
            r
        })
        .collect();
    let r = app.post_sync(&app.batch(burst)).await;
    assert_eq!(r.status(), 200);
    let calm: Vec<Value> = (0..9)
        .map(|i| {
            let mut r = crate::helpers::rating_for(&app.other_kiosk, i + 1, "very_satisfied");
            r["device_time"] = json!(t0 + i as i64 * 6_000);
            r
        })
        .collect();
    let body =
        json!({ "device_id": app.other_kiosk.device_id, "sent_at": now_ms(), "items": calm });
    assert_eq!(app.post_sync(&body).await.status(), 200);

    let (s, list) = app.get_json("/api/v1/flags").await;
    assert_eq!(s, 200, "{list}");
    let flags = list["flags"].as_array().unwrap();
    let by = |reason: &str| {
        flags
            .iter()
            .filter(|f| f["reasons"].as_array().unwrap().iter().any(|r| r == reason))
            .count()
    };
    assert_eq!(by("self_evaluation"), 1, "{list}");
    assert_eq!(by("batch_phone"), 5);
    assert_eq!(by("device_burst"), 12);
    assert_eq!(list["pending"], 18);
    let own_flag = flags.iter().find(|f| f["rating_id"] == own["id"]).unwrap();
    assert!(
        own_flag["detail"].as_str().unwrap().contains("自评"),
        "{own_flag}"
    );
    assert_eq!(own_flag["evaluator_phone"], "139****5678", "masked");
    assert!(!list.to_string().contains(PHONE));
    // Nothing was deleted: all 32 ratings are stored.
    assert_eq!(
        i64s(&app.store, "SELECT COUNT(*) FROM ratings").await[0],
        2 + 9 + 12 + 9
    );
}

async fn flagged_ratings_stay_out_of_the_figures_until_a_supervisor_reviews_them(app: TestApp) {
    let t0 = now_ms() - 600_000;
    let burst: Vec<Value> = (0..12)
        .map(|i| {
            let mut r = app.rating(
                i + 1,
                if i < 10 {
                    "very_satisfied"
                } else {
                    "very_dissatisfied"
                },
            );
            r["device_time"] = json!(t0 + i as i64 * 1_000);
            r
        })
        .collect();
    assert_eq!(app.post_sync(&app.batch(burst)).await.status(), 200);
    let today = Date::of_instant(now_ms());
    let q = format!("from={}&to={}", today.add_days(-1), today);
    let csrf = app.login_as(server::demo::SUPERVISOR_USERNAME).await;
    let east = |r: &Value| -> Value {
        r["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["name"] == "东城区")
            .unwrap()
            .clone()
    };
    // 有效评价总数 0 of 12 (评价数 and 差评数 keep the raw totals).
    let (_, r) = app
        .get_json(&format!("/api/v1/reports/district_summary?{q}"))
        .await;
    assert_eq!(
        (east(&r)["cells"][0].as_f64(), east(&r)["cells"][4].as_f64()),
        (Some(0.0), Some(2.0)),
        "{r}"
    );
    let (_, r) = app
        .get_json(&format!("/api/v1/reports/districts?{q}"))
        .await;
    assert_eq!(east(&r)["cells"][1], 12.0);

    let (_, list) = app.get_json("/api/v1/flags").await;
    let ids: Vec<String> = list["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rating_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 12);
    // A note is required; only supervisors review.
    let (s, b) = app
        .post_json(
            "/api/v1/flags/review",
            &csrf,
            &json!({ "rating_ids": ids, "verdict": "genuine", "note": " " }),
        )
        .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (422, Some("note_required"))
    );
    let (s, _) = app
        .post_json(
            "/api/v1/flags/review",
            &csrf,
            &json!({ "rating_ids": ids, "verdict": "maybe", "note": "x" }),
        )
        .await;
    assert_eq!(s, 422);
    let admin_csrf = app.login_admin().await;
    let (s, _) = app
        .post_json(
            "/api/v1/flags/review",
            &admin_csrf,
            &json!({ "rating_ids": ids, "verdict": "genuine", "note": "x" }),
        )
        .await;
    assert_eq!(s, 403);
    assert_eq!(app.get_json("/api/v1/flags").await.0, 403);

    // Eight genuine (counted again), four fraud (stay out).
    let csrf = app.login_as(server::demo::SUPERVISOR_USERNAME).await;
    let (s, b) = app.post_json("/api/v1/flags/review", &csrf, &json!({ "rating_ids": ids[..8], "verdict": "genuine", "note": "现场核实为群众正常评价" })).await;
    assert_eq!((s, b["reviewed"].as_u64()), (200, Some(8)));
    let (s, b) = app
        .post_json(
            "/api/v1/flags/review",
            &csrf,
            &json!({ "rating_ids": ids[8..], "verdict": "fraud", "note": "工作人员代评" }),
        )
        .await;
    assert_eq!((s, b["reviewed"].as_u64()), (200, Some(4)));
    // Reviewing again changes nothing.
    let (_, b) = app
        .post_json(
            "/api/v1/flags/review",
            &csrf,
            &json!({ "rating_ids": ids, "verdict": "genuine", "note": "再次" }),
        )
        .await;
    assert_eq!(b["reviewed"], 0);
    let (_, r) = app
        .get_json(&format!("/api/v1/reports/district_summary?{q}"))
        .await;
    assert_eq!(east(&r)["cells"][0].as_f64(), Some(8.0), "{r}");
    let (_, list) = app.get_json("/api/v1/flags?status=reviewed").await;
    let reviewed = list["flags"].as_array().unwrap();
    assert_eq!(reviewed.len(), 12);
    assert_eq!(
        reviewed.iter().filter(|f| f["verdict"] == "fraud").count(),
        4
    );
    assert!(reviewed
        .iter()
        .all(|f| f["reviewed_by"] == "政务服务中心督查员" && f["review_note"].is_string()));
    assert_eq!(app.get_json("/api/v1/flags").await.1["pending"], 0);
    // The rollups still equal a rebuild.
    let kept = rollup_rows(&app.store).await;
    app.store.rebuild_rollups().await.unwrap();
    assert_eq!(kept, rollup_rows(&app.store).await);
}

/// A merged write holds the batches of many kiosks, whose bursts are read
/// together (on PostgreSQL in one statement, stop 39): each kiosk's flags
/// are exactly those a detector over that kiosk's own history sets, every
/// rating flagged once, none borrowed from another kiosk's neighbours.
async fn one_write_holding_several_kiosks_bursts_flags_exactly_each_kiosks_dense_ratings(
    app: TestApp,
) {
    let kiosks = crate::load::enrol_kiosks(&app, 3).await;
    let policy = FraudPolicy::default().device_burst;
    let t0 = now_ms() - 3_600_000;
    // Per kiosk, gaps between ratings (ms): one in a steady burst, one
    // calm, one calm then a burst that starts in the second write. The
    // three share their times, so a read that mixed kiosks would find
    // bursts in the calm one.
    let gaps: [Vec<i64>; 3] = [
        vec![2_000; 24],
        vec![7_000; 24],
        (0..24).map(|i| if i < 9 { 7_000 } else { 1_500 }).collect(),
    ];
    let times: Vec<Vec<i64>> = gaps
        .iter()
        .map(|g| {
            g.iter()
                .scan(t0, |at, gap| {
                    *at += gap;
                    Some(*at)
                })
                .collect()
        })
        .collect();
    let records: Vec<Vec<RatingRecord>> = kiosks
        .iter()
        .zip(&times)
        .enumerate()
        .map(|(k, ((config, _), times))| {
            times
                .iter()
                .enumerate()
                .map(|(i, at)| RatingRecord {
                    // Kiosks share times and sequence numbers, not ids.
                    id: domain::rating::new_rating_id(
                        *at as u64,
                        &[k as u8, i as u8, 7, 0, 0, 0, 0, 0, 0, 1],
                    ),
                    ..record(
                        config.device_id,
                        config.place_id,
                        None,
                        Channel::Kiosk,
                        Level::Satisfied,
                        *at,
                        i as u64 + 1,
                    )
                })
                .collect()
        })
        .collect();
    // The first 12 of each kiosk, one write per kiosk; then the other 12
    // of all three in one write.
    for kiosk in &records {
        let first: Vec<(RatingRecord, Option<i64>)> =
            kiosk[..12].iter().map(|r| (r.clone(), None)).collect();
        ingest(&app.store, &first).await;
    }
    let merged: Vec<(RatingRecord, Option<i64>)> = records
        .iter()
        .flat_map(|kiosk| kiosk[12..].iter().map(|r| (r.clone(), None)))
        .collect();
    ingest(&app.store, &merged).await;
    let mut expected: Vec<String> = records
        .iter()
        .zip(&times)
        .flat_map(|(kiosk, times)| {
            kiosk
                .iter()
                .zip(domain::fraud::in_dense_window(times, policy))
                .filter(|(_, hit)| *hit)
                .map(|(r, _)| r.id.to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    expected.sort();
    assert!(!expected.is_empty());
    let flagged: Vec<String> = match &app.store {
        Store::Sqlite(p) => sqlx::query_scalar(
            "SELECT rating_id FROM rating_flags WHERE reason = 'device_burst' ORDER BY rating_id",
        )
        .fetch_all(p)
        .await
        .unwrap(),
        Store::Postgres(p) => sqlx::query_scalar(
            "SELECT rating_id FROM rating_flags WHERE reason = 'device_burst' ORDER BY rating_id",
        )
        .fetch_all(p)
        .await
        .unwrap(),
    };
    assert_eq!(flagged, expected);
    // The calm kiosk has none; the other two have some in both writes.
    let of = |k: usize, range: std::ops::Range<usize>| {
        records[k][range]
            .iter()
            .filter(|r| flagged.contains(&r.id.to_string()))
            .count()
    };
    assert_eq!(of(1, 0..24), 0);
    assert!(of(0, 0..12) > 0 && of(0, 12..24) > 0);
    assert!(of(2, 12..24) > 0);
}

async fn a_long_burst_sent_in_many_batches_flags_each_rating_once_and_keeps_the_rollups_exact(
    app: TestApp,
) {
    // A calm start (7 s apart), then a long burst (2 s apart), then calm
    // again: 90 ratings in 18 batches of 5, each batch a separate sync.
    let t0 = now_ms() - 3_600_000;
    let mut at = t0;
    let times: Vec<i64> = (0..90)
        .map(|i| {
            at += if (20..70).contains(&i) { 2_000 } else { 7_000 };
            at
        })
        .collect();
    let ids: Vec<String> = (0..90).map(|_| Uuid::now_v7().to_string()).collect();
    let policy = FraudPolicy::default().device_burst;
    let csrf = app.login_as(server::demo::SUPERVISOR_USERNAME).await;
    for b in 0..18usize {
        let items: Vec<Value> = (b * 5..b * 5 + 5)
            .map(|i| {
                let mut r = app.rating(
                    i as u64 + 1,
                    if i % 9 == 0 {
                        "dissatisfied"
                    } else {
                        "satisfied"
                    },
                );
                r["id"] = json!(ids[i]);
                r["device_time"] = json!(times[i]);
                r
            })
            .collect();
        let r = app.post_sync(&app.batch(items)).await;
        assert_eq!(r.status(), 200);
        // After each batch: exactly the ratings a detector over the whole
        // history so far marks, each flagged once.
        let sent = b * 5 + 5;
        let expected = domain::fraud::in_dense_window(&times[..sent], policy);
        let n = expected.iter().filter(|x| **x).count();
        let counts = i64s(
            &app.store,
            "SELECT CAST(COUNT(*) AS BIGINT) FROM rating_flags WHERE reason = 'device_burst' GROUP BY rating_id",
        )
        .await;
        assert_eq!(counts.len(), n, "batch {b}");
        assert!(counts.iter().all(|c| *c == 1));
        for (i, hit) in expected.iter().enumerate() {
            let has = app
                .text(&format!(
                    "SELECT rating_id FROM rating_flags WHERE reason = 'device_burst' AND rating_id = '{}'",
                    ids[i]
                ))
                .await
                .is_some();
            assert_eq!(has, *hit, "batch {b}, rating {i}");
        }
        // Halfway, a supervisor finds the flags so far genuine: later
        // batches leave those verdicts alone.
        if b == 8 {
            let (_, list) = app.get_json("/api/v1/flags").await;
            let pending: Vec<String> = list["flags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["rating_id"].as_str().unwrap().to_string())
                .collect();
            assert!(!pending.is_empty());
            let (s, body) = app
                .post_json(
                    "/api/v1/flags/review",
                    &csrf,
                    &json!({ "rating_ids": pending, "verdict": "genuine", "note": "排队高峰" }),
                )
                .await;
            assert_eq!(s, 200, "{body}");
        }
    }
    let genuine = app
        .text("SELECT CAST(COUNT(*) AS TEXT) FROM rating_flags WHERE verdict = 'genuine'")
        .await
        .unwrap();
    assert_ne!(genuine, "0");
    let pending = app
        .text("SELECT CAST(COUNT(*) AS TEXT) FROM rating_flags WHERE verdict IS NULL")
        .await
        .unwrap();
    let total = domain::fraud::in_dense_window(&times, policy)
        .iter()
        .filter(|x| **x)
        .count();
    assert_eq!(
        genuine.parse::<usize>().unwrap() + pending.parse::<usize>().unwrap(),
        total
    );
    // The report counts the genuine ones and the unflagged ones as valid.
    let today = Date::of_instant(now_ms());
    let q = format!("from={}&to={}", today.add_days(-1), today);
    let (_, r) = app
        .get_json(&format!("/api/v1/reports/district_summary?{q}"))
        .await;
    let east = r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["name"] == "东城区")
        .unwrap()
        .clone();
    assert_eq!(
        east["cells"][0].as_f64(),
        Some((90 - pending.parse::<usize>().unwrap()) as f64),
        "{r}"
    );
    // The rollups kept batch by batch equal a rebuild from scratch.
    let kept = rollup_rows(&app.store).await;
    app.store.rebuild_rollups().await.unwrap();
    assert_eq!(kept, rollup_rows(&app.store).await);
}

async fn reports_export_with_the_seed_headings_and_the_ratings_export_streams(app: TestApp) {
    // 3000 kiosk ratings, 7 s apart (no burst).
    let t0 = now_ms() - 3000 * 7_000 - 60_000;
    for chunk in 0..6u64 {
        let items: Vec<Value> = (0..500)
            .map(|i| {
                let n = chunk * 500 + i;
                let mut r = app.rating(n + 1, "very_satisfied");
                r["device_time"] = json!(t0 + n as i64 * 7_000);
                r
            })
            .collect();
        assert_eq!(app.post_sync(&app.batch(items)).await.status(), 200);
    }
    app.login_as(server::demo::SUPERVISOR_USERNAME).await;
    let today = Date::of_instant(now_ms());
    let q = format!("from={}&to={}", today.add_days(-2), today);
    let r = app
        .client
        .get(app.url(&format!("/api/v1/reports/districts?{q}&format=csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let text = r.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next().unwrap(),
        "\u{FEFF}序号,区县,办件数,评价数,评价率,主动评价数,差评数,整改满意率"
    );
    assert!(text.contains("东城区,0,3000,/,3000,0,/"), "{text}");
    let r = app
        .client
        .get(app.url(&format!("/api/v1/reports/monthly?{q}&format=xlsx")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
    let r = app
        .client
        .get(app.url(&format!("/api/v1/reports/districts?{q}&format=pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);

    // The streamed export: one line per rating, no evaluator identity.
    let r = app
        .client
        .get(app.url(&format!("/api/v1/exports/ratings?{q}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers().get("content-length").is_none(),
        "streamed, not buffered"
    );
    let text = r.text().await.unwrap();
    assert!(text.starts_with("\u{FEFF}评价编号,评价时间,渠道,评价等级"));
    assert_eq!(text.lines().count(), 3001);
    assert!(
        text.lines()
            .nth(1)
            .unwrap()
            .contains(",自助终端,非常满意,首次评价,是,东城区,东城区政务服务中心,"),
        "{}",
        text.lines().nth(1).unwrap()
    );
    // Through a browser's Accept-Encoding: compressed, and whole (the
    // compressing body polled the finished stream once more, which cut
    // it after the heading).
    let r = app
        .client
        .get(app.url(&format!("/api/v1/exports/ratings?{q}")))
        .header("accept-encoding", "br")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-encoding"], "br");
    let packed = r.bytes().await.unwrap();
    let mut unpacked = vec![];
    brotli::BrotliDecompress(&mut &packed[..], &mut unpacked).unwrap();
    assert_eq!(String::from_utf8(unpacked).unwrap(), text);
}

async fn only_supervisors_and_unit_admins_read_reports_and_anyone_the_public_page(app: TestApp) {
    let anon = reqwest::Client::new();
    let r = anon
        .get(app.url("/api/v1/reports/districts"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = anon
        .get(app.url("/api/v1/public/results?quarter=2026-Q4"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let public: Value = r.json().await.unwrap();
    assert_eq!(public["code"], "public");
    assert!(public["rows"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["name"] == "东城区市场监督管理局"));
    let r = anon
        .get(app.url("/api/v1/public/results?quarter=2026-Q9"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"]["code"], "period_invalid");
    assert!(b["error"]["message"].as_str().unwrap().contains("季度"));

    app.login_as("window1").await;
    assert_eq!(app.get_json("/api/v1/reports/districts").await.0, 403);
    assert_eq!(
        app.get_json("/api/v1/exports/ratings?quarter=2026-Q4")
            .await
            .0,
        403
    );
    app.login_admin().await;
    assert_eq!(
        app.get_json("/api/v1/reports/districts?quarter=2026-Q4")
            .await
            .0,
        200
    );
    assert_eq!(
        app.get_json("/api/v1/reports/bottom_staff?quarter=2026-Q4")
            .await
            .0,
        403,
        "named staff: supervisors only"
    );
    let (s, list) = app.get_json("/api/v1/reports").await;
    assert_eq!(s, 200);
    assert!(list.as_array().unwrap().len() >= 9);
    app.login_as(server::demo::SUPERVISOR_USERNAME).await;
    assert_eq!(
        app.get_json("/api/v1/reports/nothing?quarter=2026-Q4")
            .await
            .0,
        404
    );
    assert_eq!(
        app.get_json("/api/v1/reports/windows?quarter=2026-Q4")
            .await
            .0,
        422,
        "needs a department"
    );
    assert_eq!(
        app.get_json("/api/v1/reports/bottom_staff?quarter=2026-Q4")
            .await
            .0,
        200
    );
}
