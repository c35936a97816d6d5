//! The 通报 tables, read from the rollups (never the raw ratings) plus the
//! tickets of the period (a few per ten thousand ratings), and built by
//! `domain::report`. Handlers in `routes::reports` stay thin.

use std::collections::{BTreeMap, HashMap};

use app::api::types::Report;
use domain::metrics::{Counts, Coverage, Figures};
use domain::report::{self as rep, Period, Table, Unit};
use domain::Role;

use crate::config::Policy;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{KeyedCounts, OrgUnit, Rollup, SumQuery, TicketFactRow};

/// The drill-down parameters.
#[derive(Debug, Clone, Copy, Default)]
pub struct Params {
    pub district: Option<i64>,
    pub department: Option<i64>,
    pub window: Option<i64>,
}

/// The first and last instant (ms) of a period, China time.
pub fn instants(p: &Period) -> (i64, i64) {
    (p.from.start_ms(), p.to.add_days(1).start_ms())
}

type Grouped = HashMap<(i64, i64), Counts>;

fn group(rows: Vec<KeyedCounts>) -> Grouped {
    let mut out: Grouped = HashMap::new();
    for r in rows {
        out.entry((r.k1, r.k2)).or_default().add(&r.counts);
    }
    out
}

fn missing(what: &str) -> ApiError {
    ApiError::Unprocessable {
        code: "report_parameter",
        zh: format!("此报表需要指定{what}"),
        en: format!("This report needs a {what} parameter"),
    }
}

fn name_of(units: &[OrgUnit], id: i64, none: &str) -> String {
    units
        .iter()
        .find(|u| u.id == id)
        .map(|u| u.name.clone())
        .unwrap_or_else(|| {
            if id == 0 {
                none.into()
            } else {
                format!("#{id}")
            }
        })
}

/// Units to list: the active ones `keep` selects, plus any with data.
/// `none` names the row of id 0 (no unit: city-level places for
/// districts, a rating with no window …).
fn rows_for(
    units: &[OrgUnit],
    keep: impl Fn(&OrgUnit) -> bool,
    with_data: &[i64],
    none: &str,
) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = units
        .iter()
        .filter(|u| (u.active && keep(u)) || with_data.contains(&u.id))
        .map(|u| (u.id, u.name.clone()))
        .collect();
    for id in with_data {
        if !out.iter().any(|(i, _)| i == id) {
            out.push((*id, name_of(units, *id, none)));
        }
    }
    out
}

/// Coverage by `k1` from day × item / day × department sums.
fn coverage(items: &Grouped, departments: &Grouped) -> HashMap<i64, Coverage> {
    let mut out: HashMap<i64, Coverage> = HashMap::new();
    for ((k, item), c) in items {
        if *item != 0 {
            out.entry(*k).or_default().add_item(c);
        }
    }
    for ((k, dept), c) in departments {
        if *dept != 0 {
            out.entry(*k).or_default().add_department(c);
        }
    }
    out
}

/// Folds `(k1, k2)` maps into `k1` alone.
fn by_first(map: &Grouped) -> HashMap<i64, Counts> {
    let mut out: HashMap<i64, Counts> = HashMap::new();
    for ((k, _), c) in map {
        out.entry(*k).or_default().add(c);
    }
    out
}

const PLACE_KIND: &str =
    "CASE x.place_kind WHEN 'town_centre' THEN 1 WHEN 'village_point' THEN 2 ELSE 0 END";

fn kind_code(k: &str) -> i64 {
    match k {
        "town_centre" => 1,
        "village_point" => 2,
        _ => 0,
    }
}

/// Which columns a table prints: a flat table its own (`Table::columns`),
/// a grouped one the same few under each group.
#[derive(Clone, Copy)]
enum Columns {
    Flat,
    Grouped(&'static [(rep::Col, &'static str)]),
}

/// Coverage (评价覆盖事项率 and 部门) by a key, for the summaries.
#[derive(Clone, Copy)]
struct CoverageBy {
    /// The rows' key over the rollup (`x.district_id`, `x.department_id`).
    key: &'static str,
    /// The total row's coverage is the city's own (else the rows' sum).
    city_total: bool,
}

