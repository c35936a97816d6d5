//! The 通报 tables, read from the rollups (never the raw ratings) plus the
//! tickets of the period (a few per ten thousand ratings), and built by
//! `domain::report`. Handlers in `routes::reports` stay thin.

use std::collections::{BTreeMap, HashMap};

use app::api::types::Report;
use domain::metrics::{Counts, Coverage, Figures};
use domain::report::{self as rep, Period, Table, Unit};

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

/// Adds the tickets' part under the keys `key` gives (None: not in this table).
fn add_tickets(
    map: &mut Grouped,
    tickets: &[(TicketFactRow, Counts)],
    key: impl Fn(&TicketFactRow) -> Option<(i64, i64)>,
) {
    for (t, c) in tickets {
        if let Some(k) = key(t) {
            map.entry(k).or_default().add(c);
        }
    }
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

struct Ctx<'a> {
    state: &'a AppState,
    from: i64,
    to: i64,
    /// The period's tickets and what each adds (at `now`).
    tickets: Vec<(TicketFactRow, Counts)>,
}

impl Ctx<'_> {
    async fn sums(&self, q: SumQuery<'_>) -> Result<Grouped, ApiError> {
        Ok(group(
            self.state.store.rollup_sums(q, self.from, self.to).await?,
        ))
    }
    fn q<'b>(rollup: Rollup, k1: &'b str, k2: &'b str) -> SumQuery<'b> {
        SumQuery {
            rollup,
            k1,
            k2,
            filter: "",
            param: None,
        }
    }
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

