//! The 12345 hotline hand-off (002 一(三)): where a region routes its bad
//! ratings through 12345, each one leaves as a work order (工单); the
//! hotline verifies it, hands it to the unit, and later invites the citizen
//! to re-rate, and each of those comes back as an event that is one step of
//! the same state machine ([`crate::rectify`], actor [`Role::Hotline`]), so
//! deadlines, the audit log and the figures stay one. Pure: the server
//! sends work orders through the outbox and applies the events.
//!
//! [`Role::Hotline`]: crate::Role::Hotline

use serde::{Deserialize, Serialize};

use crate::level::Level;
use crate::rectify::{Action, Verdict, NOTE_MAX_CHARS};
use crate::upstream::{compact_china_time, parse_compact_china_time, Profile};
use crate::Channel;

/// A work order's number: the city's division code and our ticket id, so
/// numbers from the cities sharing one hotline never collide. The same
/// number is the ticket's 整改工单编号 on the provincial platform.
pub fn work_order_number(prefix: &str, ticket_id: i64) -> String {
    format!("{prefix}-{ticket_id}")
}

/// Our ticket id in a work order number of this city (`prefix`), or `None`.
pub fn ticket_of_work_order(prefix: &str, number: &str) -> Option<i64> {
    let id = number.strip_prefix(prefix)?.strip_prefix('-')?;
    if id.is_empty() || id.len() > 18 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok().filter(|n| *n > 0)
}

/// A bad rating as the server knows it, ready to be handed to 12345.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkOrderFacts {
    pub ticket_id: i64,
    pub rating_id: String,
    pub case_no: Option<String>,
    pub channel: Channel,
    pub level: Level,
    pub rated_at: i64,
    /// The reasons the citizen picked, in words.
    pub reasons: Vec<String>,
    pub comment: String,
    /// The whole number: the hotline calls the citizen (it is a
    /// government service bound by the same confidentiality).
    pub evaluator_phone: Option<String>,
    pub place: String,
    pub window: Option<String>,
    pub department: Option<String>,
    pub service_item: Option<String>,
    pub contact_due: i64,
    pub division: String,
}

/// The work order as 12345 receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkOrder {
    #[serde(rename = "工单编号")]
    pub number: String,
    #[serde(rename = "评价编号")]
    pub rating_id: String,
    #[serde(rename = "办件编号")]
    pub case_no: String,
    #[serde(rename = "评价渠道")]
    pub channel: String,
    #[serde(rename = "评价时间")]
    pub rated_at: String,
    #[serde(rename = "满意度")]
    pub satisfaction: String,
    #[serde(rename = "满意度代码")]
    pub satisfaction_code: u8,
    #[serde(rename = "差评原因")]
    pub reasons: Vec<String>,
    #[serde(rename = "文字评价")]
    pub comment: String,
    /// Absent when the citizen left no number: the hotline then verifies
    /// from the record alone.
    #[serde(
        rename = "评价人电话",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub phone: Option<String>,
    #[serde(rename = "服务场所")]
    pub place: String,
    #[serde(rename = "窗口")]
    pub window: String,
    #[serde(rename = "责任单位")]
    pub department: String,
    #[serde(rename = "办理事项")]
    pub service_item: String,
    /// The 2-working-day contact deadline, `YYYYMMDDThhmmss`.
    #[serde(rename = "沟通期限")]
    pub contact_due: String,
    #[serde(rename = "行政区划代码")]
    pub division: String,
}

/// The work order of a bad rating (satisfaction code per the profile).
pub fn work_order(f: &WorkOrderFacts, profile: &Profile, prefix: &str) -> WorkOrder {
    WorkOrder {
        number: work_order_number(prefix, f.ticket_id),
        rating_id: f.rating_id.clone(),
        case_no: f.case_no.clone().unwrap_or_default(),
        channel: f.channel.label_zh().to_string(),
        rated_at: compact_china_time(f.rated_at),
        satisfaction: f.level.label_zh().to_string(),
        satisfaction_code: profile.satisfaction.encode(f.level),
        reasons: f.reasons.clone(),
        comment: f.comment.clone(),
        phone: f.evaluator_phone.clone(),
        place: f.place.clone(),
        window: f.window.clone().unwrap_or_default(),
        department: f.department.clone().unwrap_or_default(),
        service_item: f.service_item.clone().unwrap_or_default(),
        contact_due: compact_china_time(f.contact_due),
        division: f.division.clone(),
    }
}