/// Where a ticket's part goes under a spec's keys, given the parameters.
type TicketKey = fn(&Params, &TicketFactRow) -> Option<(i64, i64)>;

/// One kind of 通报 table: what it reads and how its rows are made. The
/// driver, [`build`], runs the parts in order: the sum, the tickets'
/// part, the coverage, then the rows.
struct Spec {
    /// The tables printed this way.
    tables: &'static [Table],
    columns: Columns,
    /// The organisation units its rows name, besides districts and
    /// departments (which every table has at hand).
    units: &'static [&'static str],
    /// The rollup sum: which rollup, which two keys, which filter.
    sum: fn(&Params) -> Result<SumQuery<'static>, ApiError>,
    /// Where a ticket's part goes under the sum's keys (None: not in this
    /// table). Tables without rectification figures read no tickets.
    tickets: Option<TicketKey>,
    coverage: Option<CoverageBy>,
    /// The table from the sums.
    rows: fn(&Input<'_>) -> Report,
}

/// What a spec's row builder gets.
struct Input<'a> {
    table: Table,
    period: &'a Period,
    params: Params,
    columns: Columns,
    /// The spec's sums, with the tickets' part added.
    sums: Grouped,
    coverage: HashMap<i64, Coverage>,
    /// The city's coverage (specs with `city_total`).
    city_coverage: Coverage,
    districts: Vec<OrgUnit>,
    departments: Vec<OrgUnit>,
    units: HashMap<&'static str, Vec<OrgUnit>>,
    policy: &'a Policy,
}

impl Input<'_> {
    /// The units of `kind` the spec named in `units`.
    fn units(&self, kind: &str) -> &[OrgUnit] {
        self.units.get(kind).map_or(&[], Vec::as_slice)
    }

    /// The grouped columns (a flat spec has none).
    fn grouped_columns(&self) -> &'static [(rep::Col, &'static str)] {
        match self.columns {
            Columns::Grouped(c) => c,
            Columns::Flat => &[],
        }
    }

    /// A flat table of `rows` from the sums by the first key.
    fn flat(
        &self,
        map: &HashMap<i64, Counts>,
        rows: Vec<(i64, String)>,
        drill: &dyn Fn(i64) -> Option<String>,
        total: Option<Unit>,
    ) -> Report {
        let units: Vec<Unit> = rows
            .into_iter()
            .map(|(id, name)| Unit {
                id: Some(id),
                name,
                counts: map.get(&id).copied().unwrap_or_default(),
                coverage: self.coverage.get(&id).copied().unwrap_or_default(),
                drill: drill(id),
            })
            .collect();
        rep::flat(self.table, self.period, &units, total.as_ref())
    }

    /// A grouped table: per row, one set of counts per group.
    fn grouped(
        &self,
        groups: &[(String, String)],
        rows: &[(Unit, Vec<Counts>)],
        total: Option<&str>,
    ) -> Report {
        rep::grouped(
            self.table,
            self.period,
            self.grouped_columns(),
            groups,
            rows,
            total,
        )
    }
}

/// The ids with any rating or case, in order.
fn with_data(map: &HashMap<i64, Counts>) -> Vec<i64> {
    let mut v: Vec<i64> = map
        .iter()
        .filter(|(_, c)| c.ratings > 0 || c.cases > 0)
        .map(|(k, _)| *k)
        .collect();
    v.sort_unstable();
    v
}

fn is_city_department(u: &OrgUnit) -> bool {
    u.tag.as_deref().is_some_and(|t| t.starts_with("city:"))
}

/// A sum of `rollup` by `k1` and `k2` over the whole city.
const fn by(rollup: Rollup, k1: &'static str, k2: &'static str) -> SumQuery<'static> {
    SumQuery {
        rollup,
        k1,
        k2,
        filter: "",
        param: None,
    }
}

/// `by(…)` cut to one unit (`$3`).
const fn within(q: SumQuery<'static>, filter: &'static str, id: i64) -> SumQuery<'static> {
    SumQuery {
        filter,
        param: Some(id),
        ..q
    }
}

const CITY_LEVEL: &str = "市本级（市直场所）";

const MATRIX_COLUMNS: &[(rep::Col, &str)] = &[(rep::Col::Ratings, "评价数")];

