//! The 通报 figures, each defined once: additive [`Counts`] (what a rollup
//! row holds), the [`Figures`] computed from them, and [`Metric`], the list
//! with numerator, denominator and exclusions that `docs/metrics.md`
//! describes. No official formula exists (DOMAIN.md); these follow the
//! seeds' tables (000 附件1/2, 002 附件3, 003 附件1-5).
//!
//! Exclusions: a rating found invalid or malicious (an `excluded` ticket)
//! and a rating flagged as possible fraud and not yet reviewed are not
//! *valid* (有效) and count in no rate; they stay in 评价数 and 差评数, the
//! raw totals, so nothing disappears from the record.
//!
//! A bad rating is 有效差评 only once verification confirmed it (seed 002:
//! 67 差评, 10 确认有效); until then it is 待核实. It counts towards
//! rectification from the start all the same: it falls due by the deadline
//! it would have had had every step been taken on time (see
//! `rectify::assessed_deadline`), so a unit cannot keep a bad rating out
//! of 差评按期整改率 by never verifying it.

use serde::{Deserialize, Serialize};

use super::case::RatingKind;
use super::channel::Channel;
use super::level::{Grade, Level};

/// Channels a citizen uses on site, in the hall (现场评价).
pub fn on_site(channel: Channel) -> bool {
    matches!(
        channel,
        Channel::Kiosk | Channel::WindowPad | Channel::QrStatic | Channel::QrCase
    )
}

/// One rating, as the figures see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatingFact {
    pub level: Level,
    pub kind: RatingKind,
    pub channel: Channel,
    /// Found invalid or malicious (its ticket is `excluded`).
    pub excluded: bool,
    /// Flagged as possible fraud and not yet reviewed.
    pub flagged: bool,
    /// For a bad rating: its ticket's state.
    pub ticket: Option<TicketFact>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketFact {
    /// Verification confirmed it a valid bad rating (有效差评).
    pub verified: bool,
    /// Archived (rectified, or explained when it cannot be).
    pub archived: bool,
    /// Archived before its assessed deadline.
    pub on_time: bool,
    /// Its assessed deadline has passed, or it was archived.
    pub due: bool,
    /// The citizen's re-rating (GB/T 39046 code).
    pub feedback: Option<u8>,
    /// The evaluator left a phone number: 沟通 and 回访 are possible.
    pub contactable: bool,
    /// The contact deadline has passed, or the evaluator was contacted.
    pub contact_due: bool,
    /// Contacted (called, reached or not) before the contact deadline.
    pub contacted_on_time: bool,
    /// 实名: the evaluator is identified (phone or ID number on the rating,
    /// or the case's applicant); 匿名 otherwise (a static QR code).
    pub real_name: bool,
}

impl RatingFact {
    pub fn valid(&self) -> bool {
        !self.excluded && !self.flagged
    }
    /// 主动评价: given by the citizen, not 系统默认.
    pub fn active(&self) -> bool {
        self.kind != RatingKind::SystemDefault
    }
}

/// Additive counts: a rollup row holds these, and adding rows gives the
/// counts of their union (the property tests check it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    /// 办件数.
    pub cases: u64,
    /// Cases with at least one rating (系统默认 included).
    pub rated_cases: u64,
    /// 评价数: every rating received.
    pub ratings: u64,
    /// 有效评价数.
    pub valid: u64,
    /// 主动评价数 (valid).
    pub active: u64,
    /// 现场主动评价数 (valid).
    pub on_site_active: u64,
    /// 现场主动评价 graded 好 (非常满意, 满意).
    pub on_site_good: u64,
    /// Valid ratings graded 好 (非常满意, 满意).
    pub good: u64,
    /// 差评数: every bad rating.
    pub bad: u64,
    /// Bad ratings that count: not found invalid or malicious, not flagged
    /// (有效差评 and 待核实 together; the rollups' `valid_bad` column).
    pub countable_bad: u64,
    /// 有效差评数: countable bad ratings verification confirmed.
    pub valid_bad: u64,
    /// Countable bad ratings whose rectification was archived.
    pub rectified: u64,
    /// 按时整改数.
    pub rectified_on_time: u64,
    /// Countable bad ratings due (assessed deadline passed, or archived).
    pub rectify_due: u64,
    /// Re-ratings of rectifications, and those at 基本满意 or better.
    pub feedback: u64,
    pub feedback_satisfied: u64,
    /// Countable bad ratings of contactable evaluators whose contact
    /// deadline has passed or who were contacted; those contacted in time.
    pub contact_due: u64,
    pub contacted_on_time: u64,
    /// Countable bad ratings of contactable evaluators due (as
    /// `rectify_due`); those whose result was fed back by the deadline.
    pub feedback_due: u64,
    pub fed_back_on_time: u64,
    /// 实名差评: countable bad ratings of identified evaluators; of those,
    /// due and rectified on time.
    pub real_name_bad: u64,
    pub real_name_due: u64,
    pub real_name_on_time: u64,
}

