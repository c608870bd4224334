//! 同义词表 versions: the county's documents of departments' words, kept as loaded, newest
//! in effect. What a document means, and its checks, are `tabular::synonyms`'s.

use crate::{Store, StoreError, Tx, on_db, on_tx};
use chrono::{DateTime, Utc};

/// A stored synonym document.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredSynonyms {
    pub version: i64,
    pub title: String,
    /// The TOML document as loaded.
    pub source: String,
    /// SHA-256 of `source`, hex.
    pub checksum: String,
    pub loaded_by: String,
    pub loaded_at: DateTime<Utc>,
}

const COLUMNS: &str = "version, title, source, checksum, loaded_by, loaded_at";

impl Tx {
    /// Stores a checked document as a new version (in a transaction, so that its audit row
    /// commits with it); returns the version.
    pub async fn insert_synonyms(
        &mut self,
        title: &str,
        source: &str,
        checksum: &str,
        actor: &str,
    ) -> Result<i64, StoreError> {
        let (v,): (i64,) = on_tx!(self, c => {
            sqlx::query_as(
                "INSERT INTO synonym_tables (title, source, checksum, loaded_by, loaded_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING version",
            )
            .bind(title)
            .bind(source)
            .bind(checksum)
            .bind(actor)
            .bind(Utc::now())
            .fetch_one(c)
            .await?
        });
        Ok(v)
    }
}

impl Store {
    /// The version in effect: the newest; `None` until one is loaded.
    pub async fn synonyms_in_effect(&self) -> Result<Option<StoredSynonyms>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM synonym_tables ORDER BY version DESC LIMIT 1");
        Ok(on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_optional(p).await?
        }))
    }

    /// Every stored version, newest first.
    pub async fn synonym_versions(&self) -> Result<Vec<StoredSynonyms>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM synonym_tables ORDER BY version DESC");
        Ok(on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(p).await?
        }))
    }
}
