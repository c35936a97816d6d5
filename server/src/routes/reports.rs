//! `/api/v1/reports/…` (通报 tables, their XLSX and CSV), the streaming
//! export of every rating of a period, the public disclosure figures and
//! the misuse-flag review. Thin: tables are built in `crate::reports`.

use app::api::types::{
    CellKind, FlagList, FlagReview, FlagReviewResult, FlagView, Report, ReportEntry,
};
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use domain::calendar::Date;
use domain::case::mask_phone;
use domain::report::{format_cell, Period, Table, TABLES};
use domain::Role;
use domain::{Channel, CodeMap};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::csv_file::write_safe;
use super::json_body;
use super::rectify::attachment;
use crate::auth::Staff;
use crate::error::ApiError;
use crate::reports::{self, Params};
use crate::state::{now_ms, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(index))
        .routes(routes!(one))
        .routes(routes!(trend))
        .routes(routes!(export_ratings))
        .routes(routes!(public_results))
        .routes(routes!(flags))
        .routes(routes!(review))
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// 月份 `YYYY-MM` / A month
    month: Option<String>,
    /// 季度 `YYYY-Qn` / A quarter
    quarter: Option<String>,
    /// 起始日 `YYYY-MM-DD`（含）/ First day, inclusive
    from: Option<String>,
    /// 截止日 `YYYY-MM-DD`（含）/ Last day, inclusive
    to: Option<String>,
    /// 下钻到区县编码 / Drill down to a district (code)
    district: Option<String>,
    /// 下钻到部门编码 / Drill down to a department (code)
    department: Option<String>,
    /// 下钻到窗口编码 / Drill down to a window (code)
    window: Option<String>,
    /// `json`（默认）、`csv` 或 `xlsx` / The answer's format
    format: Option<String>,
}

/// A unit id from the query, with our own error when it is not a number.
fn unit_id(name: &str, v: &Option<String>) -> Result<Option<i64>, ApiError> {
    v.as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse().map_err(|_| ApiError::Unprocessable {
                code: "report_parameter",
                zh: format!("参数 {name} 应为编号，收到“{s}”"),
                en: format!("Parameter {name} must be an id, got '{s}'"),
            })
        })
        .transpose()
}

impl ReportQuery {
    fn period(&self) -> Result<Period, ApiError> {
        Period::parse(
            self.month.as_deref(),
            self.quarter.as_deref(),
            self.from.as_deref(),
            self.to.as_deref(),
        )
        .map_err(|e| ApiError::Unprocessable {
            code: "period_invalid",
            zh: e.message_zh().into(),
            en: e.message_en().into(),
        })
    }
    /// The public page and a bare request default to the current quarter.
    fn period_or_quarter(&self) -> Result<Period, ApiError> {
        if self.month.is_none()
            && self.quarter.is_none()
            && self.from.is_none()
            && self.to.is_none()
        {
            return Ok(Period::quarter_of(Date::of_instant(now_ms())));
        }
        self.period()
    }
}

