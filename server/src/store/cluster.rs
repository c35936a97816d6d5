//! What several servers on one PostgreSQL database share besides the data:
//! which server holds which window pad's stream, and the pads' events
//! (`NOTIFY hcp_pad`). On SQLite (one server) these do nothing.

use super::{Store, StoreError};

impl Store {
    /// Counts a window pad's stream on `instance` in (`delta` 1) or out (-1).
    pub async fn pad_link(
        &self,
        window_id: i64,
        instance: &str,
        delta: i32,
        now: i64,
    ) -> Result<(), StoreError> {
        if let Store::Postgres(pool) = self {
            sqlx::query(
                "INSERT INTO pad_links (window_id, instance, connections, seen_at) \
                 VALUES ($1, $2, GREATEST($3, 0), $4) \
                 ON CONFLICT (window_id, instance) DO UPDATE \
                 SET connections = GREATEST(pad_links.connections + $3, 0), seen_at = $4",
            )
            .bind(window_id)
            .bind(instance)
            .bind(delta)
            .bind(now)
            .execute(pool)
            .await?;
        }
        Ok(())
    }

    /// This server is alive: its pads' rows are fresh again; rows of
    /// servers gone for `forget_ms` are dropped.
    pub async fn pad_links_alive(
        &self,
        instance: &str,
        now: i64,
        forget_ms: i64,
    ) -> Result<(), StoreError> {
        if let Store::Postgres(pool) = self {
            sqlx::query(
                "UPDATE pad_links SET seen_at = $2 WHERE instance = $1 AND connections > 0",
            )
            .bind(instance)
            .bind(now)
            .execute(pool)
            .await?;
            sqlx::query("DELETE FROM pad_links WHERE seen_at < $1")
                .bind(now - forget_ms)
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// Whether a pad of the window listens on any server seen since `fresh_since`.
    pub async fn pad_online_anywhere(
        &self,
        window_id: i64,
        fresh_since: i64,
    ) -> Result<bool, StoreError> {
        match self {
            Store::Postgres(pool) => Ok(sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM pad_links \
                 WHERE window_id = $1 AND connections > 0 AND seen_at >= $2)",
            )
            .bind(window_id)
            .bind(fresh_since)
            .fetch_one(pool)
            .await?),
            Store::Sqlite(_) => Ok(false),
        }
    }

    /// Announces a pad event to every server (`payload`: JSON).
    pub async fn notify_pad(&self, payload: &str) -> Result<(), StoreError> {
        if let Store::Postgres(pool) = self {
            sqlx::query("SELECT pg_notify('hcp_pad', $1)")
                .bind(payload)
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// Tells every server that the calendar changed (PostgreSQL; alone on
    /// SQLite, the editing server has forgotten its copy already).
    pub async fn notify_calendar(&self) -> Result<(), StoreError> {
        if let Store::Postgres(pool) = self {
            sqlx::query("SELECT pg_notify('hcp_calendar', '')")
                .execute(pool)
                .await?;
        }
        Ok(())
    }
}

/// The tables the sync path joins by key, whose planner statistics must
/// follow their growth (see [`Store::refresh_statistics`]).
const HOT_TABLES: [&str; 6] = [
    "ratings",
    "rating_flags",
    "tickets",
    "ticket_events",
    "cases",
    "case_links",
];

impl Store {
    /// On PostgreSQL, re-reads the planner's statistics (`ANALYZE`) of each
    /// hot table that changed by more than 500 rows plus four times its
    /// size at its last analysis (it grew fivefold), from a small sample;
    /// one server at a time (an advisory lock, the others skip). Returns
    /// the tables analysed.
    ///
    /// Autovacuum does the same, but looks only once a minute: a database
    /// that goes from empty to 50,000 ratings in its first minute (a new
    /// deployment, a region's backlog after an outage, a new month's
    /// partition) is planned with an empty table's statistics meanwhile.
    /// The rollup facts query then scanned every pending misuse flag for
    /// each rating (45 ms a batch instead of 0.5 ms), and 200 syncing
    /// devices got 1,500 ratings/s instead of 6,800 (docs/scale.md). What
    /// the plans need is the table's size and shape, not its detail, so
    /// this refresh samples 3,000 rows (`default_statistics_target` 10,
    /// not 100: 66–80 ms for this month's ratings at 290,000 rows under
    /// load, not 560) and comes back only when the table is five times the
    /// size it was. Autovacuum's own analyses (every 10 % of growth, a
    /// full sample) take over from there and reset the count: a table
    /// that grows at a hall's pace is never touched by this.
    #[tracing::instrument(level = "debug", skip_all, err)]
    pub async fn refresh_statistics(&self) -> Result<Vec<String>, StoreError> {
        let Store::Postgres(pool) = self else {
            return Ok(vec![]);
        };
        let mut tx = pool.begin().await?;
        let mine: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock(73013)")
            .fetch_one(&mut *tx)
            .await?;
        if !mine {
            return Ok(vec![]);
        }
        // A partitioned table (ratings, by month: migration 0025) has no
        // counts of its own: its partitions are read and analysed.
        let stale: Vec<String> = sqlx::query_scalar(
            "SELECT s.relname::TEXT FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid \
             LEFT JOIN pg_inherits i ON i.inhrelid = s.relid LEFT JOIN pg_class p ON p.oid = i.inhparent \
             WHERE s.schemaname = current_schema() AND COALESCE(p.relname, s.relname) = ANY($1) \
             AND s.n_mod_since_analyze > 500 + 4 * GREATEST(c.reltuples, 0) ORDER BY s.relname",
        )
        .bind(&HOT_TABLES[..])
        .fetch_all(&mut *tx)
        .await?;
        // For this transaction only: autovacuum and reports keep 100.
        if !stale.is_empty() {
            sqlx::query("SET LOCAL default_statistics_target = 10")
                .execute(&mut *tx)
                .await?;
        }
        for table in &stale {
            // Inside the lock's transaction (one server analyses, not two).
            // ANALYZE's lock does not block inserts; the name, a table of
            // the list above or one of its partitions, is quoted.
            sqlx::query(&format!("ANALYZE \"{}\"", table.replace('"', "\"\"")))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(stale)
    }
}
