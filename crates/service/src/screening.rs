//! 筛查预警 (screening): the whole county — or the households touched by new department
//! batches — tested against the policy in effect, in one sequential in-memory pass; the
//! warnings become leads (线索) for the villages to visit.
//!
//! The registry's facts are read in bulk (no names, no ID numbers), the feed records from
//! their segments, already resolved to households at import; every household is then a
//! contiguous slice of members, incomes and events, and the rules of `domain::screening`
//! run over it on every core. Writing is one transaction: new leads, warnings attached to
//! the household's open lead, the run with its counts. A warning already stored (same
//! household, rule and evidence) is not stored again, so that a repeated screening changes
//! nothing.

use crate::ServiceError;
use crate::parallel::parallel_map;
use chrono::NaiveDate;
use domain::feed::{EventDetail, FeedEvent};
use domain::monitoring::{Category, RiskSet};
use domain::screening::quality::{self, Finding};
use domain::screening::{
    Assessment, HouseholdView, LocalPolicy, Policy, RuleId, Warning, assess, screen,
};
use domain::{Money, RegionCode, RegionLevel};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::Store;
use store::feeds::SegmentFilter;
use store::feeds::codec;
use store::screening::{NewLead, NewRun, NewWarning, RegistryFacts, RunCounts, Selection};

/// What to screen and how.
#[derive(Debug, Clone, Default)]
pub struct ScreenOptions {
    /// A county (or any division) to screen; everything when `None`.
    pub scope: Option<RegionCode>,
    /// The screening day; by default the latest event date of the department data in force
    /// (or today when there is none).
    pub as_of: Option<NaiveDate>,
    /// Compute and report without writing.
    pub dry_run: bool,
    /// Only the households with records in department batches imported since the last run.
    pub incremental: bool,
    /// "What if": the monitoring line replaced by this amount.
    pub line: Option<Money>,
    /// "What if": policy values replaced (`rules.income_drop.min_drop_percent` = `25`).
    pub overrides: Vec<(String, String)>,
    /// Who runs it (recorded with the run).
    pub actor: String,
}

impl ScreenOptions {
    fn is_what_if(&self) -> bool {
        self.line.is_some() || !self.overrides.is_empty()
    }
}

/// What became of one flagged household in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadOutcome {
    /// 新线索 — a new lead was opened.
    New,
    /// 并入已有线索 — new warnings attached to the household's open lead.
    Attached,
    /// 已预警 — every warning was already stored by an earlier run.
    Known,
    /// 未写入 — a dry run or a what-if.
    NotWritten,
}

impl LeadOutcome {
    pub fn label(self) -> &'static str {
        match self {
            LeadOutcome::New => "新线索",
            LeadOutcome::Attached => "并入已有线索",
            LeadOutcome::Known => "已预警",
            LeadOutcome::NotWritten => "未写入（试算）",
        }
    }
}

/// One household with warnings.
#[derive(Debug, Clone)]
pub struct Flagged {
    pub household_id: i64,
    pub household_no: String,
    pub village: RegionCode,
    pub warnings: Vec<Warning>,
    pub assessment: Assessment,
    pub outcome: LeadOutcome,
}

/// How long each phase took.
#[derive(Debug, Clone, Copy, Default)]
pub struct Timings {
    /// Reading the registry facts and feed segments.
    pub load: Duration,
    /// Running the rules over every household.
    pub evaluate: Duration,
    /// Writing leads, warnings and the run.
    pub write: Duration,
}

/// "What if" compared with the policy in effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WhatIf {
    /// Households flagged under the policy in effect.
    pub base: u64,
    /// Households flagged under the changed policy.
    pub changed: u64,
    /// Flagged only under the changed policy.
    pub enter: u64,
    /// Flagged only under the policy in effect.
    pub leave: u64,
}

