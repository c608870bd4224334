//! 筛查预警 (screening): every household is tested against the policy's rules, each warning
//! carrying what triggered it — the figure, the threshold, the period and the source
//! records — so that a clerk sees why in one line.
//!
//! Screening is a pure function of one household's facts ([`HouseholdView`]), its local
//! policy and the screening day: the service feeds households through it in one sequential
//! pass, and tests call it on hand-made households.

pub mod policy;
pub mod quality;
mod rules;

pub use policy::{LocalPolicy, Policy, Resolved, Scope};
pub use rules::{assess, screen};

use crate::FieldError;
use crate::feed::FeedEvent;
use crate::money::Money;
use crate::monitoring::{Category, RiskSet, RiskType};
use crate::region::RegionCode;
use crate::text::fold_width;
use crate::{
    DisabilityGrade, Health, HouseholdType, HousingSafety, Labor, Relation, Schooling, WaterSafety,
};
use chrono::NaiveDate;

labelled_enum! {
    /// 预警规则 — the rules of the screening, by stable id. The Chinese name is the label;
    /// the English id (`income_low` …) is accepted too and names the rule in files.
    RuleId, "预警规则" {
        IncomeLow = 1: "收入低于监测范围" | "income_low",
        IncomeDrop = 2: "收入大幅缩减" | "income_drop",
        RigidSpending = 3: "刚性支出较大" | "rigid_spending",
        MedicalBurden = 4: "医疗负担较重" | "medical_burden",
        SevereDisability = 5: "新增重度残疾" | "severe_disability",
        Disaster = 6: "受灾严重" | "disaster",
        Assistance = 7: "新纳入低保特困或大额临时救助" | "assistance",
        JobLoss = 8: "失业或返乡" | "job_loss",
        Dropout = 9: "义务教育辍学" | "dropout",
        DangerousHouse = 10: "危房鉴定" | "dangerous_house",
        DeathLackLabor = 11: "劳动力死亡致缺劳动力" | "death_lack_labor",
        Uninsured = 12: "未参加基本医保" | "uninsured",
        UnsafeHousing = 13: "住房不安全" | "unsafe_housing",
        UnsafeWater = 14: "饮水不安全" | "unsafe_water",
    }
}

labelled_enum! {
    /// 线索来源 (discovery channel) of a lead, and 预警渠道 of a warning (the first two).
    Channel, "预警渠道" {
        /// 收入监测 — from the registry's incomes and records.
        IncomeMonitoring = 1: "收入监测",
        /// 部门预警 — from a department's data.
        DepartmentWarning = 2: "部门预警",
        /// 干部排查 — a village cadre's visit found a risk.
        CadreVisit = 3: "干部排查",
        /// 农户自主申报 — the household declared itself.
        SelfDeclaration = 4: "农户自主申报",
    }
}

impl RuleId {
    /// The English id, as in policy files and outputs.
    pub fn id(self) -> &'static str {
        match self {
            RuleId::IncomeLow => "income_low",
            RuleId::IncomeDrop => "income_drop",
            RuleId::RigidSpending => "rigid_spending",
            RuleId::MedicalBurden => "medical_burden",
            RuleId::SevereDisability => "severe_disability",
            RuleId::Disaster => "disaster",
            RuleId::Assistance => "assistance",
            RuleId::JobLoss => "job_loss",
            RuleId::Dropout => "dropout",
            RuleId::DangerousHouse => "dangerous_house",
            RuleId::DeathLackLabor => "death_lack_labor",
            RuleId::Uninsured => "uninsured",
            RuleId::UnsafeHousing => "unsafe_housing",
            RuleId::UnsafeWater => "unsafe_water",
        }
    }

    pub fn channel(self) -> Channel {
        match self {
            RuleId::IncomeLow
            | RuleId::IncomeDrop
            | RuleId::RigidSpending
            | RuleId::Uninsured
            | RuleId::UnsafeHousing
            | RuleId::UnsafeWater => Channel::IncomeMonitoring,
            _ => Channel::DepartmentWarning,
        }
    }

    /// The department whose data the rule reads, if any.
    pub fn department(self) -> Option<&'static str> {
        Some(match self {
            RuleId::MedicalBurden => "医保",
            RuleId::SevereDisability => "残联",
            RuleId::Disaster => "应急管理",
            RuleId::Assistance => "民政",
            RuleId::JobLoss => "人社",
            RuleId::Dropout => "教育",
            RuleId::DangerousHouse => "住建",
            RuleId::DeathLackLabor => "公安/民政",
            _ => return None,
        })
    }

    /// Whether the rule signals a sudden shock — 刚性支出较大 or 收入大幅缩减 — which
    /// qualifies a household above the line as 突发严重困难户 (docs/domain.md §3).
    pub fn is_shock(self) -> bool {
        matches!(
            self,
            RuleId::IncomeDrop
                | RuleId::RigidSpending
                | RuleId::MedicalBurden
                | RuleId::SevereDisability
                | RuleId::Disaster
                | RuleId::JobLoss
                | RuleId::DeathLackLabor
        )
    }
}

