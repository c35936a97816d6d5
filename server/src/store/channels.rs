//! Queries for devices' enrolment, cases, case links, the SMS outbox,
//! integrations and the jobs (default ratings, reminders). Written once for
//! both databases, like `queries.rs`.

use super::BeginWrite;
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::audit::{audit_line, case_snapshot, device_snapshot, lock_row, LOCK_DEVICE};
use super::reports::rollup_cases;
use super::tx::Tx;
use super::{with_pool, AuditBy, CaseVia, NewDevice, Store, StoreError};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceAdminRow {
    pub id: String,
    pub code: String,
    pub kind: String,
    pub place_id: i64,
    pub place_name: String,
    pub window_id: Option<i64>,
    pub window_name: Option<String>,
    pub active: bool,
    pub enrolled_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub enrol_expires_at: Option<i64>,
    pub last_seen_at: Option<i64>,
    pub voice: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoticeRecipient {
    pub id: i64,
    pub phone: String,
    /// `instant` or `digest`.
    pub notify: String,
    pub place_id: Option<i64>,
    pub department_id: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketDeadlineRow {
    pub id: i64,
    pub place_id: i64,
    pub department_id: Option<i64>,
    pub status: String,
    pub opened_at: i64,
    pub contact_due: i64,
    pub contacted_at: Option<i64>,
    pub rectify_due: Option<i64>,
    pub archived_at: Option<i64>,
    pub place_name: String,
    pub window_name: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceAuthRow {
    pub id: String,
    #[sqlx(try_from = "String")]
    pub kind: domain::DeviceKind,
    pub token_hash: Option<String>,
    pub revoked_at: Option<i64>,
    pub active: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub id: i64,
    pub source: String,
    pub case_no: String,
    pub place_id: i64,
    pub place_name: String,
    pub window_id: Option<i64>,
    pub window_name: Option<String>,
    pub service_item_id: Option<i64>,
    pub service_name: Option<String>,
    pub staff_id: Option<i64>,
    pub staff_name: Option<String>,
    /// The clerk's 工号 and photo, shown on the window pad.
    pub staff_no: Option<String>,
    pub staff_photo_id: Option<String>,
    pub status: String,
    pub stages: bool,
    pub applicant_phone: Option<String>,
    pub applicant_id_no: Option<String>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
    /// How many ratings (of any kind) the case has.
    pub ratings: i64,
}

const CASE_SELECT: &str = "SELECT c.id, c.source, c.case_no, c.place_id, p.name AS place_name, c.window_id, \
        w.name AS window_name, c.service_item_id, si.name AS service_name, c.staff_id, \
        st.display_name AS staff_name, st.staff_no, st.photo_id AS staff_photo_id, c.status, c.stages, c.applicant_phone, c.applicant_id_no, \
        c.started_at, c.finished_at, \
        (SELECT COUNT(*) FROM ratings r WHERE r.case_id = c.id) AS ratings \
     FROM cases c JOIN places p ON p.id = c.place_id LEFT JOIN windows w ON w.id = c.window_id \
     LEFT JOIN service_items si ON si.id = c.service_item_id LEFT JOIN staff st ON st.id = c.staff_id ";

/// A case to create or update, with references already resolved to ids.
#[derive(Debug, Clone)]
pub struct CaseUpsert {
    pub source: String,
    pub case_no: String,
    pub place_id: i64,
    pub window_id: Option<i64>,
    pub service_item_id: Option<i64>,
    pub staff_id: Option<i64>,
    pub finished: bool,
    pub stages: bool,
    pub applicant_phone: Option<String>,
    pub applicant_id_no: Option<String>,
    /// `person` or `organisation` (domain `EvaluatorType`), checked.
    pub applicant_type: Option<String>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    Created,
    Updated,
    Unchanged,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LinkRow {
    pub nonce: String,
    pub case_id: i64,
    pub channel: String,
    pub stage: Option<String>,
    pub used_at: Option<i64>,
    pub rating_id: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OutboxRow {
    pub id: i64,
    pub case_id: Option<i64>,
    pub phone: String,
    pub body: String,
    pub purpose: String,
    pub created_at: i64,
    /// The HTTP gateway's word on it: `sent`, `delivered`, `failed`.
    pub delivery: Option<String>,
    pub delivery_at: Option<i64>,
    pub provider_id: Option<String>,
}

/// A finished case nobody has rated, for the default-rating job.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UnratedCase {
    pub id: i64,
    pub case_no: String,
    pub place_id: i64,
    pub window_id: Option<i64>,
    pub finished_at: i64,
}

/// A finished unrated case with a phone, and its invitations so far.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReminderCandidate {
    pub id: i64,
    pub phone: String,
    pub sent: i64,
    pub last_sent_at: i64,
}

impl Store {
    // ---- devices: registration, enrolment, tokens ----

    pub async fn devices_admin(
        &self,
        place_id: Option<i64>,
    ) -> Result<Vec<DeviceAdminRow>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, DeviceAdminRow>(
            "SELECT d.id, d.code, d.kind, d.place_id, p.name AS place_name, d.window_id, w.name AS window_name, \
                    d.active, d.enrolled_at, d.revoked_at, d.enrol_expires_at, d.last_seen_at, d.voice \
             FROM devices d JOIN places p ON p.id = d.place_id LEFT JOIN windows w ON w.id = d.window_id \
             WHERE d.kind <> 'web' AND ($1 IS NULL OR d.place_id = $1) ORDER BY d.code")
            .bind(place_id)
            .fetch_all(pool)
            .await?))
    }

    pub async fn device_auth_by_code(
        &self,
        code: &str,
    ) -> Result<Option<DeviceAuthRow>, StoreError> {
        self.device_auth_where("code", code.to_string()).await
    }

    async fn device_auth_where(
        &self,
        column: &'static str,
        value: String,
    ) -> Result<Option<DeviceAuthRow>, StoreError> {
        let sql = format!(
            "SELECT id, kind, token_hash, revoked_at, active FROM devices WHERE {column} = $1"
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, DeviceAuthRow>(&sql).bind(value).fetch_optional(pool).await?))
    }

    /// A new kiosk or pad with its first one-time enrolment code (its
    /// hash), and its audit line (`register`), in one transaction.
    pub async fn register_device(
        &self,
        d: &NewDevice<'_>,
        enrol_hash: &str,
        expires_at: i64,
        by: &AuditBy,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO devices (id, code, kind, place_id, window_id, dimension_set, created_at, enrol_code_hash, enrol_expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(d.id.to_string()).bind(d.code).bind(d.kind.as_str()).bind(d.place_id).bind(d.window_id)
                .bind(d.dimension_set).bind(by.at).bind(enrol_hash).bind(expires_at)
                .execute(&mut *tx).await?;
            let after = device_snapshot!(tx, d.code);
            audit_line!(tx, by, "device", d.code, "register", None, after);
            tx.commit().await?;
            Ok(())
        })
    }

    /// As `set_enrol_code`, by an administrator: audited
    /// (`enrolment_code`; the line says a code waits, never the code).
    pub async fn issue_enrol_code(
        &self,
        code: &str,
        enrol_hash: &str,
        expires_at: i64,
        by: &AuditBy,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock_row!(tx, LOCK_DEVICE, code);
            let Some(before) = device_snapshot!(tx, code) else {
                return Ok(false);
            };
            let n = sqlx::query("UPDATE devices SET enrol_code_hash = $1, enrol_expires_at = $2, enrol_failures = 0 WHERE code = $3 AND kind <> 'web'")
                .bind(enrol_hash).bind(expires_at).bind(code)
                .execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                return Ok(false);
            }
            let after = device_snapshot!(tx, code);
            audit_line!(tx, by, "device", code, "enrolment_code", Some(before), after);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Sets a fresh one-time enrolment code (its hash) on a device (demo
    /// data and benches; administrators use `issue_enrol_code`).
    pub async fn set_enrol_code(
        &self,
        code: &str,
        enrol_hash: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let n = sqlx::query("UPDATE devices SET enrol_code_hash = $1, enrol_expires_at = $2, enrol_failures = 0 WHERE code = $3 AND kind <> 'web'")
                .bind(enrol_hash).bind(expires_at).bind(code)
                .execute(pool).await?.rows_affected();
            Ok(n == 1)
        })
    }

    /// Exchanges a valid enrolment code for a token: the code is used up,
    /// a previous token stops working and a revoked device is reinstated.
    /// A success is audited (`enrol`, by `device:{code}`, no staff account).
    pub async fn enrol_device(
        &self,
        code: &str,
        enrol_hash: &str,
        token_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock_row!(tx, LOCK_DEVICE, code);
            let before = device_snapshot!(tx, code);
            let n = sqlx::query(
                "UPDATE devices SET token_hash = $1, enrolled_at = $2, enrol_code_hash = NULL, enrol_expires_at = NULL, \
                        enrol_failures = 0, revoked_at = NULL, active = TRUE \
                 WHERE code = $3 AND enrol_code_hash = $4 AND enrol_expires_at > $2")
                .bind(token_hash).bind(now).bind(code).bind(enrol_hash)
                .execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                return Ok(false);
            }
            let after = device_snapshot!(tx, code);
            let by = AuditBy::system(format!("device:{code}"), now);
            audit_line!(tx, &by, "device", code, "enrol", before, after);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Audited (`revoke`).
    pub async fn revoke_device(&self, code: &str, by: &AuditBy) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock_row!(tx, LOCK_DEVICE, code);
            let Some(before) = device_snapshot!(tx, code) else {
                return Ok(false);
            };
            let n = sqlx::query("UPDATE devices SET revoked_at = $1, active = FALSE, enrol_code_hash = NULL WHERE code = $2 AND kind <> 'web'")
                .bind(by.at).bind(code)
                .execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                return Ok(false);
            }
            let after = device_snapshot!(tx, code);
            audit_line!(tx, by, "device", code, "revoke", Some(before), after);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The place's web endpoint (phone, PC and SMS ratings, staff entry),
    /// made on first use.
    pub async fn web_device(
        &self,
        place_id: i64,
        dimension_set: &str,
        now: i64,
    ) -> Result<Uuid, StoreError> {
        let code = format!("WEB-{place_id}");
        let select = "SELECT id FROM devices WHERE code = $1";
        with_pool!(self, pool => {
            // Made once per place: every phone page load only reads it.
            let existing: Option<(String, String)> = sqlx::query_as("SELECT id, dimension_set FROM devices WHERE code = $1")
                .bind(&code).fetch_optional(pool).await?;
            if let Some((id, set)) = existing {
                // The channel's set was changed (HCP_WEB_DIMENSION_SET): new
                // ratings offer the new one; old ones keep theirs.
                if set != dimension_set {
                    sqlx::query("UPDATE devices SET dimension_set = $1 WHERE code = $2")
                        .bind(dimension_set).bind(&code).execute(pool).await?;
                }
                return Uuid::parse_str(&id).map_err(|e| StoreError::Db(sqlx::Error::Decode(Box::new(e))));
            }
            sqlx::query("INSERT INTO devices (id, code, kind, place_id, dimension_set, created_at) VALUES ($1, $2, 'web', $3, $4, $5) ON CONFLICT (code) DO NOTHING")
                .bind(Uuid::now_v7().to_string()).bind(&code).bind(place_id).bind(dimension_set).bind(now)
                .execute(pool).await?;
            let id: String = sqlx::query_scalar(select).bind(&code).fetch_one(pool).await?;
            Uuid::parse_str(&id).map_err(|e| StoreError::Db(sqlx::Error::Decode(Box::new(e))))
        })
    }

    // ---- places and windows by code ----

    pub async fn place_by_code(&self, code: &str) -> Result<Option<(i64, String)>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as("SELECT id, name FROM places WHERE code = $1 AND active")
            .bind(code).fetch_optional(pool).await?))
    }

    pub async fn window_by_code(
        &self,
        place_id: i64,
        code: &str,
    ) -> Result<Option<(i64, String)>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as("SELECT id, name FROM windows WHERE place_id = $1 AND code = $2 AND active")
            .bind(place_id).bind(code).fetch_optional(pool).await?))
    }

    pub async fn place_name(&self, place_id: i64) -> Result<Option<(String, String)>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as("SELECT code, name FROM places WHERE id = $1")
            .bind(place_id).fetch_optional(pool).await?))
    }

    pub async fn window_name(
        &self,
        window_id: i64,
    ) -> Result<Option<(String, String)>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as("SELECT code, name FROM windows WHERE id = $1")
            .bind(window_id).fetch_optional(pool).await?))
    }

    /// (place code, place name, window code, window name) of every window, for posters.
    pub async fn poster_targets(
        &self,
        place_id: Option<i64>,
    ) -> Result<Vec<(String, String, Option<String>, Option<String>)>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as(
            "SELECT p.code, p.name, NULL AS wcode, NULL AS wname FROM places p WHERE ($1 IS NULL OR p.id = $1) \
             UNION ALL \
             SELECT p.code, p.name, w.code, w.name FROM windows w JOIN places p ON p.id = w.place_id WHERE ($1 IS NULL OR p.id = $1) \
             ORDER BY 1, 3")
            .bind(place_id).fetch_all(pool).await?))
    }

    pub async fn service_item_by_code(&self, code: &str) -> Result<Option<i64>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar("SELECT id FROM service_items WHERE code = $1 AND active")
            .bind(code).fetch_optional(pool).await?))
    }

    pub async fn staff_by_username(&self, username: &str) -> Result<Option<i64>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar("SELECT id FROM staff WHERE username = $1")
            .bind(username).fetch_optional(pool).await?))
    }

    // ---- cases ----

    /// Creates or updates a case by (source, case number). A finished case
    /// stays finished; times already recorded are kept. Not audited: for
    /// the window clerk's 开始服务 and tests; pushes and imports use
    /// `upsert_case_audited`.
    pub async fn upsert_case(
        &self,
        c: &CaseUpsert,
        now: i64,
    ) -> Result<(i64, UpsertOutcome), StoreError> {
        self.upsert_case_inner(c, now, None).await
    }

    /// As `upsert_case`, with an audit line in the same transaction for a
    /// case created or changed (`push_create`, `push_update`,
    /// `import_create`, `import_update`); an unchanged case has none.
    pub async fn upsert_case_audited(
        &self,
        c: &CaseUpsert,
        via: CaseVia,
        by: &AuditBy,
    ) -> Result<(i64, UpsertOutcome), StoreError> {
        self.upsert_case_inner(c, by.at, Some((via, by))).await
    }

    async fn upsert_case_inner(
        &self,
        c: &CaseUpsert,
        now: i64,
        audit: Option<(CaseVia, &AuditBy)>,
    ) -> Result<(i64, UpsertOutcome), StoreError> {
        let status = if c.finished { "finished" } else { "in_service" };
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let existing: Option<(i64, String, Option<i64>)> = sqlx::query_as(
                "SELECT id, status, finished_at FROM cases WHERE source = $1 AND case_no = $2")
                .bind(&c.source).bind(&c.case_no).fetch_optional(&mut *tx).await?;
            let mut before = None;
            let out = match existing {
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO cases (source, case_no, place_id, window_id, service_item_id, staff_id, status, stages, \
                             applicant_phone, applicant_id_no, started_at, finished_at, created_at, updated_at, applicant_type) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14) RETURNING id")
                        .bind(&c.source).bind(&c.case_no).bind(c.place_id).bind(c.window_id).bind(c.service_item_id)
                        .bind(c.staff_id).bind(status).bind(c.stages).bind(&c.applicant_phone).bind(&c.applicant_id_no)
                        .bind(c.started_at).bind(c.finished_at).bind(now).bind(&c.applicant_type)
                        .fetch_one(&mut *tx).await?;
                    (id, UpsertOutcome::Created)
                }
                Some((id, old_status, _)) if old_status == "finished" || !c.finished => (id, UpsertOutcome::Unchanged),
                Some((id, _, _)) => {
                    if audit.is_some() {
                        before = case_snapshot!(tx, id);
                    }
                    sqlx::query("UPDATE cases SET status = 'finished', finished_at = $1, updated_at = $2, \
                                 applicant_phone = COALESCE(applicant_phone, $3), applicant_id_no = COALESCE(applicant_id_no, $4), \
                                 applicant_type = COALESCE(applicant_type, $6) WHERE id = $5")
                        .bind(c.finished_at.unwrap_or(now)).bind(now).bind(&c.applicant_phone).bind(&c.applicant_id_no).bind(id)
                        .bind(&c.applicant_type)
                        .execute(&mut *tx).await?;
                    (id, UpsertOutcome::Updated)
                }
            };
            // A case counts once it is finished (it never un-finishes).
            if out.1 != UpsertOutcome::Unchanged && c.finished {
                rollup_cases(&mut Tx::from(&mut tx), &[out.0], 1).await?;
                Tx::from(&mut tx).enqueue_cases(&[out.0], now).await?;
            }
            if let (Some((via, by)), false) = (audit, out.1 == UpsertOutcome::Unchanged) {
                let after = case_snapshot!(tx, out.0);
                let action = via.action(out.1 == UpsertOutcome::Created);
                audit_line!(tx, by, "case", out.0, action, before, after);
            }
            tx.commit().await?;
            Ok(out)
        })
    }

    pub async fn finish_case(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("UPDATE cases SET status = 'finished', finished_at = $1, updated_at = $1 WHERE id = $2 AND status <> 'finished'")
                .bind(now).bind(id).execute(&mut *tx).await?.rows_affected();
            if n == 1 {
                rollup_cases(&mut Tx::from(&mut tx), &[id], 1).await?;
                Tx::from(&mut tx).enqueue_cases(&[id], now).await?;
            }
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    pub async fn case(&self, id: i64) -> Result<Option<CaseRow>, StoreError> {
        let sql = format!("{CASE_SELECT} WHERE c.id = $1");
        with_pool!(self, pool => Ok(sqlx::query_as::<_, CaseRow>(&sql).bind(id).fetch_optional(pool).await?))
    }

    pub async fn case_by_source(
        &self,
        source: &str,
        case_no: &str,
    ) -> Result<Option<CaseRow>, StoreError> {
        let sql = format!("{CASE_SELECT} WHERE c.source = $1 AND c.case_no = $2");
        with_pool!(self, pool => Ok(sqlx::query_as::<_, CaseRow>(&sql).bind(source).bind(case_no).fetch_optional(pool).await?))
    }

    /// The newest case with this number at the place (kiosk and pad ratings
    /// carry only the number).
    pub async fn case_id_at_place(
        &self,
        place_id: i64,
        case_no: &str,
    ) -> Result<Option<i64>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar(
            "SELECT id FROM cases WHERE place_id = $1 AND case_no = $2 ORDER BY started_at DESC, id DESC LIMIT 1")
            .bind(place_id).bind(case_no).fetch_optional(pool).await?))
    }

    /// [`Store::case_id_at_place`] (`window` false) or
    /// [`Store::case_id_at_window`] (`window` true) for many numbers at
    /// once: the newest case of each number found, one query per 500.
    pub async fn case_ids_by_number(
        &self,
        unit_id: i64,
        window: bool,
        case_nos: &[&str],
    ) -> Result<std::collections::HashMap<String, i64>, StoreError> {
        let column = if window { "window_id" } else { "place_id" };
        let mut out = std::collections::HashMap::with_capacity(case_nos.len());
        for chunk in case_nos.chunks(500) {
            if let Store::Postgres(pool) = self {
                // One text whatever the number of cases, an array bound
                // once: PostgreSQL planned the list form afresh for every
                // sync (12,191 plans for 12,163 calls under `make
                // cluster`, 1.3 s of its time; docs/scale.md, stop 39).
                let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
                    "SELECT case_no, id FROM cases WHERE {column} = $1 AND case_no = ANY($2) \
                     ORDER BY started_at DESC, id DESC"
                ))
                .bind(unit_id)
                .bind(chunk)
                .fetch_all(pool)
                .await?;
                for (no, id) in rows {
                    out.entry(no).or_insert(id);
                }
                continue;
            }
            with_pool!(self, pool => {
                let mut qb = sqlx::QueryBuilder::new(format!(
                    "SELECT case_no, id FROM cases WHERE {column} = "));
                qb.push_bind(unit_id).push(" AND case_no IN (");
                let mut list = qb.separated(", ");
                for no in chunk {
                    list.push_bind(no.to_string());
                }
                qb.push(") ORDER BY started_at DESC, id DESC");
                let rows: Vec<(String, i64)> = qb.build_query_as().fetch_all(pool).await?;
                for (no, id) in rows {
                    // Newest first: the first row of a number is its case.
                    out.entry(no).or_insert(id);
                }
                Ok::<(), StoreError>(())
            })?;
        }
        Ok(out)
    }

    /// Cases served at a window, newest first.
    pub async fn cases_at_window(
        &self,
        window_id: i64,
        limit: i64,
    ) -> Result<Vec<CaseRow>, StoreError> {
        let sql = format!(
            "{CASE_SELECT} WHERE c.window_id = $1 ORDER BY c.started_at DESC, c.id DESC LIMIT $2"
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, CaseRow>(&sql).bind(window_id).bind(limit).fetch_all(pool).await?))
    }

    /// The case a window's pad should show: the newest one in service there
    /// and not yet rated.
    pub async fn current_case_at_window(
        &self,
        window_id: i64,
    ) -> Result<Option<CaseRow>, StoreError> {
        let sql = format!(
            "{CASE_SELECT} WHERE c.window_id = $1 AND c.status = 'in_service' \
             AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.case_id = c.id) ORDER BY c.started_at DESC, c.id DESC LIMIT 1");
        with_pool!(self, pool => Ok(sqlx::query_as::<_, CaseRow>(&sql).bind(window_id).fetch_optional(pool).await?))
    }

    pub async fn window_department(&self, window_id: i64) -> Result<Option<i64>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar::<_, Option<i64>>("SELECT department_id FROM windows WHERE id = $1")
            .bind(window_id).fetch_optional(pool).await?.flatten()))
    }

    pub async fn service_item_department(&self, id: i64) -> Result<Option<i64>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar::<_, Option<i64>>("SELECT department_id FROM service_items WHERE id = $1")
            .bind(id).fetch_optional(pool).await?.flatten()))
    }

    /// The newest case with this number at a window (a pad's ratings).
    pub async fn case_id_at_window(
        &self,
        window_id: i64,
        case_no: &str,
    ) -> Result<Option<i64>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar(
            "SELECT id FROM cases WHERE window_id = $1 AND case_no = $2 ORDER BY started_at DESC, id DESC LIMIT 1")
            .bind(window_id).bind(case_no).fetch_optional(pool).await?))
    }

    /// The case a window's pad asks the rating of after 办结: the newest
    /// case there, if it finished after `since`, is unrated and no case
    /// started after it.
    pub async fn case_to_rate_at_window(
        &self,
        window_id: i64,
        since: i64,
    ) -> Result<Option<CaseRow>, StoreError> {
        let sql = format!(
            "{CASE_SELECT} WHERE c.id = (SELECT id FROM cases WHERE window_id = $1 \
                 ORDER BY started_at DESC, id DESC LIMIT 1) \
             AND c.status = 'finished' AND c.finished_at >= $2 \
             AND NOT EXISTS (SELECT 1 FROM ratings r WHERE r.case_id = c.id)"
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, CaseRow>(&sql).bind(window_id).bind(since).fetch_optional(pool).await?))
    }

    /// The SMS invitation of a case rated on the pad waits until `at`.
    pub async fn defer_invitation(&self, case_id: i64, at: i64) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE cases SET invite_due_at = $1 WHERE id = $2")
                .bind(at).bind(case_id).execute(pool).await?;
            Ok(())
        })
    }

    /// Cases whose deferred invitation is due (`at_window`: all of that
    /// window's, whatever the time — the clerk moved on to the next case).
    /// Each is taken once: its due time is cleared as it is read.
    pub async fn take_due_invitations(
        &self,
        now: i64,
        at_window: Option<i64>,
    ) -> Result<Vec<i64>, StoreError> {
        with_pool!(self, pool => {
            let ids: Vec<i64> = sqlx::query_scalar(
                "UPDATE cases SET invite_due_at = NULL WHERE invite_due_at IS NOT NULL \
                 AND (($2 IS NULL AND invite_due_at <= $1) OR window_id = $2) RETURNING id")
                .bind(now).bind(at_window).fetch_all(pool).await?;
            Ok(ids)
        })
    }

    /// Marks kiosks and pads as heard from (at most once a minute each), in
    /// one statement: the ratings writer notes a whole group's at once.
    pub async fn touch_devices(&self, ids: &[String], now: i64) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "UPDATE devices SET last_seen_at = $1 WHERE id IN ({}) \
             AND (last_seen_at IS NULL OR last_seen_at < $1 - 60000)",
            super::reports::placeholders_from(2, ids.len())
        );
        with_pool!(self, pool => {
            let mut q = sqlx::query(&sql).bind(now);
            for id in ids {
                q = q.bind(id);
            }
            q.execute(pool).await?;
            Ok(())
        })
    }

    /// A wrong enrolment code for `code`: counted; at `burn_at` wrong tries
    /// the code is burnt. True when it was burnt now or before.
    pub async fn enrol_failed(&self, code: &str, burn_at: u32) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let failures: Option<i64> = sqlx::query_scalar(
                "UPDATE devices SET enrol_failures = enrol_failures + 1 WHERE code = $1 AND kind <> 'web' \
                 RETURNING CAST(enrol_failures AS BIGINT)")
                .bind(code).fetch_optional(pool).await?;
            let Some(f) = failures else { return Ok(false) };
            if f >= i64::from(burn_at) {
                sqlx::query("UPDATE devices SET enrol_code_hash = NULL, enrol_expires_at = NULL WHERE code = $1")
                    .bind(code).execute(pool).await?;
                return Ok(true);
            }
            Ok(false)
        })
    }

    /// A device enrolled at `at` and last heard from then (demo data).
    pub async fn mark_enrolled(
        &self,
        code: &str,
        token_hash: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE devices SET token_hash = $1, enrolled_at = $2, last_seen_at = $2 WHERE code = $3")
                .bind(token_hash).bind(at).bind(code).execute(pool).await?;
            Ok(())
        })
    }

    /// Audited (`voice`).
    pub async fn set_device_voice(
        &self,
        code: &str,
        voice: bool,
        by: &AuditBy,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            lock_row!(tx, LOCK_DEVICE, code);
            let Some(before) = device_snapshot!(tx, code) else {
                return Ok(false);
            };
            let n = sqlx::query("UPDATE devices SET voice = $1 WHERE code = $2 AND kind <> 'web'")
                .bind(voice).bind(code).execute(&mut *tx).await?.rows_affected();
            if n != 1 {
                return Ok(false);
            }
            let after = device_snapshot!(tx, code);
            audit_line!(tx, by, "device", code, "voice", Some(before), after);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Which of `case_ids` hold a first or default rating, per stage.
    pub async fn rated_case_stages(
        &self,
        case_ids: &[i64],
    ) -> Result<Vec<(i64, Option<String>)>, StoreError> {
        if case_ids.is_empty() {
            return Ok(vec![]);
        }
        with_pool!(self, pool => {
            let mut qb = QueryBuilder::new("SELECT case_id, stage FROM ratings WHERE kind <> 'follow_up' AND case_id IN (");
            let mut list = qb.separated(", ");
            for id in case_ids {
                list.push_bind(*id);
            }
            qb.push(")");
            Ok(qb.build_query_as().fetch_all(pool).await?)
        })
    }

    // ---- links ----

    pub async fn insert_link(
        &self,
        nonce: &str,
        case_id: i64,
        channel: &str,
        stage: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("INSERT INTO case_links (nonce, case_id, channel, stage, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(nonce).bind(case_id).bind(channel).bind(stage).bind(now)
                .execute(pool).await?;
            Ok(())
        })
    }

    pub async fn link(&self, nonce: &str) -> Result<Option<LinkRow>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, LinkRow>(
            "SELECT nonce, case_id, channel, stage, used_at, rating_id FROM case_links WHERE nonce = $1")
            .bind(nonce).fetch_optional(pool).await?))
    }

    // ---- SMS outbox ----

    #[allow(clippy::too_many_arguments)]
    /// Writes a message to the SMS outbox and, when an HTTP gateway is
    /// configured, queues it for the gateway's worker in the same
    /// transaction.
    pub async fn insert_outbox(&self, sms: &crate::sms::Sms<'_>) -> Result<i64, StoreError> {
        let ids = self.insert_outbox_all(std::slice::from_ref(sms)).await?;
        ids.into_iter()
            .next()
            .ok_or_else(|| StoreError::Db(sqlx::Error::RowNotFound))
    }

    /// [`Store::insert_outbox`] for several messages, in one transaction
    /// of two statements whatever their number (a sync that opens tickets
    /// tells their administrators at once); their ids, in order.
    pub async fn insert_outbox_all(
        &self,
        all: &[crate::sms::Sms<'_>],
    ) -> Result<Vec<i64>, StoreError> {
        if all.is_empty() {
            return Ok(vec![]);
        }
        // Eight values a row: well under either database's bound.
        const CHUNK: usize = 500;
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut ids = Vec::with_capacity(all.len());
            for chunk in all.chunks(CHUNK) {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO sms_outbox (case_id, ticket_id, phone, body, link_nonce, purpose, created_at, staff_id) ");
                qb.push_values(chunk, |mut b, sms| {
                    b.push_bind(sms.case_id).push_bind(sms.ticket_id).push_bind(sms.phone)
                        .push_bind(sms.body).push_bind(sms.link_nonce).push_bind(sms.purpose)
                        .push_bind(sms.now).push_bind(sms.staff_id);
                });
                qb.push(" RETURNING id");
                let mut mine: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
                // One statement's rows take their ids in the order given;
                // RETURNING need not list them in that order.
                mine.sort_unstable();
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO upstream_outbox (destination, kind, subject, ref_id, next_attempt_at, created_at) \
                     SELECT d.name, 'sms', 'sms:' || CAST(s.id AS TEXT), CAST(s.id AS TEXT), s.created_at, s.created_at \
                     FROM sms_outbox s JOIN upstream_destinations d ON d.name = 'sms' AND d.enabled WHERE s.id IN (");
                let mut list = qb.separated(", ");
                for id in &mine {
                    list.push_bind(*id);
                }
                qb.push(") ORDER BY s.id");
                qb.build().execute(&mut *tx).await?;
                ids.extend(mine);
            }
            tx.commit().await?;
            Ok(ids)
        })
    }

    /// An outbox message's number, with the reveal logged in the same
    /// transaction.
    pub async fn reveal_outbox_phone(
        &self,
        sms_id: i64,
        staff_id: i64,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let phone: Option<String> = sqlx::query_scalar("SELECT phone FROM sms_outbox WHERE id = $1")
                .bind(sms_id).fetch_optional(&mut *tx).await?;
            if phone.is_some() {
                sqlx::query("INSERT INTO outbox_reveals (sms_id, staff_id, revealed_at) VALUES ($1, $2, $3)")
                    .bind(sms_id).bind(staff_id).bind(now).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(phone)
        })
    }

    // ---- notices to unit administrators ----

    /// Unit administrators who asked for notices and gave a phone.
    pub async fn notice_recipients(&self) -> Result<Vec<NoticeRecipient>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, NoticeRecipient>(
            "SELECT id, phone, notify, place_id, department_id FROM staff \
             WHERE role = 'unit_admin' AND active AND phone IS NOT NULL AND notify <> 'off' ORDER BY id")
            .fetch_all(pool).await?))
    }

    /// Records that `staff_id` was told `kind` about a ticket (or, with
    /// `day`, the day's digest); false if they were told already.
    pub async fn record_notice(
        &self,
        staff_id: i64,
        ticket_id: Option<i64>,
        kind: &str,
        day: Option<i64>,
        now: i64,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query(
            "INSERT INTO staff_notices (staff_id, ticket_id, kind, day, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT DO NOTHING")
            .bind(staff_id).bind(ticket_id).bind(kind).bind(day).bind(now)
            .execute(pool).await?.rows_affected() > 0))
    }

    /// Records ticket notices (staff member, ticket, kind) in one statement;
    /// answers those that were not recorded before (to be sent).
    pub async fn record_ticket_notices(
        &self,
        notices: &[(i64, i64, &str)],
        now: i64,
    ) -> Result<Vec<(i64, i64, String)>, StoreError> {
        let mut recorded = vec![];
        for chunk in notices.chunks(1000) {
            with_pool!(self, pool => {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO staff_notices (staff_id, ticket_id, kind, day, created_at) ");
                qb.push_values(chunk, |mut b, (staff, ticket, kind)| {
                    b.push_bind(*staff).push_bind(*ticket).push_bind(*kind).push("NULL").push_bind(now);
                });
                qb.push(" ON CONFLICT DO NOTHING RETURNING staff_id, ticket_id, kind");
                recorded.extend(qb.build_query_as::<(i64, i64, String)>().fetch_all(pool).await?);
            })
        }
        Ok(recorded)
    }

    /// Tickets still in the loop, with the deadlines notices are about:
    /// all of them, or (`Some(ids)`) those among `ids`.
    pub async fn open_ticket_deadlines(
        &self,
        ids: Option<&[i64]>,
    ) -> Result<Vec<TicketDeadlineRow>, StoreError> {
        with_pool!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT t.id, t.place_id, t.department_id, t.status, t.opened_at, t.contact_due, t.contacted_at, \
                        t.rectify_due, t.archived_at, p.name AS place_name, w.name AS window_name \
                 FROM tickets t JOIN places p ON p.id = t.place_id LEFT JOIN windows w ON w.id = t.window_id \
                 WHERE t.status NOT IN ('closed', 'excluded') AND t.archived_at IS NULL");
            push_ids(&mut qb, "t.id", ids);
            qb.push(" ORDER BY t.id");
            Ok(qb.build_query_as::<TicketDeadlineRow>().fetch_all(pool).await?)
        })
    }

    /// The ticket notices already recorded (staff member, ticket, kind) for
    /// the tickets still in the loop, or (`Some(ids)`) for those among `ids`.
    pub async fn ticket_notices_told(
        &self,
        ids: Option<&[i64]>,
    ) -> Result<Vec<(i64, i64, String)>, StoreError> {
        with_pool!(self, pool => {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT n.staff_id, n.ticket_id, n.kind FROM staff_notices n JOIN tickets t ON t.id = n.ticket_id \
                 WHERE t.status NOT IN ('closed', 'excluded') AND t.archived_at IS NULL");
            push_ids(&mut qb, "t.id", ids);
            Ok(qb.build_query_as::<(i64, i64, String)>().fetch_all(pool).await?)
        })
    }

    pub async fn staff_settings(
        &self,
        staff_id: i64,
    ) -> Result<Option<(Option<String>, String)>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, (Option<String>, String)>(
            "SELECT phone, notify FROM staff WHERE id = $1")
            .bind(staff_id).fetch_optional(pool).await?))
    }

    pub async fn set_staff_settings(
        &self,
        staff_id: i64,
        phone: Option<&str>,
        notify: &str,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE staff SET phone = $1, notify = $2 WHERE id = $3")
                .bind(phone).bind(notify).bind(staff_id).execute(pool).await?;
            Ok(())
        })
    }

    pub async fn outbox(&self, limit: i64) -> Result<Vec<OutboxRow>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, OutboxRow>(
            "SELECT id, case_id, phone, body, purpose, created_at, delivery, delivery_at, provider_id \
             FROM sms_outbox ORDER BY id DESC LIMIT $1")
            .bind(limit).fetch_all(pool).await?))
    }

    // ---- integrations ----

    pub async fn integration_source(&self, token_hash: &str) -> Result<Option<String>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar(
            "SELECT source FROM integrations WHERE token_hash = $1 AND active")
            .bind(token_hash).fetch_optional(pool).await?))
    }

    pub async fn insert_integration(
        &self,
        source: &str,
        name: &str,
        token_hash: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("INSERT INTO integrations (source, name, token_hash, created_at) VALUES ($1, $2, $3, $4)")
                .bind(source).bind(name).bind(token_hash).bind(now).execute(pool).await?;
            Ok(())
        })
    }

    // ---- secrets ----

    /// The named secret, made with `make` on first use and kept.
    pub async fn secret(
        &self,
        name: &str,
        make: impl FnOnce() -> String,
    ) -> Result<String, StoreError> {
        let fresh = make();
        with_pool!(self, pool => {
            sqlx::query("INSERT INTO app_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                .bind(name).bind(&fresh).execute(pool).await?;
            Ok(sqlx::query_scalar("SELECT value FROM app_secrets WHERE name = $1").bind(name).fetch_one(pool).await?)
        })
    }

    // ---- jobs ----

    /// `cases c` read through the partial index of unrated finished cases.
    /// SQLite, with no statistics, takes `status = 'finished'` for a
    /// selective equality and walks `cases_status_finished`, i.e. every
    /// finished case, on every call: named there. PostgreSQL picks it.
    fn unrated_cases(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "cases c INDEXED BY cases_unrated",
            Store::Postgres(_) => "cases c",
        }
    }

    /// Finished cases with no rating at all that finished at or before `cutoff`.
    pub async fn unrated_cases_finished_before(
        &self,
        cutoff: i64,
        limit: i64,
    ) -> Result<Vec<UnratedCase>, StoreError> {
        let sql = format!(
            "SELECT c.id, c.case_no, c.place_id, c.window_id, c.finished_at FROM {} \
             WHERE c.status = 'finished' AND c.first_rated_at IS NULL AND c.finished_at <= $1 \
             ORDER BY c.finished_at, c.id LIMIT $2",
            self.unrated_cases()
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, UnratedCase>(&sql)
            .bind(cutoff).bind(limit).fetch_all(pool).await?))
    }

    /// Finished unrated cases with a phone and at least one invitation sent.
    pub async fn reminder_candidates(
        &self,
        limit: i64,
    ) -> Result<Vec<ReminderCandidate>, StoreError> {
        let sql = format!(
            "SELECT c.id, c.applicant_phone AS phone, COUNT(o.id) AS sent, MAX(o.created_at) AS last_sent_at \
             FROM {} JOIN sms_outbox o ON o.case_id = c.id \
             WHERE c.status = 'finished' AND c.first_rated_at IS NULL AND c.applicant_phone IS NOT NULL \
             GROUP BY c.id, c.applicant_phone ORDER BY c.id LIMIT $1",
            self.unrated_cases()
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, ReminderCandidate>(&sql)
            .bind(limit).fetch_all(pool).await?))
    }
}

/// ` AND <column> IN (…)` when `ids` is given (an empty list matches nothing).
fn push_ids<'a, DB: sqlx::Database>(
    qb: &mut sqlx::QueryBuilder<'a, DB>,
    column: &str,
    ids: Option<&'a [i64]>,
) where
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    let Some(ids) = ids else { return };
    if ids.is_empty() {
        qb.push(" AND 1 = 0");
        return;
    }
    qb.push(format!(" AND {column} IN ("));
    let mut list = qb.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    list.push_unseparated(")");
}
