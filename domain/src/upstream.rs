//! What leaves for the provincial 好差评 platform (001 二(二), 004 §7), in
//! the national data set's shape (GB/T 39046-2020 Table 9), through a
//! *profile* for provinces whose codes differ; and the delivery rules every
//! upstream destination shares (retry delays, dead letters, how an answer
//! is read). Pure: the worker that sends lives in the server.

use serde::{Deserialize, Serialize};

use crate::case::{mask_id_no, mask_phone, RatingKind};
use crate::level::{CodeMap, Level};
use crate::Channel;

/// How the evaluator (评价人) is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EvaluatorField {
    /// `138****1234` (or the masked ID number): the default (001 §6: the
    /// evaluator's information is kept confidential).
    Masked,
    /// The whole number, for a platform that verifies 实名 itself.
    Full,
    /// Left out.
    Omitted,
}

impl EvaluatorField {
    pub fn parse(s: &str) -> Option<EvaluatorField> {
        match s {
            "masked" => Some(EvaluatorField::Masked),
            "full" => Some(EvaluatorField::Full),
            "none" | "omitted" => Some(EvaluatorField::Omitted),
            _ => None,
        }
    }
}

/// Channel codes as a province's platform numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChannelTable {
    /// Our own channel codes (`kiosk`, `window_pad`, … as stored), with
    /// the Chinese name beside each: the data set carries 评价渠道 as text.
    Named,
    /// The seven-code table some provinces use: 1 PC端, 2 移动端, 3 二维码,
    /// 4 政务大厅平板电脑, 5 政务大厅其他终端, 6 短信, 7 系统默认.
    Seven,
}

impl ChannelTable {
    /// (code, name) of a channel.
    pub fn code(self, c: Channel) -> (String, &'static str) {
        match self {
            ChannelTable::Named => (c.as_str().to_string(), c.label_zh()),
            ChannelTable::Seven => {
                let (n, name) = match c {
                    Channel::PcWeb => (1, "PC端"),
                    Channel::Mobile => (2, "移动端"),
                    Channel::QrStatic | Channel::QrCase => (3, "二维码"),
                    Channel::WindowPad => (4, "政务大厅平板电脑"),
                    // Kiosks, and what staff enter from paper forms and
                    // calls in the hall's name: the hall's other terminals.
                    Channel::Kiosk | Channel::Paper | Channel::Phone => (5, "政务大厅其他终端"),
                    Channel::Sms => (6, "短信"),
                    Channel::System => (7, "系统默认"),
                };
                (n.to_string(), name)
            }
        }
    }
}

/// A province's way of reading the national data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    pub satisfaction: CodeMap,
    pub channels: ChannelTable,
    pub evaluator: EvaluatorField,
}

impl Profile {
    /// GB/T 39046-2020 as written: A.8 satisfaction codes (1 非常满意 …
    /// 5 非常不满意), channels by name, evaluator masked.
    pub const NATIONAL: Profile = Profile {
        satisfaction: CodeMap::Gbt39046,
        channels: ChannelTable::Named,
        evaluator: EvaluatorField::Masked,
    };

    /// A province that reverses the satisfaction code (1 非常不满意 …
    /// 5 非常满意) and numbers channels with the seven-code table.
    pub const REVERSED_SEVEN: Profile = Profile {
        satisfaction: CodeMap::Reverse,
        channels: ChannelTable::Seven,
        evaluator: EvaluatorField::Masked,
    };

    /// `gbt39046` or `reversed7` (`HCP_PROVINCE_PROFILE`).
    pub fn named(name: &str) -> Option<Profile> {
        match name {
            "gbt39046" | "national" => Some(Profile::NATIONAL),
            "reversed7" => Some(Profile::REVERSED_SEVEN),
            _ => None,
        }
    }
}

/// A rating as the server knows it, ready to be shaped for upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingFacts {
    /// Our rating id (UUID): also the record's key upstream.
    pub id: String,
    pub case_no: Option<String>,
    pub channel: Channel,
    pub evaluator_phone: Option<String>,
    pub evaluator_id_no: Option<String>,
    /// Milliseconds since the epoch.
    pub rated_at: i64,
    pub kind: RatingKind,
    pub level: Level,
    pub comment: String,
    /// The 行政区划代码 of the place's region (or the nearest ancestor
    /// that has one).
    pub division: String,
}

