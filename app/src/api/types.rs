//! The JSON bodies of `/api/v1`, shared by the server and the browser.
//! `docs/api.md` describes the protocol.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use domain::case::{RatingKind, RealName, Stage};
pub use domain::report::{CellKind, Report, ReportColumn, ReportEntry, ReportRow};
use domain::sync::ItemStatus;
use domain::{Channel, Level, RatingRecord, ReasonTag};

/// Every error body: a stable code, Chinese first, English available.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub message_en: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorResponse {
    pub error: ErrorBody,
    /// Per-item answers, when the error is about some items of a batch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub results: Vec<ItemResult>,
}

/// `POST /api/v1/sync`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncRequest {
    pub device_id: Uuid,
    /// The device's clock when it sent the batch (ms since the epoch).
    pub sent_at: i64,
    pub items: Vec<RatingRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemResult {
    /// Position in the batch.
    pub index: usize,
    /// `None` only when the item's id itself could not be read.
    pub id: Option<Uuid>,
    pub status: ItemStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
    /// For a stored item: first rating, or 追加评价 of a case already rated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<RatingKind>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncResponse {
    pub server_time: i64,
    pub results: Vec<ItemResult>,
}

/// `GET /api/v1/devices/{code}`: what a kiosk needs to work offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceConfig {
    pub device_id: Uuid,
    pub code: String,
    pub kind: String,
    pub place_id: i64,
    pub place_name: String,
    pub window_id: Option<i64>,
    pub dimension_set: String,
    /// Recorded voice prompts on (kiosks and pads; set per device by the
    /// administrator). Absent in configurations cached before it existed.
    #[serde(default)]
    pub voice: bool,
}

/// `POST /api/v1/devices/enrol`: a device trades its one-time code for a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub device_code: String,
    pub enrol_code: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolResponse {
    /// Sent as `Authorization: Bearer` on every device request.
    pub token: String,
    pub config: DeviceConfig,
}

/// What a phone or PC page needs to rate: from a static QR code
/// (`GET /api/v1/rate/place/{place}[/{window}]`) or a case link
/// (`GET /api/v1/rate/link/{token}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateConfig {
    pub device: DeviceConfig,
    pub channel: Channel,
    pub window_name: Option<String>,
    pub case_no: Option<String>,
    pub service_name: Option<String>,
    /// Stages the citizen may rate apart (empty: the case as a whole).
    pub stages: Vec<Stage>,
    pub link: Option<String>,
    /// The link was used already: a rating now is a 追加评价.
    pub link_used: bool,
    pub real_name: RealName,
}

/// One case from a business system (`POST /api/v1/cases`) or a CSV row.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseIn {
    pub case_no: String,
    pub place_code: String,
    #[serde(default)]
    pub window_code: Option<String>,
    #[serde(default)]
    pub service_item_code: Option<String>,
    #[serde(default)]
    pub staff_username: Option<String>,
    /// `in_service` or `finished`.
    pub status: String,
    #[serde(default)]
    pub stages: bool,
    #[serde(default)]
    pub applicant_phone: Option<String>,
    #[serde(default)]
    pub applicant_id_no: Option<String>,
    /// `person` (自然人) or `organisation` (法人或其他组织).
    #[serde(default)]
    pub applicant_type: Option<String>,
    #[serde(default)]
    pub started_at: Option<i64>,
    #[serde(default)]
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CasesRequest {
    pub cases: Vec<serde_json::Value>,
}

/// Per case: `created`, `updated`, `unchanged` or `rejected` (with the error).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub index: usize,
    pub case_no: Option<String>,
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorBody>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CasesResponse {
    pub results: Vec<CaseResult>,
}

/// `POST /api/v1/cases/import` (CSV): good rows kept, bad rows listed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportReport {
    pub rows: usize,
    pub imported: usize,
    pub errors: Vec<RowError>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: usize,
    pub case_no: String,
    pub message: String,
    pub message_en: String,
}

/// A link to rate one case (`POST /api/v1/cases/{id}/links`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkRequest {
    pub channel: Channel,
    #[serde(default)]
    pub stage: Option<Stage>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkResponse {
    pub token: String,
    /// Path on this server, e.g. `/r/<token>`.
    pub path: String,
}

/// Window staff start serving a citizen (开始服务).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct StartService {
    #[serde(default)]
    pub case_no: Option<String>,
    #[serde(default)]
    pub service_item_code: Option<String>,
    #[serde(default)]
    pub applicant_phone: Option<String>,
}

/// A case as window staff see it: never the applicant's phone or ID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseView {
    pub id: i64,
    pub case_no: String,
    pub status: String,
    pub service_name: Option<String>,
    pub window_name: Option<String>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartedService {
    pub case: CaseView,
    /// The window's pad is connected: the case is on its screen now.
    pub pad_online: bool,
    /// When the pad is not connected: a per-case link to show as a QR code.
    pub qr_path: Option<String>,
}

