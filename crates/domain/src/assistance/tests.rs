use super::*;
use proptest::prelude::*;
use std::collections::HashSet;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn risks(list: &[RiskType]) -> RiskSet {
    list.iter().fold(RiskSet::EMPTY, |s, r| s.with(*r))
}

fn measure(ty: MeasureType, targets: &[RiskType], status: MeasureStatus) -> Measure {
    Measure {
        ty,
        target_risks: risks(targets),
        provider: "县农业农村局".into(),
        start: d(2024, 2, 1),
        end: (status == MeasureStatus::Ended).then(|| d(2024, 3, 1)),
        amount: Some(Money::from_yuan(2_000)),
        status,
        continues_after_elimination: false,
    }
}

const IDENTIFIED: NaiveDate = NaiveDate::from_ymd_opt(2024, 1, 15).unwrap();

fn run(r: RiskSet, labour: &[Labor], today: NaiveDate, measures: &[Measure]) -> Plan {
    plan(
        &PlanInput {
            risks: r,
            labour,
            identified_on: IDENTIFIED,
            today,
            measures,
        },
        &MatchConfig::default(),
    )
}

// ---- catalogue ----

#[test]
fn catalogue_has_one_row_per_type_in_its_groups_code_range() {
    let mut seen = HashSet::new();
    for e in CATALOGUE {
        assert!(seen.insert(e.ty), "{:?} listed twice", e.ty);
        assert_eq!(e.ty.code() / 100, e.group.code(), "{:?}", e.ty);
        assert!(!e.risks.is_empty(), "{:?} addresses nothing", e.ty);
    }
    assert_eq!(seen.len(), MeasureType::ALL.len());
    // Every group has at least one detailed type.
    for g in MeasureGroup::ALL {
        assert!(CATALOGUE.iter().any(|e| e.group == *g), "{g} is empty");
    }
    // Every risk type has at least one remedy in the catalogue.
    for r in RiskType::ALL {
        assert!(MeasureType::for_risk(*r).next().is_some(), "{r}");
    }
}

#[test]
fn natures_follow_section_7_3() {
    let dev: Vec<MeasureGroup> = MeasureGroup::ALL
        .iter()
        .copied()
        .filter(|g| g.nature() == MeasureNature::Development)
        .collect();
    use MeasureGroup::*;
    assert_eq!(dev, [Industry, Employment, PublicJob, Finance]);
    assert!(MeasureType::Dibao.is_social_protection());
    assert!(MeasureType::Microcredit.is_development());
    assert!(!MeasureType::HouseRenovation.is_development());
    assert_eq!(Finance.group_2020(), Group2020::Industry);
    assert_eq!(SocialSecurity.group_2020(), Group2020::Protection);
    assert_eq!(
        MeasureType::parse("公益岗位").unwrap(),
        MeasureType::PublicWelfareJob
    );
    assert_eq!(MeasureGroup::parse("兜底保障").unwrap(), SocialSecurity);
    assert!(
        MeasureType::parse("发钱")
            .unwrap_err()
            .message
            .contains("帮扶措施类型")
    );
}

#[test]
fn section_7_3_mapping_is_in_the_catalogue() {
    use MeasureGroup as G;
    use RiskType as R;
    let groups = |r: R| -> HashSet<G> { MeasureType::for_risk(r).map(|t| t.group()).collect() };
    let expect: [(R, &[G]); 8] = [
        (R::Illness, &[G::Health, G::SocialSecurity]),
        (R::Housing, &[G::Housing]),
        (R::Water, &[G::Water]),
        (R::Education, &[G::Education]),
        (R::Dropout, &[G::Education]),
        (R::UnstableJob, &[G::Employment, G::PublicJob]),
        (R::IndustryFail, &[G::Industry, G::Finance, G::Insurance]),
        (R::Disaster, &[G::SocialSecurity, G::Insurance, G::Housing]),
    ];
    for (r, gs) in expect {
        let have = groups(r);
        for g in gs {
            assert!(have.contains(g), "{r} should be met by {g}");
        }
    }
    assert!(MeasureType::TemporaryAid.addresses(R::Disaster));
    assert!(!MeasureType::HouseRenovation.addresses(R::Illness));
    // 其他 may be met by any measure.
    assert!(MeasureType::HouseRenovation.addresses(R::Other));
}

// ---- the measure record ----

#[test]
fn a_consistent_measure_has_no_problem() {
    let m = measure(
        MeasureType::Dibao,
        &[RiskType::Illness],
        MeasureStatus::Ended,
    );
    assert_eq!(m.check(d(2024, 6, 1)), vec![]);
    let json = serde_json_like(&m);
    assert!(json.contains("Dibao"));
}