/// GB/T 39046-2020 Table 9, one rating; the field names are the data set's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = ProvinceRatingRecord))]
pub struct RatingRecord {
    #[serde(rename = "评价编号")]
    pub id: String,
    /// Empty for a rating not linked to a case (a static QR code).
    #[serde(rename = "办件编号")]
    pub case_no: String,
    #[serde(rename = "评价渠道")]
    pub channel: String,
    #[serde(rename = "评价渠道名称")]
    pub channel_name: String,
    #[serde(rename = "评价人", skip_serializing_if = "Option::is_none", default)]
    pub evaluator: Option<String>,
    /// `YYYYMMDDThhmmss`, China time.
    #[serde(rename = "评价时间")]
    pub rated_at: String,
    /// 首次 or 追加 (a 系统默认 rating is a case's 首次).
    #[serde(rename = "评价次数")]
    pub count: String,
    #[serde(rename = "满意度")]
    pub satisfaction: String,
    #[serde(rename = "满意度代码")]
    pub satisfaction_code: u8,
    #[serde(rename = "文字评价")]
    pub comment: String,
    #[serde(rename = "行政区划代码")]
    pub division: String,
}

impl Profile {
    pub fn rating(&self, r: &RatingFacts) -> RatingRecord {
        let (channel, channel_name) = self.channels.code(r.channel);
        let evaluator = match self.evaluator {
            EvaluatorField::Omitted => None,
            EvaluatorField::Masked => r
                .evaluator_phone
                .as_deref()
                .map(mask_phone)
                .or_else(|| r.evaluator_id_no.as_deref().map(mask_id_no)),
            EvaluatorField::Full => r
                .evaluator_phone
                .clone()
                .or_else(|| r.evaluator_id_no.clone()),
        };
        RatingRecord {
            id: r.id.clone(),
            case_no: r.case_no.clone().unwrap_or_default(),
            channel,
            channel_name: channel_name.to_string(),
            evaluator,
            rated_at: compact_china_time(r.rated_at),
            count: match r.kind {
                RatingKind::FollowUp => "追加",
                RatingKind::First | RatingKind::SystemDefault => "首次",
            }
            .to_string(),
            satisfaction: r.level.label_zh().to_string(),
            satisfaction_code: self.satisfaction.encode(r.level),
            comment: r.comment.clone(),
            division: r.division.clone(),
        }
    }
}

/// A finished case (办件) as the server knows it, for the platform.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseFacts {
    pub case_no: String,
    pub service_code: Option<String>,
    pub service_name: Option<String>,
    pub department: Option<String>,
    pub place: String,
    pub window: Option<String>,
    /// `person` or `organisation`.
    pub applicant_type: Option<String>,
    pub started_at: i64,
    pub finished_at: i64,
    pub division: String,
}

/// A case upstream (GB/T 39046-2020 办件信息, the fields a rating of it is
/// matched by): sent once, when it is finished.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseRecord {
    #[serde(rename = "办件编号")]
    pub case_no: String,
    #[serde(rename = "事项编码")]
    pub service_code: String,
    #[serde(rename = "事项名称")]
    pub service_name: String,
    #[serde(rename = "办理部门")]
    pub department: String,
    #[serde(rename = "服务场所")]
    pub place: String,
    #[serde(rename = "窗口")]
    pub window: String,
    /// 个人 or 法人 (empty when the business system did not say).
    #[serde(rename = "申请人类型")]
    pub applicant_type: String,
    #[serde(rename = "受理时间")]
    pub started_at: String,
    #[serde(rename = "办结时间")]
    pub finished_at: String,
    #[serde(rename = "办件状态")]
    pub status: String,
    #[serde(rename = "行政区划代码")]
    pub division: String,
}

