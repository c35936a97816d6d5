//! Instants as staff read them: China time (UTC+8), whatever the zone of
//! the machine that prints them (a browser abroad, a server in UTC).

/// China time (UTC+8) of a millisecond timestamp: (date, hour, minute).
/// Pure, so the same on the server and in every browser's time zone.
fn china_parts(ms: i64) -> (crate::calendar::Date, i64, i64) {
    use crate::calendar::{Date, CST_OFFSET_MS, DAY_MS};
    let mins = (ms + CST_OFFSET_MS).rem_euclid(DAY_MS) / 60_000;
    (Date::of_instant(ms), mins / 60, mins % 60)
}

/// `YYYY-MM-DD HH:mm`, China time.
pub fn china_time(ms: i64) -> String {
    let (d, h, m) = china_parts(ms);
    format!("{d} {h:02}:{m:02}")
}

/// A deadline: those that end a day (midnight, exclusive) read as that
/// day's `24:00`, as staff say 截至某日, not as the next day's `00:00`.
pub fn china_deadline(ms: i64) -> String {
    let (d, h, m) = china_parts(ms);
    if (h, m) == (0, 0) {
        format!("{} 24:00", d.add_days(-1))
    } else {
        format!("{d} {h:02}:{m:02}")
    }
}

/// [`china_deadline`] without the year.
pub fn china_deadline_short(ms: i64) -> String {
    china_deadline(ms)[5..].to_string()
}

/// 周一 … 周日.
pub fn weekday_zh(d: crate::calendar::Date) -> &'static str {
    ["周一", "周二", "周三", "周四", "周五", "周六", "周日"][d.weekday() as usize % 7]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Date;

    #[test]
    fn times_are_shown_in_china_whatever_the_machines_zone() {
        // 2026-02-13 16:05 UTC is 2026-02-14 00:05 in China.
        let ms = Date::new(2026, 2, 14).start_ms() + 5 * 60_000;
        assert_eq!(china_time(ms), "2026-02-14 00:05");
        assert_eq!(china_time(ms - 10 * 60_000), "2026-02-13 23:55");
        assert_eq!(weekday_zh(Date::new(2026, 2, 14)), "周六");
        assert_eq!(
            china_deadline(Date::new(2026, 2, 25).start_ms()),
            "2026-02-24 24:00"
        );
        assert_eq!(
            china_deadline_short(Date::new(2026, 2, 25).start_ms()),
            "02-24 24:00"
        );
        assert_eq!(china_deadline(ms), "2026-02-14 00:05");
    }
}
