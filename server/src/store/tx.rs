//! The few statements the rollup upkeep and the misuse detectors run,
//! as leaves over a transaction on either database. Each is written once;
//! `with_tx!` type-checks it for SQLite and for PostgreSQL, and the only
//! thing that differs between them is the placeholder style of the long
//! id lists (`?` on SQLite, whose parsing grows with the square of `$N`).
//! The logic that calls them (`store::reports::rollup_source`,
//! `detect_flags`, `insert_flags`) is ordinary code.

use sqlx::{Postgres, Sqlite, Transaction};

use super::rectify::{BadRatingRow, OpenedTickets};

use super::reports::{
    fact_select, not_valid, placeholders, values_delta_sql, BatchRating, Fact, NewFlag, Reach,
    Rollup, RollupCounts, RollupKey, Source, StaffIdentity,
};

/// An open transaction on one of the two databases.
pub enum Tx<'t, 'c> {
    Sqlite(&'t mut Transaction<'c, Sqlite>),
    Postgres(&'t mut Transaction<'c, Postgres>),
}

impl<'t, 'c> From<&'t mut Transaction<'c, Sqlite>> for Tx<'t, 'c> {
    fn from(tx: &'t mut Transaction<'c, Sqlite>) -> Self {
        Tx::Sqlite(tx)
    }
}

impl<'t, 'c> From<&'t mut Transaction<'c, Postgres>> for Tx<'t, 'c> {
    fn from(tx: &'t mut Transaction<'c, Postgres>) -> Self {
        Tx::Postgres(tx)
    }
}

/// Runs `$body` with `$conn` the transaction's connection, on either database.
macro_rules! with_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            Tx::Sqlite(t) => {
                let $conn = &mut ***t;
                $body
            }
            Tx::Postgres(t) => {
                let $conn = &mut ***t;
                $body
            }
        }
    };
}

/// Ids of ratings or cases, whose contribution moves.
#[derive(Debug, Clone, Copy)]
pub enum Ids<'a> {
    Ratings(&'a [String]),
    Cases(&'a [i64]),
}

impl<'a> Ids<'a> {
    pub fn source(self) -> Source {
        match self {
            Ids::Ratings(_) => Source::Ratings,
            Ids::Cases(_) => Source::Cases,
        }
    }
    pub fn len(self) -> usize {
        match self {
            Ids::Ratings(v) => v.len(),
            Ids::Cases(v) => v.len(),
        }
    }
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
    /// Runs of at most `n` ids.
    pub fn chunks(self, n: usize) -> Vec<Ids<'a>> {
        match self {
            Ids::Ratings(v) => v.chunks(n).map(Ids::Ratings).collect(),
            Ids::Cases(v) => v.chunks(n).map(Ids::Cases).collect(),
        }
    }
}

