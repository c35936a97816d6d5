//! The working-day calendar: Monday to Friday work, Saturday and Sunday
//! rest, except the days the State Council's yearly notice (国务院办公厅关于
//! 部分节假日安排的通知) names: public holidays (放假) and the weekend days
//! worked in exchange (调休上班). 2025 and 2026 ship here; the server seeds
//! them into its database once, where the system admin can edit them.
//!
//! Days are counted in China Standard Time (UTC+8, no daylight saving).
//! A deadline "within N days" ends at the end of the Nth day after the day
//! of the event (the day of the event itself is day 0).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const DAY_MS: i64 = 86_400_000;
/// China Standard Time is UTC+8 all year.
pub const CST_OFFSET_MS: i64 = 8 * 3_600_000;

/// A calendar date (proleptic Gregorian).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    pub const fn new(year: i32, month: u32, day: u32) -> Date {
        Date { year, month, day }
    }

    /// `YYYY-MM-DD`, checked (2026-02-30 is refused).
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = &s[r];
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())
                .flatten()
        };
        let d = Date::new(num(0..4)? as i32, num(5..7)?, num(8..10)?);
        (d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= days_in_month(d.year, d.month))
            .then_some(d)
    }

    /// Days since 1970-01-01 (H. Hinnant's `days_from_civil`).
    pub fn day_number(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    pub fn from_day_number(z: i64) -> Date {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The date in China of an instant (ms since the epoch, UTC).
    pub fn of_instant(ms: i64) -> Date {
        Date::from_day_number((ms + CST_OFFSET_MS).div_euclid(DAY_MS))
    }

    /// 00:00 China time of this date, as ms since the epoch.
    pub fn start_ms(self) -> i64 {
        self.day_number() * DAY_MS - CST_OFFSET_MS
    }

    pub fn add_days(self, n: i64) -> Date {
        Date::from_day_number(self.day_number() + n)
    }

    /// 0 = Monday … 6 = Sunday.
    pub fn weekday(self) -> u32 {
        // 1970-01-01 was a Thursday.
        (self.day_number() + 3).rem_euclid(7) as u32
    }

    pub fn is_weekend(self) -> bool {
        self.weekday() >= 5
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl From<Date> for String {
    fn from(d: Date) -> String {
        d.to_string()
    }
}

impl TryFrom<String> for Date {
    type Error = String;
    fn try_from(s: String) -> Result<Date, String> {
        Date::parse(&s).ok_or_else(|| format!("not a date (YYYY-MM-DD): {s}"))
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// What a listed day is, against the Monday-to-Friday rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// 放假: no work, even on a weekday.
    Holiday,
    /// 调休上班: a weekend day worked.
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    pub fn parse(s: &str) -> Option<DayKind> {
        [DayKind::Holiday, DayKind::Workday]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// One listed day of a calendar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpecialDay {
    pub date: Date,
    pub kind: DayKind,
    /// 元旦, 春节, …
    pub name: String,
}

/// Why a calendar entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("a workday (调休) must fall on a weekend")]
    WorkdayOnWeekday,
    #[error("a holiday needs a name")]
    NameMissing,
    #[error("name too long")]
    NameTooLong,
}

impl CalendarError {
    pub fn code(&self) -> &'static str {
        match self {
            CalendarError::WorkdayOnWeekday => "workday_on_weekday",
            CalendarError::NameMissing => "name_missing",
            CalendarError::NameTooLong => "name_too_long",
        }
    }
    pub fn message_zh(&self) -> &'static str {
        match self {
            CalendarError::WorkdayOnWeekday => "调休上班日必须是周六或周日",
            CalendarError::NameMissing => "请填写节日名称",
            CalendarError::NameTooLong => "名称不能超过 20 个字",
        }
    }
    pub fn message_en(&self) -> &'static str {
        match self {
            CalendarError::WorkdayOnWeekday => "A make-up workday must be a Saturday or Sunday",
            CalendarError::NameMissing => "Give the holiday a name",
            CalendarError::NameTooLong => "The name may have at most 20 characters",
        }
    }
}

impl SpecialDay {
    /// A holiday may fall on any day (a weekend holiday changes nothing but
    /// is listed as in the notice); a make-up workday only on a weekend.
    pub fn validate(&self) -> Result<(), CalendarError> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(CalendarError::NameMissing);
        }
        if name.chars().count() > 20 {
            return Err(CalendarError::NameTooLong);
        }
        if self.kind == DayKind::Workday && !self.date.is_weekend() {
            return Err(CalendarError::WorkdayOnWeekday);
        }
        Ok(())
    }
}

