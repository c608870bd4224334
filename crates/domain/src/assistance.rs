//! 帮扶措施 (assistance measures): the measure catalogue of docs/domain.md §7.2 as data, the
//! measure record of §15, and the matching rules of §7.3 as one pure function, [`plan`].
//!
//! The catalogue has two levels [I, §7.1]: a [`MeasureGroup`] (the §7.2 types that the
//! matching rules name: 产业帮扶, 就业帮扶, 公益性岗位 …, each also placed in the five 2020
//! groups of 国开发〔2020〕6号, [`Group2020`]) and a detailed [`MeasureType`] within it
//! (到户产业奖补, 低保, 危房改造 …). Which risk a detailed type addresses is data in
//! [`CATALOGUE`], so a province can read it and the rules stay testable.
//!
//! A risk counts as covered only by a measure that is carried out (实施中 or 已结束):
//! a planned measure is an intention, and elimination (§8.1) asks that a measure *addressed*
//! the risk.

use crate::FieldError;
use crate::enums::Labor;
use crate::money::Money;
use crate::monitoring::{RiskSet, RiskType};
use crate::text::fold_width;
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

#[cfg(test)]
mod tests;

labelled_enum! {
    /// 帮扶措施类别 (measure group, docs/domain.md §7.2). The codes are storage codes: append only.
    MeasureGroup, "帮扶措施类别" {
        /// 产业帮扶 (industry support) — development [N].
        Industry = 1: "产业帮扶",
        /// 就业帮扶 (employment support) — development [N].
        Employment = 2: "就业帮扶",
        /// 公益性岗位 (public-welfare jobs; weak or half labour first) — development [N].
        PublicJob = 3: "公益性岗位" | "公益岗位" | "公益岗位帮扶" | "乡村公益性岗位",
        /// 金融帮扶 (finance: 小额信贷) — development [N].
        Finance = 4: "金融帮扶",
        /// 教育帮扶 (education support).
        Education = 5: "教育帮扶",
        /// 健康帮扶 / 医疗保障 (health support).
        Health = 6: "健康帮扶" | "医疗保障",
        /// 住房安全保障 (housing safety).
        Housing = 7: "住房安全保障" | "住房保障",
        /// 饮水安全 (drinking water).
        Water = 8: "饮水安全" | "饮水保障",
        /// 综合保障 / 兜底 (social protection: 低保, 特困, 临时救助 …).
        SocialSecurity = 9: "综合保障" | "兜底保障",
        /// 防贫保险 (anti-poverty and other insurance).
        Insurance = 10: "防贫保险",
        /// 社会帮扶 (social assistance: 东西部协作, 定点帮扶, enterprises, charity).
        Social = 11: "社会帮扶",
        /// 扶志扶智 (motivation and capability).
        Motivation = 12: "扶志扶智",
        /// 其他 (other).
        Other = 13: "其他" | "其他帮扶",
    }
}

labelled_enum! {
    /// The five measure groups of 国开发〔2020〕6号 (2020年帮扶措施分组) [N].
    Group2020, "帮扶措施分组(2020)" {
        /// 产业帮扶
        Industry = 1: "产业帮扶",
        /// 就业帮扶
        Employment = 2: "就业帮扶",
        /// 综合保障
        Protection = 3: "综合保障",
        /// 扶志扶智
        Motivation = 4: "扶志扶智",
        /// 其他帮扶
        Other = 5: "其他帮扶",
    }
}

labelled_enum! {
    /// 帮扶性质 (nature of a measure, docs/domain.md §7.1).
    MeasureNature, "帮扶性质" {
        /// 开发式帮扶 (development: for households with labour capacity).
        Development = 1: "开发式帮扶",
        /// 兜底保障 (social protection: for households without labour capacity).
        SocialProtection = 2: "兜底保障",
        /// 专项帮扶 (targeted sector or social help: education, health, housing, water, …).
        Targeted = 3: "专项帮扶",
    }
}

impl MeasureGroup {
    /// 开发式 or 兜底 (docs/domain.md §7.3: development = 产业, 就业, 金融, 公益岗位).
    pub fn nature(self) -> MeasureNature {
        use MeasureGroup::*;
        match self {
            Industry | Employment | PublicJob | Finance => MeasureNature::Development,
            SocialSecurity => MeasureNature::SocialProtection,
            Education | Health | Housing | Water | Insurance | Social | Motivation | Other => {
                MeasureNature::Targeted
            }
        }
    }

