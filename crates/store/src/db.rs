//! The two backends behind one type, and the macro that runs one piece of sqlx code against
//! whichever is live. The body is compiled once per backend, so a query that one dialect
//! cannot run fails to compile or fails in the tests that run on both.
//!
//! Every transaction logs its start and its end at debug level (target `store::db`): the
//! points between them are where a crash must leave nothing half-written, and the crash
//! tests kill the process at each of them (`FANGPIN_LOG=store::db=debug`).

use crate::error::StoreError;

/// Which database is live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool on one of the two databases.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePools),
    Postgres(sqlx::PgPool),
}

/// SQLite's two pools: readers, and the one connection that writes.
///
/// SQLite admits one writer at a time. With one pool, transactions waiting for the write
/// lock (an import holds it for its whole write) sat on every connection, and a plain
/// read found none free. Here every write transaction ([`Db::begin`]) queues for the single
/// connection of `write`, in order and without SQLite's busy polling, while `read` keeps
/// its connections for reads, which the write-ahead log lets run beside the writer.
#[derive(Debug, Clone)]
pub struct SqlitePools {
    pub(crate) read: sqlx::SqlitePool,
    pub(crate) write: sqlx::SqlitePool,
}

impl Db {
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a transaction whose audit rows are chained with `audit_mac`.
    pub async fn begin(&self, audit_mac: crate::crypto::AuditMac) -> Result<Tx, StoreError> {
        let inner = match self {
            Db::Sqlite(p) => {
                // BEGIN IMMEDIATE takes the write lock at once, so two imports queue instead
                // of failing with SQLITE_BUSY halfway through.
                TxInner::Sqlite(p.write.begin_with("BEGIN IMMEDIATE").await?)
            }
            Db::Postgres(p) => TxInner::Postgres(p.begin().await?),
        };
        tracing::debug!("transaction begun");
        Ok(Tx { inner, audit_mac })
    }
}

/// An open transaction on either database, with the key that chains the audit rows it
/// writes. Dropped without [`Tx::commit`], it rolls back.
pub struct Tx {
    pub(crate) inner: TxInner,
    /// HMAC with the audit chain's key (`store::audit`), ready for a row.
    pub(crate) audit_mac: crate::crypto::AuditMac,
}

/// The transaction of the live database.
pub enum TxInner {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await?,
            TxInner::Postgres(t) => t.commit().await?,
        }
        tracing::debug!("transaction committed");
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.inner {
            TxInner::Sqlite(t) => t.rollback().await?,
            TxInner::Postgres(t) => t.rollback().await?,
        }
        tracing::debug!("transaction rolled back");
        Ok(())
    }

    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Takes `lock` until this transaction ends, waiting while another transaction holds
    /// it. Call it first, before reading what the transaction's checks depend on.
    ///
    /// On PostgreSQL two transactions at READ COMMITTED both pass a check that each makes
    /// before the other has committed (a feed's stored records, a household's members, a
    /// household's open lead); the row lock makes the second start its reads only after
    /// the first has committed. On SQLite `BEGIN IMMEDIATE` has already made this the only
    /// writer, so there is nothing to take.
    pub async fn lock(&mut self, lock: Lock) -> Result<(), StoreError> {
        if let TxInner::Postgres(t) = &mut self.inner {
            sqlx::query("SELECT name FROM locks WHERE name = $1 FOR UPDATE")
                .bind(lock.name())
                .fetch_one(&mut **t)
                .await?;
        }
        Ok(())
    }
}

/// A named lock (table `locks`, migration 0017): one per kind of transaction that checks
/// the database and then writes on what it saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Registry imports (households, members, incomes).
    Registry,
    /// Feed imports: the stored records of a period decide which new ones are duplicates.
    Feeds,
    /// A screening run's writes: stored warnings and open leads decide what is new.
    Screening,
}

impl Lock {
    fn name(self) -> &'static str {
        match self {
            Lock::Registry => "registry",
            Lock::Feeds => "feeds",
            Lock::Screening => "screening",
        }
    }
}

/// Runs `$body` with `$conn` bound to the live pool (`&Pool<DB>`) of a [`Db`] — on SQLite
/// the pool of readers: a statement that writes outside a transaction takes SQLite's write
/// lock by itself, waiting at most the connections' busy timeout.
#[macro_export]
#[doc(hidden)]
macro_rules! on_db {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite(pools) => {
                let $conn = &pools.read;
                $body
            }
            $crate::Db::Postgres($conn) => $body,
        }
    };
}

/// Runs `$body` with `$conn` bound to the live transaction's connection (`&mut *tx`).
#[macro_export]
#[doc(hidden)]
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match &mut ($tx).inner {
            $crate::TxInner::Sqlite(t) => {
                let $conn = &mut **t;
                $body
            }
            $crate::TxInner::Postgres(t) => {
                let $conn = &mut **t;
                $body
            }
        }
    };
}
