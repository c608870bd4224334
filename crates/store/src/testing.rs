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

    /// Runs one `SELECT COUNT(*) …` on the database directly.
    pub async fn count_raw(&self, sql: &str) -> i64 {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        crate::on_db!(&self.store.db, p => {
            sqlx::query_scalar(sql).fetch_one(p).await.expect("raw count runs")
        })
    }

    /// A blob literal in this database's dialect.
    pub fn blob_literal(&self, bytes: &[u8]) -> String {
        match self.schema {
            None => format!("x'{}'", hex::encode(bytes)),
            Some(_) => format!("'\\x{}'::bytea", hex::encode(bytes)),
        }
    }
}

impl TestStore {
    /// The same database opened again with `vault` (on PostgreSQL, the same schema).
    pub async fn reopen_with(&self, vault: Vault) -> Result<Store, crate::StoreError> {
        match &self.schema {
            None => Store::open(&self.url, vault).await,
            Some(schema) => {
                let opts = sqlx::postgres::PgConnectOptions::from_str(&self.url)?
                    .options([("search_path", schema.as_str())]);
                Store::open_postgres(opts, vault).await
            }
        }
    }
}

impl TestStore {
    /// The same database opened again, as a new process would (migrations, key check and
    /// any upgrade work run again).
    pub async fn reopen(&self) -> Result<Store, crate::StoreError> {
        self.reopen_with(test_vault()).await
    }
}

impl TestStore {
    /// The same PostgreSQL schema opened as another login role (`None` on SQLite).
    pub async fn reopen_as(&self, role: &str) -> Option<Result<Store, crate::StoreError>> {
        let schema = self.schema.as_ref()?;
        let opts = match sqlx::postgres::PgConnectOptions::from_str(&self.url) {
            Ok(o) => o.username(role).options([("search_path", schema.as_str())]),
            Err(e) => return Some(Err(e.into())),
        };
        Some(Store::open_postgres(opts, test_vault()).await)
    }
}

/// Runs one SQL statement through `store`'s own connections, as whatever database role it
/// signed in as; the database's refusal is returned, not a panic.
pub async fn try_raw(store: &Store, sql: &str) -> Result<u64, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql.to_owned());
    crate::on_db!(&store.db, p => {
        sqlx::query(sql).execute(p).await.map(|r| r.rows_affected())
    })
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

/// The shape of a schema, as far as the two dialects must agree: what
/// `tests/schema.rs` compares between a migrated SQLite file and a migrated PostgreSQL
/// schema. Column types are left out (dates are TEXT in SQLite, blobs BLOB or BYTEA).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// Table → its columns in order, each with whether it may be NULL.
    pub columns: std::collections::BTreeMap<String, Vec<(String, bool)>>,
    /// Table → its primary key's columns, in key order.
    pub primary_keys: std::collections::BTreeMap<String, Vec<String>>,
    /// Every other index: (table, columns in order, unique, partial, name). The name is
    /// given for indexes created by name (CREATE INDEX …), which code refers to (a rebuild,
    /// an ON CONFLICT, a plan); an index behind an inline UNIQUE gets a name of each
    /// database's own choosing and is compared without it.
    pub indexes: std::collections::BTreeSet<IndexShape>,
}

/// (table, columns in order, unique, partial, name if created by name).
pub type IndexShape = (String, Vec<String>, bool, bool, Option<String>);

/// An index as PostgreSQL's catalogue gives it: name, unique, primary, partial, backing a
/// constraint, number of key columns, all its columns (keys, then INCLUDE).
type PgIndex = (String, bool, bool, bool, bool, i16, Vec<String>);

/// Tables of the migration machinery itself.
const NOT_OURS: &[&str] = &["_sqlx_migrations"];