    /// The 2020 group this type belongs to [I: 金融 supports industry, 公益岗位 is a job,
    /// the sector guarantees are 综合保障, insurance and social help are 其他帮扶].
    pub fn group_2020(self) -> Group2020 {
        use MeasureGroup::*;
        match self {
            Industry | Finance => Group2020::Industry,
            Employment | PublicJob => Group2020::Employment,
            Education | Health | Housing | Water | SocialSecurity => Group2020::Protection,
            Motivation => Group2020::Motivation,
            Insurance | Social | Other => Group2020::Other,
        }
    }
}

labelled_enum! {
    /// 帮扶措施类型 (detailed measure type, docs/domain.md §7.2). Code = group code × 100 + n.
    /// Where each belongs and which risks it addresses is in [`CATALOGUE`].
    MeasureType, "帮扶措施类型" {
        /// 到户产业奖补 (per-household industry grant, 庭院经济).
        IndustryGrant = 101: "到户产业奖补" | "产业奖补",
        /// 产业技术指导 (technical guidance).
        IndustryTraining = 102: "产业技术指导",
        /// 联农带农 (links to cooperatives and enterprises).
        IndustryLinkage = 103: "联农带农",
        /// 消费帮扶 (consumption support).
        ConsumptionSupport = 104: "消费帮扶",
        /// 资产收益分红 (asset-income dividends; also suits households without labour).
        AssetDividend = 105: "资产收益分红",
        /// 有组织劳务输出 (organised migrant work).
        LabourExport = 201: "有组织劳务输出",
        /// 外出务工交通补助 (travel subsidy).
        TravelSubsidy = 202: "外出务工交通补助" | "交通补助",
        /// 技能培训 (skills training and certification subsidy).
        SkillsTraining = 203: "技能培训",
        /// 就业帮扶车间 (assistance workshop).
        Workshop = 204: "就业帮扶车间",
        /// 以工代赈 (work instead of relief).
        WorkForRelief = 205: "以工代赈",
        /// 乡村公益性岗位 (public-welfare job, fixed-term agreement).
        PublicWelfareJob = 301: "乡村公益性岗位" | "公益岗位",
        /// 帮扶小额信贷 (formerly 脱贫人口小额信贷).
        Microcredit = 401: "帮扶小额信贷" | "脱贫人口小额信贷" | "小额信贷",
        /// 两免一补 (free textbooks and tuition, living allowance).
        TwoFreeOneSubsidy = 501: "两免一补",
        /// 助学金 (student grant).
        StudentGrant = 502: "助学金",
        /// 雨露计划 (vocational student support).
        Yulu = 503: "雨露计划",
        /// 生源地助学贷款 (student loan).
        StudentLoan = 504: "生源地助学贷款",
        /// 控辍保学 (bringing dropouts back to school).
        DropoutReturn = 505: "控辍保学" | "劝返复学",
        /// 资助参保 (subsidised health-insurance enrolment).
        InsuranceSubsidy = 601: "资助参保",
        /// 三重保障 (基本医保 + 大病保险 + 医疗救助).
        TripleMedical = 602: "三重保障" | "医疗救助",
        /// 家庭医生签约 (family-doctor contract).
        FamilyDoctor = 603: "家庭医生签约",
        /// 危房改造 (renovation of a C/D-rated house).
        HouseRenovation = 701: "危房改造" | "农村危房改造",
        /// 农房抗震改造 (seismic retrofit).
        SeismicRetrofit = 702: "农房抗震改造",
        /// 接通供水 (connection to water supply).
        WaterConnection = 801: "接通供水",
        /// 供水设施维修 (repair of water facilities).
        WaterRepair = 802: "供水设施维修",
        /// 水质处理 (water-quality treatment).
        WaterTreatment = 803: "水质处理",
        /// 低保 (minimum living allowance).
        Dibao = 901: "低保" | "最低生活保障",
        /// 特困供养 (support for persons in extreme poverty).
        Tekun = 902: "特困供养" | "特困人员供养",
        /// 临时救助 (temporary assistance, including large one-off aid).
        TemporaryAid = 903: "临时救助",
        /// 残疾人两项补贴 (two disability allowances: living + severe-care).
        DisabilityAllowance = 904: "残疾人两项补贴",
        /// 孤儿/事实无人抚养儿童基本生活费 (orphan living allowance).
        OrphanAllowance = 905: "孤儿/事实无人抚养儿童基本生活费" | "孤儿基本生活费",
        /// 养老保险代缴 (pension contributions paid by the government).
        PensionContribution = 906: "养老保险代缴",
        /// 防贫保 (anti-poverty insurance payout, §12.5).
        AntiPovertyInsurance = 1001: "防贫保" | "防贫保险",
        /// 农业保险 (agricultural insurance).
        FarmInsurance = 1002: "农业保险",
        /// 商业补充医疗保险 (supplementary commercial medical insurance).
        SupplementaryMedical = 1003: "商业补充医疗保险",
        /// 东西部协作 (east–west cooperation).
        EastWest = 1101: "东西部协作",
        /// 定点帮扶 (paired assistance by an institution).
        Paired = 1102: "定点帮扶",
        /// 企业帮扶 (万企兴万村).
        Enterprise = 1103: "企业帮扶" | "万企兴万村",
        /// 慈善救助 (charity).
        Charity = 1104: "慈善救助" | "社会捐助",
        /// 扶志扶智培训 (motivation training).
        MotivationTraining = 1201: "扶志扶智培训",
        /// 典型评选奖励 (awards instead of handouts).
        ModelAward = 1202: "典型评选奖励" | "以奖代补",
        /// 协调子女赡养 (mediation to enforce children's maintenance duty).
        FamilySupport = 1301: "协调子女赡养",
        /// 其他措施 (other).
        OtherMeasure = 1399: "其他措施",
    }
}

