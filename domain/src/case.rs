//! Cases (办件) and what hangs on them: the stages a citizen may rate apart,
//! 一次一评 (the first rating counts, later ones are 追加评价), the 系统默认
//! rating of a case left unrated, SMS reminders, and the real-name data some
//! cities collect (seed 004). Times are milliseconds since the Unix epoch and
//! are always passed in.

use serde::{Deserialize, Serialize};

use super::level::Level;

/// Stages of a case that policy may let citizens rate separately (seed 004).
/// Ordered as a case goes through them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 咨询预约: enquiry and appointment.
    Consult,
    /// 申请受理: application and acceptance.
    Accept,
    /// 审查决定: review and decision.
    Review,
    /// 结果送达: delivery of the result.
    Deliver,
}

impl Stage {
    /// In the order a case goes through them.
    pub const ALL: [Stage; 4] = [Stage::Consult, Stage::Accept, Stage::Review, Stage::Deliver];

    /// The snake_case name used on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Consult => "consult",
            Stage::Accept => "accept",
            Stage::Review => "review",
            Stage::Deliver => "deliver",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Stage::Consult => "咨询预约",
            Stage::Accept => "申请受理",
            Stage::Review => "审查决定",
            Stage::Deliver => "结果送达",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Stage::Consult => "Enquiry and appointment",
            Stage::Accept => "Application and acceptance",
            Stage::Review => "Review and decision",
            Stage::Deliver => "Delivery of the result",
        }
    }
}

/// 一次一评: the first rating of a case (and stage) counts; later ones are
/// 追加评价; 系统默认 is made by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RatingKind {
    /// The rating that counts (also every rating not linked to a case).
    First,
    /// 追加评价: kept and shown, but the first rating stays the one counted.
    FollowUp,
    /// 系统默认: made by the server for a case left unrated; not an active rating.
    SystemDefault,
}

impl RatingKind {
    pub const ALL: [RatingKind; 3] = [
        RatingKind::First,
        RatingKind::FollowUp,
        RatingKind::SystemDefault,
    ];

    /// The snake_case name used on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RatingKind::First => "first",
            RatingKind::FollowUp => "follow_up",
            RatingKind::SystemDefault => "system_default",
        }
    }

    pub fn parse(s: &str) -> Option<RatingKind> {
        RatingKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            RatingKind::First => "首次评价",
            RatingKind::FollowUp => "追加评价",
            RatingKind::SystemDefault => "系统默认",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            RatingKind::First => "First rating",
            RatingKind::FollowUp => "Follow-up rating",
            RatingKind::SystemDefault => "System default",
        }
    }
}

/// Classifies a batch in order. `keys[i]` is `Some((case_id, stage))` for a
/// rating linked to a known case, `None` for a rating of a service without a
/// case (always [`RatingKind::First`]). `already_rated(case_id, stage)` says
/// whether the store already holds a First or SystemDefault rating for that
/// case and stage.
///
/// The first occurrence of a key not already rated is First; every later one
/// (in the batch, or after a stored one) is FollowUp.
pub fn classify(
    keys: &[Option<(i64, Option<Stage>)>],
    already_rated: impl Fn(i64, Option<Stage>) -> bool,
) -> Vec<RatingKind> {
    let mut seen = std::collections::HashSet::new();
    keys.iter()
        .map(|key| match *key {
            None => RatingKind::First,
            Some((case_id, stage)) => {
                if seen.insert((case_id, stage)) && !already_rated(case_id, stage) {
                    RatingKind::First
                } else {
                    RatingKind::FollowUp
                }
            }
        })
        .collect()
}

/// One natural day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;
/// One hour in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;

/// Seed 004 §15: a case not rated within 7 natural days of finishing gets
/// 满意, marked 系统默认 and not counted as an active rating. Days and level
/// are policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DefaultPolicy {
    /// Off where a region has no default rating (seed 002's districts):
    /// `HCP_DEFAULT_RATING_DAYS=off`.
    pub enabled: bool,
    pub after_days: u32,
    pub level: Level,
}

impl Default for DefaultPolicy {
    fn default() -> Self {
        DefaultPolicy {
            enabled: true,
            after_days: 7,
            level: Level::Satisfied,
        }
    }
}