#[utoipa::path(
    operation_id = "index",
    get,
    path = "/reports",
    tag = "reports",
    responses((status = 200, description = "成功 / OK", body = Vec<app::api::types::ReportEntry>), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn index(staff: Staff) -> Result<Json<Vec<ReportEntry>>, ApiError> {
    staff.require_can(Role::reads_reports)?;
    // A district's supervisor is offered the tables it may read.
    let district = staff.district().is_some();
    Ok(Json(
        TABLES
            .iter()
            .filter(|t| !district || per_district(**t) || t.needs().is_some())
            .map(|t| t.entry())
            .collect(),
    ))
}

#[utoipa::path(
    operation_id = "reports_one",
    get,
    path = "/reports/{code}",
    tag = "reports",
    params(("code" = String, Path, description = "报表编号 / Report code"), ReportQuery),
    responses((status = 200, description = "成功 / OK", content((app::api::types::Report = "application/json"), (String = "text/csv"))), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn one(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    staff.require_can(Role::reads_reports)?;
    let table = Table::parse(&code)
        .filter(|t| *t != Table::Public)
        .ok_or_else(|| ApiError::NotFound {
            code: "report_unknown",
            zh: format!("没有名为“{code}”的报表"),
            en: format!("There is no report '{code}'"),
        })?;
    // Named staff members' figures are for supervisors.
    if matches!(table, Table::Staff | Table::BottomStaff) {
        staff.require(&[Role::Supervisor])?;
    }
    let period = q.period_or_quarter()?;
    let params = Params {
        district: unit_id("district", &q.district)?,
        department: unit_id("department", &q.department)?,
        window: unit_id("window", &q.window)?,
    };
    let district = district_guard(&state, &staff, table, &params).await?;
    let mut report = reports::build(&state, table, &period, params, now_ms()).await?;
    // 003 counts what was 归集并上传省平台: the 通报 says what has not.
    let (from, to) = (
        period.from.start_ms(),
        period.to.start_ms() + domain::calendar::DAY_MS,
    );
    if let Some(n) = state.store.undelivered_ratings(from, to).await? {
        report.undelivered = Some(n);
        report.note.push_str(&domain::report::undelivered_note(n));
    }
    if let Some(d) = district.filter(|_| table.needs().is_none()) {
        // The district's own row; the city's total is not theirs to see.
        report.rows.retain(|r| r.id == Some(d));
        report.total = None;
    }
    render(report, q.format.as_deref())
}

/// The tables with one row per district.
fn per_district(t: Table) -> bool {
    matches!(
        t,
        Table::Districts
            | Table::DistrictSummary
            | Table::Grassroots
            | Table::PublicService
            | Table::Monthly
            | Table::Loop
    )
}

/// What a district's supervisor may read (004 §9 本地区): the tables with
/// a row per district, cut to theirs, and the drill-downs inside their
/// district; not the city-wide ones (市直部门, the matrix, items, the
/// bottom staff). `Some(district)` when the answer must be cut.
async fn district_guard(
    state: &AppState,
    staff: &Staff,
    table: Table,
    params: &Params,
) -> Result<Option<i64>, ApiError> {
    let Some(d) = staff.district() else {
        return Ok(None);
    };
    let refuse = || ApiError::Forbidden {
        code: "district_scope",
        zh: "区县督查员只能查看本区县的报表".into(),
        en: "A district supervisor reads the district's reports only".into(),
    };
    let department_in = |id: Option<i64>, units: &[crate::store::OrgUnit]| {
        id.is_some_and(|id| units.iter().any(|u| u.id == id && u.parent == d))
    };
    match table {
        t if per_district(t) => Ok(Some(d)),
        Table::DistrictDepartments if params.district == Some(d) => Ok(Some(d)),
        Table::Windows => {
            let depts = state.store.org_units("department").await?;
            if department_in(params.department, &depts) {
                Ok(Some(d))
            } else {
                Err(refuse())
            }
        }
        Table::Staff => {
            let depts = state.store.org_units("department").await?;
            let windows = state.store.org_units("window").await?;
            let dept = params
                .window
                .and_then(|w| windows.iter().find(|u| u.id == w))
                .map(|w| w.parent);
            if department_in(dept, &depts) {
                Ok(Some(d))
            } else {
                Err(refuse())
            }
        }
        _ => Err(refuse()),
    }
}

/// The table's key figures month by month (the year up to the period's
/// end) and its ratings by weekday and hour over the period, for the same
/// district or department the table is drilled to.
#[utoipa::path(
    operation_id = "trend",
    get,
    path = "/reports/{code}/trend",
    tag = "reports",
    params(("code" = String, Path, description = "报表编号 / Report code"), ReportQuery),
    responses((status = 200, description = "成功 / OK", body = domain::trend::Trend), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn trend(
    State(state): State<AppState>,
    staff: Staff,
    Path(code): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<Json<domain::trend::Trend>, ApiError> {
    staff.require_can(Role::reads_reports)?;
    Table::parse(&code)
        .filter(|t| *t != Table::Public)
        .ok_or_else(|| ApiError::NotFound {
            code: "report_unknown",
            zh: format!("没有名为“{code}”的报表"),
            en: format!("There is no report '{code}'"),
        })?;
    let period = q.period_or_quarter()?;
    let mut params = Params {
        district: unit_id("district", &q.district)?,
        department: unit_id("department", &q.department)?,
        window: None,
    };
    if let Some(d) = staff.district() {
        // Only the district's own figures: drilled to it, or to one of its departments.
        let table = Table::parse(&code).unwrap_or(Table::Districts);
        let table = if params.department.is_some() {
            Table::Windows
        } else {
            table
        };
        district_guard(&state, &staff, table, &params).await?;
        if params.department.is_none() {
            if params.district.is_some_and(|x| x != d) {
                return Err(ApiError::Forbidden {
                    code: "district_scope",
                    zh: "区县督查员只能查看本区县的报表".into(),
                    en: "A district supervisor reads the district's reports only".into(),
                });
            }
            params.district = Some(d);
        }
    }
    Ok(Json(reports::trend(&state, &period, params).await?))
}

#[utoipa::path(
    operation_id = "public_results",
    get,
    path = "/public/results",
    tag = "reports",
    params(ReportQuery),
    responses((status = 200, description = "成功 / OK", body = app::api::types::Report), crate::openapi::Errors),
    security(())
)]
async fn public_results(
    State(state): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    let period = q.period_or_quarter()?;
    let report =
        reports::build(&state, Table::Public, &period, Params::default(), now_ms()).await?;
    render(report, q.format.as_deref())
}

fn render(report: Report, format: Option<&str>) -> Result<Response, ApiError> {
    let base = format!("{}_{}_{}", report.title, report.from, report.to);
    match format.unwrap_or("json") {
        "json" => Ok(Json(report).into_response()),
        "csv" => Ok(attachment(
            "text/csv; charset=utf-8",
            &format!("{base}.csv"),
            Some(&format!("{}.csv", report.code)),
            csv(&report)?,
        )),
        "xlsx" => Ok(attachment(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            &format!("{base}.xlsx"),
            Some(&format!("{}.xlsx", report.code)),
            xlsx(&report)?,
        )),
        other => Err(ApiError::Unprocessable {
            code: "invalid_format",
            zh: format!("不支持的导出格式“{other}”（xlsx 或 csv）"),
            en: format!("Unsupported format '{other}' (xlsx or csv)"),
        }),
    }
}

/// A column's heading on one line: "2026年10月 办件总数 A".
fn heading(c: &app::api::types::ReportColumn) -> String {
    match &c.group {
        Some(g) => format!("{g} {}", c.label),
        None => c.label.clone(),
    }
}

fn csv(r: &Report) -> Result<Vec<u8>, ApiError> {
    let err = |e: csv::Error| ApiError::Internal(anyhow::anyhow!("writing CSV: {e}"));
    let mut w = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let mut head = vec!["序号".to_string(), r.name_label.clone()];
    head.extend(r.columns.iter().map(heading));
    write_safe(&mut w, &head).map_err(err)?;
    let line = |n: String, row: &app::api::types::ReportRow| -> Vec<String> {
        let mut v = vec![n, row.name.clone()];
        v.extend(
            row.cells
                .iter()
                .zip(&r.columns)
                .map(|(c, col)| format_cell(*c, col.kind)),
        );
        v
    };
    for (i, row) in r.rows.iter().enumerate() {
        write_safe(&mut w, line((i + 1).to_string(), row)).map_err(err)?;
    }
    if let Some(t) = &r.total {
        write_safe(&mut w, line(String::new(), t)).map_err(err)?;
    }
    w.into_inner()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("writing CSV: {e}")))
}

