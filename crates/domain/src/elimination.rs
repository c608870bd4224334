//! 风险消除条件 (risk-elimination conditions, docs/domain.md §8.1): for one monitored household,
//! which conditions hold and which do not, each with its figures in Chinese, so that the
//! village can see why a proposal is blocked. Pure: the caller gathers the figures (latest
//! assessment, 三保障 status, the assistance [`Plan`](crate::assistance::Plan)).
//!
//! The procedure itself (proposal, verification, review, publicity, approval) is the case
//! state machine's; this module only answers "may it be proposed now?".

use crate::FieldError;
use crate::assistance::{add_months, full_months};
use crate::enums::{HousingSafety, WaterSafety};
use crate::money::Money;
use crate::monitoring::RiskSet;
use crate::text::fold_width;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

labelled_enum! {
    /// 风险消除条件 (one elimination condition). Codes are stable: append only.
    Condition, "风险消除条件" {
        /// 收入稳定超过当年监测范围 (income stably above the current year's line).
        IncomeStable = 1: "收入稳定超过当年监测范围",
        /// 纳入监测满规定期限 (identified long enough ago).
        MonitoredLongEnough = 2: "纳入监测满规定期限",
        /// 风险均已落实帮扶 (every risk addressed by a measure).
        RisksAddressed = 3: "风险均已落实帮扶",
        /// 两不愁三保障及饮水安全有保障 (basic needs and drinking water secured).
        BasicNeedsSecured = 4: "两不愁三保障及饮水安全有保障",
        /// 未出现新的风险 (no new risk since identification).
        NoNewRisk = 5: "未出现新的风险",
        /// 非整户无劳兜底保障户 (not a whole-household-without-labour case).
        NotNoLabour = 6: "非整户无劳兜底保障户",
    }
}

impl Condition {
    /// Stable key for APIs and exports (upper snake case).
    pub fn key(self) -> &'static str {
        match self {
            Condition::IncomeStable => "INCOME_STABLE",
            Condition::MonitoredLongEnough => "MONITORED_LONG_ENOUGH",
            Condition::RisksAddressed => "RISKS_ADDRESSED",
            Condition::BasicNeedsSecured => "BASIC_NEEDS_SECURED",
            Condition::NoNewRisk => "NO_NEW_RISK",
            Condition::NotNoLabour => "NOT_NO_LABOUR",
        }
    }
}

/// Periods of §8.1, configurable per province.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EliminationConfig {
    /// 纳入监测满…个月: 6 [P:安徽 + V national data check from April 2022].
    pub min_months_since_identification: u32,
    /// 收入稳定超过监测范围满…个月: 6 ("原则上半年以上") [P:安徽 芜湖/枞阳; V].
    pub min_months_income_above: u32,
}

impl Default for EliminationConfig {
    fn default() -> Self {
        Self {
            min_months_since_identification: 6,
            min_months_income_above: 6,
        }
    }
}

/// 收入情况 (the income evidence): the latest assessed per-capita net income, the line it is
/// compared with, and for how many whole months the household has been above it (the
/// village's judgement from its monitoring, not computed here).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomeStanding {
    /// 家庭人均纯收入 (latest assessment).
    pub per_capita: Money,
    /// 监测范围 (the line) used.
    pub line: Money,
    /// The year of that line.
    pub line_year: i32,
    /// 稳定超过监测范围的月数.
    pub months_above: u32,
}

/// 收入核实 (one income assessment): the day and the household's per-capita net income, as
/// re-assessed at a follow-up visit (帮扶走访) or taken from the yearly record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncomeObservation {
    pub on: NaiveDate,
    pub per_capita: Money,
}

impl IncomeStanding {
    /// The standing from the household's income assessments (any order) against `line`:
    /// the newest assessment is the current figure, and the household has been above the
    /// line since the first assessment of the newest unbroken run of assessments above it.
    ///
    /// [I] "稳定超过…半年以上" is read as: every assessment over the last months above the
    /// line, the earliest of them at least that many whole months ago. A yearly record sums
    /// the income of its calendar year, so the caller dates it 1 January of that year; a
    /// later visit with a re-assessed income below the line breaks the run.
    pub fn from_observations(
        observations: &[IncomeObservation],
        line: Money,
        line_year: i32,
        today: NaiveDate,
    ) -> Self {
        let mut obs: Vec<IncomeObservation> = observations
            .iter()
            .copied()
            .filter(|o| o.on <= today)
            .collect();
        obs.sort_by_key(|o| o.on);
        let per_capita = obs.last().map_or(Money::ZERO, |o| o.per_capita);
        let run_start = obs
            .iter()
            .rev()
            .take_while(|o| o.per_capita > line)
            .last()
            .map(|o| o.on);
        Self {
            per_capita,
            line,
            line_year,
            months_above: run_start.map_or(0, |from| full_months(from, today)),
        }
    }
}

