//! The 通报 tables: which periods a report may cover, which tables there
//! are, their columns as the seeds head them, and how a table is built
//! from per-unit [`Counts`]. Pure: the server supplies the counts (from
//! the rollups) and the names; the screen, the XLSX and the CSV print the
//! same [`Report`].

use serde::{Deserialize, Serialize};

use super::calendar::Date;
use super::metrics::{Counts, Coverage, Figures};

// ---- The shapes every 通报 table is printed from (screen, XLSX, CSV, JSON) ----

/// How a report cell reads: a count, a percentage, or a share of the total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CellKind {
    Count,
    Percent,
}

/// One column of a 通报 table, headed as in the seed it reproduces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportColumn {
    /// Stable key (`ratings`, `active_rate`, `m2026_10.ratings` …).
    pub key: String,
    /// The seed's heading (办件数, 主动评价率 …).
    pub label: String,
    /// A heading over several columns (a month, 镇级, a district), if any.
    pub group: Option<String>,
    pub kind: CellKind,
}

/// One row: a district, department, window, staff member or line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportRow {
    pub id: Option<i64>,
    pub name: String,
    /// One per column; `None` is printed `/` (no denominator, or no data).
    pub cells: Vec<Option<f64>>,
    /// The next report down, as `code?param=value` (district → its
    /// departments → windows → staff).
    pub drill: Option<String>,
    /// No rating at all in the period (flagged in red: seed 002 二(二)).
    pub zero: bool,
}

/// `GET /api/v1/reports/{code}`: one 通报 table for a period. The same
/// value is rendered on screen, in XLSX and in CSV.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    pub code: String,
    pub title: String,
    /// Which seed table it reproduces (e.g. "淄博 2022Q4 通报 附件1").
    pub source: String,
    /// The first column's heading (区县, 部门, 部门名称 …).
    pub name_label: String,
    /// First and last day, inclusive, `YYYY-MM-DD`, China time.
    pub from: String,
    pub to: String,
    pub columns: Vec<ReportColumn>,
    pub rows: Vec<ReportRow>,
    /// The 合计 / 汇总 row, when the table has one.
    pub total: Option<ReportRow>,
    /// 备注 printed under the table (range, what is excluded).
    pub note: String,
    /// How many of the period's ratings have not reached the provincial
    /// platform yet (waiting or failed), when it is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undelivered: Option<i64>,
}

/// `GET /api/v1/reports`: the tables there are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportEntry {
    pub code: String,
    pub title: String,
    pub source: String,
    /// Needs a parameter (`district`, `department`): reached by drilling down.
    pub needs: Option<String>,
}

/// The longest period a report covers: three years.
pub const MAX_DAYS: i64 = 3 * 366;

/// A report's period: whole days in China time, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: Date,
    pub to: Date,
}

/// Why a period was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodError {
    Missing,
    Malformed,
    Reversed,
    TooLong,
}

impl PeriodError {
    pub fn message_zh(self) -> &'static str {
        match self {
            PeriodError::Missing => "请选择统计期间（月份、季度或起止日期）",
            PeriodError::Malformed => {
                "统计期间格式不正确：月份如 2026-10，季度如 2026-Q4，日期如 2026-10-01"
            }
            PeriodError::Reversed => "结束日期早于开始日期",
            PeriodError::TooLong => "统计期间不能超过三年",
        }
    }
    pub fn message_en(self) -> &'static str {
        match self {
            PeriodError::Missing => "Choose a period (month, quarter or dates)",
            PeriodError::Malformed => {
                "Malformed period: month 2026-10, quarter 2026-Q4, dates 2026-10-01"
            }
            PeriodError::Reversed => "The end date is before the start date",
            PeriodError::TooLong => "A period cannot exceed three years",
        }
    }
}

fn last_day(year: i32, month: u32) -> Date {
    let next = if month == 12 {
        Date::new(year + 1, 1, 1)
    } else {
        Date::new(year, month + 1, 1)
    };
    next.add_days(-1)
}

