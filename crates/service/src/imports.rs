//! 导入: households, members and incomes from CSV or XLSX (docs/formats.md).
//!
//! A file is read and every row parsed, then checked against the database inside the very
//! transaction that will write it: the village exists, the household exists, an ID number
//! belongs to one household only, and each household ends with exactly one 户主 and at most
//! one 配偶 once the file is applied. Any problem rolls the transaction back and returns a
//! report of every problem found; otherwise everything is written and recorded as a batch.
//! Re-importing the same file changes no row.

use crate::ServiceError;
use domain::{HouseholdNo, Member, RegionCode, Relation, check_composition};
use sha2::{Digest as _, Sha256};
// FxHash: these maps hold millions of keys that are digests, ids and household numbers of
// our own files — not attacker-chosen — and SipHash was a visible share of an import.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use serde_json::json;
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use store::audit::Change;
use store::registry::{BatchRecord, Digest, MemberRole, Upserted};
use store::{Field, Store, Tx};
use tabular::parse::{
    HeaderMap, HouseholdParser, IncomeParser, MemberParser, Parsed, ParsedFile, RecordParser,
    parse_file,
};
use tabular::problem::{Problem, Report};
use tabular::spec::{self, Template};

/// Which registry file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistryKind {
    /// 户信息
    Households,
    /// 人口信息
    Members,
    /// 收支信息
    Incomes,
}

impl RegistryKind {
    pub fn template(self) -> &'static Template {
        match self {
            RegistryKind::Households => &spec::HOUSEHOLDS,
            RegistryKind::Members => &spec::MEMBERS,
            RegistryKind::Incomes => &spec::INCOMES,
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "households" => Some(Self::Households),
            "members" => Some(Self::Members),
            "incomes" => Some(Self::Incomes),
            _ => None,
        }
    }
}

/// 导入文件: where a file to import lies, and the name it goes by in its batch record. A
/// file named on the command line goes by its own name; an upload is kept under a name of
/// the server's choosing and goes by the name the client gave it, which is never used as a
/// path.
#[derive(Debug, Clone)]
pub struct ImportFile<'a> {
    pub path: &'a Path,
    pub name: Cow<'a, str>,
}

impl<'a> ImportFile<'a> {
    /// A file kept at `path` that goes by `name`.
    pub fn named(path: &'a Path, name: impl Into<Cow<'a, str>>) -> Self {
        Self {
            path,
            name: name.into(),
        }
    }
}

impl<'a> From<&'a Path> for ImportFile<'a> {
    fn from(path: &'a Path) -> Self {
        Self::named(path, file_name_of(path))
    }
}

impl<'a> From<&'a PathBuf> for ImportFile<'a> {
    fn from(path: &'a PathBuf) -> Self {
        path.as_path().into()
    }
}

/// What became of an import.
#[derive(Debug, Clone)]
pub enum ImportOutcome {
    /// Written and recorded. `report` carries the warnings (unknown columns …).
    Imported {
        batch_id: i64,
        rows: u64,
        counts: Upserted,
        report: Report,
    },
    /// Nothing was written; `report` lists every problem.
    Rejected { report: Report },
}

/// Rows changed by one import or feed from which the planner's statistics are refreshed
/// at once ([`Store::refresh_statistics`]); smaller changes are left to autovacuum.
pub const BULK_ROWS: u64 = 10_000;

/// Refreshes the statistics of tables a bulk change has just committed to. The change
/// stands whatever happens here: a failure is logged, not returned.
pub(crate) async fn refresh_statistics(store: &Store, tables: &[&str]) {
    if let Err(e) = store.refresh_statistics(tables).await {
        tracing::warn!(error = %e, ?tables, "planner statistics not refreshed");
    }
}

