//! Administration: jobs, the SMS outbox, the audit history and the calendar.

use domain::calendar::SpecialDay;
use serde::Deserialize;
use serde::Serialize;

/// One message of the default SMS gateway's outbox (admins only).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OutboxMessage {
    pub id: i64,
    pub case_id: Option<i64>,
    pub phone: String,
    pub body: String,
    pub purpose: String,
    pub created_at: i64,
    /// With an HTTP SMS gateway: `sent` (the gateway took it),
    /// `delivered` or `failed` (its delivery receipt); absent otherwise.
    #[serde(default)]
    pub delivery: Option<String>,
    #[serde(default)]
    pub delivery_at: Option<i64>,
    /// The gateway's id of the message.
    #[serde(default)]
    pub provider_id: Option<String>,
}

/// What a jobs run did (`POST /api/v1/admin/jobs/run`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
    /// Month partitions of ratings made ahead (PostgreSQL; none on SQLite).
    #[serde(default)]
    pub rating_months: usize,
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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

/// `GET /api/v1/admin/calendar?year=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CalendarYear {
    pub year: i32,
    pub days: Vec<SpecialDay>,
}

/// One organisation unit as the organisation page lists it
/// (`GET /api/v1/admin/org/{type}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrgRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub kind: Option<String>,
    pub department_code: Option<String>,
    pub active: bool,
}

/// One staff account (`GET /api/v1/admin/staff`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffAccount {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub place_code: Option<String>,
    pub window_code: Option<String>,
    pub department_code: Option<String>,
    pub active: bool,
    #[serde(default)]
    pub staff_no: Option<String>,
    #[serde(default)]
    pub photo_id: Option<String>,
}

/// A staff account as the form sends it (`POST /api/v1/admin/staff`,
/// `PUT /api/v1/admin/staff/{id}`); a blank password keeps the old one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffAccountInput {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub place_code: String,
    pub window_code: String,
    pub department_code: String,
    pub password: String,
    pub staff_no: String,
}

/// One printable QR poster (`GET /api/v1/admin/posters`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Poster {
    pub place_name: String,
    pub window_name: Option<String>,
    pub path: String,
}

/// The upstream deliveries (`GET /api/v1/admin/upstream`): one entry per
/// destination this deployment has queued for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UpstreamStatus {
    pub destinations: Vec<DestinationStatus>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DestinationStatus {
    /// `province`.
    pub name: String,
    /// 省好差评平台.
    pub label_zh: String,
    pub label_en: String,
    /// This server has the destination's settings (its address, credentials).
    pub configured: bool,
    /// New records are queued for it.
    pub enabled: bool,
    /// Queued but not sent (`HCP_PROVINCE_PAUSED`).
    pub paused: bool,
    /// Where it sends, without credentials.
    pub url: Option<String>,
    pub pending: i64,
    /// When the oldest record still waiting was queued.
    pub oldest_pending_at: Option<i64>,
    /// Sent since midnight, China time.
    pub sent_today: i64,
    pub dead: i64,
    /// The newest dead letters, with their last error.
    pub dead_letters: Vec<DeadLetterView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DeadLetterView {
    pub id: i64,
    /// `rating` or `rectify`.
    pub kind: String,
    /// The rating id, or the ticket id of a rectification step.
    pub ref_id: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: i64,
}

/// `POST /api/v1/admin/upstream/{name}/requeue`: dead letters back to the
/// queue: those listed, or (`ids` absent) all of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RequeueRequest {
    #[serde(default)]
    pub ids: Option<Vec<i64>>,
}

/// How many records a requeue or retry moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RequeueResult {
    pub moved: u64,
}
