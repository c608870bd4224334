//! Every rule just below, at and above its threshold, on hand-made households.

use super::quality::{self, QualityCode};
use super::*;
use crate::feed::{
    AssistanceChange, AssistanceKind, DisabilityKind, DisasterKind, EmploymentEvent, EventDetail,
    HouseDamage, HousingGrade, SchoolingEvent, VisitType,
};
use crate::monitoring::Category;
use chrono::Datelike;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const AS_OF: (i32, u32, u32) = (2025, 12, 31);

fn as_of() -> NaiveDate {
    d(AS_OF.0, AS_OF.1, AS_OF.2)
}

/// A policy with one line (8,700 in 2024 and 2025, as in §4.4a) and a reference income of
/// 20,000 for 2024, so that the medical thresholds are 10,000 and 20,000.
fn policy() -> Policy {
    Policy::from_toml(
        r#"
        effective_from = "2024-01-01"
        [[monitoring_lines]]
        scope = "52"
        year = 2024
        amount = 8700
        [[monitoring_lines]]
        scope = "52"
        year = 2025
        amount = 8700
        [[rural_income]]
        scope = "全国"
        year = 2024
        amount = 20000
        "#,
    )
    .unwrap()
}

struct H {
    facts: HouseholdFacts,
    members: Vec<MemberFacts>,
    incomes: Vec<YearIncome>,
    events: Vec<FeedEvent>,
}

fn member(id: u32, relation: Relation, birth_year: i32, labor: Labor) -> MemberFacts {
    MemberFacts {
        id,
        relation,
        birth_date: d(birth_year, 6, 1),
        labor,
        health: Health::HEALTHY,
        disability_grade: None,
        schooling: None,
        work_months: Some(10),
        medical_insured: Some(true),
        dibao: None,
        tekun: None,
    }
}

/// Four people; 2024 and 2025 incomes of `net_2024` and `net_2025` yuan, all wages.
fn household(ty: HouseholdType, net_2024: i64, net_2025: i64) -> H {
    let inc = |year, net| YearIncome {
        year,
        wage: Money::from_yuan(net),
        ..YearIncome::default()
    };
    H {
        facts: HouseholdFacts {
            id: 1,
            village: RegionCode::parse("520322100201").unwrap(),
            household_type: ty,
            exit_year: (ty == HouseholdType::ExPoor).then_some(2018),
            housing: Some(HousingSafety::Safe),
            water: Some(WaterSafety::Safe),
            monitored: false,
        },
        members: vec![
            member(1, Relation::Head, 1975, Labor::Ordinary),
            member(2, Relation::Spouse, 1977, Labor::Ordinary),
            MemberFacts {
                schooling: Some(Schooling::Grade8),
                work_months: None,
                ..member(3, Relation::Son, 2011, Labor::NoLabor)
            },
            MemberFacts {
                work_months: None,
                ..member(4, Relation::Mother, 1950, Labor::NoLabor)
            },
        ],
        incomes: vec![inc(2024, net_2024), inc(2025, net_2025)],
        events: vec![],
    }
}

impl H {
    fn event(mut self, member: u32, date: NaiveDate, detail: EventDetail) -> Self {
        self.events.push(FeedEvent {
            member,
            date,
            detail,
        });
        self
    }

    fn run_with(&self, policy: &Policy) -> Vec<Warning> {
        let view = HouseholdView {
            household: &self.facts,
            members: &self.members,
            incomes: &self.incomes,
            events: &self.events,
        };
        let local = policy.local(self.facts.village, as_of());
        let mut out = Vec::new();
        screen(&view, policy, &local, as_of(), &mut out);
        out
    }

    fn run(&self) -> Vec<Warning> {
        self.run_with(&policy())
    }

    fn rules(&self) -> Vec<RuleId> {
        self.run().iter().map(|w| w.rule).collect()
    }

    fn assessment(&self) -> Assessment {
        let view = HouseholdView {
            household: &self.facts,
            members: &self.members,
            incomes: &self.incomes,
            events: &self.events,
        };
        let p = policy();
        let local = p.local(self.facts.village, as_of());
        assess(&view, &local, as_of(), &self.run())
    }
}

