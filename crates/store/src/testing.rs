//! Fresh databases for tests: a new SQLite file in a temporary directory, and — when
//! `FANGPIN_TEST_PG_URL` is set — a new schema on that PostgreSQL server. Every store test
//! runs on each database returned by [`stores`], so both dialects are exercised by the same
//! assertions. When the variable is set, a PostgreSQL that cannot be reached is a failure,
//! never a silent skip.

use crate::{Store, Vault};
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable naming the PostgreSQL server for tests.
pub const PG_ENV: &str = "FANGPIN_TEST_PG_URL";

/// A store on a fresh database; the temporary directory lives as long as it does.
pub struct TestStore {
    pub store: Store,
    pub name: &'static str,
    pub url: String,
    pub dir: tempfile::TempDir,
    /// PostgreSQL schema of this test, if any.
    pub schema: Option<String>,
}

impl TestStore {
    /// Runs one SQL statement on the database directly, past every rule of the store, as
    /// an intruder with database access would (tests of tamper evidence); returns the
    /// number of rows affected.
    pub async fn execute_raw(&self, sql: &str) -> u64 {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        crate::on_db!(&self.store.db, p => {
            sqlx::query(sql).execute(p).await.expect("raw SQL runs").rows_affected()
        })
    }
}

impl TestStore {
    /// [`TestStore::execute_raw`] that reports the database's refusal instead of panicking:
    /// what a constraint of the schema does to a statement that bypasses the store.
    pub async fn try_execute_raw(&self, sql: &str) -> Result<u64, crate::StoreError> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        Ok(crate::on_db!(&self.store.db, p => {
            sqlx::query(sql).execute(p).await?.rows_affected()
        }))
    }
}

/// A fixed key for tests, so a test can reopen its database.
pub fn test_vault() -> Vault {
    Vault::from_master(&[7u8; 32])
}

/// A fresh SQLite store.
pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = Store::open(&url, test_vault()).await.expect("open sqlite");
    TestStore {
        store,
        name: "sqlite",
        url,
        dir,
        schema: None,
    }
}

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A fresh PostgreSQL schema, if `FANGPIN_TEST_PG_URL` is set.
pub async fn postgres() -> Option<TestStore> {
    let url = std::env::var(PG_ENV).ok()?;
    let schema = format!(
        "t{}_{}_{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed),
        rand::random::<u32>()
    );
    let opts = sqlx::postgres::PgConnectOptions::from_str(&url).expect("valid PG URL");
    {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect_with(&opts)
            .await
            .unwrap_or_else(|e| panic!("{PG_ENV} is set but PostgreSQL is unreachable: {e}"));
        // The schema name is generated here from digits, never from input.
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut c)
            .await
            .expect("create schema");
    }
    let store = Store::open_postgres(
        opts.options([("search_path", schema.as_str())]),
        test_vault(),
    )
    .await
    .expect("open postgres");
    Some(TestStore {
        store,
        name: "postgres",
        url,
        dir: tempfile::tempdir().expect("temp dir"),
        schema: Some(schema),
    })
}

/// SQLite always, PostgreSQL when configured.
pub async fn stores() -> Vec<TestStore> {
    let mut v = vec![sqlite().await];
    v.extend(postgres().await);
    v
}

/// Every table's rows and a SHA-256 of its content (each row rendered as text, sorted):
/// two databases of one backend with equal maps hold the same data. What crash and
/// restore tests compare.
pub async fn content(store: &Store) -> std::collections::BTreeMap<String, (u64, String)> {
    use sha2::{Digest, Sha256};
    let mut out = std::collections::BTreeMap::new();
    for table in store.tables().await.expect("list tables") {
        let name = crate::backup::ident(&table);
        let mut rows: Vec<String> = match &store.db {
            crate::Db::Sqlite(pools) => {
                let p = &pools.read;
                let cols: Vec<(String,)> =
                    sqlx::query_as("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                        .bind(&table)
                        .fetch_all(p)
                        .await
                        .expect("columns");
                let row = cols
                    .iter()
                    .map(|(c,)| format!("quote({})", crate::backup::ident(c)))
                    .collect::<Vec<_>>()
                    .join(" || '|' || ");
                let sql = format!("SELECT {row} FROM {name}");
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_all(p)
                    .await
                    .expect("rows")
            }
            crate::Db::Postgres(p) => {
                let sql = format!("SELECT t::text FROM {name} AS t");
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_all(p)
                    .await
                    .expect("rows")
            }
        };
        rows.sort_unstable();
        let mut h = Sha256::new();
        for r in &rows {
            h.update(r.as_bytes());
            h.update(b"\n");
        }
        out.insert(table, (rows.len() as u64, hex::encode(h.finalize())));
    }
    out
}
