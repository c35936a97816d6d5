//! 通报报表 (`/staff/reports[/:code]`): the 通报 tables of the seeds for a
//! month, a quarter or any dates, for supervisors and unit administrators
//! on a tablet or a desk. Every figure comes from the server
//! (`endpoints::reports::report`), the same value that is exported to XLSX
//! and CSV; this page only sorts, ranks, charts and prints it.
//!
//! The period (and a drill-down's parameter and trail) lives in the URL, so
//! a link, a reload or the back button shows the same table. The table,
//! period picker and chart are shared with the public page.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use leptos_router::NavigateOptions;

use crate::pages::common::{go_to, roles, use_session_for, StaffPage};
use crate::pages::trends::TrendPanel;
use app::api::endpoints::reports::{self as api, encode_params, report_export_url, ReportQuery};
use app::api::types::{Report, ReportEntry};
use app::web::china_today;
use app::widgets::report::*;
use domain::calendar::Date;

/// A drill-down's path: (name shown, `code?params` of that table), root
/// first, the current table last. Kept in the URL (`trail=`).
type Trail = Vec<(String, String)>;

const ROOT_LABEL: &str = "全市";
/// The page's own URL parameters; any other is the table's (`district=3`).
const NOT_REPORT_PARAMS: [&str; 6] = ["quarter", "month", "from", "to", "trail", "format"];

fn split_target(target: &str) -> (&str, &str) {
    target.split_once('?').unwrap_or((target, ""))
}

fn report_href(target: &str, period: Option<&Period>, trail: Option<&Trail>) -> String {
    let (code, params) = split_target(target);
    let mut q: Vec<String> = Vec::new();
    if !params.is_empty() {
        q.push(params.to_string());
    }
    if let Some(p) = period {
        q.push(p.query());
    }
    if let Some(t) = trail.filter(|t| t.len() > 1) {
        if let Ok(json) = serde_json::to_string(t) {
            q.push(format!("trail={}", enc(&json)));
        }
    }
    let mut href = format!("/staff/reports/{}", enc(code));
    if !q.is_empty() {
        href.push('?');
        href.push_str(&q.join("&"));
    }
    href
}

/// `/staff/reports` and `/staff/reports/:code`.
#[component]
pub fn ReportsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let navigate = use_navigate();
    let navigate_to = {
        let n = navigate.clone();
        move |href: &str| n(href, NavigateOptions::default())
    };
    let error: RwSignal<Option<String>> = RwSignal::new(None);
    let today: RwSignal<Option<Date>> = RwSignal::new(None);
    let entries: RwSignal<Option<Vec<ReportEntry>>> = RwSignal::new(None);
    let report: RwSignal<Option<Report>> = RwSignal::new(None);
    let loading = RwSignal::new(false);
    let sort: RwSignal<Sort> = RwSignal::new(None);
    let picked: RwSignal<Option<Period>> = RwSignal::new(None);

    let code = Memo::new(move |_| {
        params
            .read()
            .get("code")
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| "districts".into())
    });
    let in_url = Memo::new(move |_| Period::from_query(&query.read()));
    // Without one in the URL: this quarter, China time (known once hydrated).
    let period = Memo::new(move |_| in_url.get().or_else(|| today.get().map(Period::quarter_of)));
    // `district=3`, `window=5` and the like: whatever a drill-down link
    // carried besides the period, passed on to the API as it is.
    let extra = Memo::new(move |_| {
        query
            .read()
            .latest_values()
            .filter(|(k, _)| !NOT_REPORT_PARAMS.contains(&k.as_ref()))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
    });
    let target = Memo::new(move |_| {
        let e = encode_params(&extra.get());
        if e.is_empty() {
            code.get()
        } else {
            format!("{}?{e}", code.get())
        }
    });
    let trail = Memo::new(move |_| -> Trail {
        query
            .read()
            .get("trail")
            .and_then(|t| serde_json::from_str::<Trail>(&t).ok())
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| vec![(ROOT_LABEL.to_string(), target.get())])
    });

    use_session_for(roles::HANDLERS, error, |_| {});
    Effect::new(move |_| today.set(Some(china_today())));
    Effect::new(move |_| {
        spawn_local(async move {
            match api::reports().await {
                Ok(list) => entries.set(Some(list)),
                Err(e) if e.status() == Some(401) => go_to("/staff/login"),
                Err(e) => error.set(Some(e.message())),
            }
        });
    });

    // A new table: the old one's sort means nothing there.
    Effect::new(move |prev: Option<String>| {
        let c = code.get();
        if prev.is_some_and(|p| p != c) {
            sort.set(None);
        }
        c
    });

    // Only the latest request's answer is shown.
    let issued = RwSignal::new(0u64);
    Effect::new(move |_| {
        let Some(p) = period.get() else {
            return;
        };
        let c = code.get();
        let q = ReportQuery {
            period: p,
            params: extra.get(),
        };
        issued.update(|n| *n += 1);
        let mine = issued.get_untracked();
        loading.set(true);
        report.set(None);
        spawn_local(async move {
            let answer = api::report(&c, &q).await;
            if issued.get_untracked() != mine {
                return;
            }
            loading.set(false);
            match answer {
                Ok(r) => {
                    error.set(None);
                    report.set(Some(r));
                }
                Err(e) if e.status() == Some(401) => go_to("/staff/login"),
                Err(e) => error.set(Some(e.message())),
            }
        });
    });

    // A period picked: into the URL, keeping the table and its trail.
    Effect::new(move |_| {
        let Some(p) = picked.get() else {
            return;
        };
        let t = trail.get_untracked();
        let href = report_href(&target.get_untracked(), Some(&p), Some(&t));
        navigate(&href, NavigateOptions::default());
    });

    let drill = Callback::new(move |(drill, name): (String, String)| {
        let mut t = trail.get_untracked();
        t.push((name, drill.clone()));
        report_href(&drill, period.get_untracked().as_ref(), Some(&t))
    });

    let trend_query = Signal::derive(move || {
        period.get().map(|p| ReportQuery {
            period: p,
            params: extra.get(),
        })
    });

    let choose = Callback::new(move |c: String| {
        let href = report_href(&c, period.get_untracked().as_ref(), None);
        navigate_to(&href);
    });

    view! {
        <Title text="通报报表 · 好差评"/>
        <StaffPage title=Signal::derive(|| "通报报表".to_string()) class="tablet reports-page">
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="error">{e}</p> })}
            <ReportPick entries=entries code=code period=period today=today picked=picked choose=choose/>
            <Crumbs trail=trail period=period/>
            <ReportActions code=code period=period extra=extra/>
            <Show when=move || loading.get()>
                <p role="status" data-testid="report-loading">"正在加载…"</p>
            </Show>
            <ReportBody report=report period=period sort=sort drill=drill/>
            <TrendPanel code=code.into() query=trend_query/>
        </StaffPage>
    }
}