/// Every table, once.
const SPECS: &[Spec] = &[
    Spec {
        tables: &[Table::Items],
        columns: Columns::Flat,
        units: &["service_item"],
        sum: |_| Ok(by(Rollup::Item, "x.service_item_id", "0")),
        tickets: None,
        coverage: None,
        rows: items,
    },
    Spec {
        tables: &[Table::Districts, Table::Loop],
        columns: Columns::Flat,
        units: &[],
        sum: |_| Ok(by(Rollup::Day, "x.district_id", "0")),
        tickets: Some(|_, t| Some((t.district_id, 0))),
        coverage: None,
        rows: districts,
    },
    Spec {
        tables: &[Table::DistrictSummary],
        columns: Columns::Flat,
        units: &[],
        sum: |_| Ok(by(Rollup::Day, "x.district_id", "0")),
        tickets: Some(|_, t| Some((t.district_id, 0))),
        coverage: Some(CoverageBy {
            key: "x.district_id",
            city_total: true,
        }),
        rows: districts,
    },
    Spec {
        tables: &[Table::Departments, Table::Public],
        columns: Columns::Flat,
        units: &[],
        sum: |_| Ok(by(Rollup::Day, "x.department_id", "0")),
        tickets: Some(|_, t| Some((t.department_id, 0))),
        coverage: None,
        rows: departments,
    },
    Spec {
        tables: &[Table::DepartmentSummary],
        columns: Columns::Flat,
        units: &[],
        sum: |_| Ok(by(Rollup::Day, "x.department_id", "0")),
        tickets: Some(|_, t| Some((t.department_id, 0))),
        coverage: Some(CoverageBy {
            key: "x.department_id",
            city_total: false,
        }),
        rows: departments,
    },
    Spec {
        tables: &[Table::PublicService],
        columns: Columns::Flat,
        units: &[],
        sum: |_| {
            Ok(SumQuery {
                filter: "AND d.line = 'public_service'",
                ..by(Rollup::Day, "x.district_id", "0")
            })
        },
        tickets: None,
        coverage: None,
        rows: public_service,
    },
    Spec {
        tables: &[Table::Matrix],
        columns: Columns::Grouped(MATRIX_COLUMNS),
        units: &[],
        sum: |_| Ok(by(Rollup::Day, "x.department_id", "x.district_id")),
        tickets: None,
        coverage: None,
        rows: matrix,
    },
    Spec {
        tables: &[Table::Grassroots],
        columns: Columns::Grouped(rep::GRASSROOTS),
        units: &[],
        sum: |_| Ok(by(Rollup::Day, "x.district_id", PLACE_KIND)),
        tickets: Some(|_, t| Some((t.district_id, kind_code(&t.place_kind)))),
        coverage: None,
        rows: grassroots,
    },
    Spec {
        tables: &[Table::Monthly],
        columns: Columns::Grouped(rep::MONTHLY),
        units: &[],
        sum: |_| Ok(by(Rollup::Day, "x.district_id", "x.day")),
        tickets: Some(|_, t| Some((t.district_id, t.day))),
        coverage: None,
        rows: monthly,
    },
    Spec {
        tables: &[Table::DistrictDepartments],
        columns: Columns::Flat,
        units: &[],
        sum: |p| {
            let district = p.district.ok_or_else(|| missing("区县（district）"))?;
            Ok(within(
                by(Rollup::Day, "x.department_id", "0"),
                "AND x.district_id = $3",
                district,
            ))
        },
        tickets: Some(|p, t| (Some(t.district_id) == p.district).then_some((t.department_id, 0))),
        coverage: None,
        rows: district_departments,
    },
    Spec {
        tables: &[Table::Windows],
        columns: Columns::Flat,
        units: &["window"],
        sum: |p| {
            let department = p.department.ok_or_else(|| missing("部门（department）"))?;
            Ok(within(
                by(Rollup::Unit, "x.window_id", "0"),
                "AND x.department_id = $3",
                department,
            ))
        },
        tickets: Some(|p, t| (Some(t.department_id) == p.department).then_some((t.window_id, 0))),
        coverage: None,
        rows: windows,
    },
    Spec {
        tables: &[Table::Staff],
        columns: Columns::Flat,
        units: &["staff", "window"],
        sum: |p| {
            let q = by(Rollup::Unit, "x.staff_id", "0");
            match (p.window, p.department) {
                (Some(w), _) => Ok(within(q, "AND x.window_id = $3", w)),
                (None, Some(d)) => Ok(within(q, "AND x.department_id = $3", d)),
                _ => Err(missing("窗口（window）或部门（department）")),
            }
        },
        tickets: Some(|p, t| {
            let hit = match p.window {
                Some(w) => t.window_id == w,
                None => Some(t.department_id) == p.department,
            };
            hit.then_some((t.staff_id, 0))
        }),
        coverage: None,
        rows: staff,
    },
    Spec {
        tables: &[Table::BottomStaff],
        columns: Columns::Grouped(rep::BOTTOM),
        units: &["staff", "window"],
        sum: |_| Ok(by(Rollup::Unit, "x.staff_id", "x.day")),
        tickets: None,
        coverage: None,
        rows: bottom_staff,
    },
];