/// One event of the hotline's callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HotlineEvent {
    /// The hotline's own id of this event: an event sent twice is applied
    /// once.
    pub id: String,
    /// Our work order number ([`work_order_number`]).
    pub work_order: String,
    /// `received`, `contacted`, `verified`, `assigned`, `rerated` or
    /// `unreachable`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `contacted`: whether the citizen was reached.
    #[serde(default)]
    pub reached: Option<bool>,
    /// `verified`: `valid`, `invalid` or `malicious`.
    #[serde(default)]
    pub verdict: Option<String>,
    /// `assigned`: the unit the hotline handed the work order to.
    #[serde(default)]
    pub unit: Option<String>,
    /// `rerated`: the citizen's new rating, in the profile's code.
    #[serde(default)]
    pub satisfaction_code: Option<u8>,
    #[serde(default)]
    pub note: String,
    /// When the hotline recorded it (`YYYYMMDDThhmmss`, China time): kept
    /// in the audit note; deadlines count from when it reached us.
    #[serde(default)]
    pub at: Option<String>,
}

/// What an event does to the ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HotlineStep {
    /// A step of the state machine, by the hotline.
    Act(Action),
    /// A line in the audit log only (`hotline_received`, `hotline_assigned`).
    Record(&'static str),
}

/// Why an event is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    Id,
    Kind,
    Missing(&'static str),
    Verdict,
    Satisfaction(u8),
    At,
    NoteTooLong,
    UnitTooLong,
}

impl EventError {
    pub fn code(&self) -> &'static str {
        match self {
            EventError::Id => "event_id_invalid",
            EventError::Kind => "event_type_unknown",
            EventError::Missing(_) => "event_field_missing",
            EventError::Verdict => "verdict_invalid",
            EventError::Satisfaction(_) => "satisfaction_code_invalid",
            EventError::At => "at_invalid",
            EventError::NoteTooLong => "note_too_long",
            EventError::UnitTooLong => "unit_too_long",
        }
    }
    pub fn message_zh(&self) -> String {
        match self {
            EventError::Id => "事件 id 须为 1 至 64 位字母、数字、“-”或“_”".into(),
            EventError::Kind => {
                "事件类型应为 received、contacted、verified、assigned、rerated 或 unreachable"
                    .into()
            }
            EventError::Missing(f) => format!("此类事件须填写 {f}"),
            EventError::Verdict => "核实结论应为 valid、invalid 或 malicious".into(),
            EventError::Satisfaction(c) => format!("满意度代码 {c} 无效（应为 1 至 5）"),
            EventError::At => "时间格式应为 YYYYMMDDThhmmss".into(),
            EventError::NoteTooLong => format!("说明不能超过 {NOTE_MAX_CHARS} 字"),
            EventError::UnitTooLong => "责任单位名称不能超过 100 字".into(),
        }
    }
    pub fn message_en(&self) -> String {
        match self {
            EventError::Id => "The event id must be 1-64 letters, digits, '-' or '_'".into(),
            EventError::Kind => {
                "type must be received, contacted, verified, assigned, rerated or unreachable"
                    .into()
            }
            EventError::Missing(f) => format!("This type of event needs {f}"),
            EventError::Verdict => "verdict must be valid, invalid or malicious".into(),
            EventError::Satisfaction(c) => format!("Satisfaction code {c} is not 1 to 5"),
            EventError::At => "at must read YYYYMMDDThhmmss".into(),
            EventError::NoteTooLong => {
                format!("The note may have at most {NOTE_MAX_CHARS} characters")
            }
            EventError::UnitTooLong => "The unit's name may have at most 100 characters".into(),
        }
    }
}