/// The outcome of a screening.
#[derive(Debug, Clone)]
pub struct ScreenReport {
    /// The stored run; `None` for a dry run or a what-if.
    pub run_id: Option<i64>,
    pub as_of: NaiveDate,
    pub policy_version: i64,
    pub policy_title: String,
    pub incremental: bool,
    /// Households screened.
    pub households: u64,
    /// Households with at least one warning, by 户编号.
    pub flagged: Vec<Flagged>,
    /// Households flagged per rule.
    pub by_rule: BTreeMap<RuleId, u64>,
    /// Households flagged per township: (code, name) → count.
    pub by_township: BTreeMap<RegionCode, (String, u64)>,
    pub warnings_new: u64,
    pub leads_new: u64,
    pub leads_attached: u64,
    pub what_if: Option<WhatIf>,
    /// Things the clerk should know (a line carried over from an earlier year …).
    pub notes: Vec<String>,
    pub timings: Timings,
    /// Feed records read.
    pub events: u64,
}

/// The registry and its events in memory, grouped by household.
pub struct Snapshot {
    pub facts: RegistryFacts,
    /// Events of household `i`: `events[event_start[i]..event_start[i + 1]]`.
    pub event_start: Vec<u32>,
    pub events: Vec<FeedEvent>,
}

impl Snapshot {
    pub fn len(&self) -> usize {
        self.facts.households.len()
    }

    pub fn is_empty(&self) -> bool {
        self.facts.households.is_empty()
    }

    pub fn view(&self, i: usize) -> HouseholdView<'_> {
        let f = &self.facts;
        let r = |start: &[u32]| start[i] as usize..start[i + 1] as usize;
        HouseholdView {
            household: &f.households[i],
            members: &f.members[r(&f.member_start)],
            incomes: &f.incomes[r(&f.income_start)],
            events: &self.events[r(&self.event_start)],
        }
    }
}

/// Reads the selected households and their feed events after `window_start` (and every
/// death) into memory.
pub async fn load_snapshot(
    store: &Store,
    selection: Selection<'_>,
    window_start: NaiveDate,
    as_of: NaiveDate,
) -> Result<Snapshot, ServiceError> {
    use chrono::Datelike;
    let started = Instant::now();
    let facts = store
        .registry_facts(selection, as_of.year().clamp(0, i32::from(u16::MAX)) as u16)
        .await?;
    // Segments are decoded on all cores while the database hands over the next ones.
    let mut blobs = Vec::new();
    store
        .for_each_feed_segment(
            SegmentFilter {
                after: Some(window_start),
                batches_after: None,
            },
            |data| {
                blobs.push(data);
                Ok(())
            },
        )
        .await?;
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        segments = blobs.len(),
        "feed segments read"
    );
    let facts_ref = &facts;
    // Each core decodes a run of segments into one vector sized from the segments' headers.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let per = blobs.len().div_ceil(threads).max(1);
    let chunks: Vec<&[Vec<u8>]> = blobs.chunks(per).collect();
    let decoded: Vec<Result<Vec<(u32, FeedEvent)>, store::StoreError>> =
        parallel_map(&chunks, |chunk| {
            let rows: usize = chunk
                .iter()
                .map(|b| codec::header(b).map_or(0, |(_, n)| n))
                .sum();
            let mut out = Vec::with_capacity(rows);
            for data in chunk.iter() {
                // Segments are sorted by household: remember the last lookup.
                let mut last = (i64::MIN, None);
                codec::decode(data, |h, e| {
                    if e.date <= window_start && !matches!(e.detail, EventDetail::Death) {
                        return;
                    }
                    if last.0 != h {
                        last = (h, facts_ref.index_of(h));
                    }
                    if let Some(i) = last.1 {
                        out.push((i as u32, e));
                    }
                })?;
            }
            Ok(out)
        });
    drop(blobs);
    let mut parts = Vec::with_capacity(decoded.len());
    for d in decoded {
        parts.push(d?);
    }
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        "feed segments decoded"
    );
    // Counting sort by household: two passes, no comparison.
    let n = facts.households.len();
    let mut event_start = vec![0u32; n + 1];
    for part in &parts {
        for (i, _) in part {
            event_start[*i as usize + 1] += 1;
        }
    }
    for i in 0..n {
        event_start[i + 1] += event_start[i];
    }
    let total = event_start[n] as usize;
    let placeholder = FeedEvent {
        member: 0,
        date: NaiveDate::MIN,
        detail: EventDetail::Death,
    };
    let mut events = vec![placeholder; total];
    // Scattered on every core: each thread owns the events of a run of households, a
    // disjoint part of `events`, and picks its own out of every decoded part.
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut bounds = vec![0usize];
    for t in 1..threads {
        let target = (total * t / threads) as u32;
        let at = event_start.partition_point(|s| *s < target).min(n);
        if at > *bounds.last().expect("not empty") {
            bounds.push(at);
        }
    }
    bounds.push(n);
    let mut rest: &mut [FeedEvent] = &mut events;
    let mut regions = Vec::new();
    for w in bounds.windows(2) {
        let (lo, hi) = (w[0], w[1]);
        let len = (event_start[hi] - event_start[lo]) as usize;
        let (region, tail) = rest.split_at_mut(len);
        regions.push((lo, hi, region));
        rest = tail;
    }
    let (parts, event_start) = (&parts, &event_start);
    std::thread::scope(|s| {
        for (lo, hi, region) in regions {
            s.spawn(move || {
                let base = event_start[lo];
                let mut fill: Vec<u32> = event_start[lo..hi].iter().map(|x| x - base).collect();
                for part in parts {
                    for (i, e) in part {
                        let i = *i as usize;
                        if i >= lo && i < hi {
                            let slot = &mut fill[i - lo];
                            region[*slot as usize] = *e;
                            *slot += 1;
                        }
                    }
                }
            });
        }
    });
    let event_start = event_start.clone();
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        events = total,
        "events grouped"
    );
    Ok(Snapshot {
        facts,
        event_start,
        events,
    })
}

