//! Every query, written once for both databases (see `with_pool!`).
//! Placeholders are `$1, $2, …` in order of first use, which SQLite and
//! PostgreSQL both read the same way.

use super::BeginWrite;
use std::collections::{HashMap, HashSet};

use domain::case::{self as cases, RatingKind, Stage};
use domain::sync::{self, ItemStatus};
use domain::{DeviceKind, RatingRecord, Role};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::reports::{batch_of, detect_flags, insert_flags, rollup_cases, rollup_ratings};
use super::tx::Tx;
use super::{with_held, with_pool, Deadlines, OpenedTickets, Store, StoreError};
use domain::fraud::FraudPolicy;

/// Rows per multi-row statement: 24 binds each stays far below both
/// databases' parameter limits.
const CHUNK: usize = 500;

/// A validated rating with its canonical content and corrected time.
pub struct NewRating<'a> {
    pub record: &'a RatingRecord,
    pub canonical: &'a str,
    pub rated_at: i64,
    /// The case rated, when the rating names a known one.
    pub case_id: Option<i64>,
    /// Set only for server-made ratings (系统默认); otherwise classified
    /// at ingest (一次一评).
    pub preset_kind: Option<RatingKind>,
    /// The staff member who typed it in (paper form, phone call).
    pub entered_by: Option<i64>,
    /// The single-use link it came through, used up when it is stored.
    pub link_nonce: Option<String>,
    /// A web rating's client address, as a keyed hash (burst detection).
    pub client_hash: Option<String>,
    /// Why its time is in doubt (a `late` flag is set with it).
    pub late: Option<String>,
}

impl<'a> NewRating<'a> {
    pub fn plain(record: &'a RatingRecord, canonical: &'a str, rated_at: i64) -> Self {
        NewRating {
            record,
            canonical,
            rated_at,
            case_id: None,
            preset_kind: None,
            entered_by: None,
            link_nonce: None,
            client_hash: None,
            late: None,
        }
    }
}

/// The answer for one item of an ingested batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ingested {
    pub status: ItemStatus,
    /// First, follow-up or default, for items stored by this call.
    pub kind: Option<RatingKind>,
}

/// An item refused at validation, kept as received.
pub struct Rejection {
    pub rating_id: Option<String>,
    pub code: String,
    pub message: String,
    pub payload: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: String,
    pub code: String,
    #[sqlx(try_from = "String")]
    pub kind: DeviceKind,
    pub place_id: i64,
    pub place_name: String,
    pub window_id: Option<i64>,
    pub dimension_set: String,
    pub active: bool,
    pub voice: bool,
    pub enrolled_at: Option<i64>,
}

/// A device with what authenticates it, read in one query for each sync.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceWithAuth {
    #[sqlx(flatten)]
    pub device: DeviceRow,
    pub token_hash: Option<String>,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffAuthRow {
    pub id: i64,
    pub password_hash: String,
    pub active: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub staff_id: i64,
    pub username: String,
    pub display_name: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub department_id: Option<i64>,
    pub place_id: Option<i64>,
    pub window_id: Option<i64>,
    pub unit_name: String,
    pub csrf_token: String,
    /// The district of the account's place or department, if any: a
    /// supervisor bound to it acts only there (004 §9 本地区).
    pub district_id: Option<i64>,
}

/// A rating as staff see it: no device, no evaluator identity.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RatingViewRow {
    pub id: String,
    pub rated_at: i64,
    pub received_at: i64,
    pub channel: String,
    pub level: i32,
    pub place_name: String,
    pub window_name: Option<String>,
    pub case_no: Option<String>,
    pub reasons: String,
    pub comment: String,
    pub kind: String,
    pub stage: Option<String>,
    pub proactive: bool,
    pub entered_by_name: Option<String>,
    /// Evaluator identity: only for roles allowed to see it, masked or not
    /// (see `routes::staff::rating_view`).
    pub evaluator_phone: Option<String>,
    pub evaluator_id_no: Option<String>,
}

/// Which ratings a staff member may see.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub everything: bool,
    pub place_id: Option<i64>,
    pub department_id: Option<i64>,
    /// A district supervisor's district (004 §9 本地区): every place in it,
    /// its towns and villages.
    pub district_id: Option<i64>,
}

