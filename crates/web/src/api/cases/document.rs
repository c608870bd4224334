//! The case document as the API shows it: stage and due date, the steps of each procedure
//! with the verification form and the consent, the county's decision, every recorded step,
//! the helpers (phones masked) and the follow-up visits. Enumerations are their labels.

use super::input::{self, risk_labels};
use super::labels;
use crate::auth::Caller;
use crate::error::ApiResult;
use chrono::NaiveDate;
use domain::access::Permission;
use domain::case::{
    Case, Consent, Event, Steps, Verification, due_date, follow_up_due, is_overdue, who_may,
};
use serde::{Deserialize, Serialize};
use store::Store;
use store::cases::CaseRow;
use utoipa::ToSchema;

/// 办理记录 (one recorded step).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    /// 办理事项, e.g. 入户核实.
    pub step: String,
    /// 办理前环节 (none for 立案).
    pub from: Option<String>,
    /// 办理后环节.
    pub to: String,
    /// 办理层级: 村级, 乡镇, 县级.
    pub level: String,
    /// 经办人.
    pub actor: String,
    /// 办理日期.
    pub on: NaiveDate,
    /// 登记日期.
    pub recorded_on: NaiveDate,
    /// 说明 / 纪要 / 理由.
    pub note: String,
}

impl From<&Event> for EventView {
    fn from(e: &Event) -> Self {
        EventView {
            step: e.kind.label().to_owned(),
            from: e.from.map(|s| s.label().to_owned()),
            to: e.to.label().to_owned(),
            level: e.actor.level.label().to_owned(),
            actor: e.actor.name.clone(),
            on: e.on,
            recorded_on: e.recorded_on,
            note: e.note.clone(),
        }
    }
}

/// 入户核实表 (the verification form).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerificationView {
    /// 共同生活人数.
    pub members: u32,
    /// 近12个月家庭纯收入（元）.
    pub net_income_12m: String,
    /// 近12个月刚性支出（元）.
    pub rigid_spending_12m: String,
    /// 家庭人均纯收入（元）.
    pub per_capita: Option<String>,
    /// 住房安全.
    pub housing: String,
    /// 饮水安全.
    pub water: String,
    /// 全部成员参加基本医疗保险.
    pub all_insured: bool,
    /// 义务教育阶段无失学辍学.
    pub schooling_secured: bool,
    /// 有劳动能力人数.
    pub labour_members: u32,
    pub note: String,
}

impl From<&Verification> for VerificationView {
    fn from(v: &Verification) -> Self {
        VerificationView {
            members: v.members,
            net_income_12m: v.net_income_12m.to_string(),
            rigid_spending_12m: v.rigid_spending_12m.to_string(),
            per_capita: v.per_capita().map(|m| m.to_string()),
            housing: v.housing.label().to_owned(),
            water: v.water.label().to_owned(),
            all_insured: v.all_insured,
            schooling_secured: v.schooling_secured,
            labour_members: v.labour_members,
            note: v.note.clone(),
        }
    }
}

/// 农户承诺授权 (the signed consent).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConsentView {
    /// 签字人.
    pub signed_by: String,
    /// 授权查询事项.
    pub queries: String,
    /// 扫描件 (name, SHA-256, size), when one was kept with the case.
    pub attachment: Option<AttachmentView>,
}

/// A file kept with the case.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AttachmentView {
    pub name: String,
    pub sha256: String,
    pub size: u64,
}

impl From<&Consent> for ConsentView {
    fn from(c: &Consent) -> Self {
        ConsentView {
            signed_by: c.signed_by.clone(),
            queries: c.queries.clone(),
            attachment: c.attachment.as_ref().map(|a| AttachmentView {
                name: a.name.clone(),
                sha256: a.sha256.clone(),
                size: a.size,
            }),
        }
    }
}

/// 程序环节 of one procedure (identification, or one elimination round): the date of each
/// step done.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StepsView {
    /// 入户核实.
    pub verified_on: Option<NaiveDate>,
    pub verification: Option<VerificationView>,
    /// 农户承诺授权 (identification only).
    pub consent_on: Option<NaiveDate>,
    pub consent: Option<ConsentView>,
    /// 信息比对 (identification only).
    pub compared_on: Option<NaiveDate>,
    /// 民主评议.
    pub reviewed_on: Option<NaiveDate>,
    /// 公示张贴日.
    pub publicity_from: Option<NaiveDate>,
    /// 公示期满日.
    pub publicity_closed_on: Option<NaiveDate>,
    /// 乡镇初审 / 审核.
    pub township_on: Option<NaiveDate>,
}

