//! 筛查 (screening) storage: the registry facts a screening reads in bulk, the policy
//! versions, screening runs, leads (线索) and their warnings (预警).

use crate::bulk::{RowWriter, Ty, select_json};
use crate::{Backend, Store, StoreError, Tx, on_db, on_tx};
use chrono::{DateTime, NaiveDate, Utc};
use domain::screening::{HouseholdFacts, MemberFacts, RuleId, Warning, YearIncome};
use domain::{
    DisabilityGrade, Health, HouseholdType, HousingSafety, Labor, Money, RegionCode, Relation,
    Schooling,
};
use rustc_hash::{FxHashMap, FxHashSet};

/// Which households a bulk read covers.
#[derive(Debug, Clone, Copy)]
pub enum Selection<'a> {
    /// Every household in a region's subtree (all when `None`).
    Region(Option<RegionCode>),
    /// These households (ids, sorted).
    Households(&'a [i64]),
}

/// Rows aggregated per round trip: one string per slice of ids instead of one message per
/// row, which through the SQLite driver costs several times more than SQLite's own work.
const SLICE: i64 = 50_000;
/// Household ids per statement when reading a selection.
const IDS: usize = 20_000;

/// A parsed aggregated row: comma-separated integers.
struct Fields<'a> {
    it: std::str::Split<'a, char>,
    item: &'a str,
}

impl<'a> Fields<'a> {
    fn new(item: &'a str) -> Self {
        Self {
            it: item.split(','),
            item,
        }
    }

    fn corrupt(&self) -> StoreError {
        StoreError::Corrupt(format!("筛查数据 {}", self.item))
    }

    fn int(&mut self) -> Result<i64, StoreError> {
        let s = self.it.next().ok_or_else(|| self.corrupt())?;
        s.parse().map_err(|_| self.corrupt())
    }

    /// -1 stands for NULL.
    fn opt(&mut self) -> Result<Option<i64>, StoreError> {
        Ok(Some(self.int()?).filter(|v| *v != -1))
    }

    fn code<T>(&mut self, f: fn(i16) -> Option<T>) -> Result<T, StoreError> {
        let v = self.int()?;
        i16::try_from(v)
            .ok()
            .and_then(f)
            .ok_or_else(|| self.corrupt())
    }

    fn opt_code<T>(&mut self, f: fn(i16) -> Option<T>) -> Result<Option<T>, StoreError> {
        match self.opt()? {
            None => Ok(None),
            Some(v) => i16::try_from(v)
                .ok()
                .and_then(f)
                .map(Some)
                .ok_or_else(|| self.corrupt()),
        }
    }

    fn flag(&mut self) -> Result<Option<bool>, StoreError> {
        Ok(self.opt()?.map(|v| v != 0))
    }

    fn date(&mut self) -> Result<NaiveDate, StoreError> {
        let s = self.it.next().ok_or_else(|| self.corrupt())?;
        parse_date(s).ok_or_else(|| self.corrupt())
    }
}

/// YYYY-MM-DD without the generality (and cost) of a format parser.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)
}

/// The registry as screening reads it, grouped by household.
#[derive(Debug, Default)]
pub struct RegistryFacts {
    /// Households, village by village.
    pub households: Vec<HouseholdFacts>,
    /// Members of household `i`: `members[member_start[i]..member_start[i + 1]]`.
    pub member_start: Vec<u32>,
    pub members: Vec<MemberFacts>,
    /// Incomes of household `i`, ascending year, likewise.
    pub income_start: Vec<u32>,
    pub incomes: Vec<YearIncome>,
    /// 户编号 of every household, end to end (one allocation for a million of them).
    pub(crate) numbers: String,
    /// End of household `i`'s 户编号 in `numbers`.
    pub(crate) number_end: Vec<u32>,
    /// Household id → index.
    pub(crate) index: IdIndex,
}

/// Household id → index: a dense array when ids are dense (registry ids are row ids), a
/// hash map otherwise. Looked up millions of times per screening, once per feed record run.
#[derive(Debug, Default)]
pub(crate) enum IdIndex {
    #[default]
    Empty,
    Dense {
        base: i64,
        slots: Vec<u32>,
    },
    Sparse(FxHashMap<i64, u32>),
}

impl RegistryFacts {
    /// 户编号 of household `i`.
    pub fn number(&self, i: usize) -> &str {
        let start = if i == 0 {
            0
        } else {
            self.number_end[i - 1] as usize
        };
        &self.numbers[start..self.number_end[i] as usize]
    }

    pub(crate) fn number_end_reserve(&mut self, n: usize) {
        self.number_end.reserve(n);
        self.numbers.reserve(n * 16);
    }

    /// Appends the 户编号 of the next household.
    pub fn push_number(&mut self, no: &str) {
        self.numbers.push_str(no);
        self.number_end.push(self.numbers.len() as u32);
    }