/// The [`Shape`] of `store`'s database.
pub async fn shape(store: &Store) -> Shape {
    let mut out = Shape::default();
    let tables: Vec<String> = store
        .tables()
        .await
        .expect("list tables")
        .into_iter()
        .filter(|t| !NOT_OURS.contains(&t.as_str()))
        .collect();
    match &store.db {
        crate::Db::Sqlite(pools) => {
            let p = &pools.read;
            for table in tables {
                let cols: Vec<(String, bool, i64)> = sqlx::query_as(
                    "SELECT name, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
                )
                .bind(&table)
                .fetch_all(p)
                .await
                .expect("columns");
                let mut pk: Vec<(i64, String)> = cols
                    .iter()
                    .filter(|c| c.2 > 0)
                    .map(|c| (c.2, c.0.clone()))
                    .collect();
                pk.sort();
                // A primary key column is NOT NULL in PostgreSQL; SQLite says so only of
                // INTEGER PRIMARY KEY, but no key of ours is ever NULL.
                out.columns.insert(
                    table.clone(),
                    cols.iter()
                        .map(|(n, notnull, pk)| (n.clone(), !*notnull && *pk == 0))
                        .collect(),
                );
                out.primary_keys
                    .insert(table.clone(), pk.into_iter().map(|(_, n)| n).collect());
                let indexes: Vec<(String, bool, String, bool)> = sqlx::query_as(
                    "SELECT name, \"unique\", origin, partial FROM pragma_index_list($1)",
                )
                .bind(&table)
                .fetch_all(p)
                .await
                .expect("indexes");
                for (name, unique, origin, partial) in indexes {
                    if origin == "pk" {
                        continue;
                    }
                    let cols: Vec<(Option<String>,)> =
                        sqlx::query_as("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                            .bind(&name)
                            .fetch_all(p)
                            .await
                            .expect("index columns");
                    out.indexes.insert((
                        table.clone(),
                        cols.into_iter()
                            .map(|(c,)| c.unwrap_or_else(|| "(expression)".into()))
                            .collect(),
                        unique,
                        partial,
                        (origin == "c").then_some(name),
                    ));
                }
            }
        }
        crate::Db::Postgres(p) => {
            for table in tables {
                let cols: Vec<(String, String)> = sqlx::query_as(
                    "SELECT column_name::text, is_nullable::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name = $1 \
                     ORDER BY ordinal_position",
                )
                .bind(&table)
                .fetch_all(p)
                .await
                .expect("columns");
                out.columns.insert(
                    table.clone(),
                    cols.into_iter()
                        .map(|(n, null)| (n, null == "YES"))
                        .collect(),
                );
                // Each index with its columns in key order (an expression has none), and
                // whether a constraint (UNIQUE, PRIMARY KEY) stands behind it.
                let indexes: Vec<PgIndex> = sqlx::query_as(
                    "SELECT i.relname::text, ix.indisunique, ix.indisprimary, \
                       ix.indpred IS NOT NULL, \
                       EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = ix.indexrelid), \
                       ix.indnkeyatts, \
                       ARRAY(SELECT COALESCE(a.attname::text, '(expression)') \
                             FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) \
                             LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum \
                             ORDER BY k.ord) \
                     FROM pg_index ix \
                     JOIN pg_class i ON i.oid = ix.indexrelid \
                     JOIN pg_class t ON t.oid = ix.indrelid \
                     JOIN pg_namespace n ON n.oid = t.relnamespace \
                     WHERE n.nspname = current_schema() AND t.relname = $1",
                )
                .bind(&table)
                .fetch_all(p)
                .await
                .expect("indexes");
                let pk: Vec<String> = indexes
                    .iter()
                    .find(|i| i.2)
                    .map(|i| i.6.clone())
                    .unwrap_or_default();
                for (name, unique, primary, partial, constraint, keys, mut cols) in indexes {
                    if primary {
                        continue;
                    }
                    // Every SQLite index entry carries its row's id (the rowid, which an
                    // INTEGER PRIMARY KEY is): PostgreSQL says the same with INCLUDE (id).
                    let keys = usize::try_from(keys).expect("key columns");
                    if pk.len() == 1 && cols.len() > keys {
                        let included = cols.split_off(keys);
                        cols.extend(included.into_iter().filter(|c| *c != pk[0]));
                    }
                    out.indexes.insert((
                        table.clone(),
                        cols,
                        unique,
                        partial,
                        (!constraint).then_some(name),
                    ));
                }
                out.primary_keys.insert(table.clone(), pk);
            }
        }
    }
    out
}
