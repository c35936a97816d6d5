//! Staff sessions, settings, entered forms and the inbox.

use domain::case::RatingKind;
use domain::case::Stage;
use domain::sync::ItemStatus;
use domain::Channel;
use domain::Level;
use domain::ReasonTag;
use serde::Deserialize;
use serde::Serialize;
use uuid::Uuid;

/// A paper form or phone call typed in by staff (`POST /api/v1/staff/entries`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StaffEntry {
    /// Made by the entry page, so a retried submission is stored once.
    pub id: Uuid,
    pub channel: Channel,
    pub level: Level,
    #[serde(default)]
    pub case_no: Option<String>,
    #[serde(default)]
    pub window_code: Option<String>,
    #[serde(default)]
    pub reasons: Vec<ReasonTag>,
    #[serde(default)]
    pub comment: String,
    #[serde(default)]
    pub evaluator_phone: Option<String>,
    /// 自然人 or 法人或其他组织, as the form or the caller said.
    #[serde(default)]
    pub evaluator_type: Option<domain::case::EvaluatorType>,
    /// When the citizen rated (the form's date), ms since the epoch.
    #[serde(default)]
    pub rated_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EntryResult {
    pub id: Uuid,
    pub status: ItemStatus,
    pub kind: Option<RatingKind>,
}

/// `GET/PUT /api/v1/staff/settings`: the signed-in account's own settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffSettings {
    /// Where SMS notices go (unit administrators).
    pub phone: Option<String>,
    pub notify: domain::notice::NotifyMode,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// The signed-in staff member, with the token every unsafe request must echo
/// in the `X-CSRF-Token` header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffSession {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub unit_name: String,
    pub csrf_token: String,
    /// For system admins: the year whose holidays and 调休 days must be
    /// entered now (`Calendar::missing_year`); every staff page warns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar_missing_year: Option<i32>,
}

/// `GET /api/v1/staff/suggestions`: comments given with ratings that are
/// not bad, newest first, each with its topic, and how many per topic
/// (seed 001 三(四): 对好评建议进行分类分析).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SuggestionList {
    pub counts: Vec<TopicCount>,
    pub items: Vec<SuggestionView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TopicCount {
    pub topic: domain::suggestion::Topic,
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SuggestionView {
    pub topic: domain::suggestion::Topic,
    pub rating: RatingView,
}

/// A rating as staff see it. It carries no evaluator identity by construction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RatingView {
    pub id: Uuid,
    pub rated_at: i64,
    pub received_at: i64,
    pub channel: Channel,
    pub level: Level,
    pub place_name: String,
    pub window_name: Option<String>,
    pub case_no: Option<String>,
    pub reasons: Vec<ReasonTag>,
    pub comment: String,
    pub kind: RatingKind,
    pub stage: Option<Stage>,
    /// False for 系统默认.
    pub proactive: bool,
    /// Who typed it in, for paper forms and phone calls.
    pub entered_by: Option<String>,
    /// Always masked (138****1234); the whole number only through a
    /// ticket's logged reveal. Window staff never get these fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluator_phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluator_id_no: Option<String>,
}

/// `GET /api/v1/staff/summary`: counts in the caller's scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Summary {
    pub ratings: i64,
    pub bad: i64,
}

/// `POST /api/v1/staff/password`: every session of the account ends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
}