/// The warnings of a snapshot: household index with its range in `warnings`.
pub struct Evaluation {
    pub hits: Vec<(u32, u32, u32)>,
    pub warnings: Vec<Warning>,
}

impl Evaluation {
    pub fn warnings_of(&self, hit: &(u32, u32, u32)) -> &[Warning] {
        &self.warnings[hit.1 as usize..hit.2 as usize]
    }

    /// Indexes of the flagged households.
    pub fn flagged(&self) -> impl Iterator<Item = u32> + '_ {
        self.hits.iter().map(|h| h.0)
    }
}

/// Local policies by village, resolved once per run.
pub fn local_policies(
    snapshot: &Snapshot,
    policy: &Policy,
    as_of: NaiveDate,
) -> FxHashMap<RegionCode, LocalPolicy> {
    let mut out = FxHashMap::default();
    for h in &snapshot.facts.households {
        out.entry(h.village)
            .or_insert_with(|| policy.local(h.village, as_of));
    }
    out
}

/// Runs every rule over every household of the snapshot, on all cores.
pub fn evaluate(
    snapshot: &Snapshot,
    policy: &Policy,
    locals: &FxHashMap<RegionCode, LocalPolicy>,
    as_of: NaiveDate,
) -> Evaluation {
    let n = snapshot.len();
    let threads = std::thread::available_parallelism().map_or(1, usize::from);
    let per = n.div_ceil(threads.max(1)).max(1);
    let ranges: Vec<(usize, usize)> = (0..n).step_by(per).map(|s| (s, (s + per).min(n))).collect();
    let parts = parallel_map(&ranges, |&(lo, hi)| {
        let mut warnings = Vec::new();
        let mut hits = Vec::new();
        for i in lo..hi {
            let view = snapshot.view(i);
            let local = &locals[&view.household.village];
            let start = warnings.len();
            if screen(&view, policy, local, as_of, &mut warnings) > 0 {
                hits.push((i as u32, start as u32, warnings.len() as u32));
            }
        }
        (hits, warnings)
    });
    let mut hits = Vec::new();
    let mut warnings = Vec::new();
    for (h, w) in parts {
        let offset = warnings.len() as u32;
        hits.extend(h.into_iter().map(|(i, a, b)| (i, a + offset, b + offset)));
        warnings.extend(w);
    }
    Evaluation { hits, warnings }
}

