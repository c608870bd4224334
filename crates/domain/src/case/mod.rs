//! 监测对象识别与风险消除 (the monitoring case procedure): the pure state machine that takes a
//! household from a lead to 已纳入监测 (monitored) and, later, through the risk-elimination
//! procedure to 风险已消除, with 回退 (rollback) of a premature elimination. No I/O: the
//! service layer loads a [`Case`], calls [`transition`], and stores the returned case and its
//! newest [`Event`] in one transaction.
//!
//! Evidence tags follow docs/domain.md §0: [N] national, [P:xx] provincial/local practice,
//! [I] inferred design choice.
//!
//! Shape of the model:
//! - one [`CaseState`] per stage of the procedure (docs/domain.md §6.2, §8.2, §8.4);
//! - the three steps that may run side by side before 民主评议 — 入户核实, 农户承诺授权,
//!   信息比对 — are *data* on the case ([`Steps`]), not states, so no state explosion;
//! - who may do what is one table, [`who_may`], keyed by action and stage (docs/domain.md §6.1a);
//! - [`transition`] is the only way to change a case; a refused action returns an error and
//!   the caller's case is untouched (it is borrowed, never mutated).
//!
//! Batches (several households of one village reviewed and publicised together, issue 4
//! item 2) are the service's business: it applies the same action to each case.

mod deadlines;
mod forms;
#[cfg(test)]
mod tests;

pub use forms::{Attachment, Consent, Verification};

pub use deadlines::{
    DayCount, Deadlines, Span, WorkCalendar, due_date, follow_up_due, is_overdue, publicity_ends,
};

use crate::FieldError;
use crate::enums::HouseholdType;
use crate::money::Money;
use crate::monitoring::{Category, MAX_RISKS, RiskSet, fitting_category};
use crate::text::fold_width;
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

labelled_enum! {
    /// 案件环节 (stage of a monitoring case). Each value names the step that must happen
    /// next. Codes 1–9 are identification (识别纳入), 11–19 elimination (风险消除), 21+ closed.
    CaseState, "案件环节" {
        /// 入户核实 (verification). Also the stage in which 农户承诺授权 (consent) and
        /// 信息比对 (comparison) are recorded, in any order, as [`Steps`] data [N].
        Verifying = 1: "入户核实",
        /// 民主评议 (democratic review) awaited: verification, consent and comparison done.
        Review = 2: "民主评议",
        /// 村级公示 (village publicity): to be posted, or posted and running ≥ N days.
        Publicity = 3: "村级公示",
        /// 乡镇初审 (township review) awaited: publicity ended without open objection.
        TownshipReview = 4: "乡镇初审",
        /// 县级审定 (county approval) awaited.
        CountyApproval = 5: "县级审定",
        /// 已纳入监测 (monitored; assistance under way).
        Monitored = 6: "已纳入监测",
        /// 风险消除·入户核实 (elimination verification).
        ElimVerifying = 11: "风险消除入户核实",
        /// 风险消除·民主评议 (elimination review).
        ElimReview = 12: "风险消除民主评议",
        /// 风险消除·村级公示 (elimination publicity).
        ElimPublicity = 13: "风险消除公示",
        /// 风险消除·乡镇审核 (township check, 验收).
        ElimTownship = 14: "风险消除乡镇审核",
        /// 风险消除·县级审定 (county approval of the elimination).
        ElimCounty = 15: "风险消除县级审定",
        /// 风险已消除 (eliminated; the household stays under routine watch, §8.2).
        Eliminated = 16: "风险已消除",
        /// 不予纳入 (not included; the reason is on [`Case::refusal`]).
        NotIncluded = 21: "不予纳入",
    }
}

impl CaseState {
    /// A stage of the identification procedure (before the county decision).
    pub fn is_identifying(self) -> bool {
        matches!(
            self,
            CaseState::Verifying
                | CaseState::Review
                | CaseState::Publicity
                | CaseState::TownshipReview
                | CaseState::CountyApproval
        )
    }

    /// The case is still being handled: not yet 风险已消除 nor 不予纳入. A household has at
    /// most one open case.
    pub fn is_open(self) -> bool {
        !matches!(self, CaseState::Eliminated | CaseState::NotIncluded)
    }

    /// A stage of the elimination procedure.
    pub fn is_eliminating(self) -> bool {
        matches!(
            self,
            CaseState::ElimVerifying
                | CaseState::ElimReview
                | CaseState::ElimPublicity
                | CaseState::ElimTownship
                | CaseState::ElimCounty
        )
    }
}

labelled_enum! {
    /// 办理层级 (administrative level of the person acting), docs/domain.md §6.1a.
    Level, "办理层级" {
        /// 村级: 村两委, 驻村工作队, 帮扶责任人, 村级监测员.
        Village = 1: "村级" | "村",
        /// 乡镇: 乡村振兴办/农业农村办.
        Township = 2: "乡镇" | "乡镇级",
        /// 县级: 县农业农村局 (乡村振兴局) and the departments it coordinates.
        County = 3: "县级" | "县",
    }
}

/// 经办人 (the person acting): their level decides what they may do; the name is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub level: Level,
    pub name: String,
}

impl Actor {
    pub fn new(level: Level, name: impl Into<String>) -> Self {
        Self {
            level,
            name: name.into(),
        }
    }
}

