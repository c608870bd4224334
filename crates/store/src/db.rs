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
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
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
                TxInner::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?)
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
}

/// Runs `$body` with `$conn` bound to the live pool (`&Pool<DB>`) of a [`Db`].
#[macro_export]
#[doc(hidden)]
macro_rules! on_db {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($conn) => $body,
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
