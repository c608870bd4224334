//! 查询 (what the JSON API reads): household search, one household with its members,
//! incomes and cases, the audited reveal of one full ID number or phone, counts by region,
//! the screening runs of a region, what became of a department batch, and a policy loaded
//! from text. The region of the caller is a parameter of every read: what lies outside it
//! is answered as not found.
//!
//! Values returned here are decrypted; the API masks them (`IdNumber::masked`,
//! `Phone::masked`) in every list and page, and only [`reveal_id_number`] and
//! [`reveal_phone`] hand a full value out — each with its audit row, which names the record
//! and the field, never the value.

use crate::ServiceError;
use domain::feed::Feed;
use domain::screening::{Policy, RuleId};
use domain::{HouseholdNo, IdNumber, PersonName, Phone, RegionCode, RegionLevel};
use serde_json::json;
use store::Store;
use store::audit::Change;
use store::cases::CaseRow;
use store::feeds::FeedBatch;
use store::regions::RegionRow;
use store::search::{
    FeedOutcomeCounts, HouseholdMatch, HouseholdOrder, HouseholdPage, HouseholdQuery,
    HouseholdRecord, MemberIdentity, VillageCounts,
};

/// Most results on one page.
pub const MAX_PER_PAGE: u32 = 100;
/// Deepest result a search pages to: beyond it, narrow the search. Skipping is along an
/// index, never reading the households skipped, so that this bound keeps a deep page at a
/// few milliseconds.
pub const MAX_OFFSET: u64 = 100_000;

/// What a search text `q` looks for: an ID number (18 characters with a valid check digit)
/// through its keyed hash; 户编号 by prefix (digits, Latin letters and '-'); otherwise a
/// member's name — exactly when it is one character (a surname alone would match a tenth
/// of a county); when longer, exactly if it is the whole name of someone in the region
/// searched, else by prefix.
pub fn parse_search(store: &Store, q: &str) -> Result<HouseholdMatch, ServiceError> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(HouseholdMatch::All);
    }
    if let Ok(id) = IdNumber::parse(q) {
        return Ok(HouseholdMatch::IdHash(
            store.vault().digest(store::Field::IdNumber, id.as_str()),
        ));
    }
    if let Ok(no) = HouseholdNo::parse(q) {
        return Ok(HouseholdMatch::NumberPrefix(no.as_str().to_owned()));
    }
    let name = PersonName::parse(q).map_err(|e| {
        ServiceError::Invalid(format!(
            "查询条件无效：请输入户编号、姓名或18位证件号码（{}）",
            e.message
        ))
    })?;
    let name = name.as_str().to_owned();
    Ok(if name.chars().count() == 1 {
        HouseholdMatch::NameExact(name)
    } else {
        HouseholdMatch::NamePrefix(name)
    })
}

/// One page (from 1) of the households in `within`'s subtree that `q` matches.
pub async fn search_households(
    store: &Store,
    within: RegionCode,
    q: &str,
    order: HouseholdOrder,
    page: u32,
    per_page: u32,
) -> Result<HouseholdPage, ServiceError> {
    if page == 0 {
        return Err(ServiceError::Invalid("页码从1开始".to_owned()));
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(ServiceError::Invalid(format!(
            "每页条数应在1到{MAX_PER_PAGE}之间"
        )));
    }
    let offset = u64::from(page - 1) * u64::from(per_page);
    if offset >= MAX_OFFSET {
        return Err(ServiceError::Invalid(format!(
            "只能查看前{MAX_OFFSET}条结果：请输入更具体的查询条件或选择村"
        )));
    }
    let matching = parse_search(store, q)?;
    Ok(store
        .search_households(&HouseholdQuery {
            within,
            matching,
            order,
            offset,
            limit: per_page,
        })
        .await?)
}

/// A household with its members, incomes and cases (all, oldest first); `None` if there is
/// no household with this number. The caller checks its village before showing it.
pub async fn household(
    store: &Store,
    no: &str,
) -> Result<Option<(HouseholdRecord, Vec<CaseRow>)>, ServiceError> {
    let Some(h) = store.household_record(no).await? else {
        return Ok(None);
    };
    let cases = store
        .cases_of_household(h.household.household_no.as_str())
        .await?;
    Ok(Some((h, cases)))
}

fn not_found(what: String) -> ServiceError {
    ServiceError::Store(store::StoreError::NotFound(what))
}

/// 查看完整证件号码: one member's full ID number, for a caller whose region is `scope`;
/// writes the audit row first. A member outside `scope` is not found.
pub async fn reveal_id_number(
    store: &Store,
    member_id: i64,
    scope: RegionCode,
) -> Result<MemberIdentity, ServiceError> {
    let m = store
        .member_identity(member_id)
        .await?
        .filter(|m| scope.contains(m.village))
        .ok_or_else(|| not_found(format!("成员 {member_id}")))?;
    store
        .audit(&Change {
            action: "personal.reveal",
            entity: "member",
            entity_id: Some(member_id.to_string()),
            before: None,
            after: Some(json!({ "field": "id_number", "household_no": m.household_no })),
        })
        .await?;
    Ok(m)
}

/// 查看完整联系电话: a household's full contact phone (`None` when it has none), for a
/// caller whose region is `scope`; writes the audit row first.
pub async fn reveal_phone(
    store: &Store,
    household_no: &str,
    scope: RegionCode,
) -> Result<Option<Phone>, ServiceError> {
    let (_, phone) = store
        .household_phone(household_no)
        .await?
        .filter(|(village, _)| scope.contains(*village))
        .ok_or_else(|| not_found(format!("户 {household_no}")))?;
    store
        .audit(&Change {
            action: "personal.reveal",
            entity: "household",
            entity_id: Some(household_no.to_owned()),
            before: None,
            after: Some(json!({ "field": "phone" })),
        })
        .await?;
    Ok(phone)
}