impl Counts {
    /// The counts one rating contributes.
    pub fn of_rating(r: &RatingFact) -> Counts {
        let valid = r.valid();
        let bad = r.level.grade() == Grade::Bad;
        let t = r.ticket.filter(|_| valid && bad);
        let feedback = t.and_then(|t| t.feedback);
        Counts {
            ratings: 1,
            valid: u64::from(valid),
            active: u64::from(valid && r.active()),
            on_site_active: u64::from(valid && r.active() && on_site(r.channel)),
            on_site_good: u64::from(
                valid && r.active() && on_site(r.channel) && r.level.grade() == Grade::Good,
            ),
            good: u64::from(valid && r.level.grade() == Grade::Good),
            bad: u64::from(bad),
            countable_bad: u64::from(valid && bad),
            valid_bad: u64::from(t.is_some_and(|t| t.verified)),
            rectified: u64::from(t.is_some_and(|t| t.archived)),
            rectified_on_time: u64::from(t.is_some_and(|t| t.archived && t.on_time)),
            rectify_due: u64::from(t.is_some_and(|t| t.due || t.archived)),
            feedback: u64::from(feedback.is_some()),
            feedback_satisfied: u64::from(feedback.is_some_and(|c| c <= 3)),
            contact_due: u64::from(t.is_some_and(|t| t.contactable && t.contact_due)),
            contacted_on_time: u64::from(
                t.is_some_and(|t| t.contactable && t.contact_due && t.contacted_on_time),
            ),
            feedback_due: u64::from(t.is_some_and(|t| t.contactable && (t.due || t.archived))),
            fed_back_on_time: u64::from(
                t.is_some_and(|t| t.contactable && t.archived && t.on_time),
            ),
            real_name_bad: u64::from(t.is_some_and(|t| t.real_name)),
            real_name_due: u64::from(t.is_some_and(|t| t.real_name && (t.due || t.archived))),
            real_name_on_time: u64::from(t.is_some_and(|t| t.real_name && t.archived && t.on_time)),
            ..Counts::default()
        }
    }

    /// The counts one case contributes (`rated`: it has any rating).
    pub fn of_case(rated: bool) -> Counts {
        Counts {
            cases: 1,
            rated_cases: u64::from(rated),
            ..Counts::default()
        }
    }

    pub fn add(&mut self, o: &Counts) {
        self.cases += o.cases;
        self.rated_cases += o.rated_cases;
        self.ratings += o.ratings;
        self.valid += o.valid;
        self.active += o.active;
        self.on_site_active += o.on_site_active;
        self.on_site_good += o.on_site_good;
        self.good += o.good;
        self.bad += o.bad;
        self.countable_bad += o.countable_bad;
        self.valid_bad += o.valid_bad;
        self.rectified += o.rectified;
        self.rectified_on_time += o.rectified_on_time;
        self.rectify_due += o.rectify_due;
        self.feedback += o.feedback;
        self.feedback_satisfied += o.feedback_satisfied;
        self.contact_due += o.contact_due;
        self.contacted_on_time += o.contacted_on_time;
        self.feedback_due += o.feedback_due;
        self.fed_back_on_time += o.fed_back_on_time;
        self.real_name_bad += o.real_name_bad;
        self.real_name_due += o.real_name_due;
        self.real_name_on_time += o.real_name_on_time;
    }