impl From<&Steps> for StepsView {
    fn from(s: &Steps) -> Self {
        StepsView {
            verified_on: s.verified_on,
            verification: s.verification.as_ref().map(Into::into),
            consent_on: s.consent_on,
            consent: s.consent.as_ref().map(Into::into),
            compared_on: s.compared_on,
            reviewed_on: s.reviewed_on,
            publicity_from: s.publicity_from,
            publicity_closed_on: s.publicity_closed_on,
            township_on: s.township_on,
        }
    }
}

/// 认定结果 (the county's identification decision).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IdentificationView {
    pub approved_on: NaiveDate,
    /// 监测对象类别.
    pub category: String,
    /// 风险类型.
    pub risks: Vec<String>,
    /// 家庭人均纯收入（元）used by the decision.
    pub per_capita: Option<String>,
    /// 监测范围（元）used by the decision.
    pub line: String,
}

/// 公示异议.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ObjectionView {
    pub on: NaiveDate,
    pub text: String,
    /// 重新评议日期 (when dealt with).
    pub resolved_on: Option<NaiveDate>,
}

/// 先帮扶后认定 (fast track granted).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FastTrackView {
    pub on: NaiveDate,
    pub reason: String,
    /// 批准层级.
    pub by: String,
}

/// 风险消除回退.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RollbackView {
    pub on: NaiveDate,
    pub eliminated_on: NaiveDate,
    pub reason: String,
}

/// 帮扶责任人, the phone masked (138****1234).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HelperView {
    pub name: String,
    /// 工作单位及职务.
    pub unit: String,
    /// 联系电话（脱敏）.
    pub phone: String,
    /// 结对日期.
    pub since: NaiveDate,
    /// 交接日期 (none: the current helper).
    pub ended_on: Option<NaiveDate>,
}

/// 帮扶走访 (a follow-up visit of the case).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FollowUpVisit {
    pub on: NaiveDate,
    /// 走访人.
    pub visitor: String,
    /// 走访情况.
    pub findings: String,
    /// 发现的风险.
    pub risks: Vec<String>,
    /// 核实的家庭人均纯收入（元/年）.
    pub income: Option<String>,
}

/// A step the case waits for and the levels that may take it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Awaited {
    /// 办理事项.
    pub step: String,
    /// 可办理层级.
    pub levels: Vec<String>,
}

/// 监测案件 (the case document).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseView {
    pub id: i64,
    /// 户编号.
    pub household_no: String,
    /// 村代码.
    pub village: String,
    /// The lead the case came from.
    pub lead_id: Option<i64>,
    /// Version for optimistic concurrency (every step adds one).
    pub version: i64,
    /// 户类型.
    pub household_type: String,
    /// 当前环节.
    pub state: String,
    /// 进入当前环节的日期.
    pub stage_since: NaiveDate,
    /// 发现线索日 (the 15-day limit runs from it).
    pub first_clue_on: NaiveDate,
    /// 办理期限 of the current stage.
    pub due: Option<NaiveDate>,
    pub overdue: bool,
    /// 待办环节.
    pub awaiting: Vec<Awaited>,
    /// Of those, the steps the caller's role may take now.
    pub yours: Vec<String>,
    /// 识别程序各环节.
    pub identification_steps: StepsView,
    /// 风险消除程序各环节 (the current or last approved round).
    pub elimination_steps: Option<StepsView>,
    /// 认定结果.
    pub identification: Option<IdentificationView>,
    pub fast_track: Option<FastTrackView>,
    pub objections: Vec<ObjectionView>,
    /// 开始帮扶日期.
    pub assistance_started_on: Option<NaiveDate>,
    /// 提出风险消除日期.
    pub elimination_proposed_on: Option<NaiveDate>,
    /// 风险消除日期.
    pub eliminated_on: Option<NaiveDate>,
    /// 不予纳入的理由.
    pub refusal: Option<String>,
    pub rollbacks: Vec<RollbackView>,
    /// 办理记录, oldest first.
    pub history: Vec<EventView>,
    /// 帮扶责任人: the current one first, then earlier ones.
    pub helpers: Vec<HelperView>,
    /// 帮扶走访, newest first.
    pub visits: Vec<FollowUpVisit>,
    /// 下次帮扶走访期限.
    pub next_visit_due: Option<NaiveDate>,
}

/// What stands in for a text withheld from a supervisor.
pub const WITHHELD: &str = "（涉及个人健康等敏感信息，仅办理人员可见）";