    /// The index of a household id, if selected.
    #[inline]
    pub fn index_of(&self, id: i64) -> Option<usize> {
        match &self.index {
            IdIndex::Empty => None,
            IdIndex::Dense { base, slots } => usize::try_from(id - base)
                .ok()
                .and_then(|k| slots.get(k))
                .filter(|i| **i != u32::MAX)
                .map(|i| *i as usize),
            IdIndex::Sparse(map) => map.get(&id).map(|i| *i as usize),
        }
    }

    /// Rebuilds the id → index map after the households changed.
    pub fn build_index(&mut self) {
        let (Some(lo), Some(hi)) = (
            self.households.iter().map(|h| h.id).min(),
            self.households.iter().map(|h| h.id).max(),
        ) else {
            self.index = IdIndex::Empty;
            return;
        };
        let span = (hi - lo) as u64 + 1;
        self.index = if span <= 4 * self.households.len() as u64 + 65_536 {
            let mut slots = vec![u32::MAX; span as usize];
            for (i, h) in self.households.iter().enumerate() {
                slots[(h.id - lo) as usize] = i as u32;
            }
            IdIndex::Dense { base: lo, slots }
        } else {
            IdIndex::Sparse(
                self.households
                    .iter()
                    .enumerate()
                    .map(|(i, h)| (h.id, i as u32))
                    .collect(),
            )
        };
    }

    /// Appends another part (its own CSR), shifting its offsets.
    fn append(&mut self, part: RegistryFacts) {
        if self.member_start.is_empty() {
            self.member_start.push(0);
            self.income_start.push(0);
        }
        let (m, y) = (self.members.len() as u32, self.incomes.len() as u32);
        self.households.extend(part.households);
        let base = self.numbers.len() as u32;
        self.numbers.push_str(&part.numbers);
        self.number_end
            .extend(part.number_end.iter().map(|e| e + base));
        self.members.extend(part.members);
        self.incomes.extend(part.incomes);
        self.member_start
            .extend(part.member_start.iter().skip(1).map(|s| s + m));
        self.income_start
            .extend(part.income_start.iter().skip(1).map(|s| s + y));
    }

    /// Keeps only the two latest income years not after `max_year` of each household, as
    /// the image does.
    fn keep_latest_years(&mut self, max_year: u16) {
        let mut incomes = Vec::with_capacity(self.incomes.len());
        let mut start = vec![0u32];
        for i in 0..self.households.len() {
            let years =
                &self.incomes[self.income_start[i] as usize..self.income_start[i + 1] as usize];
            let kept: Vec<&YearIncome> = years.iter().filter(|y| y.year <= max_year).collect();
            incomes.extend(kept[kept.len().saturating_sub(2)..].iter().map(|y| **y));
            start.push(incomes.len() as u32);
        }
        self.incomes = incomes;
        self.income_start = start;
    }

    /// Keeps the households `keep` says yes to.
    fn retain(self, keep: impl Fn(&HouseholdFacts) -> bool) -> RegistryFacts {
        let mut out = RegistryFacts {
            member_start: vec![0],
            income_start: vec![0],
            ..RegistryFacts::default()
        };
        for (i, h) in self.households.iter().enumerate() {
            if !keep(h) {
                continue;
            }
            out.households.push(h.clone());
            out.push_number(self.number(i));
            let r = |s: &[u32]| s[i] as usize..s[i + 1] as usize;
            out.members
                .extend_from_slice(&self.members[r(&self.member_start)]);
            out.member_start.push(out.members.len() as u32);
            out.incomes
                .extend_from_slice(&self.incomes[r(&self.income_start)]);
            out.income_start.push(out.incomes.len() as u32);
        }
        out
    }
}