    /// Only what comes from tickets (rectification and re-rating): what a
    /// report adds to the rating rollups, which hold the rest.
    pub fn ticket_part(&self) -> Counts {
        Counts {
            valid_bad: self.valid_bad,
            rectified: self.rectified,
            rectified_on_time: self.rectified_on_time,
            rectify_due: self.rectify_due,
            feedback: self.feedback,
            feedback_satisfied: self.feedback_satisfied,
            contact_due: self.contact_due,
            contacted_on_time: self.contacted_on_time,
            feedback_due: self.feedback_due,
            fed_back_on_time: self.fed_back_on_time,
            real_name_bad: self.real_name_bad,
            real_name_due: self.real_name_due,
            real_name_on_time: self.real_name_on_time,
            ..Counts::default()
        }
    }

    /// Everything but the ticket part.
    pub fn rating_part(&self) -> Counts {
        Counts {
            valid_bad: 0,
            rectified: 0,
            rectified_on_time: 0,
            rectify_due: 0,
            feedback: 0,
            feedback_satisfied: 0,
            contact_due: 0,
            contacted_on_time: 0,
            feedback_due: 0,
            fed_back_on_time: 0,
            real_name_bad: 0,
            real_name_due: 0,
            real_name_on_time: 0,
            ..*self
        }
    }

    /// 待核实: countable bad ratings not yet confirmed by verification.
    pub fn pending_bad(&self) -> u64 {
        self.countable_bad.saturating_sub(self.valid_bad)
    }

    pub fn sum<'a>(rows: impl IntoIterator<Item = &'a Counts>) -> Counts {
        let mut total = Counts::default();
        for r in rows {
            total.add(r);
        }
        total
    }
}

/// A rate in percent, `None` when its denominator is 0 (shown as —, never
/// as 0% or 100%).
pub fn percent(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 * 100.0 / denominator as f64)
}

/// Coverage needs distinct units, not sums: how many service items (or
/// departments) had cases, and how many of those were rated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coverage {
    pub items_with_cases: u64,
    pub items_rated: u64,
    pub departments_with_cases: u64,
    pub departments_rated: u64,
}

impl Coverage {
    /// A service item's counts over the period: it has cases, and it is
    /// rated when a citizen rated one of them (系统默认 ratings do not
    /// cover anything: every finished case gets one by itself).
    pub fn add_item(&mut self, c: &Counts) {
        if c.cases > 0 {
            self.items_with_cases += 1;
            self.items_rated += u64::from(c.active > 0);
        }
    }
    /// A department's counts over the period, as [`Coverage::add_item`].
    pub fn add_department(&mut self, c: &Counts) {
        if c.cases > 0 {
            self.departments_with_cases += 1;
            self.departments_rated += u64::from(c.active > 0);
        }
    }
}

/// Every figure of the 通报 tables.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figures {
    pub counts: Counts,
    /// 评价率 = rated cases ÷ cases.
    pub rating_rate: Option<f64>,
    /// 主动评价率 = active valid ratings ÷ cases (may exceed 100%: seed 000).
    pub active_rate: Option<f64>,
    /// 现场主动评价率 = on-site active valid ratings ÷ all ratings (002 附件3 P÷M).
    pub on_site_active_rate: Option<f64>,
    /// 好评率 = valid good ratings ÷ valid ratings.
    pub good_rate: Option<f64>,
    /// 差评整改率 = rectified countable bad ratings ÷ countable bad ratings.
    pub rectify_rate: Option<f64>,
    /// 差评按期整改率 = countable bad ratings rectified on time ÷ those due.
    pub on_time_rate: Option<f64>,
    /// 整改满意率 = re-ratings at 基本满意 or better ÷ re-ratings.
    pub satisfaction_rate: Option<f64>,
    /// 评价覆盖事项率 = items rated ÷ items with cases.
    pub item_coverage: Option<f64>,
    /// 评价覆盖部门率 = departments rated ÷ departments with cases.
    pub department_coverage: Option<f64>,
    /// Share of the whole table's ratings (003 附件5 总量占比).
    pub share: Option<f64>,
    /// 现场好评率 = on-site active good ratings ÷ 现场主动评价数 (002 一(一)).
    pub on_site_good_rate: Option<f64>,
    /// 差评率 = countable bad ratings ÷ valid ratings (004 §23).
    pub bad_rate: Option<f64>,
    /// 沟通按时率 = contacted in time ÷ contacts due (004 §20(一)).
    pub contact_on_time_rate: Option<f64>,
    /// 按时回访率 = results fed back by the deadline ÷ those due (001 §9, 002 一(三)).
    pub feedback_on_time_rate: Option<f64>,
    /// 实名差评按期整改率 (001: 实名差评 100% 按期整改).
    pub real_name_on_time_rate: Option<f64>,
}