labelled_enum! {
    /// 办理事项 (kind of action), stored with every [`Event`].
    ActionKind, "办理事项" {
        Open = 1: "立案",
        Verify = 2: "入户核实",
        Consent = 3: "农户承诺授权",
        Compare = 4: "信息比对",
        Review = 5: "民主评议",
        StartPublicity = 6: "张贴公示",
        Objection = 7: "公示异议",
        ClosePublicity = 8: "公示期满",
        TownshipReview = 9: "乡镇初审",
        ApproveIdentification = 10: "县级审定纳入",
        SendBack = 11: "退回重新评议",
        Refuse = 12: "不予通过",
        FastTrack = 13: "先帮扶后认定",
        StartAssistance = 14: "开始帮扶",
        ProposeElimination = 15: "提出风险消除",
        ApproveElimination = 16: "县级审定风险消除",
        Rollback = 17: "风险消除回退",
    }
}

/// 评议/审核结果 (outcome of a review).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// 同意.
    Agreed,
    /// 不同意, with a reason the household can be told.
    NotAgreed { reason: String },
}

/// 办理动作 (an action on a case). `on` is the date the step took place (it may be entered a
/// few days later, as villages often do); it may not be in the future nor before the
/// previous recorded step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// 入户核实: the verification form is filled in (identification or elimination).
    Verify { on: NaiveDate, form: Verification },
    /// 农户承诺授权: the household signed the 承诺授权(查询)书.
    Consent { on: NaiveDate, consent: Consent },
    /// 信息比对: departmental data compared; findings summarised.
    Compare { on: NaiveDate, findings: String },
    /// 民主评议: meeting held.
    Review {
        on: NaiveDate,
        participants: String,
        minutes: String,
        outcome: Outcome,
    },
    /// 张贴公示: the village notice is posted.
    StartPublicity { on: NaiveDate },
    /// 公示异议: an objection was raised; the case goes back to review (or to
    /// verification when `reverify`, because the facts themselves are disputed).
    Objection {
        on: NaiveDate,
        text: String,
        reverify: bool,
    },
    /// 公示期满无异议: the notice ran its full term; the village reports to the township.
    ClosePublicity { on: NaiveDate },
    /// 乡镇初审 (identification) or 乡镇审核验收 (elimination).
    TownshipReview {
        on: NaiveDate,
        note: String,
        outcome: Outcome,
    },
    /// 县级审定 of an identification, with the figures the decision rests on.
    ApproveIdentification {
        on: NaiveDate,
        category: Category,
        risks: RiskSet,
        /// 家庭人均纯收入 used; `None` when not assessable (only a shock then qualifies).
        per_capita: Option<Money>,
        /// 监测范围 (monitoring line) of the year used.
        line: Money,
        /// 刚性支出较大或收入大幅缩减 (a sudden shock), the test for 突发严重困难户.
        sudden_shock: bool,
    },
    /// 县级审定 of an elimination.
    ApproveElimination { on: NaiveDate, note: String },
    /// 退回: the township or county returns the case to the village for a new review.
    SendBack { on: NaiveDate, reason: String },
    /// 不予纳入 / 不予消除: refusal at the current step, with a reason for the household.
    Refuse { on: NaiveDate, reason: String },
    /// 绿色通道 (先帮扶后认定): measures may start before the county decision.
    FastTrack { on: NaiveDate, reason: String },
    /// 开始帮扶: the first measure started.
    StartAssistance { on: NaiveDate },
    /// 提出风险消除: the village proposes the household for elimination.
    ProposeElimination {
        on: NaiveDate,
        note: String,
        /// 整户无劳动能力 (兜底保障): blocks elimination [N].
        whole_household_no_labour: bool,
    },
    /// 风险消除回退: a premature elimination is reversed.
    Rollback { on: NaiveDate, reason: String },
}

impl Action {
    pub fn kind(&self) -> ActionKind {
        match self {
            Action::Verify { .. } => ActionKind::Verify,
            Action::Consent { .. } => ActionKind::Consent,
            Action::Compare { .. } => ActionKind::Compare,
            Action::Review { .. } => ActionKind::Review,
            Action::StartPublicity { .. } => ActionKind::StartPublicity,
            Action::Objection { .. } => ActionKind::Objection,
            Action::ClosePublicity { .. } => ActionKind::ClosePublicity,
            Action::TownshipReview { .. } => ActionKind::TownshipReview,
            Action::ApproveIdentification { .. } => ActionKind::ApproveIdentification,
            Action::ApproveElimination { .. } => ActionKind::ApproveElimination,
            Action::SendBack { .. } => ActionKind::SendBack,
            Action::Refuse { .. } => ActionKind::Refuse,
            Action::FastTrack { .. } => ActionKind::FastTrack,
            Action::StartAssistance { .. } => ActionKind::StartAssistance,
            Action::ProposeElimination { .. } => ActionKind::ProposeElimination,
            Action::Rollback { .. } => ActionKind::Rollback,
        }
    }

    /// The date the step took place.
    pub fn on(&self) -> NaiveDate {
        match self {
            Action::Verify { on, .. }
            | Action::Consent { on, .. }
            | Action::Compare { on, .. }
            | Action::Review { on, .. }
            | Action::StartPublicity { on }
            | Action::Objection { on, .. }
            | Action::ClosePublicity { on }
            | Action::TownshipReview { on, .. }
            | Action::ApproveIdentification { on, .. }
            | Action::ApproveElimination { on, .. }
            | Action::SendBack { on, .. }
            | Action::Refuse { on, .. }
            | Action::FastTrack { on, .. }
            | Action::StartAssistance { on }
            | Action::ProposeElimination { on, .. }
            | Action::Rollback { on, .. } => *on,
        }
    }
}

