//! 部门数据导入 (department feed imports): a department's file of events is checked row by
//! row, each row is matched to a registry member by 证件号码 (through the keyed hash; the
//! number itself is never stored), and the new records are written as one batch.
//!
//! Enumerated columns take the template's values or a department's own words for them, read
//! through the synonym table in effect (`crate::synonyms`); the report says which words were
//! read as what, and the batch's audit row keeps it with the table's version.
//!
//! A file imports whole or not at all. A row about someone outside the registry is counted,
//! not kept. A record already stored — by an earlier batch, or earlier in the same file —
//! is counted as a duplicate and skipped, so that re-importing a file, or importing
//! overlapping monthly exports, changes nothing.

use crate::ServiceError;
use crate::imports::{ImportFile, checksum, digests_of};
use chrono::NaiveDate;
use domain::IdNumber;
use domain::feed::{Feed, FeedEvent, FeedRow};
use rustc_hash::FxHashMap;
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use store::Store;
use store::audit::Change;
use store::feeds::{FeedBatch, NewFeedBatch, codec::Record};
use store::registry::Digest;
use tabular::parse::ParsedFile;
use tabular::problem::{Problem, Report};
use tabular::synonyms::Synonyms;

/// The counts of a feed file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedCounts {
    /// Data rows in the file.
    pub rows: u64,
    /// New records stored.
    pub stored: u64,
    /// Records already stored, or repeated within the file.
    pub duplicates: u64,
    /// Rows about people outside the registry (counted, not kept).
    pub unmatched: u64,
    /// Households concerned by the new records.
    pub households: u64,
}

/// What became of a feed import.
#[derive(Debug, Clone)]
pub enum FeedOutcome {
    /// New records written as batch `batch_id`.
    Imported {
        batch_id: i64,
        counts: FeedCounts,
        period: (NaiveDate, NaiveDate),
        report: Report,
    },
    /// The file is valid but every row is already stored or outside the registry: nothing
    /// was written and no batch recorded.
    NothingNew { counts: FeedCounts, report: Report },
    /// Nothing was written; `report` lists every problem.
    Rejected { report: Report },
}

