//! Organisation admin queries: one list / insert / update / deactivate per
//! unit type, with parents found by code. Units are never deleted. Every
//! change and its `audit_log` line are one transaction.

use super::BeginWrite;
use domain::org::OrgType;

use super::audit::{audit_line, lock_row, staff_snapshot, LOCK_STAFF};
use super::{with_pool, AuditBy, NewStaff, Store, StoreError};

#[derive(
    Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, PartialEq, utoipa::ToSchema,
)]
pub struct OrgRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    pub kind: Option<String>,
    pub department_code: Option<String>,
    pub active: bool,
}

/// A unit with its references resolved to ids.
pub struct OrgWrite<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub parent_id: Option<i64>,
    pub kind: Option<&'a str>,
    pub department_id: Option<i64>,
}

/// Every unit of a type, with its parent's and department's codes.
fn select_sql(t: OrgType) -> &'static str {
    match t {
        OrgType::Region => "SELECT r.id, r.code, r.name, p.code AS parent_code, r.level AS kind, NULL AS department_code, r.active \
            FROM regions r LEFT JOIN regions p ON p.id = r.parent_id",
        OrgType::Department => "SELECT d.id, d.code, d.name, r.code AS parent_code, NULL AS kind, NULL AS department_code, d.active \
            FROM departments d JOIN regions r ON r.id = d.region_id",
        OrgType::Place => "SELECT p.id, p.code, p.name, r.code AS parent_code, p.kind, NULL AS department_code, p.active \
            FROM places p JOIN regions r ON r.id = p.region_id",
        OrgType::Window => "SELECT w.id, w.code, w.name, p.code AS parent_code, NULL AS kind, d.code AS department_code, w.active \
            FROM windows w JOIN places p ON p.id = w.place_id LEFT JOIN departments d ON d.id = w.department_id",
        OrgType::ServiceItem => "SELECT s.id, s.code, s.name, d.code AS parent_code, NULL AS kind, NULL AS department_code, s.active \
            FROM service_items s JOIN departments d ON d.id = s.department_id",
        OrgType::Provider => "SELECT v.id, v.code, v.name, r.code AS parent_code, v.kind, NULL AS department_code, v.active \
            FROM providers v JOIN regions r ON r.id = v.region_id",
    }
}

fn list_sql(t: OrgType) -> String {
    let order = match t {
        OrgType::Region => "r.code",
        OrgType::Department => "d.code",
        OrgType::Place => "p.code",
        OrgType::Window => "p.code, w.code",
        OrgType::ServiceItem => "s.code",
        OrgType::Provider => "v.code",
    };
    format!("{} ORDER BY {order}", select_sql(t))
}

/// One unit by id: what its audit lines show before and after a change.
fn one_sql(t: OrgType) -> String {
    let alias = match t {
        OrgType::Region => "r",
        OrgType::Department => "d",
        OrgType::Place => "p",
        OrgType::Window => "w",
        OrgType::ServiceItem => "s",
        OrgType::Provider => "v",
    };
    format!("{} WHERE {alias}.id = $1", select_sql(t))
}

/// A unit's audit snapshot inside a transaction.
macro_rules! org_snapshot {
    ($tx:expr, $t:expr, $id:expr) => {{
        let row: Option<OrgRow> = sqlx::query_as(&one_sql($t))
            .bind($id)
            .fetch_optional(&mut *$tx)
            .await?;
        row.map(|r| serde_json::to_value(r).unwrap_or_default())
    }};
}

fn table(t: OrgType) -> &'static str {
    match t {
        OrgType::Region => "regions",
        OrgType::Department => "departments",
        OrgType::Place => "places",
        OrgType::Window => "windows",
        OrgType::ServiceItem => "service_items",
        OrgType::Provider => "providers",
    }
}

/// The no-op write that locks one unit first (`audit::lock_row!`).
fn lock_sql(t: OrgType) -> String {
    format!("UPDATE {} SET active = active WHERE id = $1", table(t))
}