/// 两不愁三保障及饮水安全 status at the time of the check (§4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasicNeeds {
    /// 不愁吃、不愁穿.
    pub food_and_clothing: bool,
    /// 住房安全.
    pub housing: HousingSafety,
    /// 饮水安全.
    pub water: WaterSafety,
    /// 每位成员均参加基本医疗保险.
    pub all_insured: bool,
    /// 有义务教育阶段失学辍学 (any compulsory-age child out of school).
    pub compulsory_dropout: bool,
}

/// What the checker needs for one household.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EliminationInput {
    /// 认定日期 (`Identification::approved_on`; kept through a rollback, §8.3).
    pub identified_on: NaiveDate,
    pub today: NaiveDate,
    pub income: IncomeStanding,
    /// Risks recorded at identification.
    pub risks_at_identification: RiskSet,
    /// Risks the household has now (after the latest visit or warning).
    pub current_risks: RiskSet,
    /// `Plan::uncovered` of the assistance plan.
    pub uncovered: RiskSet,
    pub basic_needs: BasicNeeds,
    /// 整户无劳: no member has labour capacity ([`crate::assistance::has_labour`] is false).
    pub whole_household_no_labour: bool,
}

/// One condition's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConditionResult {
    pub code: Condition,
    pub met: bool,
    /// 说明: the figures and, when not met, what is missing.
    pub explanation: String,
}

/// Checks every condition of §8.1, in the order of [`Condition::ALL`].
pub fn check(input: &EliminationInput, cfg: &EliminationConfig) -> Vec<ConditionResult> {
    vec![
        income(input, cfg),
        monitored_long_enough(input, cfg),
        risks_addressed(input),
        basic_needs(&input.basic_needs),
        no_new_risk(input),
        not_no_labour(input),
    ]
}

/// 可以提出风险消除: every condition holds.
pub fn eligible(input: &EliminationInput, cfg: &EliminationConfig) -> bool {
    check(input, cfg).iter().all(|c| c.met)
}

fn result(code: Condition, met: bool, explanation: String) -> ConditionResult {
    ConditionResult {
        code,
        met,
        explanation,
    }
}

/// [P:安徽; V] 1. Income above the *current* year's line (strictly: at the line the household
/// is still within the monitoring range), for at least the configured months.
fn income(input: &EliminationInput, cfg: &EliminationConfig) -> ConditionResult {
    let i = &input.income;
    let year = input.today.year();
    let need = cfg.min_months_income_above;
    let (met, text) = if i.line_year != year {
        (
            false,
            format!(
                "所用监测范围为{}年标准（{}元），应按{year}年标准核对",
                i.line_year, i.line
            ),
        )
    } else if i.per_capita <= i.line {
        (
            false,
            format!(
                "人均纯收入{}元未超过{year}年监测范围{}元",
                i.per_capita, i.line
            ),
        )
    } else if i.months_above < need {
        (
            false,
            format!(
                "人均纯收入{}元超过{year}年监测范围{}元，但仅稳定{}个月，须满{need}个月",
                i.per_capita, i.line, i.months_above
            ),
        )
    } else {
        (
            true,
            format!(
                "人均纯收入{}元超过{year}年监测范围{}元，已稳定{}个月",
                i.per_capita, i.line, i.months_above
            ),
        )
    };
    result(Condition::IncomeStable, met, text)
}

/// [P:安徽 + V] 6. Identified at least the configured months ago.
fn monitored_long_enough(input: &EliminationInput, cfg: &EliminationConfig) -> ConditionResult {
    let need = cfg.min_months_since_identification;
    let earliest = add_months(input.identified_on, need);
    let months = full_months(input.identified_on, input.today);
    let met = input.today >= earliest;
    let text = if met {
        format!("{}纳入监测，已满{months}个月", input.identified_on)
    } else {
        format!(
            "{}纳入监测，仅{months}个月，须满{need}个月（{earliest}起方可提出）",
            input.identified_on
        )
    };
    result(Condition::MonitoredLongEnough, met, text)
}

/// [N + P:安徽] 3/6. Every risk has a carried-out measure (the assistance plan's uncovered
/// risks are empty).
fn risks_addressed(input: &EliminationInput) -> ConditionResult {
    let met = input.uncovered.is_empty();
    let text = if met {
        "各项风险均已落实针对性帮扶措施".to_owned()
    } else {
        format!(
            "以下风险尚未落实针对性帮扶措施：{}",
            input.uncovered.label()
        )
    };
    result(Condition::RisksAddressed, met, text)
}