pub fn case_record(c: &CaseFacts) -> CaseRecord {
    CaseRecord {
        case_no: c.case_no.clone(),
        service_code: c.service_code.clone().unwrap_or_default(),
        service_name: c.service_name.clone().unwrap_or_default(),
        department: c.department.clone().unwrap_or_default(),
        place: c.place.clone(),
        window: c.window.clone().unwrap_or_default(),
        applicant_type: match c.applicant_type.as_deref() {
            Some("person") => "个人",
            Some("organisation") => "法人",
            _ => "",
        }
        .to_string(),
        started_at: compact_china_time(c.started_at),
        finished_at: compact_china_time(c.finished_at),
        status: "办结".to_string(),
        division: c.division.clone(),
    }
}

/// One step of a bad rating's rectification, as it happened (a snapshot
/// of the ticket's audit line; 001 二(二) 整改及反馈情况同步报送).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepFacts {
    pub ticket_id: i64,
    /// `open`, or an [`crate::rectify::ActionKind`]'s code.
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: String,
    pub at: i64,
}

/// A rectification step upstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepRecord {
    /// The bad rating the ticket is about (its 评价编号).
    #[serde(rename = "评价编号")]
    pub rating_id: String,
    #[serde(rename = "整改工单编号")]
    pub ticket: String,
    #[serde(rename = "办理环节")]
    pub action: String,
    #[serde(rename = "办理环节名称")]
    pub action_name: String,
    #[serde(rename = "办理后状态")]
    pub status: String,
    #[serde(rename = "办理后状态名称")]
    pub status_name: String,
    #[serde(rename = "办理说明")]
    pub note: String,
    #[serde(rename = "办理时间")]
    pub at: String,
}

/// A rectification step's record; `ticket_prefix` makes the ticket number
/// unique across the cities feeding one platform (their division code).
pub fn step_record(s: &StepFacts, rating_id: &str, ticket_prefix: &str) -> StepRecord {
    use crate::rectify::{ActionKind, Status};
    let action_name = ActionKind::parse(&s.action)
        .map(ActionKind::label_zh)
        .unwrap_or(if s.action == "open" {
            "生成整改工单"
        } else {
            "其他"
        });
    let status = s.to_status.clone().unwrap_or_default();
    StepRecord {
        rating_id: rating_id.to_string(),
        ticket: format!("{ticket_prefix}-{}", s.ticket_id),
        action: s.action.clone(),
        action_name: action_name.to_string(),
        status_name: Status::parse(&status)
            .map(Status::label_zh)
            .unwrap_or("")
            .to_string(),
        status,
        note: crate::privacy::redact(&s.note),
        at: compact_china_time(s.at),
    }
}

/// `YYYYMMDDThhmmss` in China time (the data set's 评价时间).
pub fn compact_china_time(ms: i64) -> String {
    use crate::calendar::{Date, CST_OFFSET_MS, DAY_MS};
    let d = Date::of_instant(ms);
    let secs = (ms + CST_OFFSET_MS).rem_euclid(DAY_MS) / 1000;
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}",
        d.year,
        d.month,
        d.day,
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// [`compact_china_time`] read back: `YYYYMMDDThhmmss`, China time, checked.
pub fn parse_compact_china_time(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 15
        || b[8] != b'T'
        || !b
            .iter()
            .enumerate()
            .all(|(i, c)| i == 8 || c.is_ascii_digit())
    {
        return None;
    }
    let date = crate::calendar::Date::parse(&format!("{}-{}-{}", &s[0..4], &s[4..6], &s[6..8]))?;
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().ok();
    let (h, m, sec) = (n(9..11)?, n(11..13)?, n(13..15)?);
    (h < 24 && m < 60 && sec < 60).then(|| date.start_ms() + ((h * 60 + m) * 60 + sec) * 1000)
}

/// One bad rating the province forwards (000 二: bad ratings from static
/// QR codes, not linked to any case), as its feed sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InboundBadRating {
    /// The platform's own id: a record sent twice is stored once.
    pub upstream_id: String,
    /// Our place's code (its static QR code's).
    pub place_code: String,
    #[serde(default)]
    pub window_code: Option<String>,
    /// In the profile's satisfaction code (4 or 5 under GB/T 39046).
    pub satisfaction_code: u8,
    /// `YYYYMMDDThhmmss`, China time.
    pub rated_at: String,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub evaluator_phone: Option<String>,
}