/// Which earlier ratings a burst detector reads around a batch.
#[derive(Debug, Clone, Copy)]
pub enum Around<'a> {
    /// A kiosk's or pad's.
    Device(&'a str),
    /// A client address's (keyed hash), from browsers.
    Address(&'a str),
    /// A web endpoint's at one window (0: the place), from browsers.
    Endpoint(&'a str, i64),
}

/// The SQL of [`Tx::ratings_near`]: `$1` (and `$2`) the key, then lo, hi,
/// within, the neighbour's offset. The same text on both databases;
/// [`crate::store::Store::near_plan`] shows its plan.
pub(crate) fn near_sql(around: Around<'_>, k: usize) -> String {
    let first = match around {
        Around::Device(_) | Around::Address(_) => 2,
        Around::Endpoint(..) => 3,
    };
    let [lo, hi, w, off] = [0, 1, 2, 3].map(|i| format!("${}", first + i));
    let (cond, from, to) = near_parts(around, ["$1", "$2"], [&lo, &hi, &w, &off], k);
    format!(
        "SELECT r.id, r.rated_at FROM ratings r \
         WHERE {cond} AND r.rated_at >= {from} AND r.rated_at <= {to}"
    )
}

/// The SQL of [`Tx::ratings_near_each`] on PostgreSQL: every key's reads
/// in one statement, over arrays of keys (`$1`), windows (`$2`, read for
/// web endpoints only) and spans (`$3`, `$4`); `$5` within, `$6` the
/// neighbour's offset. Rows carry the key's position (from 1). Each key's
/// bounds are found first (`OFFSET 0` keeps them a step of their own, so
/// they are read once per key, not once per month of `ratings`), then its
/// ratings between them.
pub(crate) fn near_each_sql(around: Around<'_>, k: usize) -> String {
    let (cond, from, to) = near_parts(around, ["d.k", "d.w"], ["d.lo", "d.hi", "$5", "$6"], k);
    format!(
        "SELECT d.i, r.id, r.rated_at FROM \
         unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[]) WITH ORDINALITY AS d(k, w, lo, hi, i) \
         CROSS JOIN LATERAL (SELECT {from} AS f, {to} AS t OFFSET 0) b \
         JOIN ratings r ON {cond} AND r.rated_at >= b.f AND r.rated_at <= b.t"
    )
}

/// What [`near_sql`] reads, with its key (and window) and its lo, hi,
/// within and offset given as SQL expressions: the condition on a rating
/// of the key, and the first and last time to read.
fn near_parts(
    around: Around<'_>,
    [key, win]: [&str; 2],
    [lo_p, hi_p, w_p, off_p]: [&str; 4],
    k: usize,
) -> (String, String, String) {
    let cond = match around {
        Around::Device(_) => format!("device_id = {key}"),
        Around::Address(_) => format!("client_hash = {key}"),
        // `ratings_endpoint_rated` has this expression and this condition.
        Around::Endpoint(..) => format!(
            "device_id = {key} AND COALESCE(window_id, 0) = {win} AND client_hash IS NOT NULL"
        ),
    };
    // With no neighbours to read (a threshold of 1) the span alone.
    if k == 0 {
        return (cond, lo_p.to_string(), hi_p.to_string());
    }
    let from = format!(
        "COALESCE((SELECT rated_at FROM ratings WHERE {cond} AND rated_at < {lo_p} \
         AND rated_at >= {lo_p} - {w_p} ORDER BY rated_at DESC LIMIT 1 OFFSET {off_p}), {lo_p} - {w_p})"
    );
    let to = format!(
        "COALESCE((SELECT rated_at FROM ratings WHERE {cond} AND rated_at > {hi_p} \
         AND rated_at <= {hi_p} + {w_p} ORDER BY rated_at LIMIT 1 OFFSET {off_p}), {hi_p} + {w_p})"
    );
    (cond, from, to)
}

impl Tx<'_, '_> {
    fn is_sqlite(&self) -> bool {
        matches!(self, Tx::Sqlite(_))
    }

    /// The typed facts of `ids` (the rebuild's SQL, by id).
    pub async fn facts(&mut self, ids: Ids<'_>) -> Result<Vec<Fact>, sqlx::Error> {
        let sql = fact_select(ids.source(), ids.len(), self.is_sqlite());
        with_tx!(self, conn => {
            let mut q = sqlx::query_as::<_, Fact>(&sql);
            match ids {
                Ids::Ratings(v) => {
                    for id in v {
                        q = q.bind(id.clone());
                    }
                }
                Ids::Cases(v) => {
                    for id in v {
                        q = q.bind(*id);
                    }
                }
            }
            q.fetch_all(conn).await
        })
    }

    /// Adds aggregated `rows` to `rollup`: appended to its deltas (one
    /// multi-row insert, no lock on the rollup's hot rows; reads sum both).
    pub async fn add_to_rollup(
        &mut self,
        rollup: Rollup,
        rows: &[(RollupKey, RollupCounts)],
    ) -> Result<(), sqlx::Error> {
        let sql = values_delta_sql(rollup, rows, self.is_sqlite());
        with_tx!(self, conn => {
            let mut q = sqlx::query(&sql);
            for ((ints, kind), counts) in rows {
                for v in ints {
                    q = q.bind(*v);
                }
                if let Some(k) = kind {
                    q = q.bind(k.clone());
                }
                for c in counts.0 {
                    q = q.bind(c);
                }
            }
            q.execute(conn).await.map(drop)
        })
    }

    /// The ratings `ids` with what the misuse detectors read.
    pub async fn batch_ratings(&mut self, ids: &[String]) -> Result<Vec<BatchRating>, sqlx::Error> {
        let sql = format!(
            "SELECT r.id, r.device_id, dv.kind AS device_kind, r.evaluator_phone, r.evaluator_id_no, r.rated_at, \
             r.place_id, CAST(COALESCE(r.window_id, 0) AS BIGINT) AS window_id, r.client_hash, \
             CAST(COALESCE(w.department_id, si.department_id, 0) AS BIGINT) AS department_id \
             FROM ratings r JOIN devices dv ON dv.id = r.device_id LEFT JOIN windows w ON w.id = r.window_id \
             {} LEFT JOIN service_items si ON si.id = c.service_item_id \
             WHERE r.id IN ({})",
            Reach::for_ids(self.is_sqlite()).left_join("cases", "c", "c.id = r.case_id"),
            placeholders(ids.len())
        );
        with_tx!(self, conn => {
            let mut q = sqlx::query_as::<_, BatchRating>(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(conn).await
        })
    }

    /// The kinds of the devices `ids`: (id, kind).
    pub async fn device_kinds(
        &mut self,
        ids: &[String],
    ) -> Result<Vec<(String, domain::DeviceKind)>, sqlx::Error> {
        let sql = format!(
            "SELECT id, kind FROM devices WHERE id IN ({})",
            placeholders(ids.len())
        );
        let rows: Vec<(String, String)> = with_tx!(self, conn => {
            let mut q = sqlx::query_as::<_, (String, String)>(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(conn).await
        })?;
        rows.into_iter()
            .map(|(id, kind)| {
                let kind = domain::DeviceKind::try_from(kind)
                    .map_err(|e| sqlx::Error::Decode(e.into()))?;
                Ok((id, kind))
            })
            .collect()
    }

    /// Staff members whose phone or ID number (upper case) is in `numbers`.
    pub async fn staff_identities(
        &mut self,
        numbers: &[String],
    ) -> Result<Vec<StaffIdentity>, sqlx::Error> {
        let list = placeholders(numbers.len());
        let sql = format!(
            "SELECT phone, id_no, CAST(COALESCE(place_id, 0) AS BIGINT) AS place_id, \
             CAST(COALESCE(window_id, 0) AS BIGINT) AS window_id, CAST(COALESCE(department_id, 0) AS BIGINT) AS department_id \
             FROM staff WHERE phone IN ({list}) OR UPPER(id_no) IN ({list})"
        );
        with_tx!(self, conn => {
            let mut q = sqlx::query_as::<_, StaffIdentity>(&sql);
            for n in numbers {
                q = q.bind(n);
            }
            q.fetch_all(conn).await
        })
    }

    /// The ratings of `phone` given in `from..=to`: (id, case, when).
    pub async fn phone_ratings(
        &mut self,
        phone: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<(String, Option<i64>, i64)>, sqlx::Error> {
        with_tx!(self, conn => sqlx::query_as(
            "SELECT id, case_id, rated_at FROM ratings WHERE evaluator_phone IS NOT NULL \
             AND evaluator_phone = $1 AND rated_at >= $2 AND rated_at <= $3")
            .bind(phone).bind(from).bind(to)
            .fetch_all(conn).await)
    }

    /// The ratings of `around` a batch spanning `lo..=hi` that a burst
    /// detector reads (`domain::fraud::reach`): those in the span and the
    /// nearest `k` on each side (ties included), no further than `within`
    /// outside it: (id, when).
    pub async fn ratings_near(
        &mut self,
        around: Around<'_>,
        (lo, hi): (i64, i64),
        k: usize,
        within: i64,
    ) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let sql = near_sql(around, k);
        let offset = k.saturating_sub(1) as i64;
        with_tx!(self, conn => {
            let mut q = sqlx::query_as::<_, (String, i64)>(&sql);
            q = match around {
                Around::Device(d) => q.bind(d),
                Around::Address(h) => q.bind(h),
                Around::Endpoint(d, w) => q.bind(d).bind(w),
            };
            q.bind(lo).bind(hi).bind(within).bind(offset)
                .fetch_all(conn).await
        })
    }

    /// [`Tx::ratings_near`] for several keys of one kind (`spans`, each
    /// a key and its batch's span): the rows of each key, in order. On
    /// PostgreSQL one statement reads them all (a merged write names some
    /// fifty devices, each a round trip of its own before, stop 39); on
    /// SQLite, whose reads are calls into the same process, one each.
    pub async fn ratings_near_each(
        &mut self,
        spans: &[(Around<'_>, (i64, i64))],
        k: usize,
        within: i64,
    ) -> Result<Vec<Vec<(String, i64)>>, sqlx::Error> {
        let mut out: Vec<Vec<(String, i64)>> = vec![vec![]; spans.len()];
        match self {
            Tx::Postgres(t) if spans.len() > 1 => {
                let sql = near_each_sql(spans[0].0, k);
                let mut keys: Vec<&str> = Vec::with_capacity(spans.len());
                let mut windows: Vec<i64> = Vec::with_capacity(spans.len());
                for (around, _) in spans {
                    let (key, window) = match *around {
                        Around::Device(d) => (d, 0),
                        Around::Address(h) => (h, 0),
                        Around::Endpoint(d, w) => (d, w),
                    };
                    keys.push(key);
                    windows.push(window);
                }
                let los: Vec<i64> = spans.iter().map(|(_, (lo, _))| *lo).collect();
                let his: Vec<i64> = spans.iter().map(|(_, (_, hi))| *hi).collect();
                let rows: Vec<(i64, String, i64)> = sqlx::query_as(&sql)
                    .bind(keys)
                    .bind(windows)
                    .bind(los)
                    .bind(his)
                    .bind(within)
                    .bind(k.saturating_sub(1) as i64)
                    .fetch_all(&mut ***t)
                    .await?;
                for (i, id, at) in rows {
                    if let Some(v) = usize::try_from(i - 1).ok().and_then(|i| out.get_mut(i)) {
                        v.push((id, at));
                    }
                }
            }
            _ => {
                for ((around, span), v) in spans.iter().zip(out.iter_mut()) {
                    *v = self.ratings_near(*around, *span, k, within).await?;
                }
            }
        }
        Ok(out)
    }

    /// Of the ratings `ids`, those flagged for `reason` already.
    pub async fn flagged(
        &mut self,
        ids: &[String],
        reason: &str,
    ) -> Result<Vec<String>, sqlx::Error> {
        if let Tx::Postgres(t) = self {
            // One text whatever the number of ids: prepared once.
            return sqlx::query_scalar(
                "SELECT rating_id FROM rating_flags WHERE reason = $1 AND rating_id = ANY($2)",
            )
            .bind(reason)
            .bind(ids)
            .fetch_all(&mut ***t)
            .await;
        }
        let sql = format!(
            "SELECT rating_id FROM rating_flags WHERE reason = $1 AND rating_id IN ({})",
            super::reports::placeholders_from(2, ids.len())
        );
        with_tx!(self, conn => {
            let mut q = sqlx::query_scalar::<_, String>(&sql).bind(reason);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(conn).await
        })
    }

    /// Of `ids`, the ratings that count as valid now (no pending or fraud
    /// flag, not excluded): those a new flag takes out of the figures.
    pub async fn valid_ratings(&mut self, ids: &[String]) -> Result<Vec<String>, sqlx::Error> {
        let list = if self.is_sqlite() {
            vec!["?"; ids.len()].join(", ")
        } else {
            placeholders(ids.len())
        };
        // As `facts` reads it (`NOT` of a NULL, a rating with no ticket,
        // would be NULL).
        let reach = Reach::for_ids(self.is_sqlite());
        let sql = format!(
            "SELECT r.id FROM ratings r {} \
             WHERE r.id IN ({list}) AND CASE WHEN {} THEN 0 ELSE 1 END = 1",
            reach.left_join("tickets", "t", "t.rating_id = r.id"),
            not_valid(reach)
        );
        with_tx!(self, conn => {
            let mut q = sqlx::query_scalar::<_, String>(&sql);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(conn).await
        })
    }

    /// Sets `flags` (a second one for the same rating and reason is kept
    /// out): one multi-row insert. `fresh`: every flag names a rating this
    /// transaction wrote and `flags` repeats no (rating, reason), so none
    /// can exist yet (no other transaction sees those ratings) and the
    /// insert is a plain one; PostgreSQL's `ON CONFLICT` costs a probe of
    /// the key and one more WAL record per row (Heap/HEAP_CONFIRM).
    pub async fn insert_flags(
        &mut self,
        flags: &[NewFlag],
        fresh: bool,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        let values = (0..flags.len())
            .map(|i| {
                if self.is_sqlite() {
                    "(?, ?, ?, ?)".to_string()
                } else {
                    format!("({})", super::reports::placeholders_from(4 * i + 1, 4))
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        let conflict = if fresh {
            ""
        } else {
            " ON CONFLICT (rating_id, reason) DO NOTHING"
        };
        let sql = format!(
            "INSERT INTO rating_flags (rating_id, reason, detail, flagged_at) VALUES {values}{conflict}"
        );
        with_tx!(self, conn => {
            let mut q = sqlx::query(&sql);
            for f in flags {
                q = q.bind(&f.rating_id).bind(f.reason).bind(&f.detail).bind(now);
            }
            q.execute(conn).await.map(drop)
        })
    }
}

impl<'t, 'c> Tx<'t, 'c> {
    /// Queues the ratings `ids` (just stored) for the provincial platform
    /// when it is enabled: one row naming the batch's ratings
    /// (`upstream_rating_batches`), which the delivery worker expands into
    /// per-rating records ([`Store::expand_rating_batches`]), so the ingest
    /// transaction writes one small row, not one indexed row per rating.
    ///
    /// [`Store::expand_rating_batches`]: crate::store::Store::expand_rating_batches
    pub async fn enqueue_ratings(&mut self, ids: &[String], now: i64) -> Result<(), sqlx::Error> {
        if ids.is_empty() {
            return Ok(());
        }
        let list = serde_json::to_string(ids).unwrap_or_default();
        with_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO upstream_rating_batches (destination, rating_ids, n, created_at) \
                 SELECT d.name, $1, $2, $3 FROM upstream_destinations d WHERE d.enabled AND d.name = 'province'")
                .bind(list).bind(ids.len() as i32).bind(now)
                .execute(conn).await.map(drop)
        })
    }
}

impl<'t, 'c> Tx<'t, 'c> {
    /// Queues rectification steps (a snapshot of each, as it happened) for
    /// the provincial platform when it is enabled; a ticket's steps are one
    /// subject, so they arrive in order.
    pub async fn enqueue_steps(
        &mut self,
        steps: &[domain::upstream::StepFacts],
        now: i64,
    ) -> Result<(), sqlx::Error> {
        if steps.is_empty() {
            return Ok(());
        }
        with_tx!(self, conn => {
            let on: Option<bool> = sqlx::query_scalar(
                "SELECT enabled FROM upstream_destinations WHERE name = 'province'")
                .fetch_optional(&mut *conn).await?;
            if on != Some(true) {
                return Ok(());
            }
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO upstream_outbox (destination, kind, subject, ref_id, payload, next_attempt_at, created_at) ");
            qb.push_values(steps, |mut b, s| {
                b.push("'province'").push("'rectify'")
                    .push_bind(format!("ticket:{}", s.ticket_id))
                    .push_bind(s.ticket_id.to_string())
                    .push_bind(serde_json::to_string(s).unwrap_or_default())
                    .push_bind(now).push_bind(now);
            });
            qb.build().execute(&mut *conn).await.map(drop)
        })
    }
}

impl<'t, 'c> Tx<'t, 'c> {
    /// Routes the just-opened tickets `ids` through the 12345 hotline where
    /// their place's region (or an ancestor) is listed for it, and queues
    /// a work order for each routed one; nothing while the hotline is off.
    pub async fn enqueue_work_orders(&mut self, ids: &[i64], now: i64) -> Result<(), sqlx::Error> {
        if ids.is_empty() {
            return Ok(());
        }
        let route = format!(
            "UPDATE tickets SET via_hotline = TRUE WHERE id IN ({}) \
             AND EXISTS (SELECT 1 FROM places p JOIN regions g0 ON g0.id = p.region_id \
               LEFT JOIN regions g1 ON g1.id = g0.parent_id LEFT JOIN regions g2 ON g2.id = g1.parent_id \
               LEFT JOIN regions g3 ON g3.id = g2.parent_id \
               JOIN upstream_routes u ON u.destination = 'hotline' \
                 AND (u.region_code = '*' OR u.region_code IN (g0.code, g1.code, g2.code, g3.code)) \
               WHERE p.id = tickets.place_id)",
            super::reports::placeholders(ids.len())
        );
        let queue = format!(
            "INSERT INTO upstream_outbox (destination, kind, subject, ref_id, next_attempt_at, created_at) \
             SELECT 'hotline', 'workorder', 'ticket:' || CAST(id AS TEXT), CAST(id AS TEXT), $1, $1 \
             FROM tickets WHERE via_hotline AND id IN ({}) ORDER BY id",
            super::reports::placeholders_from(2, ids.len())
        );
        with_tx!(self, conn => {
            let on: Option<bool> = sqlx::query_scalar(
                "SELECT enabled FROM upstream_destinations WHERE name = 'hotline'")
                .fetch_optional(&mut *conn).await?;
            if on != Some(true) {
                return Ok(());
            }
            let mut q = sqlx::query(&route);
            for id in ids {
                q = q.bind(*id);
            }
            q.execute(&mut *conn).await?;
            let mut q = sqlx::query(&queue).bind(now);
            for id in ids {
                q = q.bind(*id);
            }
            q.execute(&mut *conn).await.map(drop)
        })
    }

    /// Queues a step of a ticket routed to 12345 for the hotline (it
    /// re-invites the citizen once the unit has rectified); the hotline's
    /// own steps are not sent back to it.
    pub async fn enqueue_hotline_step(
        &mut self,
        step: &domain::upstream::StepFacts,
        actor_role: &str,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        if actor_role == domain::Role::Hotline.as_str() {
            return Ok(());
        }
        let payload = serde_json::to_string(step).unwrap_or_default();
        with_tx!(self, conn => {
            sqlx::query(
                "INSERT INTO upstream_outbox (destination, kind, subject, ref_id, payload, next_attempt_at, created_at) \
                 SELECT 'hotline', 'rectify', 'ticket:' || CAST(t.id AS TEXT), CAST(t.id AS TEXT), $1, $2, $2 \
                 FROM tickets t JOIN upstream_destinations d ON d.name = 'hotline' AND d.enabled \
                 WHERE t.id = $3 AND t.via_hotline")
                .bind(payload).bind(now).bind(step.ticket_id)
                .execute(&mut *conn).await.map(drop)
        })
    }
}

impl<'t, 'c> Tx<'t, 'c> {
    /// [`crate::store::Store::bad_ratings_without_ticket`] of `ids`, in
    /// this transaction.
    pub async fn bad_ratings_without_ticket(
        &mut self,
        ids: &[String],
    ) -> Result<Vec<BadRatingRow>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = super::rectify::bad_ratings_sql(self.is_sqlite(), Some(ids.len()));
        with_tx!(self, conn => {
            let mut q = sqlx::query_as::<_, BadRatingRow>(&sql).bind(ids.len() as i64);
            for id in ids {
                q = q.bind(id);
            }
            q.fetch_all(conn).await
        })
    }

    /// Opens tickets (rating, contact deadline, appeal deadline) and logs
    /// each, a few multi-row statements per 500; ratings that already
    /// have one are skipped. Returns the tickets opened, (ticket id,
    /// rating id), by ticket id.
    pub async fn open_tickets(
        &mut self,
        rows: &[(&BadRatingRow, i64, i64)],
        now: i64,
    ) -> Result<OpenedTickets, sqlx::Error> {
        let mut opened: OpenedTickets = Vec::new();
        for chunk in rows.chunks(500) {
            let rows: Vec<(i64, String)> = with_tx!(self, conn => {
                let mut qb = sqlx::QueryBuilder::new(
                    "INSERT INTO tickets (rating_id, place_id, window_id, department_id, service_item_id, staff_id, status, \
                     opened_at, has_phone, contact_due, appeal_due, updated_at) ");
                qb.push_values(chunk, |mut b, (r, contact_due, appeal_due)| {
                    b.push_bind(r.id.clone()).push_bind(r.place_id).push_bind(r.window_id)
                        .push_bind(r.department_id).push_bind(r.service_item_id).push_bind(r.staff_id)
                        .push("'open'").push_bind(r.rated_at).push_bind(r.has_phone)
                        .push_bind(*contact_due).push_bind(*appeal_due).push_bind(now);
                });
                qb.push(" ON CONFLICT (rating_id) DO NOTHING RETURNING id, rating_id");
                qb.build_query_as().fetch_all(conn).await
            })?;
            let ids: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
            if !ids.is_empty() {
                with_tx!(self, conn => {
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO ticket_events (ticket_id, actor_id, actor_role, action, from_status, to_status, note, at) ");
                    qb.push_values(&ids, |mut b, id| {
                        b.push_bind(*id).push("NULL").push("'system'").push("'open'").push("NULL")
                            .push("'open'").push("''").push_bind(now);
                    });
                    qb.build().execute(conn).await.map(drop)
                })?;
                let steps: Vec<domain::upstream::StepFacts> = ids
                    .iter()
                    .map(|id| domain::upstream::StepFacts {
                        ticket_id: *id,
                        action: "open".into(),
                        from_status: None,
                        to_status: Some("open".into()),
                        note: String::new(),
                        at: now,
                    })
                    .collect();
                self.enqueue_steps(&steps, now).await?;
                self.enqueue_work_orders(&ids, now).await?;
            }
            opened.extend(rows);
        }
        opened.sort_unstable();
        Ok(opened)
    }
}

impl<'t, 'c> Tx<'t, 'c> {
    /// Queues the just-finished cases `ids` for the provincial platform
    /// when it is enabled (a case goes up once, finished).
    pub async fn enqueue_cases(&mut self, ids: &[i64], now: i64) -> Result<(), sqlx::Error> {
        if ids.is_empty() {
            return Ok(());
        }
        let sql = format!(
            "INSERT INTO upstream_outbox (destination, kind, subject, ref_id, next_attempt_at, created_at) \
             SELECT d.name, 'case', 'case:' || CAST(c.id AS TEXT), CAST(c.id AS TEXT), $1, $1 \
             FROM cases c JOIN upstream_destinations d ON d.enabled AND d.name = 'province' \
             WHERE c.id IN ({})",
            super::reports::placeholders_from(2, ids.len())
        );
        with_tx!(self, conn => {
            let mut q = sqlx::query(&sql).bind(now);
            for id in ids {
                q = q.bind(*id);
            }
            q.execute(conn).await.map(drop)
        })
    }
}