/// Is `s` an id the hotline may use (for events and as a key)?
pub fn valid_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl HotlineEvent {
    /// What the event does, or why it is refused. The state machine then
    /// decides whether the ticket allows it now.
    pub fn step(&self, profile: &Profile) -> Result<HotlineStep, EventError> {
        if !valid_id(&self.id) {
            return Err(EventError::Id);
        }
        if self.note.chars().count() > NOTE_MAX_CHARS {
            return Err(EventError::NoteTooLong);
        }
        if let Some(at) = &self.at {
            parse_compact_china_time(at).ok_or(EventError::At)?;
        }
        Ok(match self.kind.as_str() {
            "received" => HotlineStep::Record("hotline_received"),
            "contacted" => HotlineStep::Act(Action::Contact {
                reached: self.reached.ok_or(EventError::Missing("reached"))?,
            }),
            "verified" => HotlineStep::Act(Action::Verify {
                verdict: Verdict::parse(
                    self.verdict
                        .as_deref()
                        .ok_or(EventError::Missing("verdict"))?,
                )
                .ok_or(EventError::Verdict)?,
            }),
            "assigned" => {
                let unit = self.unit.as_deref().map(str::trim).unwrap_or("");
                if unit.is_empty() {
                    return Err(EventError::Missing("unit"));
                }
                if unit.chars().count() > 100 {
                    return Err(EventError::UnitTooLong);
                }
                HotlineStep::Record("hotline_assigned")
            }
            "rerated" => {
                let code = self
                    .satisfaction_code
                    .ok_or(EventError::Missing("satisfaction_code"))?;
                HotlineStep::Act(Action::Feedback {
                    level: profile
                        .satisfaction
                        .decode(code)
                        .ok_or(EventError::Satisfaction(code))?,
                })
            }
            "unreachable" => HotlineStep::Act(Action::Close),
            _ => return Err(EventError::Kind),
        })
    }

    /// The audit line's note: what the hotline said, the unit it assigned,
    /// and when it says it happened.
    pub fn audit_note(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if self.kind == "assigned" {
            if let Some(u) = self.unit.as_deref().map(str::trim) {
                parts.push(format!("转交责任单位：{u}"));
            }
        }
        let note = self.note.trim();
        if !note.is_empty() {
            parts.push(note.to_string());
        }
        if let Some(at) = self.at.as_deref().and_then(parse_compact_china_time) {
            let t = compact_china_time(at);
            parts.push(format!(
                "（热线记录时间 {}-{}-{} {}:{}）",
                &t[0..4],
                &t[4..6],
                &t[6..8],
                &t[9..11],
                &t[11..13]
            ));
        }
        parts.join("。")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Date;

    fn event(kind: &str) -> HotlineEvent {
        HotlineEvent {
            id: "evt-1".into(),
            work_order: "410100-7".into(),
            kind: kind.into(),
            reached: None,
            verdict: None,
            unit: None,
            satisfaction_code: None,
            note: String::new(),
            at: None,
        }
    }

    #[test]
    fn a_work_order_number_reads_back_only_for_this_city() {
        let n = work_order_number("410100", 42);
        assert_eq!(n, "410100-42");
        assert_eq!(ticket_of_work_order("410100", &n), Some(42));
        for wrong in [
            "410101-42",
            "410100-",
            "410100-0",
            "410100-4x",
            "410100--4",
            "410100-99999999999999999999",
            "410100_42",
            "",
        ] {
            assert_eq!(ticket_of_work_order("410100", wrong), None, "{wrong}");
        }
    }

    #[test]
    fn each_event_type_is_one_step_or_one_audit_line() {
        let p = Profile::NATIONAL;
        let mut e = event("contacted");
        assert_eq!(e.step(&p), Err(EventError::Missing("reached")));
        e.reached = Some(false);
        assert_eq!(
            e.step(&p),
            Ok(HotlineStep::Act(Action::Contact { reached: false }))
        );
        let mut e = event("verified");
        e.verdict = Some("malicious".into());
        assert_eq!(
            e.step(&p),
            Ok(HotlineStep::Act(Action::Verify {
                verdict: Verdict::Malicious
            }))
        );
        e.verdict = Some("bad".into());
        assert_eq!(e.step(&p), Err(EventError::Verdict));
        let mut e = event("rerated");
        e.satisfaction_code = Some(1);
        assert_eq!(
            e.step(&p),
            Ok(HotlineStep::Act(Action::Feedback {
                level: Level::VerySatisfied
            }))
        );
        // A province with reversed codes: 1 is very dissatisfied.
        assert_eq!(
            e.step(&Profile::REVERSED_SEVEN),
            Ok(HotlineStep::Act(Action::Feedback {
                level: Level::VeryDissatisfied
            }))
        );
        e.satisfaction_code = Some(9);
        assert_eq!(e.step(&p), Err(EventError::Satisfaction(9)));
        let mut e = event("assigned");
        assert_eq!(e.step(&p), Err(EventError::Missing("unit")));
        e.unit = Some("  市不动产登记中心 ".into());
        assert_eq!(e.step(&p), Ok(HotlineStep::Record("hotline_assigned")));
        assert!(e.audit_note().contains("转交责任单位：市不动产登记中心"));
        assert_eq!(
            event("unreachable").step(&p),
            Ok(HotlineStep::Act(Action::Close))
        );
        assert_eq!(
            event("received").step(&p),
            Ok(HotlineStep::Record("hotline_received"))
        );
        assert_eq!(event("closed").step(&p), Err(EventError::Kind));
    }

    #[test]
    fn a_bad_id_time_or_note_is_refused_before_anything_happens() {
        let p = Profile::NATIONAL;
        let mut e = event("received");
        e.id = "a b".into();
        assert_eq!(e.step(&p), Err(EventError::Id));
        let mut e = event("received");
        e.at = Some("2026-12-03 10:00".into());
        assert_eq!(e.step(&p), Err(EventError::At));
        e.at = Some("20261203T101500".into());
        assert!(e.step(&p).is_ok());
        assert!(e.audit_note().contains("热线记录时间 2026-12-03 10:15"));
        let mut e = event("received");
        e.note = "很".repeat(NOTE_MAX_CHARS + 1);
        assert_eq!(e.step(&p), Err(EventError::NoteTooLong));
        // Unknown fields are refused by the shape itself.
        assert!(serde_json::from_str::<HotlineEvent>(
            r#"{"id":"a","work_order":"x","type":"received","actor":"unit_admin"}"#
        )
        .is_err());
    }

    #[test]
    fn a_work_order_carries_what_the_hotline_needs_to_call_and_verify() {
        let at = Date::parse("2026-12-03").unwrap().start_ms() + 3_600_000;
        let f = WorkOrderFacts {
            ticket_id: 7,
            rating_id: "r1".into(),
            case_no: None,
            channel: Channel::QrStatic,
            level: Level::VeryDissatisfied,
            rated_at: at,
            reasons: vec!["等候时间长".into()],
            comment: "排队两小时".into(),
            evaluator_phone: Some("13912345678".into()),
            place: "市民之家".into(),
            window: None,
            department: Some("市不动产登记中心".into()),
            service_item: None,
            contact_due: at + 2 * 86_400_000,
            division: "410100".into(),
        };
        let w = work_order(&f, &Profile::NATIONAL, "410100");
        assert_eq!(w.number, "410100-7");
        assert_eq!(w.satisfaction_code, 5);
        assert_eq!(w.phone.as_deref(), Some("13912345678"));
        assert_eq!(w.rated_at, "20261203T010000");
        assert_eq!(w.contact_due, "20261205T010000");
        let json = serde_json::to_value(&w).unwrap();
        assert_eq!(json["差评原因"][0], "等候时间长");
        assert_eq!(json["责任单位"], "市不动产登记中心");
    }
}
