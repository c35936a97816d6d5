//! The few statements the rollup upkeep and the misuse detectors run,
//! as leaves over a transaction on either database. Each is written once;
//! `with_tx!` type-checks it for SQLite and for PostgreSQL, and the only
//! thing that differs between them is the placeholder style of the long
//! id lists (`?` on SQLite, whose parsing grows with the square of `$N`).
//! The logic that calls them (`store::reports::rollup_source`,
//! `detect_flags`, `insert_flags`) is ordinary code.

use sqlx::{Postgres, Sqlite, Transaction};

use super::reports::{
    fact_select, placeholders, values_upsert_sql, BatchRating, Fact, NewFlag, Rollup, RollupCounts,
    RollupKey, Source, StaffIdentity,
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

    /// Adds aggregated `rows` to `rollup`: one multi-row upsert.
    pub async fn add_to_rollup(
        &mut self,
        rollup: Rollup,
        rows: &[(RollupKey, RollupCounts)],
    ) -> Result<(), sqlx::Error> {
        let sql = values_upsert_sql(rollup, rows, self.is_sqlite());
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
             LEFT JOIN cases c ON c.id = r.case_id LEFT JOIN service_items si ON si.id = c.service_item_id \
             WHERE r.id IN ({})",
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

    /// The ratings of `around` given in `from..=to`: (id, when).
    pub async fn ratings_around(
        &mut self,
        around: Around<'_>,
        from: i64,
        to: i64,
    ) -> Result<Vec<(String, i64)>, sqlx::Error> {
        with_tx!(self, conn => match around {
            Around::Device(device) => sqlx::query_as(
                "SELECT id, rated_at FROM ratings WHERE device_id = $1 AND rated_at >= $2 AND rated_at <= $3")
                .bind(device).bind(from).bind(to)
                .fetch_all(conn).await,
            Around::Address(hash) => sqlx::query_as(
                "SELECT id, rated_at FROM ratings WHERE client_hash = $1 AND rated_at >= $2 AND rated_at <= $3")
                .bind(hash).bind(from).bind(to)
                .fetch_all(conn).await,
            Around::Endpoint(device, window) => sqlx::query_as(
                "SELECT id, rated_at FROM ratings WHERE device_id = $1 AND COALESCE(window_id, 0) = $2 \
                 AND client_hash IS NOT NULL AND rated_at >= $3 AND rated_at <= $4")
                .bind(device).bind(window).bind(from).bind(to)
                .fetch_all(conn).await,
        })
    }

    /// Sets one flag (a second one for the same rating and reason is kept out).
    pub async fn insert_flag(&mut self, f: &NewFlag, now: i64) -> Result<(), sqlx::Error> {
        with_tx!(self, conn => sqlx::query(
            "INSERT INTO rating_flags (rating_id, reason, detail, flagged_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (rating_id, reason) DO NOTHING")
            .bind(&f.rating_id).bind(f.reason).bind(&f.detail).bind(now)
            .execute(conn).await.map(drop))
    }
}