/// Pushed to a window pad (server-sent events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PadEvent {
    /// 开始服务: a citizen is being served; the pad shows who serves them
    /// and the case (no rating yet).
    Serving(PadCase),
    /// 办结: rate this case. The prompt stays until the citizen rates or
    /// the clerk starts the next case.
    Rate(PadCase),
    /// Nothing in service and nothing to rate: the welcome screen.
    Idle,
}

/// The case on a window pad and the clerk serving it (shown to the
/// citizen, as on the window's 公示牌).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PadCase {
    pub case_id: i64,
    pub case_no: String,
    pub service_name: Option<String>,
    pub window_name: Option<String>,
    pub staff_name: Option<String>,
    /// 工号
    pub staff_no: Option<String>,
    /// `/api/v1/photos/{id}` when the clerk's photo was uploaded.
    pub photo_url: Option<String>,
}

/// A device as administrators see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceView {
    pub code: String,
    pub kind: String,
    pub place_name: String,
    pub window_name: Option<String>,
    /// `waiting` (no token yet), `enrolled` or `revoked`.
    pub state: String,
    pub enrolled_at: Option<i64>,
    /// When the device last spoke to the server (config, sync, pad stream).
    #[serde(default)]
    pub last_seen_at: Option<i64>,
    /// Recorded voice prompts on.
    #[serde(default)]
    pub voice: bool,
}

/// An enrolled kiosk or pad not heard from for this long is flagged.
pub const DEVICE_SILENT_MS: i64 = 24 * 3_600_000;

impl DeviceView {
    /// Enrolled, but silent for more than a day (or never heard from since
    /// enrolment a day ago): staff should look at it.
    pub fn silent(&self, now: i64) -> bool {
        self.state == "enrolled"
            && self
                .last_seen_at
                .or(self.enrolled_at)
                .is_some_and(|t| now - t > DEVICE_SILENT_MS)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisterDevice {
    pub code: String,
    /// `kiosk` or `window_pad`.
    pub kind: String,
    pub place_code: String,
    #[serde(default)]
    pub window_code: Option<String>,
    /// The dimension set its ratings offer (`catalog::DIMENSION_SETS`);
    /// the default set when absent.
    #[serde(default)]
    pub dimension_set: Option<String>,
}

/// A one-time enrolment code, shown once to the administrator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolmentCode {
    pub device_code: String,
    pub enrol_code: String,
    pub expires_at: i64,
    /// Page the device opens to enrol (also shown as a QR code).
    pub path: String,
}

/// A paper form or phone call typed in by staff (`POST /api/v1/staff/entries`).
#[derive(Debug, Clone, Serialize, Deserialize)]
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
pub struct EntryResult {
    pub id: Uuid,
    pub status: ItemStatus,
    pub kind: Option<RatingKind>,
}

/// One message of the default SMS gateway's outbox (admins only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxMessage {
    pub id: i64,
    pub case_id: Option<i64>,
    pub phone: String,
    pub body: String,
    pub purpose: String,
    pub created_at: i64,
}

/// What a jobs run did (`POST /api/v1/admin/jobs/run`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobsReport {
    pub default_ratings: usize,
    pub reminders: usize,
    /// Bad ratings that had no ticket yet (normally none: sync opens them).
    #[serde(default)]
    pub tickets_opened: usize,
    /// SMS invitations that waited for a pad rating which did not come.
    #[serde(default)]
    pub invitations: usize,
    /// SMS notices to unit administrators.
    #[serde(default)]
    pub notices: usize,
}

/// `GET/PUT /api/v1/staff/settings`: the signed-in account's own settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffSettings {
    /// Where SMS notices go (unit administrators).
    pub phone: Option<String>,
    pub notify: domain::notice::NotifyMode,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// The signed-in staff member, with the token every unsafe request must echo
