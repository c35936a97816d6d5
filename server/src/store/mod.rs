//! Storage: one interface, two implementations. SQLite is the embedded
//! default; PostgreSQL is chosen by a `postgres://` `DATABASE_URL`. Each
//! database has its own append-only migrations under `server/migrations/`.
//!
//! Every query is written once: `with_pool!` expands a method body for
//! each pool type, so both implementations are type-checked separately
//! and can only diverge where a method matches on the pool itself.

pub(crate) mod audit;
mod channels;
mod cluster;
mod org;
mod outbox;
mod queries;
mod rectify;
mod reports;
mod tx;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use audit::{AuditBy, AuditRow, CaseVia, AUDIT_MAX_LIMIT};
pub use channels::*;
pub use org::*;
pub use outbox::*;
pub use queries::*;
pub use rectify::*;
pub use reports::*;
pub use tx::{Around, Ids, Tx};

#[derive(Clone, Debug)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unique constraint: {what}")]
    Unique { what: String },
    /// Text PostgreSQL cannot hold (a NUL character): the input's fault.
    #[error("text the database cannot store")]
    InvalidText,
    #[error(transparent)]
    Db(sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported DATABASE_URL scheme (use sqlite:// or postgres://)")]
    UnsupportedUrl,
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error() {
            if db.is_unique_violation() {
                return StoreError::Unique {
                    what: db.constraint().unwrap_or("记录").to_string(),
                };
            }
            // 22021 character_not_in_repertoire (a NUL in text), 22P05
            // untranslatable_character: SQLite stores them, PostgreSQL not.
            if matches!(db.code().as_deref(), Some("22021" | "22P05")) {
                return StoreError::InvalidText;
            }
        }
        StoreError::Db(e)
    }
}

/// Runs `$body` with `$pool` bound to whichever pool the store holds.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::store::Store::Sqlite($pool) => $body,
            $crate::store::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use with_pool;

/// Runs `$body` with `$conn` the connection `$held` holds and `$begin` the
/// function that begins a sync ingest's transaction on it.
macro_rules! with_held {
    ($held:expr, $conn:ident, $begin:ident => $body:expr) => {
        match $held {
            $crate::store::Held::Sqlite($conn) => {
                let $begin = $crate::store::Held::begin_batch_sqlite;
                $body
            }
            $crate::store::Held::Postgres($conn) => {
                let $begin = $crate::store::Held::begin_batch_postgres;
                $body
            }
        }
    };
}
pub(crate) use with_held;

/// Starts a transaction that may write. On SQLite it is `BEGIN IMMEDIATE`:
/// the database's one write lock is taken at the start, so a second writer
/// waits for it (`busy_timeout`) instead of failing with "database is
/// locked" when its read snapshot, taken by a deferred `BEGIN`, turns into
/// a write after another writer committed (SQLITE_BUSY_SNAPSHOT, which no
/// busy handler retries). PostgreSQL's row locks wait by themselves.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
           + Send;

    /// [`BeginWrite::begin_write`] for the sync ingest, whose statements
    /// are all keyed by the batch's ids. On PostgreSQL they run on generic
    /// plans (`plan_cache_mode`, for this transaction only): without it
    /// the server re-planned the nine-table rollup-facts join for almost
    /// every batch (0.9 ms of planning against 2.9 ms of execution under
    /// 200 devices, `pg_stat_statements`), since a custom plan always
    /// looks cheaper for an `IN` list of known ids. The plan is the same
    /// (by primary key, 20 to 500 rows), so nothing is lost by reusing it.
    /// Nor is it ever JIT-compiled (see `Store::open`).
    fn begin_batch(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
           + Send {
        self.begin_write()
    }
}

/// Connections each server keeps to PostgreSQL (and to its read replica),
/// all opened at start (docs/deploy.md counts them per server).
pub const PG_CONNECTIONS: u32 = 16;

/// How SQLite's write transactions begin (see [`BeginWrite`]).
const SQLITE_BEGIN_WRITE: &str = "BEGIN IMMEDIATE";
/// How PostgreSQL's sync ingest transactions begin (see
/// [`BeginWrite::begin_batch`]).
const PG_BEGIN_BATCH: &str =
    "BEGIN; SET LOCAL plan_cache_mode = force_generic_plan; SET LOCAL jit = off";

impl BeginWrite for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with(SQLITE_BEGIN_WRITE).await
    }
}

impl BeginWrite for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }

    async fn begin_batch(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin_with(PG_BEGIN_BATCH).await
    }
}