/// The policy in effect on `day`, as (version, policy, document). When no policy was ever
/// loaded, the built-in default, as version 0: a screening that writes stores it as
/// version 1 in the transaction of its run (a dry run writes nothing).
pub async fn policy_in_effect(
    store: &Store,
    day: NaiveDate,
) -> Result<(i64, Policy, String), ServiceError> {
    if let Some(p) = store.policy_in_effect(day).await? {
        let policy = Policy::from_toml(&p.source).map_err(|e| {
            ServiceError::Invalid(format!("已保存的监测政策第{}版无法读取：{e}", p.version))
        })?;
        return Ok((p.version, policy, p.source));
    }
    if store.policies().await?.is_empty() {
        let text = domain::screening::policy::DEFAULT_POLICY_TOML;
        return Ok((0, Policy::builtin(), text.to_owned()));
    }
    Err(ServiceError::Invalid(format!(
        "{day}没有生效的监测政策：已加载的政策生效日期都晚于该日，请加载更早生效的政策或调整截止日期"
    )))
}

/// A screening day asked for, within [`domain::bounds::EVENT_YEARS`].
fn screening_day(d: NaiveDate) -> Result<NaiveDate, ServiceError> {
    domain::bounds::event_date("筛查日期", d).map_err(|e| ServiceError::Invalid(e.message))
}