impl Period {
    /// From query parameters: `month=YYYY-MM`, `quarter=YYYY-Qn`, or
    /// `from` and `to` dates.
    pub fn parse(
        month: Option<&str>,
        quarter: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Period, PeriodError> {
        let p = if let Some(m) = month.filter(|s| !s.is_empty()) {
            let d = Date::parse(&format!("{m}-01")).ok_or(PeriodError::Malformed)?;
            Period {
                from: d,
                to: last_day(d.year, d.month),
            }
        } else if let Some(q) = quarter.filter(|s| !s.is_empty()) {
            let (y, n) = q
                .split_once(['-', 'Q', 'q'])
                .ok_or(PeriodError::Malformed)?;
            let n = n.trim_start_matches(['Q', 'q']);
            let year: i32 = y.parse().map_err(|_| PeriodError::Malformed)?;
            let n: u32 = n.parse().map_err(|_| PeriodError::Malformed)?;
            if !(1..=4).contains(&n) || !(1970..=9999).contains(&year) {
                return Err(PeriodError::Malformed);
            }
            Period {
                from: Date::new(year, n * 3 - 2, 1),
                to: last_day(year, n * 3),
            }
        } else {
            match (from.filter(|s| !s.is_empty()), to.filter(|s| !s.is_empty())) {
                (Some(f), Some(t)) => Period {
                    from: Date::parse(f).ok_or(PeriodError::Malformed)?,
                    to: Date::parse(t).ok_or(PeriodError::Malformed)?,
                },
                (None, None) => return Err(PeriodError::Missing),
                _ => return Err(PeriodError::Malformed),
            }
        };
        if p.to.day_number() < p.from.day_number() {
            return Err(PeriodError::Reversed);
        }
        if p.days() > MAX_DAYS {
            return Err(PeriodError::TooLong);
        }
        Ok(p)
    }

    /// The quarter holding `d`.
    pub fn quarter_of(d: Date) -> Period {
        let first = (d.month - 1) / 3 * 3 + 1;
        Period {
            from: Date::new(d.year, first, 1),
            to: last_day(d.year, first + 2),
        }
    }

    /// Day numbers (see [`Date::day_number`]), both included.
    pub fn day_range(&self) -> (i64, i64) {
        (self.from.day_number(), self.to.day_number())
    }

    pub fn days(&self) -> i64 {
        self.to.day_number() - self.from.day_number() + 1
    }

    /// The months the period touches, as (year, month).
    pub fn months(&self) -> Vec<(i32, u32)> {
        let mut out = vec![];
        let (mut y, mut m) = (self.from.year, self.from.month);
        while (y, m) <= (self.to.year, self.to.month) {
            out.push((y, m));
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
        out
    }

    /// 数据统计范围 2022 年 10 月 1 日至 12 月 31 日.
    pub fn label_zh(&self) -> String {
        format!(
            "{} 年 {} 月 {} 日至 {} 年 {} 月 {} 日",
            self.from.year,
            self.from.month,
            self.from.day,
            self.to.year,
            self.to.month,
            self.to.day
        )
    }
}

/// The month (year, month) of a day number.
pub fn month_of_day(day: i64) -> (i32, u32) {
    let d = Date::from_day_number(day);
    (d.year, d.month)
}

/// A figure a column shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Cases,
    Ratings,
    RatingRate,
    Active,
    ActiveRate,
    OnSiteActive,
    OnSiteRate,
    Valid,
    GoodRate,
    Bad,
    ValidBad,
    PendingBad,
    RectifyRate,
    RectifiedOnTime,
    OnTimeRate,
    Satisfaction,
    ItemCoverage,
    DepartmentCoverage,
    Share,
    OnSiteGoodRate,
    BadRate,
    ContactOnTimeRate,
    FeedbackOnTimeRate,
    RealNameBad,
    RealNameOnTimeRate,
}

impl Col {
    pub fn key(self) -> &'static str {
        match self {
            Col::Cases => "cases",
            Col::Ratings => "ratings",
            Col::RatingRate => "rating_rate",
            Col::Active => "active",
            Col::ActiveRate => "active_rate",
            Col::OnSiteActive => "on_site_active",
            Col::OnSiteRate => "on_site_active_rate",
            Col::Valid => "valid",
            Col::GoodRate => "good_rate",
            Col::Bad => "bad",
            Col::ValidBad => "valid_bad",
            Col::PendingBad => "pending_bad",
            Col::RectifyRate => "rectify_rate",
            Col::RectifiedOnTime => "rectified_on_time",
            Col::OnTimeRate => "on_time_rate",
            Col::Satisfaction => "satisfaction_rate",
            Col::ItemCoverage => "item_coverage",
            Col::DepartmentCoverage => "department_coverage",
            Col::Share => "share",
            Col::OnSiteGoodRate => "on_site_good_rate",
            Col::BadRate => "bad_rate",
            Col::ContactOnTimeRate => "contact_on_time_rate",
            Col::FeedbackOnTimeRate => "feedback_on_time_rate",
            Col::RealNameBad => "real_name_bad",
            Col::RealNameOnTimeRate => "real_name_on_time_rate",
        }
    }

