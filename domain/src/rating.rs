//! A rating as the device makes it, and the checks every rating must pass
//! before it is stored. The device validates with the same code before it
//! queues a rating, so a rejection at the server means a bug or tampering.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::case::{valid_id_no, valid_mobile, Stage};
use super::catalog::{DimensionSet, ReasonTag};
use super::channel::Channel;
use super::level::Level;

pub const COMMENT_MAX_CHARS: usize = 500;
pub const CASE_NO_MAX_CHARS: usize = 64;
/// Sequence numbers stay exact in JavaScript and in a signed 64-bit column.
pub const MAX_SEQ: u64 = (1 << 53) - 1;

/// What the server knows of the device that sent a rating.
pub struct DeviceBinding<'a> {
    pub device_id: Uuid,
    /// The channels this kind of device may produce.
    pub channels: &'a [Channel],
    pub place_id: i64,
    /// A window pad's own window; `None` for a kiosk serving the whole place.
    pub window_id: Option<i64>,
    pub place_windows: &'a [i64],
}

/// One dimension of an itemized rating (分项评价).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ItemRating {
    pub dimension: String,
    pub level: Level,
}

/// A rating, made on the device. Times are milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RatingRecord {
    /// UUIDv7 made on the device, so a retried upload is recognisable.
    pub id: Uuid,
    pub device_id: Uuid,
    /// Per-device sequence number, from 1; gaps tell the server a rating is missing.
    pub seq: u64,
    /// The device's clock when the citizen submitted; corrected for skew at the server.
    pub device_time: i64,
    pub channel: Channel,
    #[serde(default)]
    pub case_no: Option<String>,
    pub place_id: i64,
    #[serde(default)]
    pub window_id: Option<i64>,
    pub level: Level,
    pub dimension_set: String,
    #[serde(default)]
    pub items: Vec<ItemRating>,
    #[serde(default)]
    pub reasons: Vec<ReasonTag>,
    #[serde(default)]
    pub comment: String,
    /// The stage of the case rated, where policy lets stages be rated apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    /// The signed single-use link the rating came through (case channels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// Real name, where policy collects it: never shown to window staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluator_phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluator_id_no: Option<String>,
    /// 自然人 or 法人或其他组织, when the evaluator said (004 第三条).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluator_type: Option<super::case::EvaluatorType>,
}

/// Why a rating cannot be stored. Each has a stable code and a message in
/// Chinese (shown first) and English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RatingError {
    #[error("rating id is not a UUIDv7")]
    IdNotV7,
    #[error("sequence number must be between 1 and 2^53")]
    SequenceOutOfRange,
    #[error("place reference is missing")]
    NoPlace,
    #[error("comment has {chars} characters, more than {COMMENT_MAX_CHARS}")]
    CommentTooLong { chars: usize },
    #[error("reasons are only for dissatisfied ratings")]
    ReasonsWithoutBadLevel,
    #[error("reason listed twice")]
    RepeatedReason,
    #[error("unknown dimension set {0}")]
    UnknownDimensionSet(String),
    #[error("unknown dimension {0}")]
    UnknownDimension(String),
    #[error("dimension {0} rated twice")]
    RepeatedDimension(String),
    #[error("case number is malformed")]
    CaseNoInvalid,
    #[error("rating was made by another device than the one sending it")]
    DeviceMismatch,
    #[error("the device is not registered at this place")]
    PlaceMismatch,
    #[error("the window is not one of this device's")]
    WindowMismatch,
    #[error("channel {0} cannot come from this device")]
    ChannelMismatch(&'static str),
    #[error("a rating of a case on this channel needs its rating link")]
    LinkMissing,
    #[error("only ratings of a case carry a rating link")]
    LinkUnexpected,
    #[error("the mobile number is not valid")]
    PhoneInvalid,
    #[error("the ID number is not valid")]
    IdNoInvalid,
}