/// Imports one registry file as `actor` (recorded with the batch), every row of which must
/// lie in `within`'s subtree
/// (a web user's region; `None`: anywhere, as on the command line). A row for a village
/// outside it, or for a household registered outside it, is a problem of that row: the
/// file is rejected, nothing is written, and nothing is said of what exists elsewhere.
pub async fn import_registry(
    store: &Store,
    kind: RegistryKind,
    file: impl Into<ImportFile<'_>>,
    sheet: Option<&str>,
    actor: &str,
    within: Option<RegionCode>,
) -> Result<ImportOutcome, ServiceError> {
    let started = std::time::Instant::now();
    let ImportFile {
        path,
        name: file_name,
    } = file.into();
    let checksum = checksum(path).await?;
    let batch = |rows: u64, counts: Upserted| BatchRecord {
        kind: kind.template().name,
        file_name: &file_name,
        checksum: &checksum,
        rows,
        counts,
        actor,
    };
    tracing::info!(kind = kind.template().name, file = %file_name, "import started");
    crate::progress::stage("读取文件", 0, 0);
    // Reading, parsing and the database checks run off the async runtime: they are CPU work.
    let (report, rows, found, counts, tx) = match kind {
        RegistryKind::Households => {
            let f = parse::<HouseholdParser>(path, sheet).await?;
            crate::progress::stage("核对并写入", 0, f.parsed.records.len() as u64);
            let report = start_report(&f.source_note, kind, &f.parsed);
            let cols = Columns::new(kind.template(), &f.headers);
            let mut tx = store.begin().await?;
            tx.lock(store::Lock::Registry).await?;
            let (found, counts) = households(
                store,
                &mut tx,
                &cols,
                &f.parsed.records,
                report.is_ok(),
                within,
            )
            .await?;
            (report, f.parsed.records.len(), found, counts, tx)
        }
        RegistryKind::Members => {
            let f = parse::<MemberParser>(path, sheet).await?;
            crate::progress::stage("核对并写入", 0, f.parsed.records.len() as u64);
            tracing::debug!(ms = started.elapsed().as_millis() as u64, "read and parsed");
            let report = start_report(&f.source_note, kind, &f.parsed);
            let cols = Columns::new(kind.template(), &f.headers);
            let mut tx = store.begin().await?;
            tx.lock(store::Lock::Registry).await?;
            let (found, counts) = members(
                store,
                &mut tx,
                &cols,
                &f.parsed.records,
                report.is_ok(),
                within,
            )
            .await?;
            (report, f.parsed.records.len(), found, counts, tx)
        }
        RegistryKind::Incomes => {
            let f = parse::<IncomeParser>(path, sheet).await?;
            crate::progress::stage("核对并写入", 0, f.parsed.records.len() as u64);
            let report = start_report(&f.source_note, kind, &f.parsed);
            let cols = Columns::new(kind.template(), &f.headers);
            let mut tx = store.begin().await?;
            tx.lock(store::Lock::Registry).await?;
            let (found, counts) =
                incomes(&mut tx, &cols, &f.parsed.records, report.is_ok(), within).await?;
            (report, f.parsed.records.len(), found, counts, tx)
        }
    };
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "checked and written"
    );
    crate::progress::stage("提交", rows as u64, rows as u64);
    let outcome = conclude(store, tx, report, found, rows as u64, counts, batch).await;
    tracing::debug!(ms = started.elapsed().as_millis() as u64, "committed");
    outcome
}

/// The keyed hash of every member's ID number, computed on all cores: for a registry-wide
/// file this is millions of HMACs, while the database waits.
fn id_digests(vault: &store::Vault, records: &[(usize, Member)]) -> Vec<Digest> {
    digests_of(vault, records, |(_, m)| m.id_number.as_str())
}

/// The keyed hash (Field::IdNumber) of the ID number of each item, on all cores.
pub(crate) fn digests_of<T: Sync>(
    vault: &store::Vault,
    items: &[T],
    id: impl Fn(&T) -> &str + Sync,
) -> Vec<Digest> {
    crate::parallel::parallel_map(items, |x| vault.digest(Field::IdNumber, id(x)))
}

/// The distinct values, in order of first appearance.
fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut seen = HashSet::default();
    values.filter(|v| seen.insert(*v)).collect()
}

/// The file's name without its directory, as recorded with a batch.
pub(crate) fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// SHA-256 of the file, streamed: recorded with the batch to recognise a file seen before.
pub(crate) async fn checksum(path: &Path) -> Result<String, ServiceError> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let io = |source| ServiceError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut f = std::fs::File::open(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                ServiceError::Read(tabular::ReadError::NotFound { path: path.clone() })
            } else {
                io(e)
            }
        })?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).map_err(io)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        Ok(hex::encode(hasher.finalize()))
    })
    .await
    .map_err(|e| ServiceError::Invalid(format!("读取文件失败：{e}")))?
}

/// Reads and parses a file on a blocking thread (one pass, never held as cells).
async fn parse<P>(path: &Path, sheet: Option<&str>) -> Result<ParsedFile<P::Record>, ServiceError>
where
    P: RecordParser + 'static,
    P::Record: Send + 'static,
{
    let path = path.to_path_buf();
    let sheet = sheet.map(str::to_owned);
    tokio::task::spawn_blocking(move || parse_file::<P>(&path, sheet.as_deref()))
        .await
        .map_err(|e| ServiceError::Invalid(format!("读取文件失败：{e}")))?
        .map_err(ServiceError::from)
}