/// Why a forwarded record is refused (zh first, as every message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InboundError {
    UpstreamId,
    Satisfaction(u8),
    NotBad,
    RatedAt,
    Future,
}

impl InboundError {
    pub fn code(&self) -> &'static str {
        match self {
            InboundError::UpstreamId => "upstream_id_invalid",
            InboundError::Satisfaction(_) => "satisfaction_code_invalid",
            InboundError::NotBad => "not_a_bad_rating",
            InboundError::RatedAt => "rated_at_invalid",
            InboundError::Future => "rated_at_future",
        }
    }
    pub fn message_zh(&self) -> String {
        match self {
            InboundError::UpstreamId => "upstream_id 须为 1 至 64 位字母、数字、“-”或“_”".into(),
            InboundError::Satisfaction(c) => format!("满意度代码 {c} 无效（应为 1 至 5）"),
            InboundError::NotBad => "只接收差评（不满意、非常不满意）".into(),
            InboundError::RatedAt => "评价时间格式应为 YYYYMMDDThhmmss".into(),
            InboundError::Future => "评价时间晚于当前时间".into(),
        }
    }
    pub fn message_en(&self) -> String {
        match self {
            InboundError::UpstreamId => {
                "upstream_id must be 1-64 letters, digits, '-' or '_'".into()
            }
            InboundError::Satisfaction(c) => format!("Satisfaction code {c} is not 1 to 5"),
            InboundError::NotBad => {
                "Only bad ratings (dissatisfied, very dissatisfied) are taken".into()
            }
            InboundError::RatedAt => "rated_at must read YYYYMMDDThhmmss".into(),
            InboundError::Future => "rated_at is in the future".into(),
        }
    }
}

impl InboundBadRating {
    /// The level and instant of a forwarded bad rating, or why not; `now`
    /// allows five minutes of clock difference.
    pub fn check(&self, profile: &Profile, now: i64) -> Result<(Level, i64), InboundError> {
        let id_ok = (1..=64).contains(&self.upstream_id.len())
            && self
                .upstream_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !id_ok {
            return Err(InboundError::UpstreamId);
        }
        let level = profile
            .satisfaction
            .decode(self.satisfaction_code)
            .ok_or(InboundError::Satisfaction(self.satisfaction_code))?;
        if !level.is_bad() {
            return Err(InboundError::NotBad);
        }
        let at = parse_compact_china_time(&self.rated_at).ok_or(InboundError::RatedAt)?;
        if at > now + 300_000 {
            return Err(InboundError::Future);
        }
        Ok((level, at))
    }

    /// Our rating id for it: a UUIDv7 of its time whose random part comes
    /// from the platform's id, so a record forwarded twice is the same
    /// rating (and the sync rules answer `duplicate`).
    pub fn rating_id(&self, rated_at: i64) -> uuid::Uuid {
        use sha2::{Digest, Sha256};
        let h = Sha256::digest(format!("province:{}", self.upstream_id).as_bytes());
        let mut rnd = [0u8; 10];
        rnd.copy_from_slice(&h[..10]);
        crate::rating::new_rating_id(rated_at.max(0) as u64, &rnd)
    }
}

/// The 行政区划代码 (GB/T 2260, six digits; town and village codes extend
/// it) of the first region in `chain` (the place's region, then its
/// ancestors) whose code is one: at least six ASCII digits.
pub fn division_code<'a>(chain: impl IntoIterator<Item = &'a str>) -> Option<String> {
    chain
        .into_iter()
        .find(|c| c.len() >= 6 && c.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
}

/// What the platform said about one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Stored upstream (or already there under its key).
    Delivered,
    /// Not now (a timeout, a 5xx, 429): try again later.
    Retry(String),
    /// Refused for good (the record itself is wrong): a dead letter at once.
    Refused(String),
}

