//! Organisation admin queries: one list / insert / update / deactivate per
//! unit type, with parents found by code. Units are never deleted.

use app::domain::org::OrgType;

use super::{with_pool, Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, PartialEq)]
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

fn list_sql(t: OrgType) -> &'static str {
    match t {
        OrgType::Region => "SELECT r.id, r.code, r.name, p.code AS parent_code, r.level AS kind, NULL AS department_code, r.active \
            FROM regions r LEFT JOIN regions p ON p.id = r.parent_id ORDER BY r.code",
        OrgType::Department => "SELECT d.id, d.code, d.name, r.code AS parent_code, NULL AS kind, NULL AS department_code, d.active \
            FROM departments d JOIN regions r ON r.id = d.region_id ORDER BY d.code",
        OrgType::Place => "SELECT p.id, p.code, p.name, r.code AS parent_code, p.kind, NULL AS department_code, p.active \
            FROM places p JOIN regions r ON r.id = p.region_id ORDER BY p.code",
        OrgType::Window => "SELECT w.id, w.code, w.name, p.code AS parent_code, NULL AS kind, d.code AS department_code, w.active \
            FROM windows w JOIN places p ON p.id = w.place_id LEFT JOIN departments d ON d.id = w.department_id ORDER BY p.code, w.code",
        OrgType::ServiceItem => "SELECT s.id, s.code, s.name, d.code AS parent_code, NULL AS kind, NULL AS department_code, s.active \
            FROM service_items s JOIN departments d ON d.id = s.department_id ORDER BY s.code",
        OrgType::Provider => "SELECT v.id, v.code, v.name, r.code AS parent_code, v.kind, NULL AS department_code, v.active \
            FROM providers v JOIN regions r ON r.id = v.region_id ORDER BY v.code",
    }
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

impl Store {
    pub async fn org_list(&self, t: OrgType) -> Result<Vec<OrgRow>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, OrgRow>(list_sql(t)).fetch_all(pool).await?))
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

    pub async fn org_insert(&self, t: OrgType, w: &OrgWrite<'_>) -> Result<i64, StoreError> {
        let sql = match t {
            OrgType::Region => "INSERT INTO regions (code, name, parent_id, level) VALUES ($1, $2, $3, $4) RETURNING id",
            OrgType::Department => "INSERT INTO departments (code, name, region_id) VALUES ($1, $2, $3) RETURNING id",
            OrgType::Place => "INSERT INTO places (code, name, region_id, kind) VALUES ($1, $2, $3, $4) RETURNING id",
            OrgType::Window => "INSERT INTO windows (code, name, place_id, department_id) VALUES ($1, $2, $3, $4) RETURNING id",
            OrgType::ServiceItem => "INSERT INTO service_items (code, name, department_id) VALUES ($1, $2, $3) RETURNING id",
            OrgType::Provider => "INSERT INTO providers (code, name, region_id, kind) VALUES ($1, $2, $3, $4) RETURNING id",
        };
        with_pool!(self, pool => {
            let q = sqlx::query_scalar(sql).bind(w.code).bind(w.name).bind(w.parent_id);
            let q = match t {
                OrgType::Region | OrgType::Place | OrgType::Provider => q.bind(w.kind),
                OrgType::Window => q.bind(w.department_id),
                _ => q,
            };
            Ok(q.fetch_one(pool).await?)
        })
    }

    /// Changes name, parent, kind and department; the code is the unit's
    /// identity and stays. False when no such unit.
    pub async fn org_update(
        &self,
        t: OrgType,
        id: i64,
        w: &OrgWrite<'_>,
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
        with_pool!(self, pool => {
            let q = sqlx::query(sql).bind(w.name).bind(w.parent_id);
            let q = match t {
                OrgType::Region | OrgType::Place | OrgType::Provider => q.bind(w.kind),
                OrgType::Window => q.bind(w.department_id),
                _ => q,
            };
            Ok(q.bind(id).execute(pool).await?.rows_affected() == 1)
        })
    }

    pub async fn org_set_active(
        &self,
        t: OrgType,
        id: i64,
        active: bool,
    ) -> Result<bool, StoreError> {
        let sql = format!("UPDATE {} SET active = $1 WHERE id = $2", table(t));
        with_pool!(self, pool => Ok(sqlx::query(&sql).bind(active).bind(id).execute(pool).await?.rows_affected() == 1))
    }
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, serde::Deserialize, PartialEq)]
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

/// A staff account with references resolved; `password_hash` only when set.
pub struct StaffWrite<'a> {
    pub display_name: &'a str,
    pub role: &'a str,
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

    pub async fn staff_update(&self, id: i64, w: &StaffWrite<'_>) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let n = sqlx::query(
                "UPDATE staff SET display_name = $1, role = $2, place_id = $3, window_id = $4, department_id = $5, \
                 password_hash = COALESCE($6, password_hash) WHERE id = $7")
                .bind(w.display_name).bind(w.role).bind(w.place_id).bind(w.window_id).bind(w.department_id)
                .bind(w.password_hash).bind(id)
                .execute(pool).await?.rows_affected();
            Ok(n == 1)
        })
    }

    pub async fn set_staff_no(&self, id: i64, staff_no: Option<&str>) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE staff SET staff_no = $1 WHERE id = $2")
                .bind(staff_no).bind(id).execute(pool).await?;
            Ok(())
        })
    }

    /// Stores a staff member's photo and makes it theirs.
    pub async fn set_staff_photo(
        &self,
        staff_id: i64,
        photo_id: &str,
        content_type: &str,
        body: &[u8],
        now: i64,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("UPDATE staff SET photo_id = $1 WHERE id = $2")
                .bind(photo_id).bind(staff_id).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                sqlx::query("INSERT INTO staff_photos (id, staff_id, content_type, body, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(photo_id).bind(staff_id).bind(content_type).bind(body).bind(now)
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    /// A staff photo that is some account's current one.
    pub async fn staff_photo(&self, id: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, (String, Vec<u8>)>(
            "SELECT ph.content_type, ph.body FROM staff_photos ph JOIN staff s ON s.photo_id = ph.id \
             WHERE ph.id = $1 AND s.active")
            .bind(id).fetch_optional(pool).await?))
    }

    /// Deactivating also ends the account's sessions.
    pub async fn staff_set_active(&self, id: i64, active: bool) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let n = sqlx::query("UPDATE staff SET active = $1 WHERE id = $2").bind(active).bind(id)
                .execute(&mut *tx).await?.rows_affected();
            if !active {
                sqlx::query("DELETE FROM sessions WHERE staff_id = $1").bind(id).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(n == 1)
        })
    }
}