fn xlsx(r: &Report) -> Result<Vec<u8>, ApiError> {
    use rust_xlsxwriter::{Format, FormatAlign, Workbook};
    let err =
        |e: rust_xlsxwriter::XlsxError| ApiError::Internal(anyhow::anyhow!("writing XLSX: {e}"));
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(r.code.as_str()).map_err(err)?;
    let bold = Format::new().set_bold();
    let head = Format::new()
        .set_bold()
        .set_align(FormatAlign::Center)
        .set_text_wrap();
    let pct = Format::new().set_num_format("0.00%");
    sheet
        .write_string_with_format(0, 0, &r.title, &bold)
        .map_err(err)?;
    sheet
        .write_string(
            1,
            0,
            format!("统计期间：{} 至 {}（{}）", r.from, r.to, r.source),
        )
        .map_err(err)?;
    let grouped = r.columns.iter().any(|c| c.group.is_some());
    let (h1, first) = (2u32, if grouped { 4u32 } else { 3u32 });
    sheet
        .write_string_with_format(h1, 0, "序号", &head)
        .map_err(err)?;
    sheet
        .write_string_with_format(h1, 1, &r.name_label, &head)
        .map_err(err)?;
    for (i, c) in r.columns.iter().enumerate() {
        let col = i as u16 + 2;
        if grouped {
            if let Some(g) = &c.group {
                let starts = i == 0 || r.columns[i - 1].group.as_ref() != Some(g);
                if starts {
                    let span = r.columns[i..]
                        .iter()
                        .take_while(|x| x.group.as_ref() == Some(g))
                        .count() as u16;
                    if span > 1 {
                        sheet
                            .merge_range(h1, col, h1, col + span - 1, g, &head)
                            .map_err(err)?;
                    } else {
                        sheet
                            .write_string_with_format(h1, col, g, &head)
                            .map_err(err)?;
                    }
                }
            }
            sheet
                .write_string_with_format(h1 + 1, col, &c.label, &head)
                .map_err(err)?;
        } else {
            sheet
                .write_string_with_format(h1, col, &c.label, &head)
                .map_err(err)?;
        }
    }
    let mut row_n = first;
    let rows = r
        .rows
        .iter()
        .map(Some)
        .chain(std::iter::once(r.total.as_ref()).flatten().map(Some));
    for (i, row) in rows.flatten().enumerate() {
        if i < r.rows.len() {
            sheet.write_number(row_n, 0, (i + 1) as f64).map_err(err)?;
            sheet.write_string(row_n, 1, &row.name).map_err(err)?;
        } else {
            sheet
                .write_string_with_format(row_n, 1, &row.name, &bold)
                .map_err(err)?;
        }
        for (j, (v, c)) in row.cells.iter().zip(&r.columns).enumerate() {
            let col = j as u16 + 2;
            match (v, c.kind) {
                (None, _) => sheet.write_string(row_n, col, "/").map_err(err)?,
                (Some(x), CellKind::Count) => sheet.write_number(row_n, col, *x).map_err(err)?,
                (Some(x), CellKind::Percent) => sheet
                    .write_number_with_format(row_n, col, *x / 100.0, &pct)
                    .map_err(err)?,
            };
        }
        row_n += 1;
    }
    sheet.write_string(row_n + 1, 0, &r.note).map_err(err)?;
    sheet.set_column_width(1, 24).map_err(err)?;
    sheet.set_freeze_panes(first, 2).map_err(err)?;
    book.save_to_buffer().map_err(err)
}