/// One row of the measure catalogue (帮扶措施目录).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogueEntry {
    pub ty: MeasureType,
    pub group: MeasureGroup,
    /// The risk types this measure is meant for (针对风险). Every type may also be chosen for
    /// 其他 (see [`MeasureType::addresses`]).
    pub risks: &'static [RiskType],
}

macro_rules! entries {
    ($( $ty:ident in $group:ident : [$($risk:ident),*] ),+ $(,)?) => {
        &[$(CatalogueEntry {
            ty: MeasureType::$ty,
            group: MeasureGroup::$group,
            risks: &[$(RiskType::$risk),*],
        }),+]
    };
}

/// 帮扶措施目录 (the catalogue). The risk lists follow docs/domain.md §7.3 [I based on N+V]:
/// 因病→健康/综合保障, 住房→住房, 饮水→饮水, 因学/辍学→教育, 务工不稳→就业/公益岗位,
/// 产业失败→产业/金融/保险, 灾害→临时救助/保险/住房; for 因残, 因意外事故 and 缺劳动力, which
/// §7.3 does not map, the assignment here is [I].
pub const CATALOGUE: &[CatalogueEntry] = entries![
    IndustryGrant in Industry: [IndustryFail],
    IndustryTraining in Industry: [IndustryFail],
    IndustryLinkage in Industry: [IndustryFail],
    ConsumptionSupport in Industry: [IndustryFail],
    AssetDividend in Industry: [IndustryFail, LackLabor, Disability],
    LabourExport in Employment: [UnstableJob],
    TravelSubsidy in Employment: [UnstableJob],
    SkillsTraining in Employment: [UnstableJob],
    Workshop in Employment: [UnstableJob, LackLabor],
    WorkForRelief in Employment: [UnstableJob],
    PublicWelfareJob in PublicJob: [UnstableJob, LackLabor, Disability],
    Microcredit in Finance: [IndustryFail],
    TwoFreeOneSubsidy in Education: [Education, Dropout],
    StudentGrant in Education: [Education],
    Yulu in Education: [Education],
    StudentLoan in Education: [Education],
    DropoutReturn in Education: [Dropout],
    InsuranceSubsidy in Health: [Illness, Disability],
    TripleMedical in Health: [Illness, Accident],
    FamilyDoctor in Health: [Illness, Disability],
    HouseRenovation in Housing: [Housing, Disaster],
    SeismicRetrofit in Housing: [Housing, Disaster],
    WaterConnection in Water: [Water],
    WaterRepair in Water: [Water],
    WaterTreatment in Water: [Water],
    Dibao in SocialSecurity: [Illness, Disability, LackLabor],
    Tekun in SocialSecurity: [Illness, Disability, LackLabor],
    TemporaryAid in SocialSecurity: [Disaster, Accident, Illness],
    DisabilityAllowance in SocialSecurity: [Disability],
    OrphanAllowance in SocialSecurity: [LackLabor],
    PensionContribution in SocialSecurity: [LackLabor],
    AntiPovertyInsurance in Insurance: [Illness, Disaster, Accident, IndustryFail],
    FarmInsurance in Insurance: [Disaster, IndustryFail],
    SupplementaryMedical in Insurance: [Illness, Accident],
    EastWest in Social: [Other],
    Paired in Social: [Other],
    Enterprise in Social: [UnstableJob, Other],
    Charity in Social: [Illness, Disaster, Accident],
    MotivationTraining in Motivation: [Other],
    ModelAward in Motivation: [Other],
    FamilySupport in Other: [LackLabor, Other],
    OtherMeasure in Other: [Other],
];

