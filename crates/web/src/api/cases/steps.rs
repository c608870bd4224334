//! 办理事项 as a request: one tagged JSON object per step (`"step": "verify"` …), named as
//! on the command line, turned into a `domain::case::Action` by `TryFrom`, which lists every
//! missing or unreadable field in Chinese at once. Whether the step is allowed is not
//! decided here.

use super::input::{self, Yuan, label, money, refuse_problems, risks};
use crate::error::{ApiError, ApiResult};
use chrono::NaiveDate;
use domain::case::{Action, Consent, Outcome, Verification};
use domain::monitoring::Category;
use domain::{HousingSafety, WaterSafety};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// 办理事项: one step of the procedure, named by `step` (as on the command line).
/// `on` is the day the step took place (today when left out). Amounts are yuan, as a
/// string or a number; enumerations are their Chinese labels.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum StepRequest {
    /// 入户核实, with the 入户核实表.
    Verify(VerifyStep),
    /// 农户承诺授权.
    Consent {
        #[serde(default = "input::today")]
        on: NaiveDate,
        /// 签字人.
        #[serde(default)]
        signed_by: String,
        /// 授权查询事项.
        #[serde(default)]
        queries: String,
    },
    /// 信息比对 (县级).
    Compare {
        #[serde(default = "input::today")]
        on: NaiveDate,
        /// 比对结果.
        #[serde(default)]
        findings: String,
    },
    /// 民主评议.
    Review {
        #[serde(default = "input::today")]
        on: NaiveDate,
        /// 参加人员.
        #[serde(default)]
        participants: String,
        /// 评议纪要.
        #[serde(default)]
        minutes: String,
        /// 同意（默认）或 不同意.
        outcome: Option<String>,
        /// 不同意的理由.
        reason: Option<String>,
    },
    /// 张贴公示.
    Publicity {
        #[serde(default = "input::today")]
        on: NaiveDate,
    },
    /// 公示异议: back to review, or to verification with `reverify`.
    Objection {
        #[serde(default = "input::today")]
        on: NaiveDate,
        /// 异议内容.
        #[serde(default)]
        text: String,
        #[serde(default)]
        reverify: bool,
    },
    /// 公示期满.
    ClosePublicity {
        #[serde(default = "input::today")]
        on: NaiveDate,
    },
    /// 乡镇初审 / 审核.
    Township {
        #[serde(default = "input::today")]
        on: NaiveDate,
        #[serde(default)]
        note: String,
        /// 同意（默认）或 不同意.
        outcome: Option<String>,
        /// 不同意的理由.
        reason: Option<String>,
    },
    /// 县级审定纳入 (县级审定 only).
    Approve(ApproveStep),
    /// 县级审定风险消除 (县级审定 only).
    ApproveElimination {
        #[serde(default = "input::today")]
        on: NaiveDate,
        #[serde(default)]
        note: String,
    },
    /// 退回重新评议.
    SendBack {
        #[serde(default = "input::today")]
        on: NaiveDate,
        #[serde(default)]
        reason: String,
    },
    /// 不予通过.
    Refuse {
        #[serde(default = "input::today")]
        on: NaiveDate,
        #[serde(default)]
        reason: String,
    },
    /// 先帮扶后认定.
    FastTrack {
        #[serde(default = "input::today")]
        on: NaiveDate,
        #[serde(default)]
        reason: String,
    },
    /// 开始帮扶.
    Assist {
        #[serde(default = "input::today")]
        on: NaiveDate,
    },
    /// 提出风险消除.
    ProposeElimination {
        #[serde(default = "input::today")]
        on: NaiveDate,
        #[serde(default)]
        note: String,
        /// 整户无劳动能力.
        #[serde(default)]
        no_labour: bool,
    },
    /// 风险消除回退 (县级审定 only).
    Rollback {
        #[serde(default = "input::today")]
        on: NaiveDate,
        #[serde(default)]
        reason: String,
    },
}

/// 入户核实 with the 入户核实表 (the verification form).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct VerifyStep {
    #[serde(default = "input::today")]
    pub on: NaiveDate,
    /// 共同生活人数.
    pub members: Option<u32>,
    /// 近12个月家庭纯收入（元）.
    pub income: Option<Yuan>,
    /// 近12个月刚性支出（元，默认 0）.
    pub rigid: Option<Yuan>,
    /// 住房安全: 安全, A级, B级, C级, D级 …
    pub housing: Option<String>,
    /// 饮水安全: 安全 / 不安全.
    pub water: Option<String>,
    /// 有成员未参加基本医疗保险.
    #[serde(default)]
    pub uninsured: bool,
    /// 有义务教育阶段失学辍学.
    #[serde(default)]
    pub dropout: bool,
    /// 有劳动能力人数.
    pub labour: Option<u32>,
    #[serde(default)]
    pub note: String,
}