impl RatingError {
    pub fn code(&self) -> &'static str {
        match self {
            RatingError::IdNotV7 => "id_not_uuid_v7",
            RatingError::SequenceOutOfRange => "sequence_out_of_range",
            RatingError::NoPlace => "no_place",
            RatingError::CommentTooLong { .. } => "comment_too_long",
            RatingError::ReasonsWithoutBadLevel => "reasons_without_bad_level",
            RatingError::RepeatedReason => "repeated_reason",
            RatingError::UnknownDimensionSet(_) => "unknown_dimension_set",
            RatingError::UnknownDimension(_) => "unknown_dimension",
            RatingError::RepeatedDimension(_) => "repeated_dimension",
            RatingError::CaseNoInvalid => "case_no_invalid",
            RatingError::DeviceMismatch => "device_mismatch",
            RatingError::PlaceMismatch => "place_mismatch",
            RatingError::WindowMismatch => "window_mismatch",
            RatingError::ChannelMismatch(_) => "channel_mismatch",
            RatingError::LinkMissing => "link_missing",
            RatingError::LinkUnexpected => "link_unexpected",
            RatingError::PhoneInvalid => "phone_invalid",
            RatingError::IdNoInvalid => "id_no_invalid",
        }
    }

    pub fn message_zh(&self) -> String {
        match self {
            RatingError::IdNotV7 => "评价编号必须是设备生成的 UUIDv7".into(),
            RatingError::SequenceOutOfRange => "设备流水号必须在 1 到 2^53 之间".into(),
            RatingError::NoPlace => "缺少评价场所".into(),
            RatingError::CommentTooLong { chars } => {
                format!("评价内容不能超过 {COMMENT_MAX_CHARS} 字（现为 {chars} 字）")
            }
            RatingError::ReasonsWithoutBadLevel => {
                "只有“不满意”或“非常不满意”的评价可以选择差评原因".into()
            }
            RatingError::RepeatedReason => "差评原因重复".into(),
            RatingError::UnknownDimensionSet(s) => format!("未知的分项评价方案：{s}"),
            RatingError::UnknownDimension(d) => format!("未知的分项评价维度：{d}"),
            RatingError::RepeatedDimension(d) => format!("分项评价维度重复：{d}"),
            RatingError::CaseNoInvalid => {
                format!("办件编号格式不正确（1 至 {CASE_NO_MAX_CHARS} 位字母、数字、“-”或“_”）")
            }
            RatingError::DeviceMismatch => "评价不是由发送它的设备产生的".into(),
            RatingError::PlaceMismatch => "评价场所与设备登记的场所不符".into(),
            RatingError::WindowMismatch => "评价窗口不属于该设备".into(),
            RatingError::ChannelMismatch(c) => format!("此设备不能产生“{c}”渠道的评价"),
            RatingError::LinkMissing => "办件评价缺少评价链接，请重新扫码或打开短信中的链接".into(),
            RatingError::LinkUnexpected => "只有办件评价才带评价链接".into(),
            RatingError::PhoneInvalid => "手机号码格式不正确（11 位数字，以 1 开头）".into(),
            RatingError::IdNoInvalid => "身份证号码不正确（18 位，最后一位可为 X）".into(),
        }
    }

    pub fn message_en(&self) -> String {
        match self {
            RatingError::CommentTooLong { chars } => format!(
                "The comment may have at most {COMMENT_MAX_CHARS} characters (it has {chars})"
            ),
            RatingError::CaseNoInvalid => format!(
                "The case number must be 1 to {CASE_NO_MAX_CHARS} letters, digits, '-' or '_'"
            ),
            other => {
                let s = other.to_string();
                let mut c = s.chars();
                c.next()
                    .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
                    .unwrap_or_default()
            }
        }
    }
}

