//! 部门数据 (department feeds): import batches and their records, kept as compact segments
//! sorted by household ([`codec`]). A batch is immutable; a wrong one is withdrawn (its
//! records deleted, its row kept with who withdrew it and when) and the corrected file
//! imported as a new batch.

pub mod codec;

use crate::{Store, StoreError, Tx, on_db, on_tx};
use chrono::{DateTime, NaiveDate, Utc};
use codec::{Record, SEGMENT_ROWS};
use domain::feed::Feed;
use futures_util::TryStreamExt;
use rustc_hash::FxHashSet;

/// What the import knows of a batch before writing it.
#[derive(Debug, Clone)]
pub struct NewFeedBatch<'a> {
    pub feed: Feed,
    pub file_name: &'a str,
    /// SHA-256 of the file, hex.
    pub checksum: &'a str,
    /// Earliest and latest event date of the file's rows.
    pub period: (NaiveDate, NaiveDate),
    pub rows: u64,
    pub stored: u64,
    pub duplicates: u64,
    pub unmatched: u64,
    pub households: u64,
    pub actor: &'a str,
    /// SHA-256 of the feed and the sorted keys of the records stored: the batch's identity,
    /// unique among batches in force (migration 0017).
    pub records_digest: &'a [u8],
}

/// A stored batch (导入批次).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FeedBatch {
    pub id: i64,
    #[sqlx(try_from = "i64")]
    pub feed: FeedCode,
    pub department: String,
    pub file_name: String,
    pub checksum: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub rows: i64,
    pub stored: i64,
    pub duplicates: i64,
    pub unmatched: i64,
    pub households: i64,
    pub actor: String,
    pub imported_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<String>,
}

/// A feed's stored code, checked when read back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedCode(pub Feed);

impl TryFrom<i64> for FeedCode {
    type Error = StoreError;
    fn try_from(v: i64) -> Result<Self, StoreError> {
        i16::try_from(v)
            .ok()
            .and_then(Feed::from_code)
            .map(FeedCode)
            .ok_or_else(|| StoreError::Corrupt(format!("数据种类代码 {v}")))
    }
}

const BATCH_COLUMNS: &str = "id, feed, department, file_name, checksum, period_from, period_to, \
    rows, stored, duplicates, unmatched, households, actor, imported_at, withdrawn_at, withdrawn_by";

/// Which segments a screening reads.
#[derive(Debug, Clone, Copy, Default)]
pub struct SegmentFilter {
    /// Only records that may fall after this day (deaths are always read: a death of any
    /// date matters).
    pub after: Option<NaiveDate>,
    /// Only batches newer than this one.
    pub batches_after: Option<i64>,
}

impl Tx {
    /// Records a batch and returns its id, or `None` when a batch in force already stores
    /// exactly these records (the same upload, sent again while the first was being
    /// written): the database's unique index decides, so two transactions racing cannot
    /// both pass. On PostgreSQL the second waits for the first to commit and then inserts
    /// nothing.
    pub async fn insert_feed_batch(
        &mut self,
        b: &NewFeedBatch<'_>,
    ) -> Result<Option<i64>, StoreError> {
        let id: Option<(i64,)> = on_tx!(self, c => {
            sqlx::query_as(
                "INSERT INTO feed_batches (feed, department, file_name, checksum, period_from, \
                 period_to, rows, stored, duplicates, unmatched, households, actor, imported_at, \
                 records_digest) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 ON CONFLICT (records_digest) WHERE withdrawn_at IS NULL DO NOTHING RETURNING id",
            )
            .bind(i64::from(b.feed.code()))
            .bind(b.feed.department())
            .bind(b.file_name)
            .bind(b.checksum)
            .bind(b.period.0)
            .bind(b.period.1)
            .bind(b.rows as i64)
            .bind(b.stored as i64)
            .bind(b.duplicates as i64)
            .bind(b.unmatched as i64)
            .bind(b.households as i64)
            .bind(b.actor)
            .bind(Utc::now())
            .bind(b.records_digest)
            .fetch_optional(c)
            .await?
        });
        Ok(id.map(|(id,)| id))
    }