/// A working-day calendar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    special: BTreeMap<Date, DayKind>,
}

impl Calendar {
    pub fn new(days: impl IntoIterator<Item = (Date, DayKind)>) -> Calendar {
        Calendar {
            special: days.into_iter().collect(),
        }
    }

    /// The calendar as shipped: 2025 and 2026.
    pub fn shipped() -> Calendar {
        Calendar::new(shipped_days().into_iter().map(|d| (d.date, d.kind)))
    }

    /// Whether any holiday or 调休 day of `year` is known: the State
    /// Council's notice for it has been entered (or shipped).
    pub fn knows_year(&self, year: i32) -> bool {
        self.special
            .range(Date::new(year, 1, 1)..=Date::new(year, 12, 31))
            .next()
            .is_some()
    }

    /// The year whose holidays and 调休 days are missing and needed now:
    /// this year's if unknown, or from December on next year's (deadlines
    /// counted in working days start running into it). `None` when both
    /// are entered.
    pub fn missing_year(&self, today: Date) -> Option<i32> {
        if !self.knows_year(today.year) {
            Some(today.year)
        } else if today.month == 12 && !self.knows_year(today.year + 1) {
            Some(today.year + 1)
        } else {
            None
        }
    }

    /// A deadline in a year whose holidays are not known: it was counted
    /// with weekends only and may be wrong.
    pub fn beyond_known(&self, deadline_ms: i64) -> bool {
        // The deadline is the end of its last day: the day before it counts.
        !self.knows_year(Date::of_instant(deadline_ms - 1).year)
    }