/// Builds one table for a period: its spec's sum, the tickets' part, the
/// coverage, then its rows.
pub async fn build(
    state: &AppState,
    table: Table,
    period: &Period,
    params: Params,
    now: i64,
) -> Result<Report, ApiError> {
    let spec = SPECS
        .iter()
        .find(|s| s.tables.contains(&table))
        .expect("every table has a spec");
    let store = &state.reads;
    let (from, to) = period.day_range();
    let sum = |q: SumQuery<'static>| async move {
        Ok::<_, ApiError>(group(store.rollup_sums(q, from, to).await?))
    };
    let mut sums = sum((spec.sum)(&params)?).await?;
    if let Some(key) = spec.tickets {
        let (ms0, ms1) = instants(period);
        let cal = crate::rectify::calendar(state).await?;
        let policy = &state.settings.policy.rectify;
        for t in store.ticket_facts(ms0, ms1).await? {
            if let Some(k) = key(&params, &t) {
                sums.entry(k).or_default().add(&t.counts(now, &cal, policy));
            }
        }
    }
    let (coverage, city_coverage) = match spec.coverage {
        None => (HashMap::new(), Coverage::default()),
        Some(c) => {
            let items = sum(by(Rollup::Item, c.key, "x.service_item_id")).await?;
            let depts = sum(by(Rollup::Day, c.key, "x.department_id")).await?;
            let city = if c.city_total {
                let items = sum(by(Rollup::Item, "0", "x.service_item_id")).await?;
                let depts = sum(by(Rollup::Day, "0", "x.department_id")).await?;
                coverage(&items, &depts).remove(&0).unwrap_or_default()
            } else {
                Coverage::default()
            };
            (coverage(&items, &depts), city)
        }
    };
    let mut units = HashMap::new();
    for kind in spec.units {
        units.insert(*kind, store.org_units(kind).await?);
    }
    Ok((spec.rows)(&Input {
        table,
        period,
        params,
        columns: spec.columns,
        sums,
        coverage,
        city_coverage,
        districts: store.org_units("district").await?,
        departments: store.org_units("department").await?,
        units,
        policy: &state.settings.policy,
    }))
}

/// 004 §23: service items, the highest 差评率 first; then more 差评, then
/// the name.
fn items(inp: &Input<'_>) -> Report {
    let m = by_first(&inp.sums);
    let items = inp.units("service_item");
    let mut units: Vec<Unit> = with_data(&m)
        .into_iter()
        .filter(|id| *id != 0)
        .map(|id| Unit {
            id: Some(id),
            name: name_of(items, id, "未关联事项"),
            counts: m.get(&id).copied().unwrap_or_default(),
            ..Unit::default()
        })
        .collect();
    let rate = |u: &Unit| Figures::of(&u.counts, &Coverage::default(), 0).bad_rate;
    units.sort_by(|a, b| {
        rate(b)
            .partial_cmp(&rate(a))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.counts.countable_bad.cmp(&a.counts.countable_bad))
            .then(a.name.cmp(&b.name))
    });
    rep::flat(inp.table, inp.period, &units, None)
}

