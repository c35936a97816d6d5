//! The bad-rating closed loop (整改闭环), `/api/v1/loop/…`.

use domain::rectify::Action;
use domain::rectify::ActionKind;
use domain::rectify::GroupKey;
use domain::rectify::Outcome;
use domain::rectify::Overdue;
use domain::rectify::Status as TicketStatus;
use domain::rectify::Verdict;
use domain::Channel;
use domain::Level;
use domain::ReasonTag;
use serde::Deserialize;
use serde::Serialize;
use uuid::Uuid;

/// One bad rating's ticket, as unit admins and supervisors see it. The
/// evaluator's phone is only ever masked here; the full number comes from
/// `POST /api/v1/loop/tickets/{id}/reveal`, which is logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketView {
    pub id: i64,
    pub rating_id: Uuid,
    pub status: TicketStatus,
    pub level: Level,
    pub channel: Channel,
    pub opened_at: i64,
    pub place_name: String,
    pub window_name: Option<String>,
    pub department_name: Option<String>,
    pub service_item_name: Option<String>,
    pub case_no: Option<String>,
    pub reasons: Vec<ReasonTag>,
    pub comment: String,
    pub contact_due: i64,
    pub appeal_due: i64,
    pub rectify_due: Option<i64>,
    /// The next deadline falls in a year whose holidays are not entered:
    /// it was counted with weekends only.
    #[serde(default)]
    pub beyond_calendar: bool,
    /// The deadline being worked against now, if any.
    pub next_due: Option<i64>,
    pub overdue: Option<Overdue>,
    pub verdict: Option<Verdict>,
    pub proposed: Option<Verdict>,
    pub requested_due: Option<i64>,
    pub outcome: Option<Outcome>,
    pub description: Option<String>,
    pub archived_at: Option<i64>,
    pub on_time: Option<bool>,
    pub spot_check: Option<bool>,
    /// The citizen's re-rating of the rectification.
    pub feedback_level: Option<Level>,
    pub closed_at: Option<i64>,
    pub common_id: Option<i64>,
    pub has_phone: bool,
    /// Routed through the 12345 hotline: it contacts, verifies and
    /// collects the re-rating; the unit rectifies.
    #[serde(default)]
    pub via_hotline: bool,
    /// 138****1234.
    pub phone_masked: Option<String>,
    /// The steps the caller may take now.
    pub possible: Vec<ActionKind>,
}

/// `GET /api/v1/loop/tickets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketList {
    /// One page, newest first.
    pub tickets: Vec<TicketView>,
    /// Tickets matching the filter, over all pages.
    #[serde(default)]
    pub matching: i64,
    /// Where this page starts.
    #[serde(default)]
    pub offset: i64,
    /// Not closed and not excluded.
    pub open: i64,
    pub overdue: i64,
    /// Archived, and of those archived before their deadline (按期整改).
    pub archived: i64,
    pub on_time: i64,
    /// 整改满意率 (%): re-ratings that are not bad over all re-ratings;
    /// `None` before the first re-rating.
    pub satisfaction: Option<f64>,
}

/// One line of a ticket's audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketEvent {
    pub at: i64,
    /// Display name; 评价人 for the citizen, 系统 for the system.
    pub actor: String,
    pub actor_role: String,
    /// An [`ActionKind`] code, or `open`, `reveal_phone`, `evidence`, `feedback_sent`.
    pub action: String,
    pub from_status: Option<TicketStatus>,
    pub to_status: Option<TicketStatus>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EvidenceView {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    /// `archive` or `appeal`.
    pub purpose: String,
    pub uploaded_at: i64,
}

/// `GET /api/v1/loop/tickets/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketDetail {
    pub ticket: TicketView,
    pub events: Vec<TicketEvent>,
    pub evidence: Vec<EvidenceView>,
}

/// `POST /api/v1/loop/tickets/{id}/steps`: one step and its note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StepRequest {
    #[serde(flatten)]
    pub action: Action,
    #[serde(default)]
    pub note: String,
}

/// `POST /api/v1/loop/tickets/{id}/reveal` (logged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Revealed {
    pub phone: Option<String>,
    pub id_no: Option<String>,
}

/// Pushed on `GET /api/v1/loop/events` (server-sent events, event `ticket`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketPush {
    pub id: i64,
    pub level: Level,
    pub place_name: String,
    pub window_name: Option<String>,
}

/// What the rated window's staff see of their bad ratings: the outcome,
/// never who rated (no phone, no ID, no rating id to look it up by).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MyTicketView {
    pub id: i64,
    pub status: TicketStatus,
    pub level: Level,
    /// The day only (China time): an exact time would point at the
    /// applicant the clerk had just served.
    pub opened_on: String,
    pub reasons: Vec<ReasonTag>,
    /// The citizen's words with numbers and names blanked
    /// (`domain::privacy::redact`), as is the description.
    pub comment: String,
    pub verdict: Option<Verdict>,
    pub outcome: Option<Outcome>,
    pub description: Option<String>,
    pub closed_on: Option<String>,
}

/// `GET /api/v1/loop/sample`: the supervisor's spot-check sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SampleView {
    pub from: String,
    pub to: String,
    pub percent: u32,
    /// Archived rectifications in the period.
    pub archived: i64,
    pub tickets: Vec<TicketView>,
}

/// A suggested common problem (共性问题).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommonGroup {
    pub key: GroupKey,
    /// 窗口：…, 事项：…, 原因：….
    pub label: String,
    pub ticket_ids: Vec<i64>,
}

/// `POST /api/v1/loop/common`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewCommon {
    pub key: GroupKey,
    pub title: String,
    pub ticket_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommonView {
    pub id: i64,
    pub title: String,
    pub key: GroupKey,
    pub ticket_ids: Vec<i64>,
}

/// `GET /api/v1/loop/common`: suggestions and what exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommonOverview {
    pub suggested: Vec<CommonGroup>,
    pub existing: Vec<CommonView>,
}

/// `POST /api/v1/loop/common/{id}/archive`: one rectification for all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommonArchive {
    pub outcome: Outcome,
    pub note: String,
}

/// How a batch step went, ticket by ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommonArchiveResult {
    pub archived: Vec<i64>,
    /// Tickets not in a state to archive, with why.
    pub skipped: Vec<(i64, String)>,
}