/// How an HTTP status reads for a whole batch.
pub fn outcome_of_status(status: u16, body: &str) -> Outcome {
    let why = || {
        let b: String = body.chars().take(200).collect();
        format!("HTTP {status}: {b}")
    };
    match status {
        200..=299 => Outcome::Delivered,
        408 | 425 | 429 | 500..=599 => Outcome::Retry(why()),
        // 401/403: our credentials are wrong, not the record: retry (an
        // operator fixes the settings; nothing is given up meanwhile).
        401 | 403 => Outcome::Retry(why()),
        _ => Outcome::Refused(why()),
    }
}

/// The platform's answer to a batch: per record, by key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchAnswer {
    #[serde(default)]
    pub results: Vec<RecordAnswer>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordAnswer {
    pub key: String,
    pub ok: bool,
    /// With `ok: false`: may it be sent again (true) or is it refused for
    /// good (false, the default)?
    #[serde(default)]
    pub retry: bool,
    #[serde(default)]
    pub error: Option<String>,
}

/// Each key's outcome from a 2xx answer: named records as the answer says,
/// records it does not name are delivered (a platform that answers only
/// `200` takes the whole batch).
pub fn outcomes(keys: &[String], answer: &BatchAnswer) -> Vec<Outcome> {
    keys.iter()
        .map(|k| match answer.results.iter().find(|a| &a.key == k) {
            None => Outcome::Delivered,
            Some(a) if a.ok => Outcome::Delivered,
            Some(a) => {
                let why = a.error.clone().unwrap_or_else(|| "refused".into());
                if a.retry {
                    Outcome::Retry(why)
                } else {
                    Outcome::Refused(why)
                }
            }
        })
        .collect()
}

/// Retry policy of a destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first retry's delay; each later one doubles.
    pub base_ms: i64,
    pub cap_ms: i64,
    /// Tries before a record is a dead letter.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 2 s, 4 s, … capped at one hour; 16 tries span about seven hours,
    /// an upstream's night of maintenance.
    fn default() -> Self {
        RetryPolicy {
            base_ms: 2_000,
            cap_ms: 3_600_000,
            max_attempts: 16,
        }
    }
}

/// What to do with a record after its `attempts`-th failed try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    RetryAt(i64),
    Dead,
}

impl RetryPolicy {
    /// Exponential backoff with "equal jitter": half the delay fixed, half
    /// random (`jitter_permille` 0…1000 from the caller), so servers that
    /// failed together do not retry together.
    pub fn after_failure(&self, attempts: u32, now: i64, jitter_permille: u16) -> Next {
        if attempts >= self.max_attempts {
            return Next::Dead;
        }
        let exp = self
            .base_ms
            .saturating_mul(1i64 << attempts.saturating_sub(1).min(40))
            .min(self.cap_ms);
        let jitter = i64::from(jitter_permille.min(1000));
        Next::RetryAt(now + exp / 2 + exp / 2 * jitter / 1000)
    }
}

/// An SMS gateway's request body: `template` (JSON) with each `{name}`
/// replaced by the value's JSON string content (escaped, without quotes),
/// so a message can never break out of its string. The result must be
/// JSON; a placeholder the template names but `values` lacks is an error.
pub fn render_template(template: &str, values: &[(&str, &str)]) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name_len = after
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || *b == b'_')
            .count();
        if name_len > 0 && after.as_bytes().get(name_len) == Some(&b'}') {
            let name = &after[..name_len];
            let value = values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
                .ok_or_else(|| format!("unknown placeholder {{{name}}}"))?;
            let quoted = serde_json::to_string(value).map_err(|e| e.to_string())?;
            out.push_str(&quoted[1..quoted.len() - 1]);
            rest = &after[name_len + 1..];
        } else {
            out.push('{');
            rest = after;
        }
    }
    out.push_str(rest);
    serde_json::from_str::<serde_json::Value>(&out)
        .map_err(|e| format!("the template does not give JSON: {e}"))?;
    Ok(out)
}