/// Districts (and the city-level places), with the city's total.
fn districts(inp: &Input<'_>) -> Report {
    let m = by_first(&inp.sums);
    let rows = rows_for(&inp.districts, |_| true, &with_data(&m), CITY_LEVEL);
    let total = Unit {
        name: "全市".into(),
        counts: Counts::sum(m.values()),
        coverage: inp.city_coverage,
        ..Unit::default()
    };
    inp.flat(
        &m,
        rows,
        &|id| (id != 0).then(|| format!("district_departments?district={id}")),
        Some(total),
    )
}

/// City departments (every department on the public page), with their total.
fn departments(inp: &Input<'_>) -> Report {
    let public = inp.table == Table::Public;
    let m = by_first(&inp.sums);
    let keep = |u: &OrgUnit| public || is_city_department(u);
    let ids: Vec<i64> = inp
        .departments
        .iter()
        .filter(|u| keep(u))
        .map(|u| u.id)
        .collect();
    let data: Vec<i64> = with_data(&m)
        .into_iter()
        .filter(|id| ids.contains(id))
        .collect();
    let mut total_cov = Coverage::default();
    for c in ids.iter().filter_map(|id| inp.coverage.get(id)) {
        total_cov.items_with_cases += c.items_with_cases;
        total_cov.items_rated += c.items_rated;
        total_cov.departments_with_cases += c.departments_with_cases;
        total_cov.departments_rated += c.departments_rated;
    }
    let rows = rows_for(&inp.departments, keep, &data, "未关联部门");
    let total = Unit {
        name: if public {
            "全市".into()
        } else {
            "市直部门合计".into()
        },
        counts: Counts::sum(ids.iter().filter_map(|id| m.get(id))),
        coverage: total_cov,
        ..Unit::default()
    };
    let drill = |id: i64| (!public).then(|| format!("windows?department={id}"));
    inp.flat(&m, rows, &drill, Some(total))
}

/// The public-service line (水电气热通讯) by district.
fn public_service(inp: &Input<'_>) -> Report {
    let m = by_first(&inp.sums);
    let rows = rows_for(&inp.districts, |_| true, &with_data(&m), CITY_LEVEL);
    let total = Unit {
        name: "总数".into(),
        counts: Counts::sum(m.values()),
        ..Unit::default()
    };
    inp.flat(&m, rows, &|_| None, Some(total))
}

/// 条线 × district: ratings per line (the departments' tag) and district.
fn matrix(inp: &Input<'_>) -> Report {
    let departments = &inp.departments;
    let districts = &inp.districts;
    let line_of = |dept: i64| -> Option<String> {
        departments
            .iter()
            .find(|u| u.id == dept)
            .and_then(|u| u.tag.as_deref())
            .and_then(|t| t.strip_prefix("district:"))
            .map(str::to_string)
    };
    let mut lines: Vec<String> = vec![];
    for u in departments {
        if let Some(l) = u.tag.as_deref().and_then(|t| t.strip_prefix("district:")) {
            if !lines.iter().any(|x| x == l) {
                lines.push(l.to_string());
            }
        }
    }
    // The public-service line is last, as in the seed.
    lines.sort_by_key(|l| l == "public_service");
    let groups: Vec<(String, String)> = districts
        .iter()
        .map(|d| (format!("d{}", d.id), d.name.clone()))
        .collect();
    let mut cells: BTreeMap<(usize, usize), Counts> = BTreeMap::new();
    for ((dept, district), c) in &inp.sums {
        let (Some(l), Some(g)) = (
            line_of(*dept).and_then(|l| lines.iter().position(|x| *x == l)),
            districts.iter().position(|d| d.id == *district),
        ) else {
            continue;
        };
        cells.entry((l, g)).or_default().add(c);
    }
    let rows: Vec<(Unit, Vec<Counts>)> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let name = if l == "public_service" {
                "公共服务（水电气热通讯）".to_string()
            } else {
                l.clone()
            };
            let per = (0..groups.len())
                .map(|g| cells.get(&(i, g)).copied().unwrap_or_default())
                .collect();
            (
                Unit {
                    name,
                    ..Unit::default()
                },
                per,
            )
        })
        .collect();
    inp.grouped(&groups, &rows, Some("汇总"))
}