/// Counts of one division: its own line and one per division of the next level down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionCounts {
    pub region: RegionRow,
    pub total: VillageCounts,
    /// The divisions one level down, with their counts (every loaded one, also those
    /// without households); empty for a village.
    pub children: Vec<(RegionRow, VillageCounts)>,
}

fn add(into: &mut VillageCounts, v: &VillageCounts) {
    into.households += v.households;
    into.members += v.members;
    into.open_leads += v.open_leads;
    for (state, n) in &v.cases {
        match into.cases.iter_mut().find(|(s, _)| s == state) {
            Some((_, m)) => *m += n,
            None => into.cases.push((*state, *n)),
        }
    }
    into.cases.sort_by_key(|(s, _)| s.code());
}

/// 分区划统计: households, members, open cases by stage and open leads of `code`, and of
/// each division one level below it.
pub async fn region_counts(store: &Store, code: RegionCode) -> Result<RegionCounts, ServiceError> {
    let region = store
        .region(code)
        .await?
        .ok_or_else(|| not_found(format!("区划 {code}")))?;
    let villages = store.village_counts(code).await?;
    let below = match code.level() {
        RegionLevel::Province => Some(RegionLevel::City),
        RegionLevel::City => Some(RegionLevel::County),
        RegionLevel::County => Some(RegionLevel::Township),
        RegionLevel::Township => Some(RegionLevel::Village),
        RegionLevel::Village => None,
    };
    let mut children: Vec<(RegionRow, VillageCounts)> = match below {
        Some(level) => store
            .regions_under(code, level)
            .await?
            .into_iter()
            .map(|r| (r, VillageCounts::default()))
            .collect(),
        None => Vec::new(),
    };
    let mut total = VillageCounts::default();
    for (village, counts) in &villages {
        add(&mut total, counts);
        if let Some(level) = below {
            let parent = village.ancestor(level);
            if let Ok(i) = children.binary_search_by_key(&parent, |(r, _)| r.code) {
                add(&mut children[i].1, counts);
            }
        }
    }
    Ok(RegionCounts {
        region,
        total,
        children,
    })
}

/// Screening runs of `scope`'s subtree, newest first.
pub async fn screening_runs(
    store: &Store,
    scope: RegionCode,
    limit: u32,
) -> Result<Vec<store::screening::ScreeningRun>, ServiceError> {
    Ok(store
        .screening_runs(scope, i64::from(limit.clamp(1, 1000)))
        .await?)
}

/// Feed batches of `scope`'s subtree (imported by its users, or by the system itself),
/// newest first: those of one feed (a liaison's department), or all.
pub async fn feed_batches(
    store: &Store,
    scope: RegionCode,
    feed: Option<Feed>,
    limit: u32,
) -> Result<Vec<FeedBatch>, ServiceError> {
    Ok(store
        .feed_batches_in(scope, feed, None, i64::from(limit.clamp(1, 1000)))
        .await?)
}

/// 预警结果: what became of batch `batch` — counts only — inside `scope`'s subtree. The
/// rules counted are those that read the batch's department's data. A batch the caller
/// does not see ([`feed_batches`]), or of another feed than `feed` (a liaison's), is not
/// found.
pub async fn feed_outcome(
    store: &Store,
    batch: i64,
    feed: Option<Feed>,
    scope: RegionCode,
) -> Result<(FeedBatch, FeedOutcomeCounts), ServiceError> {
    let b = store
        .feed_batches_in(scope, feed, Some(batch), 1)
        .await?
        .pop()
        .ok_or_else(|| not_found(format!("导入批次 {batch}")))?;
    let department = b.feed.0.department();
    let rules: Vec<RuleId> = RuleId::ALL
        .iter()
        .copied()
        .filter(|r| r.department() == Some(department))
        .collect();
    let counts = store.feed_outcome(batch, &rules, scope).await?;
    Ok((b, counts))
}

/// `POST /policy`: checks a policy document given as text and stores it as a new version
/// (with its audit row); a document identical to the version in effect on its date is not
/// stored twice. Returns (version, policy, stored).
///
/// A policy version governs every household of the database, so only an administrator
/// whose region (`scope`) holds all of them may load one — a county's own administrator
/// in a county's database, not one county's administrator in a database shared by several.
pub async fn load_policy_text(
    store: &Store,
    text: &str,
    actor: &str,
    scope: RegionCode,
) -> Result<(i64, Policy, bool), ServiceError> {
    if let Some((lo, hi)) = store.registry_span().await?
        && !(scope.contains(lo) && scope.contains(hi))
    {
        return Err(ServiceError::Forbidden(format!(
            "监测政策适用于本系统登记的全部农户，本系统还登记了{}以外的农户，\
             请由管辖全部区划的管理员加载",
            scope.short()
        )));
    }
    let policy = Policy::from_toml(text).map_err(|e| ServiceError::Invalid(e.message))?;
    if let Some(current) = store.policy_in_effect(policy.effective_from).await?
        && current.source == text
    {
        return Ok((current.version, policy, false));
    }
    let version = crate::policy::store_policy(store, text, &policy, actor).await?;
    tracing::info!(version, effective_from = %policy.effective_from, "policy loaded");
    Ok((version, policy, true))
}
