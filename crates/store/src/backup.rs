//! 备份 (backup): what a database holds, table by table, and a consistent copy of it.
//!
//! SQLite copies itself with `VACUUM INTO`, which runs as one read transaction: the copy is
//! the database as of one instant, and an import or a running service carries on meanwhile.
//! PostgreSQL is copied by `pg_dump`, which the service runs; here it gets a snapshot
//! exported from a read-only transaction ([`PgSnapshot`]), so that the rows counted for the
//! operator are exactly the rows dumped. A database to restore into is looked at with
//! [`inspect`], which neither migrates nor changes it.

use crate::{Store, StoreError, on_db};
use std::path::Path;
use std::str::FromStr;

/// Tables that the migrations themselves fill: a database whose other tables are all empty
/// holds no data of a county.
const BOOKKEEPING: &[&str] = &[
    "_sqlx_migrations",
    "meta",
    "audit_head",
    "registry_generation",
    "locks",
];

const SQLITE_TABLES: &str = "SELECT name FROM sqlite_schema WHERE type = 'table' \
     AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name";
const PG_TABLES: &str = "SELECT table_name::text FROM information_schema.tables \
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1";

/// One table and how many rows it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    pub table: String,
    pub rows: u64,
}

/// What a database holds, read without changing it.
#[derive(Debug, Clone, Default)]
pub struct Inspection {
    /// The PostgreSQL schema the connection works in (`None` on SQLite, or when the
    /// connection's search path names no existing schema).
    pub schema: Option<String>,
    pub tables: Vec<TableCount>,
    /// The fingerprint of the key its personal fields are encrypted with, if recorded.
    pub fingerprint: Option<String>,
}

impl Inspection {
    /// Whether the database holds any data beyond what its migrations put there.
    pub fn holds_data(&self) -> bool {
        self.tables
            .iter()
            .any(|t| t.rows > 0 && !BOOKKEEPING.contains(&t.table.as_str()))
    }

    /// Rows of `table` (0 when it does not exist).
    pub fn rows(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|t| t.table == table)
            .map_or(0, |t| t.rows)
    }
}

/// A table name from the catalogue as an SQL identifier. Names come from the database's
/// own catalogue, never from input; quoting keeps even an odd one a name.
pub(crate) fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Lists the tables with `$list` and counts each, on one connection (`&mut` to it).
macro_rules! count_tables {
    ($conn:expr, $list:expr) => {{
        let conn = $conn;
        let names: Vec<(String,)> = sqlx::query_as($list).fetch_all(&mut *conn).await?;
        let mut out = Vec::with_capacity(names.len());
        for (table,) in names {
            let sql = format!("SELECT count(*) FROM {}", ident(&table));
            let (rows,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut *conn)
                .await?;
            out.push(TableCount {
                table,
                rows: rows as u64,
            });
        }
        out
    }};
}

/// The key fingerprint recorded in `meta`, if the table exists and holds one.
macro_rules! fingerprint {
    ($conn:expr, $tables:expr) => {{
        let conn = $conn;
        if $tables.iter().any(|t: &TableCount| t.table == "meta") {
            let v: Option<(String,)> =
                sqlx::query_as("SELECT value FROM meta WHERE key = 'key_fingerprint'")
                    .fetch_optional(&mut *conn)
                    .await?;
            v.map(|(v,)| v)
        } else {
            None
        }
    }};
}

impl Store {
    /// The tables of the database (of its schema, on PostgreSQL), by name.
    pub async fn tables(&self) -> Result<Vec<String>, StoreError> {
        let names: Vec<(String,)> = on_db!(&self.db, p => {
            let sql = match self.backend() {
                crate::Backend::Sqlite => SQLITE_TABLES,
                crate::Backend::Postgres => PG_TABLES,
            };
            sqlx::query_as(sql).fetch_all(p).await?
        });
        Ok(names.into_iter().map(|(n,)| n).collect())
    }

    /// Every table with its number of rows.
    pub async fn table_counts(&self) -> Result<Vec<TableCount>, StoreError> {
        Ok(match &self.db {
            crate::Db::Sqlite(p) => {
                let mut c = p.read.acquire().await?;
                count_tables!(&mut *c, SQLITE_TABLES)
            }
            crate::Db::Postgres(p) => {
                let mut c = p.acquire().await?;
                count_tables!(&mut *c, PG_TABLES)
            }
        })
    }