/// Screens as `opts` says.
pub async fn run_screening(
    store: &Store,
    opts: &ScreenOptions,
) -> Result<ScreenReport, ServiceError> {
    let today = store.today();
    let as_of = match opts.as_of {
        Some(d) => screening_day(d)?,
        None => store
            .latest_feed_date()
            .await?
            .map_or(today, |d| d.min(today)),
    };
    let writes = !opts.dry_run && !opts.is_what_if();
    let (mut version, base_policy, source) = policy_in_effect(store, as_of).await?;
    let policy = if opts.is_what_if() {
        let mut p = if opts.overrides.is_empty() {
            base_policy.clone()
        } else {
            Policy::with_overrides(&source, &opts.overrides)
                .map_err(|e| ServiceError::Invalid(e.message))?
        };
        if let Some(line) = opts.line {
            p = p.with_line(line);
        }
        p
    } else {
        base_policy.clone()
    };
    let window_start = policy
        .window_start(as_of)
        .min(base_policy.window_start(as_of));
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    let last_batch = store.last_feed_batch().await?;

    // Which households.
    let mut notes = Vec::new();
    let watermark = if opts.incremental {
        store.last_run().await?.map(|r| r.last_batch)
    } else {
        None
    };
    if opts.incremental && watermark.is_none() {
        notes.push("尚无筛查记录，本次为全量筛查".to_owned());
    }
    let touched;
    let selection = match watermark {
        Some(w) => {
            touched = store.households_in_batches_after(w).await?;
            Selection::Households(&touched)
        }
        None => Selection::Region(opts.scope),
    };
    let incremental = watermark.is_some();
    crate::progress::stage("读取数据", 0, 0);
    let snapshot = load_snapshot(store, selection, window_start, as_of).await?;
    let mut snapshot = match (incremental, opts.scope) {
        (true, Some(scope)) => restrict(snapshot, scope),
        _ => snapshot,
    };
    // Households with an open case: monitored ones (identified, or going through
    // elimination) use the lower medical threshold of 脱贫户 and 监测户 (docs/domain.md §9.1), and
    // every open case takes new warnings instead of a new lead.
    let cases = store.open_case_states().await?;
    for h in &mut snapshot.facts.households {
        if let Some((state, _)) = cases.get(&h.id) {
            h.monitored = !state.is_identifying();
        }
    }
    let load = started.elapsed();

    crate::progress::stage("筛查", 0, snapshot.len() as u64);
    let t = Instant::now();
    let locals = local_policies(&snapshot, &policy, as_of);
    let eval = evaluate(&snapshot, &policy, &locals, as_of);
    let evaluate_time = t.elapsed();
    let what_if = if opts.is_what_if() {
        let base_locals = local_policies(&snapshot, &base_policy, as_of);
        let base = evaluate(&snapshot, &base_policy, &base_locals, as_of);
        let a: FxHashSet<u32> = base.flagged().collect();
        let b: FxHashSet<u32> = eval.flagged().collect();
        Some(WhatIf {
            base: a.len() as u64,
            changed: b.len() as u64,
            enter: b.difference(&a).count() as u64,
            leave: a.difference(&b).count() as u64,
        })
    } else {
        None
    };
    notes.extend(line_notes(&locals, as_of));

    // Assessments of the flagged households.
    let mut flagged: Vec<Flagged> = eval
        .hits
        .iter()
        .map(|hit| {
            let view = snapshot.view(hit.0 as usize);
            let warnings = eval.warnings_of(hit).to_vec();
            let local = &locals[&view.household.village];
            Flagged {
                household_id: view.household.id,
                household_no: snapshot.facts.number(hit.0 as usize).to_owned(),
                village: view.household.village,
                assessment: assess(&view, local, as_of, &warnings),
                warnings,
                outcome: LeadOutcome::NotWritten,
            }
        })
        .collect();
    let households = snapshot.len() as u64;
    let events = snapshot.events.len() as u64;
    drop(snapshot);

    let t = Instant::now();
    flagged.sort_by(|a, b| a.household_no.cmp(&b.household_no));
    let mut by_rule: BTreeMap<RuleId, u64> = BTreeMap::new();
    let mut by_township: BTreeMap<RegionCode, (String, u64)> = BTreeMap::new();
    for f in &flagged {
        let mut rules: Vec<RuleId> = f.warnings.iter().map(|w| w.rule).collect();
        rules.dedup();
        for r in rules {
            *by_rule.entry(r).or_default() += 1;
        }
        by_township
            .entry(f.village.ancestor(RegionLevel::Township))
            .or_default()
            .1 += 1;
    }
    for (code, (name, _)) in by_township.iter_mut() {
        *name = store
            .region(*code)
            .await?
            .map_or_else(|| code.short(), |r| r.name);
    }
    let mut counts = RunCounts {
        households,
        flagged: flagged.len() as u64,
        summary: summary_json(&by_rule, &by_township),
        ..RunCounts::default()
    };
    let mut run_id = None;
    crate::progress::stage("写入", households, households);
    if writes {
        let builtin = (version == 0).then_some(source.as_str());
        let (id, v) = write_run(
            store,
            &cases,
            opts,
            (version, builtin, &base_policy),
            as_of,
            incremental,
            last_batch,
            started_at,
            &mut flagged,
            &mut counts,
        )
        .await?;
        run_id = Some(id);
        version = v;
    }
    let write = t.elapsed();
    tracing::info!(
        households,
        flagged = flagged.len(),
        load_ms = load.as_millis() as u64,
        evaluate_ms = evaluate_time.as_millis() as u64,
        write_ms = write.as_millis() as u64,
        "screening finished"
    );
    Ok(ScreenReport {
        run_id,
        as_of,
        policy_version: version,
        policy_title: policy.title.clone(),
        incremental,
        households,
        flagged,
        by_rule,
        by_township,
        warnings_new: counts.warnings_new,
        leads_new: counts.leads_new,
        leads_attached: counts.leads_attached,
        what_if,
        notes,
        timings: Timings {
            load,
            evaluate: evaluate_time,
            write,
        },
        events,
    })
}