    pub fn kind(self) -> CellKind {
        match self {
            Col::Cases
            | Col::Ratings
            | Col::Active
            | Col::OnSiteActive
            | Col::Valid
            | Col::Bad
            | Col::ValidBad
            | Col::PendingBad
            | Col::RealNameBad
            | Col::RectifiedOnTime => CellKind::Count,
            _ => CellKind::Percent,
        }
    }

    /// The figure, from [`Figures`]: the one definition.
    pub fn value(self, f: &Figures) -> Option<f64> {
        let c = &f.counts;
        let n = |v: u64| Some(v as f64);
        match self {
            Col::Cases => n(c.cases),
            Col::Ratings => n(c.ratings),
            Col::RatingRate => f.rating_rate,
            Col::Active => n(c.active),
            Col::ActiveRate => f.active_rate,
            Col::OnSiteActive => n(c.on_site_active),
            Col::OnSiteRate => f.on_site_active_rate,
            Col::Valid => n(c.valid),
            Col::GoodRate => f.good_rate,
            Col::Bad => n(c.bad),
            Col::ValidBad => n(c.valid_bad),
            Col::PendingBad => n(c.pending_bad()),
            Col::RectifyRate => f.rectify_rate,
            Col::RectifiedOnTime => n(c.rectified_on_time),
            Col::OnTimeRate => f.on_time_rate,
            Col::Satisfaction => f.satisfaction_rate,
            Col::ItemCoverage => f.item_coverage,
            Col::DepartmentCoverage => f.department_coverage,
            Col::Share => f.share,
            Col::OnSiteGoodRate => f.on_site_good_rate,
            Col::BadRate => f.bad_rate,
            Col::ContactOnTimeRate => f.contact_on_time_rate,
            Col::FeedbackOnTimeRate => f.feedback_on_time_rate,
            Col::RealNameBad => n(c.real_name_bad),
            Col::RealNameOnTimeRate => f.real_name_on_time_rate,
        }
    }
}

/// The tables there are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// 003 附件1: 各区县.
    Districts,
    /// 003 附件2: 市直部门.
    Departments,
    /// 000 附件2: 县(市、区) with coverage and 按期整改率.
    DistrictSummary,
    /// 000 附件1: 市直部门 with coverage.
    DepartmentSummary,
    /// 003 附件3: 区直部门 (by line) × 区县, 评价数.
    Matrix,
    /// 003 附件4: 镇级 / 村级 per district.
    Grassroots,
    /// 003 附件5: 公共服务领域 per district with 总量占比.
    PublicService,
    /// 002 附件3: per district per month, A M P P÷M D T.
    Monthly,
    /// Drill-down: one district's departments.
    DistrictDepartments,
    /// Drill-down: one department's windows.
    Windows,
    /// Drill-down: one window's (or department's) staff.
    Staff,
    /// 001 §12: staff at the bottom in every month of the period.
    BottomStaff,
    /// 002 一(一)(三), 001: per district, 好评率 and 现场好评率, then the bad
    /// ratings' loop: 沟通按时率, 按期整改率, 按时回访率, 实名差评.
    Loop,
    /// 004 §23: service items ranked by 差评率, highest first.
    Items,
    /// 评价结果全公开: every department, for the public page.
    Public,
}

pub const TABLES: &[Table] = &[
    Table::Districts,
    Table::Departments,
    Table::DistrictSummary,
    Table::DepartmentSummary,
    Table::Matrix,
    Table::Grassroots,
    Table::PublicService,
    Table::Monthly,
    Table::Loop,
    Table::Items,
    Table::BottomStaff,
    Table::DistrictDepartments,
    Table::Windows,
    Table::Staff,
];

