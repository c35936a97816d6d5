//! The 通报 table as both wings print it: the period (URL form and picker),
//! cell formatting, sorting, the table with its 合计 row and drill-down
//! links, and the bar chart. Used by the staff reports page and the public
//! results page (`/public`), so neither imports the other.

use leptos::prelude::*;
use leptos_router::params::ParamsMap;

use crate::api::types::{CellKind, Report, ReportRow};
use domain::calendar::Date;

/// `encodeURIComponent`, in Rust: links are also rendered on the server.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'~'
            | b'*'
            | b'\''
            | b'('
            | b')' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The period of a table, as the URL and the API name it. Not checked
/// here: the server answers `period_invalid` with its own message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Period {
    /// `YYYY-MM`
    Month(String),
    /// `YYYY-Qn`
    Quarter(String),
    /// `YYYY-MM-DD`, both inclusive.
    Range(String, String),
}

fn quarter_parts(s: &str) -> Option<(i32, u32)> {
    let (y, q) = s.split_once("-Q").or_else(|| s.split_once("-q"))?;
    let q: u32 = q.parse().ok()?;
    (1..=4).contains(&q).then_some(())?;
    Some((y.parse().ok()?, q))
}

fn month_parts(s: &str) -> Option<(i32, u32)> {
    let (y, m) = s.split_once('-')?;
    let m: u32 = m.parse().ok()?;
    (1..=12).contains(&m).then_some(())?;
    Some((y.parse().ok()?, m))
}

impl Period {
    pub fn from_query(q: &ParamsMap) -> Option<Period> {
        let get = |k: &str| {
            q.get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        if let Some(v) = get("quarter") {
            return Some(Period::Quarter(v));
        }
        if let Some(v) = get("month") {
            return Some(Period::Month(v));
        }
        match (get("from"), get("to")) {
            (Some(f), Some(t)) => Some(Period::Range(f, t)),
            _ => None,
        }
    }

    pub fn quarter_of(d: Date) -> Period {
        Period::Quarter(format!("{}-Q{}", d.year, (d.month - 1) / 3 + 1))
    }

    pub fn month_of(d: Date) -> Period {
        Period::Month(format!("{}-{:02}", d.year, d.month))
    }

    /// `quarter=2026-Q4`, encoded.
    pub fn query(&self) -> String {
        match self {
            Period::Month(m) => format!("month={}", enc(m)),
            Period::Quarter(q) => format!("quarter={}", enc(q)),
            Period::Range(f, t) => format!("from={}&to={}", enc(f), enc(t)),
        }
    }

    pub fn label(&self, en: bool) -> String {
        match self {
            Period::Quarter(q) => match quarter_parts(q) {
                Some((y, n)) if en => format!("{y} Q{n}"),
                Some((y, n)) => format!("{y}年第{n}季度"),
                None => q.clone(),
            },
            Period::Month(m) => match month_parts(m) {
                Some((y, n)) if en => format!("{y}-{n:02}"),
                Some((y, n)) => format!("{y}年{n}月"),
                None => m.clone(),
            },
            Period::Range(f, t) if en => format!("{f} to {t}"),
            Period::Range(f, t) => format!("{f} 至 {t}"),
        }
    }
}

/// The last `n` quarters up to `today`'s, newest first.
fn recent_quarters(today: Date, n: usize) -> Vec<String> {
    let (mut y, mut q) = (today.year, (today.month - 1) / 3 + 1);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(format!("{y}-Q{q}"));
        if q == 1 {
            y -= 1;
            q = 4;
        } else {
            q -= 1;
        }
    }
    out
}