/// The mandatory steps of one procedure (identification, or one elimination round), with
/// the date each was done. Cleared again when an objection or a send-back reopens them, so
/// what is recorded is always the round that counts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Steps {
    /// 入户核实.
    pub verified_on: Option<NaiveDate>,
    /// 入户核实表 of that verification.
    #[serde(default)]
    pub verification: Option<Verification>,
    /// 农户承诺授权 (identification only).
    pub consent_on: Option<NaiveDate>,
    /// The signed consent.
    #[serde(default)]
    pub consent: Option<Consent>,
    /// 信息比对 (identification only).
    pub compared_on: Option<NaiveDate>,
    /// 民主评议 (agreed).
    pub reviewed_on: Option<NaiveDate>,
    /// 公示张贴日.
    pub publicity_from: Option<NaiveDate>,
    /// 公示期满日 (closed without open objection).
    pub publicity_closed_on: Option<NaiveDate>,
    /// 乡镇初审/审核 (agreed).
    pub township_on: Option<NaiveDate>,
}

impl Steps {
    /// The steps that must precede 民主评议 and are still missing, as their labels.
    /// Identification needs all three [N]; elimination only 入户核实 [N §8.2].
    pub fn missing_before_review(&self, identification: bool) -> Vec<&'static str> {
        let mut m = Vec::new();
        if self.verified_on.is_none() {
            m.push("入户核实");
        }
        if identification {
            if self.consent_on.is_none() {
                m.push("农户承诺授权");
            }
            if self.compared_on.is_none() {
                m.push("信息比对");
            }
        }
        m
    }

    /// Every mandatory step up to and including 乡镇初审 that is still missing.
    pub fn missing_before_county(&self, identification: bool) -> Vec<&'static str> {
        let mut m = self.missing_before_review(identification);
        for (done, label) in [
            (self.reviewed_on, "民主评议"),
            (self.publicity_from, "村级公示"),
            (self.publicity_closed_on, "公示期满"),
            (self.township_on, "乡镇初审"),
        ] {
            if done.is_none() {
                m.push(label);
            }
        }
        m
    }

    /// Reopens review and everything after it.
    fn reopen_review(&mut self) {
        self.reviewed_on = None;
        self.publicity_from = None;
        self.publicity_closed_on = None;
        self.township_on = None;
    }
}

/// 公示异议 (an objection raised during publicity).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Objection {
    pub on: NaiveDate,
    pub text: String,
    /// The date of the re-review that dealt with it.
    pub resolved_on: Option<NaiveDate>,
}

/// 绿色通道 (fast track) granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FastTrack {
    pub on: NaiveDate,
    pub reason: String,
    pub by: Level,
}

/// 认定结果 (the county's identification decision and the figures it rests on; docs/domain.md
/// §15: "store the line and year used by every assessment").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identification {
    pub approved_on: NaiveDate,
    pub category: Category,
    pub risks: RiskSet,
    pub per_capita: Option<Money>,
    pub line: Money,
}

/// 风险消除回退 record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollback {
    pub on: NaiveDate,
    pub eliminated_on: NaiveDate,
    pub reason: String,
}

/// 办理记录 (one recorded transition): who, when, from which stage, to which, with what note
/// (issue 4 item 7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub kind: ActionKind,
    pub from: Option<CaseState>,
    pub to: CaseState,
    pub actor: Actor,
    /// Date of the step.
    pub on: NaiveDate,
    /// Date it was entered.
    pub recorded_on: NaiveDate,
    pub note: String,
}

/// 监测案件 (one monitoring case of one household). A household may own several over time:
/// a new risk after a valid elimination opens a new case (docs/domain.md §8.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    pub household_type: HouseholdType,
    pub state: CaseState,
    /// 发现线索日 (申报/排查/预警): the 15-day clock starts here [N].
    pub first_clue_on: NaiveDate,
    /// When the current stage was entered (for per-stage time limits).
    pub stage_since: NaiveDate,
    pub fast_track: Option<FastTrack>,
    /// Steps of the identification procedure.
    pub ident: Steps,
    /// Steps of the current (or last approved) elimination round.
    pub elim: Option<Steps>,
    pub elim_proposed_on: Option<NaiveDate>,
    pub objections: Vec<Objection>,
    pub identification: Option<Identification>,
    pub assistance_started_on: Option<NaiveDate>,
    pub eliminated_on: Option<NaiveDate>,
    /// 不予纳入的理由 (reason to tell the household).
    pub refusal: Option<String>,
    pub rollbacks: Vec<Rollback>,
    pub history: Vec<Event>,
}