/// The columns of the drill-down tables: the full set of rates.
const DETAIL: &[(Col, &str)] = &[
    (Col::Cases, "办件数"),
    (Col::Ratings, "评价数"),
    (Col::RatingRate, "评价率"),
    (Col::Active, "主动评价数"),
    (Col::ActiveRate, "主动评价率"),
    (Col::GoodRate, "好评率"),
    (Col::Bad, "差评数"),
    (Col::ValidBad, "有效差评数"),
    (Col::PendingBad, "待核实差评数"),
    (Col::RectifyRate, "差评整改率"),
    (Col::OnTimeRate, "差评按期整改率"),
    (Col::Satisfaction, "整改满意率"),
];

/// Seed 000: its 有效评价总数 is the numerator of its 主动评价率 (26 ÷ 81 =
/// 32.10%), that is the active count, without 系统默认 ratings.
const SUMMARY_000: &[(Col, &str)] = &[
    (Col::Active, "有效评价总数"),
    (Col::ActiveRate, "主动评价率"),
    (Col::ItemCoverage, "评价覆盖事项率"),
    (Col::DepartmentCoverage, "评价覆盖部门率"),
    (Col::Bad, "差评总数"),
    (Col::OnTimeRate, "差评按期整改率"),
];

/// The figures of one group of columns (a month, 镇级 …).
pub const MONTHLY: &[(Col, &str)] = &[
    (Col::Cases, "办件总数 A"),
    (Col::Ratings, "评价总数 M"),
    (Col::OnSiteActive, "现场主动评价数 P"),
    (Col::OnSiteRate, "现场主动评价率 P/M"),
    (Col::Bad, "差评总数 D"),
    (Col::ValidBad, "有效差评数 T"),
];

pub const GRASSROOTS: &[(Col, &str)] = &[
    (Col::Ratings, "评价总数"),
    (Col::Bad, "差评数量"),
    (Col::RectifiedOnTime, "按时整改数量"),
];

/// Quality and the bad ratings' loop, per district (002 一(一)(三), 001).
const LOOP: &[(Col, &str)] = &[
    (Col::Valid, "有效评价数"),
    (Col::GoodRate, "好评率"),
    (Col::OnSiteGoodRate, "现场好评率"),
    (Col::Bad, "差评总数"),
    (Col::ValidBad, "有效差评数"),
    (Col::PendingBad, "待核实差评数"),
    (Col::ContactOnTimeRate, "沟通按时率"),
    (Col::RectifyRate, "差评整改率"),
    (Col::OnTimeRate, "差评按期整改率"),
    (Col::FeedbackOnTimeRate, "差评件按时回访率"),
    (Col::Satisfaction, "整改满意率"),
    (Col::RealNameBad, "实名差评数"),
    (Col::RealNameOnTimeRate, "实名差评按期整改率"),
];

/// The bottom-staff table: per month.
pub const BOTTOM: &[(Col, &str)] = &[(Col::Valid, "有效评价数"), (Col::GoodRate, "好评率")];