    /// SQLite: writes a consistent copy of the database to `path`, which must not exist or
    /// be an empty file (create it first to choose its permissions: SQLite keeps them).
    pub async fn vacuum_into(&self, path: &Path) -> Result<(), StoreError> {
        let crate::Db::Sqlite(crate::db::SqlitePools { read: p, .. }) = &self.db else {
            return Err(StoreError::Config(
                "VACUUM INTO 只适用于 SQLite；PostgreSQL 用 pg_dump 备份".into(),
            ));
        };
        let target = path.to_str().ok_or_else(|| {
            StoreError::Config(format!("备份路径 {} 不是有效的 UTF-8", path.display()))
        })?;
        // The file name is bound, not spliced: VACUUM INTO takes an expression.
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(p)
            .await?;
        Ok(())
    }

    /// PostgreSQL: opens a read-only snapshot and exports it for `pg_dump --snapshot`.
    pub async fn pg_snapshot(&self) -> Result<PgSnapshot, StoreError> {
        let crate::Db::Postgres(p) = &self.db else {
            return Err(StoreError::Config("快照导出只适用于 PostgreSQL".into()));
        };
        let mut tx = p
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let (id,): (String,) = sqlx::query_as("SELECT pg_export_snapshot()")
            .fetch_one(&mut *tx)
            .await?;
        let (schema,): (String,) = sqlx::query_as("SELECT current_schema()::text")
            .fetch_one(&mut *tx)
            .await?;
        Ok(PgSnapshot { tx, id, schema })
    }
}

/// A read-only PostgreSQL transaction whose snapshot `pg_dump` shares: it must stay open
/// until the dump has started reading.
pub struct PgSnapshot {
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    /// The exported snapshot's name, for `pg_dump --snapshot`.
    pub id: String,
    /// The schema the store works in (the one to dump).
    pub schema: String,
}

impl PgSnapshot {
    /// The tables and their rows as of the snapshot.
    pub async fn table_counts(&mut self) -> Result<Vec<TableCount>, StoreError> {
        Ok(count_tables!(&mut *self.tx, PG_TABLES))
    }

    /// Ends the transaction (after the dump has finished).
    pub async fn end(self) -> Result<(), StoreError> {
        self.tx.rollback().await?;
        Ok(())
    }
}

/// Looks at the database `url` names without migrating or changing it: its tables and their
/// rows, and its key's fingerprint. A SQLite file that does not exist holds nothing.
pub async fn inspect(url: &str) -> Result<Inspection, StoreError> {
    use sqlx::Connection;
    if url.starts_with("sqlite:") {
        let path = sqlite_file(url)?;
        if !path.exists() {
            return Ok(Inspection::default());
        }
        return inspect_sqlite(&path, false).await;
    }
    let opts = sqlx::postgres::PgConnectOptions::from_str(url)?;
    let mut c = sqlx::PgConnection::connect_with(&opts).await?;
    // None when the search path names no schema that exists.
    let (schema,): (Option<String>,) = sqlx::query_as("SELECT current_schema()::text")
        .fetch_one(&mut c)
        .await?;
    let tables = count_tables!(&mut c, PG_TABLES);
    let fingerprint = fingerprint!(&mut c, tables);
    c.close().await?;
    Ok(Inspection {
        schema,
        tables,
        fingerprint,
    })
}

/// The file a `sqlite://` URL names.
pub fn sqlite_file(url: &str) -> Result<std::path::PathBuf, StoreError> {
    let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)?;
    Ok(opts.get_filename().to_path_buf())
}

/// Looks at a SQLite file read-only; with `check`, first runs SQLite's own consistency
/// check (`quick_check`) and refuses a damaged file.
pub async fn inspect_sqlite(path: &Path, check: bool) -> Result<Inspection, StoreError> {
    use sqlx::Connection;
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .read_only(true);
    let mut c = sqlx::SqliteConnection::connect_with(&opts).await?;
    if check {
        let (verdict,): (String,) = sqlx::query_as("PRAGMA quick_check")
            .fetch_one(&mut c)
            .await?;
        if verdict != "ok" {
            return Err(StoreError::Corrupt(format!(
                "{} 未通过 SQLite 完整性检查：{verdict}",
                path.display()
            )));
        }
    }
    let tables = count_tables!(&mut c, SQLITE_TABLES);
    let fingerprint = fingerprint!(&mut c, tables);
    c.close().await?;
    Ok(Inspection {
        schema: None,
        tables,
        fingerprint,
    })
}