/// A cell as the seeds print it: counts whole, rates with two decimals,
/// `/` where there is no figure.
pub fn fmt_cell(v: Option<f64>, kind: CellKind) -> String {
    match (v, kind) {
        (None, _) => "/".into(),
        (Some(x), _) if !x.is_finite() => "/".into(),
        (Some(x), CellKind::Count) => format!("{x:.0}"),
        (Some(x), CellKind::Percent) => format!("{x:.2}%"),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortDir {
    Desc,
    Asc,
}

/// The column a table is sorted by (`name` for the first one), if any.
pub type Sort = Option<(String, SortDir)>;

/// Desc first, then asc, then desc again.
fn next_sort(current: &Sort, key: &str) -> Sort {
    match current {
        Some((k, SortDir::Desc)) if k == key => Some((key.to_string(), SortDir::Asc)),
        _ => Some((key.to_string(), SortDir::Desc)),
    }
}

/// The rows in display order: numbers compared as numbers, rows without a
/// figure last either way, ties in the server's order.
pub fn sorted_rows(report: &Report, sort: &Sort) -> Vec<ReportRow> {
    let mut rows = report.rows.clone();
    let Some((key, dir)) = sort else {
        return rows;
    };
    if key == "name" {
        rows.sort_by(|a, b| match dir {
            SortDir::Asc => a.name.cmp(&b.name),
            SortDir::Desc => b.name.cmp(&a.name),
        });
        return rows;
    }
    let Some(i) = report.columns.iter().position(|c| &c.key == key) else {
        return rows;
    };
    let value = |r: &ReportRow| r.cells.get(i).copied().flatten().filter(|x| x.is_finite());
    rows.sort_by(|a, b| match (value(a), value(b)) {
        (Some(x), Some(y)) => match dir {
            SortDir::Asc => x.total_cmp(&y),
            SortDir::Desc => y.total_cmp(&x),
        },
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    rows
}

fn sort_header(
    key: String,
    label: String,
    rowspan: Option<&'static str>,
    sort: RwSignal<Sort>,
) -> AnyView {
    let k1 = key.clone();
    let k2 = key.clone();
    let k3 = key.clone();
    let state = move || {
        sort.with(|s| match s {
            Some((k, d)) if *k == k1 => Some(*d),
            _ => None,
        })
    };
    let state2 = state.clone();
    view! {
        <th scope="col" rowspan=rowspan data-key=k2
            aria-sort=move || match state() { Some(SortDir::Desc) => "descending", Some(SortDir::Asc) => "ascending", None => "none" }>
            <button type="button" class="sort" on:click=move |_| sort.update(|s| *s = next_sort(s, &k3))>
                {label}
                <span class="sort-mark" aria-hidden="true">{move || match state2() { Some(SortDir::Desc) => "▼", Some(SortDir::Asc) => "▲", None => "↕" }}</span>
            </button>
        </th>
    }
    .into_any()
}

fn cells_view(row: &ReportRow, columns: &[(String, CellKind)]) -> impl IntoView {
    columns
        .iter()
        .enumerate()
        .map(|(i, (key, kind))| {
            let v = row.cells.get(i).copied().flatten();
            view! { <td class="num" data-key=key.clone()>{fmt_cell(v, *kind)}</td> }
        })
        .collect_view()
}

/// A 通报 table: caption, grouped headings, every heading sorts, 序号 is
/// the rank after sorting, the 合计 row stays last.
#[component]
pub fn ReportTable(
    report: Report,
    caption: String,
    sort: RwSignal<Sort>,
    /// `(row.drill, row.name)` → the link for a row's name.
    #[prop(optional)]
    drill: Option<Callback<(String, String), String>>,
    #[prop(optional)] en: bool,
) -> impl IntoView {
    let has_groups = report.columns.iter().any(|c| c.group.is_some());
    let span = has_groups.then_some("2");
    let mut top: Vec<AnyView> = Vec::new();
    let mut second: Vec<AnyView> = Vec::new();
    let cols = &report.columns;
    let mut i = 0;
    while i < cols.len() {
        match &cols[i].group {
            None => {
                top.push(sort_header(
                    cols[i].key.clone(),
                    cols[i].label.clone(),
                    span,
                    sort,
                ));
                i += 1;
            }
            Some(g) => {
                let start = i;
                while i < cols.len() && cols[i].group.as_ref() == Some(g) {
                    i += 1;
                }
                top.push(
                    view! { <th scope="colgroup" colspan=(i - start).to_string() class="group">{g.clone()}</th> }
                        .into_any(),
                );
                for c in &cols[start..i] {
                    second.push(sort_header(c.key.clone(), c.label.clone(), None, sort));
                }
            }
        }
    }
    let columns: Vec<(String, CellKind)> = cols.iter().map(|c| (c.key.clone(), c.kind)).collect();
    let total = report.total.clone();
    let name_label = report.name_label.clone();
    let code = report.code.clone();
    let note = report.note.clone();
    let columns = StoredValue::new(columns);
    let report = StoredValue::new(report);
    let zero_label = if en { "No ratings" } else { "零评价" };

    let body = move || {
        let rows = report.with_value(|r| sorted_rows(r, &sort.get()));
        rows.into_iter()
            .enumerate()
            .map(|(i, row)| {
                let id = row.id.map(|x| x.to_string()).unwrap_or_else(|| format!("r{i}"));
                let name = match (&row.drill, drill) {
                    (Some(d), Some(cb)) => {
                        let href = cb.run((d.clone(), row.name.clone()));
                        view! { <a href=href data-testid="drill">{row.name.clone()}</a> }.into_any()
                    }
                    _ => view! { <span>{row.name.clone()}</span> }.into_any(),
                };
                let cells = columns.with_value(|c| cells_view(&row, c));
                view! {
                    <tr data-testid="report-row" data-row-id=id class:zero-row=row.zero data-zero=row.zero.to_string()>
                        <td class="rank">{(i + 1).to_string()}</td>
                        <th scope="row" class="row-name">
                            {name}
                            {row.zero.then(|| view! { <span class="badge zero" data-testid="zero-badge">{zero_label}</span> })}
                        </th>
                        {cells}
                    </tr>
                }
            })
            .collect_view()
    };
    let total_row = total.map(|row| {
        let cells = columns.with_value(|c| cells_view(&row, c));
        view! {
            <tr class="total" data-testid="report-total" data-row-id="total">
                <td class="rank"></td>
                <th scope="row" class="row-name">{row.name.clone()}</th>
                {cells}
            </tr>
        }
    });

    view! {
        <div class="table-wrap" role="region" aria-label=caption.clone() tabindex="0">
            <table class="report" data-testid="report-table" data-code=code>
                <caption>{caption.clone()}</caption>
                <thead>
                    <tr>
                        <th scope="col" rowspan=span class="rank">{if en { "No." } else { "序号" }}</th>
                        {sort_header("name".into(), name_label, span, sort)}
                        {top}
                    </tr>
                    {has_groups.then(|| view! { <tr>{second}</tr> })}
                </thead>
                <tbody>
                    {body}
                    {total_row}
                </tbody>
            </table>
        </div>
        {(!note.is_empty()).then(|| view! {
            <p class="report-note" data-testid="report-note">{note}</p>
        })}
    }
}

/// Horizontal bars of one column over the rows, in the table's order.
#[component]
pub fn BarChart(report: Report, sort: RwSignal<Sort>, #[prop(optional)] en: bool) -> impl IntoView {
    let first = report
        .columns
        .iter()
        .find(|c| c.key == "ratings")
        .or_else(|| report.columns.iter().find(|c| c.kind == CellKind::Count))
        .or(report.columns.first())
        .map(|c| c.key.clone())
        .unwrap_or_default();
    let key = RwSignal::new(first);
    let options: Vec<(String, String)> = report
        .columns
        .iter()
        .map(|c| (c.key.clone(), c.label.clone()))
        .collect();
    let report = StoredValue::new(report);

    let chart = move || {
        let k = key.get();
        report.with_value(|r| {
            let Some(i) = r.columns.iter().position(|c| c.key == k) else {
                return ().into_any();
            };
            let col = &r.columns[i];
            let rows = sorted_rows(r, &sort.get());
            let values: Vec<(String, Option<f64>, bool)> = rows
                .iter()
                .map(|row| {
                    let v = row.cells.get(i).copied().flatten().filter(|x| x.is_finite());
                    (row.name.clone(), v, row.zero)
                })
                .collect();
            let max = values
                .iter()
                .filter_map(|(_, v, _)| *v)
                .fold(0.0_f64, f64::max)
                .max(if col.kind == CellKind::Percent { 100.0 } else { 1.0 });
            const LABEL_W: f64 = 210.0;
            const BAR_W: f64 = 470.0;
            const ROW_H: f64 = 30.0;
            let width = LABEL_W + BAR_W + 110.0;
            let height = ROW_H * values.len() as f64 + 8.0;
            let label = if en {
                format!("Bar chart: {} by {}", col.label, r.name_label)
            } else {
                format!("柱状图：按{}的{}", r.name_label, col.label)
            };
            let bars = values
                .into_iter()
                .enumerate()
                .map(|(n, (name, v, zero))| {
                    let y = 4.0 + ROW_H * n as f64;
                    let w = v.map(|x| (x.max(0.0) / max) * BAR_W).unwrap_or(0.0);
                    let short: String = if name.chars().count() > 13 {
                        name.chars().take(12).chain(std::iter::once('…')).collect()
                    } else {
                        name
                    };
                    view! {
                        <g class:zero=zero>
                            <text x=(LABEL_W - 8.0).to_string() y=(y + ROW_H / 2.0).to_string() text-anchor="end" dominant-baseline="middle" class="bar-label">{short}</text>
                            <rect x=LABEL_W.to_string() y=(y + 4.0).to_string() width=format!("{w:.1}") height=(ROW_H - 8.0).to_string() class="bar"/>
                            <text x=format!("{:.1}", LABEL_W + w + 6.0) y=(y + ROW_H / 2.0).to_string() dominant-baseline="middle" class="bar-value">{fmt_cell(v, col.kind)}</text>
                        </g>
                    }
                })
                .collect_view();
            view! {
                <svg class="bar-chart" data-testid="report-chart" role="img" aria-label=label
                    viewBox=format!("0 0 {width} {height}") preserveAspectRatio="xMinYMin meet">
                    {bars}
                </svg>
            }
            .into_any()
        })
    };

    view! {
        <figure class="chart">
            <label class="chart-pick no-print">
                <span>{if en { "Chart" } else { "图表指标" }}</span>
                <select data-testid="chart-column" on:change=move |ev| key.set(event_target_value(&ev))>
                    {options.into_iter().map(|(k, l)| {
                        let k2 = k.clone();
                        view! { <option value=k prop:selected=move || key.get() == k2>{l}</option> }
                    }).collect_view()}
                </select>
            </label>
            {chart}
        </figure>
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Month,
    Quarter,
    Range,
}

/// 按月 / 按季度 / 自定义起止日期. What is chosen is written to `picked`;
/// the page puts it in the URL.
#[component]
pub fn PeriodPicker(
    current: Signal<Option<Period>>,
    today: Signal<Option<Date>>,
    picked: RwSignal<Option<Period>>,
    #[prop(default = true)] allow_range: bool,
    #[prop(into)] en: Signal<bool>,
) -> impl IntoView {
    let mode = RwSignal::new(Mode::Quarter);
    let month = RwSignal::new(String::new());
    let quarter = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());

    // The inputs follow the URL (a link, the back button).
    Effect::new(move |_| {
        let t = today.get();
        if let Some(t) = t {
            if month.get_untracked().is_empty() {
                if let Period::Month(m) = Period::month_of(t) {
                    month.set(m);
                }
            }
            if quarter.get_untracked().is_empty() {
                if let Period::Quarter(q) = Period::quarter_of(t) {
                    quarter.set(q);
                }
            }
            if from.get_untracked().is_empty() {
                from.set(Date::new(t.year, t.month, 1).to_string());
                to.set(t.to_string());
            }
        }
        match current.get() {
            Some(Period::Month(m)) => {
                mode.set(Mode::Month);
                month.set(m);
            }
            Some(Period::Quarter(q)) => {
                mode.set(Mode::Quarter);
                quarter.set(q);
            }
            Some(Period::Range(f, t)) => {
                mode.set(Mode::Range);
                from.set(f);
                to.set(t);
            }
            None => {}
        }
    });

    let quarters = move || {
        let mut list = today
            .get()
            .map(|t| recent_quarters(t, 8))
            .unwrap_or_default();
        let q = quarter.get();
        if !q.is_empty() && !list.contains(&q) {
            list.insert(0, q);
        }
        list
    };
    let choose = move |m: Mode| {
        mode.set(m);
        match m {
            Mode::Month if !month.get_untracked().is_empty() => {
                picked.set(Some(Period::Month(month.get_untracked())))
            }
            Mode::Quarter if !quarter.get_untracked().is_empty() => {
                picked.set(Some(Period::Quarter(quarter.get_untracked())))
            }
            _ => {}
        }
    };
    let modes = move || {
        let en = en.get();
        let mut v = vec![
            (Mode::Month, if en { "By month" } else { "按月" }, "month"),
            (
                Mode::Quarter,
                if en { "By quarter" } else { "按季度" },
                "quarter",
            ),
        ];
        if allow_range {
            v.push((
                Mode::Range,
                if en { "Dates" } else { "自定义起止日期" },
                "range",
            ));
        }
        v
    };

    view! {
        <div class="period-picker no-print" role="group" aria-label=move || if en.get() { "Period" } else { "统计期间" } data-testid="period-picker">
            <div class="filters">
                {move || modes().into_iter().map(|(m, label, key)| view! {
                    <button type="button" class="filter" data-testid=format!("period-mode-{key}")
                        aria-pressed=move || (mode.get() == m).to_string() on:click=move |_| choose(m)>{label}</button>
                }).collect_view()}
            </div>
            {move || match mode.get() {
                Mode::Month => view! {
                    <label class="period-field"><span>{move || if en.get() { "Month" } else { "月份" }}</span>
                        <input type="month" data-testid="period-month" prop:value=move || month.get()
                            on:change=move |ev| {
                                let v = event_target_value(&ev);
                                month.set(v.clone());
                                if !v.is_empty() { picked.set(Some(Period::Month(v))); }
                            }/>
                    </label>
                }.into_any(),
                Mode::Quarter => view! {
                    <label class="period-field"><span>{move || if en.get() { "Quarter" } else { "季度" }}</span>
                        <select data-testid="period-quarter" on:change=move |ev| {
                            let v = event_target_value(&ev);
                            quarter.set(v.clone());
                            picked.set(Some(Period::Quarter(v)));
                        }>
                            {move || quarters().into_iter().map(|q| {
                                let label = Period::Quarter(q.clone()).label(en.get());
                                let q2 = q.clone();
                                view! { <option value=q prop:selected=move || quarter.get() == q2>{label}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                }.into_any(),
                Mode::Range => view! {
                    <form class="period-range" on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        picked.set(Some(Period::Range(from.get_untracked(), to.get_untracked())));
                    }>
                        <label class="period-field"><span>{move || if en.get() { "From" } else { "开始日期" }}</span>
                            <input type="date" data-testid="period-from" prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev))/></label>
                        <label class="period-field"><span>{move || if en.get() { "To" } else { "结束日期" }}</span>
                            <input type="date" data-testid="period-to" prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev))/></label>
                        <button class="primary" type="submit" data-testid="period-apply">{move || if en.get() { "Show" } else { "查询" }}</button>
                    </form>
                }.into_any(),
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::ReportColumn;

    fn row(name: &str, v: Option<f64>) -> ReportRow {
        ReportRow {
            id: None,
            name: name.into(),
            cells: vec![v],
            drill: None,
            zero: v.is_none(),
        }
    }

    fn report() -> Report {
        Report {
            code: "districts".into(),
            title: "t".into(),
            source: "s".into(),
            name_label: "区县".into(),
            from: "2026-10-01".into(),
            to: "2026-12-31".into(),
            columns: vec![ReportColumn {
                key: "ratings".into(),
                label: "评价数".into(),
                group: None,
                kind: CellKind::Count,
            }],
            rows: vec![
                row("a", Some(2.0)),
                row("b", None),
                row("c", Some(10.0)),
                row("d", Some(2.0)),
            ],
            total: Some(row("合计", Some(14.0))),
            note: String::new(),
            undelivered: None,
        }
    }

    fn names(rows: &[ReportRow]) -> Vec<&str> {
        rows.iter().map(|r| r.name.as_str()).collect()
    }

    #[test]
    fn rows_sort_by_number_with_no_figure_last_either_way() {
        let r = report();
        let desc = sorted_rows(&r, &Some(("ratings".into(), SortDir::Desc)));
        assert_eq!(names(&desc), ["c", "a", "d", "b"]);
        let asc = sorted_rows(&r, &Some(("ratings".into(), SortDir::Asc)));
        assert_eq!(names(&asc), ["a", "d", "c", "b"]);
        assert_eq!(names(&sorted_rows(&r, &None)), ["a", "b", "c", "d"]);
    }

    #[test]
    fn a_heading_sorts_descending_first_then_ascending() {
        let s = next_sort(&None, "ratings");
        assert_eq!(s, Some(("ratings".into(), SortDir::Desc)));
        let s = next_sort(&s, "ratings");
        assert_eq!(s, Some(("ratings".into(), SortDir::Asc)));
        assert_eq!(
            next_sort(&s, "ratings"),
            Some(("ratings".into(), SortDir::Desc))
        );
        assert_eq!(
            next_sort(&s, "cases"),
            Some(("cases".into(), SortDir::Desc))
        );
    }

    #[test]
    fn cells_print_as_the_seeds_do() {
        assert_eq!(fmt_cell(Some(1234.0), CellKind::Count), "1234");
        assert_eq!(fmt_cell(Some(99.7), CellKind::Percent), "99.70%");
        assert_eq!(fmt_cell(None, CellKind::Percent), "/");
    }

    #[test]
    fn periods_read_and_write_the_url() {
        let d = Date::new(2026, 11, 30);
        assert_eq!(Period::quarter_of(d).query(), "quarter=2026-Q4");
        assert_eq!(Period::month_of(d).query(), "month=2026-11");
        assert_eq!(Period::quarter_of(d).label(false), "2026年第4季度");
        assert_eq!(
            recent_quarters(Date::new(2026, 2, 1), 3),
            ["2026-Q1", "2025-Q4", "2025-Q3"]
        );
        assert_eq!(enc("张 &="), "%E5%BC%A0%20%26%3D");
    }
}