/// Districts × town and village level places.
fn grassroots(inp: &Input<'_>) -> Report {
    let m = &inp.sums;
    let ids = with_data(&by_first(m));
    let rows: Vec<(Unit, Vec<Counts>)> = rows_for(&inp.districts, |_| true, &ids, CITY_LEVEL)
        .into_iter()
        .map(|(id, name)| {
            let per = [1, 2]
                .iter()
                .map(|k| m.get(&(id, *k)).copied().unwrap_or_default())
                .collect();
            (
                Unit {
                    id: Some(id),
                    name,
                    ..Unit::default()
                },
                per,
            )
        })
        .collect();
    let groups = vec![
        ("town".to_string(), "镇级".to_string()),
        ("village".into(), "村级".into()),
    ];
    inp.grouped(&groups, &rows, Some("合计"))
}

/// The period's months as groups (`m202501`, `2025年1月`).
fn month_groups(months: &[(i32, u32)]) -> Vec<(String, String)> {
    months
        .iter()
        .map(|(y, mo)| (format!("m{y}{mo:02}"), format!("{y}年{mo}月")))
        .collect()
}

/// Districts × the period's months.
fn monthly(inp: &Input<'_>) -> Report {
    let m = &inp.sums;
    let months = inp.period.months();
    let mut per: HashMap<(i64, usize), Counts> = HashMap::new();
    for ((district, day), c) in m {
        let month = rep::month_of_day(*day);
        if let Some(i) = months.iter().position(|x| *x == month) {
            per.entry((*district, i)).or_default().add(c);
        }
    }
    let ids = with_data(&by_first(m));
    let rows: Vec<(Unit, Vec<Counts>)> = rows_for(&inp.districts, |_| true, &ids, CITY_LEVEL)
        .into_iter()
        .map(|(id, name)| {
            let cs = (0..months.len())
                .map(|i| per.get(&(id, i)).copied().unwrap_or_default())
                .collect();
            (
                Unit {
                    id: Some(id),
                    name,
                    ..Unit::default()
                },
                cs,
            )
        })
        .collect();
    inp.grouped(&month_groups(&months), &rows, Some("合计"))
}

/// One district's departments.
fn district_departments(inp: &Input<'_>) -> Report {
    let district = inp.params.district.unwrap_or_default();
    let m = by_first(&inp.sums);
    let rows = rows_for(
        &inp.departments,
        |u| u.parent == district,
        &with_data(&m),
        "未关联部门",
    );
    let mut r = inp.flat(
        &m,
        rows,
        &|id| (id != 0).then(|| format!("windows?department={id}")),
        None,
    );
    r.title = format!(
        "{}各部门“好差评”情况",
        name_of(&inp.districts, district, "市级")
    );
    r
}

/// One department's windows.
fn windows(inp: &Input<'_>) -> Report {
    let department = inp.params.department.unwrap_or_default();
    let m = by_first(&inp.sums);
    let rows = rows_for(
        inp.units("window"),
        |u| u.parent == department,
        &with_data(&m),
        "未指定窗口",
    );
    let mut r = inp.flat(
        &m,
        rows,
        &|id| (id != 0).then(|| format!("staff?window={id}")),
        None,
    );
    r.title = format!(
        "{}各窗口“好差评”情况",
        name_of(&inp.departments, department, "未关联部门")
    );
    r
}

/// One window's (or department's) staff members.
fn staff(inp: &Input<'_>) -> Report {
    let window = inp.params.window;
    let m = by_first(&inp.sums);
    let rows = rows_for(
        inp.units("staff"),
        |u| {
            window.is_some_and(|w| u.parent == w)
                && u.tag.as_deref() == Some(Role::WindowStaff.as_str())
        },
        &with_data(&m),
        "未关联工作人员",
    );
    let mut r = inp.flat(&m, rows, &|_| None, None);
    if let Some(w) = window {
        r.title = format!(
            "{}工作人员“好差评”情况",
            name_of(inp.units("window"), w, "未指定窗口")
        );
    }
    r
}