/// The case as a city or province supervisor sees it: the procedure, dates, figures and
/// decisions, without the texts clerks wrote about the household — 核实情况, 走访情况,
/// step notes, objections, reasons — which often name an illness or a disability
/// ([`Permission::ReadHealth`]).
fn withhold_narratives(v: &mut CaseView) {
    let w = || WITHHELD.to_owned();
    for e in &mut v.history {
        if !e.note.is_empty() {
            e.note = w();
        }
    }
    for steps in std::iter::once(&mut v.identification_steps).chain(v.elimination_steps.as_mut()) {
        if let Some(ver) = steps.verification.as_mut() {
            ver.note = w();
        }
    }
    for o in &mut v.objections {
        o.text = w();
    }
    if let Some(f) = v.fast_track.as_mut() {
        f.reason = w();
    }
    for r in &mut v.rollbacks {
        r.reason = w();
    }
    for visit in &mut v.visits {
        visit.findings = w();
    }
    if let Some(r) = v.refusal.as_mut() {
        *r = w();
    }
}

pub(super) async fn case_view(
    caller: &Caller,
    store: &Store,
    row: &CaseRow,
) -> ApiResult<CaseView> {
    let mut view = full_case_view(caller, store, row).await?;
    if !caller.role().may(Permission::ReadHealth) {
        withhold_narratives(&mut view);
    }
    Ok(view)
}

async fn full_case_view(caller: &Caller, store: &Store, row: &CaseRow) -> ApiResult<CaseView> {
    let today = input::today();
    let cfg = service::cases::deadlines(store, today).await?;
    let c: &Case = &row.case;
    let helpers = store
        .helpers_of(row.id)
        .await?
        .into_iter()
        .map(|h| HelperView {
            name: h.name,
            unit: h.unit,
            phone: h.phone_masked,
            since: h.since,
            ended_on: h.ended_on,
        })
        .collect();
    let visits: Vec<FollowUpVisit> = store
        .visits_of(row.household_id)
        .await?
        .into_iter()
        .filter(|v| v.case == Some(row.id))
        .map(|v| FollowUpVisit {
            on: v.on,
            visitor: v.visitor,
            findings: v.findings,
            risks: risk_labels(v.risks),
            income: v.income.map(|m| m.to_string()),
        })
        .collect();
    let awaiting = c.awaiting();
    Ok(CaseView {
        id: row.id,
        household_no: row.household_no.clone(),
        village: row.village.to_string(),
        lead_id: row.lead_id,
        version: row.version,
        household_type: c.household_type.label().to_owned(),
        state: c.state.label().to_owned(),
        stage_since: c.stage_since,
        first_clue_on: c.first_clue_on,
        due: due_date(c, &cfg),
        overdue: is_overdue(c, today, &cfg),
        awaiting: awaiting
            .iter()
            .map(|k| Awaited {
                step: k.label().to_owned(),
                levels: labels(who_may(*k, c.state)),
            })
            .collect(),
        yours: awaiting
            .iter()
            .filter(|k| caller.role().may_act(**k, c.state))
            .map(|k| k.label().to_owned())
            .collect(),
        identification_steps: (&c.ident).into(),
        elimination_steps: c.elim.as_ref().map(Into::into),
        identification: c.identification.as_ref().map(|i| IdentificationView {
            approved_on: i.approved_on,
            category: i.category.label().to_owned(),
            risks: risk_labels(i.risks),
            per_capita: i.per_capita.map(|m| m.to_string()),
            line: i.line.to_string(),
        }),
        fast_track: c.fast_track.as_ref().map(|f| FastTrackView {
            on: f.on,
            reason: f.reason.clone(),
            by: f.by.label().to_owned(),
        }),
        objections: c
            .objections
            .iter()
            .map(|o| ObjectionView {
                on: o.on,
                text: o.text.clone(),
                resolved_on: o.resolved_on,
            })
            .collect(),
        assistance_started_on: c.assistance_started_on,
        elimination_proposed_on: c.elim_proposed_on,
        eliminated_on: c.eliminated_on,
        refusal: c.refusal.clone(),
        rollbacks: c
            .rollbacks
            .iter()
            .map(|r| RollbackView {
                on: r.on,
                eliminated_on: r.eliminated_on,
                reason: r.reason.clone(),
            })
            .collect(),
        history: c.history.iter().map(Into::into).collect(),
        helpers,
        next_visit_due: follow_up_due(c, visits.first().map(|v| v.on), &cfg),
        visits,
    })
}