/// Builds one table for a period.
pub async fn build(
    state: &AppState,
    table: Table,
    period: &Period,
    params: Params,
    now: i64,
) -> Result<Report, ApiError> {
    let (from, to) = period.day_range();
    let (ms0, ms1) = instants(period);
    let cx = Ctx {
        state,
        from,
        to,
        // Only the tables with rectification figures (or 有效差评) read the tickets.
        tickets: if matches!(
            table,
            Table::Matrix | Table::PublicService | Table::BottomStaff | Table::Items
        ) {
            vec![]
        } else {
            let cal = crate::rectify::calendar(state).await?;
            let policy = &state.settings.policy.rectify;
            state
                .store
                .ticket_facts(ms0, ms1)
                .await?
                .into_iter()
                .map(|t| {
                    let c = t.counts(now, &cal, policy);
                    (t, c)
                })
                .collect()
        },
    };
    let store = &state.store;
    let districts = store.org_units("district").await?;
    let departments = store.org_units("department").await?;
    let city_dept = |u: &OrgUnit| u.tag.as_deref().is_some_and(|t| t.starts_with("city:"));
    let flat_by = |table: Table,
                   map: &HashMap<i64, Counts>,
                   rows: Vec<(i64, String)>,
                   cov: &HashMap<i64, Coverage>,
                   drill: &dyn Fn(i64) -> Option<String>,
                   total: Option<Unit>| {
        let units: Vec<Unit> = rows
            .into_iter()
            .map(|(id, name)| Unit {
                id: Some(id),
                name,
                counts: map.get(&id).copied().unwrap_or_default(),
                coverage: cov.get(&id).copied().unwrap_or_default(),
                drill: drill(id),
            })
            .collect();
        rep::flat(table, period, &units, total.as_ref())
    };
    let with_data = |map: &HashMap<i64, Counts>| -> Vec<i64> {
        let mut v: Vec<i64> = map
            .iter()
            .filter(|(_, c)| c.ratings > 0 || c.cases > 0)
            .map(|(k, _)| *k)
            .collect();
        v.sort_unstable();
        v
    };
    let report = match table {
        Table::Items => {
            let m = by_first(
                &cx.sums(Ctx::q(Rollup::Item, "x.service_item_id", "0"))
                    .await?,
            );
            let items = store.org_units("service_item").await?;
            let mut units: Vec<Unit> = with_data(&m)
                .into_iter()
                .filter(|id| *id != 0)
                .map(|id| Unit {
                    id: Some(id),
                    name: name_of(&items, id, "未关联事项"),
                    counts: m.get(&id).copied().unwrap_or_default(),
                    ..Unit::default()
                })
                .collect();
            // 004 §23: the highest 差评率 first; then more 差评, then the name.
            let rate = |u: &Unit| Figures::of(&u.counts, &Coverage::default(), 0).bad_rate;
            units.sort_by(|a, b| {
                rate(b)
                    .partial_cmp(&rate(a))
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then(b.counts.countable_bad.cmp(&a.counts.countable_bad))
                    .then(a.name.cmp(&b.name))
            });
            rep::flat(table, period, &units, None)
        }
        Table::Districts | Table::DistrictSummary | Table::Loop => {
            let mut m = cx.sums(Ctx::q(Rollup::Day, "x.district_id", "0")).await?;
            add_tickets(&mut m, &cx.tickets, |t| Some((t.district_id, 0)));
            let m = by_first(&m);
            let (cov, total_cov) = if table == Table::DistrictSummary {
                let items = cx
                    .sums(Ctx::q(Rollup::Item, "x.district_id", "x.service_item_id"))
                    .await?;
                let depts = cx
                    .sums(Ctx::q(Rollup::Day, "x.district_id", "x.department_id"))
                    .await?;
                let all_items = cx
                    .sums(Ctx::q(Rollup::Item, "0", "x.service_item_id"))
                    .await?;
                let all_depts = cx.sums(Ctx::q(Rollup::Day, "0", "x.department_id")).await?;
                (
                    coverage(&items, &depts),
                    coverage(&all_items, &all_depts)
                        .remove(&0)
                        .unwrap_or_default(),
                )
            } else {
                (HashMap::new(), Coverage::default())
            };
            let rows = rows_for(&districts, |_| true, &with_data(&m), "市本级（市直场所）");
            let total = Unit {
                name: "全市".into(),
                counts: Counts::sum(m.values()),
                coverage: total_cov,
                ..Unit::default()
            };
            flat_by(
                table,
                &m,
                rows,
                &cov,
                &|id| (id != 0).then(|| format!("district_departments?district={id}")),
                Some(total),
            )
        }
        Table::Departments | Table::DepartmentSummary | Table::Public => {
            let mut m = cx.sums(Ctx::q(Rollup::Day, "x.department_id", "0")).await?;
            add_tickets(&mut m, &cx.tickets, |t| Some((t.department_id, 0)));
            let m = by_first(&m);
            let keep = |u: &OrgUnit| table == Table::Public || city_dept(u);
            let ids: Vec<i64> = departments
                .iter()
                .filter(|u| keep(u))
                .map(|u| u.id)
                .collect();
            let data: Vec<i64> = with_data(&m)
                .into_iter()
                .filter(|id| ids.contains(id))
                .collect();
            let mut cov = HashMap::new();
            let mut total_cov = Coverage::default();
            if table == Table::DepartmentSummary {
                let items = cx
                    .sums(Ctx::q(Rollup::Item, "x.department_id", "x.service_item_id"))
                    .await?;
                let depts = cx
                    .sums(Ctx::q(Rollup::Day, "x.department_id", "x.department_id"))
                    .await?;
                cov = coverage(&items, &depts);
                for id in &ids {
                    let c = cov.get(id).copied().unwrap_or_default();
                    total_cov.items_with_cases += c.items_with_cases;
                    total_cov.items_rated += c.items_rated;
                    total_cov.departments_with_cases += c.departments_with_cases;
                    total_cov.departments_rated += c.departments_rated;
                }
            }
            let rows = rows_for(&departments, keep, &data, "未关联部门");
            let total = Unit {
                name: if table == Table::Public {
                    "全市".into()
                } else {
                    "市直部门合计".into()
                },
                counts: Counts::sum(ids.iter().filter_map(|id| m.get(id))),
                coverage: total_cov,
                ..Unit::default()
            };
            let drill =
                |id: i64| (table != Table::Public).then(|| format!("windows?department={id}"));
            flat_by(table, &m, rows, &cov, &drill, Some(total))
        }
        Table::PublicService => {
            let q = SumQuery {
                filter: "AND d.line = 'public_service'",
                ..Ctx::q(Rollup::Day, "x.district_id", "0")
            };
            let m = by_first(&cx.sums(q).await?);
            let rows = rows_for(&districts, |_| true, &with_data(&m), "市本级（市直场所）");
            let total = Unit {
                name: "总数".into(),
                counts: Counts::sum(m.values()),
                ..Unit::default()
            };
            flat_by(table, &m, rows, &HashMap::new(), &|_| None, Some(total))
        }
        Table::Matrix => {
            let m = cx
                .sums(Ctx::q(Rollup::Day, "x.department_id", "x.district_id"))
                .await?;
            let line_of = |dept: i64| -> Option<String> {
                departments
                    .iter()
                    .find(|u| u.id == dept)
                    .and_then(|u| u.tag.as_deref())
                    .and_then(|t| t.strip_prefix("district:"))
                    .map(str::to_string)
            };
            let mut lines: Vec<String> = vec![];
            for u in &departments {
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
            for ((dept, district), c) in &m {
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
            rep::grouped(
                table,
                period,
                &[(rep::Col::Ratings, "评价数")],
                &groups,
                &rows,
                Some("汇总"),
            )
        }
        Table::Grassroots => {
            let mut m = cx
                .sums(Ctx::q(Rollup::Day, "x.district_id", PLACE_KIND))
                .await?;
            add_tickets(&mut m, &cx.tickets, |t| {
                Some((t.district_id, kind_code(&t.place_kind)))
            });
            let ids = with_data(&by_first(&m));
            let rows: Vec<(Unit, Vec<Counts>)> =
                rows_for(&districts, |_| true, &ids, "市本级（市直场所）")
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
            rep::grouped(table, period, rep::GRASSROOTS, &groups, &rows, Some("合计"))
        }
        Table::Monthly => {
            let mut m = cx
                .sums(Ctx::q(Rollup::Day, "x.district_id", "x.day"))
                .await?;
            add_tickets(&mut m, &cx.tickets, |t| Some((t.district_id, t.day)));
            let months = period.months();
            let mut per: HashMap<(i64, usize), Counts> = HashMap::new();
            for ((district, day), c) in &m {
                let month = rep::month_of_day(*day);
                if let Some(i) = months.iter().position(|x| *x == month) {
                    per.entry((*district, i)).or_default().add(c);
                }
            }
            let ids = with_data(&by_first(&m));
            let rows: Vec<(Unit, Vec<Counts>)> =
                rows_for(&districts, |_| true, &ids, "市本级（市直场所）")
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
            let groups: Vec<(String, String)> = months
                .iter()
                .map(|(y, mo)| (format!("m{y}{mo:02}"), format!("{y}年{mo}月")))
                .collect();
            rep::grouped(table, period, rep::MONTHLY, &groups, &rows, Some("合计"))
        }
        Table::DistrictDepartments => {
            let district = params.district.ok_or_else(|| missing("区县（district）"))?;
            let q = SumQuery {
                filter: "AND x.district_id = $3",
                param: Some(district),
                ..Ctx::q(Rollup::Day, "x.department_id", "0")
            };
            let mut m = cx.sums(q).await?;
            add_tickets(&mut m, &cx.tickets, |t| {
                (t.district_id == district).then_some((t.department_id, 0))
            });
            let m = by_first(&m);
            let rows = rows_for(
                &departments,
                |u| u.parent == district,
                &with_data(&m),
                "未关联部门",
            );
            let mut r = flat_by(
                table,
                &m,
                rows,
                &HashMap::new(),
                &|id| (id != 0).then(|| format!("windows?department={id}")),
                None,
            );
            r.title = format!(
                "{}各部门“好差评”情况",
                name_of(&districts, district, "市级")
            );
            r
        }
        Table::Windows => {
            let department = params
                .department
                .ok_or_else(|| missing("部门（department）"))?;
            let q = SumQuery {
                filter: "AND x.department_id = $3",
                param: Some(department),
                ..Ctx::q(Rollup::Unit, "x.window_id", "0")
            };
            let mut m = cx.sums(q).await?;
            add_tickets(&mut m, &cx.tickets, |t| {
                (t.department_id == department).then_some((t.window_id, 0))
            });
            let m = by_first(&m);
            let windows = store.org_units("window").await?;
            let rows = rows_for(
                &windows,
                |u| u.parent == department,
                &with_data(&m),
                "未指定窗口",
            );
            let mut r = flat_by(
                table,
                &m,
                rows,
                &HashMap::new(),
                &|id| (id != 0).then(|| format!("staff?window={id}")),
                None,
            );
            r.title = format!(
                "{}各窗口“好差评”情况",
                name_of(&departments, department, "未关联部门")
            );
            r
        }
        Table::Staff => {
            let (filter, param, label) = match (params.window, params.department) {
                (Some(w), _) => ("AND x.window_id = $3", w, "窗口"),
                (None, Some(d)) => ("AND x.department_id = $3", d, "部门"),
                _ => return Err(missing("窗口（window）或部门（department）")),
            };
            let q = SumQuery {
                filter,
                param: Some(param),
                ..Ctx::q(Rollup::Unit, "x.staff_id", "0")
            };
            let mut m = cx.sums(q).await?;
            add_tickets(&mut m, &cx.tickets, |t| {
                let hit = if label == "窗口" {
                    t.window_id == param
                } else {
                    t.department_id == param
                };
                hit.then_some((t.staff_id, 0))
            });
            let m = by_first(&m);
            let staff = store.org_units("staff").await?;
            let rows = rows_for(
                &staff,
                |u| {
                    label == "窗口" && u.parent == param && u.tag.as_deref() == Some("window_staff")
                },
                &with_data(&m),
                "未关联工作人员",
            );
            let mut r = flat_by(table, &m, rows, &HashMap::new(), &|_| None, None);
            if label == "窗口" {
                let windows = store.org_units("window").await?;
                r.title = format!(
                    "{}工作人员“好差评”情况",
                    name_of(&windows, param, "未指定窗口")
                );
            }
            r
        }
        Table::BottomStaff => {
            let m = cx.sums(Ctx::q(Rollup::Unit, "x.staff_id", "x.day")).await?;
            let months = period.months();
            let mut per: HashMap<(i64, usize), Counts> = HashMap::new();
            for ((staff, day), c) in &m {
                if *staff == 0 {
                    continue;
                }
                if let Some(i) = months.iter().position(|x| *x == rep::month_of_day(*day)) {
                    per.entry((*staff, i)).or_default().add(c);
                }
            }
            let policy = &state.settings.policy;
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
            let staff = store.org_units("staff").await?;
            let windows = store.org_units("window").await?;
            let rows: Vec<(Unit, Vec<Counts>)> = rep::persistently_bottom(&bottoms)
                .into_iter()
                .map(|id| {
                    let window = staff.iter().find(|u| u.id == id).map_or(0, |u| u.parent);
                    let name = format!(
                        "{}（{}）",
                        name_of(&staff, id, "?"),
                        name_of(&windows, window, "未指定窗口")
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
            let groups: Vec<(String, String)> = months
                .iter()
                .map(|(y, mo)| (format!("m{y}{mo:02}"), format!("{y}年{mo}月")))
                .collect();
            let mut r = rep::grouped(table, period, rep::BOTTOM, &groups, &rows, None);
            r.note = format!(
                "{} 每月有效评价不少于 {} 条的工作人员按好评率排名，列出期间每个月均处于后 {}% 的人员（至少两个月）。",
                r.note, policy.bottom_min_ratings, policy.bottom_percent
            );
            r
        }
    };
    Ok(report)
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
        .store
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
        .store
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