impl MeasureType {
    /// This type's row in [`CATALOGUE`].
    pub fn entry(self) -> &'static CatalogueEntry {
        CATALOGUE
            .iter()
            .find(|e| e.ty == self)
            .expect("every measure type has a catalogue row")
    }

    pub fn group(self) -> MeasureGroup {
        self.entry().group
    }

    pub fn nature(self) -> MeasureNature {
        self.group().nature()
    }

    /// 开发式帮扶 (development measure).
    pub fn is_development(self) -> bool {
        self.nature() == MeasureNature::Development
    }

    /// 兜底保障 (social protection).
    pub fn is_social_protection(self) -> bool {
        self.nature() == MeasureNature::SocialProtection
    }

    /// Whether this type may be recorded as targeting `risk`: the catalogue's list, plus
    /// 其他, which has no fixed remedy [I].
    pub fn addresses(self, risk: RiskType) -> bool {
        risk == RiskType::Other || self.entry().risks.contains(&risk)
    }

    /// The types the catalogue lists for `risk`, in catalogue order.
    pub fn for_risk(risk: RiskType) -> impl Iterator<Item = MeasureType> {
        CATALOGUE
            .iter()
            .filter(move |e| e.risks.contains(&risk))
            .map(|e| e.ty)
    }
}

labelled_enum! {
    /// 措施状态 (status of a measure, docs/domain.md §15).
    MeasureStatus, "措施状态" {
        /// 计划 (planned).
        Planned = 1: "计划" | "计划中",
        /// 实施中 (active).
        Active = 2: "实施中",
        /// 已结束 (ended).
        Ended = 3: "已结束",
    }
}

impl MeasureStatus {
    /// 已落实: carried out (active or ended), so it counts for coverage.
    pub fn is_carried_out(self) -> bool {
        matches!(self, MeasureStatus::Active | MeasureStatus::Ended)
    }
}

/// 帮扶措施 (one assistance measure of a monitored household, docs/domain.md §15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Measure {
    pub ty: MeasureType,
    /// 针对风险 (the risks it targets).
    pub target_risks: RiskSet,
    /// 责任部门 (providing department).
    pub provider: String,
    /// 开始日期 (actual, or planned for a planned measure).
    pub start: NaiveDate,
    /// 结束日期 (actual or agreed end).
    pub end: Option<NaiveDate>,
    /// 帮扶金额 (amount), where the measure has one.
    pub amount: Option<Money>,
    pub status: MeasureStatus,
    /// 风险消除后继续实施 (runs to its natural end after elimination, §8.2): loans, dividends,
    /// public-welfare jobs, 雨露计划 until the school stage ends.
    pub continues_after_elimination: bool,
}

/// 措施登记问题: what is wrong with a measure record, in words a clerk can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MeasureProblem {
    #[error("结束日期{end}早于开始日期{start}")]
    EndBeforeStart { start: NaiveDate, end: NaiveDate },
    #[error("措施已结束，须填写结束日期")]
    EndedWithoutEnd,
    #[error("结束日期{end}晚于今天（{today}），措施状态不应为“已结束”")]
    EndedInFuture { end: NaiveDate, today: NaiveDate },
    #[error("开始日期{start}晚于今天（{today}），措施状态应为“计划”")]
    ActiveBeforeStart { start: NaiveDate, today: NaiveDate },
    #[error("{0}")]
    Amount(String),
    #[error("须选择措施针对的风险类型")]
    NoTargetRisk,
    #[error("“{ty}”不是针对“{risk}”的措施")]
    WrongTarget { ty: MeasureType, risk: RiskType },
    #[error("须填写责任部门")]
    NoProvider,
}

impl Measure {
    /// Whether this measure counts as addressing `risk`: carried out, targeted at it, and of
    /// a type meant for it.
    pub fn covers(&self, risk: RiskType) -> bool {
        self.status.is_carried_out() && self.target_risks.contains(risk) && self.ty.addresses(risk)
    }

