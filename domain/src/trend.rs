//! Trends beside a 通报 table: the key figures month by month over the
//! year up to the period's end, and when ratings (and bad ratings) are
//! given, by hour and weekday over the period. Built from rollup sums;
//! every figure comes from `metrics::Figures`, as in the tables.

use serde::{Deserialize, Serialize};

use super::calendar::Date;
use super::metrics::{Counts, Coverage, Figures};
use super::report::Period;

/// Months shown in the month-over-month line.
pub const TREND_MONTHS: usize = 12;

/// One figure's line: a value per month (`None`: nothing to divide by).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrendSeries {
    pub code: String,
    pub label: String,
    /// A rate in percent (else a count).
    pub percent: bool,
    pub values: Vec<Option<f64>>,
}

/// Ratings and bad ratings by weekday (Monday first) and hour (China time).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Heat {
    pub ratings: Vec<Vec<u64>>,
    pub bad: Vec<Vec<u64>>,
}

/// `GET /api/v1/reports/{code}/trend`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Trend {
    /// `2026-11`, oldest first.
    pub months: Vec<String>,
    pub series: Vec<TrendSeries>,
    pub heat: Heat,
    /// The heat map's days (the report's period).
    pub heat_from: String,
    pub heat_to: String,
}

/// The months of the line: [`TREND_MONTHS`] ending with the period's last.
pub fn span(p: &Period) -> Period {
    let (mut y, mut m) = (p.to.year, p.to.month);
    for _ in 1..TREND_MONTHS {
        (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    }
    Period {
        from: Date::new(y, m, 1),
        to: p.to,
    }
}

/// Monday 0 … Sunday 6 of a day number.
pub fn weekday(day_number: i64) -> usize {
    Date::from_day_number(day_number).weekday() as usize
}

/// code, label, a percent?, and how to read it off a month's figures.
type FigureLine = (
    &'static str,
    &'static str,
    bool,
    fn(&Figures) -> Option<f64>,
);

/// The figures the line shows, from a month's counts.
fn figures() -> [FigureLine; 5] {
    [
        ("ratings", "评价数", false, |f| {
            Some(f.counts.ratings as f64)
        }),
        ("rating_rate", "评价率", true, |f| f.rating_rate),
        ("active_rate", "主动评价率", true, |f| f.active_rate),
        ("good_rate", "好评率", true, |f| f.good_rate),
        ("bad", "差评数", false, |f| Some(f.counts.bad as f64)),
    ]
}

/// Builds the trend: `by_day` are (day number, counts) over [`span`] of
/// `period`; `by_hour` are (day number, hour, counts) over `period`.
pub fn build(period: &Period, by_day: &[(i64, Counts)], by_hour: &[(i64, i64, Counts)]) -> Trend {
    let months = span(period).months();
    let mut per_month = vec![Counts::default(); months.len()];
    for (day, c) in by_day {
        let d = Date::from_day_number(*day);
        if let Some(i) = months.iter().position(|m| *m == (d.year, d.month)) {
            per_month[i].add(c);
        }
    }
    let figs: Vec<Figures> = per_month
        .iter()
        .map(|c| Figures::of(c, &Coverage::default(), c.ratings))
        .collect();
    let series = figures()
        .into_iter()
        .map(|(code, label, percent, f)| TrendSeries {
            code: code.into(),
            label: label.into(),
            percent,
            values: figs.iter().map(f).collect(),
        })
        .collect();
    let (from, to) = period.day_range();
    let mut heat = Heat {
        ratings: vec![vec![0; 24]; 7],
        bad: vec![vec![0; 24]; 7],
    };
    for (day, hour, c) in by_hour {
        if *day < from || *day > to || !(0..24).contains(hour) {
            continue;
        }
        let (w, h) = (weekday(*day), *hour as usize);
        heat.ratings[w][h] += c.ratings;
        heat.bad[w][h] += c.bad;
    }
    Trend {
        months: months
            .iter()
            .map(|(y, m)| format!("{y:04}-{m:02}"))
            .collect(),
        series,
        heat,
        heat_from: period.from.to_string(),
        heat_to: period.to.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn counts(ratings: u64, good: u64, bad: u64) -> Counts {
        Counts {
            ratings,
            valid: ratings,
            good,
            bad,
            ..Counts::default()
        }
    }

    #[test]
    fn the_line_spans_the_twelve_months_up_to_the_periods_end() {
        let q = Period {
            from: Date::new(2026, 10, 1),
            to: Date::new(2026, 12, 31),
        };
        let s = span(&q);
        assert_eq!(s.from, Date::new(2026, 1, 1));
        assert_eq!(s.months().len(), 12);
        let m = Period {
            from: Date::new(2026, 2, 1),
            to: Date::new(2026, 2, 28),
        };
        assert_eq!(span(&m).from, Date::new(2025, 3, 1));
    }

    #[test]
    fn months_sum_their_days_and_rates_come_from_the_metrics() {
        let p = Period {
            from: Date::new(2026, 11, 1),
            to: Date::new(2026, 11, 30),
        };
        let oct = Date::new(2026, 10, 15).day_number();
        let nov = Date::new(2026, 11, 2).day_number();
        let t = build(
            &p,
            &[
                (oct, counts(4, 3, 1)),
                (nov, counts(10, 8, 1)),
                (nov + 1, counts(10, 9, 0)),
            ],
            &[],
        );
        assert_eq!(t.months.len(), 12);
        assert_eq!(t.months[11], "2026-11");
        let ratings = &t.series[0];
        assert_eq!(ratings.values[10], Some(4.0));
        assert_eq!(ratings.values[11], Some(20.0));
        assert_eq!(ratings.values[0], Some(0.0));
        let good = t.series.iter().find(|s| s.code == "good_rate").unwrap();
        assert_eq!(good.values[11], Some(85.0));
        assert_eq!(good.values[0], None);
    }

    #[test]
    fn the_heat_map_places_a_rating_by_china_weekday_and_hour() {
        // 2026-12-02 is a Wednesday.
        let d = Date::new(2026, 12, 2).day_number();
        assert_eq!(weekday(d), 2);
        let p = Period {
            from: Date::new(2026, 12, 1),
            to: Date::new(2026, 12, 31),
        };
        let t = build(
            &p,
            &[],
            &[(d, 9, counts(3, 2, 1)), (d - 40, 9, counts(5, 5, 0))],
        );
        assert_eq!(t.heat.ratings[2][9], 3);
        assert_eq!(t.heat.bad[2][9], 1);
        // Outside the period: not counted.
        assert_eq!(t.heat.ratings.iter().flatten().sum::<u64>(), 3);
    }

    proptest! {
        #[test]
        fn weekdays_repeat_every_seven_days(d in -100_000i64..100_000) {
            prop_assert_eq!(weekday(d), weekday(d + 7));
            prop_assert!(weekday(d) < 7);
        }
    }
}