/// What a household's screening needs of its 户信息.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdFacts {
    /// Registry id.
    pub id: i64,
    pub village: RegionCode,
    pub household_type: HouseholdType,
    pub exit_year: Option<u16>,
    pub housing: Option<HousingSafety>,
    pub water: Option<WaterSafety>,
    /// 已纳入监测: the household is a monitored household (an open case), which lowers the
    /// medical threshold like a 脱贫户's.
    pub monitored: bool,
}

/// What screening needs of a member (人口信息), without name or ID number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberFacts {
    /// Registry id, as feed events name it.
    pub id: u32,
    pub relation: Relation,
    pub birth_date: NaiveDate,
    pub labor: Labor,
    pub health: Health,
    pub disability_grade: Option<DisabilityGrade>,
    pub schooling: Option<Schooling>,
    pub work_months: Option<u8>,
    pub medical_insured: Option<bool>,
    pub dibao: Option<bool>,
    pub tekun: Option<bool>,
}

/// One year of 收支信息, in fen, without the 户编号.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct YearIncome {
    pub year: u16,
    pub wage: Money,
    pub business_income: Money,
    pub business_cost: Money,
    pub property: Money,
    pub transfer: Money,
    pub medical_out_of_pocket: Money,
    pub education_cost: Money,
    pub other_rigid_cost: Money,
}

impl YearIncome {
    /// 家庭纯收入.
    pub fn net(&self) -> Money {
        self.wage + self.business_income - self.business_cost + self.property + self.transfer
    }

    /// 家庭总收入 (gross, before production costs).
    pub fn gross(&self) -> Money {
        self.wage + self.business_income + self.property + self.transfer
    }
}

impl From<&crate::IncomeRecord> for YearIncome {
    fn from(r: &crate::IncomeRecord) -> Self {
        Self {
            year: r.year,
            wage: r.wage,
            business_income: r.business_income,
            business_cost: r.business_cost,
            property: r.property,
            transfer: r.transfer,
            medical_out_of_pocket: r.medical_out_of_pocket.unwrap_or_default(),
            education_cost: r.education_cost.unwrap_or_default(),
            other_rigid_cost: r.other_rigid_cost.unwrap_or_default(),
        }
    }
}

/// One household as screening sees it. `incomes` are in ascending year; `events` are the
/// household's feed records (any order): those of the window, and every death.
#[derive(Debug, Clone, Copy)]
pub struct HouseholdView<'a> {
    pub household: &'a HouseholdFacts,
    pub members: &'a [MemberFacts],
    pub incomes: &'a [YearIncome],
    pub events: &'a [FeedEvent],
}

/// The unit of a warning's figure and threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Fen.
    Fen,
    /// Percent.
    Percent,
    /// No figure: the rule is a condition (e.g. a certificate was issued).
    None,
}

