//! Beside a 通报 table: the key figures month over month (a line each)
//! and the hour × weekday heat maps of ratings and of bad ratings.

use leptos::prelude::*;
use leptos::task::spawn_local;

use app::api::endpoints::reports::{self, ReportQuery};
use domain::trend::{Heat, Trend, TrendSeries};

const WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

/// Loads and draws the trend of table `code` for the query `query`
/// (period and drill-down; none before the period is known), reloading
/// when either changes.
#[component]
pub fn TrendPanel(code: Signal<String>, query: Signal<Option<ReportQuery>>) -> impl IntoView {
    let trend: RwSignal<Option<Trend>> = RwSignal::new(None);
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let issued = RwSignal::new(0u64);
    Effect::new(move |_| {
        let (c, q) = (code.get(), query.get());
        let Some(q) = q else {
            return;
        };
        issued.update(|n| *n += 1);
        let mine = issued.get_untracked();
        spawn_local(async move {
            let answer = reports::trend(&c, &q).await;
            if issued.get_untracked() != mine {
                return;
            }
            match answer {
                Ok(t) => {
                    error.set(None);
                    trend.set(Some(t));
                }
                Err(e) => error.set(Some(e.message())),
            }
        });
    });
    view! {
        <section class="trends no-print" data-testid="trends">
            <h2>"趋势与时段分布"</h2>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || trend.get().map(|t| {
                let months = t.months.clone();
                view! {
                    <div class="trend-lines" data-testid="trend-lines">
                        {t.series.into_iter().map(|s| view! { <Line series=s months=months.clone()/> }).collect_view()}
                    </div>
                    <p class="hint">{format!("时段分布：{} 至 {}（北京时间）", t.heat_from, t.heat_to)}</p>
                    <div class="heat-maps">
                        <HeatMap heat=t.heat.clone() bad=false/>
                        <HeatMap heat=t.heat bad=true/>
                    </div>
                }
            })}
        </section>
    }
}

/// One figure, month by month: a small line chart with its last value.
#[component]
fn Line(series: TrendSeries, months: Vec<String>) -> impl IntoView {
    const W: f64 = 300.0;
    const H: f64 = 90.0;
    const PAD: f64 = 6.0;
    let n = series.values.len().max(1);
    let max = series
        .values
        .iter()
        .flatten()
        .fold(if series.percent { 100.0 } else { 1.0 }, |a, b| {
            f64::max(a, *b)
        });
    let x = |i: usize| PAD + (W - 2.0 * PAD) * i as f64 / (n.saturating_sub(1).max(1)) as f64;
    let y = |v: f64| H - PAD - (H - 2.0 * PAD) * (v / max);
    let points = series
        .values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| v.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
        .collect::<Vec<_>>()
        .join(" ");
    let fmt = |v: Option<f64>| match v {
        Some(v) if series.percent => format!("{v:.2}%"),
        Some(v) => format!("{v:.0}"),
        None => "/".into(),
    };
    let last = fmt(series.values.last().copied().flatten());
    let prev = fmt(series.values.iter().rev().nth(1).copied().flatten());
    let label = format!(
        "{}：{} 至 {} 逐月变化，最近一月 {last}，上月 {prev}",
        series.label,
        months.first().cloned().unwrap_or_default(),
        months.last().cloned().unwrap_or_default()
    );
    let dots = series
        .values
        .iter()
        .enumerate()
        .filter_map(|(i, v)| {
            v.map(|v| {
                let title = format!("{} {}", months.get(i).cloned().unwrap_or_default(), fmt(Some(v)));
                view! { <circle cx=format!("{:.1}", x(i)) cy=format!("{:.1}", y(v)) r="3"><title>{title}</title></circle> }
            })
        })
        .collect_view();
    view! {
        <figure class="trend" data-testid="trend-line" data-code=series.code.clone()>
            <figcaption><span>{series.label.clone()}</span><strong data-testid="trend-last">{last}</strong></figcaption>
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label=label class="trend-svg">
                <polyline points=points fill="none" stroke="#0b4fa8" stroke-width="2.5"/>
                <g class="trend-dots">{dots}</g>
            </svg>
            <div class="trend-axis"><span>{months.first().cloned().unwrap_or_default()}</span><span>{months.last().cloned().unwrap_or_default()}</span></div>
        </figure>
    }
}

/// 7 rows (Monday first) × 24 hours, darker for more.
#[component]
fn HeatMap(heat: Heat, bad: bool) -> impl IntoView {
    let grid = if bad { heat.bad } else { heat.ratings };
    let max = grid.iter().flatten().copied().max().unwrap_or(0).max(1);
    let title = if bad {
        "差评时段分布"
    } else {
        "评价时段分布"
    };
    let total: u64 = grid.iter().flatten().sum();
    let busiest = grid
        .iter()
        .enumerate()
        .flat_map(|(w, row)| row.iter().enumerate().map(move |(h, n)| (*n, w, h)))
        .max()
        .filter(|(n, _, _)| *n > 0)
        .map(|(n, w, h)| format!("最多在{}{h}时（{n} 条）", WEEKDAYS[w]))
        .unwrap_or_else(|| "无数据".into());
    view! {
        <figure class="heat" data-testid=if bad { "heat-bad" } else { "heat-ratings" } data-total=total.to_string()>
            <figcaption>{format!("{title}：共 {total} 条，{busiest}")}</figcaption>
            <table class="heat-table">
                <thead><tr><th></th>{(0..24).map(|h| view! { <th scope="col">{(h % 3 == 0).then(|| h.to_string())}</th> }).collect_view()}</tr></thead>
                <tbody>
                    {grid.into_iter().enumerate().map(|(w, row)| view! {
                        <tr>
                            <th scope="row">{WEEKDAYS[w]}</th>
                            {row.into_iter().enumerate().map(|(h, n)| {
                                // A square-root scale: one busy hour does not wash out the rest.
                                let level = if n == 0 { 0 } else { ((n as f64 / max as f64).sqrt() * 5.0).ceil().clamp(1.0, 5.0) as u64 };
                                view! { <td class=format!("heat-{level}") class:bad=bad title=format!("{} {h}:00–{h}:59：{n} 条", WEEKDAYS[w])></td> }
                            }).collect_view()}
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </figure>
    }
}