impl Store {
    pub async fn org_list(&self, t: OrgType) -> Result<Vec<OrgRow>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, OrgRow>(&list_sql(t)).fetch_all(pool).await?))
    }

    /// (id, level) of a region by code.
    pub async fn region_by_code(&self, code: &str) -> Result<Option<(i64, String)>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as("SELECT id, level FROM regions WHERE code = $1")
            .bind(code).fetch_optional(pool).await?))
    }

    pub async fn department_by_code(&self, code: &str) -> Result<Option<i64>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar("SELECT id FROM departments WHERE code = $1")
            .bind(code).fetch_optional(pool).await?))
    }

    /// Creates a unit and its audit line (`create`).
    pub async fn org_insert(
        &self,
        t: OrgType,
        w: &OrgWrite<'_>,
        by: &AuditBy,
    ) -> Result<i64, StoreError> {
        let sql = match t {
            OrgType::Region => "INSERT INTO regions (code, name, parent_id, level) VALUES ($1, $2, $3, $4) RETURNING id",
            OrgType::Department => "INSERT INTO departments (code, name, region_id) VALUES ($1, $2, $3) RETURNING id",
            OrgType::Place => "INSERT INTO places (code, name, region_id, kind) VALUES ($1, $2, $3, $4) RETURNING id",
            OrgType::Window => "INSERT INTO windows (code, name, place_id, department_id) VALUES ($1, $2, $3, $4) RETURNING id",
            OrgType::ServiceItem => "INSERT INTO service_items (code, name, department_id) VALUES ($1, $2, $3) RETURNING id",
            OrgType::Provider => "INSERT INTO providers (code, name, region_id, kind) VALUES ($1, $2, $3, $4) RETURNING id",
        };
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let q = sqlx::query_scalar(sql).bind(w.code).bind(w.name).bind(w.parent_id);
            let q = match t {
                OrgType::Region | OrgType::Place | OrgType::Provider => q.bind(w.kind),
                OrgType::Window => q.bind(w.department_id),
                _ => q,
            };
            let id: i64 = q.fetch_one(&mut *tx).await?;
            let after = org_snapshot!(tx, t, id);
            audit_line!(tx, by, t.as_str(), id, "create", None, after);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Changes name, parent, kind and department; the code is the unit's
    /// identity and stays. False when no such unit. Audited (`update`).
    pub async fn org_update(
        &self,
        t: OrgType,
        id: i64,
        w: &OrgWrite<'_>,
        by: &AuditBy,
    ) -> Result<bool, StoreError> {
        let sql = match t {
            OrgType::Region => {
                "UPDATE regions SET name = $1, parent_id = $2, level = $3 WHERE id = $4"
            }
            OrgType::Department => "UPDATE departments SET name = $1, region_id = $2 WHERE id = $3",
            OrgType::Place => {
                "UPDATE places SET name = $1, region_id = $2, kind = $3 WHERE id = $4"
            }
            OrgType::Window => {
                "UPDATE windows SET name = $1, place_id = $2, department_id = $3 WHERE id = $4"
            }
            OrgType::ServiceItem => {
                "UPDATE service_items SET name = $1, department_id = $2 WHERE id = $3"
            }
            OrgType::Provider => {
                "UPDATE providers SET name = $1, region_id = $2, kind = $3 WHERE id = $4"
            }
        };
        let lock = lock_sql(t);
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock_row!(tx, &lock, id);
            let Some(before) = org_snapshot!(tx, t, id) else {
                return Ok(false);
            };
            let q = sqlx::query(sql).bind(w.name).bind(w.parent_id);
            let q = match t {
                OrgType::Region | OrgType::Place | OrgType::Provider => q.bind(w.kind),
                OrgType::Window => q.bind(w.department_id),
                _ => q,
            };
            q.bind(id).execute(&mut *tx).await?;
            let after = org_snapshot!(tx, t, id);
            audit_line!(tx, by, t.as_str(), id, "update", Some(before), after);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Audited (`activate` / `deactivate`).
    pub async fn org_set_active(
        &self,
        t: OrgType,
        id: i64,
        active: bool,
        by: &AuditBy,
    ) -> Result<bool, StoreError> {
        let sql = format!("UPDATE {} SET active = $1 WHERE id = $2", table(t));
        let lock = lock_sql(t);
        let action = if active { "activate" } else { "deactivate" };
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock_row!(tx, &lock, id);
            let Some(before) = org_snapshot!(tx, t, id) else {
                return Ok(false);
            };
            sqlx::query(&sql).bind(active).bind(id).execute(&mut *tx).await?;
            let after = org_snapshot!(tx, t, id);
            audit_line!(tx, by, t.as_str(), id, action, Some(before), after);
            tx.commit().await?;
            Ok(true)
        })
    }
}

#[derive(
    Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, PartialEq, utoipa::ToSchema,
)]
pub struct StaffAdminRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub place_code: Option<String>,
    pub window_code: Option<String>,
    pub department_code: Option<String>,
    pub active: bool,
    /// 工号, shown on the window pad.
    pub staff_no: Option<String>,
    /// `/api/v1/photos/{id}` once a photo was uploaded.
    pub photo_id: Option<String>,
}

/// What an account create or edit sets besides `StaffWrite`: `None`
/// keeps the stored value, `Some(None)` clears it. The phone and the ID
/// number are written together, only when both are `Some`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StaffExtra<'a> {
    pub phone: Option<Option<&'a str>>,
    pub id_no: Option<Option<&'a str>>,
    pub staff_no: Option<Option<&'a str>>,
}

/// A staff account with references resolved; `password_hash` only when set.
pub struct StaffWrite<'a> {
    pub display_name: &'a str,
    pub role: domain::Role,
    pub place_id: Option<i64>,
    pub window_id: Option<i64>,
    pub department_id: Option<i64>,
    pub password_hash: Option<&'a str>,
}