/// When a case finished at `finished_at` falls due its default rating:
/// `after_days` days later. The rating is dated then, not when the job
/// happens to run, so it counts in the period it belongs to.
pub fn default_rated_at(finished_at: i64, p: &DefaultPolicy) -> i64 {
    finished_at.saturating_add(i64::from(p.after_days) * DAY_MS)
}

/// True when a case finished at `finished_at` is due its default rating at
/// `now`: `now >= finished_at + after_days` days, and the rule is on.
pub fn default_due(finished_at: i64, now: i64, p: &DefaultPolicy) -> bool {
    p.enabled && now >= default_rated_at(finished_at, p)
}

/// SMS invitations: one when the case finishes, then reminders while it is
/// unrated, `every_hours` apart and at most `max_reminders` of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReminderPolicy {
    pub every_hours: u32,
    pub max_reminders: u32,
}

impl Default for ReminderPolicy {
    fn default() -> Self {
        ReminderPolicy {
            every_hours: 24,
            max_reminders: 1,
        }
    }
}

/// Whether an unrated case is due a reminder at `now`. `sent` counts the
/// invitations already sent (at least 1 once the first went out: reminders
/// follow an invitation, never replace it), `last_sent_at` is when the last
/// one went out.
pub fn reminder_due(sent: u32, last_sent_at: i64, now: i64, p: &ReminderPolicy) -> bool {
    sent >= 1
        && sent - 1 < p.max_reminders
        && now >= last_sent_at.saturating_add(i64::from(p.every_hours) * HOUR_MS)
}

/// Real-name data (mobile number, ID number) collected per policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RealName {
    /// Not asked for.
    Off,
    /// Asked for; the citizen may leave it blank.
    Optional,
    /// A rating needs it.
    Required,
}

impl RealName {
    pub const ALL: [RealName; 3] = [RealName::Off, RealName::Optional, RealName::Required];

    /// The snake_case name used on the wire and in settings.
    pub fn as_str(self) -> &'static str {
        match self {
            RealName::Off => "off",
            RealName::Optional => "optional",
            RealName::Required => "required",
        }
    }

    pub fn parse(s: &str) -> Option<RealName> {
        RealName::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Who rated (004 第三条: 自然人、法人和其他组织).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EvaluatorType {
    /// 自然人.
    Person,
    /// 法人或其他组织: a company, an association, an institution.
    Organisation,
}

impl EvaluatorType {
    pub const ALL: [EvaluatorType; 2] = [EvaluatorType::Person, EvaluatorType::Organisation];
    pub fn as_str(self) -> &'static str {
        match self {
            EvaluatorType::Person => "person",
            EvaluatorType::Organisation => "organisation",
        }
    }
    pub fn parse(s: &str) -> Option<EvaluatorType> {
        EvaluatorType::ALL.into_iter().find(|t| t.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            EvaluatorType::Person => "自然人",
            EvaluatorType::Organisation => "法人或其他组织",
        }
    }
    pub fn label_en(self) -> &'static str {
        match self {
            EvaluatorType::Person => "Individual",
            EvaluatorType::Organisation => "Company or organisation",
        }
    }
}

/// 实名 or 匿名: whether the evaluator of a rating is identified, by a
/// phone number or ID number left with the rating, or as the applicant of
/// the case it rates when the case carries the applicant's phone or ID
/// number. A static QR code's rating with neither is 匿名 (seed 001 第六条
/// asks for 实名 so that a rating can be verified and followed up).
pub fn identified(evaluator_phone: bool, evaluator_id_no: bool, applicant_known: bool) -> bool {
    evaluator_phone || evaluator_id_no || applicant_known
}

/// A mainland mobile number: exactly 11 ASCII digits, the first `1`, the
/// second `3` to `9`.
pub fn valid_mobile(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 11
        && b.iter().all(u8::is_ascii_digit)
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
}

/// Keeps the first 3 and last 4 characters and stars the rest; a string
/// shorter than 8 characters becomes all stars. Counts characters, not bytes.
fn mask_middle(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n < 8 {
        return "*".repeat(n);
    }
    let mut out = String::with_capacity(s.len());
    out.extend(&chars[..3]);
    out.extend(std::iter::repeat_n('*', n - 7));
    out.extend(&chars[n - 4..]);
    out
}