/// The provider's message id in its answer, at a JSON pointer
/// (`/message_id`, `/data/bizId`); numbers are read as their text.
pub fn message_id_at(answer: &str, pointer: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(answer).ok()?;
    match v.pointer(pointer)? {
        serde_json::Value::String(s) if !s.is_empty() && s.len() <= 128 => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts() -> RatingFacts {
        RatingFacts {
            id: "0190f0c0-0000-7000-8000-000000000001".into(),
            case_no: Some("370302-2026-0001".into()),
            channel: Channel::WindowPad,
            evaluator_phone: Some("13812341234".into()),
            evaluator_id_no: None,
            // 2026-12-03 09:05:07 China time.
            rated_at: 1_796_259_907_000,
            kind: RatingKind::First,
            level: Level::Dissatisfied,
            comment: "等了很久".into(),
            division: "370302".into(),
        }
    }

    #[test]
    fn the_national_profile_sends_table_9_fields_with_a8_codes() {
        let r = Profile::NATIONAL.rating(&facts());
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["办件编号"], "370302-2026-0001");
        assert_eq!(v["评价渠道"], "window_pad");
        assert_eq!(v["评价渠道名称"], "窗口评价器");
        assert_eq!(v["评价人"], "138****1234");
        assert_eq!(v["评价时间"], "20261203T090507");
        assert_eq!(v["评价次数"], "首次");
        assert_eq!(v["满意度"], "不满意");
        assert_eq!(v["满意度代码"], 4);
        assert_eq!(v["文字评价"], "等了很久");
        assert_eq!(v["行政区划代码"], "370302");
    }

    #[test]
    fn a_reversed_province_gets_its_own_codes() {
        let mut f = facts();
        f.channel = Channel::Kiosk;
        f.kind = RatingKind::FollowUp;
        let r = Profile::REVERSED_SEVEN.rating(&f);
        assert_eq!(r.satisfaction_code, 2, "不满意 is 2 when 1 is 非常不满意");
        assert_eq!(
            (r.channel.as_str(), r.channel_name.as_str()),
            ("5", "政务大厅其他终端")
        );
        assert_eq!(r.count, "追加");
        f.channel = Channel::System;
        f.kind = RatingKind::SystemDefault;
        let r = Profile::REVERSED_SEVEN.rating(&f);
        assert_eq!((r.channel.as_str(), r.count.as_str()), ("7", "首次"));
    }

    #[test]
    fn every_channel_has_a_code_in_the_seven_code_table() {
        for c in Channel::ALL {
            let (code, _) = ChannelTable::Seven.code(c);
            let n: u8 = code.parse().unwrap();
            assert!((1..=7).contains(&n), "{c:?} → {n}");
        }
        assert_eq!(ChannelTable::Seven.code(Channel::PcWeb).0, "1");
        assert_eq!(ChannelTable::Seven.code(Channel::Sms).0, "6");
    }

    #[test]
    fn the_evaluator_is_masked_full_or_left_out_as_configured() {
        let mut f = facts();
        let mut p = Profile::NATIONAL;
        p.evaluator = EvaluatorField::Full;
        assert_eq!(p.rating(&f).evaluator.as_deref(), Some("13812341234"));
        p.evaluator = EvaluatorField::Omitted;
        let v = serde_json::to_value(p.rating(&f)).unwrap();
        assert!(v.get("评价人").is_none());
        f.evaluator_phone = None;
        f.evaluator_id_no = Some("11010519491231002X".into());
        assert_eq!(
            Profile::NATIONAL.rating(&f).evaluator.as_deref(),
            Some("110***********002X")
        );
        f.evaluator_id_no = None;
        assert_eq!(Profile::NATIONAL.rating(&f).evaluator, None, "anonymous");
        f.case_no = None;
        assert_eq!(
            Profile::NATIONAL.rating(&f).case_no,
            "",
            "static QR: no case"
        );
    }

    #[test]
    fn the_division_code_is_the_nearest_six_digit_code() {
        assert_eq!(
            division_code(["EAST-HALL", "370302", "370300"]).as_deref(),
            Some("370302")
        );
        assert_eq!(division_code(["370302001"]).as_deref(), Some("370302001"));
        assert_eq!(division_code(["12345", "abc"]), None);
    }

    #[test]
    fn answers_read_as_delivered_retry_or_refused() {
        assert_eq!(outcome_of_status(200, ""), Outcome::Delivered);
        assert!(matches!(outcome_of_status(503, "busy"), Outcome::Retry(_)));
        assert!(matches!(outcome_of_status(429, ""), Outcome::Retry(_)));
        assert!(matches!(outcome_of_status(401, ""), Outcome::Retry(_)));
        assert!(matches!(outcome_of_status(422, "bad"), Outcome::Refused(_)));
        let keys = vec!["a".to_string(), "b".into(), "c".into()];
        let answer: BatchAnswer = serde_json::from_str(
            r#"{"results":[{"key":"b","ok":false,"error":"办件编号不存在"},{"key":"c","ok":false,"retry":true}]}"#,
        )
        .unwrap();
        assert_eq!(
            outcomes(&keys, &answer),
            vec![
                Outcome::Delivered,
                Outcome::Refused("办件编号不存在".into()),
                Outcome::Retry("refused".into())
            ]
        );
    }

    #[test]
    fn retries_back_off_and_end_in_a_dead_letter() {
        let p = RetryPolicy {
            base_ms: 1_000,
            cap_ms: 60_000,
            max_attempts: 5,
        };
        assert_eq!(p.after_failure(1, 0, 0), Next::RetryAt(500));
        assert_eq!(p.after_failure(1, 0, 1000), Next::RetryAt(1_000));
        assert_eq!(p.after_failure(3, 0, 1000), Next::RetryAt(4_000));
        assert_eq!(p.after_failure(5, 0, 0), Next::Dead);
        let capped = RetryPolicy {
            max_attempts: 100,
            ..p
        };
        assert_eq!(capped.after_failure(60, 0, 1000), Next::RetryAt(60_000));
    }

    #[test]
    fn a_forwarded_bad_rating_is_checked_and_keeps_one_id() {
        let r = InboundBadRating {
            upstream_id: "SD-2026-000123".into(),
            place_code: "HALL-DC".into(),
            window_code: None,
            satisfaction_code: 5,
            rated_at: "20261203T090507".into(),
            comment: "扫码评价：材料一次没讲清".into(),
            evaluator_phone: None,
        };
        let now = 1_796_259_907_000 + 60_000;
        let (level, at) = r.check(&Profile::NATIONAL, now).unwrap();
        assert_eq!((level, at), (Level::VeryDissatisfied, 1_796_259_907_000));
        assert_eq!(
            r.rating_id(at),
            r.clone().rating_id(at),
            "the same record, the same id"
        );
        let other = InboundBadRating {
            upstream_id: "SD-2026-000124".into(),
            ..r.clone()
        };
        assert_ne!(r.rating_id(at), other.rating_id(at));
        assert_eq!(r.rating_id(at).get_version_num(), 7);
        // Under the reversed profile 5 is 非常满意: not a bad rating.
        assert_eq!(
            r.check(&Profile::REVERSED_SEVEN, now),
            Err(InboundError::NotBad)
        );
        let bad = |f: fn(&mut InboundBadRating)| {
            let mut x = r.clone();
            f(&mut x);
            x.check(&Profile::NATIONAL, now).unwrap_err().code()
        };
        assert_eq!(bad(|x| x.upstream_id = "a b".into()), "upstream_id_invalid");
        assert_eq!(
            bad(|x| x.upstream_id = "x".repeat(65)),
            "upstream_id_invalid"
        );
        assert_eq!(
            bad(|x| x.satisfaction_code = 0),
            "satisfaction_code_invalid"
        );
        assert_eq!(bad(|x| x.satisfaction_code = 2), "not_a_bad_rating");
        assert_eq!(
            bad(|x| x.rated_at = "2026-12-03 09:05".into()),
            "rated_at_invalid"
        );
        assert_eq!(
            bad(|x| x.rated_at = "20260230T090000".into()),
            "rated_at_invalid"
        );
        assert_eq!(
            bad(|x| x.rated_at = "20261203T250000".into()),
            "rated_at_invalid"
        );
        assert_eq!(
            bad(|x| x.rated_at = "20271203T090507".into()),
            "rated_at_future"
        );
    }

    proptest! {
        #[test]
        fn the_compact_time_parses_back_to_its_second(ms in 0i64..4_000_000_000_000) {
            let s = compact_china_time(ms);
            prop_assert_eq!(parse_compact_china_time(&s), Some(ms - ms.rem_euclid(1000)));
        }

        #[test]
        fn a_retry_is_never_sooner_than_half_its_delay_nor_later_than_the_cap(
            attempts in 1u32..200, jitter in 0u16..=1000, now in 0i64..4_000_000_000_000,
        ) {
            let p = RetryPolicy::default();
            match p.after_failure(attempts, now, jitter) {
                Next::Dead => prop_assert!(attempts >= p.max_attempts),
                Next::RetryAt(at) => {
                    prop_assert!(attempts < p.max_attempts);
                    let exp = (p.base_ms << (attempts - 1).min(40)).min(p.cap_ms);
                    prop_assert!(at >= now + exp / 2 && at <= now + p.cap_ms);
                    prop_assert!(at > now);
                }
            }
        }

        #[test]
        fn the_compact_time_reads_back_as_the_same_second(ms in 0i64..4_000_000_000_000) {
            let s = compact_china_time(ms);
            prop_assert_eq!(s.len(), 15);
            prop_assert_eq!(&s[8..9], "T");
            let short = crate::time::china_time(ms);
            // `YYYY-MM-DD HH:mm` and `YYYYMMDDThhmm..` name the same minute.
            let same = format!("{}{}{}T{}{}", &short[0..4], &short[5..7], &short[8..10], &short[11..13], &short[14..16]);
            prop_assert_eq!(&s[..13], same.as_str());
            prop_assert_eq!(s[13..].parse::<i64>().unwrap(), (ms / 1000).rem_euclid(60));
        }
    }

    #[test]
    fn an_sms_template_escapes_every_value_and_must_give_json() {
        let t = r#"{"mobile":"{phone}","content":"{body}","outId":"{key}","n":{ignored"#;
        assert!(render_template(t, &[("phone", "1"), ("body", "x"), ("key", "k")]).is_err());
        let t = r#"{"mobile":"{phone}","content":"{body}","outId":"{key}"}"#;
        let body = "【市民之家】请评价：\"}],\"x\":\"{key}";
        let out = render_template(
            t,
            &[
                ("phone", "13912345678"),
                ("body", body),
                ("key", "hcp-sms-1"),
            ],
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["content"], body, "the value stays inside its string");
        assert_eq!(v["outId"], "hcp-sms-1");
        assert_eq!(v.as_object().unwrap().len(), 3);
        assert_eq!(
            render_template(r#"{"a":"{nope}"}"#, &[]),
            Err("unknown placeholder {nope}".into())
        );
    }

    #[test]
    fn the_providers_message_id_is_read_where_the_setting_points() {
        assert_eq!(
            message_id_at(r#"{"message_id":"m-1"}"#, "/message_id").as_deref(),
            Some("m-1")
        );
        assert_eq!(
            message_id_at(r#"{"data":{"bizId":12345}}"#, "/data/bizId").as_deref(),
            Some("12345")
        );
        assert_eq!(message_id_at(r#"{"data":{}}"#, "/data/bizId"), None);
        assert_eq!(message_id_at("OK", "/message_id"), None);
    }

    #[test]
    fn a_finished_case_goes_up_with_its_item_unit_and_times() {
        let start = crate::calendar::Date::parse("2026-12-03")
            .unwrap()
            .start_ms()
            + 3_600_000;
        let r = case_record(&CaseFacts {
            case_no: "SP-1".into(),
            service_code: Some("DC-RS-001".into()),
            service_name: Some("失业保险金申领".into()),
            department: Some("东城区人社局".into()),
            place: "东城区政务服务中心".into(),
            window: None,
            applicant_type: Some("organisation".into()),
            started_at: start,
            finished_at: start + 600_000,
            division: "410402".into(),
        });
        assert_eq!(r.applicant_type, "法人");
        assert_eq!(
            (r.started_at.as_str(), r.finished_at.as_str()),
            ("20261203T010000", "20261203T011000")
        );
        assert_eq!(r.window, "");
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["办件状态"], "办结");
        assert_eq!(v["事项编码"], "DC-RS-001");
    }
}