/// Groups `(household id, item)` pairs into the CSR layout of `households` (sorted ids);
/// items of households not selected are dropped. Stable: items keep their order.
fn group<T: Copy>(households: &[HouseholdFacts], items: Vec<(i64, T)>) -> (Vec<u32>, Vec<T>) {
    let n = households.len();
    // Each item keyed by its household's index, then a stable sort: no second copy of the
    // items (an image rebuild holds millions of them).
    let mut keyed: Vec<(u32, T)> = items
        .into_iter()
        .filter_map(|(h, item)| {
            households
                .binary_search_by_key(&h, |x| x.id)
                .ok()
                .map(|i| (i as u32, item))
        })
        .collect();
    keyed.sort_by_key(|(i, _)| *i);
    let mut start = vec![0u32; n + 1];
    for (i, _) in &keyed {
        start[*i as usize + 1] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    (start, keyed.into_iter().map(|(_, item)| item).collect())
}

impl Store {
    /// What screening needs of the selected households — 户信息, 人口信息 without names or
    /// ID numbers, and the two latest years of 收支信息 not after `max_year` — read from the
    /// screening image ([`crate::facts`]), which is first rebuilt from the tables where it is
    /// missing or out of date.
    pub async fn registry_facts(
        &self,
        sel: Selection<'_>,
        max_year: u16,
    ) -> Result<RegistryFacts, StoreError> {
        let scope = match sel {
            Selection::Region(scope) => scope,
            Selection::Households(ids) => {
                // A few households (an incremental run after a small batch): by key from
                // the tables, in proportion to their number. Many: the image.
                let (total,): (i64,) = on_db!(&self.db, p => {
                    sqlx::query_as("SELECT COUNT(*) FROM households").fetch_one(p).await?
                });
                if (ids.len() as i64) * 20 < total {
                    let mut facts = self.registry_facts_from_tables(sel).await?;
                    facts.keep_latest_years(max_year);
                    return Ok(facts);
                }
                None
            }
        };
        let started = std::time::Instant::now();
        let generation = self.registry_generation().await?;
        let mut images = self.facts_images(scope, generation).await?;
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "screening image read"
        );
        // An image written by another version of the format is rebuilt like an old one.
        images.retain(|i| crate::facts::is_current_format(&i.data));
        let villages = self.villages_in(scope).await?;
        let have: FxHashSet<RegionCode> = images.iter().map(|i| i.village).collect();
        let missing: Vec<RegionCode> = villages
            .iter()
            .copied()
            .filter(|v| !have.contains(v))
            .collect();
        if !missing.is_empty() {
            let started = std::time::Instant::now();
            // Many villages missing (after an import): one pass over the tables; a few (a
            // new village): village by village.
            let mut built = Vec::new();
            if missing.len() * 4 > villages.len() {
                let facts = self
                    .registry_facts_from_tables(Selection::Region(scope))
                    .await?;
                built.extend(split_by_village(&facts, &missing));
            } else {
                for v in &missing {
                    let facts = self
                        .registry_facts_from_tables(Selection::Region(Some(*v)))
                        .await?;
                    built.extend(split_by_village(&facts, &[*v]));
                }
            }
            self.store_facts_images(generation, &built).await?;
            tracing::info!(
                villages = built.len(),
                ms = started.elapsed().as_millis() as u64,
                "screening image rebuilt"
            );
            images.extend(
                built
                    .into_iter()
                    .map(|(village, _, data)| crate::facts::VillageImage { village, data }),
            );
        }
        // Decode on every core, village by village.
        let mut parts = decode_images(&images, max_year)?.into_iter();
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "screening image decoded"
        );
        let mut facts = parts.next().unwrap_or_default();
        for part in parts {
            facts.append(part);
        }
        if facts.member_start.is_empty() {
            facts.member_start.push(0);
            facts.income_start.push(0);
        }
        let mut facts = match sel {
            Selection::Region(_) => facts,
            Selection::Households(ids) => {
                let wanted: FxHashSet<i64> = ids.iter().copied().collect();
                facts.retain(|h| wanted.contains(&h.id))
            }
        };
        facts.build_index();
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "registry facts ready"
        );
        Ok(facts)
    }

    /// Reads the facts from the tables themselves (the slow path, which builds the image).
    pub async fn registry_facts_from_tables(
        &self,
        sel: Selection<'_>,
    ) -> Result<RegistryFacts, StoreError> {
        let backend = self.backend();
        let flag = |c: &str| match backend {
            Backend::Sqlite => format!("coalesce({c}, -1)"),
            Backend::Postgres => format!("coalesce({c}::int, -1)"),
        };
        let date = |c: &str| match backend {
            Backend::Sqlite => c.to_owned(),
            Backend::Postgres => format!("{c}::text"),
        };
        // 户编号 holds only letters, digits and '-' (HouseholdNo::parse): safe between ','.
        let households_sql = "string_agg(id || ',' || village_code || ',' || household_type || ',' || \
             coalesce(exit_year, -1) || ',' || coalesce(housing, -1) || ',' || coalesce(water, -1) || ',' || \
             household_no, ';') FROM households"
            .to_owned();
        let members_sql = format!(
            "string_agg(id || ',' || household_id || ',' || relation || ',' || {} || ',' || labor || ',' || \
             coalesce(health, -1) || ',' || coalesce(disability_grade, -1) || ',' || coalesce(schooling, -1) || ',' || \
             coalesce(work_months, -1) || ',' || {} || ',' || {} || ',' || {}, ';') FROM members",
            date("birth_date"),
            flag("medical_insured"),
            flag("dibao"),
            flag("tekun")
        );
        let incomes_sql = "string_agg(household_id || ',' || year || ',' || wage || ',' || business_income || ',' || \
             business_cost || ',' || property || ',' || transfer || ',' || coalesce(medical_oop, 0) || ',' || \
             coalesce(education_cost, 0) || ',' || coalesce(other_rigid, 0), ';') FROM incomes"
            .to_owned();

        let mut households = Vec::new();
        self.aggregated(sel, &households_sql, "id", "id", |item| {
            let mut f = Fields::new(item);
            let id = f.int()?;
            let village = f.int()?;
            let facts = HouseholdFacts {
                id,
                village: RegionCode::from_u64(village as u64).ok_or_else(|| f.corrupt())?,
                household_type: f.code(HouseholdType::from_code)?,
                exit_year: f.opt()?.map(|y| y as u16),
                housing: f.opt_code(HousingSafety::from_code)?,
                water: f.opt_code(domain::WaterSafety::from_code)?,
                monitored: false,
            };
            let no = f.it.next().ok_or_else(|| f.corrupt())?.to_owned();
            households.push((facts, no));
            Ok(())
        })
        .await?;
        households.sort_unstable_by_key(|(h, _)| h.id);
        let mut numbers = String::new();
        let mut number_end = Vec::with_capacity(households.len());
        let households: Vec<HouseholdFacts> = households
            .into_iter()
            .map(|(h, no)| {
                numbers.push_str(&no);
                number_end.push(numbers.len() as u32);
                h
            })
            .collect();

        let mut members = Vec::new();
        self.aggregated(sel, &members_sql, "id", "household_id", |item| {
            let mut f = Fields::new(item);
            let id = f.int()?;
            let household = f.int()?;
            let relation = f.code(Relation::from_code)?;
            let birth_date = f.date()?;
            let labor = f.code(Labor::from_code)?;
            let health = f.opt()?;
            members.push((
                household,
                MemberFacts {
                    id: u32::try_from(id).map_err(|_| f.corrupt())?,
                    relation,
                    birth_date,
                    labor,
                    health: health
                        .and_then(|h| Health::from_bits(h as u8))
                        .unwrap_or_default(),
                    disability_grade: f.opt_code(DisabilityGrade::from_code)?,
                    schooling: f.opt_code(Schooling::from_code)?,
                    work_months: f.opt()?.map(|m| m as u8),
                    medical_insured: f.flag()?,
                    dibao: f.flag()?,
                    tekun: f.flag()?,
                },
            ));
            Ok(())
        })
        .await?;

        let mut incomes = Vec::new();
        self.aggregated(sel, &incomes_sql, "household_id", "household_id", |item| {
            let mut f = Fields::new(item);
            let household = f.int()?;
            let year = f.int()? as u16;
            let mut m = || f.int().map(Money::from_fen);
            incomes.push((
                household,
                YearIncome {
                    year,
                    wage: m()?,
                    business_income: m()?,
                    business_cost: m()?,
                    property: m()?,
                    transfer: m()?,
                    medical_out_of_pocket: m()?,
                    education_cost: m()?,
                    other_rigid_cost: m()?,
                },
            ));
            Ok(())
        })
        .await?;
        incomes.sort_by_key(|(h, i)| (*h, i.year));

        let (member_start, members) = group(&households, members);
        let (income_start, incomes) = group(&households, incomes);
        let mut facts = RegistryFacts {
            households,
            member_start,
            members,
            income_start,
            incomes,
            numbers,
            number_end,
            index: IdIndex::Empty,
        };
        facts.build_index();
        Ok(facts)
    }

    /// Runs `SELECT <agg> … WHERE <slice_col> in a slice [AND selection]` slice by slice
    /// and hands every `;`-separated item to `f`. `household_col` is the table's household
    /// id column (for region and id selections).
    async fn aggregated(
        &self,
        sel: Selection<'_>,
        agg_from: &str,
        slice_col: &str,
        household_col: &str,
        mut f: impl FnMut(&str) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let table = agg_from.rsplit(' ').next().expect("FROM table");
        let in_region = if table == "households" {
            "village_code >= $3 AND village_code < $4".to_owned()
        } else {
            format!(
                "{household_col} IN (SELECT id FROM households WHERE village_code >= $3 AND village_code < $4)"
            )
        };
        match sel {
            Selection::Region(scope) => {
                let (lo, hi) = crate::registry::scope_range(scope);
                let whole = scope.is_none();
                let sql = format!(
                    "SELECT {agg_from} WHERE {slice_col} >= $1 AND {slice_col} < $2{}",
                    if whole {
                        " AND $3 <= $4".to_owned()
                    } else {
                        format!(" AND {in_region}")
                    }
                );
                let max_sql = format!("SELECT MAX({slice_col}) FROM {table}");
                let (max,): (Option<i64>,) = on_db!(&self.db, p => {
                    sqlx::query_as(sqlx::AssertSqlSafe(max_sql)).fetch_one(p).await?
                });
                let mut start = 0;
                while start <= max.unwrap_or(-1) {
                    let (s,): (Option<String>,) = on_db!(&self.db, p => {
                        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                            .bind(start)
                            .bind(start + SLICE)
                            .bind(lo)
                            .bind(hi)
                            .fetch_one(p)
                            .await?
                    });
                    for item in s.as_deref().unwrap_or_default().split(';') {
                        if !item.is_empty() {
                            f(item)?;
                        }
                    }
                    start += SLICE;
                }
            }
            Selection::Households(ids) => {
                let list = self.id_list();
                let col = if table == "households" {
                    "id"
                } else {
                    household_col
                };
                let sql = format!("SELECT {agg_from} WHERE {col} IN ({list})");
                for chunk in ids.chunks(IDS) {
                    let json = serde_json::to_string(chunk).expect("ids serialise");
                    let (s,): (Option<String>,) = on_db!(&self.db, p => {
                        sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                            .bind(json.as_str())
                            .fetch_one(p)
                            .await?
                    });
                    for item in s.as_deref().unwrap_or_default().split(';') {
                        if !item.is_empty() {
                            f(item)?;
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The image blobs of `villages`, built from facts read from the tables: (village,
/// households, blob). A village without households gets an empty image.
fn split_by_village(
    facts: &RegistryFacts,
    villages: &[RegionCode],
) -> Vec<(RegionCode, u64, Vec<u8>)> {
    let mut by_village: FxHashMap<RegionCode, Vec<usize>> =
        villages.iter().map(|v| (*v, Vec::new())).collect();
    for (i, h) in facts.households.iter().enumerate() {
        if let Some(list) = by_village.get_mut(&h.village) {
            list.push(i);
        }
    }
    villages
        .iter()
        .map(|v| {
            let list = &by_village[v];
            (*v, list.len() as u64, crate::facts::encode(facts, list))
        })
        .collect()
}

/// Decodes images on every core: each thread decodes a run of villages into one part, so
/// that joining the parts copies each vector once.
fn decode_images(
    images: &[crate::facts::VillageImage],
    max_year: u16,
) -> Result<Vec<RegistryFacts>, StoreError> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let per = images.len().div_ceil(threads).max(1);
    let results: Vec<Result<RegistryFacts, StoreError>> = std::thread::scope(|s| {
        let handles: Vec<_> = images
            .chunks(per)
            .map(|chunk| {
                s.spawn(move || {
                    let days = crate::days::Days::registry();
                    let mut part = RegistryFacts::default();
                    for img in chunk {
                        crate::facts::decode(&img.data, img.village, max_year, &days, &mut part)?;
                    }
                    Ok(part)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    results.into_iter().collect()
}

// ---------------------------------------------------------------- policies

/// A stored policy version.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredPolicy {
    pub version: i64,
    pub title: String,
    pub effective_from: NaiveDate,
    pub source: String,
    pub checksum: String,
    pub loaded_by: String,
    pub loaded_at: DateTime<Utc>,
}

const POLICY_COLUMNS: &str =
    "version, title, effective_from, source, checksum, loaded_by, loaded_at";

impl Tx {
    /// Stores a policy document as a new version (in a transaction, so that its audit row
    /// commits with it).
    pub async fn insert_policy(
        &mut self,
        title: &str,
        effective_from: NaiveDate,
        source: &str,
        checksum: &str,
        actor: &str,
    ) -> Result<i64, StoreError> {
        let (v,): (i64,) = on_tx!(self, c => {
            sqlx::query_as(
                "INSERT INTO policies (title, effective_from, source, checksum, loaded_by, loaded_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING version",
            )
            .bind(title)
            .bind(effective_from)
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
    /// The policy in effect on `day`: the latest effective date not after it, the newest
    /// version among equals.
    pub async fn policy_in_effect(
        &self,
        day: NaiveDate,
    ) -> Result<Option<StoredPolicy>, StoreError> {
        let sql = format!(
            "SELECT {POLICY_COLUMNS} FROM policies WHERE effective_from <= $1 \
             ORDER BY effective_from DESC, version DESC LIMIT 1"
        );
        Ok(on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(day).fetch_optional(p).await?
        }))
    }

    /// Every stored version, newest first.
    pub async fn policies(&self) -> Result<Vec<StoredPolicy>, StoreError> {
        let sql = format!("SELECT {POLICY_COLUMNS} FROM policies ORDER BY version DESC");
        Ok(on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(p).await?
        }))
    }
}

// ---------------------------------------------------------------- runs, leads, warnings

/// 线索状态.
pub mod lead_status {
    /// 待研判 — open.
    pub const OPEN: i64 = 1;
    /// 不予纳入 — dismissed by the village with a reason.
    pub const DISMISSED: i64 = 2;
    /// 已转入识别 — an identification case was opened from it.
    pub const CONVERTED: i64 = 3;
}

/// What a run records at its start.
#[derive(Debug, Clone)]
pub struct NewRun<'a> {
    pub scope: Option<RegionCode>,
    pub as_of: NaiveDate,
    pub policy_version: i64,
    pub incremental: bool,
    pub last_batch: i64,
    pub actor: &'a str,
    pub started_at: DateTime<Utc>,
}

/// The counts of a finished run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunCounts {
    pub households: u64,
    pub flagged: u64,
    pub warnings_new: u64,
    pub leads_new: u64,
    pub leads_attached: u64,
    /// JSON summary by rule and township.
    pub summary: String,
}

/// A stored run.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ScreeningRun {
    pub id: i64,
    pub scope: Option<i64>,
    pub as_of: NaiveDate,
    pub policy_version: i64,
    pub incremental: bool,
    pub last_batch: i64,
    pub households: i64,
    pub flagged: i64,
    pub warnings_new: i64,
    pub leads_new: i64,
    pub leads_attached: i64,
    pub summary: String,
    pub actor: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

/// A new lead to write: household, channel, suggested category, risks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewLead {
    pub household: i64,
    pub channel: i16,
    pub category: Option<i16>,
    pub risks: u16,
}

/// A new warning to write, with its household, lead and one-line summary.
#[derive(Debug, Clone)]
pub struct NewWarning {
    pub household: i64,
    pub lead: i64,
    pub warning: Warning,
    pub summary: String,
}

/// An open lead of a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenLead {
    pub id: i64,
    pub risks: u16,
}

impl Store {
    /// The last run, if any (the watermark of an incremental run).
    pub async fn last_run(&self) -> Result<Option<ScreeningRun>, StoreError> {
        Ok(on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT id, scope, as_of, policy_version, incremental, last_batch, households, \
                 flagged, warnings_new, leads_new, leads_attached, summary, actor, started_at, \
                 finished_at FROM screening_runs ORDER BY id DESC LIMIT 1",
            )
            .fetch_optional(p)
            .await?
        }))
    }

    /// `SELECT` of the ids in the JSON array bound as `$1`.
    pub(crate) fn id_list(&self) -> &'static str {
        id_list(self.backend())
    }
}

/// `SELECT` of the ids in the JSON array bound as `$1`.
fn id_list(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "SELECT value FROM json_each($1)",
        Backend::Postgres => "SELECT jsonb_array_elements_text($1::jsonb)::bigint",
    }
}

impl Tx {
    /// Every open lead of `households`, by household, read in this transaction (a run's
    /// writes decide on it under the screening lock).
    pub async fn open_leads(
        &mut self,
        households: &[i64],
    ) -> Result<FxHashMap<i64, OpenLead>, StoreError> {
        let sql = format!(
            "SELECT household_id, id, risks FROM leads WHERE status = {} AND household_id IN ({})",
            lead_status::OPEN,
            id_list(self.backend())
        );
        let rows: Vec<(i64, i64, i64)> = self.rows_for_ids(&sql, households).await?;
        Ok(rows
            .into_iter()
            .map(|(h, id, r)| {
                (
                    h,
                    OpenLead {
                        id,
                        risks: r as u16,
                    },
                )
            })
            .collect())
    }

    /// The identity (household, rule, evidence key) of the stored warnings of `households`,
    /// read in this transaction through the unique index, so that a run touching a few
    /// households reads a few rows.
    pub async fn warning_keys(
        &mut self,
        households: &[i64],
    ) -> Result<FxHashSet<(i64, i16, i64)>, StoreError> {
        let sql = format!(
            "SELECT household_id, rule, evidence_key FROM warnings WHERE household_id IN ({})",
            id_list(self.backend())
        );
        let rows: Vec<(i64, i64, i64)> = self.rows_for_ids(&sql, households).await?;
        Ok(rows.into_iter().map(|(h, r, k)| (h, r as i16, k)).collect())
    }

    /// The stored policy with this checksum, if any (the built-in policy stored by a run
    /// that committed while this one waited).
    pub async fn policy_by_checksum(&mut self, checksum: &str) -> Result<Option<i64>, StoreError> {
        let v: Option<(i64,)> = on_tx!(self, c => {
            sqlx::query_as("SELECT version FROM policies WHERE checksum = $1 ORDER BY version LIMIT 1")
                .bind(checksum)
                .fetch_optional(c)
                .await?
        });
        Ok(v.map(|(v,)| v))
    }

    /// Runs `sql`, whose `$1` is a JSON array of ids, for `ids` a chunk at a time.
    async fn rows_for_ids<T>(&mut self, sql: &str, ids: &[i64]) -> Result<Vec<T>, StoreError>
    where
        T: Send
            + Unpin
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        let mut out = Vec::new();
        for chunk in ids.chunks(IDS) {
            let json = serde_json::to_string(chunk).expect("ids serialise");
            let rows: Vec<T> = on_tx!(self, c => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(json.as_str()).fetch_all(c).await?
            });
            out.extend(rows);
        }
        Ok(out)
    }

    pub async fn insert_run(&mut self, r: &NewRun<'_>) -> Result<i64, StoreError> {
        let (id,): (i64,) = on_tx!(self, c => {
            sqlx::query_as(
                "INSERT INTO screening_runs (scope, as_of, policy_version, incremental, last_batch, \
                 households, flagged, warnings_new, leads_new, leads_attached, summary, actor, \
                 started_at, finished_at) \
                 VALUES ($1, $2, $3, $4, $5, 0, 0, 0, 0, 0, '{}', $6, $7, $7) RETURNING id",
            )
            .bind(r.scope.map(|s| s.as_i64()))
            .bind(r.as_of)
            .bind(r.policy_version)
            .bind(r.incremental)
            .bind(r.last_batch)
            .bind(r.actor)
            .bind(r.started_at)
            .fetch_one(c)
            .await?
        });
        Ok(id)
    }

    pub async fn finish_run(&mut self, id: i64, n: &RunCounts) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "UPDATE screening_runs SET households = $1, flagged = $2, warnings_new = $3, \
                 leads_new = $4, leads_attached = $5, summary = $6, finished_at = $7 WHERE id = $8",
            )
            .bind(n.households as i64)
            .bind(n.flagged as i64)
            .bind(n.warnings_new as i64)
            .bind(n.leads_new as i64)
            .bind(n.leads_attached as i64)
            .bind(n.summary.as_str())
            .bind(Utc::now())
            .bind(id)
            .execute(c)
            .await
            .map(|_| ())?
        });
        Ok(())
    }

    /// Writes new open leads of a run; returns each lead's id by household.
    pub async fn insert_leads(
        &mut self,
        run: i64,
        leads: &[NewLead],
    ) -> Result<FxHashMap<i64, i64>, StoreError> {
        let backend = self.backend();
        let select = select_json(
            backend,
            &[
                ("household_id", Ty::Int),
                ("channel", Ty::Int),
                ("suggested_category", Ty::Int),
                ("risks", Ty::Int),
            ],
        );
        let sql = format!(
            "INSERT INTO leads (household_id, village_code, channel, status, suggested_category, risks, \
             run_id, created_at) \
             SELECT x.household_id, h.village_code, x.channel, {open}, x.suggested_category, x.risks, \
             {run}, $2 FROM ({select}) AS x CROSS JOIN households h WHERE h.id = x.household_id \
             RETURNING household_id, id",
            open = lead_status::OPEN,
            run = run,
        );
        let now = Utc::now();
        let mut out = FxHashMap::default();
        for chunk in leads.chunks(5_000) {
            let mut buf = String::new();
            for l in chunk {
                RowWriter::begin(&mut buf)
                    .int(l.household)
                    .int(l.channel)
                    .opt_int(l.category)
                    .int(l.risks)
                    .end();
            }
            crate::bulk::finish(&mut buf);
            let rows: Vec<(i64, i64)> = on_tx!(self, c => {
                sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(buf.as_str())
                    .bind(now)
                    .fetch_all(c)
                    .await?
            });
            out.extend(rows);
        }
        Ok(out)
    }

    /// Adds risk types to an open lead that received new warnings.
    pub async fn set_lead_risks(&mut self, lead: i64, risks: u16) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query("UPDATE leads SET risks = $1 WHERE id = $2")
                .bind(i64::from(risks))
                .bind(lead)
                .execute(c)
                .await
                .map(|_| ())?
        });
        Ok(())
    }

    /// Writes a run's new warnings.
    pub async fn insert_warnings(
        &mut self,
        run: i64,
        rows: &[NewWarning],
    ) -> Result<u64, StoreError> {
        let backend = self.backend();
        let select = select_json(
            backend,
            &[
                ("household_id", Ty::Int),
                ("rule", Ty::Int),
                ("evidence_key", Ty::Int),
                ("lead_id", Ty::Int),
                ("risk", Ty::Int),
                ("figure", Ty::Int),
                ("threshold", Ty::Int),
                ("period_from", Ty::Date),
                ("period_to", Ty::Date),
                ("sources", Ty::Int),
                ("first_date", Ty::Date),
                ("last_date", Ty::Date),
                ("member_id", Ty::Int),
                ("summary", Ty::Text),
            ],
        );
        let sql = format!(
            "INSERT INTO warnings (household_id, rule, evidence_key, run_id, lead_id, risk, figure, \
             threshold, period_from, period_to, sources, first_date, last_date, member_id, summary) \
             SELECT household_id, rule, evidence_key, {run}, lead_id, risk, figure, threshold, \
             period_from, period_to, sources, first_date, last_date, member_id, summary \
             FROM ({select}) AS x WHERE $2 IS NOT NULL"
        );
        let date = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
        self.run_json(rows, &sql, Utc::now(), |r, buf| {
            let w = &r.warning;
            let mut row = RowWriter::begin(buf);
            row.int(r.household)
                .int(w.rule.code())
                .int(w.key)
                .int(r.lead)
                .int(w.risk.code())
                .int(w.figure)
                .int(w.threshold)
                .text(&date(w.period.0))
                .text(&date(w.period.1))
                .int(w.sources);
            match w.first {
                Some(d) => row.text(&date(d)),
                None => row.null(),
            };
            match w.last {
                Some(d) => row.text(&date(d)),
                None => row.null(),
            };
            row.opt_int(w.member).text(&r.summary).end();
        })
        .await
    }
}