/// 预警 — one rule triggered for one household, with its evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Warning {
    pub rule: RuleId,
    pub risk: RiskType,
    /// The identity of what was seen: the income year for income rules, the date (days
    /// from CE) of the latest source record for event rules, 0 for registry gaps. The same
    /// rule with the same key for the same household is the same warning, so that a repeated
    /// screening adds nothing.
    pub key: i64,
    pub figure: i64,
    pub threshold: i64,
    pub unit: Unit,
    /// The period the figure covers (both days included).
    pub period: (NaiveDate, NaiveDate),
    /// Number of source records (feed rows, income years, members).
    pub sources: u32,
    /// Dates of the first and latest source record, when they are feed records.
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
    /// The member concerned, for person-level events.
    pub member: Option<u32>,
}

impl Warning {
    /// One line a clerk reads, e.g. "2025-01-01至2025-12-31医疗个人自付合计12800元，超过阈值11559.5元；
    /// 结算5笔（2025-02-03至2025-11-20）".
    pub fn describe(&self) -> String {
        let y = |fen: i64| Money::from_fen(fen).to_string();
        let (from, to) = self.period;
        let span = match (self.first, self.last) {
            (Some(a), Some(b)) if a != b => format!("（{a}至{b}）"),
            (Some(a), _) => format!("（{a}）"),
            _ => String::new(),
        };
        match self.rule {
            RuleId::IncomeLow => format!(
                "{}年家庭人均纯收入{}元，不高于监测范围{}元",
                self.key,
                y(self.figure),
                y(self.threshold)
            ),
            RuleId::IncomeDrop => format!(
                "{}年家庭人均纯收入较上年下降{}%，达到{}%的预警幅度",
                self.key, self.figure, self.threshold
            ),
            RuleId::RigidSpending => format!(
                "{from}至{to}刚性支出{}元，超过{}年家庭纯收入折算的预警额{}元，扣除后人均收入不高于监测范围",
                y(self.figure),
                self.key,
                y(self.threshold)
            ),
            RuleId::MedicalBurden => format!(
                "{from}至{to}医疗个人自付合计{}元，超过阈值{}元；结算{}笔{span}",
                y(self.figure),
                y(self.threshold),
                self.sources
            ),
            RuleId::SevereDisability => {
                format!(
                    "新发{}残疾人证{}份{span}",
                    grade_label(self.figure),
                    self.sources
                )
            }
            RuleId::Disaster => format!(
                "受灾{}次{span}，直接经济损失合计{}元（阈值{}元）或房屋严重受损",
                self.sources,
                y(self.figure),
                y(self.threshold)
            ),
            RuleId::Assistance => format!(
                "新纳入低保、特困供养或获大额临时救助{}次{span}",
                self.sources
            ),
            RuleId::JobLoss => format!(
                "失业登记或返乡{}次{span}，工资性收入占家庭总收入{}%（预警线{}%）",
                self.sources, self.figure, self.threshold
            ),
            RuleId::Dropout => format!("义务教育阶段辍学或失学记录{}条{span}", self.sources),
            RuleId::DangerousHouse => format!("住房鉴定为C级或D级危房{span}"),
            RuleId::DeathLackLabor => format!("有劳动能力的家庭成员死亡{span}，家中已无劳动力"),
            RuleId::Uninsured => format!("{}名家庭成员未参加城乡居民基本医保", self.sources),
            RuleId::UnsafeHousing => "户档案住房安全为“不安全”".to_owned(),
            RuleId::UnsafeWater => "户档案饮水安全为“不安全”".to_owned(),
        }
    }
}

fn grade_label(code: i64) -> &'static str {
    DisabilityGrade::from_code(code as i16).map_or("重度", DisabilityGrade::label)
}

/// The outcome of screening one household that has warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assessment {
    /// The latest income year and its 家庭人均纯收入.
    pub income: Option<(u16, Money)>,
    /// The monitoring line used.
    pub line: Option<Resolved>,
    /// 建议类别 (suggested category), when one fits (docs/domain.md §3).
    pub category: Option<Category>,
    /// 风险类型, at most five, the most frequent rules' first.
    pub risks: RiskSet,
    pub channel: Channel,
}

#[cfg(test)]
mod tests;
