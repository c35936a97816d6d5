//! A city's quarter of ratings, shaped like the seeds (淄博 2022 Q4, seed
//! 003): districts with a hall, ~30 departments each on 条线 with the
//! seed's relative volumes, towns and villages, city departments in the
//! city hall, public-service providers, staff, cases and ratings with
//! about one third active (the rest 系统默认) and a few bad ratings per ten
//! thousand. `server generate N` writes it (then rebuilds the rollups);
//! the demo loads a small one. Deterministic for a given seed.
//!
//! Rows are written in bulk, outside the ingest path: the rollups are
//! rebuilt from them afterwards, and tickets for the bad ratings are opened
//! by the server's start-up sweep.

use crate::store::BeginWrite;
use domain::DeviceKind;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use domain::report::Period;

use crate::store::{with_pool, Store};

/// 淄博's districts (seed 003 附件1) and their 办件数, the volume weights.
pub const DISTRICTS: [(&str, u64); 11] = [
    ("张店区", 1_080_786),
    ("淄川区", 1_148_827),
    ("博山区", 355_533),
    ("周村区", 67_199),
    ("临淄区", 641_097),
    ("桓台县", 594_758),
    ("高青县", 146_960),
    ("沂源县", 717_668),
    ("高新区", 1_373_402),
    ("经开区", 98_188),
    ("文昌湖区", 9_490),
];

/// District department lines (seed 003 附件3) and their quarter's totals.
pub const LINES: [(&str, u64); 30] = [
    ("公共服务（水电气热通讯）", 1_989_842),
    ("人社局", 307_737),
    ("医疗保障局", 382_089),
    ("住房公积金", 29_213),
    ("自然资源局", 91_245),
    ("公安局", 236_168),
    ("行政审批服务局", 235_162),
    ("发改委", 2_909),
    ("教体局", 21_870),
    ("科技局", 227),
    ("工信局", 436),
    ("民政局", 62_266),
    ("司法局", 702),
    ("财政局", 432),
    ("生态环境局", 8_051),
    ("住建局", 4_060),
    ("交通局", 16_073),
    ("水利局", 509),
    ("农业农村局", 33_536),
    ("商务局", 904),
    ("文化和旅游局", 759),
    ("卫健委", 103_517),
    ("退役军人事务局", 5_270),
    ("市场监管局", 13_888),
    ("统计局", 1_179),
    ("地方金融局", 16),
    ("总工会", 9),
    ("残联", 3_301),
    ("消防救援大队", 78),
    ("气象局", 19),
];

/// City departments (seed 003 附件2) and their 办件数 (0: no rating, flagged).
pub const CITY_DEPARTMENTS: [(&str, u64); 36] = [
    ("市住房公积金", 16_979),
    ("市公安局", 71_552),
    ("市人社局", 96_911),
    ("市医疗保障局", 22_633),
    ("市行政审批服务局", 7_509),
    ("市住建局", 3_327),
    ("市场监管局", 1_686),
    ("市交通局", 9),
    ("市应急管理局", 1_928),
    ("市残联", 0),
    ("贸促会", 2_122),
    ("市生态环境局", 217),
    ("市税务局", 480),
    ("市司法局", 141),
    ("市科技局", 4),
    ("市发改委", 18),
    ("市消防救援支队", 12),
    ("市商务局", 39),
    ("市体育局", 1),
    ("市自然资源局", 739),
    ("市文化和旅游局", 9_816),
    ("市国安局", 8),
    ("市教育局", 3_662),
    ("市民政局", 0),
    ("市水利局", 80),
    ("市农业农村局", 10),
    ("市气象局", 4),
    ("市人防办", 35),
    ("市卫健委", 2),
    ("市金融监督管理局", 457),
    ("市鲁中公证处", 2_193),
    ("市供电公司", 0),
    ("市水务集团", 11_273),
    ("华润燃气", 0),
    ("市热力集团", 0),
    ("省通信行业协会淄博办事处", 1),
];

/// How big a city to make.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub districts: usize,
    /// Lines per district (the first N of [`LINES`]).
    pub lines: usize,
    pub city_departments: usize,
    pub towns_per_district: usize,
    pub villages_per_town: usize,
    pub ratings: u64,
    pub seed: u64,
    /// Of the cases not rated by a citizen, how many per thousand are left
    /// without their 系统默认 rating (for the default-rating job's bench).
    pub unrated_per_mille: u32,
}