/// A comfortable household: nothing fires.
fn ok() -> H {
    household(HouseholdType::Ordinary, 60_000, 60_000)
}

#[test]
fn a_comfortable_household_has_no_warning() {
    assert_eq!(ok().run(), vec![]);
}

#[test]
fn income_low_at_the_line() {
    // 4 people × 8,700 = 34,800: at the line fires, one fen above does not.
    let at = household(HouseholdType::Ordinary, 34_800, 34_800);
    let w = at.run();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].rule, RuleId::IncomeLow);
    assert_eq!(
        (w[0].figure, w[0].threshold, w[0].key),
        (870_000, 870_000, 2025)
    );
    assert!(
        w[0].describe()
            .contains("人均纯收入8700元，不高于监测范围8700元"),
        "{}",
        w[0].describe()
    );
    let mut above = household(HouseholdType::Ordinary, 34_800, 34_800);
    above.incomes[1].wage = Money::from_fen(3_480_004); // 8,700.01 per person
    assert_eq!(above.rules(), vec![]);
    let mut below = above;
    below.incomes[1].wage = Money::from_fen(3_479_996);
    assert_eq!(below.rules(), vec![RuleId::IncomeLow]);
}

#[test]
fn income_drop_at_thirty_percent() {
    // 100,000 → 70,000 is exactly −30 %.
    let at = household(HouseholdType::Ordinary, 100_000, 70_000);
    let w = at.run();
    assert_eq!(
        w.iter().map(|w| w.rule).collect::<Vec<_>>(),
        vec![RuleId::IncomeDrop]
    );
    assert_eq!((w[0].figure, w[0].threshold), (30, 30));
    assert_eq!(w[0].risk, RiskType::UnstableJob);
    let mut just_less = household(HouseholdType::Ordinary, 100_000, 70_000);
    just_less.incomes[1].wage = Money::from_fen(7_000_001);
    assert_eq!(just_less.rules(), vec![]);
    let more = household(HouseholdType::Ordinary, 100_000, 69_999);
    assert_eq!(more.rules(), vec![RuleId::IncomeDrop]);
    // A fall of the farm business names 因产业项目失败.
    let mut farm = household(HouseholdType::Ordinary, 50_000, 50_000);
    farm.incomes[0].business_income = Money::from_yuan(50_000);
    assert_eq!(farm.run()[0].risk, RiskType::IndustryFail);
    // The income_drop threshold is configuration.
    let p = Policy::with_overrides(
        DEFAULT_TEST_POLICY,
        &[("rules.income_drop.min_drop_percent".into(), "40".into())],
    )
    .unwrap();
    assert_eq!(more.run_with(&p), vec![]);
}

const DEFAULT_TEST_POLICY: &str = r#"
effective_from = "2024-01-01"
[[monitoring_lines]]
scope = "52"
year = 2025
amount = 8700
[[rural_income]]
scope = "全国"
year = 2024
amount = 20000
"#;

fn medical(oop: i64) -> EventDetail {
    EventDetail::Medical {
        total: Money::from_yuan(oop * 3),
        out_of_pocket: Money::from_yuan(oop),
        visit: Some(VisitType::Inpatient),
    }
}