fn serde_json_like(m: &Measure) -> String {
    // toml is the serde format the crate already has.
    #[derive(Serialize)]
    struct W<'a> {
        m: &'a Measure,
    }
    let s = toml::to_string(&W { m }).unwrap();
    #[derive(Deserialize)]
    struct R {
        m: Measure,
    }
    let back: R = toml::from_str(&s).unwrap();
    assert_eq!(&back.m, m);
    s
}

#[test]
fn measure_problems_in_chinese() {
    let today = d(2024, 6, 1);
    let mut m = measure(
        MeasureType::Dibao,
        &[RiskType::Illness],
        MeasureStatus::Ended,
    );
    m.end = None;
    assert_eq!(m.check(today), vec![MeasureProblem::EndedWithoutEnd]);
    assert_eq!(m.check(today)[0].to_string(), "措施已结束，须填写结束日期");

    m.end = Some(d(2024, 1, 1));
    assert_eq!(
        m.check(today)[0].to_string(),
        "结束日期2024-01-01早于开始日期2024-02-01"
    );
    // Same day start and end is fine.
    m.end = Some(m.start);
    assert!(m.check(today).is_empty());
    m.end = Some(d(2024, 7, 1));
    assert!(matches!(
        m.check(today)[..],
        [MeasureProblem::EndedInFuture { .. }]
    ));

    let mut m = measure(
        MeasureType::Dibao,
        &[RiskType::Illness],
        MeasureStatus::Active,
    );
    m.amount = Some(Money::from_fen(-1));
    assert_eq!(
        m.check(today)[0].to_string(),
        "帮扶金额-0.01元超出范围：应在0元至1000000元之间"
    );
    m.amount = Some(Money::from_yuan(99_999_999));
    assert!(
        m.check(today)[0]
            .to_string()
            .contains("帮扶金额99999999元超出范围")
    );
    m.amount = None;
    m.start = d(2024, 6, 2);
    assert!(m.check(today)[0].to_string().contains("状态应为“计划”"));
    m.status = MeasureStatus::Planned;
    assert!(m.check(today).is_empty());

    let mut m = measure(
        MeasureType::HouseRenovation,
        &[RiskType::Illness],
        MeasureStatus::Active,
    );
    m.provider = " ".into();
    let p: Vec<String> = m.check(today).iter().map(|p| p.to_string()).collect();
    assert_eq!(p, ["“危房改造”不是针对“因病”的措施", "须填写责任部门"]);
    m.target_risks = RiskSet::EMPTY;
    assert!(m.check(today).contains(&MeasureProblem::NoTargetRisk));
}

// ---- matching rules ----

#[test]
fn every_risk_covered_versus_one_uncovered() {
    let r = risks(&[RiskType::Illness, RiskType::Housing]);
    let today = d(2024, 1, 20);
    let both = [
        measure(
            MeasureType::TripleMedical,
            &[RiskType::Illness],
            MeasureStatus::Active,
        ),
        measure(
            MeasureType::HouseRenovation,
            &[RiskType::Housing],
            MeasureStatus::Ended,
        ),
        measure(
            MeasureType::SkillsTraining,
            &[RiskType::Other],
            MeasureStatus::Active,
        ),
    ];
    let p = run(r, &[Labor::Ordinary], today, &both);
    assert!(p.uncovered.is_empty());
    assert!(p.is_complete(), "{:?}", p.required);
    assert!(p.suggestions.is_empty());

    let one = &both[..1];
    let p = run(r, &[Labor::Ordinary], today, one);
    assert_eq!(p.uncovered, risks(&[RiskType::Housing]));
    assert_eq!(
        p.required,
        [
            Requirement::CoverRisk(RiskType::Housing),
            Requirement::Development
        ]
    );
    assert_eq!(
        p.required[0].to_string(),
        "风险“住房出现安全问题”尚无已落实的针对性帮扶措施"
    );
    assert_eq!(p.suggestions[0], MeasureType::HouseRenovation);
}

#[test]
fn planned_or_mistargeted_measures_do_not_cover() {
    let r = risks(&[RiskType::Illness]);
    let today = d(2024, 1, 20);
    let planned = [measure(
        MeasureType::TripleMedical,
        &[RiskType::Illness],
        MeasureStatus::Planned,
    )];
    let p = run(r, &[Labor::Ordinary], today, &planned);
    assert_eq!(p.uncovered, r);
    // Already recorded (though planned): not suggested again.
    assert!(!p.suggestions.contains(&MeasureType::TripleMedical));
    assert!(p.suggestions.contains(&MeasureType::Dibao));

    let wrong = [measure(
        MeasureType::WaterRepair,
        &[RiskType::Illness],
        MeasureStatus::Active,
    )];
    assert_eq!(run(r, &[Labor::Ordinary], today, &wrong).uncovered, r);
}

