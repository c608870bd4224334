//! Small facts about the database itself: the fingerprint of its key, who created it.

use crate::{Store, StoreError, on_db};

pub(crate) const KEY_FINGERPRINT: &str = "key_fingerprint";

impl Store {
    /// Reads a meta value.
    pub async fn meta_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let v: Option<(String,)> = on_db!(&self.db, p => {
            sqlx::query_as("SELECT value FROM meta WHERE key = $1")
                .bind(key)
                .fetch_optional(p)
                .await?
        });
        Ok(v.map(|(v,)| v))
    }

    /// Writes a meta value (insert or replace).
    pub async fn meta_set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        on_db!(&self.db, p => {
            sqlx::query(
                "INSERT INTO meta (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(p)
            .await
            .map(|_| ())?
        });
        Ok(())
    }

    /// The first key used with a database is recorded; any other key is refused. While a
    /// rotation is under way only the rotation's own pair of keys is accepted: with one key
    /// alone half of the keyed hashes would not match.
    pub(crate) async fn check_key(&self) -> Result<(), StoreError> {
        let actual = self.vault.fingerprint().to_string();
        let recorded = self.meta_get(KEY_FINGERPRINT).await?;
        let rotation = self.meta_get(crate::rotation::KEY_ROTATION).await?;
        match (self.vault.previous_fingerprint(), rotation) {
            (Some(old), Some(m)) if m == format!("{old} {actual}") => Ok(()),
            (_, Some(m)) => Err(crate::rotation::pending(&m)),
            (Some(old), None) => match recorded {
                // Not begun, or already finished: `rotate_keys` tells which.
                Some(r) if r == old || r == actual => Ok(()),
                Some(expected) => Err(StoreError::WrongKey {
                    expected,
                    actual: old.to_string(),
                }),
                None => self.meta_set(KEY_FINGERPRINT, &actual).await,
            },
            (None, None) => match recorded {
                Some(expected) if expected != actual => {
                    Err(StoreError::WrongKey { expected, actual })
                }
                Some(_) => Ok(()),
                None => self.meta_set(KEY_FINGERPRINT, &actual).await,
            },
        }
    }
}

/// Reads one meta value of a SQLite file without changing it: opened read-only, no
/// migrations run. `None` when the file is not a Fangpin database.
pub async fn peek_sqlite_meta(path: &std::path::Path, key: &str) -> Option<String> {
    use sqlx::Connection;
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(path)
        .read_only(true);
    let mut c = sqlx::SqliteConnection::connect_with(&opts).await.ok()?;
    let v: Option<(String,)> = sqlx::query_as("SELECT value FROM meta WHERE key = $1")
        .bind(key)
        .fetch_optional(&mut c)
        .await
        .ok()?;
    let _ = c.close().await;
    v.map(|(v,)| v)
}

impl Store {
    /// A trivial query: the database answers (readiness checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        crate::on_db!(&self.db, p => {
            sqlx::query("SELECT 1").execute(p).await?;
        });
        Ok(())
    }
}