/// `GET /api/v1/exports/ratings`: every rating of a period as CSV,
/// streamed from a database cursor as it is read, so millions of rows
/// neither sit in memory nor wait for the end. No evaluator identity.
#[utoipa::path(
    operation_id = "export_ratings",
    get,
    path = "/exports/ratings",
    tag = "reports",
    params(ReportQuery),
    responses((status = 200, description = "评价数据 CSV / Ratings as CSV", content_type = "text/csv", body = String), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn export_ratings(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<ReportQuery>,
) -> Result<Response, ApiError> {
    staff.require(&[Role::Supervisor])?;
    staff.require_city_wide()?;
    let period = q.period()?;
    let (from, to) = reports::instants(&period);
    let rx = state.reads.stream_ratings(from, to);
    let header = "\u{FEFF}评价编号,评价时间,渠道,评价等级,评价类型,有效,区县,场所,窗口,部门,办件编号,差评原因,评价内容,上报省平台,实名,评价人类型\r\n";
    let head =
        futures_util::stream::once(async move { Ok::<_, std::io::Error>(Bytes::from(header)) });
    let rows = futures_util::stream::unfold(rx, |mut rx| async move {
        let batch = rx.recv().await?;
        let out = match batch {
            Ok(rows) => {
                let mut w = csv::WriterBuilder::new()
                    .terminator(csv::Terminator::CRLF)
                    .from_writer(vec![]);
                for r in rows {
                    let level = CodeMap::Gbt39046
                        .decode(r.level as u8)
                        .map(|l| l.label_zh())
                        .unwrap_or("?");
                    let channel = Channel::parse(&r.channel)
                        .map(|c| c.label_zh())
                        .unwrap_or("?");
                    let kind = match r.kind.as_str() {
                        "system_default" => "系统默认",
                        "follow_up" => "追加评价",
                        _ => "首次评价",
                    };
                    let upstream = match (r.upstream_status.as_deref(), r.upstream_sent_at) {
                        (Some("sent"), Some(at)) => {
                            format!("已上报 {}", domain::time::china_time(at))
                        }
                        (Some("dead"), _) => "上报失败".to_string(),
                        (Some(_), _) => "待上报".to_string(),
                        (None, _) => String::new(),
                    };
                    let _ = write_safe(
                        &mut w,
                        [
                            r.id.as_str(),
                            &domain::time::china_time(r.rated_at),
                            channel,
                            level,
                            kind,
                            if r.valid { "是" } else { "否" },
                            &r.district,
                            &r.place,
                            r.window.as_deref().unwrap_or(""),
                            r.department.as_deref().unwrap_or(""),
                            r.case_no.as_deref().unwrap_or(""),
                            &reasons_zh(&r.reasons),
                            &r.comment,
                            &upstream,
                            if r.real_name() { "实名" } else { "匿名" },
                            r.evaluator_type
                                .as_deref()
                                .and_then(domain::case::EvaluatorType::parse)
                                .map_or("未填写", |t| t.label_zh()),
                        ],
                    );
                }
                Ok(Bytes::from(w.into_inner().unwrap_or_default()))
            }
            Err(e) => {
                tracing::error!(error = ?e, "streaming the ratings export failed");
                Err(std::io::Error::other("export failed"))
            }
        };
        Some((out, rx))
    });
    let name = format!("评价明细_{}_{}.csv", period.from, period.to);
    let mut resp = attachment(
        "text/csv; charset=utf-8",
        &name,
        Some("ratings.csv"),
        vec![],
    );
    // Fused: a compressing body polls once more after the end, which an
    // unfold must not see.
    *resp.body_mut() = Body::from_stream(futures_util::StreamExt::fuse(
        futures_util::StreamExt::chain(head, rows),
    ));
    Ok(resp)
}

/// `["slow","attitude"]` as the Chinese labels, `、`-separated.
fn reasons_zh(json: &str) -> String {
    serde_json::from_str::<Vec<String>>(json)
        .unwrap_or_default()
        .iter()
        .map(|t| domain::ReasonTag::parse(t).map_or(t.as_str(), |r| r.label_zh()))
        .collect::<Vec<_>>()
        .join("、")
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct FlagQuery {
    /// `reviewed`：已复核的；默认待复核 / `reviewed`, else those waiting
    status: Option<String>,
}

#[utoipa::path(
    operation_id = "flags",
    get,
    path = "/flags",
    tag = "reports",
    params(FlagQuery),
    responses((status = 200, description = "成功 / OK", body = app::api::types::FlagList), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn flags(
    State(state): State<AppState>,
    staff: Staff,
    Query(q): Query<FlagQuery>,
) -> Result<Json<FlagList>, ApiError> {
    staff.require(&[Role::Supervisor])?;
    staff.require_city_wide()?;
    let pending = q.status.as_deref() != Some("reviewed");
    // The newest 300 ratings (a burst can flag thousands; the count says how many wait).
    let rows = state.store.flags(pending, 300).await?;
    let mut out: Vec<FlagView> = vec![];
    for r in rows {
        let label = domain::fraud::FlagReason::parse(&r.reason)
            .map(|f| f.label_zh())
            .unwrap_or("");
        if let Some(v) = out.iter_mut().find(|v| v.rating_id == r.rating_id) {
            v.reasons.push(r.reason.clone());
            v.detail = format!("{}；{label}：{}", v.detail, r.detail);
            continue;
        }
        out.push(FlagView {
            rating_id: r.rating_id,
            rated_at: r.rated_at,
            channel: Channel::parse(&r.channel).unwrap_or(Channel::Kiosk),
            level: CodeMap::Gbt39046
                .decode(r.level as u8)
                .unwrap_or(domain::Level::Basic),
            place_name: r.place_name,
            window_name: r.window_name,
            device_code: r.device_code,
            evaluator_phone: r.evaluator_phone.as_deref().map(mask_phone),
            reasons: vec![r.reason],
            detail: format!("{label}：{}", r.detail),
            flagged_at: r.flagged_at,
            verdict: r.verdict,
            reviewed_by: r.reviewed_by,
            reviewed_at: r.reviewed_at,
            review_note: r.review_note,
        });
    }
    Ok(Json(FlagList {
        flags: out,
        pending: state.store.pending_flag_count().await?.max(0) as u64,
    }))
}

#[utoipa::path(
    operation_id = "review",
    post,
    path = "/flags/review",
    tag = "reports",
    request_body = app::api::types::FlagReview,
    responses((status = 200, description = "成功 / OK", body = app::api::types::FlagReviewResult), crate::openapi::Errors),
    security(("staff_session" = []))
)]
async fn review(
    State(state): State<AppState>,
    staff: Staff,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<FlagReviewResult>, ApiError> {
    staff.require(&[Role::Supervisor])?;
    staff.require_city_wide()?;
    let req: FlagReview = json_body(&headers, body, 1 << 20)?;
    if req.verdict != "genuine" && req.verdict != "fraud" {
        return Err(ApiError::Unprocessable {
            code: "verdict",
            zh: "复核结论应为“正常评价”（genuine）或“刷评”（fraud）".into(),
            en: "The verdict is genuine or fraud".into(),
        });
    }
    if req.note.trim().is_empty() {
        return Err(ApiError::Unprocessable {
            code: "note_required",
            zh: "请填写复核说明".into(),
            en: "A review note is required".into(),
        });
    }
    if req.rating_ids.is_empty() {
        return Err(ApiError::Unprocessable {
            code: "nothing_selected",
            zh: "请至少选择一条评价".into(),
            en: "Select at least one rating".into(),
        });
    }
    let reviewed = state
        .store
        .review_flags(
            &req.rating_ids,
            &req.verdict,
            req.note.trim(),
            staff.session.staff_id,
            now_ms(),
        )
        .await?;
    Ok(Json(FlagReviewResult { reviewed }))
}