fn case_no_ok(s: &str) -> bool {
    let n = s.chars().count();
    (1..=CASE_NO_MAX_CHARS).contains(&n)
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl RatingRecord {
    /// Checks the rating and puts it in canonical form (reasons and items
    /// sorted), so that the same rating always compares and hashes the same.
    pub fn validate(mut self) -> Result<RatingRecord, RatingError> {
        if self.id.get_version_num() != 7 {
            return Err(RatingError::IdNotV7);
        }
        if !(1..=MAX_SEQ).contains(&self.seq) {
            return Err(RatingError::SequenceOutOfRange);
        }
        if self.place_id <= 0 {
            return Err(RatingError::NoPlace);
        }
        let chars = self.comment.chars().count();
        if chars > COMMENT_MAX_CHARS {
            return Err(RatingError::CommentTooLong { chars });
        }
        if !self.reasons.is_empty() && !self.level.is_bad() {
            return Err(RatingError::ReasonsWithoutBadLevel);
        }
        self.reasons.sort();
        if self.reasons.windows(2).any(|w| w[0] == w[1]) {
            return Err(RatingError::RepeatedReason);
        }
        let set = DimensionSet::find(&self.dimension_set)
            .ok_or_else(|| RatingError::UnknownDimensionSet(self.dimension_set.clone()))?;
        if let Some(unknown) = self.items.iter().find(|i| !set.has(&i.dimension)) {
            return Err(RatingError::UnknownDimension(unknown.dimension.clone()));
        }
        self.items.sort_by(|a, b| a.dimension.cmp(&b.dimension));
        if let Some(w) = self
            .items
            .windows(2)
            .find(|w| w[0].dimension == w[1].dimension)
        {
            return Err(RatingError::RepeatedDimension(w[0].dimension.clone()));
        }
        if let Some(case_no) = &self.case_no {
            if !case_no_ok(case_no) {
                return Err(RatingError::CaseNoInvalid);
            }
        }
        match (self.channel.needs_link(), &self.link) {
            (true, None) => return Err(RatingError::LinkMissing),
            (false, Some(_)) => return Err(RatingError::LinkUnexpected),
            _ => {}
        }
        self.evaluator_phone = self
            .evaluator_phone
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty());
        if self
            .evaluator_phone
            .as_deref()
            .is_some_and(|p| !valid_mobile(p))
        {
            return Err(RatingError::PhoneInvalid);
        }
        self.evaluator_id_no = self
            .evaluator_id_no
            .map(|p| p.trim().to_ascii_uppercase())
            .filter(|p| !p.is_empty());
        if self
            .evaluator_id_no
            .as_deref()
            .is_some_and(|p| !valid_id_no(p))
        {
            return Err(RatingError::IdNoInvalid);
        }
        Ok(self)
    }

    /// Checks that the rating could have come from the device that sent it.
    pub fn check_binding(&self, b: &DeviceBinding<'_>) -> Result<(), RatingError> {
        if self.device_id != b.device_id {
            return Err(RatingError::DeviceMismatch);
        }
        if !b.channels.contains(&self.channel) {
            return Err(RatingError::ChannelMismatch(self.channel.label_zh()));
        }
        if self.place_id != b.place_id {
            return Err(RatingError::PlaceMismatch);
        }
        match (self.window_id, b.window_id) {
            (None, _) => Ok(()),
            (Some(w), Some(own)) if w == own => Ok(()),
            (Some(w), None) if b.place_windows.contains(&w) => Ok(()),
            _ => Err(RatingError::WindowMismatch),
        }
    }

    /// The canonical serialisation, used to tell an identical replay from a
    /// changed payload under the same id. Call on a validated record.
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).expect("a rating always serialises")
    }
}