/// A connection one task keeps across its transactions: the ratings
/// writer's (`coalesce`). The ingest's statements stay prepared and
/// planned on it, and its database backend's caches stay warm; taken
/// from the pool for each write, a merged write landed on each of the 16
/// connections in turn, and every one of them prepared, planned and read
/// its catalogs for the same statements (docs/scale.md, stop 39).
pub enum Held {
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

/// The name the ratings writer's connection shows in PostgreSQL's
/// `pg_stat_activity` (`application_name`).
pub const WRITER_APPLICATION_NAME: &str = "hcp ratings writer";

impl Held {
    /// Closes the connection instead of giving it back (once it was lost,
    /// or its writer panicked: a fresh one is taken for the next group).
    pub async fn close(self) {
        let _ = match self {
            Held::Sqlite(c) => c.close().await,
            Held::Postgres(c) => c.close().await,
        };
    }

    /// [`BeginWrite::begin_batch`] on this connection.
    pub(crate) async fn begin_batch_sqlite(
        conn: &mut sqlx::pool::PoolConnection<sqlx::Sqlite>,
    ) -> Result<sqlx::Transaction<'_, sqlx::Sqlite>, sqlx::Error> {
        sqlx::Connection::begin_with(&mut **conn, SQLITE_BEGIN_WRITE).await
    }

    /// [`BeginWrite::begin_batch`] on this connection.
    pub(crate) async fn begin_batch_postgres(
        conn: &mut sqlx::pool::PoolConnection<sqlx::Postgres>,
    ) -> Result<sqlx::Transaction<'_, sqlx::Postgres>, sqlx::Error> {
        sqlx::Connection::begin_with(&mut **conn, PG_BEGIN_BATCH).await
    }
}

impl Store {
    /// Connects and brings the schema up to date.
    #[tracing::instrument(skip_all, err)]
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        Store::open(url, true).await
    }

    /// Connects to a read replica (`DATABASE_READ_URL`): no migrations, no
    /// file made; its schema is the primary's.
    #[tracing::instrument(skip_all, err)]
    pub async fn connect_reader(url: &str) -> Result<Store, StoreError> {
        Store::open(url, false).await
    }

    async fn open(url: &str, primary: bool) -> Result<Store, StoreError> {
        let store = if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(primary)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Batch statements have one text per size (a 500-row insert
                // holds thousands of parameters), and a prepared one keeps
                // its program: at sqlx's default of 100 per connection,
                // merged syncs of every size held 234 MiB after 45 s under
                // `make load` (80 MiB before merging). Frequent statements
                // stay cached; the rest are prepared again, which is cheap.
                .statement_cache_capacity(24);
            if let Some(dir) = std::path::Path::new(opts.get_filename()).parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|e| StoreError::Db(e.into()))?;
                }
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts)
                .await?;
            if primary {
                sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
            }
            Store::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            // No JIT compilation: the server's statements are short, and a
            // cost estimate made before the first ANALYZE (a new database
            // filling fast) pushed the rollup-facts join over
            // `jit_above_cost`, so each merged write spent 400 ms compiling
            // it (docs/scale.md). Set per connection here; the ingest's
            // transactions also set it themselves (`begin_batch`), which a
            // pooler in transaction mode cannot lose.
            let opts = sqlx::postgres::PgConnectOptions::from_str(url)?.options([("jit", "off")]);
            // All 16 connections are opened before the server answers, and
            // kept: a server started (or restarted) while its devices wait
            // would otherwise open them in the first burst of syncs, each a
            // new PostgreSQL backend, and that burst's answers were the
            // slowest of a `make cluster` run (docs/scale.md, stop 38).
            let pool = PgPoolOptions::new()
                .max_connections(PG_CONNECTIONS)
                .min_connections(PG_CONNECTIONS)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            if primary {
                sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            }
            Store::Postgres(pool)
        } else {
            return Err(StoreError::UnsupportedUrl);
        };
        Ok(store)
    }

    /// A connection from the pool, kept by the caller (see [`Held`]).
    pub async fn hold(&self) -> Result<Held, StoreError> {
        Ok(match self {
            Store::Sqlite(p) => Held::Sqlite(p.acquire().await?),
            Store::Postgres(p) => Held::Postgres(p.acquire().await?),
        })
    }

    /// [`Store::hold`] for the ratings writer: on PostgreSQL it is named
    /// [`WRITER_APPLICATION_NAME`], so an operator (and a test) sees which
    /// backend writes the ratings.
    pub async fn hold_for_writer(&self) -> Result<Held, StoreError> {
        let mut held = self.hold().await?;
        if let Held::Postgres(conn) = &mut held {
            sqlx::query(&format!(
                "SET application_name = '{WRITER_APPLICATION_NAME}'"
            ))
            .execute(&mut **conn)
            .await?;
        }
        Ok(held)
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Store::Sqlite(_) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        with_pool!(self, p => p.close().await)
    }
}