impl Table {
    pub fn code(self) -> &'static str {
        match self {
            Table::Districts => "districts",
            Table::Departments => "departments",
            Table::DistrictSummary => "district_summary",
            Table::DepartmentSummary => "department_summary",
            Table::Matrix => "matrix",
            Table::Grassroots => "grassroots",
            Table::PublicService => "public_service",
            Table::Monthly => "monthly",
            Table::DistrictDepartments => "district_departments",
            Table::Windows => "windows",
            Table::Staff => "staff",
            Table::BottomStaff => "bottom_staff",
            Table::Loop => "loop",
            Table::Items => "items",
            Table::Public => "public",
        }
    }

    pub fn parse(code: &str) -> Option<Table> {
        TABLES
            .iter()
            .chain([Table::Public].iter())
            .copied()
            .find(|t| t.code() == code)
    }

    pub fn title(self) -> &'static str {
        match self {
            Table::Districts => "各区县“好差评”数据通报表",
            Table::Departments => "市直部门“好差评”数据通报表",
            Table::DistrictSummary => "县(市、区)“好差评”情况",
            Table::DepartmentSummary => "市直部门“好差评”情况",
            Table::Matrix => "区直部门“好差评”评价数据通报表",
            Table::Grassroots => "各区县镇村“好差评”数据通报表",
            Table::PublicService => "各区县公共服务领域“好差评”数据通报表",
            Table::Monthly => "各区县政务服务“好差评”评价数据归集统计",
            Table::DistrictDepartments => "区县各部门“好差评”情况",
            Table::Windows => "部门各窗口“好差评”情况",
            Table::Staff => "窗口工作人员“好差评”情况",
            Table::BottomStaff => "服务评价长期靠后的工作人员",
            Table::Loop => "各区县评价质量与差评整改情况",
            Table::Items => "政务服务事项差评率排名",
            Table::Public => "政务服务“好差评”评价结果公开",
        }
    }

    pub fn source(self) -> &'static str {
        match self {
            Table::Districts => "淄博 2022 年第四季度通报 附件1",
            Table::Departments => "淄博 2022 年第四季度通报 附件2",
            Table::DistrictSummary => "平顶山 2023 年前三季度通报 附件2",
            Table::DepartmentSummary => "平顶山 2023 年前三季度通报 附件1",
            Table::Matrix => "淄博 2022 年第四季度通报 附件3",
            Table::Grassroots => "淄博 2022 年第四季度通报 附件4",
            Table::PublicService => "淄博 2022 年第四季度通报 附件5",
            Table::Monthly => "张店区 2021 年第三季度通报 附件3",
            Table::DistrictDepartments | Table::Windows | Table::Staff => "逐级下钻",
            Table::BottomStaff => "张店区好差评制度 第十二条",
            Table::Loop => "张店区 2021 年第三季度通报 一(一)(三)；张店区好差评制度 第九条",
            Table::Items => "好差评实施办法 第二十三条",
            Table::Public => "评价结果全公开",
        }
    }

    pub fn name_label(self) -> &'static str {
        match self {
            Table::Districts
            | Table::Grassroots
            | Table::PublicService
            | Table::Monthly
            | Table::Loop => "区县",
            Table::Items => "事项",
            Table::DistrictSummary | Table::DepartmentSummary => "部门名称",
            Table::Departments | Table::Matrix | Table::DistrictDepartments | Table::Public => {
                "部门"
            }
            Table::Windows => "窗口",
            Table::Staff | Table::BottomStaff => "工作人员",
        }
    }

    /// The parameter a drill-down table needs.
    pub fn needs(self) -> Option<&'static str> {
        match self {
            Table::DistrictDepartments => Some("district"),
            Table::Windows => Some("department"),
            Table::Staff => Some("window"),
            _ => None,
        }
    }

    /// The columns when they do not depend on the data (see
    /// [`grouped_columns`] for the others).
    pub fn columns(self) -> &'static [(Col, &'static str)] {
        match self {
            Table::Districts => &[
                (Col::Cases, "办件数"),
                (Col::Ratings, "评价数"),
                (Col::RatingRate, "评价率"),
                (Col::Active, "主动评价数"),
                (Col::Bad, "差评数"),
                (Col::Satisfaction, "整改满意率"),
            ],
            Table::Departments => &[
                (Col::Cases, "办件数"),
                (Col::Ratings, "评价数"),
                (Col::RatingRate, "评价率"),
                (Col::Active, "主动评价数"),
                (Col::Bad, "差评数"),
            ],
            Table::DistrictSummary | Table::DepartmentSummary => SUMMARY_000,
            Table::PublicService => &[(Col::Ratings, "评价数"), (Col::Share, "总量占比")],
            Table::Public => &[
                (Col::Active, "有效评价数"),
                (Col::ActiveRate, "主动评价率"),
                (Col::GoodRate, "好评率"),
                (Col::Bad, "差评数"),
                (Col::RectifyRate, "差评整改率"),
                (Col::Satisfaction, "整改满意率"),
            ],
            Table::DistrictDepartments | Table::Windows | Table::Staff => DETAIL,
            Table::Loop => LOOP,
            Table::Items => &[
                (Col::Valid, "有效评价数"),
                (Col::Bad, "差评数"),
                (Col::BadRate, "差评率"),
            ],
            Table::Matrix | Table::Grassroots | Table::Monthly | Table::BottomStaff => &[],
        }
    }

    pub fn entry(self) -> ReportEntry {
        ReportEntry {
            code: self.code().into(),
            title: self.title().into(),
            source: self.source().into(),
            needs: self.needs().map(Into::into),
        }
    }
}