impl Scale {
    /// 淄博, 2022 Q4: 9,069,695 ratings.
    pub fn zibo(ratings: u64) -> Scale {
        Scale {
            districts: 11,
            lines: 30,
            city_departments: 36,
            towns_per_district: 8,
            villages_per_town: 10,
            ratings,
            seed: 20224,
            unrated_per_mille: 0,
        }
    }
    /// The demo's small city.
    pub fn demo() -> Scale {
        Scale {
            districts: 4,
            lines: 8,
            city_departments: 6,
            towns_per_district: 2,
            villages_per_town: 2,
            ratings: 4000,
            seed: 7,
            unrated_per_mille: 0,
        }
    }
}

/// What was made.
#[derive(Debug, Clone, Copy)]
pub struct Generated {
    pub ratings: u64,
    pub cases: u64,
    pub windows: usize,
    pub staff: usize,
}

/// One window a case can be served at.
struct Slot {
    place: i64,
    window: i64,
    staff: i64,
    /// Service items of the window's department.
    items: Vec<i64>,
    kiosk: Option<String>,
    web: String,
    /// Staff who serve worse than the others (for 001 §12).
    weak: bool,
}

async fn exec(store: &Store, sql: &str) -> anyhow::Result<()> {
    // Not prepared for reuse: every statement here is different.
    with_pool!(store, pool => { sqlx::query(sql).persistent(false).execute(pool).await?; });
    Ok(())
}

async fn scalar(store: &Store, sql: &str) -> anyhow::Result<i64> {
    Ok(with_pool!(store, pool => sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await?))
}

fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A UUIDv7 text made at `at` (milliseconds), unique by `i`.
fn generated_id(at: i64, i: u64) -> String {
    let at = at.max(0) as u64;
    format!("{:08x}-{:04x}-7000-8000-{i:012x}", at >> 16, at & 0xffff)
}