    /// Every problem of the record, empty when it is consistent.
    pub fn check(&self, today: NaiveDate) -> Vec<MeasureProblem> {
        use MeasureProblem as P;
        let mut out = Vec::new();
        if let Some(end) = self.end
            && end < self.start
        {
            out.push(P::EndBeforeStart {
                start: self.start,
                end,
            });
        }
        match self.status {
            MeasureStatus::Ended => match self.end {
                None => out.push(P::EndedWithoutEnd),
                Some(end) if end > today => out.push(P::EndedInFuture { end, today }),
                Some(_) => {}
            },
            MeasureStatus::Active if self.start > today => out.push(P::ActiveBeforeStart {
                start: self.start,
                today,
            }),
            _ => {}
        }
        if let Some(a) = self.amount
            && let Err(e) = a.check_sane("帮扶金额")
        {
            out.push(P::Amount(e.message));
        }
        if self.target_risks.is_empty() {
            out.push(P::NoTargetRisk);
        }
        for risk in self.target_risks.iter() {
            if !self.ty.addresses(risk) {
                out.push(P::WrongTarget { ty: self.ty, risk });
            }
        }
        if self.provider.trim().is_empty() {
            out.push(P::NoProvider);
        }
        out
    }
}

/// Matching periods (docs/domain.md §7.3), configurable per province.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchConfig {
    /// Months after identification at which a missing development measure is flagged: 1.
    pub development_warn_months: u32,
    /// Months after which it is overdue: 6 [V].
    pub development_due_months: u32,
}

impl Default for MatchConfig {
    fn default() -> Self {
        Self {
            development_warn_months: 1,
            development_due_months: 6,
        }
    }
}

/// What the matching rules look at for one monitored household.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    /// 风险类型 of the case (as identified, plus any recorded since).
    pub risks: RiskSet,
    /// 劳动技能 of every member.
    pub labour: &'a [Labor],
    /// 认定日期 (the county's identification date, `Identification::approved_on`).
    pub identified_on: NaiveDate,
    pub today: NaiveDate,
    /// The household's measures, in any status.
    pub measures: &'a [Measure],
}

/// 必须落实的措施 (what the rules require and is still missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// 每项风险至少一项针对性措施.
    CoverRisk(RiskType),
    /// 有劳动能力户至少一项开发式帮扶措施 (产业, 就业, 金融, 公益岗位).
    Development,
    /// 整户无劳户须落实兜底保障.
    SocialProtection,
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::CoverRisk(r) => write!(f, "风险“{r}”尚无已落实的针对性帮扶措施"),
            Requirement::Development => f.write_str(
                "有劳动能力户须落实至少一项开发式帮扶措施（产业、就业、金融或公益岗位）",
            ),
            Requirement::SocialProtection => {
                f.write_str("整户无劳动能力户须落实兜底保障措施（低保、特困供养等）")
            }
        }
    }
}

/// 提示 (a flag on the plan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanFlag {
    /// 整户无劳兜底保障户 [V rule 5_11_033]: nobody can work; elimination is blocked (§8.1).
    WholeHouseholdNoLabour,
    /// 开发式帮扶待落实: a labour-capable household without a development measure, `warn`
    /// months or more after identification.
    DevelopmentPending { since: NaiveDate, due: NaiveDate },
    /// 开发式帮扶逾期: still none at the due date (6 months by default).
    DevelopmentOverdue { due: NaiveDate },
}

impl fmt::Display for PlanFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlanFlag::WholeHouseholdNoLabour => f.write_str("整户无劳兜底保障户"),
            PlanFlag::DevelopmentPending { since, due } => write!(
                f,
                "有劳动能力户自{since}起仍未落实开发式帮扶措施，须于{due}前落实"
            ),
            PlanFlag::DevelopmentOverdue { due } => {
                write!(f, "有劳动能力户超过期限（{due}）仍未落实开发式帮扶措施")
            }
        }
    }
}

/// 帮扶方案研判结果 (the outcome of the matching rules for one household).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Risks without a carried-out measure that covers them.
    pub uncovered: RiskSet,
    /// What must still be done, in the order: risks, development, protection.
    pub required: Vec<Requirement>,
    /// Catalogue types that would meet the requirements, not yet recorded for the household.
    pub suggestions: Vec<MeasureType>,
    pub flags: Vec<PlanFlag>,
}

impl Plan {
    /// Nothing required and no flag other than the standing 整户无劳 mark.
    pub fn is_complete(&self) -> bool {
        self.required.is_empty()
    }
}