#[test]
fn medical_burden_thresholds_by_household_type() {
    // Ordinary household: above 100 % of 20,000.
    let at =
        ok().event(1, d(2025, 3, 1), medical(15_000))
            .event(2, d(2025, 11, 20), medical(5_000));
    assert_eq!(at.rules(), vec![], "20,000 is not above 20,000");
    let above = ok()
        .event(1, d(2025, 3, 1), medical(15_000))
        .event(2, d(2025, 11, 20), medical(5_000))
        .event(
            2,
            d(2025, 11, 21),
            EventDetail::Medical {
                total: Money::from_fen(1),
                out_of_pocket: Money::from_fen(1),
                visit: None,
            },
        );
    let w = above.run();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].rule, RuleId::MedicalBurden);
    assert_eq!(
        (w[0].figure, w[0].threshold, w[0].sources),
        (2_000_001, 2_000_000, 3)
    );
    assert_eq!(
        (w[0].first, w[0].last),
        (Some(d(2025, 3, 1)), Some(d(2025, 11, 21)))
    );
    assert_eq!(w[0].member, Some(2));
    assert!(w[0].describe().contains("结算3笔"), "{}", w[0].describe());
    // 脱贫户 and monitored households: above 50 %.
    let mut ex =
        household(HouseholdType::ExPoor, 60_000, 60_000).event(1, d(2025, 3, 1), medical(10_000));
    assert_eq!(ex.rules(), vec![]);
    ex = ex.event(1, d(2025, 3, 2), medical(1));
    assert_eq!(ex.rules(), vec![RuleId::MedicalBurden]);
    let mut monitored = ok().event(1, d(2025, 3, 1), medical(10_001));
    assert_eq!(monitored.rules(), vec![]);
    monitored.facts.monitored = true;
    assert_eq!(monitored.rules(), vec![RuleId::MedicalBurden]);
    // Spending outside the 12-month window does not count.
    let old =
        household(HouseholdType::ExPoor, 60_000, 60_000).event(1, d(2024, 12, 31), medical(50_000));
    assert_eq!(old.rules(), vec![]);
    let edge =
        household(HouseholdType::ExPoor, 60_000, 60_000).event(1, d(2025, 1, 1), medical(50_000));
    assert_eq!(edge.rules(), vec![RuleId::MedicalBurden]);
}

/// docs/domain.md §4.4a, variant: per-capita 12,000 (48,000 for 4), 38,000 out of pocket after
/// insurance → adjusted 2,500 per person; a 突发严重困难户 with risk 因病.
#[test]
fn worked_example_rigid_spending() {
    let h =
        household(HouseholdType::Ordinary, 48_000, 48_000).event(1, d(2025, 6, 1), medical(38_000));
    let w = h.run();
    let rules: Vec<_> = w.iter().map(|w| w.rule).collect();
    assert_eq!(rules, vec![RuleId::MedicalBurden]);
    // 38,000 is below the household's net income of 48,000: not "above the year's income";
    // with a 70 % share configured, it is.
    let p = Policy::with_overrides(
        DEFAULT_TEST_POLICY,
        &[(
            "rules.rigid_spending.share_of_net_percent".into(),
            "70".into(),
        )],
    )
    .unwrap();
    let w = h.run_with(&p);
    let rigid = w.iter().find(|w| w.rule == RuleId::RigidSpending).unwrap();
    assert_eq!(rigid.figure, 3_800_000);
    assert_eq!(rigid.threshold, 3_360_000);
    assert_eq!(rigid.risk, RiskType::Illness);
    // At 100 %: rigid spending of exactly the net income is not above it; one yuan more is.
    let at =
        household(HouseholdType::Ordinary, 48_000, 48_000).event(1, d(2025, 6, 1), medical(48_000));
    assert!(!at.rules().contains(&RuleId::RigidSpending));
    let above = at.event(1, d(2025, 6, 2), medical(1));
    assert!(above.rules().contains(&RuleId::RigidSpending));
    let a = above.assessment();
    assert_eq!(a.category, Some(Category::SuddenHardship));
    assert_eq!(a.income, Some((2025, Money::from_yuan(12_000))));
    assert!(a.risks.contains(RiskType::Illness));
}

/// docs/domain.md §4.4a: 22,000 net for 4 → 5,500 ≤ 8,700: 脱贫不稳定户 if a 脱贫户, else
/// 边缘易致贫户.
#[test]
fn worked_example_categories() {
    let inc = YearIncome {
        year: 2025,
        wage: Money::from_yuan(14_000),
        business_income: Money::from_yuan(6_000),
        business_cost: Money::from_yuan(2_500),
        property: Money::from_yuan(800),
        transfer: Money::from_yuan(2_400 + 1_300),
        ..YearIncome::default()
    };
    let mut ex = household(HouseholdType::ExPoor, 22_000, 22_000);
    ex.incomes[1] = inc;
    let w = ex.run();
    assert_eq!(w[0].rule, RuleId::IncomeLow);
    assert_eq!(w[0].figure, 550_000);
    assert_eq!(ex.assessment().category, Some(Category::UnstableExPoor));
    let mut ordinary = household(HouseholdType::Ordinary, 22_000, 22_000);
    ordinary.incomes[1] = inc;
    let a = ordinary.assessment();
    assert_eq!(a.category, Some(Category::Marginal));
    assert_eq!(a.channel, Channel::IncomeMonitoring);
}

