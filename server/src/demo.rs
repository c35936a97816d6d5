//! Demo data for `make run` and the browser tests: one city, two districts,
//! a hall with four windows, departments, service items, staff, kiosks and
//! one unit administrator. Loaded only into an empty database.

use domain::{DeviceKind, Role};
use uuid::Uuid;

use crate::auth::{hash_password, random_token};
use crate::state::now_ms;
use crate::store::{CountedTable, NewStaff, Store};

pub const ADMIN_USERNAME: &str = "admin";
pub const KIOSKS: [&str; 2] = ["KIOSK-DC-01", "KIOSK-DC-02"];
/// Window pads of windows W01 and W02.
pub const PADS: [&str; 2] = ["PAD-DC-W01", "PAD-DC-W02"];
/// A demo kiosk that went silent three days ago (with the demo city).
pub const SILENT_KIOSK: &str = "KIOSK-DC-09";
pub const SUPERVISOR_USERNAME: &str = "supervisor";
pub const SYSADMIN_USERNAME: &str = "sysadmin";
/// A unit admin of another unit (西城区市场监督管理局).
pub const OTHER_UNIT_ADMIN_USERNAME: &str = "admin-xc";
/// The demo business system (一体化政务服务平台) pushing cases.
pub const INTEGRATION_SOURCE: &str = "yth";

#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub admin_username: String,
    /// `None` when the data was loaded by an earlier start.
    pub admin_password: Option<String>,
    /// (device code, fresh one-time enrolment code) of devices not yet enrolled.
    pub kiosks: Vec<(String, String)>,
    pub pads: Vec<(String, String)>,
}

/// The demo business system's token, derived from the demo password so
/// that it can be printed again on later starts.
pub fn integration_token(password: &str) -> String {
    format!(
        "yth-{}",
        &crate::auth::token_hash(&format!("integration:{password}"))[..32]
    )
}

/// Fresh enrolment codes for the demo devices that have no token yet.
async fn enrolment_codes(store: &Store, codes: &[&str]) -> anyhow::Result<Vec<(String, String)>> {
    use rand::Rng;
    let mut out = Vec::new();
    for code in codes {
        let enrolled = store
            .device_auth_by_code(code)
            .await?
            .is_some_and(|d| d.token_hash.is_some());
        let one_time = if enrolled {
            "(已启用 enrolled)".to_string()
        } else {
            let c = format!("{:08}", rand::rngs::OsRng.gen_range(0..100_000_000u32));
            store
                .set_enrol_code(
                    code,
                    &crate::auth::enrol_code_hash(store, &c).await?,
                    now_ms() + 7 * 24 * 3_600_000,
                )
                .await?;
            c
        };
        out.push((code.to_string(), one_time));
    }
    Ok(out)
}