impl Store {
    pub async fn staff_admin_list(&self) -> Result<Vec<StaffAdminRow>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, StaffAdminRow>(
            "SELECT s.id, s.username, s.display_name, s.role, p.code AS place_code, w.code AS window_code, \
                    d.code AS department_code, s.active, s.staff_no, s.photo_id \
             FROM staff s LEFT JOIN places p ON p.id = s.place_id LEFT JOIN windows w ON w.id = s.window_id \
             LEFT JOIN departments d ON d.id = s.department_id ORDER BY s.username")
            .fetch_all(pool).await?))
    }

    /// Creates an account with its phone, ID number and 工号, and its audit
    /// line (`create`), in one transaction.
    pub async fn staff_create(
        &self,
        s: &NewStaff<'_>,
        extra: &StaffExtra<'_>,
        by: &AuditBy,
    ) -> Result<i64, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO staff (username, display_name, role, department_id, place_id, window_id, password_hash, \
                                    phone, id_no, staff_no) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
                .bind(s.username).bind(s.display_name).bind(s.role.as_str())
                .bind(s.department_id).bind(s.place_id).bind(s.window_id).bind(s.password_hash)
                .bind(extra.phone.flatten()).bind(extra.id_no.flatten()).bind(extra.staff_no.flatten())
                .fetch_one(&mut *tx).await?;
            let after = staff_snapshot!(tx, id);
            audit_line!(tx, by, "staff", id, "create", None, after);
            tx.commit().await?;
            Ok(id)
        })
    }

    /// Changes an account; a new password also ends its sessions. One
    /// transaction with its audit line (`update`; a reset shows as
    /// `"password_reset": true`, never the hash). False when no such account.
    pub async fn staff_update(
        &self,
        id: i64,
        w: &StaffWrite<'_>,
        extra: &StaffExtra<'_>,
        by: &AuditBy,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock_row!(tx, LOCK_STAFF, id);
            let Some(before) = staff_snapshot!(tx, id) else {
                return Ok(false);
            };
            sqlx::query(
                "UPDATE staff SET display_name = $1, role = $2, place_id = $3, window_id = $4, department_id = $5, \
                 password_hash = COALESCE($6, password_hash) WHERE id = $7")
                .bind(w.display_name).bind(w.role.as_str()).bind(w.place_id).bind(w.window_id).bind(w.department_id)
                .bind(w.password_hash).bind(id)
                .execute(&mut *tx).await?;
            if let (Some(phone), Some(id_no)) = (extra.phone, extra.id_no) {
                sqlx::query("UPDATE staff SET phone = $1, id_no = $2 WHERE id = $3")
                    .bind(phone).bind(id_no).bind(id).execute(&mut *tx).await?;
            }
            if let Some(no) = extra.staff_no {
                sqlx::query("UPDATE staff SET staff_no = $1 WHERE id = $2")
                    .bind(no).bind(id).execute(&mut *tx).await?;
            }
            if w.password_hash.is_some() {
                sqlx::query("DELETE FROM sessions WHERE staff_id = $1").bind(id).execute(&mut *tx).await?;
            }
            let mut after = staff_snapshot!(tx, id);
            if let (Some(a), true) = (after.as_mut(), w.password_hash.is_some()) {
                a["password_reset"] = serde_json::Value::Bool(true);
            }
            audit_line!(tx, by, "staff", id, "update", Some(before), after);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Stores a staff member's photo and makes it theirs; audited
    /// (`photo`: the photo's id before and after).
    pub async fn set_staff_photo(
        &self,
        staff_id: i64,
        photo_id: &str,
        content_type: &str,
        body: &[u8],
        by: &AuditBy,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock_row!(tx, LOCK_STAFF, staff_id);
            let Some(before) = staff_snapshot!(tx, staff_id) else {
                return Ok(false);
            };
            sqlx::query("UPDATE staff SET photo_id = $1 WHERE id = $2")
                .bind(photo_id).bind(staff_id).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO staff_photos (id, staff_id, content_type, body, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(photo_id).bind(staff_id).bind(content_type).bind(body).bind(by.at)
                .execute(&mut *tx).await?;
            let after = staff_snapshot!(tx, staff_id);
            audit_line!(tx, by, "staff", staff_id, "photo", Some(before), after);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// A staff photo that is some account's current one.
    pub async fn staff_photo(&self, id: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, (String, Vec<u8>)>(
            "SELECT ph.content_type, ph.body FROM staff_photos ph JOIN staff s ON s.photo_id = ph.id \
             WHERE ph.id = $1 AND s.active")
            .bind(id).fetch_optional(pool).await?))
    }

    /// Deactivating also ends the account's sessions. Audited
    /// (`activate` / `deactivate`).
    pub async fn staff_set_active(
        &self,
        id: i64,
        active: bool,
        by: &AuditBy,
    ) -> Result<bool, StoreError> {
        let action = if active { "activate" } else { "deactivate" };
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock_row!(tx, LOCK_STAFF, id);
            let Some(before) = staff_snapshot!(tx, id) else {
                return Ok(false);
            };
            sqlx::query("UPDATE staff SET active = $1 WHERE id = $2").bind(active).bind(id)
                .execute(&mut *tx).await?;
            if !active {
                sqlx::query("DELETE FROM sessions WHERE staff_id = $1").bind(id).execute(&mut *tx).await?;
            }
            let after = staff_snapshot!(tx, id);
            audit_line!(tx, by, "staff", id, action, Some(before), after);
            tx.commit().await?;
            Ok(true)
        })
    }
}