/// Imports one feed file as `actor` (event dates after `today` are problems), keeping only
/// the records about people registered in
/// `within`'s subtree (a web user's region; `None`: anywhere, as on the command line). A
/// row about someone registered elsewhere is counted as unmatched, like one about someone
/// outside the registry: a county's department cannot add records to another county's
/// households, nor learn who is registered there.
pub async fn import_feed(
    store: &Store,
    feed: Feed,
    file: impl Into<ImportFile<'_>>,
    sheet: Option<&str>,
    actor: &str,
    today: NaiveDate,
    within: Option<domain::RegionCode>,
) -> Result<FeedOutcome, ServiceError> {
    let started = std::time::Instant::now();
    let ImportFile {
        path,
        name: file_name,
    } = file.into();
    let checksum = checksum(path).await?;
    tracing::info!(feed = feed.name(), file = %file_name, "feed import started");
    crate::progress::stage("读取文件", 0, 0);
    // Departments' own words are read through the table in effect at the import.
    let synonyms = crate::synonyms::synonyms_in_effect(store).await?;
    let parsed = parse(feed, path, sheet, today, synonyms.table.clone()).await?;
    let mut report = parsed.parsed.report(parsed.source_note.as_str());
    let records = parsed.parsed.records;
    if records.is_empty() && report.problems.is_empty() {
        report.problems.push(Problem::row(
            1,
            format!("文件中没有数据行：请在表头下方填写{}", feed.label()),
        ));
    }
    if !report.problems.is_empty() {
        tracing::info!(problems = report.problems.len(), "feed import rejected");
        return Ok(FeedOutcome::Rejected { report });
    }
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        rows = records.len(),
        mapped = report.mapped.iter().map(|m| m.rows).sum::<u64>(),
        "parsed"
    );

    crate::progress::stage("匹配户籍", 0, records.len() as u64);
    // Distinct people: a department file names the same person many times (a medical file
    // ≈ 2.5 settlements per person), and each keyed hash costs a microsecond.
    let (person_of_row, people) = distinct_people(&records);
    let digests = digests_of(store.vault(), &people, IdNumber::as_str);
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        people = people.len(),
        "hashed"
    );

    let mut tx = store.begin().await?;
    // Before any read the checks depend on: a second import of the feeds waits here until
    // the first has committed, then sees its records as duplicates (PostgreSQL; SQLite's
    // writers are one at a time already).
    tx.lock(store::Lock::Feeds).await?;
    let stored_count = tx.member_count().await?;
    let by_hash: FxHashMap<Digest, (i64, i64)> = if (people.len() as u64) * 4 >= stored_count {
        tx.all_member_roles()
            .await?
            .into_iter()
            .map(|r| (r.id_hash, (r.member_id, r.household_id)))
            .collect()
    } else {
        tx.members_by_hash(&digests)
            .await?
            .into_iter()
            .map(|(h, r)| (h, (r.member_id, r.household_id)))
            .collect()
    };
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "members looked up"
    );

    let mut counts = FeedCounts {
        rows: records.len() as u64,
        ..FeedCounts::default()
    };
    // The households of the region among those the file's people belong to.
    let allowed: Option<rustc_hash::FxHashSet<i64>> = match within {
        Some(scope) => {
            let mut households: Vec<i64> = digests
                .iter()
                .filter_map(|d| by_hash.get(d).map(|&(_, h)| h))
                .collect();
            households.sort_unstable();
            households.dedup();
            Some(store.households_within(&households, scope).await?)
        }
        None => None,
    };
    let mut matched: Vec<Record> = Vec::with_capacity(records.len());
    for ((_, row), person) in records.iter().zip(&person_of_row) {
        let found = by_hash
            .get(&digests[*person as usize])
            .filter(|(_, h)| allowed.as_ref().is_none_or(|a| a.contains(h)));
        match found {
            Some(&(member, household)) => matched.push((
                household,
                FeedEvent {
                    member: u32::try_from(member).map_err(|_| {
                        ServiceError::Invalid(format!("成员编号 {member} 超出范围"))
                    })?,
                    date: row.date,
                    detail: row.detail,
                },
            )),
            None => counts.unmatched += 1,
        }
    }
    drop(records);
    let period = (
        matched.iter().map(|r| r.1.date).min(),
        matched.iter().map(|r| r.1.date).max(),
    );
    let (Some(from), Some(to)) = period else {
        tx.rollback().await?;
        return Ok(FeedOutcome::NothingNew { counts, report });
    };

    // Records already stored, or repeated in the file.
    let mut seen = tx.feed_keys(feed, from, to).await?;
    let before = matched.len();
    matched.retain(|(_, e)| seen.insert(e.key()));
    counts.duplicates = (before - matched.len()) as u64;
    counts.stored = matched.len() as u64;
    drop(seen);
    if matched.is_empty() {
        tx.rollback().await?;
        tracing::info!("feed import: nothing new");
        return Ok(FeedOutcome::NothingNew { counts, report });
    }
    matched.sort_unstable_by_key(|(h, e)| (*h, e.member, e.date));
    counts.households = {
        let mut n = 0u64;
        let mut last = None;
        for (h, _) in &matched {
            if last != Some(*h) {
                n += 1;
                last = Some(*h);
            }
        }
        n
    };
    crate::progress::stage("写入", counts.rows, counts.rows);
    let records_digest = records_digest(feed, &matched);
    let batch_id = tx
        .insert_feed_batch(&NewFeedBatch {
            feed,
            file_name: &file_name,
            checksum: &checksum,
            period: (from, to),
            rows: counts.rows,
            stored: counts.stored,
            duplicates: counts.duplicates,
            unmatched: counts.unmatched,
            households: counts.households,
            actor,
            records_digest: &records_digest,
        })
        .await?;
    let Some(batch_id) = batch_id else {
        // The same records were stored by a batch committed meanwhile (the same upload sent
        // twice at once): to this import they are all duplicates.
        tx.rollback().await?;
        tracing::info!("feed import: the same records were stored meanwhile");
        counts.duplicates += counts.stored;
        counts.stored = 0;
        counts.households = 0;
        return Ok(FeedOutcome::NothingNew { counts, report });
    };
    tx.insert_feed_segments(batch_id, feed, &matched).await?;
    // One row per batch, with its counts: the records themselves stay in the segments.
    tx.audit(
        store.who(),
        &Change {
            action: &format!("feed_batch.import:{}", feed.name()),
            entity: "feed_batch",
            entity_id: Some(batch_id.to_string()),
            before: None,
            after: Some(json!({
                "feed": feed.label(),
                "file_name": file_name,
                "sha256": checksum,
                "period": [from, to],
                "rows": counts.rows,
                "stored": counts.stored,
                "duplicates": counts.duplicates,
                "unmatched": counts.unmatched,
                "households": counts.households,
                "actor": actor,
                // Which words were read as which values, under which table: a value
                // stored from a department's word can be traced to the entry that read it.
                "synonyms": {
                    "version": synonyms.version(),
                    "mapped": report.mapped.iter().map(|m| json!({
                        "column": m.column,
                        "from": m.from,
                        "to": m.to,
                        "rows": m.rows,
                    })).collect::<Vec<_>>(),
                },
            })),
        },
    )
    .await?;
    tx.commit().await?;
    if counts.stored as u64 >= crate::imports::BULK_ROWS {
        crate::imports::refresh_statistics(store, &["feed_batches", "feed_segments"]).await;
    }
    tracing::info!(
        batch = batch_id,
        stored = counts.stored,
        ms = started.elapsed().as_millis() as u64,
        "feed imported"
    );
    if counts.unmatched > 0 {
        report.warnings.push(format!(
            "{}行的证件号码不在{}户籍档案中，已计数，未保存",
            counts.unmatched,
            if within.is_some() {
                "您管辖范围内的"
            } else {
                "本系统"
            }
        ));
    }
    Ok(FeedOutcome::Imported {
        batch_id,
        counts,
        period: (from, to),
        report,
    })
}

