//! Notices to a unit's 好差评 administrator (seed 004 §20: a bad rating goes
//! "at once" to the responsible unit): a new bad rating, a deadline that is
//! near, a deadline that passed; or all of it once a day as a digest. Which
//! notices a ticket is due is decided here; the server sends each once.

use serde::{Deserialize, Serialize};

use super::calendar::{Date, CST_OFFSET_MS, DAY_MS};

/// "Near": this long before a deadline.
pub const SOON_MS: i64 = DAY_MS;
/// New bad ratings older than this are not announced (a server started on
/// an old database does not send its history).
pub const NEW_WITHIN_MS: i64 = DAY_MS;
/// The digest goes out at the first run after this hour, China time.
pub const DIGEST_HOUR: i64 = 8;

/// How an administrator wants to be told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotifyMode {
    Off,
    /// One SMS per event, as it happens.
    Instant,
    /// One SMS a day with the counts.
    Digest,
}

impl NotifyMode {
    pub const ALL: [NotifyMode; 3] = [NotifyMode::Instant, NotifyMode::Digest, NotifyMode::Off];

    pub fn as_str(self) -> &'static str {
        match self {
            NotifyMode::Off => "off",
            NotifyMode::Instant => "instant",
            NotifyMode::Digest => "digest",
        }
    }

    pub fn parse(s: &str) -> Option<NotifyMode> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            NotifyMode::Off => "不接收短信提醒",
            NotifyMode::Instant => "每条即时提醒",
            NotifyMode::Digest => "每日汇总一条（早上 8 点后）",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum NoticeKind {
    New,
    ContactSoon,
    ContactOverdue,
    RectifySoon,
    RectifyOverdue,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::New => "new",
            NoticeKind::ContactSoon => "contact_soon",
            NoticeKind::ContactOverdue => "contact_overdue",
            NoticeKind::RectifySoon => "rectify_soon",
            NoticeKind::RectifyOverdue => "rectify_overdue",
        }
    }

    pub fn is_overdue(self) -> bool {
        matches!(
            self,
            NoticeKind::ContactOverdue | NoticeKind::RectifyOverdue
        )
    }
}

/// The deadlines of an open ticket (not archived, closed or excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenTicket {
    pub opened_at: i64,
    pub contact_due: i64,
    pub contacted_at: Option<i64>,
    pub rectify_due: Option<i64>,
}

/// The notices a ticket is due at `now`, at most one per deadline (the
/// later state wins: overdue, not "soon").
pub fn due(t: &OpenTicket, now: i64) -> Vec<NoticeKind> {
    let mut out = vec![];
    if now - t.opened_at <= NEW_WITHIN_MS {
        out.push(NoticeKind::New);
    }
    if t.contacted_at.is_none() {
        if now >= t.contact_due {
            out.push(NoticeKind::ContactOverdue);
        } else if t.contact_due - now <= SOON_MS {
            out.push(NoticeKind::ContactSoon);
        }
    }
    if let Some(due) = t.rectify_due {
        if now >= due {
            out.push(NoticeKind::RectifyOverdue);
        } else if due - now <= SOON_MS {
            out.push(NoticeKind::RectifySoon);
        }
    }
    out
}

/// The day whose digest is due at `now` (China time), once 08:00 passed.
pub fn digest_day(now: i64) -> Option<Date> {
    let local = now + CST_OFFSET_MS;
    let hour = local.rem_euclid(DAY_MS) / 3_600_000;
    (hour >= DIGEST_HOUR).then(|| Date::of_instant(now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: i64 = 3_600_000;

    fn ticket(opened: i64) -> OpenTicket {
        OpenTicket {
            opened_at: opened,
            contact_due: opened + 2 * DAY_MS,
            contacted_at: None,
            rectify_due: None,
        }
    }

    #[test]
    fn a_new_bad_rating_is_announced_then_its_contact_deadline() {
        let t = ticket(0);
        assert_eq!(due(&t, H), [NoticeKind::New]);
        assert_eq!(due(&t, 30 * H), [NoticeKind::ContactSoon]);
        assert_eq!(due(&t, 48 * H), [NoticeKind::ContactOverdue]);
        let contacted = OpenTicket {
            contacted_at: Some(5 * H),
            ..t
        };
        assert!(due(&contacted, 48 * H).is_empty());
    }

    #[test]
    fn the_rectification_deadline_is_announced_near_and_passed() {
        let t = OpenTicket {
            contacted_at: Some(H),
            rectify_due: Some(15 * DAY_MS),
            ..ticket(0)
        };
        assert!(due(&t, 10 * DAY_MS).is_empty());
        assert_eq!(due(&t, 14 * DAY_MS + H), [NoticeKind::RectifySoon]);
        assert_eq!(due(&t, 15 * DAY_MS), [NoticeKind::RectifyOverdue]);
    }

    #[test]
    fn the_digest_waits_for_eight_in_the_morning_china_time() {
        let day = Date::new(2026, 12, 2);
        assert_eq!(digest_day(day.start_ms() + 7 * H + 59 * 60_000), None);
        assert_eq!(digest_day(day.start_ms() + 8 * H), Some(day));
        assert_eq!(digest_day(day.start_ms() + 23 * H), Some(day));
    }

    proptest! {
        #[test]
        fn a_deadline_is_never_both_near_and_passed(opened in 0i64..1_000_000_000, dt in 0i64..(40 * DAY_MS)) {
            let now = opened + dt;
            let kinds = due(&ticket(opened), now);
            prop_assert!(!(kinds.contains(&NoticeKind::ContactSoon) && kinds.contains(&NoticeKind::ContactOverdue)));
            prop_assert_eq!(kinds.contains(&NoticeKind::ContactOverdue), now >= opened + 2 * DAY_MS);
        }
    }

    #[test]
    fn modes_round_trip() {
        for m in NotifyMode::ALL {
            assert_eq!(NotifyMode::parse(m.as_str()), Some(m));
        }
        assert_eq!(NotifyMode::parse("often"), None);
    }
}
