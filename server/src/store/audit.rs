//! The audit history of edits (`audit_log`, issue 13 item 14): organisation
//! units, staff accounts, devices and cases, like the tickets' own
//! `ticket_events`. Each audited store method writes its line in the same
//! transaction as the change (`audit_line!`), with the entity's fields
//! before and after as small JSON objects read inside that transaction
//! (`*_snapshot!`). The snapshots are where the rule lives: they never
//! select a password hash, a token or an enrolment code, and show a phone
//! or ID number only masked (138****1234). Database triggers refuse UPDATE
//! and DELETE on both databases.

use domain::case::{mask_id_no, mask_phone};
use serde_json::{json, Value};

use super::{with_pool, Store, StoreError};

/// Who made a change, and when: the first columns of its audit line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditBy {
    /// The staff account; `None` for an integration, a device or the system.
    pub staff_id: Option<i64>,
    /// The account's username, the integration's source, `device:{code}`.
    pub label: String,
    pub at: i64,
}

impl AuditBy {
    /// A business system (its source) or a device: no staff account.
    pub fn system(label: impl Into<String>, at: i64) -> AuditBy {
        AuditBy {
            staff_id: None,
            label: label.into(),
            at,
        }
    }
}

/// How a case reached the server, which names its audit action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseVia {
    /// `POST /api/v1/cases` (a business system or an administrator).
    Push,
    /// `POST /api/v1/cases/import` (CSV).
    Import,
}

impl CaseVia {
    pub fn action(self, created: bool) -> &'static str {
        match (self, created) {
            (CaseVia::Push, true) => "push_create",
            (CaseVia::Push, false) => "push_update",
            (CaseVia::Import, true) => "import_create",
            (CaseVia::Import, false) => "import_update",
        }
    }
}