#[test]
fn development_measure_flagged_at_one_month_overdue_at_six() {
    let r = RiskSet::EMPTY;
    let lab = [Labor::Ordinary, Labor::Lost];
    let at = |today| run(r, &lab, today, &[]).flags;
    let due = d(2024, 7, 15);
    assert_eq!(at(d(2024, 2, 14)), vec![]);
    assert_eq!(
        at(d(2024, 2, 15)),
        vec![PlanFlag::DevelopmentPending {
            since: d(2024, 2, 15),
            due
        }]
    );
    assert_eq!(
        at(d(2024, 7, 14)),
        vec![PlanFlag::DevelopmentPending {
            since: d(2024, 2, 15),
            due
        }]
    );
    assert_eq!(
        at(d(2024, 7, 15)),
        vec![PlanFlag::DevelopmentOverdue { due }]
    );
    assert_eq!(
        at(d(2024, 7, 15))[0].to_string(),
        "有劳动能力户超过期限（2024-07-15）仍未落实开发式帮扶措施"
    );
    // Still required before the first month, without a flag.
    assert_eq!(
        run(r, &lab, d(2024, 1, 16), &[]).required,
        [Requirement::Development]
    );
    // Configurable periods.
    let cfg = MatchConfig {
        development_warn_months: 2,
        development_due_months: 3,
    };
    let input = PlanInput {
        risks: r,
        labour: &lab,
        identified_on: IDENTIFIED,
        today: d(2024, 3, 14),
        measures: &[],
    };
    assert_eq!(plan(&input, &cfg).flags, vec![]);
    let later = PlanInput {
        today: d(2024, 4, 15),
        ..input
    };
    assert!(matches!(
        plan(&later, &cfg).flags[..],
        [PlanFlag::DevelopmentOverdue { .. }]
    ));
}

#[test]
fn a_development_measure_clears_the_requirement() {
    let lab = [Labor::Skilled];
    let m = [measure(
        MeasureType::Microcredit,
        &[RiskType::IndustryFail],
        MeasureStatus::Active,
    )];
    let p = run(risks(&[RiskType::IndustryFail]), &lab, d(2024, 12, 1), &m);
    assert!(p.is_complete() && p.flags.is_empty(), "{p:?}");
    // Social protection alone does not satisfy a labour-capable household [V].
    let m = [measure(
        MeasureType::Dibao,
        &[RiskType::Illness],
        MeasureStatus::Active,
    )];
    let p = run(risks(&[RiskType::Illness]), &lab, d(2024, 12, 1), &m);
    assert_eq!(p.required, [Requirement::Development]);
}

#[test]
fn weak_labour_is_offered_public_jobs_first() {
    let p = run(
        RiskSet::EMPTY,
        &[Labor::Weak, Labor::NoLabor],
        d(2024, 2, 1),
        &[],
    );
    assert_eq!(p.suggestions[0], MeasureType::PublicWelfareJob);
    assert!(p.suggestions.iter().all(|t| t.is_development()));
    let p = run(RiskSet::EMPTY, &[Labor::Ordinary], d(2024, 2, 1), &[]);
    assert_eq!(p.suggestions[0], MeasureType::IndustryGrant);
}

#[test]
fn whole_household_without_labour() {
    let r = risks(&[RiskType::LackLabor]);
    let lab = [Labor::Lost, Labor::NoLabor];
    let p = run(r, &lab, d(2024, 12, 1), &[]);
    assert_eq!(p.flags, [PlanFlag::WholeHouseholdNoLabour]);
    assert_eq!(p.flags[0].to_string(), "整户无劳兜底保障户");
    assert_eq!(
        p.required,
        [
            Requirement::CoverRisk(RiskType::LackLabor),
            Requirement::SocialProtection
        ]
    );
    assert!(p.suggestions.contains(&MeasureType::Dibao));
    assert!(p.suggestions.contains(&MeasureType::Tekun));

    let m = [measure(
        MeasureType::Tekun,
        &[RiskType::LackLabor],
        MeasureStatus::Active,
    )];
    let p = run(r, &lab, d(2024, 12, 1), &m);
    // The flag stays (it blocks elimination); nothing is required any more.
    assert_eq!(p.flags, [PlanFlag::WholeHouseholdNoLabour]);
    assert!(p.is_complete());
    assert!(!has_labour(&lab));
    assert!(has_labour(&[Labor::NoLabor, Labor::Weak]));
}