/// [N] 2. 两不愁三保障 and drinking water secured (§4.5).
fn basic_needs(b: &BasicNeeds) -> ConditionResult {
    let mut missing = Vec::new();
    if !b.food_and_clothing {
        missing.push("吃穿未有保障".to_owned());
    }
    if !b.housing.is_safe() {
        missing.push(format!("住房不安全（{}）", b.housing));
    }
    if b.water != WaterSafety::Safe {
        missing.push("饮水不安全".to_owned());
    }
    if !b.all_insured {
        missing.push("有成员未参加基本医疗保险".to_owned());
    }
    if b.compulsory_dropout {
        missing.push("有义务教育阶段失学辍学".to_owned());
    }
    let met = missing.is_empty();
    let text = if met {
        "吃穿、义务教育、基本医疗、住房安全和饮水安全均有保障".to_owned()
    } else {
        format!("尚未保障：{}", missing.join("；"))
    };
    result(Condition::BasicNeedsSecured, met, text)
}

/// [N] 4. No risk beyond those recorded at identification.
fn no_new_risk(input: &EliminationInput) -> ConditionResult {
    let new = input
        .current_risks
        .iter()
        .filter(|r| !input.risks_at_identification.contains(*r))
        .fold(RiskSet::EMPTY, RiskSet::with);
    let met = new.is_empty();
    let text = if met {
        "认定以来未出现新的风险".to_owned()
    } else {
        format!(
            "认定后出现新的风险：{}，须先落实帮扶并稳定后再提出消除",
            new.label()
        )
    };
    result(Condition::NoNewRisk, met, text)
}

