//! 密钥轮换 (key rotation): every encrypted personal field re-encrypted, and every keyed hash
//! recomputed, under a new key — possibly of another suite — in batches that each commit
//! with their progress, so that a rotation killed halfway finishes when run again.
//!
//! The store is opened with [`Vault::rotating`] (the new key seals and hashes, either key
//! opens). The rotation is recorded in `meta` before the first batch (`key_rotation` = "old
//! new" fingerprints) and from then on [`Store::open`] with one key alone is refused: half
//! of the keyed hashes are under each key, so lookups and feed matching would silently miss.
//! Each batch reads up to `batch` rows of one table after the last id done, rewrites them
//! with one statement and records the new last id (`key_rotation:<table>`) in the same
//! transaction. A row is rewritten from its plaintext, so doing a row twice is harmless.
//! At the end every column is checked for a value not under the new key (a write by a
//! process still running with the old key), and the tables with one are done again; then
//! the recorded fingerprint becomes the new key's and the progress rows go, in one
//! transaction.

use crate::bulk::{RowWriter, Ty, finish, select_json};
use crate::crypto::{Field, Row};
use crate::{Store, StoreError, Tx, on_db, on_tx};
use sqlx::Row as _;
use std::time::{Duration, Instant};

pub(crate) const KEY_ROTATION: &str = "key_rotation";
const PROGRESS: &str = "key_rotation:";