/// Makes the organisation and a period's cases and ratings under `city`
/// (a new 淄博市 when `None`).
pub async fn generate(
    store: &Store,
    city: Option<i64>,
    scale: Scale,
    period: Period,
    staff_hash: &str,
) -> anyhow::Result<Generated> {
    let mut rng = StdRng::seed_from_u64(scale.seed);
    let now = crate::state::now_ms();
    let city = match city {
        Some(c) => c,
        None => {
            store
                .insert_region("370300", "淄博市", "city", None)
                .await?
        }
    };
    let mut slots: Vec<(Slot, f64)> = vec![];
    let mut staff_n = 0usize;
    let mut device_n = 0usize;
    let mut item_n = 0usize;
    let hash = q(staff_hash);
    // A window with its staff member, items and devices.
    macro_rules! window {
        ($place:expr, $code:expr, $name:expr, $dept:expr, $items:expr, $kiosk:expr, $web:expr, $weight:expr) => {{
            let w = store.insert_window($place, $code, $name, Some($dept)).await?;
            staff_n += 1;
            let phone = format!("186{:08}", staff_n);
            exec(store, &format!(
                "INSERT INTO staff (username, display_name, role, department_id, place_id, window_id, password_hash, phone) \
                 VALUES ('g-staff-{staff_n}', {}, 'window_staff', {}, {}, {w}, {hash}, '{phone}')",
                q(&format!("工作人员{staff_n:05}")), $dept, $place)).await?;
            let staff = scalar(store, &format!("SELECT id FROM staff WHERE username = 'g-staff-{staff_n}'")).await?;
            slots.push((Slot {
                place: $place,
                window: w,
                staff,
                items: $items,
                kiosk: $kiosk,
                web: $web,
                weak: staff_n % 23 == 0,
            }, $weight));
        }};
    }
    let mut device = |store: &Store, place: i64, kind: DeviceKind| {
        device_n += 1;
        let id = uuid::Uuid::now_v7();
        let code = format!("G-{kind}-{device_n:05}");
        let store = store.clone();
        async move {
            store
                .insert_device(
                    &id,
                    &code,
                    kind,
                    place,
                    None,
                    domain::DEFAULT_DIMENSION_SET.code,
                    now,
                )
                .await?;
            anyhow::Ok(id.to_string())
        }
    };
    let mut items_for = |store: &Store, dept: i64, dept_name: &str, n: usize| {
        let store = store.clone();
        let names: Vec<(String, String)> = (0..n)
            .map(|k| {
                item_n += 1;
                (
                    format!("G-ITEM-{item_n:05}"),
                    format!("{dept_name}事项{}", k + 1),
                )
            })
            .collect();
        async move {
            let mut ids = vec![];
            for (code, name) in names {
                ids.push(store.insert_service_item(&code, &name, dept).await?);
            }
            anyhow::Ok(ids)
        }
    };

    // City departments in the city's hall.
    let city_hall = store
        .insert_place("G-HALL-CITY", "市民中心", "hall", city)
        .await?;
    let city_kiosk = device(store, city_hall, DeviceKind::Kiosk).await?;
    let city_web = device(store, city_hall, DeviceKind::Web).await?;
    let city_total: u64 = CITY_DEPARTMENTS.iter().map(|(_, w)| w).sum();
    let total_weight: u64 = DISTRICTS.iter().take(scale.districts).map(|(_, w)| w).sum();
    // Seed 003: city departments are ~3% of the city's volume.
    let city_share = 0.03 * total_weight as f64;
    for (i, (name, w)) in CITY_DEPARTMENTS
        .iter()
        .take(scale.city_departments)
        .enumerate()
    {
        let dept = store
            .insert_department(&format!("G-C{i:02}"), name, city)
            .await?;
        let items = items_for(store, dept, name, 4).await?;
        for k in 0..2 {
            let weight = city_share * *w as f64 / city_total as f64 / 2.0;
            window!(
                city_hall,
                &format!("C{i:02}-{k}"),
                &format!("{name}{}号窗口", k + 1),
                dept,
                items.clone(),
                Some(city_kiosk.clone()),
                city_web.clone(),
                weight
            );
        }
    }
    let line_total: u64 = LINES.iter().take(scale.lines).map(|(_, w)| w).sum();
    for (d, (dname, dweight)) in DISTRICTS.iter().take(scale.districts).enumerate() {
        let district = store
            .insert_region(&format!("G-D{d:02}"), dname, "district", Some(city))
            .await?;
        let hall = store
            .insert_place(
                &format!("G-HALL-{d:02}"),
                &format!("{dname}政务服务中心"),
                "hall",
                district,
            )
            .await?;
        let kiosk = device(store, hall, DeviceKind::Kiosk).await?;
        let web = device(store, hall, DeviceKind::Web).await?;
        let dw = *dweight as f64;
        let mut line_depts: Vec<(i64, Vec<i64>)> = vec![];
        for (l, (line, lw)) in LINES.iter().take(scale.lines).enumerate() {
            let name = format!("{dname}{line}");
            let dept = store
                .insert_department(&format!("G-D{d:02}-L{l:02}"), &name, district)
                .await?;
            let code = if l == 0 {
                "public_service".to_string()
            } else {
                line.to_string()
            };
            exec(
                store,
                &format!(
                    "UPDATE departments SET line = {} WHERE id = {dept}",
                    q(&code)
                ),
            )
            .await?;
            let items = items_for(store, dept, &name, 3).await?;
            // Halls carry 90% of a district's volume.
            let weight = dw * 0.9 * *lw as f64 / line_total as f64 / 2.0;
            for k in 0..2 {
                window!(
                    hall,
                    &format!("L{l:02}-{k}"),
                    &format!("{line}{}号窗口", k + 1),
                    dept,
                    items.clone(),
                    Some(kiosk.clone()),
                    web.clone(),
                    weight
                );
            }
            line_depts.push((dept, items));
        }
        // Towns (6%) and villages (4%), served by the first lines after public service.
        let local: Vec<&(i64, Vec<i64>)> = line_depts.iter().skip(1).take(3).collect();
        for t in 0..scale.towns_per_district {
            let town = store
                .insert_region(
                    &format!("G-D{d:02}-T{t:02}"),
                    &format!("{dname}第{}镇", t + 1),
                    "town",
                    Some(district),
                )
                .await?;
            let centre = store
                .insert_place(
                    &format!("G-TC-{d:02}-{t:02}"),
                    &format!("{dname}第{}镇便民服务中心", t + 1),
                    "town_centre",
                    town,
                )
                .await?;
            let tk = device(store, centre, DeviceKind::Kiosk).await?;
            let tw = device(store, centre, DeviceKind::Web).await?;
            let weight = dw * 0.06 / (scale.towns_per_district * local.len().max(1)) as f64;
            for (k, (dept, items)) in local.iter().enumerate() {
                window!(
                    centre,
                    &format!("T{k}"),
                    &format!("综合{}号窗口", k + 1),
                    *dept,
                    items.clone(),
                    Some(tk.clone()),
                    tw.clone(),
                    weight
                );
            }
            for v in 0..scale.villages_per_town {
                let village = store
                    .insert_region(
                        &format!("G-D{d:02}-T{t:02}-V{v:02}"),
                        &format!("{dname}第{}镇{}村", t + 1, v + 1),
                        "village",
                        Some(town),
                    )
                    .await?;
                let point = store
                    .insert_place(
                        &format!("G-VP-{d:02}-{t:02}-{v:02}"),
                        &format!("{dname}第{}镇{}村便民服务站", t + 1, v + 1),
                        "village_point",
                        village,
                    )
                    .await?;
                let vw = device(store, point, DeviceKind::Web).await?;
                let weight =
                    dw * 0.04 / (scale.towns_per_district * scale.villages_per_town) as f64;
                if let Some((dept, items)) = local.first() {
                    window!(
                        point,
                        "V1",
                        "代办窗口",
                        *dept,
                        items.clone(),
                        None,
                        vw,
                        weight
                    );
                }
            }
        }
    }

    // Cases and ratings, in chunks.
    let mut cum = Vec::with_capacity(slots.len());
    let mut acc = 0.0;
    for (_, w) in &slots {
        acc += w;
        cum.push(acc);
    }
    let first_case = scalar(
        store,
        "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM cases",
    )
    .await?
        + 1;
    let end = period.to.add_days(1).start_ms();
    let days = period.days();
    let pg = store.kind() == "postgres";
    // Each rating's id carries its time, as a device's would: on PostgreSQL
    // it lands in its month's partition.
    store
        .make_rating_months(period.from.start_ms(), end)
        .await?;
    let mut made = Generated {
        ratings: 0,
        cases: 0,
        windows: slots.len(),
        staff: staff_n,
    };
    const CHUNK: u64 = 20_000;
    let mut n = 0u64;
    while n < scale.ratings {
        let m = CHUNK.min(scale.ratings - n);
        // SQL VALUES for SQLite, CSV for PostgreSQL's COPY.
        let mut case_rows = String::new();
        let mut rating_rows = String::new();
        let mut skipped = 0u64;
        for k in 0..m {
            let i = n + k;
            let case_id = first_case + i as i64;
            let r: f64 = rng.gen::<f64>() * acc;
            let s = &slots[cum.partition_point(|c| *c < r).min(slots.len() - 1)].0;
            let item = s.items[rng.gen_range(0..s.items.len())];
            let day = rng.gen_range(0..days);
            // 8:30 – 17:30 China time.
            let at =
                period.from.add_days(day).start_ms() + 30_600_000 + rng.gen_range(0..32_400_000i64);
            let active = rng.gen_bool(1.0 / 3.0);
            let (finished, rated_at) = if active {
                (at, (at + rng.gen_range(5_000..600_000)).min(end - 1))
            } else {
                (at - 7 * 86_400_000, at)
            };
            let (channel, device) = if !active {
                ("system", s.web.as_str())
            } else {
                match (rng.gen_range(0..100), &s.kiosk) {
                    (0..=39, Some(kz)) => ("kiosk", kz.as_str()),
                    (40..=64, Some(kz)) => ("window_pad", kz.as_str()),
                    (65..=79, _) => ("qr_case", s.web.as_str()),
                    (80..=94, _) => ("sms", s.web.as_str()),
                    _ => ("pc_web", s.web.as_str()),
                }
            };
            let bad = active && rng.gen_bool(9.0 / 10_000.0);
            let level = if bad {
                rng.gen_range(4..=5)
            } else if !active {
                2
            } else if s.weak && rng.gen_bool(0.4) {
                3
            } else if rng.gen_bool(0.9) {
                1
            } else {
                2 + i64::from(rng.gen_bool(0.1))
            };
            let grade = match level {
                1 | 2 => "good",
                3 => "medium",
                _ => "bad",
            };
            let kind = if active { "first" } else { "system_default" };
            let unrated = !active
                && scale.unrated_per_mille > 0
                && rng.gen_range(0..1000) < scale.unrated_per_mille;
            let phone = (channel == "sms").then(|| format!("139{:08}", i % 100_000_000));
            let (place, window, staff) = (s.place, s.window, s.staff);
            let dims = domain::DEFAULT_DIMENSION_SET.code;
            let started = finished - 600_000;
            if pg {
                let phone = phone.unwrap_or_default();
                let first = if unrated {
                    String::new()
                } else {
                    rated_at.to_string()
                };
                case_rows.push_str(&format!(
                    "{case_id},gen,G{case_id},{place},{window},{item},{staff},finished,f,{started},{finished},{finished},{finished},{first}\n"
                ));
                if unrated {
                    skipped += 1;
                    continue;
                }
                rating_rows.push_str(&format!(
                    "{},{device},{i},{channel},G{case_id},{place},{window},{level},{grade},{dims},[],[],\"\",{rated_at},{rated_at},{rated_at},{{}},{case_id},,{kind},{},,{phone},\n",
                    generated_id(rated_at, i),
                    if active { "t" } else { "f" }
                ));
            } else {
                let phone = phone.map_or("NULL".to_string(), |p| format!("'{p}'"));
                let first = if unrated {
                    "NULL".to_string()
                } else {
                    rated_at.to_string()
                };
                if !case_rows.is_empty() {
                    case_rows.push(',');
                }
                case_rows.push_str(&format!(
                    "({case_id},'gen','G{case_id}',{place},{window},{item},{staff},'finished',FALSE,{started},{finished},{finished},{finished},{first})"
                ));
                if unrated {
                    skipped += 1;
                    continue;
                }
                if !rating_rows.is_empty() {
                    rating_rows.push(',');
                }
                rating_rows.push_str(&format!(
                    "('{}','{device}',{i},'{channel}','G{case_id}',{place},{window},{level},'{grade}','{dims}','[]','[]','',{rated_at},{rated_at},{rated_at},'{{}}',{case_id},NULL,'{kind}',{},NULL,{phone},NULL)",
                    generated_id(rated_at, i),
                    if active { "TRUE" } else { "FALSE" }
                ));
            }
        }
        const CASE_COLUMNS: &str =
            "id, source, case_no, place_id, window_id, service_item_id, staff_id, status, stages, \
             started_at, finished_at, created_at, updated_at, first_rated_at";
        const RATING_COLUMNS: &str = "id, device_id, device_seq, channel, case_no, place_id, window_id, level, grade, \
             dimension_set, items, reasons, comment, device_time, rated_at, received_at, payload, case_id, stage, kind, \
             proactive, entered_by, evaluator_phone, evaluator_id_no";
        match store {
            Store::Postgres(pool) => {
                // COPY: the fast bulk path (OVERRIDING the identity of cases.id
                // is not needed with COPY; the sequence is set at the end).
                let mut tx = pool.begin_write().await?;
                for (table, columns, rows) in [
                    ("cases", CASE_COLUMNS, &case_rows),
                    ("ratings", RATING_COLUMNS, &rating_rows),
                ] {
                    let mut copy = tx
                        .copy_in_raw(&format!(
                            "COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)"
                        ))
                        .await?;
                    copy.send(rows.as_bytes()).await?;
                    copy.finish().await?;
                }
                tx.commit().await?;
            }
            Store::Sqlite(pool) => {
                let mut tx = pool.begin_write().await?;
                sqlx::query(&format!(
                    "INSERT INTO cases ({CASE_COLUMNS}) VALUES {case_rows}"
                ))
                .persistent(false)
                .execute(&mut *tx)
                .await?;
                if !rating_rows.is_empty() {
                    sqlx::query(&format!(
                        "INSERT INTO ratings ({RATING_COLUMNS}) VALUES {rating_rows}"
                    ))
                    .persistent(false)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            }
        }
        n += m;
        made.ratings += m - skipped;
        made.cases += m;
        if n % 1_000_000 < CHUNK {
            tracing::info!(ratings = n, "generating");
        }
    }
    if pg {
        exec(
            store,
            "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT MAX(id) FROM cases))",
        )
        .await?;
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::generated_id;

    /// A generated id is a UUIDv7 whose time is the rating's, as a
    /// device's is: on PostgreSQL it is routed to the rating's month.
    #[test]
    fn a_generated_id_is_a_uuid_v7_made_at_the_rating_time() {
        for (at, i) in [
            (0, 0),
            (1_764_518_400_000, 7),
            (1_798_732_800_123, u64::from(u32::MAX)),
        ] {
            let id = uuid::Uuid::parse_str(&generated_id(at, i)).unwrap();
            assert_eq!(id.get_version_num(), 7);
            let (secs, nanos) = id.get_timestamp().unwrap().to_unix();
            assert_eq!(secs as i64 * 1000 + i64::from(nanos / 1_000_000), at);
        }
        assert_ne!(generated_id(5, 1), generated_id(5, 2));
    }
}