/// [N; P:安徽; I] Whole household without labour: the mark is withheld (暂不标注风险消除).
fn not_no_labour(input: &EliminationInput) -> ConditionResult {
    let met = !input.whole_household_no_labour;
    let text = if met {
        "家庭有劳动能力成员".to_owned()
    } else {
        "整户无劳兜底保障户暂不标注风险消除，落实兜底保障后继续跟踪监测".to_owned()
    };
    result(Condition::NotNoLabour, met, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::RiskType;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn good() -> EliminationInput {
        let risks = RiskSet::EMPTY.with(RiskType::Illness);
        EliminationInput {
            identified_on: d(2024, 1, 15),
            today: d(2024, 7, 15),
            income: IncomeStanding {
                per_capita: Money::from_yuan(9_000),
                line: Money::from_yuan(8_700),
                line_year: 2024,
                months_above: 6,
            },
            risks_at_identification: risks,
            current_risks: risks,
            uncovered: RiskSet::EMPTY,
            basic_needs: BasicNeeds {
                food_and_clothing: true,
                housing: HousingSafety::GradeB,
                water: WaterSafety::Safe,
                all_insured: true,
                compulsory_dropout: false,
            },
            whole_household_no_labour: false,
        }
    }

    fn obs(on: NaiveDate, yuan: i64) -> IncomeObservation {
        IncomeObservation {
            on,
            per_capita: Money::from_yuan(yuan),
        }
    }

    #[test]
    fn income_standing_counts_the_newest_run_above_the_line() {
        let line = Money::from_yuan(8_700);
        let today = d(2024, 9, 20);
        // Yearly record of 2023 below, then visits: below in February, above from March.
        let seen = [
            obs(d(2024, 5, 10), 9_400),
            obs(d(2023, 1, 1), 7_000),
            obs(d(2024, 2, 10), 8_100),
            obs(d(2024, 3, 12), 9_000),
            obs(d(2024, 9, 1), 9_600),
        ];
        let s = IncomeStanding::from_observations(&seen, line, 2024, today);
        assert_eq!(
            s.per_capita,
            Money::from_yuan(9_600),
            "the newest figure counts"
        );
        assert_eq!(
            s.months_above, 6,
            "12 March to 20 September: six whole months"
        );

        // A newest assessment at the line breaks the run: no month above.
        let mut broken = seen.to_vec();
        broken.push(obs(d(2024, 9, 15), 8_700));
        let s = IncomeStanding::from_observations(&broken, line, 2024, today);
        assert_eq!((s.per_capita, s.months_above), (line, 0));

        // An assessment dated after today is ignored; nothing at all gives zero.
        let s = IncomeStanding::from_observations(&[obs(d(2024, 10, 1), 5_000)], line, 2024, today);
        assert_eq!((s.per_capita, s.months_above), (Money::ZERO, 0));

        // A yearly record above the line, dated 1 January, counts from then.
        let s = IncomeStanding::from_observations(&[obs(d(2024, 1, 1), 9_900)], line, 2024, today);
        assert_eq!(s.months_above, 8);
    }

    fn only(input: &EliminationInput, c: Condition) -> ConditionResult {
        check(input, &EliminationConfig::default())
            .into_iter()
            .find(|r| r.code == c)
            .unwrap()
    }

    /// Asserts that exactly the condition `c` fails.
    fn fails_only(input: &EliminationInput, c: Condition) -> String {
        let results = check(input, &EliminationConfig::default());
        for r in &results {
            assert_eq!(r.met, r.code != c, "{:?}: {}", r.code, r.explanation);
        }
        assert!(!eligible(input, &EliminationConfig::default()));
        results
            .into_iter()
            .find(|r| r.code == c)
            .unwrap()
            .explanation
    }

    #[test]
    fn all_met_is_eligible_in_order() {
        let results = check(&good(), &EliminationConfig::default());
        let codes: Vec<Condition> = results.iter().map(|r| r.code).collect();
        assert_eq!(codes, Condition::ALL);
        assert!(results.iter().all(|r| r.met));
        assert!(eligible(&good(), &EliminationConfig::default()));
        assert_eq!(
            only(&good(), Condition::IncomeStable).explanation,
            "人均纯收入9000元超过2024年监测范围8700元，已稳定6个月"
        );
    }

    #[test]
    fn income_boundaries() {
        let mut i = good();
        i.income.months_above = 5;
        assert!(fails_only(&i, Condition::IncomeStable).contains("仅稳定5个月，须满6个月"));
        // At the line is still within the monitoring range.
        let mut i = good();
        i.income.per_capita = i.income.line;
        assert!(fails_only(&i, Condition::IncomeStable).contains("未超过2024年监测范围"));
        let mut i = good();
        i.income.per_capita = i.income.line + Money::from_fen(1);
        assert!(eligible(&i, &EliminationConfig::default()));
        // Last year's line is not the current year's.
        let mut i = good();
        i.income.line_year = 2023;
        assert!(fails_only(&i, Condition::IncomeStable).contains("应按2024年标准"));
    }

    #[test]
    fn six_months_since_identification_exactly() {
        let mut i = good();
        i.today = d(2024, 7, 14);
        let text = fails_only(&i, Condition::MonitoredLongEnough);
        assert!(
            text.contains("仅5个月") && text.contains("2024-07-15起"),
            "{text}"
        );
        i.today = d(2024, 7, 15);
        assert!(eligible(&i, &EliminationConfig::default()));
        assert!(
            only(&i, Condition::MonitoredLongEnough)
                .explanation
                .contains("已满6个月")
        );
        // Configurable.
        let cfg = EliminationConfig {
            min_months_since_identification: 12,
            ..Default::default()
        };
        assert!(!eligible(&i, &cfg));
    }

    #[test]
    fn uncovered_risk_blocks() {
        let mut i = good();
        i.uncovered = RiskSet::EMPTY.with(RiskType::Illness);
        assert_eq!(
            fails_only(&i, Condition::RisksAddressed),
            "以下风险尚未落实针对性帮扶措施：因病"
        );
    }

    #[test]
    fn each_basic_need_blocks() {
        type Spoil = fn(&mut BasicNeeds);
        let cases: [(Spoil, &str); 5] = [
            (|b| b.food_and_clothing = false, "吃穿未有保障"),
            (|b| b.housing = HousingSafety::GradeC, "住房不安全（C）"),
            (|b| b.water = WaterSafety::Unsafe, "饮水不安全"),
            (|b| b.all_insured = false, "未参加基本医疗保险"),
            (|b| b.compulsory_dropout = true, "失学辍学"),
        ];
        for (spoil, words) in cases {
            let mut i = good();
            spoil(&mut i.basic_needs);
            let text = fails_only(&i, Condition::BasicNeedsSecured);
            assert!(text.contains(words), "{text}");
        }
    }

    #[test]
    fn new_risk_blocks_but_a_resolved_one_does_not() {
        let mut i = good();
        i.current_risks = i.current_risks.with(RiskType::Disaster);
        assert!(fails_only(&i, Condition::NoNewRisk).contains("因自然灾害"));
        // A risk that disappeared naturally (自然消除) is no obstacle.
        let mut i = good();
        i.current_risks = RiskSet::EMPTY;
        assert!(eligible(&i, &EliminationConfig::default()));
    }

    #[test]
    fn no_labour_blocks() {
        let mut i = good();
        i.whole_household_no_labour = true;
        assert!(fails_only(&i, Condition::NotNoLabour).contains("暂不标注风险消除"));
    }

    #[test]
    fn condition_codes_round_trip() {
        let mut keys = std::collections::HashSet::new();
        for c in Condition::ALL {
            assert_eq!(Condition::from_code(c.code()), Some(*c));
            assert_eq!(Condition::parse(c.label()).unwrap(), *c);
            assert!(keys.insert(c.key()));
        }
    }
}