#[test]
fn severe_disability_grades() {
    let cert = |grade| EventDetail::Disability {
        kind: DisabilityKind::Physical,
        grade,
    };
    assert_eq!(
        ok().event(1, d(2025, 5, 1), cert(DisabilityGrade::Three))
            .rules(),
        vec![]
    );
    let w = ok()
        .event(1, d(2025, 5, 1), cert(DisabilityGrade::Two))
        .run();
    assert_eq!(w[0].rule, RuleId::SevereDisability);
    assert!(w[0].describe().contains("二级"), "{}", w[0].describe());
    assert_eq!(
        ok().event(1, d(2025, 5, 1), cert(DisabilityGrade::One))
            .rules(),
        vec![RuleId::SevereDisability]
    );
    let a = ok()
        .event(1, d(2025, 5, 1), cert(DisabilityGrade::One))
        .assessment();
    assert_eq!(a.channel, Channel::DepartmentWarning);
    assert_eq!(a.category, Some(Category::SuddenHardship));
}

#[test]
fn disaster_loss_and_damage() {
    let hit = |loss: Option<i64>, damage| EventDetail::Disaster {
        kind: DisasterKind::Flood,
        loss: loss.map(Money::from_yuan),
        damage,
    };
    let r = |e| ok().event(1, d(2025, 7, 1), e).rules();
    assert_eq!(r(hit(Some(9_999), Some(HouseDamage::Minor))), vec![]);
    assert_eq!(r(hit(Some(10_000), None)), vec![RuleId::Disaster]);
    assert_eq!(
        r(hit(None, Some(HouseDamage::Severe))),
        vec![RuleId::Disaster]
    );
    assert_eq!(
        r(hit(None, Some(HouseDamage::Collapsed))),
        vec![RuleId::Disaster]
    );
}

#[test]
fn assistance_new_or_large() {
    let a = |kind, change, amount: Option<i64>| EventDetail::Assistance {
        kind,
        change,
        amount: amount.map(Money::from_yuan),
    };
    let r = |e| ok().event(1, d(2025, 7, 1), e).rules();
    use AssistanceChange::*;
    use AssistanceKind::*;
    assert_eq!(r(a(Dibao, Granted, None)), vec![RuleId::Assistance]);
    assert_eq!(r(a(Tekun, Granted, None)), vec![RuleId::Assistance]);
    assert_eq!(r(a(Dibao, Paid, Some(500))), vec![], "a payment is not new");
    assert_eq!(r(a(Dibao, Stopped, None)), vec![]);
    assert_eq!(r(a(Temporary, Paid, Some(2_999))), vec![]);
    assert_eq!(r(a(Temporary, Paid, Some(3_000))), vec![RuleId::Assistance]);
}

#[test]
fn job_loss_needs_a_wage_household() {
    let ev = EventDetail::Employment(EmploymentEvent::Returned);
    // All income is wages: fires.
    assert_eq!(
        ok().event(1, d(2025, 2, 1), ev).rules(),
        vec![RuleId::JobLoss]
    );
    // Wages exactly half of gross: fires; just under half: not.
    let mut half = ok();
    half.incomes[1].wage = Money::from_yuan(30_000);
    half.incomes[1].transfer = Money::from_yuan(30_000);
    assert_eq!(
        half.event(1, d(2025, 2, 1), ev).rules(),
        vec![RuleId::JobLoss]
    );
    let mut less = ok();
    less.incomes[1].wage = Money::from_fen(2_999_999);
    less.incomes[1].transfer = Money::from_fen(3_000_001);
    assert_eq!(less.event(1, d(2025, 2, 1), ev).rules(), vec![]);
    // 断缴 alone is not a job loss.
    let lapsed = EventDetail::Employment(EmploymentEvent::Lapsed);
    assert_eq!(ok().event(1, d(2025, 2, 1), lapsed).rules(), vec![]);
}