    pub fn is_working_day(&self, d: Date) -> bool {
        match self.special.get(&d) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !d.is_weekend(),
        }
    }

    /// The Nth working day after `from` (exclusive); `n == 0` is `from`.
    pub fn add_working_days(&self, from: Date, n: u32) -> Date {
        let mut d = from;
        let mut left = n;
        while left > 0 {
            d = d.add_days(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// The deadline of "within `n` days" of an event at `from_ms`: the end
    /// (exclusive, as ms) of the Nth working or natural day after the
    /// event's date in China.
    pub fn due(&self, from_ms: i64, span: DaySpan) -> i64 {
        let start = Date::of_instant(from_ms);
        let last = match span.kind {
            CountKind::Working => self.add_working_days(start, span.days),
            CountKind::Natural => start.add_days(i64::from(span.days)),
        };
        last.add_days(1).start_ms()
    }

    /// Working days from the date of `from_ms` (exclusive) to the date of
    /// `to_ms` (inclusive); 0 when `to` is not later.
    pub fn working_days_between(&self, from_ms: i64, to_ms: i64) -> u32 {
        let (a, b) = (Date::of_instant(from_ms), Date::of_instant(to_ms));
        let mut n = 0;
        let mut d = a;
        while d < b {
            d = d.add_days(1);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }
}

/// Whether a deadline counts working or natural (calendar) days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CountKind {
    Working,
    Natural,
}

/// "Within N working/natural days".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DaySpan {
    pub days: u32,
    pub kind: CountKind,
}

impl DaySpan {
    pub const fn working(days: u32) -> DaySpan {
        DaySpan {
            days,
            kind: CountKind::Working,
        }
    }
    pub const fn natural(days: u32) -> DaySpan {
        DaySpan {
            days,
            kind: CountKind::Natural,
        }
    }

    /// `2w` (working) or `15n` (natural), as in the environment settings.
    pub fn parse(s: &str) -> Option<DaySpan> {
        let s = s.trim();
        let (n, kind) = if let Some(n) = s.strip_suffix('w') {
            (n, CountKind::Working)
        } else if let Some(n) = s.strip_suffix('n') {
            (n, CountKind::Natural)
        } else {
            return None;
        };
        let days: u32 = n.parse().ok()?;
        (1..=365).contains(&days).then_some(DaySpan { days, kind })
    }
}

/// (month, day, kind, name) for one year.
type Row = (u32, u32, DayKind, &'static str);

const H: DayKind = DayKind::Holiday;
const W: DayKind = DayKind::Workday;

/// 国办发明电〔2024〕12号: the 2025 arrangement.
const Y2025: &[Row] = &[
    (1, 1, H, "元旦"),
    (1, 26, W, "春节调休"),
    (1, 28, H, "春节"),
    (1, 29, H, "春节"),
    (1, 30, H, "春节"),
    (1, 31, H, "春节"),
    (2, 1, H, "春节"),
    (2, 2, H, "春节"),
    (2, 3, H, "春节"),
    (2, 4, H, "春节"),
    (2, 8, W, "春节调休"),
    (4, 4, H, "清明节"),
    (4, 5, H, "清明节"),
    (4, 6, H, "清明节"),
    (4, 27, W, "劳动节调休"),
    (5, 1, H, "劳动节"),
    (5, 2, H, "劳动节"),
    (5, 3, H, "劳动节"),
    (5, 4, H, "劳动节"),
    (5, 5, H, "劳动节"),
    (5, 31, H, "端午节"),
    (6, 1, H, "端午节"),
    (6, 2, H, "端午节"),
    (9, 28, W, "国庆节调休"),
    (10, 1, H, "国庆节、中秋节"),
    (10, 2, H, "国庆节、中秋节"),
    (10, 3, H, "国庆节、中秋节"),
    (10, 4, H, "国庆节、中秋节"),
    (10, 5, H, "国庆节、中秋节"),
    (10, 6, H, "国庆节、中秋节"),
    (10, 7, H, "国庆节、中秋节"),
    (10, 8, H, "国庆节、中秋节"),
    (10, 11, W, "国庆节调休"),
];

/// 国办发明电〔2025〕7号: the 2026 arrangement.
const Y2026: &[Row] = &[
    (1, 1, H, "元旦"),
    (1, 2, H, "元旦"),
    (1, 3, H, "元旦"),
    (1, 4, W, "元旦调休"),
    (2, 14, W, "春节调休"),
    (2, 15, H, "春节"),
    (2, 16, H, "春节"),
    (2, 17, H, "春节"),
    (2, 18, H, "春节"),
    (2, 19, H, "春节"),
    (2, 20, H, "春节"),
    (2, 21, H, "春节"),
    (2, 22, H, "春节"),
    (2, 23, H, "春节"),
    (2, 28, W, "春节调休"),
    (4, 4, H, "清明节"),
    (4, 5, H, "清明节"),
    (4, 6, H, "清明节"),
    (5, 1, H, "劳动节"),
    (5, 2, H, "劳动节"),
    (5, 3, H, "劳动节"),
    (5, 4, H, "劳动节"),
    (5, 5, H, "劳动节"),
    (5, 9, W, "劳动节调休"),
    (6, 19, H, "端午节"),
    (6, 20, H, "端午节"),
    (6, 21, H, "端午节"),
    (9, 20, W, "国庆节调休"),
    (9, 25, H, "中秋节"),
    (9, 26, H, "中秋节"),
    (9, 27, H, "中秋节"),
    (10, 1, H, "国庆节"),
    (10, 2, H, "国庆节"),
    (10, 3, H, "国庆节"),
    (10, 4, H, "国庆节"),
    (10, 5, H, "国庆节"),
    (10, 6, H, "国庆节"),
    (10, 7, H, "国庆节"),
    (10, 10, W, "国庆节调休"),
];

/// The years shipped, with their days.
pub const SHIPPED_YEARS: &[(i32, &[Row])] = &[(2025, Y2025), (2026, Y2026)];

/// Every shipped special day.
pub fn shipped_days() -> Vec<SpecialDay> {
    SHIPPED_YEARS
        .iter()
        .flat_map(|(y, rows)| {
            rows.iter().map(move |&(m, d, kind, name)| SpecialDay {
                date: Date::new(*y, m, d),
                kind,
                name: name.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> Date {
        Date::new(y, m, day)
    }

    #[test]
    fn from_december_next_years_holidays_are_asked_for() {
        let cal = Calendar::shipped();
        assert_eq!(cal.missing_year(d(2026, 11, 30)), None);
        assert_eq!(cal.missing_year(d(2026, 12, 1)), Some(2027));
        assert_eq!(cal.missing_year(d(2027, 3, 1)), Some(2027));
        assert_eq!(cal.missing_year(d(2025, 12, 31)), None, "2026 ships");
        let entered = Calendar::new(
            shipped_days()
                .into_iter()
                .map(|s| (s.date, s.kind))
                .chain([(d(2027, 1, 1), DayKind::Holiday)]),
        );
        assert_eq!(entered.missing_year(d(2026, 12, 1)), None);
        // A deadline ending 2027-01-01 00:00 lies in 2026: known.
        assert!(!cal.beyond_known(d(2027, 1, 1).start_ms()));
        assert!(cal.beyond_known(d(2027, 1, 2).start_ms()));
        assert!(!entered.beyond_known(d(2027, 1, 5).start_ms()));
    }

    #[test]
    fn dates_parse_strictly_and_print_back() {
        assert_eq!(Date::parse("2026-02-14"), Some(d(2026, 2, 14)));
        assert_eq!(d(2026, 2, 14).to_string(), "2026-02-14");
        for bad in [
            "2026-02-30",
            "2025-02-29",
            "2026-13-01",
            "2026-2-14",
            "20260214",
            "2026-02-1x",
            "",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
        assert_eq!(Date::parse("2024-02-29"), Some(d(2024, 2, 29)));
    }

    #[test]
    fn weekdays_are_right() {
        assert_eq!(d(1970, 1, 1).weekday(), 3); // Thursday
        assert_eq!(d(2026, 2, 14).weekday(), 5); // Saturday
        assert_eq!(d(2026, 11, 22).weekday(), 6); // Sunday
        assert_eq!(d(2025, 1, 26).weekday(), 6);
    }

    #[test]
    fn every_shipped_day_is_valid_and_every_workday_is_a_weekend_day() {
        for day in shipped_days() {
            day.validate()
                .unwrap_or_else(|e| panic!("{}: {e}", day.date));
        }
        // The holiday counts of the notices.
        let count = |y: i32, name: &str| {
            shipped_days()
                .iter()
                .filter(|s| s.date.year == y && s.kind == DayKind::Holiday && s.name == name)
                .count()
        };
        assert_eq!(count(2025, "春节"), 8);
        assert_eq!(count(2026, "春节"), 9);
        assert_eq!(count(2025, "国庆节、中秋节"), 8);
        assert_eq!(count(2026, "国庆节"), 7);
    }

    #[test]
    fn the_day_begins_at_midnight_china_time() {
        // 2026-02-13 16:00 UTC is 2026-02-14 00:00 in China.
        let ms = d(2026, 2, 14).start_ms();
        assert_eq!(Date::of_instant(ms), d(2026, 2, 14));
        assert_eq!(Date::of_instant(ms - 1), d(2026, 2, 13));
        // 2026-02-14T00:00Z is 1_771_027_200_000.
        assert_eq!(ms, 1_771_027_200_000 - CST_OFFSET_MS);
    }

    #[test]
    fn a_makeup_saturday_is_worked_and_a_festival_weekday_is_not() {
        let c = Calendar::shipped();
        assert!(c.is_working_day(d(2026, 2, 14)), "调休 Saturday");
        assert!(!c.is_working_day(d(2026, 2, 16)), "春节 Monday");
        assert!(
            !c.is_working_day(d(2026, 2, 21)),
            "plain Saturday in the holiday"
        );
        assert!(c.is_working_day(d(2026, 2, 24)));
        assert!(!c.is_working_day(d(2026, 11, 21)), "ordinary Saturday");
    }

    #[test]
    fn two_working_days_from_the_friday_before_spring_festival_end_on_the_tuesday_after() {
        let c = Calendar::shipped();
        // Rated Friday 2026-02-13 at 15:00 China time.
        let rated = d(2026, 2, 13).start_ms() + 15 * 3_600_000;
        // Day 1 is the 调休 Saturday 02-14; 02-15 … 02-23 are 春节; day 2 is 02-24.
        let due = c.due(rated, DaySpan::working(2));
        assert_eq!(due, d(2026, 2, 25).start_ms());
        assert_eq!(Date::of_instant(due - 1), d(2026, 2, 24));
        // Without the 调休 Saturday it would be a day later.
        let mut days: Vec<_> = shipped_days()
            .into_iter()
            .map(|s| (s.date, s.kind))
            .collect();
        days.retain(|(date, _)| *date != d(2026, 2, 14));
        let c2 = Calendar::new(days);
        assert_eq!(
            Date::of_instant(c2.due(rated, DaySpan::working(2)) - 1),
            d(2026, 2, 25)
        );
    }

    #[test]
    fn five_working_days_across_the_2025_spring_festival_count_the_makeup_days() {
        let c = Calendar::shipped();
        // Rated Saturday 2025-01-25. Working: 01-26 (调休 Sun), 01-27 (Mon),
        // then 01-28 … 02-04 off, 02-05 (Wed), 02-06, 02-07.
        let rated = d(2025, 1, 25).start_ms() + 10 * 3_600_000;
        assert_eq!(
            Date::of_instant(c.due(rated, DaySpan::working(5)) - 1),
            d(2025, 2, 7)
        );
        // And the 调休 Saturday 02-08 is the 6th.
        assert_eq!(c.add_working_days(d(2025, 1, 25), 6), d(2025, 2, 8));
    }

    #[test]
    fn natural_days_ignore_holidays() {
        let c = Calendar::shipped();
        let rated = d(2026, 2, 10).start_ms() + 9 * 3_600_000;
        assert_eq!(
            Date::of_instant(c.due(rated, DaySpan::natural(15)) - 1),
            d(2026, 2, 25)
        );
    }

    #[test]
    fn a_rating_late_on_a_holiday_counts_from_the_next_working_day() {
        let c = Calendar::shipped();
        let rated = d(2026, 10, 3).start_ms() + 23 * 3_600_000;
        // 10-04 … 10-07 off, 10-08 (Thu) and 10-09 (Fri).
        assert_eq!(
            Date::of_instant(c.due(rated, DaySpan::working(2)) - 1),
            d(2026, 10, 9)
        );
        assert_eq!(c.working_days_between(rated, d(2026, 10, 10).start_ms()), 3);
    }

    #[test]
    fn spans_parse_from_settings() {
        assert_eq!(DaySpan::parse("2w"), Some(DaySpan::working(2)));
        assert_eq!(DaySpan::parse("15n"), Some(DaySpan::natural(15)));
        for bad in ["15", "0w", "w", "15d", "-1n", "400n"] {
            assert_eq!(DaySpan::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_workday_on_a_weekday_or_a_nameless_day_is_refused() {
        let s = |date, kind, name: &str| SpecialDay {
            date,
            kind,
            name: name.into(),
        };
        assert_eq!(
            s(d(2026, 11, 23), DayKind::Workday, "调休").validate(),
            Err(CalendarError::WorkdayOnWeekday)
        );
        assert_eq!(
            s(d(2026, 11, 23), DayKind::Holiday, " ").validate(),
            Err(CalendarError::NameMissing)
        );
        assert!(s(d(2026, 11, 22), DayKind::Workday, "调休")
            .validate()
            .is_ok());
    }

    proptest! {
        #[test]
        fn day_numbers_round_trip(z in -200_000i64..200_000) {
            let date = Date::from_day_number(z);
            prop_assert_eq!(date.day_number(), z);
            prop_assert_eq!(Date::parse(&date.to_string()).filter(|_| date.year >= 1000), (date.year >= 1000).then_some(date));
        }

        #[test]
        fn a_working_deadline_ends_on_a_working_day_after_exactly_n_of_them(
            start in 20_000i64..20_800, n in 1u32..30
        ) {
            let c = Calendar::shipped();
            let from = Date::from_day_number(start);
            let last = c.add_working_days(from, n);
            prop_assert!(c.is_working_day(last));
            prop_assert_eq!(c.working_days_between(from.start_ms(), last.start_ms()), n);
            // Never shorter than the same count of natural days.
            prop_assert!(last >= from.add_days(i64::from(n)));
        }

        #[test]
        fn the_deadline_is_a_midnight_after_the_event(ms in 1_700_000_000_000i64..1_800_000_000_000, n in 1u32..20) {
            let c = Calendar::shipped();
            for span in [DaySpan::working(n), DaySpan::natural(n)] {
                let due = c.due(ms, span);
                prop_assert!(due > ms + i64::from(n - 1) * DAY_MS);
                prop_assert_eq!((due + CST_OFFSET_MS).rem_euclid(DAY_MS), 0);
            }
        }
    }
}
