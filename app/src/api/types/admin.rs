//! Administration: jobs, the SMS outbox, the audit history and the calendar.

use domain::calendar::SpecialDay;
use serde::Deserialize;
use serde::Serialize;

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

/// `GET /api/v1/admin/calendar?year=`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalendarYear {
    pub year: i32,
    pub days: Vec<SpecialDay>,
}

/// One organisation unit as the organisation page lists it
/// (`GET /api/v1/admin/org/{type}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct Poster {
    pub place_name: String,
    pub window_name: Option<String>,
    pub path: String,
}