impl VerifyStep {
    fn action(self, problems: &mut Vec<String>) -> Option<Action> {
        let members = need(self.members, "members（共同生活人数）", problems);
        let income = need(
            self.income.as_ref(),
            "income（近12个月家庭纯收入）",
            problems,
        )
        .and_then(|y| y.money("近12个月家庭纯收入", problems));
        let rigid = match &self.rigid {
            None => Some(domain::Money::ZERO),
            Some(y) => y.money("近12个月刚性支出", problems),
        };
        let housing = need(self.housing, "housing（住房安全）", problems)
            .and_then(|h| label::<HousingSafety>(&h, problems));
        let water = need(self.water, "water（饮水安全）", problems)
            .and_then(|w| label::<WaterSafety>(&w, problems));
        let labour = need(self.labour, "labour（有劳动能力人数）", problems);
        Some(Action::Verify {
            on: self.on,
            form: Verification {
                members: members?,
                net_income_12m: income?,
                rigid_spending_12m: rigid?,
                housing: housing?,
                water: water?,
                all_insured: !self.uninsured,
                schooling_secured: !self.dropout,
                labour_members: labour?,
                note: self.note,
            },
        })
    }
}

/// 县级审定纳入 with the figures the decision rests on.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ApproveStep {
    #[serde(default = "input::today")]
    pub on: NaiveDate,
    /// 监测对象类别: 脱贫不稳定户, 边缘易致贫户, 突发严重困难户.
    pub category: Option<String>,
    /// 风险类型 (1–5), e.g. ["因病"].
    #[serde(default)]
    pub risks: Vec<String>,
    /// 家庭人均纯收入（元）.
    pub per_capita: Option<Yuan>,
    /// 监测范围（元）.
    pub line: Option<Yuan>,
    /// 刚性支出较大或收入大幅缩减.
    #[serde(default)]
    pub shock: bool,
}

impl ApproveStep {
    fn action(self, problems: &mut Vec<String>) -> Option<Action> {
        let category = need(self.category, "category（监测对象类别）", problems)
            .and_then(|c| label::<Category>(&c, problems));
        if self.risks.is_empty() {
            problems.push("须填写 risks（风险类型，1至5项）".to_owned());
        }
        let risks = risks(&self.risks, problems);
        let per_capita = money(self.per_capita.as_ref(), "家庭人均纯收入", problems);
        let line = need(self.line.as_ref(), "line（监测范围）", problems)
            .and_then(|y| y.money("监测范围", problems));
        Some(Action::ApproveIdentification {
            on: self.on,
            category: category?,
            risks,
            per_capita,
            line: line?,
            sudden_shock: self.shock,
        })
    }
}

/// A required field, or its name in `problems`.
fn need<T>(v: Option<T>, what: &str, problems: &mut Vec<String>) -> Option<T> {
    if v.is_none() {
        problems.push(format!("须填写 {what}"));
    }
    v
}

fn outcome(
    outcome: Option<&str>,
    reason: Option<String>,
    problems: &mut Vec<String>,
) -> Option<Outcome> {
    match outcome.map(str::trim).unwrap_or("同意") {
        "同意" => Some(Outcome::Agreed),
        "不同意" => Some(Outcome::NotAgreed {
            reason: reason.unwrap_or_default(),
        }),
        other => {
            problems.push(format!("outcome 应为“同意”或“不同意”，不是“{other}”"));
            None
        }
    }
}

/// Every missing or unreadable field of the request, in Chinese, at once.
impl TryFrom<StepRequest> for Action {
    type Error = ApiError;

    fn try_from(r: StepRequest) -> ApiResult<Action> {
        let mut p = Vec::new();
        let problems = &mut p;
        let action =
            match r {
                StepRequest::Verify(v) => v.action(problems),
                StepRequest::Consent {
                    on,
                    signed_by,
                    queries,
                } => Some(Action::Consent {
                    on,
                    consent: Consent {
                        signed_by,
                        queries,
                        attachment: None,
                    },
                }),
                StepRequest::Compare { on, findings } => Some(Action::Compare { on, findings }),
                StepRequest::Review {
                    on,
                    participants,
                    minutes,
                    outcome: o,
                    reason,
                } => outcome(o.as_deref(), reason, problems).map(|outcome| Action::Review {
                    on,
                    participants,
                    minutes,
                    outcome,
                }),
                StepRequest::Publicity { on } => Some(Action::StartPublicity { on }),
                StepRequest::Objection { on, text, reverify } => {
                    Some(Action::Objection { on, text, reverify })
                }
                StepRequest::ClosePublicity { on } => Some(Action::ClosePublicity { on }),
                StepRequest::Township {
                    on,
                    note,
                    outcome: o,
                    reason,
                } => outcome(o.as_deref(), reason, problems)
                    .map(|outcome| Action::TownshipReview { on, note, outcome }),
                StepRequest::Approve(a) => a.action(problems),
                StepRequest::ApproveElimination { on, note } => {
                    Some(Action::ApproveElimination { on, note })
                }
                StepRequest::SendBack { on, reason } => Some(Action::SendBack { on, reason }),
                StepRequest::Refuse { on, reason } => Some(Action::Refuse { on, reason }),
                StepRequest::FastTrack { on, reason } => Some(Action::FastTrack { on, reason }),
                StepRequest::Assist { on } => Some(Action::StartAssistance { on }),
                StepRequest::ProposeElimination {
                    on,
                    note,
                    no_labour,
                } => Some(Action::ProposeElimination {
                    on,
                    note,
                    whole_household_no_labour: no_labour,
                }),
                StepRequest::Rollback { on, reason } => Some(Action::Rollback { on, reason }),
            };
        refuse_problems(p)?;
        action.ok_or_else(|| ApiError::invalid("办理事项的内容不完整"))
    }
}