#[test]
fn dropout_in_compulsory_schooling() {
    let ev = |stage| EventDetail::Schooling {
        event: SchoolingEvent::Dropout,
        stage,
    };
    assert_eq!(
        ok().event(3, d(2025, 9, 1), ev(Some(Schooling::Grade8)))
            .rules(),
        vec![RuleId::Dropout]
    );
    assert_eq!(
        ok().event(3, d(2025, 9, 1), ev(Some(Schooling::HighSchool1)))
            .rules(),
        vec![]
    );
    // Without a stage, by age: the son (born 2011-06-01) is 14, the mother 75.
    assert_eq!(
        ok().event(3, d(2025, 9, 1), ev(None)).rules(),
        vec![RuleId::Dropout]
    );
    assert_eq!(ok().event(4, d(2025, 9, 1), ev(None)).rules(), vec![]);
    // Age 15 is the last compulsory year; 16 is not.
    let mut h = ok();
    h.members[2].birth_date = d(2010, 9, 1);
    assert_eq!(
        h.event(3, d(2025, 9, 1), ev(None)).rules(),
        vec![RuleId::Dropout]
    );
    let mut h = ok();
    h.members[2].birth_date = d(2009, 9, 1);
    assert_eq!(h.event(3, d(2025, 9, 1), ev(None)).rules(), vec![]);
    let enrolled = EventDetail::Schooling {
        event: SchoolingEvent::Enrolled,
        stage: Some(Schooling::Grade7),
    };
    assert_eq!(ok().event(3, d(2025, 9, 1), enrolled).rules(), vec![]);
}

#[test]
fn dangerous_house_grades() {
    let r = |g| {
        ok().event(1, d(2025, 4, 1), EventDetail::Housing(g))
            .rules()
    };
    assert_eq!(r(HousingGrade::B), vec![]);
    assert_eq!(r(HousingGrade::C), vec![RuleId::DangerousHouse]);
    assert_eq!(r(HousingGrade::D), vec![RuleId::DangerousHouse]);
}

#[test]
fn death_of_the_last_worker() {
    // Both parents work: one dies, the other still works → no warning.
    let one = ok().event(1, d(2025, 8, 1), EventDetail::Death);
    assert_eq!(one.rules(), vec![]);
    // Both die (the second long ago, before the window): nobody left who can work.
    let both = ok().event(2, d(2023, 1, 1), EventDetail::Death).event(
        1,
        d(2025, 8, 1),
        EventDetail::Death,
    );
    let w = both.run();
    assert_eq!(
        w.iter().map(|w| w.rule).collect::<Vec<_>>(),
        vec![RuleId::DeathLackLabor]
    );
    assert_eq!(w[0].risk, RiskType::LackLabor);
    // A worker who died long ago and a non-worker dying now: the household had already
    // lived without that worker, the new death takes no labour away.
    let mut h = ok().event(1, d(2022, 1, 1), EventDetail::Death).event(
        4,
        d(2025, 8, 1),
        EventDetail::Death,
    );
    h.members[1].labor = Labor::NoLabor;
    assert_eq!(h.rules(), vec![]);
    // The death of someone without labour capacity changes nothing.
    let mut h = ok().event(4, d(2025, 8, 1), EventDetail::Death);
    h.members[0].labor = Labor::NoLabor;
    h.members[1].labor = Labor::NoLabor;
    assert_eq!(h.rules(), vec![]);
}

#[test]
fn registry_gaps_near_the_line() {
    // 4 × 13,050 = 52,200: per-capita income exactly 150 % of the 8,700 line.
    let gaps = |net: i64| {
        let mut h = household(HouseholdType::Ordinary, net, net);
        h.members[3].medical_insured = Some(false);
        h.facts.housing = Some(HousingSafety::GradeC);
        h.facts.water = Some(WaterSafety::Unsafe);
        h
    };
    let h = gaps(52_200);
    assert_eq!(
        h.rules(),
        vec![
            RuleId::Uninsured,
            RuleId::UnsafeHousing,
            RuleId::UnsafeWater
        ]
    );
    // One fen per person above 150 %: the household is expected to cope on its own.
    let mut above = gaps(52_200);
    above.incomes[1].wage = Money::from_fen(5_220_004);
    assert_eq!(above.rules(), vec![]);
    // No income recorded: not judged (the data-quality check DQ11 lists it).
    let mut unknown = gaps(52_200);
    unknown.incomes.clear();
    assert_eq!(unknown.rules(), vec![]);
    // A dead member's missing insurance is not a gap.
    let mut h2 = gaps(52_200).event(4, d(2025, 1, 5), EventDetail::Death);
    h2.facts.housing = None;
    h2.facts.water = None;
    assert_eq!(h2.rules(), vec![]);
    let a = h.assessment();
    assert_eq!(a.category, None, "above the line and no shock: 待研判");
    assert_eq!(a.risks.label(), "住房出现安全问题、饮水安全问题、其他");
}