/// Keeps the households of a snapshot inside `scope`.
fn restrict(s: Snapshot, scope: RegionCode) -> Snapshot {
    if s.facts.households.iter().all(|h| scope.contains(h.village)) {
        return s;
    }
    let mut out = Snapshot {
        facts: RegistryFacts::default(),
        event_start: vec![0],
        events: Vec::new(),
    };
    out.facts.member_start.push(0);
    out.facts.income_start.push(0);
    for i in 0..s.len() {
        let v = s.view(i);
        if !scope.contains(v.household.village) {
            continue;
        }
        out.facts.households.push(v.household.clone());
        out.facts.push_number(s.facts.number(i));
        out.facts.members.extend_from_slice(v.members);
        out.facts.member_start.push(out.facts.members.len() as u32);
        out.facts.incomes.extend_from_slice(v.incomes);
        out.facts.income_start.push(out.facts.incomes.len() as u32);
        out.events.extend_from_slice(v.events);
        out.event_start.push(out.events.len() as u32);
    }
    out.facts.build_index();
    out
}

/// Writes the run in one transaction: the built-in policy if it is the one used (`policy`
/// is the version, the built-in document when that version is 0, and the policy), leads and
/// warnings not seen before, and the run with its counts (completed in `counts`), so that a
/// run is recorded whole or not at all. Returns the run id and the policy version.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site, every value named there"
)]
async fn write_run(
    store: &Store,
    cases: &FxHashMap<i64, (domain::case::CaseState, Option<i64>)>,
    opts: &ScreenOptions,
    policy: (i64, Option<&str>, &Policy),
    as_of: NaiveDate,
    incremental: bool,
    last_batch: i64,
    started_at: chrono::DateTime<chrono::Utc>,
    flagged: &mut [Flagged],
    counts: &mut RunCounts,
) -> Result<(i64, i64), ServiceError> {
    let ids: Vec<i64> = flagged.iter().map(|f| f.household_id).collect();
    let mut tx = store.begin().await?;
    // What is new is decided against the warnings and open leads as they stand once this
    // run is the only one writing: a run that waited here sees the leads of the one before
    // it and attaches to them, instead of failing on `leads_one_open`.
    tx.lock(store::Lock::Screening).await?;
    let known = tx.warning_keys(&ids).await?;
    let open = tx.open_leads(&ids).await?;
    let version = match policy {
        (0, Some(text), p) => {
            // The built-in policy, stored by the first run that uses it — perhaps the one
            // this run waited for.
            match tx
                .policy_by_checksum(&crate::documents::sha256_hex(text))
                .await?
            {
                Some(v) => v,
                None => {
                    crate::policy::store_policy_in(&mut tx, store.who(), text, p, &opts.actor)
                        .await?
                }
            }
        }
        (v, _, _) => v,
    };
    let run = tx
        .insert_run(&NewRun {
            scope: opts.scope,
            as_of,
            policy_version: version,
            incremental,
            last_batch,
            actor: &opts.actor,
            started_at,
        })
        .await?;
    let mut new_leads = Vec::new();
    let mut attached: Vec<(i64, u16)> = Vec::new();
    // (flagged index, warning index) of the warnings to store.
    let mut fresh: Vec<(usize, usize)> = Vec::new();
    for (fi, f) in flagged.iter_mut().enumerate() {
        let new: Vec<usize> = (0..f.warnings.len())
            .filter(|&wi| {
                let w = &f.warnings[wi];
                !known.contains(&(f.household_id, w.rule.code(), w.key))
            })
            .collect();
        if new.is_empty() {
            f.outcome = LeadOutcome::Known;
            continue;
        }
        fresh.extend(new.iter().map(|&wi| (fi, wi)));
        let case_lead = cases.get(&f.household_id).and_then(|(_, lead)| *lead);
        match (open.get(&f.household_id), case_lead) {
            (Some(lead), _) => {
                f.outcome = LeadOutcome::Attached;
                let merged = RiskSet::from_bits(lead.risks)
                    .unwrap_or_default()
                    .merged(f.assessment.risks)
                    .bits();
                if merged != lead.risks {
                    attached.push((lead.id, merged));
                }
            }
            // An open case: the warnings go to the lead it was opened from, for the case
            // officer to see; the case's own risks change only through the procedure.
            (None, Some(_)) => f.outcome = LeadOutcome::Attached,
            (None, None) => {
                f.outcome = LeadOutcome::New;
                new_leads.push(NewLead {
                    household: f.household_id,
                    channel: f.assessment.channel.code(),
                    category: f.assessment.category.map(Category::code),
                    risks: f.assessment.risks.bits(),
                });
            }
        }
    }
    let lead_ids = tx.insert_leads(run, &new_leads).await?;
    for (lead, risks) in &attached {
        tx.set_lead_risks(*lead, *risks).await?;
    }
    let n_attached = flagged
        .iter()
        .filter(|f| f.outcome == LeadOutcome::Attached)
        .count() as u64;
    let rows: Vec<NewWarning> = fresh
        .iter()
        .map(|&(fi, wi)| {
            let f = &flagged[fi];
            let lead = lead_ids
                .get(&f.household_id)
                .copied()
                .or_else(|| open.get(&f.household_id).map(|l| l.id))
                .or_else(|| cases.get(&f.household_id).and_then(|(_, lead)| *lead))
                .expect("every flagged household has a lead");
            NewWarning {
                household: f.household_id,
                lead,
                warning: f.warnings[wi],
                summary: f.warnings[wi].describe(),
            }
        })
        .collect();
    tx.insert_warnings(run, &rows).await?;
    counts.warnings_new = rows.len() as u64;
    counts.leads_new = new_leads.len() as u64;
    counts.leads_attached = n_attached;
    tx.finish_run(run, counts).await?;
    // One row per run, with its counts; the leads and warnings are in their tables, tagged
    // with the run.
    tx.audit(
        store.who(),
        &store::audit::Change {
            action: "screening_run.run",
            entity: "screening_run",
            entity_id: Some(run.to_string()),
            before: None,
            after: Some(serde_json::json!({
                "scope": opts.scope.map(|s| s.to_string()),
                "as_of": as_of,
                "policy_version": version,
                "incremental": incremental,
                "last_batch": last_batch,
                "flagged": flagged.len(),
                "warnings_new": rows.len(),
                "leads_new": new_leads.len(),
                "leads_attached": n_attached,
                "actor": opts.actor,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((run, version))
}

/// Notes on monitoring lines carried over from an earlier year.
fn line_notes(locals: &FxHashMap<RegionCode, LocalPolicy>, as_of: NaiveDate) -> Vec<String> {
    use chrono::Datelike;
    let year = as_of.year() as u16;
    let mut out: Vec<String> = locals
        .values()
        .filter_map(|l| l.line(year))
        .filter(|r| r.year < year)
        .map(|r| {
            format!(
                "{year}年未配置监测范围，沿用{}年标准{}元（{}）",
                r.year,
                r.amount,
                r.scope.label()
            )
        })
        .collect();
    if locals.values().any(|l| l.line(year).is_none()) {
        out.push(format!(
            "部分村{year}年及以前均未配置监测范围，收入类规则未执行"
        ));
    }
    out.sort();
    out.dedup();
    out
}

fn summary_json(
    by_rule: &BTreeMap<RuleId, u64>,
    by_township: &BTreeMap<RegionCode, (String, u64)>,
) -> String {
    let rules: serde_json::Map<String, serde_json::Value> = by_rule
        .iter()
        .map(|(r, n)| (r.id().to_owned(), (*n).into()))
        .collect();
    let towns: Vec<serde_json::Value> = by_township
        .iter()
        .map(|(c, (name, n))| serde_json::json!({"code": c.short(), "name": name, "flagged": n}))
        .collect();
    serde_json::json!({"by_rule": rules, "by_township": towns}).to_string()
}

/// One data-quality finding, located.
#[derive(Debug, Clone)]
pub struct QualityFinding {
    pub household_id: i64,
    pub household_no: String,
    pub village: RegionCode,
    pub finding: Finding,
    /// The member concerned, as a clerk finds them in the household: "之子（2011年生）".
    pub member: Option<String>,
}

/// 数据质量 findings of the selected households, by village.
#[derive(Debug, Clone, Default)]
pub struct QualityReport {
    pub as_of: Option<NaiveDate>,
    pub households: u64,
    pub findings: Vec<QualityFinding>,
}

/// What a data-quality report depends on: the households asked for, the day, and the
/// versions of the registry, of the feeds in force and of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
struct QualityKey {
    scope: Option<RegionCode>,
    as_of: NaiveDate,
    generation: i64,
    feeds: (i64, i64),
    policy: i64,
}

/// The last data-quality reports computed, by what they depend on: a long-running service
/// keeps them so that the pages of one report are cut from it, instead of each page
/// reading and checking the whole region again (for a county, a million households).
#[derive(Debug, Default)]
pub struct QualityCache {
    entries: std::sync::Mutex<Vec<(QualityKey, Arc<QualityReport>)>>,
}

/// Reports kept: a few regions' at a time.
const QUALITY_CACHED: usize = 8;

impl QualityCache {
    fn get(&self, key: &QualityKey) -> Option<Arc<QualityReport>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, r)| r.clone())
    }

    fn put(&self, key: QualityKey, report: Arc<QualityReport>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // A report of older data is never read again: its key names the old versions.
        entries.retain(|(k, _)| !(k.scope == key.scope && k.as_of == key.as_of));
        if entries.len() >= QUALITY_CACHED {
            entries.remove(0);
        }
        entries.push((key, report));
    }
}

/// [`run_quality`], or the report `cache` holds for exactly the same data: the registry's
/// generation, the feed batches in force and the policy version are read first, and any
/// change to them makes a new report.
pub async fn quality_cached(
    store: &Store,
    cache: &QualityCache,
    scope: Option<RegionCode>,
    as_of: Option<NaiveDate>,
) -> Result<Arc<QualityReport>, ServiceError> {
    let today = chrono::Local::now().date_naive();
    let as_of = as_of.map_or(Ok(today), screening_day)?;
    let key = QualityKey {
        scope,
        as_of,
        generation: store.registry_generation().await?,
        feeds: store.feed_state().await?,
        policy: policy_in_effect(store, as_of).await?.0,
    };
    if let Some(hit) = cache.get(&key) {
        return Ok(hit);
    }
    let report = Arc::new(run_quality(store, scope, Some(as_of)).await?);
    cache.put(key, report.clone());
    Ok(report)
}

/// Runs the data-quality checks over the registry (and the deaths the feeds report).
pub async fn run_quality(
    store: &Store,
    scope: Option<RegionCode>,
    as_of: Option<NaiveDate>,
) -> Result<QualityReport, ServiceError> {
    let today = store.today();
    let as_of = as_of.map_or(Ok(today), screening_day)?;
    let (_, policy, _) = policy_in_effect(store, as_of).await?;
    let snapshot = load_snapshot(store, Selection::Region(scope), as_of, as_of).await?;
    let parts = parallel_map(&(0..snapshot.len()).collect::<Vec<_>>(), |&i| {
        let mut out = Vec::new();
        quality::check(&snapshot.view(i), &policy.quality, as_of, &mut out);
        (i, out)
    });
    let mut findings = Vec::new();
    for (i, found) in parts {
        let view = snapshot.view(i);
        for f in found {
            let member = f
                .member
                .and_then(|id| view.members.iter().find(|m| m.id == id))
                .map(|m| {
                    use chrono::Datelike;
                    format!("{}（{}年生）", m.relation.label(), m.birth_date.year())
                });
            findings.push(QualityFinding {
                household_id: view.household.id,
                household_no: snapshot.facts.number(i).to_owned(),
                village: view.household.village,
                finding: f,
                member,
            });
        }
    }
    findings.sort_by(|a, b| {
        (a.village, &a.household_no, a.finding.code).cmp(&(
            b.village,
            &b.household_no,
            b.finding.code,
        ))
    });
    Ok(QualityReport {
        as_of: Some(as_of),
        households: snapshot.len() as u64,
        findings,
    })
}