/// in the `X-CSRF-Token` header.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
pub struct SuggestionList {
    pub counts: Vec<TopicCount>,
    pub items: Vec<SuggestionView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TopicCount {
    pub topic: domain::suggestion::Topic,
    pub label: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuggestionView {
    pub topic: domain::suggestion::Topic,
    pub rating: RatingView,
}

/// A rating as staff see it. It carries no evaluator identity by construction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
pub struct Summary {
    pub ratings: i64,
    pub bad: i64,
}

// ---- The bad-rating closed loop (整改闭环), `/api/v1/loop/…` ----

use domain::calendar::SpecialDay;
use domain::rectify::{
    Action, ActionKind, GroupKey, Outcome, Overdue, Status as TicketStatus, Verdict,
};

/// One bad rating's ticket, as unit admins and supervisors see it. The
/// evaluator's phone is only ever masked here; the full number comes from
/// `POST /api/v1/loop/tickets/{id}/reveal`, which is logged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
    /// 138****1234.
    pub phone_masked: Option<String>,
    /// The steps the caller may take now.
    pub possible: Vec<ActionKind>,
}

/// `GET /api/v1/loop/tickets`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// What the audit history of edits covers (`GET /api/v1/admin/audit?entity=`):
/// the six organisation unit types, staff accounts, devices and cases.
pub const AUDIT_ENTITIES: [&str; 9] = [
    "region",
    "department",
    "place",
    "window",
    "service_item",
    "provider",
    "staff",
    "device",
    "case",
];

/// One line of the audit history of edits (`GET /api/v1/admin/audit`),
/// newest first. Append-only; `before` and `after` are the entity's fields
/// as small JSON objects, with no password hash, token or enrolment code,
/// and phone and ID numbers masked (138****1234).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    /// When, epoch milliseconds.
    pub at: i64,
    /// The staff account; `None` for an integration, a device or the system.
    pub actor_staff_id: Option<i64>,
    /// The account's username, a business system's source (`yth`), or
    /// `device:{code}` for a device's own enrolment.
    pub actor_label: String,
    /// One of [`AUDIT_ENTITIES`].
    pub entity: String,
    /// The unit's, account's or case's id; a device's code.
    pub entity_id: String,
    /// `create`, `update`, `activate`, `deactivate`, `photo`; `register`,
    /// `enrolment_code`, `enrol`, `revoke`, `voice`; `push_create`,
    /// `push_update`, `import_create`, `import_update`.
    pub action: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// One line of a ticket's audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
pub struct TicketDetail {
    pub ticket: TicketView,
    pub events: Vec<TicketEvent>,
    pub evidence: Vec<EvidenceView>,
}

/// `POST /api/v1/loop/tickets/{id}/steps`: one step and its note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRequest {
    #[serde(flatten)]
    pub action: Action,
    #[serde(default)]
    pub note: String,
}

/// `POST /api/v1/loop/tickets/{id}/reveal` (logged).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revealed {
    pub phone: Option<String>,
    pub id_no: Option<String>,
}

/// Pushed on `GET /api/v1/loop/events` (server-sent events, event `ticket`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketPush {
    pub id: i64,
    pub level: Level,
    pub place_name: String,
    pub window_name: Option<String>,
}

/// What the rated window's staff see of their bad ratings: the outcome,
/// never who rated (no phone, no ID, no rating id to look it up by).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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
pub struct CommonGroup {
    pub key: GroupKey,
    /// 窗口：…, 事项：…, 原因：….
    pub label: String,
    pub ticket_ids: Vec<i64>,
}

/// `POST /api/v1/loop/common`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewCommon {
    pub key: GroupKey,
    pub title: String,
    pub ticket_ids: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommonView {
    pub id: i64,
    pub title: String,
    pub key: GroupKey,
    pub ticket_ids: Vec<i64>,
}

/// `GET /api/v1/loop/common`: suggestions and what exists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommonOverview {
    pub suggested: Vec<CommonGroup>,
    pub existing: Vec<CommonView>,
}

/// `POST /api/v1/loop/common/{id}/archive`: one rectification for all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommonArchive {
    pub outcome: Outcome,
    pub note: String,
}

/// How a batch step went, ticket by ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommonArchiveResult {
    pub archived: Vec<i64>,
    /// Tickets not in a state to archive, with why.
    pub skipped: Vec<(i64, String)>,
}

/// `GET /api/v1/admin/calendar?year=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarYear {
    pub year: i32,
    pub days: Vec<SpecialDay>,
}

/// `GET /api/v1/feedback/{token}`: what the citizen is asked to rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackView {
    pub place_name: String,
    pub window_name: Option<String>,
    pub opened_at: i64,
    pub outcome: Option<Outcome>,
    pub description: String,
    /// Already rated through this link.
    pub used: bool,
}

/// `POST /api/v1/feedback/{token}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedbackSubmit {
    pub level: Level,
    #[serde(default)]
    pub comment: String,
}

/// A rating flagged as possible misuse, as the review screen shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagView {
    pub rating_id: String,
    pub rated_at: i64,
    pub channel: Channel,
    pub level: Level,
    pub place_name: String,
    pub window_name: Option<String>,
    pub device_code: String,
    /// Masked (138****5678).
    pub evaluator_phone: Option<String>,
    /// `self_evaluation`, `batch_phone`, `device_burst`.
    pub reasons: Vec<String>,
    /// The reasons in Chinese, with what was seen.
    pub detail: String,
    pub flagged_at: i64,
    /// `None` until reviewed; then `genuine` or `fraud`.
    pub verdict: Option<String>,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<i64>,
    pub review_note: Option<String>,
}

/// `GET /api/v1/flags?status=pending|reviewed`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlagList {
    pub flags: Vec<FlagView>,
    pub pending: u64,
}

/// `POST /api/v1/flags/review`: a supervisor's decision on flagged ratings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagReview {
    pub rating_ids: Vec<String>,
    /// `genuine` (counted again) or `fraud` (stays out of every figure).
    pub verdict: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagReviewResult {
    pub reviewed: u64,
}