/// Staff members in the bottom of every month of the period.
fn bottom_staff(inp: &Input<'_>) -> Report {
    let months = inp.period.months();
    let mut per: HashMap<(i64, usize), Counts> = HashMap::new();
    for ((staff, day), c) in &inp.sums {
        if *staff == 0 {
            continue;
        }
        if let Some(i) = months.iter().position(|x| *x == rep::month_of_day(*day)) {
            per.entry((*staff, i)).or_default().add(c);
        }
    }
    let policy = inp.policy;
    let bottoms: Vec<Vec<i64>> = (0..months.len())
        .map(|i| {
            let month: Vec<(i64, Counts)> = per
                .iter()
                .filter(|((_, m), _)| *m == i)
                .map(|((s, _), c)| (*s, *c))
                .collect();
            rep::bottom_of_month(&month, policy.bottom_min_ratings, policy.bottom_percent)
        })
        .collect();
    let staff = inp.units("staff");
    let windows = inp.units("window");
    let rows: Vec<(Unit, Vec<Counts>)> = rep::persistently_bottom(&bottoms)
        .into_iter()
        .map(|id| {
            let window = staff.iter().find(|u| u.id == id).map_or(0, |u| u.parent);
            let name = format!(
                "{}（{}）",
                name_of(staff, id, "?"),
                name_of(windows, window, "未指定窗口")
            );
            let cs = (0..months.len())
                .map(|i| per.get(&(id, i)).copied().unwrap_or_default())
                .collect();
            (
                Unit {
                    id: Some(id),
                    name,
                    ..Unit::default()
                },
                cs,
            )
        })
        .collect();
    let mut r = inp.grouped(&month_groups(&months), &rows, None);
    r.note = format!(
        "{} 每月有效评价不少于 {} 条的工作人员按好评率排名，列出期间每个月均处于后 {}% 的人员（至少两个月）。",
        r.note, policy.bottom_min_ratings, policy.bottom_percent
    );
    r
}

/// The trend beside a table (`domain::trend`), from the day and hour
/// rollups, filtered to the table's district or department.
pub async fn trend(
    state: &AppState,
    period: &Period,
    params: Params,
) -> Result<domain::trend::Trend, ApiError> {
    let (filter, param) = match (params.department, params.district) {
        (Some(d), _) => ("AND x.department_id = $3", Some(d)),
        (None, Some(d)) => ("AND x.district_id = $3", Some(d)),
        (None, None) => ("", None),
    };
    let span = domain::trend::span(period);
    let (from, to) = span.day_range();
    let by_day = state
        .reads
        .rollup_sums(
            SumQuery {
                rollup: Rollup::Day,
                k1: "x.day",
                k2: "0",
                filter,
                param,
            },
            from,
            to,
        )
        .await?
        .into_iter()
        .map(|k| (k.k1, k.counts))
        .collect::<Vec<_>>();
    let (from, to) = period.day_range();
    let by_hour = state
        .reads
        .rollup_sums(
            SumQuery {
                rollup: Rollup::Hour,
                k1: "x.day",
                k2: "x.hour",
                filter,
                param,
            },
            from,
            to,
        )
        .await?
        .into_iter()
        .map(|k| (k.k1, k.k2, k.counts))
        .collect::<Vec<_>>();
    Ok(domain::trend::build(period, &by_day, &by_hour))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_has_exactly_one_spec() {
        for table in rep::TABLES.iter().chain([Table::Public].iter()) {
            let n = SPECS.iter().filter(|s| s.tables.contains(table)).count();
            assert_eq!(n, 1, "{table:?}");
        }
    }

    #[test]
    fn a_drill_down_without_its_unit_is_refused_before_any_query() {
        let none = Params::default();
        for table in [Table::DistrictDepartments, Table::Windows, Table::Staff] {
            let spec = SPECS.iter().find(|s| s.tables.contains(&table)).unwrap();
            assert!((spec.sum)(&none).is_err(), "{table:?}");
        }
        let staff = SPECS
            .iter()
            .find(|s| s.tables.contains(&Table::Staff))
            .unwrap();
        let q = (staff.sum)(&Params {
            window: Some(7),
            department: Some(3),
            ..Params::default()
        })
        .unwrap();
        assert_eq!((q.filter, q.param), ("AND x.window_id = $3", Some(7)));
    }

    #[test]
    fn only_tables_with_rectification_figures_read_tickets() {
        for s in SPECS {
            let reads = s.tickets.is_some();
            let none = [
                Table::Matrix,
                Table::PublicService,
                Table::BottomStaff,
                Table::Items,
            ];
            assert_eq!(reads, !s.tables.iter().any(|t| none.contains(t)));
        }
    }
}