impl Scope {
    /// The first parameter of [`Scope::sql`]: -1 for everything, the
    /// district's id, or 0 (a unit's place or department only).
    pub fn code(&self) -> i64 {
        if self.everything {
            -1
        } else {
            self.district_id.unwrap_or(0)
        }
    }

    /// `($1 … $3)`: whether the row with `place` and `department` columns is
    /// in the scope bound as `code()`, `place_id`, `department_id`.
    pub fn sql(place: &str, department: &str) -> String {
        format!(
            "($1 = -1 OR {place} = $2 OR {department} = $3 OR ($1 > 0 AND {place} IN \
             (SELECT sp.id FROM places sp JOIN regions s0 ON s0.id = sp.region_id \
              LEFT JOIN regions s1 ON s1.id = s0.parent_id LEFT JOIN regions s2 ON s2.id = s1.parent_id \
              WHERE $1 IN (s0.id, s1.id, s2.id))))"
        )
    }
}

pub struct NewStaff<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub department_id: Option<i64>,
    pub place_id: Option<i64>,
    pub window_id: Option<i64>,
    pub password_hash: &'a str,
}

/// A kiosk or pad an administrator registers (`Store::register_device`).
pub struct NewDevice<'a> {
    pub id: &'a Uuid,
    pub code: &'a str,
    pub kind: DeviceKind,
    pub place_id: i64,
    pub window_id: Option<i64>,
    pub dimension_set: &'a str,
}

const RATING_COLUMNS: &str = "INSERT INTO ratings (id, device_id, device_seq, channel, case_no, place_id, window_id, \
     level, grade, dimension_set, items, reasons, comment, device_time, rated_at, received_at, payload, \
     case_id, stage, kind, proactive, entered_by, evaluator_phone, evaluator_id_no, client_hash, evaluator_type) ";

/// Appends the VALUES of `rows` to an INSERT into `ratings`.
fn push_rating_values<'a, DB>(
    qb: &mut QueryBuilder<'a, DB>,
    rows: &[(&NewRating<'_>, RatingKind)],
    received_at: i64,
) where
    DB: sqlx::Database,
    String: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    i32: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    use domain::CodeMap;
    qb.push_values(rows, |mut b, (n, kind)| {
        let r = n.record;
        b.push_bind(r.id.to_string())
            .push_bind(r.device_id.to_string())
            .push_bind(r.seq as i64)
            .push_bind(r.channel.as_str().to_string())
            .push_bind(r.case_no.clone())
            .push_bind(r.place_id)
            .push_bind(r.window_id)
            .push_bind(i32::from(CodeMap::Gbt39046.encode(r.level)))
            .push_bind(r.level.grade().as_str().to_string())
            .push_bind(r.dimension_set.clone())
            .push_bind(serde_json::to_string(&r.items).unwrap_or_default())
            .push_bind(serde_json::to_string(&r.reasons).unwrap_or_default())
            .push_bind(r.comment.clone())
            .push_bind(r.device_time)
            .push_bind(n.rated_at)
            .push_bind(received_at)
            .push_bind(n.canonical.to_string())
            .push_bind(n.case_id)
            .push_bind(r.stage.map(|s| s.as_str().to_string()))
            .push_bind(kind.as_str().to_string())
            .push_bind(*kind != RatingKind::SystemDefault)
            .push_bind(n.entered_by)
            .push_bind(r.evaluator_phone.clone())
            .push_bind(r.evaluator_id_no.clone())
            .push_bind(n.client_hash.clone())
            .push_bind(r.evaluator_type.map(|t| t.as_str().to_string()));
    });
}

