//! Storage of Fangpin on SQLite (the embedded default) or PostgreSQL (production), chosen by
//! the URL scheme at start, from one codebase: every query is written once and run against
//! whichever pool is live through [`on_db!`]; explicit per-dialect arms exist only where the
//! two databases really differ. Migrations live in `migrations/sqlite` and
//! `migrations/postgres` under the same names.
//!
//! Every SQL statement of the system lives in this crate, one module per aggregate.

pub mod accounts;
pub mod audit;
pub mod backup;
mod bulk;
pub mod cases;
pub mod channels;
pub mod crypto;
mod days;
mod db;
mod decode;
pub mod error;
pub mod facts;
pub mod feeds;
pub mod follow_up;
pub mod jobs;
pub mod meta;
pub mod regions;
pub mod registry;
pub mod rotation;
pub mod screening;
pub mod search;
mod sql;
pub mod synonyms;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
mod varint;

pub use crypto::{Field, KeyError, Row, Suite, Vault};
pub use db::{Backend, Db, Lock, Tx, TxInner};
pub use error::StoreError;

use std::str::FromStr;
use std::time::Duration;

/// A handle on the database plus the keys that protect personal fields, acting as one
/// actor ([`Store::who`]) whom every audit row records. Cloning is cheap: the pools are
/// shared.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) db: Db,
    pub(crate) vault: Vault,
    /// 操作人 of the changes made through this handle.
    pub(crate) who: std::sync::Arc<audit::Who>,
    /// The deployment's zone: which day an instant falls on (Beijing by default).
    pub(crate) zone: domain::Zone,
    /// How long [`Store::begin`] waits for SQLite's write lock before answering
    /// [`StoreError::Busy`].
    pub(crate) write_wait: Duration,
}

/// The migration from which audit rows are chained under the audit key.
const KEYED_AUDIT_MIGRATION: i64 = 15;

/// What the command line waits for SQLite's write lock: an import started elsewhere may hold
/// it this long before a command gives up.
pub const CLI_WRITE_WAIT: Duration = Duration::from_secs(30);

/// Who acts through a freshly opened store: the command line, until a caller says who.
fn default_who() -> std::sync::Arc<audit::Who> {
    std::sync::Arc::new(audit::Who::system("命令行"))
}

impl Store {
    /// Connects to `sqlite://PATH` (created if missing) or `postgres://…`, runs pending
    /// migrations, and checks that `vault` is the key this database was first used with.
    pub async fn open(url: &str, vault: Vault) -> Result<Self, StoreError> {
        use sqlx::ConnectOptions;
        let db = if url.starts_with("sqlite:") {
            let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                // A 512 MiB page cache (a ceiling, allocated only as used): bulk imports
                // insert into unique indexes in random key order, and an index that fits in
                // the cache is an order of magnitude faster to build than one that does not.
                .pragma("cache_size", "-524288")
                // Large reads (the screening image, feed segments) straight from the mapped
                // file instead of copied through read(2).
                .pragma("mmap_size", "2147418112")
                .pragma("temp_store", "memory")
                // Bulk statements of an import legitimately run for seconds.
                .log_slow_statements(log::LevelFilter::Info, Duration::from_secs(5));
            // The writer first, alone: it creates the file and switches it to WAL.
            let write = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                // See pg_pool: a file does not hang up.
                .test_before_acquire(false)
                // Writers queue here behind an import; each handle bounds its own wait
                // (Store::with_write_wait), so the pool's own bound is only a backstop.
                .acquire_timeout(Duration::from_secs(3600))
                // A write waits while an import holds the lock; that is expected, not
                // worth a warning on a clerk's terminal.
                .acquire_slow_level(log::LevelFilter::Info)
                // Another process (a command-line import beside the service) may hold
                // SQLite's lock: BEGIN IMMEDIATE waits for it as long as the command line
                // would.
                .connect_with(opts.clone().busy_timeout(CLI_WRITE_WAIT))
                .await?;
            let read = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(4)
                .test_before_acquire(false)
                .acquire_slow_level(log::LevelFilter::Info)
                // Readers never wait for the writer in WAL mode; a statement that writes
                // outside a transaction (a failed login counted, a session ended) waits
                // this long for the lock, then is answered as busy.
                .connect_with(opts.busy_timeout(Duration::from_secs(5)))
                .await?;
            Db::Sqlite(db::SqlitePools { read, write })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let opts = sqlx::postgres::PgConnectOptions::from_str(url)?;
            Db::Postgres(Self::pg_pool(opts).await?)
        } else {
            return Err(StoreError::Config(format!(
                "不支持的数据库地址“{}”：应以 sqlite:// 或 postgres:// 开头",
                redact_url(url)
            )));
        };
        let store = Self {
            db,
            vault,
            who: default_who(),
            zone: domain::Zone::BEIJING,
            write_wait: CLI_WRITE_WAIT,
        };
        let reseal = store.migrate().await?;
        store.check_key().await?;
        if reseal {
            store.reseal_legacy_audit().await?;
        }
        Ok(store)
    }

    /// Opens PostgreSQL with explicit connect options (tests narrow the search path).
    pub async fn open_postgres(
        opts: sqlx::postgres::PgConnectOptions,
        vault: Vault,
    ) -> Result<Self, StoreError> {
        let store = Self {
            db: Db::Postgres(Self::pg_pool(opts).await?),
            vault,
            who: default_who(),
            zone: domain::Zone::BEIJING,
            write_wait: CLI_WRITE_WAIT,
        };
        let reseal = store.migrate().await?;
        store.check_key().await?;
        if reseal {
            store.reseal_legacy_audit().await?;
        }
        Ok(store)
    }