/// 办理错误: why an action was refused, in words a clerk understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("案件当前处于“{state}”环节，不能办理“{action}”")]
    NotNow {
        action: ActionKind,
        state: CaseState,
    },
    #[error("“{action}”应由{allowed}办理，{actor}无权办理")]
    WrongLevel {
        action: ActionKind,
        actor: Level,
        allowed: String,
    },
    #[error("“{0}”已登记，无需重复办理")]
    AlreadyDone(&'static str),
    #[error("尚未完成：{}，不能办理“{action}”", missing.join("、"))]
    StepsMissing {
        action: ActionKind,
        missing: Vec<&'static str>,
    },
    #[error("须填写{0}，以便向农户说明")]
    Required(&'static str),
    #[error("{form}填写有误：{}", problems.join("；"))]
    Form {
        form: &'static str,
        problems: Vec<String>,
    },
    #[error("办理日期{on}晚于今天（{today}），不能预先登记")]
    FutureDate { on: NaiveDate, today: NaiveDate },
    #[error("办理日期{on}早于上一步的日期{previous}")]
    BeforePrevious { on: NaiveDate, previous: NaiveDate },
    #[error("公示自{from}起须满规定天数，{earliest}起方可结束公示")]
    PublicityTooShort {
        from: NaiveDate,
        earliest: NaiveDate,
    },
    #[error("公示尚未张贴，不能登记异议或结束公示")]
    PublicityNotPosted,
    #[error("尚有未处理的公示异议，须重新评议后再上报")]
    UnresolvedObjection,
    #[error("所选类别“{chosen}”与户类型和收入不符{}", fitting.map(|c| format!("，应为“{c}”")).unwrap_or_else(|| "，按现有收入和情况不属于任何监测类别".into()))]
    CategoryMismatch {
        chosen: Category,
        fitting: Option<Category>,
    },
    #[error("风险类型须为1至{max}项，现为{n}项", max = MAX_RISKS)]
    RiskCount { n: usize },
    #[error("未开通绿色通道（先帮扶后认定）的案件，须经县级审定纳入后才能开始帮扶")]
    AssistanceBeforeApproval,
    #[error("纳入监测未满{months}个月，{earliest}前不能提出风险消除")]
    TooEarlyToEliminate { months: u32, earliest: NaiveDate },
    #[error("尚未落实任何帮扶措施，不能提出风险消除")]
    NoAssistance,
    #[error("整户无劳动能力的兜底保障户暂不标注风险消除，应继续跟踪监测")]
    NoLabour,
    #[error("发现线索日期{first_clue_on}晚于今天（{today}）")]
    ClueInFuture {
        first_clue_on: NaiveDate,
        today: NaiveDate,
    },
}

const VILLAGE: &[Level] = &[Level::Village];
const TOWNSHIP: &[Level] = &[Level::Township];
const COUNTY: &[Level] = &[Level::County];
const VILLAGE_TOWNSHIP: &[Level] = &[Level::Village, Level::Township];
const VILLAGE_COUNTY: &[Level] = &[Level::Village, Level::County];
const TOWNSHIP_COUNTY: &[Level] = &[Level::Township, Level::County];
const ANY: &[Level] = &[Level::Village, Level::Township, Level::County];

/// 权限表: which levels may take an action at a stage (docs/domain.md §6.1a). Public so that pages
/// and to-do lists (待办) show each level only what it may do.
pub fn who_may(kind: ActionKind, state: CaseState) -> &'static [Level] {
    use CaseState as S;
    match kind {
        // [I] Leads reach a case from the village (triage), the township (online
        // declarations and pushed department warnings) or the county: any level may open.
        ActionKind::Open => ANY,
        // [N] The village does home verification, collects the signed 承诺授权书, organises
        // 民主评议 and the village 公示, and proposes eliminations.
        ActionKind::Verify
        | ActionKind::Consent
        | ActionKind::Review
        | ActionKind::StartPublicity
        | ActionKind::ClosePublicity
        | ActionKind::ProposeElimination => VILLAGE,
        // [N] 信息比对 is run by the county with 财政, 公安, 住建, 市场监管, 人社 … (some
        // provinces delegate it [P]; widen here if a province does).
        ActionKind::Compare => COUNTY,
        // [I] An objection may be lodged with the village or the township; either records it.
        ActionKind::Objection => VILLAGE_TOWNSHIP,
        // [N] 乡镇初审/审核.
        ActionKind::TownshipReview => TOWNSHIP,
        // [N] 县级审定 of both procedures. [I] Rollback reverses a county decision, so only
        // the county may order it.
        ActionKind::ApproveIdentification
        | ActionKind::ApproveElimination
        | ActionKind::Rollback => COUNTY,
        // [I] Returning a case belongs to whoever holds it at that step.
        ActionKind::SendBack => match state {
            S::TownshipReview | S::ElimTownship => TOWNSHIP,
            _ => COUNTY,
        },
        // [I] Refusal belongs to the level that holds the current step; the county, as the
        // deciding authority, may refuse at any step (its comparison findings — a company,
        // a car, a public-sector job — often end a case while the village is still verifying).
        ActionKind::Refuse => match state {
            S::Verifying
            | S::Review
            | S::Publicity
            | S::ElimVerifying
            | S::ElimReview
            | S::ElimPublicity => VILLAGE_COUNTY,
            S::TownshipReview | S::ElimTownship => TOWNSHIP_COUNTY,
            _ => COUNTY,
        },
        // [I] The fast track commits public money before the county decides, so the village
        // proposes it and the township or county grants it.
        ActionKind::FastTrack => TOWNSHIP_COUNTY,
        // [N skeleton] Measures are coordinated by the township, assigned through county
        // departments and followed by the village: any level records the start.
        ActionKind::StartAssistance => ANY,
    }
}