/// One row's data before it becomes cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Unit {
    pub id: Option<i64>,
    pub name: String,
    pub counts: Counts,
    pub coverage: Coverage,
    pub drill: Option<String>,
}

fn columns_of(cols: &[(Col, &str)], group: Option<&str>, prefix: &str) -> Vec<ReportColumn> {
    cols.iter()
        .map(|(c, label)| ReportColumn {
            key: format!("{prefix}{}", c.key()),
            label: (*label).into(),
            group: group.map(Into::into),
            kind: c.kind(),
        })
        .collect()
}

fn cells(cols: &[(Col, &str)], u: &Unit, total_ratings: u64) -> Vec<Option<f64>> {
    let f = Figures::of(&u.counts, &u.coverage, total_ratings);
    cols.iter().map(|(c, _)| c.value(&f)).collect()
}

/// The note printed under every table (备注).
pub fn note(period: &Period) -> String {
    format!(
        "备注：数据统计范围 {}（北京时间）。有效评价不含经审核认定的无效评价、恶意差评和尚未复核的疑似刷评；评价数、差评数为原始总数。“/”表示无数据或分母为零。",
        period.label_zh()
    )
}

fn report(table: Table, period: &Period, columns: Vec<ReportColumn>) -> Report {
    Report {
        code: table.code().into(),
        title: table.title().into(),
        source: table.source().into(),
        name_label: table.name_label().into(),
        from: period.from.to_string(),
        to: period.to.to_string(),
        columns,
        rows: vec![],
        total: None,
        note: note(period),
        undelivered: None,
    }
}

/// The 备注's sentence on what has not reached the provincial platform.
pub fn undelivered_note(n: i64) -> String {
    if n == 0 {
        "本期评价均已上报省平台。".into()
    } else {
        format!("截至出表时，本期尚有 {n} 条评价未上报省平台（待发送或发送失败）。")
    }
}

/// A table with fixed columns: one row per unit, and the total row when
/// `total` is given (counts of the whole, coverage of the whole).
pub fn flat(table: Table, period: &Period, units: &[Unit], total: Option<&Unit>) -> Report {
    let cols = table.columns();
    let sum = Counts::sum(units.iter().map(|u| &u.counts));
    let total_ratings = total.map_or(sum.ratings, |t| t.counts.ratings);
    let mut r = report(table, period, columns_of(cols, None, ""));
    r.rows = units
        .iter()
        .map(|u| ReportRow {
            id: u.id,
            name: u.name.clone(),
            cells: cells(cols, u, total_ratings),
            drill: u.drill.clone(),
            zero: u.counts.ratings == 0,
        })
        .collect();
    r.total = total.map(|t| ReportRow {
        id: None,
        name: t.name.clone(),
        cells: cells(cols, t, total_ratings),
        drill: None,
        zero: t.counts.ratings == 0,
    });
    r
}

/// A table whose columns repeat per group (months, 镇级/村级) or are the
/// groups themselves (the matrix): `groups` names each group and
/// `per_group[row][group]` holds the counts.
pub fn grouped(
    table: Table,
    period: &Period,
    cols: &[(Col, &str)],
    groups: &[(String, String)],
    rows: &[(Unit, Vec<Counts>)],
    total_name: Option<&str>,
) -> Report {
    let mut columns = vec![];
    for (key, label) in groups {
        if cols.len() == 1 {
            columns.push(ReportColumn {
                key: format!("{key}.{}", cols[0].0.key()),
                label: label.clone(),
                group: None,
                kind: cols[0].0.kind(),
            });
        } else {
            columns.extend(columns_of(cols, Some(label), &format!("{key}.")));
        }
    }
    let row_of = |u: &Unit, per: &[Counts]| -> ReportRow {
        let mut out = Vec::with_capacity(columns.len());
        for c in per {
            let unit = Unit {
                counts: *c,
                ..Unit::default()
            };
            out.extend(cells(cols, &unit, 0));
        }
        ReportRow {
            id: u.id,
            name: u.name.clone(),
            cells: out,
            drill: u.drill.clone(),
            zero: per.iter().all(|c| c.ratings == 0),
        }
    };
    let mut r = report(table, period, columns.clone());
    r.rows = rows.iter().map(|(u, per)| row_of(u, per)).collect();
    r.total = total_name.map(|name| {
        let per: Vec<Counts> = (0..groups.len())
            .map(|g| Counts::sum(rows.iter().map(|(_, p)| &p[g])))
            .collect();
        row_of(
            &Unit {
                name: name.into(),
                ..Unit::default()
            },
            &per,
        )
    });
    r
}