/// 有劳动能力户: at least one member with ordinary, skilled or weak/half labour (§7.3).
/// A household without members listed counts as without labour.
pub fn has_labour(labour: &[Labor]) -> bool {
    labour.iter().any(|l| l.has_capacity())
}

/// The matching rules of docs/domain.md §7.3 [I based on N+V].
pub fn plan(input: &PlanInput<'_>, cfg: &MatchConfig) -> Plan {
    let carried: Vec<&Measure> = input
        .measures
        .iter()
        .filter(|m| m.status.is_carried_out())
        .collect();
    let mut required = Vec::new();
    let mut flags = Vec::new();
    let mut wanted: Vec<MeasureType> = Vec::new();

    // Every risk needs at least one targeted measure [I, §7.3].
    let mut uncovered = RiskSet::EMPTY;
    for risk in input.risks.iter() {
        if !carried.iter().any(|m| m.covers(risk)) {
            uncovered = uncovered.with(risk);
            required.push(Requirement::CoverRisk(risk));
            wanted.extend(MeasureType::for_risk(risk));
        }
    }

    if has_labour(input.labour) {
        // [N] labour-capable → at least one development measure; [V] within 6 months.
        if !carried.iter().any(|m| m.ty.is_development()) {
            required.push(Requirement::Development);
            // Weak or half labour only: public-welfare jobs first (§7.2).
            let weak_only = !input
                .labour
                .iter()
                .any(|l| matches!(l, Labor::Ordinary | Labor::Skilled));
            let mut dev: Vec<MeasureType> = MeasureType::ALL
                .iter()
                .copied()
                .filter(|t| t.is_development())
                .collect();
            if weak_only {
                dev.sort_by_key(|t| t.group() != MeasureGroup::PublicJob);
            }
            wanted.extend(dev);
            let due = add_months(input.identified_on, cfg.development_due_months);
            let warn = add_months(input.identified_on, cfg.development_warn_months);
            if input.today >= due {
                flags.push(PlanFlag::DevelopmentOverdue { due });
            } else if input.today >= warn {
                flags.push(PlanFlag::DevelopmentPending { since: warn, due });
            }
        }
    } else {
        // [N/V] nobody can work → 整户无劳兜底保障户, social protection required.
        flags.push(PlanFlag::WholeHouseholdNoLabour);
        if !carried.iter().any(|m| m.ty.is_social_protection()) {
            required.push(Requirement::SocialProtection);
            wanted.extend([MeasureType::Dibao, MeasureType::Tekun]);
        }
    }

    let mut suggestions = Vec::new();
    for t in wanted {
        let recorded = input.measures.iter().any(|m| m.ty == t);
        if !recorded && !suggestions.contains(&t) {
            suggestions.push(t);
        }
    }
    Plan {
        uncovered,
        required,
        suggestions,
        flags,
    }
}

/// `date` plus `months` calendar months (end of month clamps: 1月31日 + 1 = 2月末).
pub(crate) fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// 帮扶责任人 (the cadre responsible for a monitored household, docs/domain.md §7.4): named, with
/// a work unit and a phone the household can call. The phone is personal information:
/// stored encrypted, shown masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Helper {
    pub name: String,
    /// 工作单位及职务, e.g. "县农业农村局 干部" or "村党支部书记".
    pub unit: String,
    pub phone: crate::Phone,
    /// 结对日期.
    pub since: NaiveDate,
}

impl Helper {
    /// Checks the record: a name and a unit, a pairing date not in the future.
    pub fn check(&self, today: NaiveDate) -> Vec<FieldError> {
        let mut out = Vec::new();
        if self.name.trim().is_empty() {
            out.push(FieldError::new("请填写帮扶责任人姓名"));
        }
        if self.unit.trim().is_empty() {
            out.push(FieldError::new("请填写帮扶责任人的工作单位及职务"));
        }
        if self.since > today {
            out.push(FieldError::new(format!("结对日期{}晚于今天", self.since)));
        }
        out
    }
}

/// Whole calendar months from `from` to `to` (0 when `to` is earlier), consistent with
/// [`add_months`]: `full_months(d, add_months(d, n)) == n`.
pub(crate) fn full_months(from: NaiveDate, to: NaiveDate) -> u32 {
    use chrono::Datelike;
    if to <= from {
        return 0;
    }
    let guess = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32;
    let mut n = u32::try_from(guess.max(0)).unwrap_or(0);
    while n > 0 && add_months(from, n) > to {
        n -= 1;
    }
    n
}