impl Case {
    /// 立案: opens an identification case from a lead (线索) first found on `first_clue_on`.
    pub fn open(
        household_type: HouseholdType,
        first_clue_on: NaiveDate,
        actor: &Actor,
        today: NaiveDate,
    ) -> Result<Case, WorkflowError> {
        if first_clue_on > today {
            return Err(WorkflowError::ClueInFuture {
                first_clue_on,
                today,
            });
        }
        Ok(Case {
            household_type,
            state: CaseState::Verifying,
            first_clue_on,
            stage_since: today,
            fast_track: None,
            ident: Steps::default(),
            elim: None,
            elim_proposed_on: None,
            objections: Vec::new(),
            identification: None,
            assistance_started_on: None,
            eliminated_on: None,
            refusal: None,
            rollbacks: Vec::new(),
            history: vec![Event {
                kind: ActionKind::Open,
                from: None,
                to: CaseState::Verifying,
                actor: actor.clone(),
                on: today,
                recorded_on: today,
                note: String::new(),
            }],
        })
    }

    /// Date of the latest recorded step (no later step may be dated before it).
    pub fn last_on(&self) -> NaiveDate {
        self.history
            .last()
            .map(|e| e.on)
            .unwrap_or(self.first_clue_on)
    }

    /// Whether assistance measures may be recorded now: after approval, or before it on
    /// the fast track (先帮扶后认定, docs/domain.md §6.4).
    pub fn may_assist(&self) -> bool {
        match self.state {
            CaseState::NotIncluded => false,
            s if s.is_identifying() => self.fast_track.is_some(),
            _ => true,
        }
    }

    /// 待办事项: the steps the case is waiting for, in procedure order. Combined with
    /// [`who_may`] it tells each level what is on its desk. The side steps any stage allows
    /// (refusal, send-back, objection, fast track) are not listed: nothing waits for them.
    pub fn awaiting(&self) -> Vec<ActionKind> {
        use ActionKind as K;
        use CaseState as S;
        let steps = if self.state.is_eliminating() {
            self.elim.as_ref()
        } else {
            Some(&self.ident)
        };
        let posted = steps.is_some_and(|s| s.publicity_from.is_some());
        match self.state {
            S::Verifying => {
                let s = &self.ident;
                [
                    (s.verified_on, K::Verify),
                    (s.consent_on, K::Consent),
                    (s.compared_on, K::Compare),
                ]
                .into_iter()
                .filter(|(done, _)| done.is_none())
                .map(|(_, k)| k)
                .collect()
            }
            S::ElimVerifying => vec![K::Verify],
            S::Review | S::ElimReview => vec![K::Review],
            S::Publicity | S::ElimPublicity if posted => vec![K::ClosePublicity],
            S::Publicity | S::ElimPublicity => vec![K::StartPublicity],
            S::TownshipReview | S::ElimTownship => vec![K::TownshipReview],
            S::CountyApproval => vec![K::ApproveIdentification],
            S::ElimCounty => vec![K::ApproveElimination],
            S::Monitored if self.assistance_started_on.is_none() => vec![K::StartAssistance],
            S::Monitored | S::Eliminated | S::NotIncluded => Vec::new(),
        }
    }

    /// The levels that have something to do on this case now (see [`Case::awaiting`]).
    pub fn awaiting_levels(&self) -> Vec<Level> {
        let mut levels: Vec<Level> = self
            .awaiting()
            .into_iter()
            .flat_map(|k| who_may(k, self.state).iter().copied())
            .collect();
        levels.sort_by_key(|l| l.code());
        levels.dedup();
        levels
    }