    /// Writes a batch's records, sorted by household, as segments. Returns the number of
    /// segments.
    pub async fn insert_feed_segments(
        &mut self,
        batch: i64,
        feed: Feed,
        records: &[Record],
    ) -> Result<usize, StoreError> {
        let mut n = 0;
        for (seq, chunk) in records.chunks(SEGMENT_ROWS).enumerate() {
            let data = codec::encode(feed, chunk);
            let lo = chunk.first().map_or(0, |r| r.0);
            let hi = chunk.last().map_or(0, |r| r.0);
            let date_lo = chunk
                .iter()
                .map(|r| r.1.date)
                .min()
                .expect("chunk not empty");
            let date_hi = chunk
                .iter()
                .map(|r| r.1.date)
                .max()
                .expect("chunk not empty");
            on_tx!(self, c => {
                sqlx::query(
                    "INSERT INTO feed_segments (batch_id, seq, feed, rows, household_lo, \
                     household_hi, date_lo, date_hi, data) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(batch)
                .bind(seq as i64)
                .bind(i64::from(feed.code()))
                .bind(chunk.len() as i64)
                .bind(lo)
                .bind(hi)
                .bind(date_lo)
                .bind(date_hi)
                .bind(data)
                .execute(c)
                .await
                .map(|_| ())?
            });
            n += 1;
        }
        Ok(n)
    }

    /// The keys ([`domain::feed::FeedEvent::key`]) of the stored records of `feed` dated
    /// within `from..=to`: what a new batch of that period must not repeat.
    pub async fn feed_keys(
        &mut self,
        feed: Feed,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<FxHashSet<u64>, StoreError> {
        let blobs: Vec<(Vec<u8>,)> = on_tx!(self, c => {
            sqlx::query_as(
                "SELECT data FROM feed_segments WHERE feed = $1 AND date_hi >= $2 AND date_lo <= $3",
            )
            .bind(i64::from(feed.code()))
            .bind(from)
            .bind(to)
            .fetch_all(c)
            .await?
        });
        let mut keys = FxHashSet::default();
        for (blob,) in blobs {
            codec::decode(&blob, |_, e| {
                if e.date >= from && e.date <= to {
                    keys.insert(e.key());
                }
            })?;
        }
        Ok(keys)
    }

    /// Withdraws a batch (撤回): its records are deleted, the batch row stays with who
    /// withdrew it and when.
    pub async fn withdraw_feed_batch(
        &mut self,
        id: i64,
        actor: &str,
    ) -> Result<FeedBatch, StoreError> {
        let sql = format!("SELECT {BATCH_COLUMNS} FROM feed_batches WHERE id = $1");
        let batch: Option<FeedBatch> = on_tx!(self, c => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(c).await?
        });
        let batch = batch.ok_or_else(|| StoreError::NotFound(format!("导入批次 {id}")))?;
        if batch.withdrawn_at.is_some() {
            return Err(StoreError::Conflict(format!("导入批次 {id} 已经撤回")));
        }
        on_tx!(self, c => {
            sqlx::query("DELETE FROM feed_segments WHERE batch_id = $1")
                .bind(id)
                .execute(&mut *c)
                .await?;
            sqlx::query("UPDATE feed_batches SET withdrawn_at = $1, withdrawn_by = $2 WHERE id = $3")
                .bind(Utc::now())
                .bind(actor)
                .bind(id)
                .execute(&mut *c)
                .await
                .map(|_| ())?
        });
        Ok(batch)
    }
}

impl Store {
    /// Batches, newest first.
    pub async fn feed_batches(
        &self,
        feed: Option<Feed>,
        limit: i64,
    ) -> Result<Vec<FeedBatch>, StoreError> {
        let sql = format!(
            "SELECT {BATCH_COLUMNS} FROM feed_batches WHERE ($1 = 0 OR feed = $1) \
             ORDER BY id DESC LIMIT $2"
        );
        let feed = feed.map_or(0, |f| i64::from(f.code()));
        Ok(on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(feed).bind(limit).fetch_all(p).await?
        }))
    }

    /// The newest batch id (0 when none): the watermark of a screening run.
    pub async fn last_feed_batch(&self) -> Result<i64, StoreError> {
        let (id,): (Option<i64>,) = on_db!(&self.db, p => {
            sqlx::query_as("SELECT MAX(id) FROM feed_batches").fetch_one(p).await?
        });
        Ok(id.unwrap_or(0))
    }

    /// The newest batch id and the number of batches withdrawn: together they change
    /// whenever the records in force change (what a cached data-quality report depends
    /// on).
    pub async fn feed_state(&self) -> Result<(i64, i64), StoreError> {
        let (id, withdrawn): (Option<i64>, i64) = on_db!(&self.db, p => {
            sqlx::query_as("SELECT MAX(id), COUNT(withdrawn_at) FROM feed_batches")
                .fetch_one(p)
                .await?
        });
        Ok((id.unwrap_or(0), withdrawn))
    }

    /// The latest event date of the batches in force: the default screening day.
    pub async fn latest_feed_date(&self) -> Result<Option<NaiveDate>, StoreError> {
        let (d,): (Option<NaiveDate>,) = on_db!(&self.db, p => {
            sqlx::query_as("SELECT MAX(period_to) FROM feed_batches WHERE withdrawn_at IS NULL")
                .fetch_one(p)
                .await?
        });
        Ok(d)
    }

    /// Streams the raw segments that `filter` selects into `f`, in storage order.
    pub async fn for_each_feed_segment(
        &self,
        filter: SegmentFilter,
        mut f: impl FnMut(Vec<u8>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        // Before any record a registry can hold, and within PostgreSQL's date range.
        let after = filter
            .after
            .unwrap_or(NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date"));
        let batches_after = filter.batches_after.unwrap_or(0);
        let mut n = 0;
        on_db!(&self.db, p => {
            let mut rows = sqlx::query_as::<_, (Vec<u8>,)>(
                "SELECT data FROM feed_segments WHERE batch_id > $1 AND (feed = $2 OR date_hi > $3) \
                 ORDER BY batch_id, seq",
            )
            .bind(batches_after)
            .bind(i64::from(Feed::Death.code()))
            .bind(after)
            .fetch(p);
            while let Some((data,)) = rows.try_next().await? {
                f(data)?;
                n += 1;
            }
        });
        Ok(n)
    }

    /// The households with records in batches newer than `batch` (for incremental runs).
    pub async fn households_in_batches_after(&self, batch: i64) -> Result<Vec<i64>, StoreError> {
        let mut out = Vec::new();
        self.for_each_feed_segment(
            SegmentFilter {
                after: None,
                batches_after: Some(batch),
            },
            |data| codec::decode(&data, |h, _| out.push(h)).map(|_| ()),
        )
        .await?;
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}