/// How a row names itself in the associated data of its ciphertexts.
#[derive(Clone, Copy)]
enum KeyOf {
    /// A text column (户编号, 回执码).
    Text(&'static str),
    /// The member's keyed ID hash, which the rotation itself recomputes.
    MemberHash,
    /// The row id.
    Id,
}

/// An encrypted column, with the keyed hash column beside it if any.
struct Column {
    enc: &'static str,
    hash: Option<&'static str>,
    field: Field,
}

struct Table {
    name: &'static str,
    key: KeyOf,
    columns: &'static [Column],
}

/// Every table holding personal fields. A new encrypted column must be added here (the test
/// `rotation_covers_every_encrypted_column` reads the schema and fails otherwise).
const TABLES: &[Table] = &[
    Table {
        name: "households",
        key: KeyOf::Text("household_no"),
        columns: &[Column {
            enc: "phone_enc",
            hash: Some("phone_hash"),
            field: Field::Phone,
        }],
    },
    Table {
        name: "members",
        key: KeyOf::MemberHash,
        columns: &[Column {
            enc: "id_enc",
            hash: Some("id_hash"),
            field: Field::IdNumber,
        }],
    },
    Table {
        name: "declarations",
        key: KeyOf::Text("receipt"),
        columns: &[
            Column {
                enc: "phone_enc",
                hash: Some("phone_hash"),
                field: Field::Phone,
            },
            Column {
                enc: "id_enc",
                hash: Some("id_hash"),
                field: Field::IdNumber,
            },
        ],
    },
    Table {
        name: "helpers",
        key: KeyOf::Id,
        columns: &[Column {
            enc: "phone_enc",
            hash: None,
            field: Field::Phone,
        }],
    },
];

/// The tables and encrypted columns a rotation rewrites, for tests and documentation.
pub fn rotated_columns() -> Vec<(&'static str, &'static str)> {
    TABLES
        .iter()
        .flat_map(|t| t.columns.iter().map(|c| (t.name, c.enc)))
        .collect()
}

/// How to rotate.
#[derive(Debug, Clone)]
pub struct RotateOptions {
    /// Rows per transaction.
    pub batch: usize,
    /// Stop (as if killed) after this many committed batches: for tests of resumption.
    pub stop_after_batches: Option<u64>,
}

impl Default for RotateOptions {
    fn default() -> Self {
        RotateOptions {
            batch: 10_000,
            stop_after_batches: None,
        }
    }
}

/// What a rotation did.
#[derive(Debug, Clone, Default)]
pub struct RotationReport {
    /// The database was already under the new key: nothing done.
    pub already_done: bool,
    /// This run continued a rotation begun earlier.
    pub resumed: bool,
    /// Stopped by [`RotateOptions::stop_after_batches`] before the end.
    pub interrupted: bool,
    /// Rows rewritten by this run, by table.
    pub rows: Vec<(&'static str, u64)>,
    pub batches: u64,
    pub elapsed: Duration,
}

impl RotationReport {
    pub fn total_rows(&self) -> u64 {
        self.rows.iter().map(|(_, n)| n).sum()
    }
}

impl Store {
    /// Re-encrypts and re-hashes every personal field under the vault's current key. The
    /// store must have been opened with [`crate::Vault::rotating`]; `progress` is told
    /// (table, rows of it done by this run) after each batch.
    pub async fn rotate_keys(
        &self,
        opts: &RotateOptions,
        mut progress: impl FnMut(&str, u64),
    ) -> Result<RotationReport, StoreError> {
        let start = Instant::now();
        let Some(old) = self.vault.previous_fingerprint().map(str::to_owned) else {
            return Err(StoreError::Config(
                "密钥轮换需要同时提供旧密钥和新密钥".into(),
            ));
        };
        let new = self.vault.fingerprint().to_owned();
        let marker = format!("{old} {new}");
        let mut report = RotationReport::default();
        match self.meta_get(KEY_ROTATION).await? {
            Some(m) if m == marker => report.resumed = true,
            Some(m) => return Err(pending(&m)),
            None => {
                if self
                    .meta_get(crate::meta::KEY_FINGERPRINT)
                    .await?
                    .as_deref()
                    == Some(&new)
                {
                    report.already_done = true;
                    return Ok(report);
                }
                // Recorded before the first batch commits: from here on, opening with one
                // key alone is refused.
                let mut tx = self.begin().await?;
                clear_progress(&mut tx).await?;
                set_meta(&mut tx, KEY_ROTATION, &marker).await?;
                tx.commit().await?;
            }
        }
        let batch = opts.batch.max(1);
        let header = self.vault.header().to_vec();
        let mut pending_tables: Vec<&Table> = TABLES.iter().collect();
        // The first pass does every table; later passes only those where a value not under
        // the new key turned up (written meanwhile by another process with the old key).
        for pass in 0..3 {
            for table in &pending_tables {
                if pass > 0 {
                    let mut tx = self.begin().await?;
                    set_meta(&mut tx, &format!("{PROGRESS}{}", table.name), "0").await?;
                    tx.commit().await?;
                }
                let done = self
                    .rotate_table(table, batch, opts, &mut report, &mut progress)
                    .await?;
                if !done {
                    report.interrupted = true;
                    report.elapsed = start.elapsed();
                    return Ok(report);
                }
            }
            let mut stale = Vec::new();
            for table in TABLES {
                if self.stale_values(table, &header).await? > 0 {
                    stale.push(table);
                }
            }
            if stale.is_empty() {
                let mut tx = self.begin().await?;
                set_meta(&mut tx, crate::meta::KEY_FINGERPRINT, &new).await?;
                clear_progress(&mut tx).await?;
                // The audit chain is keyed by the master key too: checked under the old key
                // and sealed again under the new one, with the rotation's own row on top.
                let old_audit = self
                    .vault
                    .previous_audit_mac()
                    .expect("a rotating vault has a previous key");
                let (resealed, check) = tx.reseal_audit_for_rotation(old_audit).await?;
                let rows: serde_json::Map<String, serde_json::Value> = self
                    .rotation_counts()
                    .await?
                    .into_iter()
                    .map(|(t, n)| (t.to_string(), n.into()))
                    .collect();
                tx.audit(
                    &self.who,
                    &crate::audit::Change {
                        action: "key.rotate",
                        entity: "key",
                        entity_id: Some(new.clone()),
                        before: Some(serde_json::json!({
                            "fingerprint": old,
                            "audit_check": match &check {
                                None => "完整".to_owned(),
                                Some((id, why)) => format!("第 {id} 条起有问题：{why}"),
                            },
                        })),
                        after: Some(serde_json::json!({
                            "fingerprint": new,
                            "suite": self.vault.suite().name(),
                            "key_id": self.vault.key_id(),
                            "rows": rows,
                            "audit_rows_resealed": resealed,
                        })),
                    },
                )
                .await?;
                on_tx!(&mut tx, c => {
                    sqlx::query("DELETE FROM meta WHERE key = $1")
                        .bind(KEY_ROTATION)
                        .execute(c)
                        .await?;
                });
                tx.commit().await?;
                report.elapsed = start.elapsed();
                return Ok(report);
            }
            tracing::warn!(
                tables = ?stale.iter().map(|t| t.name).collect::<Vec<_>>(),
                "values written with the old key during the rotation; rewriting those tables"
            );
            pending_tables = stale;
        }
        Err(StoreError::Conflict(
            "密钥轮换期间仍有程序在用旧密钥写入数据：请先停止 fangpin serve 等其他进程，再重新运行 fangpin key rotate"
                .into(),
        ))
    }