/// The file's columns, to point a problem found against the database at its cell.
struct Columns<'a> {
    template: &'static Template,
    headers: &'a [String],
    map: HeaderMap,
}

impl<'a> Columns<'a> {
    fn new(template: &'static Template, headers: &'a [String]) -> Self {
        Self {
            template,
            headers,
            map: HeaderMap::new(template, headers),
        }
    }

    /// A problem on one cell, located by the template key of its column.
    fn at(&self, row: usize, key: &str, value: &str, msg: String) -> Problem {
        match self.map.position(key) {
            Some(index) => Problem::cell(
                row,
                index,
                &self.headers[index],
                self.template.column(key),
                Some(value),
                msg,
            ),
            None => Problem::row(row, msg),
        }
    }
}

/// The report of the file's own problems, before the database is consulted.
fn start_report<T>(source_note: &str, kind: RegistryKind, parsed: &Parsed<T>) -> Report {
    let mut report = parsed.report(source_note);
    if parsed.records.is_empty() && report.problems.is_empty() {
        report.problems.push(Problem::row(
            1,
            format!(
                "文件中没有数据行：请在表头下方填写{}",
                kind.template().title
            ),
        ));
    }
    report
}

/// Commits when nothing is wrong, with the batch and its audit row; rolls back otherwise.
async fn conclude<'b>(
    store: &Store,
    mut tx: Tx,
    mut report: Report,
    found: Vec<Problem>,
    rows: u64,
    counts: Upserted,
    batch: impl Fn(u64, Upserted) -> BatchRecord<'b>,
) -> Result<ImportOutcome, ServiceError> {
    report.problems.extend(found);
    if !report.problems.is_empty() {
        tx.rollback().await?;
        report.problems.sort_by_key(|p| p.row);
        tracing::info!(problems = report.problems.len(), "import rejected");
        return Ok(ImportOutcome::Rejected { report });
    }
    let batch = batch(rows, counts);
    let batch_id = tx.record_batch(&batch).await?;
    // One row per import, with its counts: the rows themselves are personal data and stay
    // in the registry.
    tx.audit(
        store.who(),
        &Change {
            action: &format!("import.registry:{}", batch.kind),
            entity: "import",
            entity_id: Some(batch_id.to_string()),
            before: None,
            after: Some(json!({
                "kind": batch.kind,
                "file_name": batch.file_name,
                "sha256": batch.checksum,
                "rows": rows,
                "inserted": counts.inserted,
                "updated": counts.updated,
                "unchanged": counts.unchanged,
                "actor": batch.actor,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        rows,
        inserted = counts.inserted,
        updated = counts.updated,
        unchanged = counts.unchanged,
        "import committed"
    );
    if counts.inserted + counts.updated >= BULK_ROWS {
        // The kinds are named as their tables: households, members, incomes.
        let table = RegistryKind::parse(batch.kind).map(|k| match k {
            RegistryKind::Households => "households",
            RegistryKind::Members => "members",
            RegistryKind::Incomes => "incomes",
        });
        refresh_statistics(store, table.as_slice()).await;
    }
    Ok(ImportOutcome::Imported {
        batch_id,
        rows,
        counts,
        report,
    })
}

/// The stored households of the region only (all when `within` is `None`): to a user
/// limited to a region, a household outside it is as unknown as one never registered.
fn households_within(
    mut found: std::collections::HashMap<String, store::registry::HouseholdKey>,
    within: Option<RegionCode>,
) -> std::collections::HashMap<String, store::registry::HouseholdKey> {
    if let Some(scope) = within {
        found.retain(|_, k| scope.contains(k.village));
    }
    found
}

/// The problem of a row naming a household that is not registered (or, for a user limited
/// to a region, not registered there — the same answer, so nothing is learnt of others).
fn unknown_household(no: &str, within: Option<RegionCode>) -> String {
    match within {
        None => format!("户编号“{no}”尚未登记：请先导入该户的户信息"),
        Some(_) => format!("户编号“{no}”尚未登记或不在您的管辖范围内：请先导入该户的户信息"),
    }
}

async fn households(
    store: &Store,
    tx: &mut Tx,
    cols: &Columns<'_>,
    records: &[(usize, domain::Household)],
    may_write: bool,
    within: Option<RegionCode>,
) -> Result<(Vec<Problem>, Upserted), ServiceError> {
    let mut villages: Vec<_> = records.iter().map(|(_, h)| h.village).collect();
    villages.sort_unstable();
    villages.dedup();
    let known = store.existing_villages(&villages).await?;
    let mut problems = Vec::new();
    // Households already registered outside the region may not be changed from inside it
    // (not even moved into it).
    let foreign: HashSet<&str> = match within {
        Some(scope) => {
            let numbers = distinct(records.iter().map(|(_, h)| h.household_no.as_str()));
            let stored = tx.households_by_no(&numbers).await?;
            numbers
                .into_iter()
                .filter(|n| stored.get(*n).is_some_and(|k| !scope.contains(k.village)))
                .collect()
        }
        None => HashSet::default(),
    };
    for (row, h) in records {
        if within.is_some_and(|scope| !scope.contains(h.village)) {
            problems.push(cols.at(
                *row,
                "village_code",
                &h.village.to_string(),
                format!("村代码“{}”不在您的管辖范围内", h.village),
            ));
        } else if foreign.contains(h.household_no.as_str()) {
            problems.push(cols.at(
                *row,
                "household_no",
                h.household_no.as_str(),
                format!("户编号“{}”不在您的管辖范围内", h.household_no),
            ));
        } else if !known.contains(&h.village) {
            problems.push(cols.at(
                *row,
                "village_code",
                &h.village.to_string(),
                format!(
                    "村代码“{}”不存在：请核对代码，或先用“fangpin import regions”导入区划",
                    h.village
                ),
            ));
        }
    }
    if !problems.is_empty() || !may_write {
        return Ok((problems, Upserted::default()));
    }
    let rows: Vec<_> = records.iter().map(|(_, h)| h.clone()).collect();
    let counts = tx.upsert_households(store.vault(), &rows).await?;
    Ok((problems, counts))
}

async fn members(
    store: &Store,
    tx: &mut Tx,
    cols: &Columns<'_>,
    records: &[(usize, Member)],
    may_write: bool,
    within: Option<RegionCode>,
) -> Result<(Vec<Problem>, Upserted), ServiceError> {
    let mut problems = Vec::new();
    let vault = store.vault();

    // Households referenced by the file (those of the region only, when limited to one).
    let numbers = distinct(records.iter().map(|(_, m)| m.household_no.as_str()));
    let households = households_within(tx.households_by_no(&numbers).await?, within);
    for (row, m) in records {
        if !households.contains_key(m.household_no.as_str()) {
            problems.push(cols.at(
                *row,
                "household_no",
                m.household_no.as_str(),
                unknown_household(m.household_no.as_str(), within),
            ));
        }
    }

    // Stored members: by keyed hash, and the membership of every household touched.
    let hashes = id_digests(vault, records);
    tracing::debug!(households = households.len(), "households looked up");
    let touched: HashSet<i64> = households.values().map(|k| k.id).collect();
    let stored_count = tx.member_count().await?;
    let (by_hash, stored_roles): (HashMap<Digest, MemberRole>, Vec<MemberRole>) =
        if stored_count == 0 {
            (HashMap::default(), Vec::new())
        } else if (records.len() as u64) * 4 >= stored_count {
            let all = tx.all_member_roles().await?;
            let by_hash = all.iter().map(|r| (r.id_hash, *r)).collect();
            let roles = all
                .into_iter()
                .filter(|r| touched.contains(&r.household_id))
                .collect();
            (by_hash, roles)
        } else {
            let ids: Vec<i64> = touched.iter().copied().collect();
            (
                tx.members_by_hash(&hashes).await?.into_iter().collect(),
                tx.members_of_households(&ids).await?,
            )
        };

    tracing::debug!(stored = stored_count, "stored members looked up");
    // An ID number registered in another household.
    let mut other_ids: Vec<i64> = Vec::new();
    for ((_, m), h) in records.iter().zip(&hashes) {
        if let (Some(stored), Some(target)) =
            (by_hash.get(h), households.get(m.household_no.as_str()))
            && stored.household_id != target.id
        {
            other_ids.push(stored.household_id);
        }
    }
    if !other_ids.is_empty() {
        let mut names = tx.household_numbers(&other_ids).await?;
        if let Some(scope) = within {
            // A household outside the region is not named.
            let numbers: Vec<&str> = names.values().map(String::as_str).collect();
            let stored = tx.households_by_no(&numbers).await?;
            names.retain(|_, no| {
                stored
                    .get(no.as_str())
                    .is_some_and(|k| scope.contains(k.village))
            });
        }
        for ((row, m), h) in records.iter().zip(&hashes) {
            if let (Some(stored), Some(target)) =
                (by_hash.get(h), households.get(m.household_no.as_str()))
                && stored.household_id != target.id
            {
                let other = match names.get(&stored.household_id) {
                    Some(no) => format!("户“{no}”"),
                    None => "您管辖范围以外的户".to_owned(),
                };
                problems.push(cols.at(
                    *row,
                    "id_number",
                    m.id_number.as_str(),
                    format!(
                        "该证件号码已登记在{other}，一人不能同时属于两户；\
                             如确需迁户，请先在原户中办理迁出"
                    ),
                ));
            }
        }
    }

    // Composition after the change: stored members overridden by the file's.
    let id_to_no: HashMap<i64, &str> = households
        .iter()
        .map(|(no, k)| (k.id, no.as_str()))
        .collect();
    let in_file: HashSet<Digest> = hashes.iter().copied().collect();
    let stored_nos: Vec<HouseholdNo> = stored_roles
        .iter()
        .map(|r| HouseholdNo::parse(id_to_no[&r.household_id]).expect("stored number"))
        .collect();
    let mut entries: Vec<(usize, &HouseholdNo, Relation)> = Vec::new();
    for (i, (_, m)) in records.iter().enumerate() {
        if households.contains_key(m.household_no.as_str()) {
            entries.push((i, &m.household_no, m.relation));
        }
    }
    for (r, no) in stored_roles.iter().zip(&stored_nos) {
        if !in_file.contains(&r.id_hash) {
            entries.push((usize::MAX, no, r.relation));
        }
    }
    // Index of each household's first row in the file, where a problem without a row of
    // its own (no 户主 at all) is reported.
    let first_index: HashMap<&HouseholdNo, usize> = records
        .iter()
        .enumerate()
        .rev()
        .map(|(i, (_, m))| (&m.household_no, i))
        .collect();
    for p in check_composition(entries) {
        let in_file: Vec<usize> = p
            .members
            .iter()
            .copied()
            .filter(|&i| i != usize::MAX)
            .collect();
        let mut msg = p.message.clone();
        if in_file.len() > 1 {
            let list: Vec<String> = in_file
                .iter()
                .map(|&i| format!("第{}行", records[i].0))
                .collect();
            msg.push_str(&format!("（见{}）", list.join("、")));
        } else if p.members.contains(&usize::MAX) {
            msg.push_str("（含系统中已登记的成员）");
        }
        let at = in_file
            .first()
            .copied()
            .or_else(|| first_index.get(&p.household_no).copied());
        let (row, value) = at.map_or((1, ""), |i| (records[i].0, records[i].1.relation.label()));
        problems.push(cols.at(row, "relation", value, msg));
    }

    if !problems.is_empty() || !may_write {
        return Ok((problems, Upserted::default()));
    }
    let (stored, new): (Vec<_>, Vec<_>) = records
        .iter()
        .zip(&hashes)
        .map(|((_, m), h)| (households[m.household_no.as_str()].id, *h, m))
        .partition(|(_, h, _)| by_hash.contains_key(h));
    tracing::debug!("members checked");
    let counts = tx.upsert_members(vault, &new, &stored).await?;
    Ok((problems, counts))
}

async fn incomes(
    tx: &mut Tx,
    cols: &Columns<'_>,
    records: &[(usize, domain::IncomeRecord)],
    may_write: bool,
    within: Option<RegionCode>,
) -> Result<(Vec<Problem>, Upserted), ServiceError> {
    let numbers = distinct(records.iter().map(|(_, r)| r.household_no.as_str()));
    let households = households_within(tx.households_by_no(&numbers).await?, within);
    let mut problems = Vec::new();
    for (row, r) in records {
        if !households.contains_key(r.household_no.as_str()) {
            problems.push(cols.at(
                *row,
                "household_no",
                r.household_no.as_str(),
                unknown_household(r.household_no.as_str(), within),
            ));
        }
    }
    if !problems.is_empty() || !may_write {
        return Ok((problems, Upserted::default()));
    }
    let ids: Vec<i64> = households.values().map(|k| k.id).collect();
    let stored = tx.existing_incomes(&ids).await?;
    let rows: Vec<(i64, &domain::IncomeRecord)> = records
        .iter()
        .map(|(_, r)| (households[r.household_no.as_str()].id, r))
        .collect();
    let existing = rows
        .iter()
        .filter(|(id, r)| stored.contains(&(*id, r.year)))
        .count();
    let counts = tx.upsert_incomes(&rows, existing).await?;
    Ok((problems, counts))
}