#[test]
fn month_arithmetic_at_month_ends() {
    assert_eq!(add_months(d(2024, 1, 31), 1), d(2024, 2, 29));
    assert_eq!(full_months(d(2024, 1, 31), d(2024, 2, 29)), 1);
    assert_eq!(full_months(d(2024, 1, 31), d(2024, 2, 28)), 0);
    assert_eq!(full_months(d(2024, 1, 15), d(2024, 7, 14)), 5);
    assert_eq!(full_months(d(2024, 1, 15), d(2024, 7, 15)), 6);
    assert_eq!(full_months(d(2024, 7, 15), d(2024, 1, 15)), 0);
}

// ---- properties ----

fn any_risk() -> impl Strategy<Value = RiskType> {
    prop::sample::select(RiskType::ALL)
}

fn any_measure() -> impl Strategy<Value = Measure> {
    (
        prop::sample::select(MeasureType::ALL),
        prop::collection::vec(any_risk(), 0..3),
        prop::sample::select(MeasureStatus::ALL),
    )
        .prop_map(|(ty, targets, status)| measure(ty, &targets, status))
}

#[test]
fn a_helper_needs_name_unit_and_a_past_pairing_date() {
    let today = d(2024, 5, 1);
    let h = Helper {
        name: "王小明".into(),
        unit: "县农业农村局 干部".into(),
        phone: crate::Phone::parse("13800001234").unwrap(),
        since: today,
    };
    assert!(h.check(today).is_empty());
    let bad = Helper {
        name: " ".into(),
        unit: String::new(),
        since: d(2024, 5, 2),
        ..h
    };
    let e: Vec<String> = bad.check(today).iter().map(ToString::to_string).collect();
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(e[2].contains("晚于今天"));
    let hostile = Helper {
        name: "王\u{1b}[8m".into(),
        unit: "单位".repeat(101),
        since: d(1, 1, 1),
        ..bad
    };
    let e: Vec<String> = hostile
        .check(today)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(e.len(), 3, "{e:?}");
    assert!(e[0].starts_with("帮扶责任人姓名："), "{e:?}");
    assert!(e[1].contains("工作单位及职务过长：最多200个字"), "{e:?}");
    assert!(e[2].contains("结对日期0001-01-01超出范围"), "{e:?}");
}

#[test]
fn measure_text_and_dates_are_bounded() {
    let today = d(2024, 6, 1);
    let mut m = measure(
        MeasureType::Dibao,
        &[RiskType::Illness],
        MeasureStatus::Planned,
    );
    assert!(m.check(today).is_empty());
    m.provider = "县民政局\u{1b}[31m".into();
    m.end = Some(d(9999, 12, 31));
    let e: Vec<String> = m.check(today).iter().map(ToString::to_string).collect();
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(e[0].contains("结束日期9999-12-31超出范围"), "{e:?}");
    assert!(e[1].contains("责任部门第5个字是换行或控制字符"), "{e:?}");
}

proptest! {
    #[test]
    fn catalogue_codes_and_labels_round_trip(ty in prop::sample::select(MeasureType::ALL)) {
        prop_assert_eq!(MeasureType::from_code(ty.code()), Some(ty));
        prop_assert_eq!(MeasureType::parse(ty.label()).unwrap(), ty);
        prop_assert_eq!(MeasureGroup::from_code(ty.group().code()), Some(ty.group()));
        prop_assert_eq!(MeasureGroup::parse(ty.group().label()).unwrap(), ty.group());
    }

    #[test]
    fn required_never_lists_a_covered_risk(
        rs in prop::collection::vec(any_risk(), 0..5),
        labour in prop::collection::vec(prop::sample::select(Labor::ALL), 0..6),
        measures in prop::collection::vec(any_measure(), 0..6),
        days in 0u64..400,
    ) {
        let r = risks(&rs);
        let today = IDENTIFIED + chrono::Days::new(days);
        let p = run(r, &labour, today, &measures);
        for req in &p.required {
            if let Requirement::CoverRisk(risk) = req {
                prop_assert!(!measures.iter().any(|m| m.covers(*risk)));
                prop_assert!(p.uncovered.contains(*risk));
            }
        }
        // Every risk is either covered or listed as uncovered, never both.
        for risk in r.iter() {
            let covered = measures.iter().any(|m| m.covers(risk));
            prop_assert_eq!(covered, !p.uncovered.contains(risk));
        }
        prop_assert!(p.uncovered.iter().all(|x| r.contains(x)));
        // Suggestions are never already recorded, and never repeated.
        let set: HashSet<_> = p.suggestions.iter().collect();
        prop_assert_eq!(set.len(), p.suggestions.len());
        prop_assert!(p.suggestions.iter().all(|t| !measures.iter().any(|m| m.ty == *t)));
        // Exactly one of the two labour branches applies.
        let no_labour = p.flags.contains(&PlanFlag::WholeHouseholdNoLabour);
        prop_assert_eq!(no_labour, !has_labour(&labour));
    }
}
