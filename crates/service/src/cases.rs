//! 监测对象识别与风险消除 (the case procedure) as use-cases: a village triages a lead —
//! dismisses it with a reason or opens an identification case — and every later step is one
//! call of [`act`], which runs `domain::case::transition` and stores the result and its event
//! in one transaction. The domain decides who may do what; this layer never bypasses it.

use crate::ServiceError;
use chrono::NaiveDate;
use domain::Money;
use domain::assistance::Helper;
use domain::assistance::{MatchConfig, Measure, Plan, PlanInput};
use domain::case::{
    ACTOR_NAME, Action, ActionKind, Actor, Case, CaseState, DISMISSAL_REASON, Deadlines, Level,
    due_date, follow_up_due, is_overdue, transition,
};
use domain::elimination::{
    BasicNeeds, ConditionResult, EliminationConfig, EliminationInput, IncomeObservation,
    IncomeStanding,
};
use domain::monitoring::RiskSet;
use serde_json::json;
use store::Store;
use store::audit::{Change, Who};
use store::cases::CaseRow;
use store::screening::lead_status;

/// 线索研判 → 不予纳入: the lead is closed with a reason the household can be told.
pub async fn dismiss_lead(
    store: &Store,
    lead: i64,
    reason: &str,
    actor: &Actor,
) -> Result<(), ServiceError> {
    if reason.trim().is_empty() {
        return Err(ServiceError::Invalid(
            "不予纳入须写明理由，以便向农户说明".to_owned(),
        ));
    }
    let checked = DISMISSAL_REASON
        .check(reason)
        .and_then(|()| ACTOR_NAME.check(&actor.name));
    checked.map_err(|e| ServiceError::Invalid(e.message))?;
    let mut tx = store.begin().await?;
    tx.open_lead(lead).await?;
    tx.close_lead(lead, lead_status::DISMISSED, &by(actor), reason.trim())
        .await?;
    tx.audit(
        store.who(),
        &Change {
            action: "lead.dismiss",
            entity: "lead",
            entity_id: Some(lead.to_string()),
            before: Some(json!({ "status": "待研判" })),
            after: Some(json!({ "status": "不予纳入", "by": by(actor), "reason": reason.trim() })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// 线索研判 → 启动识别: opens an identification case from an open lead; the lead's date is
/// the first clue, from which the 15-day limit runs.
pub async fn open_case(
    store: &Store,
    lead: i64,
    actor: &Actor,
    today: NaiveDate,
) -> Result<i64, ServiceError> {
    let mut tx = store.begin().await?;
    let (household, found_at) = tx.open_lead(lead).await?;
    // The day the lead was found on the county's calendar, not the server's nor UTC's.
    let first_clue_on = store.zone().day_of(found_at);
    let household_type = tx.household_type_of(household).await?;
    let case = Case::open(household_type, first_clue_on, actor, today).map_err(workflow)?;
    let id = tx.insert_case(household, Some(lead), &case).await?;
    tx.close_lead(
        lead,
        lead_status::CONVERTED,
        &by(actor),
        &format!("立案 {id}"),
    )
    .await?;
    tx.audit(
        store.who(),
        &Change {
            action: "case.open",
            entity: "case",
            entity_id: Some(id.to_string()),
            before: None,
            after: Some(json!({
                "household_id": household,
                "lead_id": lead,
                "state": case.state.label(),
                "version": 1,
                "event": case.history.last(),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// One step of the procedure on a case, as `actor`, on `today`.
pub async fn act(
    store: &Store,
    case_id: i64,
    action: Action,
    actor: &Actor,
    today: NaiveDate,
    cfg: &Deadlines,
) -> Result<CaseRow, ServiceError> {
    let mut rows = act_batch(store, &[case_id], &action, actor, today, cfg).await?;
    Ok(rows.pop().expect("one case in, one case out"))
}

/// The same step for several cases of one village at once — one 民主评议 meeting or one
/// notice for a batch of households (issue 4, item 2). All or nothing: if the step is not
/// allowed for one case, no case changes, and the error names it.
pub async fn act_batch(
    store: &Store,
    case_ids: &[i64],
    action: &Action,
    actor: &Actor,
    today: NaiveDate,
    cfg: &Deadlines,
) -> Result<Vec<CaseRow>, ServiceError> {
    let mut tx = store.begin().await?;
    let out = apply(&mut tx, store.who(), case_ids, action, actor, today, cfg).await?;
    tx.commit().await?;
    Ok(out)
}

/// Largest file kept with a case: a scanned form of a few pages.
pub const MAX_CASE_FILE: usize = 10 << 20;

/// A step with its scanned document — today the signed 承诺授权书 of 农户承诺授权: the file
/// is kept with the case and named in the step, in the same transaction.
pub async fn act_with_scan(
    store: &Store,
    case_id: i64,
    mut action: Action,
    scan: (&str, &[u8]),
    actor: &Actor,
    today: NaiveDate,
    cfg: &Deadlines,
) -> Result<CaseRow, ServiceError> {
    let (name, data) = scan;
    if data.is_empty() || data.len() > MAX_CASE_FILE {
        return Err(ServiceError::Invalid(format!(
            "附件“{name}”大小为{}字节：应为非空且不超过{}MB",
            data.len(),
            MAX_CASE_FILE >> 20
        )));
    }
    let mut tx = store.begin().await?;
    tx.case_for_update(case_id).await?; // an unknown case is "not found", not a key error
    let attachment = tx.insert_case_file(case_id, name, data).await?;
    match &mut action {
        Action::Consent { consent, .. } => consent.attachment = Some(attachment),
        other => {
            return Err(ServiceError::Invalid(format!(
                "“{}”不需要附件；扫描件随农户承诺授权上传",
                other.kind()
            )));
        }
    }
    let mut out = apply(&mut tx, store.who(), &[case_id], &action, actor, today, cfg).await?;
    tx.commit().await?;
    Ok(out.pop().expect("one case in, one case out"))
}

/// Runs one action on each case inside `tx`, with one audit row per case (as `who`); the
/// caller commits. The audit rows are appended after every case is written: the chain's
/// head is then locked last and briefly, never while this transaction waits for a case
/// that another one holds.
async fn apply(
    tx: &mut store::Tx,
    who: &Who,
    case_ids: &[i64],
    action: &Action,
    actor: &Actor,
    today: NaiveDate,
    cfg: &Deadlines,
) -> Result<Vec<CaseRow>, ServiceError> {
    // The cases are written in ascending id order whatever order the caller gave: each
    // update locks its row until the commit, and two batches over the same cases that
    // locked them in opposite orders would each wait for the other (a deadlock, on
    // PostgreSQL). In one order, the second batch waits for the first, then finds the
    // versions changed and fails as a conflict.
    let mut order: Vec<usize> = (0..case_ids.len()).collect();
    order.sort_by_key(|&i| case_ids[i]);
    let mut village = None;
    let mut done: Vec<Option<(CaseRow, serde_json::Value)>> = vec![None; case_ids.len()];
    for i in order {
        let id = case_ids[i];
        let row = tx.case_for_update(id).await?;
        match village {
            None => village = Some(row.village),
            Some(v) if v != row.village => {
                return Err(ServiceError::Invalid(format!(
                    "案件 {id} 不属于同一个村：批量办理只适用于同一村的农户"
                )));
            }
            Some(_) => {}
        }
        let next = transition(&row.case, action.clone(), actor, today, cfg).map_err(|e| {
            ServiceError::Invalid(format!("案件 {id}（户 {}）：{e}", row.household_no))
        })?;
        tx.update_case(id, row.version, &next).await?;
        let before = json!({ "state": row.case.state.label(), "version": row.version });
        done[i] = Some((
            CaseRow {
                version: row.version + 1,
                case: next,
                ..row
            },
            before,
        ));
    }
    let (out, before): (Vec<CaseRow>, Vec<serde_json::Value>) = done
        .into_iter()
        .map(|d| d.expect("every case written"))
        .unzip();
    let action = format!("case.act:{}", action.kind().label());
    for (row, before) in out.iter().zip(before) {
        tx.audit(who, &case_change(&action, row, before)).await?;
    }
    Ok(out)
}

/// The audit row of a step on a case: its stage and version before, and after with the
/// step's event (who, when, from which stage to which, the note).
fn case_change<'a>(action: &'a str, row: &CaseRow, before: serde_json::Value) -> Change<'a> {
    Change {
        action,
        entity: "case",
        entity_id: Some(row.id.to_string()),
        before: Some(before),
        after: Some(json!({
            "state": row.case.state.label(),
            "version": row.version,
            "event": row.case.history.last(),
        })),
    }
}

/// 登记帮扶措施: records a measure of a case. Allowed once the household is monitored, or
/// before on the fast track (先帮扶后认定). The first measure carried out also records the
/// case's 开始帮扶 step, in the same transaction.
pub async fn add_measure(
    store: &Store,
    case_id: i64,
    measure: &Measure,
    actor: &Actor,
    today: NaiveDate,
    cfg: &Deadlines,
) -> Result<i64, ServiceError> {
    let problems = measure.check(today);
    if !problems.is_empty() {
        return Err(ServiceError::problems(&problems));
    }
    let mut tx = store.begin().await?;
    let row = tx.case_for_update(case_id).await?;
    if !row.case.may_assist() {
        return Err(ServiceError::Invalid(
            "该户尚未纳入监测（也未走先帮扶后认定），不能登记帮扶措施".to_owned(),
        ));
    }
    let id = tx
        .insert_measure(case_id, row.household_id, measure)
        .await?;
    let start_action = format!("case.act:{}", ActionKind::StartAssistance.label());
    let mut changes = vec![Change {
        action: "measure.add",
        entity: "measure",
        entity_id: Some(id.to_string()),
        before: None,
        after: Some(json!({ "case_id": case_id, "measure": measure })),
    }];
    if measure.status.is_carried_out() && row.case.assistance_started_on.is_none() {
        let start = measure.start.max(row.case.last_on()).min(today);
        let next = transition(
            &row.case,
            Action::StartAssistance { on: start },
            actor,
            today,
            cfg,
        )
        .map_err(workflow)?;
        tx.update_case(case_id, row.version, &next).await?;
        let before = json!({ "state": row.case.state.label(), "version": row.version });
        let after = CaseRow {
            version: row.version + 1,
            case: next,
            ..row
        };
        changes.push(case_change(&start_action, &after, before));
    }
    for change in &changes {
        tx.audit(store.who(), change).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// 确定帮扶责任人: makes `helper` the cadre responsible for the case's household; the
/// previous one, if any, hands over on `helper.since` and stays in the case's history.
pub async fn assign_helper(
    store: &Store,
    case_id: i64,
    helper: &Helper,
    today: NaiveDate,
) -> Result<i64, ServiceError> {
    let problems = helper.check(today);
    if !problems.is_empty() {
        return Err(ServiceError::problems(&problems));
    }
    let mut tx = store.begin().await?;
    let row = tx.case_for_update(case_id).await?;
    if !row.case.state.is_open() {
        return Err(ServiceError::Invalid(format!(
            "案件已办结（{}），不再确定帮扶责任人",
            row.case.state
        )));
    }
    let id = tx.assign_helper(store.vault(), case_id, helper).await?;
    // The phone is kept encrypted with the helper; the audit row names the person only.
    tx.audit(
        store.who(),
        &Change {
            action: "helper.assign",
            entity: "helper",
            entity_id: Some(id.to_string()),
            before: None,
            after: Some(json!({
                "case_id": case_id,
                "name": helper.name.trim(),
                "unit": helper.unit.trim(),
                "since": helper.since,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// 帮扶计划: what the household's measures cover and what is still required or suggested
/// (docs/domain.md §7.3).
pub async fn plan(store: &Store, case_id: i64, today: NaiveDate) -> Result<Plan, ServiceError> {
    plan_of(store, &store.case(case_id).await?, today).await
}

async fn plan_of(store: &Store, row: &CaseRow, today: NaiveDate) -> Result<Plan, ServiceError> {
    let ident = row.case.identification.as_ref().ok_or_else(|| {
        ServiceError::Invalid("该户尚未纳入监测：帮扶计划以认定的风险类型为准".to_owned())
    })?;
    let labour = store.labour_of(row.household_id).await?;
    let measures: Vec<Measure> = store
        .measures_of(row.id)
        .await?
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    Ok(domain::assistance::plan(
        &PlanInput {
            risks: ident.risks,
            labour: &labour,
            identified_on: ident.approved_on,
            today,
            measures: &measures,
        },
        &MatchConfig::default(),
    ))
}

/// 风险消除条件: which conditions of docs/domain.md §8.1 hold for a monitored household today,
/// from the stored data:
/// - income: the newest assessment of 家庭人均纯收入 — a follow-up visit's re-assessment or
///   the yearly record — against the current year's line, and how long the assessments have
///   stayed above it ([`IncomeStanding::from_observations`]);
/// - risks: those identified, plus those of warnings and visits since identification; the
///   plan's uncovered risks;
/// - 三保障 and water: the registry's housing and water status, every living member insured,
///   no dropout warning since identification; 不愁吃穿 is not recorded and taken as met [I];
/// - 整户无劳 from the members' labour capacity.
pub async fn elimination_check(
    store: &Store,
    case_id: i64,
    today: NaiveDate,
) -> Result<Vec<ConditionResult>, ServiceError> {
    use chrono::Datelike;
    let row = store.case(case_id).await?;
    let ident = row
        .case
        .identification
        .as_ref()
        .ok_or_else(|| ServiceError::Invalid("该户尚未纳入监测，无需风险消除".to_owned()))?;
    let facts = store
        .registry_facts(
            store::screening::Selection::Households(&[row.household_id]),
            today.year() as u16,
        )
        .await?;
    let household = facts
        .households
        .first()
        .ok_or_else(|| ServiceError::Invalid("农户不存在".to_owned()))?;
    let members = &facts.members;
    let policy = crate::policy::policy_on(store, today).await?;
    let line = policy.line(household.village, today.year() as u16);
    // The yearly records sum a calendar year: dated 1 January of it. The follow-up visits'
    // re-assessed incomes are dated the day of the visit.
    let mut seen: Vec<IncomeObservation> = facts
        .incomes
        .iter()
        .filter_map(|y| {
            Some(IncomeObservation {
                on: NaiveDate::from_ymd_opt(i32::from(y.year), 1, 1)?,
                per_capita: y.net().per_capita(members.len() as u32)?,
            })
        })
        .collect();
    seen.extend(
        store
            .visit_incomes(case_id)
            .await?
            .into_iter()
            .map(|(on, per_capita)| IncomeObservation { on, per_capita }),
    );
    let income = IncomeStanding::from_observations(
        &seen,
        line.map_or(Money::ZERO, |l| l.amount),
        line.map_or(0, |l| i32::from(l.year)),
        today,
    );
    let visit_risks = store
        .visits_of(row.household_id)
        .await?
        .into_iter()
        .filter(|v| v.on >= ident.approved_on)
        .fold(RiskSet::EMPTY, |acc, v| acc.union(v.risks));
    let since = store
        .warning_risks_since(row.household_id, ident.approved_on)
        .await?;
    let current_risks = ident.risks.union(since).union(visit_risks);
    let plan = plan_of(store, &row, today).await?;
    let labour: Vec<domain::Labor> = members.iter().map(|m| m.labor).collect();
    let input = EliminationInput {
        identified_on: ident.approved_on,
        today,
        income,
        risks_at_identification: ident.risks,
        current_risks,
        uncovered: plan.uncovered,
        basic_needs: BasicNeeds {
            food_and_clothing: true,
            housing: household.housing.unwrap_or(domain::HousingSafety::Safe),
            water: household.water.unwrap_or(domain::WaterSafety::Safe),
            all_insured: members.iter().all(|m| m.medical_insured != Some(false)),
            compulsory_dropout: since
                .union(visit_risks)
                .contains(domain::monitoring::RiskType::Dropout),
        },
        whole_household_no_labour: !domain::assistance::has_labour(&labour),
    };
    Ok(domain::elimination::check(
        &input,
        &EliminationConfig::default(),
    ))
}

/// 待办事项 (one entry of the to-do list): a case waiting for a step of the procedure, or a
/// household under assistance whose follow-up visit (帮扶走访) falls due.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub case_id: i64,
    pub household_no: String,
    pub village: domain::RegionCode,
    pub state: CaseState,
    /// What is to be done: the awaited steps, or 帮扶走访.
    pub task: String,
    /// The levels that may do it.
    pub levels: Vec<Level>,
    /// 帮扶责任人 (current).
    pub helper: Option<String>,
    pub due: Option<NaiveDate>,
    pub overdue: bool,
}

/// Which to-do list: a region's subtree, one level's desk, one person's households.
#[derive(Debug, Clone, Default)]
pub struct PendingQuery<'a> {
    pub scope: Option<domain::RegionCode>,
    /// Only what this level may do (村级, 乡镇, 县级).
    pub level: Option<Level>,
    /// Only the households this person is 帮扶责任人 of.
    pub helper: Option<&'a str>,
    /// Follow-up visits are listed from this many days before they fall due (overdue ones
    /// always).
    pub visits_within_days: u32,
}

/// The to-do list (待办), the most urgent first; an entry past its due date is 逾期.
/// - Every open case in a procedure (identification or elimination), or monitored and
///   waiting for its first measure, with the steps it awaits and who may take them.
/// - Every case under assistance whose follow-up visit falls due within
///   `visits_within_days` (a village-level task).
pub async fn pending(
    store: &Store,
    q: &PendingQuery<'_>,
    today: NaiveDate,
    cfg: &Deadlines,
) -> Result<Vec<Pending>, ServiceError> {
    let follow_ups = store.follow_ups(q.scope).await?;
    let horizon = today
        .checked_add_days(chrono::Days::new(q.visits_within_days.into()))
        .unwrap_or(NaiveDate::MAX);
    let mut out = Vec::new();
    for c in store.open_cases(q.scope).await? {
        let fu = follow_ups.get(&c.id).cloned().unwrap_or_default();
        if q.helper.is_some_and(|h| fu.helper.as_deref() != Some(h)) {
            continue;
        }
        let awaiting = c.case.awaiting();
        let mut entries = Vec::new();
        if !awaiting.is_empty() {
            entries.push((
                awaiting
                    .iter()
                    .map(|k| k.label())
                    .collect::<Vec<_>>()
                    .join("、"),
                c.case.awaiting_levels(),
                due_date(&c.case, cfg),
                is_overdue(&c.case, today, cfg),
            ));
        }
        if let Some(due) = follow_up_due(&c.case, fu.last_visit, cfg)
            && due <= horizon
        {
            entries.push((
                "帮扶走访".to_owned(),
                vec![Level::Village],
                Some(due),
                today > due,
            ));
        }
        for (task, levels, due, overdue) in entries {
            if q.level.is_some_and(|l| !levels.contains(&l)) {
                continue;
            }
            out.push(Pending {
                case_id: c.id,
                household_no: c.household_no.clone(),
                village: c.village,
                state: c.case.state,
                task,
                levels,
                helper: fu.helper.clone(),
                due,
                overdue,
            });
        }
    }
    out.sort_by_key(|p| (p.due.unwrap_or(NaiveDate::MAX), p.case_id));
    Ok(out)
}

/// 办理时限 of the policy in effect on `day` (the built-in default until one is loaded).
pub async fn deadlines(store: &Store, day: NaiveDate) -> Result<Deadlines, ServiceError> {
    Ok(crate::policy::policy_on(store, day).await?.procedure)
}

fn by(actor: &Actor) -> String {
    format!("{}:{}", actor.level.label(), actor.name)
}

fn workflow(e: domain::case::WorkflowError) -> ServiceError {
    ServiceError::Invalid(e.to_string())
}