/// `138****1234` for an 11-digit number. Other lengths keep the first 3 and
/// last 4 characters when there are at least 8, else become all stars.
pub fn mask_phone(s: &str) -> String {
    mask_middle(s)
}

/// Weights of the 17 digits of a resident ID number (GB 11643-1999).
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character, indexed by the weighted sum mod 11.
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// The check character for 17 ASCII digits.
fn check_char(digits: &[u8; 17]) -> char {
    let sum: u32 = digits
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    char::from(ID_CHECK[(sum % 11) as usize])
}

/// A resident ID number (GB 11643-1999): 18 characters, 17 ASCII digits
/// then the check character, a digit or `X` (lowercase `x` accepted).
pub fn valid_id_no(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut digits = [0u8; 17];
    digits.copy_from_slice(&b[..17]);
    char::from(b[17]).to_ascii_uppercase() == check_char(&digits)
}

/// Keeps the first 3 and last 4 characters and stars the rest
/// (`110***********002X`); all stars if shorter than 8 characters.
pub fn mask_id_no(s: &str) -> String {
    mask_middle(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn every_stage_and_kind_name_parses_back_to_itself() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert!(!s.label_zh().is_empty() && !s.label_en().is_empty());
        }
        for k in RatingKind::ALL {
            assert_eq!(RatingKind::parse(k.as_str()), Some(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
        }
        for r in RealName::ALL {
            assert_eq!(RealName::parse(r.as_str()), Some(r));
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
        }
        assert_eq!(Stage::parse("archive"), None);
        assert_eq!(RatingKind::parse("First"), None);
        assert_eq!(RatingKind::FollowUp.label_zh(), "追加评价");
        assert_eq!(RatingKind::SystemDefault.label_en(), "System default");
    }

    #[test]
    fn stages_sort_in_the_order_a_case_goes_through_them() {
        let mut s = vec![Stage::Deliver, Stage::Consult, Stage::Review, Stage::Accept];
        s.sort();
        assert_eq!(s, Stage::ALL);
    }

    #[test]
    fn a_rating_without_a_case_is_always_first() {
        assert_eq!(
            classify(&[None, None], |_, _| true),
            [RatingKind::First, RatingKind::First]
        );
    }

    #[test]
    fn two_ratings_of_one_case_in_a_batch_are_first_then_follow_up() {
        let keys = [Some((7, None)), None, Some((7, None))];
        assert_eq!(
            classify(&keys, |_, _| false),
            [RatingKind::First, RatingKind::First, RatingKind::FollowUp]
        );
    }

    #[test]
    fn each_stage_of_a_case_has_its_own_first_rating() {
        let keys = [
            Some((7, Some(Stage::Accept))),
            Some((7, Some(Stage::Deliver))),
            Some((7, None)),
            Some((7, Some(Stage::Accept))),
        ];
        assert_eq!(
            classify(&keys, |_, _| false),
            [
                RatingKind::First,
                RatingKind::First,
                RatingKind::First,
                RatingKind::FollowUp
            ]
        );
    }

    #[test]
    fn a_rating_of_a_case_already_rated_is_a_follow_up() {
        let keys = [Some((7, None)), Some((8, None))];
        assert_eq!(
            classify(&keys, |c, _| c == 7),
            [RatingKind::FollowUp, RatingKind::First]
        );
    }

    #[test]
    fn a_default_rating_is_due_seven_days_after_finishing() {
        let p = DefaultPolicy::default();
        assert_eq!(p.level, Level::Satisfied);
        let finished = 1_800_000_000_000;
        assert!(default_due(finished, finished + 7 * DAY_MS, &p));
        assert!(!default_due(finished, finished + 7 * DAY_MS - 1, &p));
        assert!(!default_due(finished, finished, &p));
        let three = DefaultPolicy {
            after_days: 3,
            level: Level::Basic,
            ..DefaultPolicy::default()
        };
        assert!(default_due(finished, finished + 3 * DAY_MS, &three));
        assert!(!default_due(finished, finished + 3 * DAY_MS - 1, &three));
        assert_eq!(default_rated_at(finished, &three), finished + 3 * DAY_MS);
        let off = DefaultPolicy {
            enabled: false,
            ..DefaultPolicy::default()
        };
        assert!(!default_due(finished, finished + 365 * DAY_MS, &off));
    }

    #[test]
    fn a_default_rating_never_overflows_on_extreme_times() {
        let p = DefaultPolicy {
            after_days: u32::MAX,
            ..DefaultPolicy::default()
        };
        assert!(!default_due(i64::MAX - 1, i64::MAX - 1, &p));
        assert!(default_due(i64::MIN, 0, &p));
    }

    #[test]
    fn a_reminder_follows_the_invitation_after_a_day_and_only_once() {
        let p = ReminderPolicy::default();
        let sent_at = 1_800_000_000_000;
        let day = 24 * HOUR_MS;
        assert!(
            !reminder_due(0, sent_at, sent_at + 10 * day, &p),
            "no invitation yet"
        );
        assert!(!reminder_due(1, sent_at, sent_at + day - 1, &p));
        assert!(reminder_due(1, sent_at, sent_at + day, &p));
        assert!(
            !reminder_due(2, sent_at, sent_at + 10 * day, &p),
            "reminded already"
        );
    }

    #[test]
    fn a_policy_may_allow_several_reminders_or_none() {
        let three = ReminderPolicy {
            every_hours: 6,
            max_reminders: 3,
        };
        let t = 1_000;
        assert!(reminder_due(3, t, t + 6 * HOUR_MS, &three));
        assert!(!reminder_due(4, t, t + 6 * HOUR_MS, &three));
        let none = ReminderPolicy {
            every_hours: 24,
            max_reminders: 0,
        };
        assert!(!reminder_due(1, t, t + 100 * DAY_MS, &none));
    }

    #[test]
    fn mobile_numbers_are_eleven_digits_starting_with_one() {
        assert!(valid_mobile("13812341234"));
        assert!(valid_mobile("19912341234"));
        assert!(!valid_mobile("12812341234"), "second digit 2");
        assert!(!valid_mobile("23812341234"));
        assert!(!valid_mobile("1381234123"));
        assert!(!valid_mobile("138123412345"));
        assert!(!valid_mobile("1381234123x"));
        assert!(!valid_mobile("１３８１２３４１２３４"), "full-width digits");
        assert!(!valid_mobile(""));
    }

    #[test]
    fn a_phone_number_is_masked_in_the_middle() {
        assert_eq!(mask_phone("13812341234"), "138****1234");
        assert_eq!(mask_phone("02512345678"), "025****5678");
        assert_eq!(mask_phone("12345678"), "123*5678");
        assert_eq!(mask_phone("1234567"), "*******");
        assert_eq!(mask_phone("电话一二三四五六七八"), "电话一***五六七八");
        assert_eq!(mask_phone(""), "");
    }

    #[test]
    fn a_real_id_number_checks_and_one_changed_digit_does_not() {
        assert!(valid_id_no("11010519491231002X"));
        assert!(valid_id_no("11010519491231002x"), "lowercase x");
        assert!(!valid_id_no("11010519491231003X"));
        assert!(!valid_id_no("21010519491231002X"));
        assert!(!valid_id_no("110105194912310020"));
        assert!(!valid_id_no("11010519491231002"), "17 characters");
        assert!(!valid_id_no("11010519491231002XX"));
        assert!(!valid_id_no("1101051949123100aX"));
        assert!(!valid_id_no(""));
    }

    #[test]
    fn an_id_number_is_masked_but_for_its_ends() {
        assert_eq!(mask_id_no("11010519491231002X"), "110***********002X");
        assert_eq!(mask_id_no("1101051"), "*******");
    }

    fn key_strategy() -> impl Strategy<Value = Option<(i64, Option<Stage>)>> {
        // Few cases and stages, so repeats happen often.
        prop::option::weighted(
            0.9,
            (
                0i64..4,
                prop::option::of(prop::sample::select(Stage::ALL.to_vec())),
            ),
        )
    }

    proptest! {
        /// A model of the store: each case and stage has at most one First,
        /// exactly one when it was not rated before, and it is the first
        /// occurrence in the batch.
        #[test]
        fn each_case_and_stage_gets_exactly_one_first_rating_unless_already_rated(
            keys in prop::collection::vec(key_strategy(), 0..40),
            rated in prop::collection::hash_set((0i64..4, prop::option::of(prop::sample::select(Stage::ALL.to_vec()))), 0..6),
        ) {
            let kinds = classify(&keys, |c, s| rated.contains(&(c, s)));
            prop_assert_eq!(kinds.len(), keys.len());
            let mut firsts: HashMap<(i64, Option<Stage>), usize> = HashMap::new();
            let mut seen = HashSet::new();
            for (key, kind) in keys.iter().zip(&kinds) {
                prop_assert_ne!(*kind, RatingKind::SystemDefault);
                match key {
                    None => prop_assert_eq!(*kind, RatingKind::First),
                    Some(k) => {
                        let expect_first = seen.insert(*k) && !rated.contains(k);
                        prop_assert_eq!(*kind == RatingKind::First, expect_first);
                        if *kind == RatingKind::First {
                            *firsts.entry(*k).or_default() += 1;
                        }
                    }
                }
            }
            for k in keys.iter().flatten() {
                let n = firsts.get(k).copied().unwrap_or(0);
                prop_assert_eq!(n, usize::from(!rated.contains(k)));
            }
        }

        #[test]
        fn a_default_rating_is_due_exactly_from_the_deadline_on(
            finished in -1_000_000_000_000i64..4_000_000_000_000, days in 0u32..400, offset in -10_000_000i64..10_000_000,
        ) {
            let p = DefaultPolicy { after_days: days, ..DefaultPolicy::default() };
            let deadline = finished + i64::from(days) * DAY_MS;
            prop_assert_eq!(default_due(finished, deadline + offset, &p), offset >= 0);
        }

        #[test]
        fn reminders_never_exceed_the_policy(sent in 0u32..10, max in 0u32..5, hours in 0u32..100, waited in 0i64..500 * HOUR_MS) {
            let p = ReminderPolicy { every_hours: hours, max_reminders: max };
            let due = reminder_due(sent, 0, waited, &p);
            if due {
                prop_assert!(sent >= 1 && sent <= max);
                prop_assert!(waited >= i64::from(hours) * HOUR_MS);
            }
        }

        #[test]
        fn a_masked_mobile_number_hides_its_middle_four_digits(
            second in b'3'..=b'9', rest in prop::collection::vec(b'0'..=b'9', 9),
        ) {
            let mut bytes = vec![b'1', second];
            bytes.extend(rest);
            let phone = String::from_utf8(bytes).unwrap();
            prop_assert!(valid_mobile(&phone));
            let masked = mask_phone(&phone);
            prop_assert_ne!(&masked, &phone);
            prop_assert_eq!(masked.chars().count(), 11);
            prop_assert_eq!(&masked[..3], &phone[..3]);
            prop_assert_eq!(&masked[3..7], "****");
            prop_assert_eq!(&masked[7..], &phone[7..]);
        }

        #[test]
        fn masking_keeps_the_character_count_of_any_string(s in "\\PC{0,30}") {
            let n = s.chars().count();
            for masked in [mask_phone(&s), mask_id_no(&s)] {
                prop_assert_eq!(masked.chars().count(), n);
                if n < 8 {
                    prop_assert!(masked.chars().all(|c| c == '*'));
                } else {
                    let tail: String = s.chars().skip(n - 4).collect();
                    prop_assert!(masked.ends_with(&tail));
                    prop_assert!(masked.chars().filter(|&c| c == '*').count() >= n - 7);
                }
            }
        }

        #[test]
        fn only_the_computed_check_character_makes_an_id_number_valid(
            digits in prop::array::uniform17(b'0'..=b'9'),
        ) {
            let body = String::from_utf8(digits.to_vec()).unwrap();
            let check = check_char(&digits);
            let valid = format!("{body}{check}");
            let lower = format!("{body}{}", check.to_ascii_lowercase());
            prop_assert!(valid_id_no(&valid), "{}", valid);
            prop_assert!(valid_id_no(&lower), "{}", lower);
            for other in "0123456789X".chars().filter(|&c| c != check) {
                let wrong = format!("{body}{other}");
                prop_assert!(!valid_id_no(&wrong), "{}", wrong);
            }
        }
    }
}