/// Who is at the bottom of one month: staff with at least `min_valid`
/// valid ratings, ranked by 好评率 (then by count), the lowest
/// `percent` % of them (at least one when anyone qualifies).
pub fn bottom_of_month(staff: &[(i64, Counts)], min_valid: u64, percent: u32) -> Vec<i64> {
    let mut ranked: Vec<(i64, f64, u64)> = staff
        .iter()
        .filter(|(_, c)| c.valid >= min_valid)
        .filter_map(|(id, c)| Some((*id, super::metrics::percent(c.good, c.valid)?, c.valid)))
        .collect();
    if ranked.is_empty() {
        return vec![];
    }
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    let n = (ranked.len() * percent as usize).div_ceil(100).max(1);
    ranked.into_iter().take(n).map(|(id, ..)| id).collect()
}

/// Staff at the bottom in every one of `months` (at least two months).
pub fn persistently_bottom(per_month: &[Vec<i64>]) -> Vec<i64> {
    if per_month.len() < 2 {
        return vec![];
    }
    let mut out: Vec<i64> = per_month[0]
        .iter()
        .copied()
        .filter(|id| per_month[1..].iter().all(|m| m.contains(id)))
        .collect();
    out.sort_unstable();
    out
}

/// A cell as the CSV, the XLSX and the screen print it: counts whole,
/// rates with two decimals and `%`, nothing as `/`.
pub fn format_cell(v: Option<f64>, kind: CellKind) -> String {
    match (v, kind) {
        (None, _) => "/".into(),
        (Some(x), CellKind::Count) => format!("{}", x.round() as i64),
        (Some(x), CellKind::Percent) => format!("{x:.2}%"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_quarter_a_month_and_dates_become_whole_days() {
        let q = Period::parse(None, Some("2022-Q4"), None, None).unwrap();
        assert_eq!(
            (q.from, q.to),
            (Date::new(2022, 10, 1), Date::new(2022, 12, 31))
        );
        assert_eq!(q.days(), 92);
        assert_eq!(q.months(), [(2022, 10), (2022, 11), (2022, 12)]);
        let m = Period::parse(Some("2024-02"), None, None, None).unwrap();
        assert_eq!(m.to, Date::new(2024, 2, 29));
        let d = Period::parse(None, None, Some("2021-05-01"), Some("2021-09-30")).unwrap();
        assert_eq!(d.months().len(), 5);
        assert_eq!(
            Period::quarter_of(Date::new(2026, 11, 30)),
            Period::parse(None, Some("2026Q4"), None, None).unwrap()
        );
    }

    #[test]
    fn bad_periods_are_refused_with_a_reason() {
        assert_eq!(
            Period::parse(None, None, None, None),
            Err(PeriodError::Missing)
        );
        assert_eq!(
            Period::parse(Some("2026-13"), None, None, None),
            Err(PeriodError::Malformed)
        );
        assert_eq!(
            Period::parse(None, Some("2026-Q5"), None, None),
            Err(PeriodError::Malformed)
        );
        assert_eq!(
            Period::parse(None, None, Some("2026-10-02"), Some("2026-10-01")),
            Err(PeriodError::Reversed)
        );
        assert_eq!(
            Period::parse(None, None, Some("2020-01-01"), Some("2026-01-01")),
            Err(PeriodError::TooLong)
        );
        assert_eq!(
            Period::parse(None, None, Some("2026-10-01"), None),
            Err(PeriodError::Malformed)
        );
    }

    fn unit(name: &str, cases: u64, ratings: u64, active: u64) -> Unit {
        Unit {
            name: name.into(),
            counts: Counts {
                cases,
                rated_cases: ratings.min(cases),
                ratings,
                valid: ratings,
                active,
                ..Counts::default()
            },
            ..Unit::default()
        }
    }

    #[test]
    fn a_flat_table_has_the_seed_headings_rates_and_a_share_that_adds_up() {
        let p = Period::parse(None, Some("2022-Q4"), None, None).unwrap();
        let units = [
            unit("张店区", 100, 100, 6),
            unit("周村区", 0, 0, 0),
            unit("淄川区", 300, 300, 3),
        ];
        let r = flat(Table::Districts, &p, &units, None);
        let labels: Vec<_> = r.columns.iter().map(|c| c.label.as_str()).collect();
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
            r.rows[0].cells[..4],
            [Some(100.0), Some(100.0), Some(100.0), Some(6.0)]
        );
        assert_eq!(r.rows[0].cells[5], None, "no re-rating: /");
        assert!(r.rows[1].zero && !r.rows[0].zero);
        assert_eq!(r.rows[1].cells[2], None);
        let s = flat(Table::PublicService, &p, &units, None);
        let shares: f64 = s.rows.iter().filter_map(|r| r.cells[1]).sum();
        assert!((shares - 100.0).abs() < 1e-9);
    }

    #[test]
    fn a_grouped_table_repeats_its_columns_per_group_and_sums_a_total() {
        let p = Period::parse(None, None, Some("2021-05-01"), Some("2021-06-30")).unwrap();
        let c = |a, m, p| Counts {
            cases: a,
            ratings: m,
            valid: m,
            active: p,
            on_site_active: p,
            ..Counts::default()
        };
        let rows = vec![
            (
                unit("张店区", 0, 0, 0),
                vec![c(333, 333, 306), c(5033, 5033, 3934)],
            ),
            (unit("淄川区", 0, 0, 0), vec![c(92, 92, 37), c(0, 0, 0)]),
        ];
        let groups = vec![
            ("m1".to_string(), "5月".to_string()),
            ("m2".into(), "6月".into()),
        ];
        let r = grouped(Table::Monthly, &p, MONTHLY, &groups, &rows, Some("合计"));
        assert_eq!(r.columns.len(), 12);
        assert_eq!(r.columns[3].label, "现场主动评价率 P/M");
        assert_eq!(r.columns[6].group.as_deref(), Some("6月"));
        assert_eq!(format_cell(r.rows[0].cells[3], CellKind::Percent), "91.89%");
        let total = r.total.unwrap();
        assert_eq!(total.cells[0], Some(425.0));
        assert_eq!(r.rows[1].cells[9], None, "P/M of an empty month is /");
    }

    #[test]
    fn bottom_staff_are_those_last_in_every_month() {
        let c = |good, valid| Counts {
            good,
            valid,
            ..Counts::default()
        };
        let m1 = [(1, c(5, 10)), (2, c(10, 10)), (3, c(9, 10)), (4, c(0, 2))];
        let m2 = [(1, c(6, 10)), (2, c(1, 10)), (3, c(10, 10))];
        let m3 = [(1, c(2, 10)), (2, c(10, 10)), (3, c(10, 10))];
        let b: Vec<Vec<i64>> = [&m1[..], &m2, &m3]
            .iter()
            .map(|m| bottom_of_month(m, 5, 10))
            .collect();
        assert_eq!(b[0], [1], "4 has too few ratings to rank");
        assert_eq!(b[1], [2]);
        assert_eq!(persistently_bottom(&b), Vec::<i64>::new());
        assert_eq!(persistently_bottom(&[b[0].clone(), b[2].clone()]), [1]);
    }

    proptest! {
        #[test]
        fn any_period_covers_whole_months_and_days_in_order(y in 2000i32..2100, m in 1u32..=12, q in 1u32..=4) {
            let p = Period::parse(Some(&format!("{y}-{m:02}")), None, None, None).unwrap();
            prop_assert_eq!(p.months(), vec![(y, m)]);
            prop_assert!(p.days() >= 28 && p.days() <= 31);
            let q = Period::parse(None, Some(&format!("{y}-Q{q}")), None, None).unwrap();
            prop_assert_eq!(q.months().len(), 3);
            prop_assert_eq!(Period::quarter_of(q.to), q);
            let (a, b) = q.day_range();
            prop_assert_eq!(month_of_day(a), (y, q.from.month));
            prop_assert_eq!(month_of_day(b), (y, q.to.month));
        }
    }
}