impl Figures {
    pub fn of(c: &Counts, coverage: &Coverage, total_ratings: u64) -> Figures {
        Figures {
            counts: *c,
            rating_rate: percent(c.rated_cases, c.cases),
            active_rate: percent(c.active, c.cases),
            on_site_active_rate: percent(c.on_site_active, c.ratings),
            good_rate: percent(c.good, c.valid),
            rectify_rate: percent(c.rectified, c.countable_bad),
            on_time_rate: percent(c.rectified_on_time, c.rectify_due),
            satisfaction_rate: percent(c.feedback_satisfied, c.feedback),
            item_coverage: percent(coverage.items_rated, coverage.items_with_cases),
            department_coverage: percent(
                coverage.departments_rated,
                coverage.departments_with_cases,
            ),
            share: percent(c.ratings, total_ratings),
            on_site_good_rate: percent(c.on_site_good, c.on_site_active),
            bad_rate: percent(c.countable_bad, c.valid),
            contact_on_time_rate: percent(c.contacted_on_time, c.contact_due),
            feedback_on_time_rate: percent(c.fed_back_on_time, c.feedback_due),
            real_name_on_time_rate: percent(c.real_name_on_time, c.real_name_due),
        }
    }
}

/// One documented metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    pub code: &'static str,
    pub name_zh: &'static str,
    pub numerator: &'static str,
    pub denominator: Option<&'static str>,
    pub excludes: &'static str,
}

const EXCLUDED: &str = "无效评价、恶意差评、待复核的疑似刷评";