/// The table chosen from a list, not a row of tabs: the table itself
/// starts above the fold on a 1024×768 tablet. Beside it, the period.
#[component]
fn ReportPick(
    entries: RwSignal<Option<Vec<ReportEntry>>>,
    code: Memo<String>,
    period: Memo<Option<Period>>,
    today: RwSignal<Option<Date>>,
    picked: RwSignal<Option<Period>>,
    choose: Callback<String>,
) -> impl IntoView {
    let picker = move || {
        let list = entries.get().unwrap_or_default();
        let current = code.get();
        list.into_iter()
        .filter(|e| e.needs.is_none())
        .map(|e| {
            let here = e.code == current;
            view! {
                <option value=e.code.clone() selected=here title=format!("表样参照：{}", e.source)>{e.title.clone()}</option>
            }
        })
        .collect_view()
    };
    view! {
    <div class="report-top no-print">
        <label class="period-field report-pick">
            <span>"报表"</span>
            <select data-testid="report-select" on:change=move |ev| choose.run(event_target_value(&ev))>{picker}</select>
        </label>
        <PeriodPicker current=period.into() today=today.into() picked=picked en=false/>
    </div>
    }
}

/// The drill-down's trail (全市 › 张店区 › …), each step a link.
#[component]
fn Crumbs(trail: Memo<Trail>, period: Memo<Option<Period>>) -> impl IntoView {
    move || {
        let t = trail.get();
        if t.len() < 2 {
            return None;
        }
        let p = period.get();
        let last = t.len() - 1;
        let items = t
            .iter()
            .enumerate()
            .map(|(i, (name, target))| {
                if i == last {
                    view! { <li aria-current="page" data-testid="crumb">{name.clone()}</li> }
                        .into_any()
                } else {
                    let prefix: Trail = t[..=i].to_vec();
                    let href = report_href(target, p.as_ref(), Some(&prefix));
                    view! { <li data-testid="crumb"><a href=href>{name.clone()}</a></li> }
                        .into_any()
                }
            })
            .collect_view();
        Some(view! {
            <nav class="crumbs" aria-label="层级" data-testid="crumbs"><ol>{items}</ol></nav>
        })
    }
}

/// Downloads of the table (Excel, CSV) and printing.
#[component]
fn ReportActions(
    code: Memo<String>,
    period: Memo<Option<Period>>,
    extra: Memo<Vec<(String, String)>>,
) -> impl IntoView {
    let export_href = move |format: &str| {
        report_export_url(&code.get(), period.get().as_ref(), &extra.get(), format)
    };
    let print = move |_| {
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
    <div class="report-actions no-print">
        <a class="button-link primary" data-testid="export-xlsx" rel="external" download href=move || export_href("xlsx")>"下载 Excel"</a>
        <a class="button-link" data-testid="export-csv" rel="external" download href=move || export_href("csv")>"下载 CSV"</a>
        <button type="button" class="secondary" data-testid="print" on:click=print>"打印"</button>
    </div>
    }
}

/// The table, and its bar chart when one says something.
#[component]
fn ReportBody(
    report: RwSignal<Option<Report>>,
    period: Memo<Option<Period>>,
    sort: RwSignal<Sort>,
    drill: Callback<(String, String), String>,
) -> impl IntoView {
    move || {
        let r = report.get()?;
        let label = period.get().map(|p| p.label(false)).unwrap_or_default();
        let caption = format!("{}（{label}：{} 至 {}）", r.title, r.from, r.to);
        let chartable = !matches!(r.code.as_str(), "matrix" | "monthly")
            && !r.columns.iter().any(|c| c.group.is_some())
            && r.rows.len() <= 60
            && r.rows
                .iter()
                .any(|row| row.cells.iter().flatten().any(|v| *v > 0.0));
        Some(view! {
            <ReportTable report=r.clone() caption=caption sort=sort drill=drill/>
            {chartable.then(|| view! { <BarChart report=r sort=sort/> })}
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::calendar::Date;

    #[test]
    fn a_drill_down_link_keeps_the_period_and_the_trail() {
        let d = Date::new(2026, 11, 30);
        let trail: Trail = vec![
            ("全市".into(), "districts".into()),
            ("张店区".into(), "district_departments?district=3".into()),
        ];
        let href = report_href(
            "district_departments?district=3",
            Some(&Period::quarter_of(d)),
            Some(&trail),
        );
        assert!(href
            .starts_with("/staff/reports/district_departments?district=3&quarter=2026-Q4&trail="));
    }
}