/// Appends one line to `audit_log` inside a transaction (both pools).
/// `$before` and `$after` are `Option<serde_json::Value>`.
macro_rules! audit_line {
    ($tx:expr, $by:expr, $entity:expr, $entity_id:expr, $action:expr, $before:expr, $after:expr) => {{
        let by: &$crate::store::AuditBy = $by;
        let before: Option<serde_json::Value> = $before;
        let after: Option<serde_json::Value> = $after;
        sqlx::query(
            "INSERT INTO audit_log (at, actor_staff_id, actor_label, entity, entity_id, action, before_json, after_json) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(by.at)
        .bind(by.staff_id)
        .bind(&by.label)
        .bind($entity)
        .bind(($entity_id).to_string())
        .bind($action)
        .bind(before.map(|v| v.to_string()))
        .bind(after.map(|v| v.to_string()))
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use audit_line;

/// Takes the write lock on the row a change is about to replace, before
/// its "before" snapshot is read (`$sql` is a no-op `UPDATE … SET active =
/// active WHERE key = $1`). On PostgreSQL the row is then locked against a
/// concurrent edit, so the snapshot is what the change replaces; on SQLite
/// the transaction is a writer from its first statement, so it waits for
/// another writer (busy timeout) instead of failing when one commits
/// between its read and its write.
macro_rules! lock_row {
    ($tx:expr, $sql:expr, $key:expr) => {{
        sqlx::query($sql).bind($key).execute(&mut *$tx).await?;
    }};
}
pub(crate) use lock_row;

pub(crate) const LOCK_STAFF: &str = "UPDATE staff SET active = active WHERE id = $1";
pub(crate) const LOCK_DEVICE: &str = "UPDATE devices SET active = active WHERE code = $1";

/// A staff account's fields as the audit log keeps them: no password hash,
/// phone and ID number masked.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct StaffAudit {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub place_code: Option<String>,
    pub window_code: Option<String>,
    pub department_code: Option<String>,
    pub active: bool,
    pub staff_no: Option<String>,
    pub photo_id: Option<String>,
    pub phone: Option<String>,
    pub id_no: Option<String>,
}

impl StaffAudit {
    pub fn json(&self) -> Value {
        json!({
            "username": self.username,
            "display_name": self.display_name,
            "role": self.role,
            "place_code": self.place_code,
            "window_code": self.window_code,
            "department_code": self.department_code,
            "active": self.active,
            "staff_no": self.staff_no,
            "photo_id": self.photo_id,
            "phone": self.phone.as_deref().map(mask_phone),
            "id_no": self.id_no.as_deref().map(mask_id_no),
        })
    }
}

pub(crate) const STAFF_AUDIT_SQL: &str =
    "SELECT s.username, s.display_name, s.role, p.code AS place_code, w.code AS window_code, \
            d.code AS department_code, s.active, s.staff_no, s.photo_id, s.phone, s.id_no \
     FROM staff s LEFT JOIN places p ON p.id = s.place_id LEFT JOIN windows w ON w.id = s.window_id \
     LEFT JOIN departments d ON d.id = s.department_id WHERE s.id = $1";

/// A staff account's audit snapshot inside a transaction.
macro_rules! staff_snapshot {
    ($tx:expr, $id:expr) => {{
        let row: Option<$crate::store::audit::StaffAudit> =
            sqlx::query_as($crate::store::audit::STAFF_AUDIT_SQL)
                .bind($id)
                .fetch_optional(&mut *$tx)
                .await?;
        row.map(|r| r.json())
    }};
}
pub(crate) use staff_snapshot;

/// A kiosk's or pad's fields as the audit log keeps them: no token, no
/// enrolment code (only whether one is waiting, and until when).
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DeviceAudit {
    pub code: String,
    pub kind: String,
    pub place_code: String,
    pub window_code: Option<String>,
    pub active: bool,
    pub voice: bool,
    pub enrolled_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub enrol_code_waiting: bool,
    pub enrol_expires_at: Option<i64>,
}

impl DeviceAudit {
    pub fn json(&self) -> Value {
        json!({
            "code": self.code,
            "kind": self.kind,
            "place_code": self.place_code,
            "window_code": self.window_code,
            "active": self.active,
            "voice": self.voice,
            "enrolled_at": self.enrolled_at,
            "revoked_at": self.revoked_at,
            "enrol_code_waiting": self.enrol_code_waiting,
            "enrol_expires_at": self.enrol_expires_at,
        })
    }
}

pub(crate) const DEVICE_AUDIT_SQL: &str =
    "SELECT d.code, d.kind, p.code AS place_code, w.code AS window_code, d.active, d.voice, \
            d.enrolled_at, d.revoked_at, (d.enrol_code_hash IS NOT NULL) AS enrol_code_waiting, d.enrol_expires_at \
     FROM devices d JOIN places p ON p.id = d.place_id LEFT JOIN windows w ON w.id = d.window_id \
     WHERE d.code = $1";

/// A device's audit snapshot (by device code) inside a transaction.
macro_rules! device_snapshot {
    ($tx:expr, $code:expr) => {{
        let row: Option<$crate::store::audit::DeviceAudit> =
            sqlx::query_as($crate::store::audit::DEVICE_AUDIT_SQL)
                .bind($code)
                .fetch_optional(&mut *$tx)
                .await?;
        row.map(|r| r.json())
    }};
}
pub(crate) use device_snapshot;

/// A case's fields as the audit log keeps them: the applicant's phone and
/// ID number masked.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct CaseAudit {
    pub source: String,
    pub case_no: String,
    pub place_code: String,
    pub window_code: Option<String>,
    pub service_item_code: Option<String>,
    pub staff_username: Option<String>,
    pub status: String,
    pub stages: bool,
    pub applicant_phone: Option<String>,
    pub applicant_id_no: Option<String>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

impl CaseAudit {
    pub fn json(&self) -> Value {
        json!({
            "source": self.source,
            "case_no": self.case_no,
            "place_code": self.place_code,
            "window_code": self.window_code,
            "service_item_code": self.service_item_code,
            "staff_username": self.staff_username,
            "status": self.status,
            "stages": self.stages,
            "applicant_phone": self.applicant_phone.as_deref().map(mask_phone),
            "applicant_id_no": self.applicant_id_no.as_deref().map(mask_id_no),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        })
    }
}

pub(crate) const CASE_AUDIT_SQL: &str =
    "SELECT c.source, c.case_no, p.code AS place_code, w.code AS window_code, si.code AS service_item_code, \
            st.username AS staff_username, c.status, c.stages, c.applicant_phone, c.applicant_id_no, \
            c.started_at, c.finished_at \
     FROM cases c JOIN places p ON p.id = c.place_id LEFT JOIN windows w ON w.id = c.window_id \
     LEFT JOIN service_items si ON si.id = c.service_item_id LEFT JOIN staff st ON st.id = c.staff_id \
     WHERE c.id = $1";

/// A case's audit snapshot inside a transaction.
macro_rules! case_snapshot {
    ($tx:expr, $id:expr) => {{
        let row: Option<$crate::store::audit::CaseAudit> =
            sqlx::query_as($crate::store::audit::CASE_AUDIT_SQL)
                .bind($id)
                .fetch_optional(&mut *$tx)
                .await?;
        row.map(|r| r.json())
    }};
}
pub(crate) use case_snapshot;

/// One stored line of `audit_log`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub actor_staff_id: Option<i64>,
    pub actor_label: String,
    pub entity: String,
    pub entity_id: String,
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

/// The most lines one read returns.
pub const AUDIT_MAX_LIMIT: i64 = 1000;

impl Store {
    /// The newest lines first, of one kind of entity and/or one entity
    /// (the route checks `entity` against `AUDIT_ENTITIES`).
    pub async fn audit_lines(
        &self,
        entity: Option<&str>,
        entity_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditRow>, StoreError> {
        let limit = limit.clamp(1, AUDIT_MAX_LIMIT);
        with_pool!(self, pool => Ok(sqlx::query_as::<_, AuditRow>(
            "SELECT id, at, actor_staff_id, actor_label, entity, entity_id, action, before_json, after_json \
             FROM audit_log WHERE ($1 IS NULL OR entity = $1) AND ($2 IS NULL OR entity_id = $2) \
             ORDER BY at DESC, id DESC LIMIT $3")
            .bind(entity).bind(entity_id).bind(limit)
            .fetch_all(pool).await?))
    }
}