/// Makes a UUIDv7 from the time and ten random bytes supplied by the caller.
pub fn new_rating_id(unix_millis: u64, random: &[u8; 10]) -> Uuid {
    uuid::Builder::from_unix_timestamp_millis(unix_millis, random).into_uuid()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::catalog::DEFAULT_DIMENSION_SET;
    use proptest::prelude::*;

    pub(crate) fn sample(level: Level) -> RatingRecord {
        RatingRecord {
            id: new_rating_id(1_763_800_000_000, &[7; 10]),
            device_id: Uuid::from_u128(42),
            seq: 1,
            device_time: 1_763_800_000_000,
            channel: Channel::Kiosk,
            case_no: None,
            place_id: 1,
            window_id: None,
            level,
            dimension_set: DEFAULT_DIMENSION_SET.code.into(),
            items: vec![],
            reasons: vec![],
            comment: String::new(),
            stage: None,
            link: None,
            evaluator_phone: None,
            evaluator_id_no: None,
            evaluator_type: None,
        }
    }

    #[test]
    fn a_plain_rating_is_valid() {
        assert!(sample(Level::Satisfied).validate().is_ok());
    }

    #[test]
    fn a_comment_of_500_chinese_characters_is_accepted_and_501_is_not() {
        let mut r = sample(Level::Dissatisfied);
        r.comment = "慢".repeat(500);
        assert!(r.clone().validate().is_ok());
        r.comment.push('慢');
        assert_eq!(
            r.validate(),
            Err(RatingError::CommentTooLong { chars: 501 })
        );
    }

    #[test]
    fn reasons_on_a_good_rating_are_refused() {
        let mut r = sample(Level::Basic);
        r.reasons = vec![ReasonTag::Slow];
        assert_eq!(r.validate(), Err(RatingError::ReasonsWithoutBadLevel));
    }

    #[test]
    fn repeated_reasons_and_dimensions_are_refused() {
        let mut r = sample(Level::VeryDissatisfied);
        r.reasons = vec![ReasonTag::Slow, ReasonTag::Attitude, ReasonTag::Slow];
        assert_eq!(r.validate(), Err(RatingError::RepeatedReason));

        let mut r = sample(Level::Satisfied);
        r.items = vec![
            ItemRating {
                dimension: "attitude".into(),
                level: Level::Satisfied,
            },
            ItemRating {
                dimension: "attitude".into(),
                level: Level::Basic,
            },
        ];
        assert_eq!(
            r.validate(),
            Err(RatingError::RepeatedDimension("attitude".into()))
        );
    }

    #[test]
    fn unknown_dimensions_and_sets_are_refused() {
        let mut r = sample(Level::Satisfied);
        r.items = vec![ItemRating {
            dimension: "honesty".into(),
            level: Level::Satisfied,
        }];
        assert_eq!(
            r.validate(),
            Err(RatingError::UnknownDimension("honesty".into()))
        );
        let mut r = sample(Level::Satisfied);
        r.dimension_set = "onsite-v9".into();
        assert!(matches!(
            r.validate(),
            Err(RatingError::UnknownDimensionSet(_))
        ));
    }

    #[test]
    fn ids_that_are_not_v7_are_refused() {
        let mut r = sample(Level::Satisfied);
        r.id = Uuid::from_u128(1);
        assert_eq!(r.validate(), Err(RatingError::IdNotV7));
    }

    #[test]
    fn case_numbers_are_checked() {
        let mut r = sample(Level::Satisfied);
        r.case_no = Some("SP-2026-000123".into());
        assert!(r.clone().validate().is_ok());
        r.case_no = Some("SP 2026; DROP".into());
        assert_eq!(r.validate(), Err(RatingError::CaseNoInvalid));
    }

    #[test]
    fn a_rating_must_match_the_device_that_sends_it() {
        let r = sample(Level::Satisfied);
        let windows = [10, 11];
        let kiosk = DeviceBinding {
            device_id: r.device_id,
            channels: &[Channel::Kiosk],
            place_id: 1,
            window_id: None,
            place_windows: &windows,
        };
        assert!(r.check_binding(&kiosk).is_ok());
        let mut at_window = r.clone();
        at_window.window_id = Some(11);
        assert!(at_window.check_binding(&kiosk).is_ok());
        at_window.window_id = Some(99);
        assert_eq!(
            at_window.check_binding(&kiosk),
            Err(RatingError::WindowMismatch)
        );
        let mut elsewhere = r.clone();
        elsewhere.place_id = 2;
        assert_eq!(
            elsewhere.check_binding(&kiosk),
            Err(RatingError::PlaceMismatch)
        );
        let mut other = r.clone();
        other.device_id = Uuid::from_u128(7);
        assert_eq!(
            other.check_binding(&kiosk),
            Err(RatingError::DeviceMismatch)
        );
        let mut sms = r.clone();
        sms.channel = Channel::Sms;
        assert!(matches!(
            sms.check_binding(&kiosk),
            Err(RatingError::ChannelMismatch(_))
        ));
        let pad = DeviceBinding {
            channels: &[Channel::WindowPad],
            window_id: Some(10),
            ..kiosk
        };
        let mut on_pad = r.clone();
        on_pad.channel = Channel::WindowPad;
        on_pad.window_id = Some(10);
        assert!(on_pad.check_binding(&pad).is_ok());
        on_pad.window_id = Some(11);
        assert_eq!(on_pad.check_binding(&pad), Err(RatingError::WindowMismatch));
    }

    #[test]
    fn case_channels_need_a_link_and_others_refuse_one() {
        let mut r = sample(Level::Satisfied);
        r.channel = Channel::Sms;
        assert_eq!(r.clone().validate(), Err(RatingError::LinkMissing));
        r.link = Some("1.abc.00".into());
        assert!(r.clone().validate().is_ok());
        r.channel = Channel::Kiosk;
        assert_eq!(r.validate(), Err(RatingError::LinkUnexpected));
    }

    #[test]
    fn real_name_fields_are_checked_and_blank_ones_dropped() {
        let mut r = sample(Level::Satisfied);
        r.evaluator_phone = Some(" 13812341234 ".into());
        r.evaluator_id_no = Some("11010519491231002x".into());
        let v = r.clone().validate().unwrap();
        assert_eq!(v.evaluator_phone.as_deref(), Some("13812341234"));
        assert_eq!(v.evaluator_id_no.as_deref(), Some("11010519491231002X"));
        r.evaluator_phone = Some("   ".into());
        assert_eq!(r.clone().validate().unwrap().evaluator_phone, None);
        r.evaluator_phone = Some("1234".into());
        assert_eq!(r.clone().validate(), Err(RatingError::PhoneInvalid));
        r.evaluator_phone = None;
        r.evaluator_id_no = Some("110105194912310021".into());
        assert_eq!(r.validate(), Err(RatingError::IdNoInvalid));
    }

    #[test]
    fn sequence_numbers_outside_the_exact_range_are_refused() {
        let mut r = sample(Level::Satisfied);
        r.seq = 0;
        assert_eq!(r.clone().validate(), Err(RatingError::SequenceOutOfRange));
        r.seq = MAX_SEQ + 1;
        assert_eq!(r.clone().validate(), Err(RatingError::SequenceOutOfRange));
        r.seq = MAX_SEQ;
        assert!(r.validate().is_ok());
    }

    #[test]
    fn unknown_fields_are_refused_rather_than_dropped() {
        let mut v = serde_json::to_value(sample(Level::Satisfied)).unwrap();
        v["citizen_name"] = "张三".into();
        assert!(serde_json::from_value::<RatingRecord>(v).is_err());
    }

    #[test]
    fn every_error_has_a_chinese_and_an_english_message() {
        let errors = [
            RatingError::IdNotV7,
            RatingError::SequenceOutOfRange,
            RatingError::DeviceMismatch,
            RatingError::PlaceMismatch,
            RatingError::WindowMismatch,
            RatingError::ChannelMismatch("短信"),
            RatingError::NoPlace,
            RatingError::CommentTooLong { chars: 600 },
            RatingError::ReasonsWithoutBadLevel,
            RatingError::RepeatedReason,
            RatingError::UnknownDimensionSet("x".into()),
            RatingError::UnknownDimension("x".into()),
            RatingError::RepeatedDimension("x".into()),
            RatingError::CaseNoInvalid,
            RatingError::LinkMissing,
            RatingError::LinkUnexpected,
            RatingError::PhoneInvalid,
            RatingError::IdNoInvalid,
        ];
        for e in errors {
            assert!(e.message_zh().chars().any(|c| c > '\u{2e80}'), "{e:?}");
            assert!(e.message_en().starts_with(|c: char| c.is_ascii_uppercase()));
            assert!(!e.code().is_empty());
        }
    }

    proptest! {
        #[test]
        fn validation_is_idempotent_and_canonical_form_ignores_order(
            reasons in proptest::sample::subsequence(ReasonTag::ALL.to_vec(), 0..=6),
            shuffle_seed in any::<u64>(),
            comment in "\\PC{0,80}",
        ) {
            let mut r = sample(Level::Dissatisfied);
            r.reasons = reasons.clone();
            r.comment = comment;
            let a = r.clone().validate().unwrap();
            // A permutation of the same reasons is the same rating.
            let mut shuffled = reasons;
            let n = shuffled.len();
            if n > 1 { shuffled.rotate_left((shuffle_seed as usize) % n); }
            r.reasons = shuffled;
            let b = r.validate().unwrap();
            prop_assert_eq!(a.canonical(), b.canonical());
            prop_assert_eq!(a.clone().validate().unwrap(), a);
        }

        #[test]
        fn comment_limit_counts_characters_not_bytes(n in 0usize..700) {
            let mut r = sample(Level::Dissatisfied);
            r.comment = "差".repeat(n);
            prop_assert_eq!(r.validate().is_ok(), n <= COMMENT_MAX_CHARS);
        }

        #[test]
        fn made_ids_are_v7_and_sort_by_time(t1 in 0u64..(1u64 << 47), t2 in 0u64..(1u64 << 47), rnd in any::<[u8; 10]>()) {
            let a = new_rating_id(t1, &rnd);
            let b = new_rating_id(t2, &rnd);
            prop_assert_eq!(a.get_version_num(), 7);
            if t1 < t2 { prop_assert!(a < b); }
        }
    }
}