/// The metrics, in the order the seeds' tables print them.
pub const METRICS: &[Metric] = &[
    Metric {
        code: "cases",
        name_zh: "办件数",
        numerator: "期间办结的办件",
        denominator: None,
        excludes: "—",
    },
    Metric {
        code: "ratings",
        name_zh: "评价数",
        numerator: "收到的全部评价（含系统默认、追加评价）",
        denominator: None,
        excludes: "—（原始总数）",
    },
    Metric {
        code: "valid",
        name_zh: "有效评价数",
        numerator: "评价数中的有效评价",
        denominator: None,
        excludes: EXCLUDED,
    },
    Metric {
        code: "rating_rate",
        name_zh: "评价率",
        numerator: "有评价（含系统默认）的办件数",
        denominator: Some("办件数"),
        excludes: "—",
    },
    Metric {
        code: "active",
        name_zh: "主动评价数",
        numerator: "有效评价中非系统默认的评价",
        denominator: None,
        excludes: EXCLUDED,
    },
    Metric {
        code: "active_rate",
        name_zh: "主动评价率",
        numerator: "主动评价数",
        denominator: Some("办件数（一件可有多条主动评价，故可超过 100%）"),
        excludes: EXCLUDED,
    },
    Metric {
        code: "on_site_active",
        name_zh: "现场主动评价数",
        numerator: "评价器、窗口平板、现场二维码上的主动评价",
        denominator: None,
        excludes: EXCLUDED,
    },
    Metric {
        code: "on_site_active_rate",
        name_zh: "现场主动评价率",
        numerator: "现场主动评价数（P）",
        denominator: Some("评价数（M，含系统默认）"),
        excludes: EXCLUDED,
    },
    Metric {
        code: "good_rate",
        name_zh: "好评率",
        numerator: "有效评价中“非常满意”“满意”",
        denominator: Some("有效评价数"),
        excludes: EXCLUDED,
    },
    Metric {
        code: "bad",
        name_zh: "差评数",
        numerator: "“不满意”“非常不满意”的全部评价",
        denominator: None,
        excludes: "—（原始总数）",
    },
    Metric {
        code: "valid_bad",
        name_zh: "有效差评数",
        numerator: "经核实确认的有效差评",
        denominator: None,
        excludes: EXCLUDED,
    },
    Metric {
        code: "pending_bad",
        name_zh: "待核实差评数",
        numerator: "尚未核实确认的差评",
        denominator: None,
        excludes: EXCLUDED,
    },
    Metric {
        code: "rectify_rate",
        name_zh: "差评整改率",
        numerator: "已整改存档的差评",
        denominator: Some("差评数（有效差评与待核实差评）"),
        excludes: EXCLUDED,
    },
    Metric {
        code: "rectified_on_time",
        name_zh: "按时整改数",
        numerator: "在考核整改期限前存档的差评",
        denominator: None,
        excludes: EXCLUDED,
    },
    Metric {
        code: "on_time_rate",
        name_zh: "差评按期整改率",
        numerator: "按时整改数",
        denominator: Some("已到考核整改期限或已存档的差评（考核期限：沟通、核实、整改每一步都按时办理时的整改期限，未核实的差评同样到期）"),
        excludes: EXCLUDED,
    },
    Metric {
        code: "satisfaction_rate",
        name_zh: "整改满意率",
        numerator: "回访评价为“基本满意”及以上",
        denominator: Some("回访评价数"),
        excludes: EXCLUDED,
    },
    Metric {
        code: "item_coverage",
        name_zh: "评价覆盖事项率",
        numerator: "有评价的事项数",
        denominator: Some("有办件的事项数"),
        excludes: "—",
    },
    Metric {
        code: "department_coverage",
        name_zh: "评价覆盖部门率",
        numerator: "有评价的部门数",
        denominator: Some("有办件的部门数"),
        excludes: "—",
    },
    Metric {
        code: "share",
        name_zh: "占比",
        numerator: "本单位评价数",
        denominator: Some("报表范围内的评价总数"),
        excludes: "—（原始总数）",
    },
    Metric {
        code: "on_site_good_rate",
        name_zh: "现场好评率",
        numerator: "现场主动评价中“非常满意”“满意”",
        denominator: Some("现场主动评价数"),
        excludes: EXCLUDED,
    },
    Metric {
        code: "bad_rate",
        name_zh: "差评率",
        numerator: "差评（有效差评与待核实差评）",
        denominator: Some("有效评价数"),
        excludes: EXCLUDED,
    },
    Metric {
        code: "contact_on_time_rate",
        name_zh: "沟通按时率",
        numerator: "在沟通期限（2 个工作日）前联系评价人的差评",
        denominator: Some("留有联系电话、已到沟通期限或已联系的差评"),
        excludes: EXCLUDED,
    },
    Metric {
        code: "feedback_on_time_rate",
        name_zh: "按时回访率",
        numerator: "在考核整改期限前存档并向评价人反馈（回访短信）的差评",
        denominator: Some("留有联系电话、已到考核整改期限或已存档的差评"),
        excludes: EXCLUDED,
    },
    Metric {
        code: "real_name_bad",
        name_zh: "实名差评数",
        numerator: "评价人身份可识别（评价或办件带有手机号、证件号）的差评",
        denominator: None,
        excludes: EXCLUDED,
    },
    Metric {
        code: "real_name_on_time_rate",
        name_zh: "实名差评按期整改率",
        numerator: "按时整改的实名差评",
        denominator: Some("已到考核整改期限或已存档的实名差评"),
        excludes: EXCLUDED,
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fact(level: Level) -> RatingFact {
        RatingFact {
            level,
            kind: RatingKind::First,
            channel: Channel::Kiosk,
            excluded: false,
            flagged: false,
            ticket: None,
        }
    }

    #[test]
    fn rates_follow_the_documented_formulas() {
        let mut c = Counts::default();
        for _ in 0..4 {
            c.add(&Counts::of_case(true));
        }
        c.add(&Counts::of_case(false));
        for r in [
            fact(Level::VerySatisfied),
            fact(Level::Satisfied),
            RatingFact {
                kind: RatingKind::SystemDefault,
                ..fact(Level::Satisfied)
            },
            RatingFact {
                channel: Channel::Sms,
                ..fact(Level::Basic)
            },
            RatingFact {
                ticket: Some(TicketFact {
                    verified: true,
                    archived: true,
                    on_time: true,
                    due: false,
                    feedback: Some(2),
                    contactable: true,
                    contact_due: true,
                    contacted_on_time: false,
                    real_name: true,
                }),
                ..fact(Level::Dissatisfied)
            },
            RatingFact {
                excluded: true,
                ..fact(Level::VeryDissatisfied)
            },
            RatingFact {
                flagged: true,
                ..fact(Level::VerySatisfied)
            },
        ] {
            c.add(&Counts::of_rating(&r));
        }
        let f = Figures::of(
            &c,
            &Coverage {
                items_with_cases: 4,
                items_rated: 3,
                departments_with_cases: 2,
                departments_rated: 2,
            },
            10,
        );
        assert_eq!(
            (c.ratings, c.valid, c.active, c.bad, c.valid_bad),
            (7, 5, 4, 2, 1)
        );
        assert_eq!(f.rating_rate, Some(80.0));
        assert_eq!(f.active_rate, Some(80.0));
        assert_eq!(
            f.on_site_active_rate,
            Some(300.0 / 7.0),
            "kiosk ×3 of 7 ratings; SMS is not on site, default is not active"
        );
        assert_eq!(f.good_rate, Some(60.0));
        assert_eq!(
            (f.rectify_rate, f.on_time_rate, f.satisfaction_rate),
            (Some(100.0), Some(100.0), Some(100.0))
        );
        assert_eq!(
            (f.item_coverage, f.department_coverage, f.share),
            (Some(75.0), Some(100.0), Some(70.0))
        );
        // On site: 非常满意, 满意 and the 不满意 on the kiosk, all active.
        assert_eq!(f.on_site_good_rate, Some(200.0 / 3.0));
        assert_eq!(f.bad_rate, Some(20.0), "1 countable bad of 5 valid");
        assert_eq!(f.contact_on_time_rate, Some(0.0), "contacted late");
        assert_eq!(f.feedback_on_time_rate, Some(100.0));
        assert_eq!(
            (c.real_name_bad, f.real_name_on_time_rate),
            (1, Some(100.0))
        );
    }

    #[test]
    fn an_active_rate_above_100_percent_is_possible_as_in_seed_000() {
        let mut c = Counts::of_case(true);
        c.add(&Counts::of_rating(&fact(Level::Satisfied)));
        c.add(&Counts::of_rating(&RatingFact {
            kind: RatingKind::FollowUp,
            ..fact(Level::Satisfied)
        }));
        assert_eq!(
            Figures::of(&c, &Coverage::default(), 0).active_rate,
            Some(200.0)
        );
    }

    #[test]
    fn a_rate_over_nothing_is_none_not_zero() {
        let f = Figures::of(&Counts::default(), &Coverage::default(), 0);
        assert_eq!(
            (f.rating_rate, f.good_rate, f.on_time_rate, f.share),
            (None, None, None, None)
        );
    }

    #[test]
    fn every_metric_is_documented_once() {
        let mut codes: Vec<_> = METRICS.iter().map(|m| m.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), METRICS.len());
        let doc = include_str!("../../docs/metrics.md");
        for m in METRICS {
            assert!(
                doc.contains(m.name_zh) && doc.contains(&format!("`{}`", m.code)),
                "{} missing from docs/metrics.md",
                m.code
            );
        }
    }

    fn any_fact() -> impl Strategy<Value = RatingFact> {
        (
            prop::sample::select(Level::ALL.to_vec()),
            prop::sample::select(vec![
                RatingKind::First,
                RatingKind::FollowUp,
                RatingKind::SystemDefault,
            ]),
            prop::sample::select(vec![
                Channel::Kiosk,
                Channel::WindowPad,
                Channel::QrStatic,
                Channel::Sms,
                Channel::PcWeb,
                Channel::Paper,
            ]),
            any::<bool>(),
            any::<bool>(),
            prop::option::of((
                (
                    any::<bool>(),
                    any::<bool>(),
                    any::<bool>(),
                    any::<bool>(),
                    prop::option::of(1u8..=5),
                ),
                (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
            )),
        )
            .prop_map(|(level, kind, channel, excluded, flagged, t)| RatingFact {
                level,
                kind,
                channel,
                excluded,
                flagged,
                ticket: t.map(
                    |(
                        (verified, archived, on_time, due, feedback),
                        (contactable, contact_due, contacted_on_time, real_name),
                    )| TicketFact {
                        verified,
                        archived,
                        on_time,
                        due,
                        feedback,
                        contactable,
                        contact_due,
                        contacted_on_time,
                        real_name,
                    },
                ),
            })
    }

    proptest! {
        /// A rollup is a sum of per-rating counts: summing any partition
        /// (days, units) gives the counts of the whole.
        #[test]
        fn counts_of_parts_add_up_to_the_counts_of_the_whole(
            facts in prop::collection::vec(any_fact(), 0..200),
            cuts in prop::collection::vec(0usize..200, 0..6),
        ) {
            let whole = Counts::sum(facts.iter().map(Counts::of_rating).collect::<Vec<_>>().iter());
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(facts.len())).collect();
            cuts.push(0);
            cuts.push(facts.len());
            cuts.sort_unstable();
            let parts: Vec<Counts> = cuts.windows(2).map(|w| {
                Counts::sum(facts[w[0]..w[1]].iter().map(Counts::of_rating).collect::<Vec<_>>().iter())
            }).collect();
            prop_assert_eq!(Counts::sum(parts.iter()), whole);
            // And every count agrees with its definition read off the raw facts.
            prop_assert_eq!(whole.valid as usize, facts.iter().filter(|f| f.valid()).count());
            prop_assert_eq!(whole.active as usize, facts.iter().filter(|f| f.valid() && f.active()).count());
            prop_assert_eq!(whole.countable_bad as usize, facts.iter().filter(|f| f.valid() && f.level.is_bad()).count());
            prop_assert_eq!(whole.valid_bad as usize, facts.iter().filter(|f| f.valid() && f.level.is_bad() && f.ticket.is_some_and(|t| t.verified)).count());
            prop_assert_eq!(whole.pending_bad() + whole.valid_bad, whole.countable_bad);
            let mut split = whole.rating_part();
            split.add(&whole.ticket_part());
            prop_assert_eq!(split, whole, "the rating and ticket parts make the whole");
            prop_assert!(whole.on_site_active <= whole.active && whole.active <= whole.valid && whole.valid <= whole.ratings);
            prop_assert!(whole.rectified_on_time <= whole.rectified && whole.rectified <= whole.countable_bad);
            prop_assert!(whole.feedback_satisfied <= whole.feedback);
            prop_assert!(whole.on_site_good <= whole.on_site_active);
            prop_assert!(whole.contacted_on_time <= whole.contact_due && whole.contact_due <= whole.countable_bad);
            prop_assert!(whole.fed_back_on_time <= whole.feedback_due && whole.feedback_due <= whole.rectify_due);
            prop_assert!(whole.fed_back_on_time <= whole.rectified_on_time);
            prop_assert!(whole.real_name_on_time <= whole.real_name_due && whole.real_name_due <= whole.real_name_bad);
            prop_assert!(whole.real_name_bad <= whole.countable_bad && whole.real_name_on_time <= whole.rectified_on_time);
            prop_assert_eq!(whole.on_site_good as usize, facts.iter().filter(|f| f.valid() && f.active() && on_site(f.channel) && f.level.grade() == Grade::Good).count());
        }
    }
}