pub async fn load(
    store: &Store,
    admin_password: Option<&str>,
    city_data_too: bool,
) -> anyhow::Result<DemoSummary> {
    if store.count(CountedTable::Regions).await? > 0 {
        return Ok(DemoSummary {
            admin_username: ADMIN_USERNAME.into(),
            admin_password: admin_password.map(str::to_string),
            kiosks: enrolment_codes(store, &KIOSKS).await?,
            pads: enrolment_codes(store, &PADS).await?,
        });
    }
    let password = admin_password
        .map(str::to_string)
        .unwrap_or_else(|| random_token()[..12].to_string());
    let admin_hash = hash_password(&password)?;
    // Every demo account has the same password.
    let staff_hash = admin_hash.clone();

    let city = store
        .insert_region("410400", "示范市", "city", None)
        .await?;
    let east = store
        .insert_region("410402", "东城区", "district", Some(city))
        .await?;
    let west = store
        .insert_region("410403", "西城区", "district", Some(city))
        .await?;
    store
        .insert_region("410402001", "东关街道", "town", Some(east))
        .await?;

    let city_depts = [
        ("CITY-SJ", "市数据局"),
        ("CITY-RS", "市人力资源和社会保障局"),
    ];
    for (code, name) in city_depts {
        store.insert_department(code, name, city).await?;
    }
    let mut east_depts = Vec::new();
    for (code, name) in [
        ("DC-SC", "东城区市场监督管理局"),
        ("DC-RS", "东城区人力资源和社会保障局"),
        ("DC-BDC", "东城区不动产登记中心"),
        ("DC-GA", "东城区公安分局"),
    ] {
        east_depts.push(store.insert_department(code, name, east).await?);
    }
    let west_sc = store
        .insert_department("XC-SC", "西城区市场监督管理局", west)
        .await?;

    for (code, name, dept) in [
        ("DC-SC-001", "个体工商户设立登记", east_depts[0]),
        ("DC-RS-001", "失业保险金申领", east_depts[1]),
        ("DC-BDC-001", "不动产首次登记", east_depts[2]),
        ("DC-GA-001", "居民身份证换领", east_depts[3]),
    ] {
        store.insert_service_item(code, name, dept).await?;
    }

    let hall = store
        .insert_place("HALL-DC", "东城区政务服务中心", "hall", east)
        .await?;
    for (i, (dept, staff_name)) in east_depts
        .iter()
        .zip(["王芳", "李强", "张敏", "刘洋"])
        .enumerate()
    {
        let n = i + 1;
        let window = store
            .insert_window(
                hall,
                &format!("W{n:02}"),
                &format!("{n}号综合受理窗口"),
                Some(*dept),
            )
            .await?;
        if let Some(pad) = PADS.get(i) {
            store
                .insert_device(
                    &Uuid::now_v7(),
                    pad,
                    DeviceKind::WindowPad,
                    hall,
                    Some(window),
                    domain::DEFAULT_DIMENSION_SET.code,
                    now_ms(),
                )
                .await?;
        }
        store
            .insert_staff(&NewStaff {
                username: &format!("window{n}"),
                display_name: staff_name,
                role: Role::WindowStaff,
                department_id: Some(*dept),
                place_id: Some(hall),
                window_id: Some(window),
                password_hash: &staff_hash,
            })
            .await?;
    }
    store
        .insert_staff(&NewStaff {
            username: ADMIN_USERNAME,
            display_name: "好差评管理员",
            role: Role::UnitAdmin,
            department_id: None,
            place_id: Some(hall),
            window_id: None,
            password_hash: &admin_hash,
        })
        .await?;
    // Another unit's administrator: sees none of the hall's tickets.
    store
        .insert_staff(&NewStaff {
            username: OTHER_UNIT_ADMIN_USERNAME,
            display_name: "西城区市场监管局好差评管理员",
            role: Role::UnitAdmin,
            department_id: Some(west_sc),
            place_id: None,
            window_id: None,
            password_hash: &admin_hash,
        })
        .await?;
    for (username, name, role) in [
        (SUPERVISOR_USERNAME, "政务服务中心督查员", Role::Supervisor),
        (SYSADMIN_USERNAME, "系统管理员", Role::SystemAdmin),
    ] {
        store
            .insert_staff(&NewStaff {
                username,
                display_name: name,
                role,
                department_id: None,
                place_id: None,
                window_id: None,
                password_hash: &admin_hash,
            })
            .await?;
    }
    store
        .insert_integration(
            INTEGRATION_SOURCE,
            "一体化政务服务平台（演示）",
            &crate::auth::token_hash(&integration_token(&password)),
            now_ms(),
        )
        .await?;
    for code in KIOSKS {
        store
            .insert_device(
                &Uuid::now_v7(),
                code,
                DeviceKind::Kiosk,
                hall,
                None,
                domain::DEFAULT_DIMENSION_SET.code,
                now_ms(),
            )
            .await?;
    }
    if city_data_too {
        city_data(store, city, &staff_hash).await?;
        // A kiosk enrolled three days ago that has not been heard from
        // since: the devices page flags it.
        let at = now_ms() - 3 * 86_400_000;
        store
            .insert_device(
                &Uuid::now_v7(),
                SILENT_KIOSK,
                DeviceKind::Kiosk,
                hall,
                None,
                domain::DEFAULT_DIMENSION_SET.code,
                at,
            )
            .await?;
        store
            .mark_enrolled(
                SILENT_KIOSK,
                &crate::auth::token_hash(&crate::auth::random_token()),
                at,
            )
            .await?;
    }
    Ok(DemoSummary {
        admin_username: ADMIN_USERNAME.into(),
        admin_password: Some(password),
        kiosks: enrolment_codes(store, &KIOSKS).await?,
        pads: enrolment_codes(store, &PADS).await?,
    })
}

/// A small city's recent ratings for the 通报 reports (`crate::generator`),
/// and a kiosk burst caught by the misuse detector, to review.
async fn city_data(store: &Store, city: i64, staff_hash: &str) -> anyhow::Result<()> {
    use domain::calendar::Date;
    use domain::report::Period;
    let today = Date::of_instant(now_ms());
    let period = Period {
        from: today.add_days(-60),
        to: today.add_days(-1),
    };
    crate::generator::generate(
        store,
        Some(city),
        crate::generator::Scale::demo(),
        period,
        staff_hash,
    )
    .await?;
    store.rebuild_rollups().await?;
    // Twelve ratings within half a minute on one kiosk: a burst.
    let kiosk = store
        .device_id_by_code("G-kiosk-00003")
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo kiosk missing"))?;
    let device = store
        .device(&kiosk)
        .await?
        .ok_or_else(|| anyhow::anyhow!("demo kiosk missing"))?;
    let at = today.add_days(-1).start_ms() + 10 * 3_600_000;
    let records: Vec<domain::RatingRecord> = (0..12)
        .map(|i| domain::RatingRecord {
            id: Uuid::now_v7(),
            device_id: kiosk,
            seq: 1_000_000 + i,
            device_time: at + i as i64 * 2_000,
            channel: domain::Channel::Kiosk,
            case_no: None,
            place_id: device.place_id,
            window_id: None,
            level: domain::Level::VerySatisfied,
            dimension_set: domain::DEFAULT_DIMENSION_SET.code.into(),
            items: vec![],
            reasons: vec![],
            comment: String::new(),
            stage: None,
            link: None,
            evaluator_phone: None,
            evaluator_id_no: None,
            evaluator_type: None,
        })
        .collect();
    let canonical: Vec<String> = records.iter().map(|r| r.canonical()).collect();
    let new: Vec<crate::store::NewRating> = records
        .iter()
        .zip(&canonical)
        .map(|(r, c)| crate::store::NewRating::plain(r, c, r.device_time))
        .collect();
    store
        .ingest(&new, now_ms(), &domain::fraud::FraudPolicy::default())
        .await?;
    Ok(())
}