    /// Consistency problems of a case (empty for every case [`transition`] can produce).
    /// The store may run it on load; the property tests run it after every step.
    pub fn problems(&self, cfg: &Deadlines) -> Vec<String> {
        use CaseState as S;
        let mut p = Vec::new();
        let mut need = |ok: bool, what: &str| {
            if !ok {
                p.push(what.to_string());
            }
        };
        let i = &self.ident;
        let ident_done = i.missing_before_county(true).is_empty();
        match self.state {
            S::Verifying => need(
                !i.missing_before_review(true).is_empty() && i.reviewed_on.is_none(),
                "核实阶段不应已评议或三项均已完成",
            ),
            S::Review => need(
                i.missing_before_review(true).is_empty() && i.reviewed_on.is_none(),
                "待评议须已完成核实、授权、比对",
            ),
            S::Publicity => need(
                i.reviewed_on.is_some() && i.publicity_closed_on.is_none(),
                "公示阶段须已评议且未结束公示",
            ),
            S::TownshipReview => need(
                i.publicity_closed_on.is_some() && i.township_on.is_none(),
                "待乡镇初审须已结束公示",
            ),
            S::CountyApproval => need(
                ident_done && self.identification.is_none(),
                "待县级审定须已完成全部前置环节",
            ),
            S::NotIncluded => need(
                self.refusal.is_some() && self.identification.is_none(),
                "不予纳入须有理由且未认定",
            ),
            S::Monitored
            | S::ElimVerifying
            | S::ElimReview
            | S::ElimPublicity
            | S::ElimTownship
            | S::ElimCounty
            | S::Eliminated => {
                need(ident_done, "已纳入监测的案件缺少必经环节");
                need(
                    self.identification.is_some(),
                    "已纳入监测的案件缺少审定结果",
                );
                // An elimination objection is open until its re-review.
                if !matches!(self.state, S::ElimVerifying | S::ElimReview) {
                    need(
                        self.objections.iter().all(|o| o.resolved_on.is_some()),
                        "纳入后仍有未处理的异议",
                    );
                }
            }
        }
        if let Some(id) = &self.identification {
            need(
                (1..=MAX_RISKS).contains(&id.risks.len()),
                "风险类型须为1至5项",
            );
            need(
                fitting_category(self.household_type, id.per_capita, id.line, true).is_some(),
                "类别与收入不符",
            );
        }
        let e = self.elim.as_ref();
        match self.state {
            S::ElimVerifying => need(e.is_some_and(|e| e.verified_on.is_none()), "消除核实"),
            S::ElimReview => need(
                e.is_some_and(|e| e.verified_on.is_some() && e.reviewed_on.is_none()),
                "消除评议须已核实",
            ),
            S::ElimPublicity => need(
                e.is_some_and(|e| e.reviewed_on.is_some() && e.publicity_closed_on.is_none()),
                "消除公示须已评议",
            ),
            S::ElimTownship => need(
                e.is_some_and(|e| e.publicity_closed_on.is_some() && e.township_on.is_none()),
                "消除乡镇审核须已公示期满",
            ),
            S::ElimCounty | S::Eliminated => need(
                e.is_some_and(|e| e.missing_before_county(false).is_empty()),
                "消除审定须已完成全部前置环节",
            ),
            _ => need(e.is_none(), "不在消除程序中却有消除记录"),
        }
        need(
            (self.state == S::Eliminated) == self.eliminated_on.is_some(),
            "风险消除日期与状态不符",
        );
        // Publicity ran its full term and the dates follow the order of the steps.
        for s in std::iter::once(i).chain(e) {
            if let (Some(from), Some(closed)) = (s.publicity_from, s.publicity_closed_on) {
                need(closed >= cfg.publicity_end(from), "公示未满规定天数");
            }
            let before = [s.verified_on, s.consent_on, s.compared_on];
            if let Some(r) = s.reviewed_on {
                need(before.iter().flatten().all(|d| *d <= r), "评议早于核实");
            }
        }
        if self.assistance_started_on.is_some() {
            need(
                self.fast_track.is_some() || self.identification.is_some(),
                "未认定且未走绿色通道却已帮扶",
            );
        }
        need(
            self.history.last().map(|e| e.to) == Some(self.state),
            "办理记录与当前环节不符",
        );
        need(
            self.history.windows(2).all(|w| w[0].on <= w[1].on),
            "办理记录日期倒序",
        );
        p
    }
}