    /// Rewrites one table from its recorded progress on; `false` when stopped by the hook.
    async fn rotate_table(
        &self,
        table: &Table,
        batch: usize,
        opts: &RotateOptions,
        report: &mut RotationReport,
        progress: &mut impl FnMut(&str, u64),
    ) -> Result<bool, StoreError> {
        let progress_key = format!("{PROGRESS}{}", table.name);
        let mut last: i64 = self
            .meta_get(&progress_key)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let key_col = match table.key {
            KeyOf::Text(c) => c,
            KeyOf::MemberHash => "id_hash",
            KeyOf::Id => "id",
        };
        let encs: Vec<&str> = table.columns.iter().map(|c| c.enc).collect();
        let select = format!(
            "SELECT id, {key_col}, {} FROM {} WHERE id > $1 ORDER BY id LIMIT $2",
            encs.join(", "),
            table.name
        );
        let mut fields = vec![("id", Ty::Int)];
        for c in table.columns {
            fields.push((c.enc, Ty::Blob));
            if let Some(h) = c.hash {
                fields.push((h, Ty::Blob));
            }
        }
        let set: Vec<String> = fields[1..]
            .iter()
            .map(|(n, _)| format!("{n} = src.{n}"))
            .collect();
        let update = format!(
            "UPDATE {t} SET {} FROM ({}) AS src WHERE {t}.id = src.id",
            set.join(", "),
            select_json(self.backend(), &fields),
            t = table.name
        );
        let mut done_here = 0u64;
        let mut json = String::new();
        loop {
            if opts.stop_after_batches.is_some_and(|n| report.batches >= n) {
                return Ok(false);
            }
            let mut tx = self.begin().await?;
            let rows: Vec<Sealed> = on_tx!(&mut tx, c => {
                let rows = sqlx::query(sqlx::AssertSqlSafe(select.as_str()))
                    .bind(last)
                    .bind(batch as i64)
                    .fetch_all(c)
                    .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let id: i64 = r.try_get(0)?;
                    let key: Vec<u8> = match table.key {
                        KeyOf::Text(_) => r.try_get::<String, _>(1)?.into_bytes(),
                        KeyOf::MemberHash => r.try_get(1)?,
                        KeyOf::Id => Vec::new(),
                    };
                    let mut encs = Vec::with_capacity(table.columns.len());
                    for i in 0..table.columns.len() {
                        encs.push(r.try_get::<Option<Vec<u8>>, _>(2 + i)?);
                    }
                    out.push((id, key, encs));
                }
                out
            });
            let Some(&(max_id, _, _)) = rows.last() else {
                tx.rollback().await?;
                return Ok(true);
            };
            json.clear();
            for (id, key, encs) in &rows {
                let old_row = match table.key {
                    KeyOf::Text(_) => Row::from_table_key(table.name, key),
                    KeyOf::MemberHash => Row::member(key),
                    KeyOf::Id => Row::helper(*id),
                };
                let mut w = RowWriter::begin(&mut json);
                w.int(*id);
                // The member's new row key is its new hash: computed first.
                let mut plains = Vec::with_capacity(encs.len());
                for (col, enc) in table.columns.iter().zip(encs) {
                    plains.push(match enc {
                        Some(e) => Some(self.vault.open(col.field, old_row, e)?),
                        None => None,
                    });
                }
                let new_hash = match table.key {
                    KeyOf::MemberHash => plains[0]
                        .as_deref()
                        .map(|p| self.vault.digest(Field::IdNumber, p)),
                    _ => None,
                };
                let new_row = match (&table.key, &new_hash) {
                    (KeyOf::MemberHash, Some(h)) => Row::member(h),
                    _ => old_row,
                };
                for (col, plain) in table.columns.iter().zip(&plains) {
                    match plain {
                        Some(p) => {
                            w.blob(&self.vault.seal(col.field, new_row, p));
                            if col.hash.is_some() {
                                w.blob(&self.vault.digest(col.field, p));
                            }
                        }
                        None => {
                            w.null();
                            if col.hash.is_some() {
                                w.null();
                            }
                        }
                    }
                }
                w.end();
            }
            finish(&mut json);
            on_tx!(&mut tx, c => {
                sqlx::query(sqlx::AssertSqlSafe(update.as_str()))
                    .bind(json.as_str())
                    .execute(c)
                    .await?;
            });
            set_meta(&mut tx, &progress_key, &max_id.to_string()).await?;
            tx.commit().await?;
            last = max_id;
            report.batches += 1;
            done_here += rows.len() as u64;
            match report.rows.iter_mut().find(|(t, _)| *t == table.name) {
                Some((_, n)) => *n += rows.len() as u64,
                None => report.rows.push((table.name, rows.len() as u64)),
            }
            progress(table.name, done_here);
        }
    }