    async fn pg_pool(opts: sqlx::postgres::PgConnectOptions) -> Result<sqlx::PgPool, StoreError> {
        Ok(sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            // No ping before each use: it doubled the round trips of every request (one
            // per statement). A connection the server has dropped (a restart) fails its
            // next statement instead, answered 503, and is replaced.
            .test_before_acquire(false)
            .acquire_slow_level(log::LevelFilter::Info)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await?)
    }

    /// Runs the migrations not yet applied; returns whether the audit chain predates its
    /// key and must be re-sealed (a database that existed before migration 0015).
    ///
    /// When every migration is applied already, nothing is run: the service may then work
    /// as a PostgreSQL role without the right to create or alter tables (docs/security.md),
    /// and migrations are run by the owner role (`fangpin migrate`).
    async fn migrate(&self) -> Result<bool, StoreError> {
        let migrator = match &self.db {
            Db::Sqlite(_) => sqlx::migrate!("./migrations/sqlite"),
            Db::Postgres(_) => sqlx::migrate!("./migrations/postgres"),
        };
        // No table yet: a new database, nothing applied.
        let applied: Vec<(i64,)> = on_db!(&self.db, p => {
            sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(p)
                .await
                .unwrap_or_default()
        });
        let applied: std::collections::HashSet<i64> = applied.into_iter().map(|v| v.0).collect();
        let pending = migrator.iter().any(|m| !applied.contains(&m.version));
        if pending {
            match &self.db {
                Db::Sqlite(p) => migrator.run(&p.write).await?,
                Db::Postgres(p) => migrator.run(p).await?,
            }
        }
        Ok(!applied.is_empty() && !applied.contains(&KEYED_AUDIT_MIGRATION))
    }

    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    pub fn vault(&self) -> &Vault {
        &self.vault
    }

    /// 操作人: who acts through this handle, recorded in every audit row it writes.
    pub fn who(&self) -> &audit::Who {
        &self.who
    }

    /// The same database (pools shared, nothing reopened) acting as `who`: a web request
    /// gets one for its signed-in user and client address.
    pub fn acting_as(&self, who: audit::Who) -> Store {
        Store {
            db: self.db.clone(),
            vault: self.vault.clone(),
            who: std::sync::Arc::new(who),
            zone: self.zone,
            write_wait: self.write_wait,
        }
    }

    /// The same database acting as the same actor, whose transactions wait at most `wait`
    /// for SQLite's write lock. The service's requests wait a few seconds and are answered
    /// 503 with `Retry-After` rather than holding a client (and a worker) for the length of
    /// an import; jobs and the command line wait longer.
    pub fn with_write_wait(&self, wait: Duration) -> Store {
        Store {
            write_wait: wait,
            ..self.clone()
        }
    }

    /// The same store reckoning days in `zone` (`--time-zone`, default Asia/Shanghai).
    pub fn with_zone(mut self, zone: domain::Zone) -> Store {
        self.zone = zone;
        self
    }

    /// The deployment's zone.
    pub fn zone(&self) -> domain::Zone {
        self.zone
    }

    /// Today in the deployment's zone: the day deadlines, overdue flags and default
    /// screening days are reckoned from, whatever zone the server runs in.
    pub fn today(&self) -> chrono::NaiveDate {
        self.zone.day_of(chrono::Utc::now())
    }

    /// Starts a transaction: everything done through it commits together or not at all.
    /// On SQLite it waits for the write lock at most [`Store::with_write_wait`], then fails
    /// with [`StoreError::Busy`]: nothing was done, the same call may succeed later.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        match &self.db {
            // Dropping a begin that has not finished is safe: sqlx rolls back whatever it
            // had started on the connection before lending it again.
            Db::Sqlite(_) => {
                tokio::time::timeout(self.write_wait, self.db.begin(self.vault.audit_mac()))
                    .await
                    .map_err(|_| StoreError::Busy)?
            }
            Db::Postgres(_) => self.db.begin(self.vault.audit_mac()).await,
        }
    }

    /// Brings the query planner's statistics of `tables` up to date after a bulk change
    /// (an import, a feed). On PostgreSQL a table that has just received a million rows
    /// has no statistics until autovacuum reaches it, and meanwhile the planner guesses:
    /// household search answered in seconds instead of milliseconds after a fresh import.
    /// `ANALYZE` samples a bounded number of rows (30,000 by default), so it takes about a
    /// second however large the table. SQLite's planner works from its indexes alone
    /// here, and nothing is done.
    pub async fn refresh_statistics(&self, tables: &[&str]) -> Result<(), StoreError> {
        if let Db::Postgres(p) = &self.db
            && !tables.is_empty()
        {
            // Table names come from the callers' constants, never from input.
            let sql = format!("ANALYZE {}", tables.join(", "));
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(p).await?;
            tracing::info!(?tables, "planner statistics refreshed");
        }
        Ok(())
    }

    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite(p) => {
                p.read.close().await;
                p.write.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}

/// Hides a password in a database URL before it is shown anywhere.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact_url("postgres://fp:secret@db:5432/fp"),
            "postgres://fp:***@db:5432/fp"
        );
        assert_eq!(super::redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