impl Store {
    /// Stores a batch of validated ratings in one transaction and answers
    /// per item (see `domain::sync`). Conflicts are kept aside.
    pub async fn ingest(
        &self,
        items: &[NewRating<'_>],
        received_at: i64,
        fraud: &FraudPolicy,
    ) -> Result<Vec<Ingested>, StoreError> {
        Ok(self
            .ingest_opening(items, received_at, fraud, None)
            .await?
            .0)
    }

    /// [`Store::ingest`], and with `open` the tickets of the bad ratings
    /// it stores opened in the same transaction, under a savepoint: if
    /// opening them fails, that part alone is rolled back (logged; the
    /// jobs' sweep opens them) and the ratings are stored all the same.
    /// Also answers the tickets opened, (ticket id, rating id).
    pub async fn ingest_opening(
        &self,
        items: &[NewRating<'_>],
        received_at: i64,
        fraud: &FraudPolicy,
        open: Option<Deadlines<'_>>,
    ) -> Result<(Vec<Ingested>, OpenedTickets), StoreError> {
        let mut held = self.hold().await?;
        self.ingest_opening_on(&mut held, items, received_at, fraud, open)
            .await
    }

    /// [`Store::ingest_opening`] on a connection the caller keeps (the
    /// ratings writer's, see [`super::Held`]).
    #[tracing::instrument(skip_all, err, fields(n = items.len()))]
    pub async fn ingest_opening_on(
        &self,
        held: &mut super::Held,
        items: &[NewRating<'_>],
        received_at: i64,
        fraud: &FraudPolicy,
        open: Option<Deadlines<'_>>,
    ) -> Result<(Vec<Ingested>, OpenedTickets), StoreError> {
        let keyed: Vec<(Uuid, &str)> = items.iter().map(|n| (n.record.id, n.canonical)).collect();
        let firsts: Vec<&NewRating> = items
            .iter()
            .zip(sync::first_occurrences(keyed.iter().map(|(id, _)| *id)))
            .filter(|(_, first)| *first)
            .map(|(n, _)| n)
            .collect();
        let case_ids: Vec<i64> = {
            let mut v: Vec<i64> = firsts.iter().filter_map(|n| n.case_id).collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        with_held!(held, conn, begin => {
            let mut tx = begin(conn).await?;
            // 一次一评: which cases (and stages) already have their first rating.
            let mut rated: HashSet<(i64, Option<Stage>)> = HashSet::new();
            for chunk in case_ids.chunks(CHUNK) {
                let mut qb = QueryBuilder::new("SELECT case_id, stage FROM ratings WHERE kind <> 'follow_up' AND case_id IN (");
                let mut list = qb.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                qb.push(")");
                let rows: Vec<(i64, Option<String>)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                rated.extend(rows.into_iter().map(|(c, s)| (c, s.as_deref().and_then(Stage::parse))));
            }
            let keys: Vec<Option<(i64, Option<Stage>)>> =
                firsts.iter().map(|n| n.case_id.map(|c| (c, n.record.stage))).collect();
            let classified = cases::classify(&keys, |c, s| rated.contains(&(c, s)));
            let rows: Vec<(&NewRating, RatingKind)> = firsts
                .iter()
                .zip(classified)
                .map(|(n, k)| (*n, n.preset_kind.unwrap_or(k)))
                .collect();
            let kind_of: HashMap<Uuid, RatingKind> = rows.iter().map(|(n, k)| (n.record.id, *k)).collect();
            // A case's `rated` may change: take its contribution out first.
            rollup_cases(&mut Tx::from(&mut tx), &case_ids, -1).await?;
            let mut inserted: HashSet<String> = HashSet::with_capacity(firsts.len());
            let mut new_ids: Vec<String> = Vec::with_capacity(firsts.len());
            for chunk in rows.chunks(CHUNK) {
                let mut qb = QueryBuilder::new(RATING_COLUMNS);
                push_rating_values(&mut qb, chunk, received_at);
                qb.push(" ON CONFLICT (id) DO NOTHING RETURNING id");
                let ids: Vec<String> = qb.build_query_scalar().fetch_all(&mut *tx).await?;
                new_ids.extend(ids.iter().cloned());
                inserted.extend(ids);
            }
            // The cases' first rating (the default-rating job's index).
            for chunk in case_ids.chunks(CHUNK) {
                let mut qb = QueryBuilder::new(
                    "UPDATE cases SET first_rated_at = (SELECT MIN(r.rated_at) FROM ratings r \
                     WHERE r.case_id = cases.id AND r.kind <> 'follow_up') WHERE id IN (");
                let mut list = qb.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                qb.push(")");
                qb.build().execute(&mut *tx).await?;
            }
            // Misuse flags, then the new ratings' contribution (flagged
            // ones count as not valid until reviewed), in this transaction.
            let fresh: Vec<&NewRating> = rows
                .iter()
                .map(|(n, _)| *n)
                .filter(|n| inserted.contains(&n.record.id.to_string()))
                .collect();
            let batch = batch_of(&mut Tx::from(&mut tx), &fresh).await?;
            let mut flags = detect_flags(&mut Tx::from(&mut tx), &batch, fraud).await?;
            flags.extend(rows.iter().filter_map(|(n, _)| {
                let id = n.record.id.to_string();
                let detail = n.late.clone()?;
                inserted.contains(&id).then(|| crate::store::reports::NewFlag {
                    rating_id: id,
                    reason: domain::fraud::FlagReason::Late.as_str(),
                    detail,
                })
            }));
            insert_flags(&mut Tx::from(&mut tx), &flags, &inserted, received_at).await?;
            rollup_ratings(&mut Tx::from(&mut tx), &new_ids, 1).await?;
            rollup_cases(&mut Tx::from(&mut tx), &case_ids, 1).await?;
            // For the provincial platform, in this transaction (the outbox).
            Tx::from(&mut tx).enqueue_ratings(&new_ids, received_at).await?;
            let known: Vec<String> = firsts
                .iter()
                .map(|n| n.record.id.to_string())
                .filter(|id| !inserted.contains(id))
                .collect();
            let mut stored: HashMap<Uuid, String> = HashMap::new();
            for chunk in known.chunks(CHUNK) {
                let mut qb = QueryBuilder::new("SELECT id, payload FROM ratings WHERE id IN (");
                let mut list = qb.separated(", ");
                for id in chunk {
                    list.push_bind(id.clone());
                }
                qb.push(")");
                let rows: Vec<(String, String)> = qb.build_query_as().fetch_all(&mut *tx).await?;
                stored.extend(rows.into_iter().filter_map(|(id, p)| Some((Uuid::parse_str(&id).ok()?, p))));
            }
            let statuses = sync::resolve(&keyed, |id| {
                if inserted.contains(&id.to_string()) {
                    None
                } else {
                    // Not inserted yet not found cannot happen; if it did, an
                    // empty content makes it a conflict: kept, never claimed.
                    Some(stored.get(id).map(String::as_str).unwrap_or(""))
                }
            });
            for (n, status) in items.iter().zip(&statuses) {
                if *status == ItemStatus::Accepted {
                    if let Some(nonce) = &n.link_nonce {
                        sqlx::query("UPDATE case_links SET used_at = $1, rating_id = $2 WHERE nonce = $3 AND used_at IS NULL")
                            .bind(received_at)
                            .bind(n.record.id.to_string())
                            .bind(nonce)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                if *status == ItemStatus::Conflict {
                    sqlx::query("INSERT INTO sync_conflicts (rating_id, device_id, payload, received_at) VALUES ($1, $2, $3, $4)")
                        .bind(n.record.id.to_string())
                        .bind(n.record.device_id.to_string())
                        .bind(n.canonical.to_string())
                        .bind(received_at)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            let mut opened = vec![];
            if let Some(open) = open {
                // Also a retried rating's whose ticket did not open before.
                let bad: Vec<String> = firsts
                    .iter()
                    .filter(|n| n.record.level.is_bad())
                    .map(|n| n.record.id.to_string())
                    .collect();
                if !bad.is_empty() {
                    let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
                    match open.tickets(&mut Tx::from(&mut savepoint), &bad, received_at).await {
                        Ok(ids) => {
                            savepoint.commit().await?;
                            opened = ids;
                        }
                        Err(e) => {
                            tracing::error!(error = ?e, "opening tickets for bad ratings failed; the jobs retry");
                            savepoint.rollback().await?;
                        }
                    }
                }
            }
            tx.commit().await?;
            let answers = items
                .iter()
                .zip(statuses)
                .map(|(n, status)| Ingested {
                    status,
                    kind: (status == ItemStatus::Accepted)
                        .then(|| kind_of.get(&n.record.id).copied())
                        .flatten(),
                })
                .collect();
            Ok((answers, opened))
        })
    }

    /// A plain batched INSERT of the same rows, without reconciliation: the
    /// baseline the sync ingest is measured against.
    pub async fn insert_ratings_raw(
        &self,
        items: &[NewRating<'_>],
        received_at: i64,
    ) -> Result<(), StoreError> {
        let rows: Vec<(&NewRating, RatingKind)> =
            items.iter().map(|n| (n, RatingKind::First)).collect();
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for chunk in rows.chunks(CHUNK) {
                let mut qb = QueryBuilder::new(RATING_COLUMNS);
                push_rating_values(&mut qb, chunk, received_at);
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    #[tracing::instrument(skip_all, err)]
    pub async fn record_rejections(
        &self,
        device_id: &str,
        rejections: &[Rejection],
        received_at: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for r in rejections {
                sqlx::query("INSERT INTO sync_rejections (device_id, rating_id, code, message, payload, received_at) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(device_id)
                    .bind(r.rating_id.clone())
                    .bind(r.code.clone())
                    .bind(r.message.clone())
                    .bind(r.payload.clone())
                    .bind(received_at)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn device(&self, id: &Uuid) -> Result<Option<DeviceRow>, StoreError> {
        self.device_where("d.id", id.to_string()).await
    }

    pub async fn device_by_code(&self, code: &str) -> Result<Option<DeviceRow>, StoreError> {
        self.device_where("d.code", code.to_string()).await
    }

    pub async fn device_by_token(&self, token_hash: &str) -> Result<Option<DeviceRow>, StoreError> {
        self.device_where("d.token_hash", token_hash.to_string())
            .await
    }

    async fn device_where(
        &self,
        column: &'static str,
        value: String,
    ) -> Result<Option<DeviceRow>, StoreError> {
        let sql = format!(
            "SELECT d.id, d.code, d.kind, d.place_id, p.name AS place_name, d.window_id, d.dimension_set, d.active, d.voice, d.enrolled_at \
             FROM devices d JOIN places p ON p.id = d.place_id WHERE {column} = $1"
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, DeviceRow>(&sql).bind(value).fetch_optional(pool).await?))
    }

    /// [`Store::device`] and its token and revocation, in one query (every
    /// sync batch asks).
    pub async fn device_with_auth(&self, id: &Uuid) -> Result<Option<DeviceWithAuth>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, DeviceWithAuth>(
            "SELECT d.id, d.code, d.kind, d.place_id, p.name AS place_name, d.window_id, d.dimension_set, d.active, d.voice, \
                    d.enrolled_at, d.token_hash, d.revoked_at \
             FROM devices d JOIN places p ON p.id = d.place_id WHERE d.id = $1")
            .bind(id.to_string()).fetch_optional(pool).await?))
    }

    pub async fn window_ids_of_place(&self, place_id: i64) -> Result<Vec<i64>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar("SELECT id FROM windows WHERE place_id = $1")
            .bind(place_id)
            .fetch_all(pool)
            .await?))
    }

    pub async fn staff_for_login(
        &self,
        username: &str,
    ) -> Result<Option<StaffAuthRow>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, StaffAuthRow>(
            "SELECT id, password_hash, active FROM staff WHERE username = $1")
            .bind(username)
            .fetch_optional(pool)
            .await?))
    }

    pub async fn create_session(
        &self,
        token_hash: &str,
        staff_id: i64,
        csrf_token: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("INSERT INTO sessions (token_hash, staff_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(token_hash)
                .bind(staff_id)
                .bind(csrf_token)
                .bind(now)
                .bind(expires_at)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// A live session: not expired, touched since `idle_since`, of an
    /// active account. Using it marks it touched (at most once a minute).
    pub async fn session(
        &self,
        token_hash: &str,
        now: i64,
        idle_since: i64,
    ) -> Result<Option<SessionRow>, StoreError> {
        with_pool!(self, pool => {
            let row = sqlx::query_as::<_, SessionRow>(
                "SELECT s.staff_id, st.username, st.display_name, st.role, st.department_id, st.place_id, st.window_id, \
                        COALESCE(p.name, d.name, '') AS unit_name, s.csrf_token, \
                        CAST(COALESCE(CASE g0.level WHEN 'district' THEN g0.id WHEN 'town' THEN g1.id WHEN 'village' THEN g2.id END, \
                             CASE dg.level WHEN 'district' THEN dg.id END) AS BIGINT) AS district_id \
                 FROM sessions s JOIN staff st ON st.id = s.staff_id \
                 LEFT JOIN places p ON p.id = st.place_id LEFT JOIN departments d ON d.id = st.department_id \
                 LEFT JOIN regions g0 ON g0.id = p.region_id LEFT JOIN regions g1 ON g1.id = g0.parent_id \
                 LEFT JOIN regions g2 ON g2.id = g1.parent_id LEFT JOIN regions dg ON dg.id = d.region_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND COALESCE(s.last_seen_at, s.created_at) > $3 AND st.active")
                .bind(token_hash)
                .bind(now)
                .bind(idle_since)
                .fetch_optional(pool)
                .await?;
            if row.is_some() {
                sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2 \
                             AND COALESCE(last_seen_at, created_at) < $1 - 60000")
                    .bind(now).bind(token_hash).execute(pool).await?;
            }
            Ok(row)
        })
    }

    /// Ends every session of an account (its password changed or was reset).
    pub async fn delete_sessions_of(&self, staff_id: i64) -> Result<u64, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query("DELETE FROM sessions WHERE staff_id = $1")
            .bind(staff_id).execute(pool).await?.rows_affected()))
    }

    /// Claims jobs tick `tick` for `instance`: true for exactly one server
    /// per tick however many share the database (the row's key decides).
    /// Keeps the last 10,000 ticks' rows (who ran what, for operators).
    pub async fn claim_job_tick(
        &self,
        tick: i64,
        instance: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        with_pool!(self, pool => {
            let won = sqlx::query(
                "INSERT INTO job_ticks (tick, instance, at) VALUES ($1, $2, $3) ON CONFLICT (tick) DO NOTHING")
                .bind(tick).bind(instance).bind(now).execute(pool).await?.rows_affected() == 1;
            if won {
                sqlx::query("DELETE FROM job_ticks WHERE tick < $1")
                    .bind(tick - 10_000).execute(pool).await?;
            }
            Ok(won)
        })
    }

    /// Makes the month partitions of ratings for the China-time months that
    /// [from, to] touches (migration 0025), returning how many were new.
    /// PostgreSQL only: SQLite's one table needs none.
    pub async fn make_rating_months(&self, from: i64, to: i64) -> Result<usize, StoreError> {
        match self {
            Store::Sqlite(_) => Ok(0),
            Store::Postgres(pool) => {
                // A year a call: the function refuses spans over three.
                const YEAR_MS: i64 = 365 * 86_400_000;
                let (mut at, mut made) = (from, 0usize);
                while at <= to {
                    let end = at.saturating_add(YEAR_MS).min(to);
                    let n: i32 = sqlx::query_scalar("SELECT rating_months($1, $2)")
                        .bind(at)
                        .bind(end)
                        .fetch_one(pool)
                        .await?;
                    made += n.max(0) as usize;
                    if end >= to {
                        break;
                    }
                    at = end + 1;
                }
                Ok(made)
            }
        }
    }

    /// The servers that ran the given ticks, oldest first.
    pub async fn job_tick_runners(
        &self,
        from: i64,
        to: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_as::<_, (i64, String)>(
            "SELECT tick, instance FROM job_ticks WHERE tick >= $1 AND tick <= $2 ORDER BY tick")
            .bind(from).bind(to).fetch_all(pool).await?))
    }

    /// Drops sessions that expired or went idle, and stale sign-in failures.
    pub async fn purge_sessions(&self, now: i64, idle_since: i64) -> Result<u64, StoreError> {
        with_pool!(self, pool => {
            let n = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR COALESCE(last_seen_at, created_at) <= $2")
                .bind(now).bind(idle_since).execute(pool).await?.rows_affected();
            sqlx::query("DELETE FROM login_failures WHERE since < $1 AND (locked_until IS NULL OR locked_until < $2)")
                .bind(now - 86_400_000).bind(now).execute(pool).await?;
            Ok(n)
        })
    }

    /// An account's wrong-password record (see `limits::lockout`).
    pub async fn login_failures(
        &self,
        username: &str,
    ) -> Result<crate::limits::Lockout, StoreError> {
        with_pool!(self, pool => {
            let row: Option<(i64, i64, Option<i64>)> = sqlx::query_as(
                "SELECT CAST(failures AS BIGINT), since, locked_until FROM login_failures WHERE username = $1")
                .bind(username).fetch_optional(pool).await?;
            Ok(row.map(|(failures, since, until)| crate::limits::Lockout {
                failures: u32::try_from(failures).unwrap_or(u32::MAX),
                since,
                until,
            }).unwrap_or_default())
        })
    }

    pub async fn set_login_failures(
        &self,
        username: &str,
        l: crate::limits::Lockout,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("INSERT INTO login_failures (username, failures, since, locked_until) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (username) DO UPDATE SET failures = excluded.failures, since = excluded.since, \
                         locked_until = excluded.locked_until")
                .bind(username).bind(i64::from(l.failures)).bind(l.since).bind(l.until)
                .execute(pool).await?;
            Ok(())
        })
    }

    pub async fn clear_login_failures(&self, username: &str) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM login_failures WHERE username = $1").bind(username).execute(pool).await?;
            Ok(())
        })
    }

    pub async fn set_password(&self, staff_id: i64, hash: &str) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("UPDATE staff SET password_hash = $1 WHERE id = $2").bind(hash).bind(staff_id)
                .execute(pool).await?;
            Ok(())
        })
    }

    pub async fn password_hash_of(&self, staff_id: i64) -> Result<Option<String>, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar("SELECT password_hash FROM staff WHERE id = $1")
            .bind(staff_id).fetch_optional(pool).await?))
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
            Ok(())
        })
    }

    /// Ratings in `scope`, newest first; only bad ones when `bad_only`.
    #[tracing::instrument(skip_all, err)]
    pub async fn ratings_in_scope(
        &self,
        scope: Scope,
        bad_only: bool,
        limit: i64,
    ) -> Result<Vec<RatingViewRow>, StoreError> {
        self.ratings_in_scope_where(
            scope,
            if bad_only { "r.grade = 'bad'" } else { "TRUE" },
            limit,
        )
        .await
    }

    /// Ratings that are not bad and carry a comment (意见建议), newest first.
    pub async fn suggestions_in_scope(
        &self,
        scope: Scope,
        limit: i64,
    ) -> Result<Vec<RatingViewRow>, StoreError> {
        self.ratings_in_scope_where(scope, "r.grade <> 'bad' AND TRIM(r.comment) <> ''", limit)
            .await
    }

    async fn ratings_in_scope_where(
        &self,
        scope: Scope,
        condition: &'static str,
        limit: i64,
    ) -> Result<Vec<RatingViewRow>, StoreError> {
        let sql = format!(
            "SELECT r.id, r.rated_at, r.received_at, r.channel, r.level, p.name AS place_name, \
                    w.name AS window_name, r.case_no, r.reasons, r.comment, r.kind, r.stage, r.proactive, \
                    eb.display_name AS entered_by_name, r.evaluator_phone, r.evaluator_id_no \
             FROM ratings r JOIN places p ON p.id = r.place_id LEFT JOIN windows w ON w.id = r.window_id \
             LEFT JOIN staff eb ON eb.id = r.entered_by \
             WHERE {} AND {condition} \
             ORDER BY r.rated_at DESC, r.id DESC LIMIT $4",
            Scope::sql("r.place_id", "w.department_id")
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, RatingViewRow>(&sql)
            .bind(scope.code())
            .bind(scope.place_id)
            .bind(scope.department_id)
            .bind(limit)
            .fetch_all(pool)
            .await?))
    }

    /// (all ratings, bad ratings) in `scope`. Bad ratings found invalid or
    /// malicious (excluded tickets) are not counted (seed 004 §18).
    pub async fn count_in_scope(&self, scope: Scope) -> Result<(i64, i64), StoreError> {
        let sql = format!(
            "SELECT COUNT(*), COALESCE(SUM(CASE WHEN r.grade = 'bad' AND NOT EXISTS \
                (SELECT 1 FROM tickets t WHERE t.rating_id = r.id AND t.status = 'excluded') THEN 1 ELSE 0 END), 0) \
             FROM ratings r LEFT JOIN windows w ON w.id = r.window_id WHERE {}",
            Scope::sql("r.place_id", "w.department_id")
        );
        with_pool!(self, pool => Ok(sqlx::query_as::<_, (i64, i64)>(&sql)
            .bind(scope.code())
            .bind(scope.place_id)
            .bind(scope.department_id)
            .fetch_one(pool)
            .await?))
    }

    /// Counts rows of a table this module owns (for tests, benches, start-up).
    pub async fn count(&self, table: CountedTable) -> Result<i64, StoreError> {
        let sql = format!("SELECT COUNT(*) FROM {}", table.name());
        with_pool!(self, pool => Ok(sqlx::query_scalar::<_, i64>(&sql).fetch_one(pool).await?))
    }

    pub async fn insert_region(
        &self,
        code: &str,
        name: &str,
        level: &str,
        parent: Option<i64>,
    ) -> Result<i64, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar(
            "INSERT INTO regions (code, name, level, parent_id) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(code).bind(name).bind(level).bind(parent)
            .fetch_one(pool).await?))
    }

    pub async fn insert_department(
        &self,
        code: &str,
        name: &str,
        region_id: i64,
    ) -> Result<i64, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar(
            "INSERT INTO departments (code, name, region_id) VALUES ($1, $2, $3) RETURNING id")
            .bind(code).bind(name).bind(region_id)
            .fetch_one(pool).await?))
    }

    pub async fn insert_place(
        &self,
        code: &str,
        name: &str,
        kind: &str,
        region_id: i64,
    ) -> Result<i64, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar(
            "INSERT INTO places (code, name, kind, region_id) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(code).bind(name).bind(kind).bind(region_id)
            .fetch_one(pool).await?))
    }

    pub async fn insert_window(
        &self,
        place_id: i64,
        code: &str,
        name: &str,
        department_id: Option<i64>,
    ) -> Result<i64, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar(
            "INSERT INTO windows (place_id, code, name, department_id) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(place_id).bind(code).bind(name).bind(department_id)
            .fetch_one(pool).await?))
    }

    pub async fn insert_service_item(
        &self,
        code: &str,
        name: &str,
        department_id: i64,
    ) -> Result<i64, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar(
            "INSERT INTO service_items (code, name, department_id) VALUES ($1, $2, $3) RETURNING id")
            .bind(code).bind(name).bind(department_id)
            .fetch_one(pool).await?))
    }

    pub async fn insert_staff(&self, s: &NewStaff<'_>) -> Result<i64, StoreError> {
        with_pool!(self, pool => Ok(sqlx::query_scalar(
            "INSERT INTO staff (username, display_name, role, department_id, place_id, window_id, password_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
            .bind(s.username).bind(s.display_name).bind(s.role.as_str())
            .bind(s.department_id).bind(s.place_id).bind(s.window_id).bind(s.password_hash)
            .fetch_one(pool).await?))
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn insert_device(
        &self,
        id: &Uuid,
        code: &str,
        kind: DeviceKind,
        place_id: i64,
        window_id: Option<i64>,
        dimension_set: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        with_pool!(self, pool => {
            sqlx::query("INSERT INTO devices (id, code, kind, place_id, window_id, dimension_set, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(id.to_string()).bind(code).bind(kind.as_str()).bind(place_id).bind(window_id).bind(dimension_set).bind(now)
                .execute(pool).await?;
            Ok(())
        })
    }
}

/// Tables whose size is observable; a closed set so no name is ever
/// spliced into SQL from outside.
#[derive(Debug, Clone, Copy)]
pub enum CountedTable {
    Ratings,
    SyncConflicts,
    SyncRejections,
    Regions,
    Tickets,
    RatingFlags,
}

impl CountedTable {
    fn name(self) -> &'static str {
        match self {
            CountedTable::Ratings => "ratings",
            CountedTable::SyncConflicts => "sync_conflicts",
            CountedTable::SyncRejections => "sync_rejections",
            CountedTable::Regions => "regions",
            CountedTable::Tickets => "tickets",
            CountedTable::RatingFlags => "rating_flags",
        }
    }
}