    /// Rows of every rotated table (what the audit row of a rotation records).
    async fn rotation_counts(&self) -> Result<Vec<(&'static str, i64)>, StoreError> {
        let mut out = Vec::new();
        for t in TABLES {
            let sql = format!("SELECT COUNT(*) FROM {}", t.name);
            let (n,): (i64,) = on_db!(&self.db, p => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(p).await?
            });
            out.push((t.name, n));
        }
        Ok(out)
    }

    /// Values of `table` whose first two bytes are not the new key's header.
    async fn stale_values(&self, table: &Table, header: &[u8]) -> Result<i64, StoreError> {
        let mut n = 0;
        for c in table.columns {
            let sql = format!(
                "SELECT COUNT(*) FROM {} WHERE {e} IS NOT NULL AND substr({e}, 1, 2) <> $1",
                table.name,
                e = c.enc
            );
            let (k,): (i64,) = on_db!(&self.db, p => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(header).fetch_one(p).await?
            });
            n += k;
        }
        Ok(n)
    }
}

/// One row as read for rotation: id, the bytes of its row key, its ciphertexts.
type Sealed = (i64, Vec<u8>, Vec<Option<Vec<u8>>>);

pub(crate) fn pending(marker: &str) -> StoreError {
    let (from, to) = marker.split_once(' ').unwrap_or((marker, "?"));
    StoreError::RotationPending {
        from: from.to_owned(),
        to: to.to_owned(),
    }
}

async fn set_meta(tx: &mut Tx, key: &str, value: &str) -> Result<(), StoreError> {
    on_tx!(tx, c => {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(c)
        .await?;
    });
    Ok(())
}

async fn clear_progress(tx: &mut Tx) -> Result<(), StoreError> {
    on_tx!(tx, c => {
        sqlx::query("DELETE FROM meta WHERE key LIKE 'key_rotation:%'")
            .execute(c)
            .await?;
    });
    Ok(())
}