/// A warning as stored, for listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWarning {
    pub household_no: String,
    pub village: RegionCode,
    pub lead: i64,
    pub rule: RuleId,
    pub summary: String,
    pub run: i64,
}

impl Store {
    /// Warnings of one run, by household number.
    pub async fn run_warnings(&self, run: i64) -> Result<Vec<StoredWarning>, StoreError> {
        let rows: Vec<(String, i64, i64, i64, String, i64)> = on_db!(&self.db, p => {
            sqlx::query_as(
                "SELECT h.household_no, h.village_code, w.lead_id, w.rule, w.summary, w.run_id \
                 FROM warnings w JOIN households h ON h.id = w.household_id \
                 WHERE w.run_id = $1 ORDER BY h.household_no, w.rule",
            )
            .bind(run)
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(|(no, v, lead, rule, summary, run)| {
                Ok(StoredWarning {
                    household_no: no,
                    village: crate::decode::region(v)?,
                    lead,
                    rule: i16::try_from(rule)
                        .ok()
                        .and_then(RuleId::from_code)
                        .ok_or_else(|| StoreError::Corrupt(format!("规则代码 {rule}")))?,
                    summary,
                    run,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::WaterSafety;

    #[test]
    fn dates_parse_strictly() {
        assert_eq!(
            parse_date("2025-02-28"),
            NaiveDate::from_ymd_opt(2025, 2, 28)
        );
        assert_eq!(parse_date("2025-02-30"), None);
        assert_eq!(parse_date("2025/02/28"), None);
    }

    #[test]
    fn only_the_two_latest_years_up_to_the_screening_year_are_kept() {
        let y = |year| YearIncome {
            year,
            ..YearIncome::default()
        };
        let mut f = RegistryFacts {
            households: vec![hh(1), hh(2)],
            member_start: vec![0, 0, 0],
            income_start: vec![0, 4, 5],
            incomes: vec![y(2022), y(2023), y(2024), y(2025), y(2026)],
            ..RegistryFacts::default()
        };
        f.keep_latest_years(2024);
        assert_eq!(f.income_start, vec![0, 2, 2]);
        assert_eq!(f.incomes, vec![y(2023), y(2024)]);
    }

    fn hh(id: i64) -> HouseholdFacts {
        HouseholdFacts {
            id,
            village: RegionCode::parse("520322100201").unwrap(),
            household_type: HouseholdType::Ordinary,
            exit_year: None,
            housing: None,
            water: Some(WaterSafety::Safe),
            monitored: false,
        }
    }

    #[test]
    fn grouping_keeps_order_and_drops_strangers() {
        let households = vec![hh(2), hh(5), hh(9)];
        let (start, items) = group(&households, vec![(5, 'a'), (7, 'x'), (2, 'b'), (5, 'c')]);
        assert_eq!(start, vec![0, 1, 3, 3]);
        assert_eq!(items, vec!['b', 'a', 'c']);
    }
}

/// A lead (线索) as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeadRow {
    pub id: i64,
    pub household_id: i64,
    pub household_no: String,
    pub village: RegionCode,
    pub channel: i16,
    pub status: i64,
    pub category: Option<i16>,
    pub risks: u16,
    /// Warnings attached.
    pub warnings: i64,
    pub run: Option<i64>,
    pub created_at: DateTime<Utc>,
}

/// A lead with its household, as [`LEAD_SELECT`] reads it: the lead scanned, the
/// household looked up (`CROSS JOIN` keeps that order on SQLite). Conditions follow as
/// `AND …`.
pub(crate) const LEAD_SELECT: &str = "SELECT l.id, l.household_id, h.household_no, \
    l.village_code, l.channel, l.status, l.suggested_category, l.risks, \
    (SELECT COUNT(*) FROM warnings w WHERE w.lead_id = l.id), l.run_id, l.created_at \
    FROM leads l CROSS JOIN households h WHERE h.id = l.household_id";

pub(crate) type LeadTuple = (
    i64,
    i64,
    String,
    i64,
    i64,
    i64,
    Option<i64>,
    i64,
    i64,
    Option<i64>,
    DateTime<Utc>,
);

pub(crate) fn lead_row(t: LeadTuple) -> Result<LeadRow, StoreError> {
    let (id, household_id, household_no, v, channel, status, category, risks, warnings, run, at) =
        t;
    Ok(LeadRow {
        id,
        household_id,
        household_no,
        village: crate::decode::region(v)?,
        channel: channel as i16,
        status,
        category: category.map(|c| c as i16),
        risks: risks as u16,
        warnings,
        run,
        created_at: at,
    })
}

impl Store {
    /// Leads in a region's subtree (all when `None`), optionally of one status, by 户编号.
    pub async fn leads(
        &self,
        scope: Option<RegionCode>,
        status: Option<i64>,
    ) -> Result<Vec<LeadRow>, StoreError> {
        let (lo, hi) = crate::registry::scope_range(scope);
        let sql = format!(
            "{LEAD_SELECT} AND l.village_code >= $1 AND l.village_code < $2 \
             AND ($3 = 0 OR l.status = $3) ORDER BY h.household_no, l.id"
        );
        let rows: Vec<LeadTuple> = on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(lo)
                .bind(hi)
                .bind(status.unwrap_or(0))
                .fetch_all(p)
                .await?
        });
        rows.into_iter().map(lead_row).collect()
    }
}