/// 办理: applies one action by one actor on `today`, returning the updated case (its newest
/// [`Event`] describes the change) or the reason it is refused. The input case is never
/// changed. `cfg` supplies the configurable periods (publicity ≥ 5 days by default, 6 months
/// before elimination).
pub fn transition(
    case: &Case,
    action: Action,
    actor: &Actor,
    today: NaiveDate,
    cfg: &Deadlines,
) -> Result<Case, WorkflowError> {
    use CaseState as S;
    let kind = action.kind();
    let from = case.state;
    let not_now = || WorkflowError::NotNow {
        action: kind,
        state: from,
    };
    if from == S::NotIncluded {
        return Err(not_now());
    }
    let allowed = who_may(kind, from);
    if !allowed.contains(&actor.level) {
        return Err(WorkflowError::WrongLevel {
            action: kind,
            actor: actor.level,
            allowed: allowed
                .iter()
                .map(|l| l.label())
                .collect::<Vec<_>>()
                .join("或"),
        });
    }
    let on = action.on();
    if on > today {
        return Err(WorkflowError::FutureDate { on, today });
    }
    if on < case.last_on() {
        return Err(WorkflowError::BeforePrevious {
            on,
            previous: case.last_on(),
        });
    }

    let mut next = case.clone();
    let identifying = from.is_identifying();
    let eliminating = from.is_eliminating();
    // The steps of the procedure in progress, if any.
    fn steps(c: &mut Case) -> &mut Steps {
        if c.state.is_eliminating() {
            c.elim.get_or_insert_with(Steps::default)
        } else {
            &mut c.ident
        }
    }

    let (to, note): (CaseState, String) = match action {
        Action::Verify { on, form } => {
            if !identifying && !eliminating {
                return Err(not_now());
            }
            if (from != S::Verifying && from != S::ElimVerifying)
                || steps(&mut next).verified_on.is_some()
            {
                return Err(WorkflowError::AlreadyDone("入户核实"));
            }
            let problems = form.check();
            if !problems.is_empty() {
                return Err(WorkflowError::Form {
                    form: "入户核实表",
                    problems: problems.into_iter().map(|p| p.message).collect(),
                });
            }
            let note = form.summary();
            let st = steps(&mut next);
            st.verified_on = Some(on);
            st.verification = Some(form);
            (after_pre_review_step(&next), note)
        }
        Action::Consent { on, consent } => {
            // [N] Consent and comparison belong to identification; elimination mirrors only
            // verification, review, publicity, township, county (§8.2).
            if !identifying {
                return Err(not_now());
            }
            if from != S::Verifying || next.ident.consent_on.is_some() {
                return Err(WorkflowError::AlreadyDone("农户承诺授权"));
            }
            let missing: Vec<String> = [
                (consent.signed_by.trim().is_empty(), "须填写签字人"),
                (consent.queries.trim().is_empty(), "须填写授权查询事项"),
            ]
            .into_iter()
            .filter(|(empty, _)| *empty)
            .map(|(_, m)| m.to_owned())
            .collect();
            if !missing.is_empty() {
                return Err(WorkflowError::Form {
                    form: "承诺授权书",
                    problems: missing,
                });
            }
            let note = format!(
                "签字人：{}；授权查询：{}{}",
                consent.signed_by.trim(),
                consent.queries.trim(),
                consent
                    .attachment
                    .as_ref()
                    .map_or_else(String::new, |a| format!("；附件：{}", a.name))
            );
            next.ident.consent_on = Some(on);
            next.ident.consent = Some(consent);
            (after_pre_review_step(&next), note)
        }
        Action::Compare { on, findings } => {
            if !identifying {
                return Err(not_now());
            }
            if from != S::Verifying || next.ident.compared_on.is_some() {
                return Err(WorkflowError::AlreadyDone("信息比对"));
            }
            next.ident.compared_on = Some(on);
            (after_pre_review_step(&next), findings)
        }
        Action::Review {
            on,
            participants,
            minutes,
            outcome,
        } => {
            let (ok_state, publicity, id) = match from {
                S::Review => (true, S::Publicity, true),
                S::ElimReview => (true, S::ElimPublicity, false),
                S::Verifying | S::ElimVerifying => (false, from, from == S::Verifying),
                _ => return Err(not_now()),
            };
            if !ok_state {
                // [N] Review only after verification (and, for identification, consent
                // and comparison) — the parallel steps must all be done.
                return Err(WorkflowError::StepsMissing {
                    action: kind,
                    missing: steps(&mut next).missing_before_review(id),
                });
            }
            let note = format!("参加人员：{participants}；纪要：{minutes}");
            match outcome {
                Outcome::Agreed => {
                    steps(&mut next).reviewed_on = Some(on);
                    // The re-review deals with every objection raised so far.
                    for o in next
                        .objections
                        .iter_mut()
                        .filter(|o| o.resolved_on.is_none())
                    {
                        o.resolved_on = Some(on);
                    }
                    (publicity, note)
                }
                Outcome::NotAgreed { reason } => refuse(&mut next, on, reason)?,
            }
        }
        Action::StartPublicity { on } => {
            if from != S::Publicity && from != S::ElimPublicity {
                return Err(not_now());
            }
            let s = steps(&mut next);
            if s.publicity_from.is_some() {
                return Err(WorkflowError::AlreadyDone("张贴公示"));
            }
            s.publicity_from = Some(on);
            // [N] Publicise once, in the village only; §6.5 redaction is the notice module's.
            (from, String::new())
        }
        Action::Objection { on, text, reverify } => {
            if from != S::Publicity && from != S::ElimPublicity {
                return Err(not_now());
            }
            if text.trim().is_empty() {
                return Err(WorkflowError::Required("异议内容"));
            }
            let s = steps(&mut next);
            if s.publicity_from.is_none() {
                return Err(WorkflowError::PublicityNotPosted);
            }
            // [N] An objection sends the case back; the re-reviewed result must be
            // publicised afresh for a full term [I].
            s.reopen_review();
            if reverify {
                s.verified_on = None;
            }
            next.objections.push(Objection {
                on,
                text: text.clone(),
                resolved_on: None,
            });
            let to = match (from == S::Publicity, reverify) {
                (true, true) => S::Verifying,
                (true, false) => S::Review,
                (false, true) => S::ElimVerifying,
                (false, false) => S::ElimReview,
            };
            (to, text)
        }
        Action::ClosePublicity { on } => {
            if from != S::Publicity && from != S::ElimPublicity {
                return Err(not_now());
            }
            let Some(start) = steps(&mut next).publicity_from else {
                return Err(WorkflowError::PublicityNotPosted);
            };
            // [N] ≥ 5 days (configurable; some provinces count working days [P]).
            let earliest = cfg.publicity_end(start);
            if on < earliest {
                return Err(WorkflowError::PublicityTooShort {
                    from: start,
                    earliest,
                });
            }
            if next.objections.iter().any(|o| o.resolved_on.is_none()) {
                return Err(WorkflowError::UnresolvedObjection);
            }
            steps(&mut next).publicity_closed_on = Some(on);
            let to = if from == S::Publicity {
                S::TownshipReview
            } else {
                S::ElimTownship
            };
            (to, "公示期满无异议".into())
        }
        Action::TownshipReview { on, note, outcome } => {
            let county = match from {
                S::TownshipReview => S::CountyApproval,
                S::ElimTownship => S::ElimCounty,
                _ => return Err(not_now()),
            };
            match outcome {
                Outcome::Agreed => {
                    steps(&mut next).township_on = Some(on);
                    (county, note)
                }
                Outcome::NotAgreed { reason } => refuse(&mut next, on, reason)?,
            }
        }
        Action::ApproveIdentification {
            on,
            category,
            risks,
            per_capita,
            line,
            sudden_shock,
        } => {
            if from != S::CountyApproval {
                return Err(not_now());
            }
            // Defence in depth: the fast track never skips a step [N §6.4, I].
            let missing = next.ident.missing_before_county(true);
            if !missing.is_empty() {
                return Err(WorkflowError::StepsMissing {
                    action: kind,
                    missing,
                });
            }
            // [N] one to five risk types (the national system's 风险1..5).
            if !(1..=MAX_RISKS).contains(&risks.len()) {
                return Err(WorkflowError::RiskCount { n: risks.len() });
            }
            // [N + I] the category must fit the household type and income (§3).
            let fitting = fitting_category(case.household_type, per_capita, line, sudden_shock);
            if fitting != Some(category) {
                return Err(WorkflowError::CategoryMismatch {
                    chosen: category,
                    fitting,
                });
            }
            next.identification = Some(Identification {
                approved_on: on,
                category,
                risks,
                per_capita,
                line,
            });
            (
                S::Monitored,
                format!("{}；{}", category.label(), risks.label()),
            )
        }
        Action::ApproveElimination { on, note } => {
            if from != S::ElimCounty {
                return Err(not_now());
            }
            next.eliminated_on = Some(on);
            // [N] The record stays; monitoring continues through routine checks (§8.2).
            (S::Eliminated, note)
        }
        Action::SendBack { on: _, reason } => {
            let review = match from {
                S::TownshipReview | S::CountyApproval => S::Review,
                S::ElimTownship | S::ElimCounty => S::ElimReview,
                _ => return Err(not_now()),
            };
            if reason.trim().is_empty() {
                return Err(WorkflowError::Required("退回理由"));
            }
            steps(&mut next).reopen_review();
            (review, reason)
        }
        Action::Refuse { on, reason } => {
            if !identifying && !eliminating {
                return Err(not_now());
            }
            refuse(&mut next, on, reason)?
        }
        Action::FastTrack { on, reason } => {
            if !identifying {
                return Err(not_now());
            }
            if next.fast_track.is_some() {
                return Err(WorkflowError::AlreadyDone("先帮扶后认定"));
            }
            if reason.trim().is_empty() {
                return Err(WorkflowError::Required("开通绿色通道的理由"));
            }
            next.fast_track = Some(FastTrack {
                on,
                reason: reason.clone(),
                by: actor.level,
            });
            (from, reason)
        }
        Action::StartAssistance { on } => {
            if !case.may_assist() {
                return Err(if from == S::NotIncluded {
                    not_now()
                } else {
                    WorkflowError::AssistanceBeforeApproval
                });
            }
            if next.assistance_started_on.is_some() {
                return Err(WorkflowError::AlreadyDone("开始帮扶"));
            }
            next.assistance_started_on = Some(on);
            (from, String::new())
        }
        Action::ProposeElimination {
            on,
            note,
            whole_household_no_labour,
        } => {
            if from != S::Monitored {
                return Err(not_now());
            }
            // [N] No labour: after social protection, the mark is withheld (§8.1).
            if whole_household_no_labour {
                return Err(WorkflowError::NoLabour);
            }
            // [P:安徽 + V] at least one measure, and ≥ 6 months since identification.
            if next.assistance_started_on.is_none() {
                return Err(WorkflowError::NoAssistance);
            }
            let identified = next
                .identification
                .as_ref()
                .map(|i| i.approved_on)
                .unwrap_or(on);
            let months = cfg.min_months_before_elimination;
            let earliest = identified
                .checked_add_months(Months::new(months))
                .unwrap_or(NaiveDate::MAX);
            if on < earliest {
                return Err(WorkflowError::TooEarlyToEliminate { months, earliest });
            }
            next.elim = Some(Steps::default());
            next.elim_proposed_on = Some(on);
            (S::ElimVerifying, note)
        }
        Action::Rollback { on, reason } => {
            if from != S::Eliminated {
                return Err(not_now());
            }
            if reason.trim().is_empty() {
                return Err(WorkflowError::Required("回退理由"));
            }
            // [P:平顶山] back to assistance with the original identification date kept.
            next.rollbacks.push(Rollback {
                on,
                eliminated_on: next.eliminated_on.unwrap_or(on),
                reason: reason.clone(),
            });
            next.eliminated_on = None;
            next.elim = None;
            next.elim_proposed_on = None;
            (S::Monitored, reason)
        }
    };

    if to != from {
        next.stage_since = on;
    }
    next.state = to;
    next.history.push(Event {
        kind,
        from: Some(from),
        to,
        actor: actor.clone(),
        on,
        recorded_on: today,
        note,
    });
    Ok(next)
}

/// After one of the parallel steps: on to review once every one is done.
fn after_pre_review_step(c: &Case) -> CaseState {
    match c.state {
        CaseState::ElimVerifying => CaseState::ElimReview,
        _ if c.ident.missing_before_review(true).is_empty() => CaseState::Review,
        s => s,
    }
}

/// 不予纳入 (identification) or 不予消除 (elimination: the household stays monitored).
fn refuse(
    next: &mut Case,
    on: NaiveDate,
    reason: String,
) -> Result<(CaseState, String), WorkflowError> {
    if reason.trim().is_empty() {
        return Err(WorkflowError::Required("不予通过的理由"));
    }
    if next.state.is_eliminating() {
        next.elim = None;
        next.elim_proposed_on = None;
        // Objections of the failed round die with it.
        for o in next
            .objections
            .iter_mut()
            .filter(|o| o.resolved_on.is_none())
        {
            o.resolved_on = Some(on);
        }
        Ok((CaseState::Monitored, reason))
    } else {
        next.refusal = Some(reason.clone());
        Ok((CaseState::NotIncluded, reason))
    }
}