/// Withdraws a batch (撤回): its records no longer count in any screening.
pub async fn withdraw_batch(
    store: &Store,
    id: i64,
    actor: &str,
) -> Result<FeedBatch, ServiceError> {
    let mut tx = store.begin().await?;
    let batch = tx.withdraw_feed_batch(id, actor).await?;
    tx.audit(
        store.who(),
        &Change {
            action: "feed_batch.withdraw",
            entity: "feed_batch",
            entity_id: Some(id.to_string()),
            before: Some(json!({ "withdrawn": false, "stored": batch.stored })),
            after: Some(json!({ "withdrawn": true, "stored": 0, "withdrawn_by": actor })),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(batch = id, "feed batch withdrawn");
    Ok(batch)
}

/// The identity of a batch: SHA-256 over the feed's code and the natural keys
/// ([`FeedEvent::key`]) of its records, sorted, so that the same records give the same
/// digest whatever the order of the file's rows.
fn records_digest(feed: Feed, records: &[Record]) -> Vec<u8> {
    use sha2::Digest as _;
    let mut keys: Vec<u64> = records.iter().map(|(_, e)| e.key()).collect();
    keys.sort_unstable();
    let mut h = sha2::Sha256::new();
    h.update(feed.code().to_le_bytes());
    for k in keys {
        h.update(k.to_le_bytes());
    }
    h.finalize().to_vec()
}

/// For each row, the index of its person among the distinct people of the file.
fn distinct_people(records: &[(usize, FeedRow)]) -> (Vec<u32>, Vec<IdNumber>) {
    // The ID number as an integer (lossless): a cheap key for a map of millions.
    let mut index: FxHashMap<u64, u32> = FxHashMap::default();
    let mut people = Vec::new();
    let rows = records
        .iter()
        .map(|(_, r)| {
            *index.entry(r.id_number.to_u64()).or_insert_with(|| {
                people.push(r.id_number.clone());
                (people.len() - 1) as u32
            })
        })
        .collect();
    (rows, people)
}

async fn parse(
    feed: Feed,
    path: &Path,
    sheet: Option<&str>,
    today: NaiveDate,
    synonyms: Arc<Synonyms>,
) -> Result<ParsedFile<FeedRow>, ServiceError> {
    let path = path.to_path_buf();
    let sheet = sheet.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        tabular::parse::parse_feed_file_with(feed, &path, sheet.as_deref(), today, synonyms)
    })
    .await
    .map_err(|e| ServiceError::Invalid(format!("读取文件失败：{e}")))?
    .map_err(ServiceError::from)
}