#[test]
fn switched_off_rules_are_silent_and_keys_are_stable() {
    let h = household(HouseholdType::Ordinary, 34_800, 34_800);
    let p = Policy::with_overrides(
        DEFAULT_TEST_POLICY,
        &[("rules.income_low.enabled".into(), "false".into())],
    )
    .unwrap();
    assert_eq!(h.run_with(&p), vec![]);
    // The same facts give the same warnings, keys included.
    let e = ok().event(1, d(2025, 5, 1), EventDetail::Housing(HousingGrade::D));
    assert_eq!(e.run(), e.run());
    assert_eq!(e.run()[0].key, i64::from(d(2025, 5, 1).num_days_from_ce()));
}

#[test]
fn future_events_are_ignored() {
    let h = ok().event(1, d(2026, 1, 1), EventDetail::Housing(HousingGrade::D));
    assert_eq!(h.rules(), vec![]);
}

#[test]
fn at_most_five_risks() {
    let mut h = household(HouseholdType::Ordinary, 100_000, 30_000)
        .event(1, d(2025, 5, 1), EventDetail::Housing(HousingGrade::D))
        .event(1, d(2025, 5, 1), medical(30_000))
        .event(
            3,
            d(2025, 9, 1),
            EventDetail::Schooling {
                event: SchoolingEvent::Dropout,
                stage: Some(Schooling::Grade8),
            },
        )
        .event(
            2,
            d(2025, 6, 1),
            EventDetail::Disability {
                kind: DisabilityKind::Visual,
                grade: DisabilityGrade::One,
            },
        );
    h.facts.water = Some(WaterSafety::Unsafe);
    let a = h.assessment();
    assert!(h.run().len() > 5);
    assert_eq!(a.risks.len(), 5);
}

#[test]
fn quality_findings() {
    let settings = Policy::builtin().quality;
    let run = |h: &H| {
        let view = HouseholdView {
            household: &h.facts,
            members: &h.members,
            incomes: &h.incomes,
            events: &h.events,
        };
        let mut out = Vec::new();
        quality::check(&view, &settings, as_of(), &mut out);
        out.iter().map(|f| f.code).collect::<Vec<_>>()
    };
    assert_eq!(run(&ok()), vec![]);
    let mut h = ok().event(4, d(2025, 3, 1), EventDetail::Death);
    h.facts.household_type = HouseholdType::ExPoor;
    h.facts.exit_year = None;
    h.members[2].labor = Labor::Ordinary; // 14 years old
    h.members[2].schooling = None;
    h.members[3].labor = Labor::Skilled; // 75 at the end of 2025: not above 75
    h.members[0].disability_grade = Some(DisabilityGrade::One);
    h.members[0].work_months = Some(0);
    h.members[1].work_months = None;
    assert_eq!(
        run(&h),
        vec![
            QualityCode::ExPoorWithoutExitYear,
            QualityCode::DeceasedMember,
            QualityCode::LaborHealth,
            QualityCode::DisabilityMismatch,
            QualityCode::LaborTooYoung,
            QualityCode::SchoolAgeWithoutSchooling,
            QualityCode::WageWithoutWork,
        ]
    );
    h.members[3].birth_date = d(1949, 6, 1);
    assert!(run(&h).contains(&QualityCode::LaborTooOld));
    let mut empty = ok();
    empty.members.clear();
    assert_eq!(run(&empty), vec![QualityCode::NoMembers]);
    let mut no_income = ok();
    no_income.incomes.truncate(0);
    no_income.members[0].relation = Relation::Son;
    assert_eq!(
        run(&no_income),
        vec![QualityCode::NoHead, QualityCode::NoRecentIncome]
    );
    assert_eq!(QualityCode::DeceasedMember.tag(), "DQ03");
}
