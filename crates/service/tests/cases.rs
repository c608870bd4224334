//! The case procedure end to end, on SQLite and (when configured) PostgreSQL: a screening
//! lead becomes an identification case, goes through verification, consent, comparison,
//! review, publicity with an objection and a second review, township and county; warnings
//! found later go to the case; elimination is refused too early and for a household without
//! labour, then passes; a rollback reopens monitoring; after a second elimination a new risk
//! opens a new case, and the household's whole history stays readable.

mod common;

use chrono::{Days, NaiveDate};
use common::*;
use domain::Money;
use domain::case::{Action, Actor, CaseState, Deadlines, Level, Outcome};
use domain::feed::Feed;
use domain::monitoring::{Category, RiskSet, RiskType};
use service::cases::{PendingQuery, act, act_batch, dismiss_lead, open_case, pending};
use service::screening::LeadOutcome;
use store::screening::lead_status;
use store::testing::{TestStore, stores};

fn township() -> Actor {
    Actor::new(Level::Township, "乡镇李")
}
fn county() -> Actor {
    Actor::new(Level::County, "县局王")
}

/// Acts on `day` (also the clerk's today).
async fn step(t: &TestStore, case: i64, action: Action, who: &Actor, day: NaiveDate) -> CaseState {
    act(&t.store, case, action, who, day, &Deadlines::default())
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", t.name))
        .case
        .state
}

/// Runs the identification (or elimination, `ident = false`) procedure from verification to
/// the county's decision, starting on `day`; returns the day after.
async fn procedure(t: &TestStore, case: i64, day: NaiveDate, ident: bool) -> NaiveDate {
    let d = |n: u64| day + Days::new(n);
    step(
        t,
        case,
        Action::Verify {
            on: d(0),
            form: verification(),
        },
        &village(),
        d(0),
    )
    .await;
    if ident {
        step(
            t,
            case,
            Action::Consent {
                on: d(0),
                consent: consent(),
            },
            &village(),
            d(0),
        )
        .await;
        step(
            t,
            case,
            Action::Compare {
                on: d(1),
                findings: "无异常".into(),
            },
            &county(),
            d(1),
        )
        .await;
    }
    let review = |on| Action::Review {
        on,
        participants: "村民代表12人".into(),
        minutes: "同意".into(),
        outcome: Outcome::Agreed,
    };
    step(t, case, review(d(2)), &village(), d(2)).await;
    step(
        t,
        case,
        Action::StartPublicity { on: d(2) },
        &village(),
        d(2),
    )
    .await;
    step(
        t,
        case,
        Action::ClosePublicity { on: d(7) },
        &village(),
        d(7),
    )
    .await;
    step(
        t,
        case,
        Action::TownshipReview {
            on: d(8),
            note: "同意".into(),
            outcome: Outcome::Agreed,
        },
        &township(),
        d(8),
    )
    .await;
    d(9)
}

#[tokio::test]
async fn a_case_from_lead_to_elimination_rollback_and_a_new_case() {
    for t in stores().await {
        seeded(&t).await;
        imported(&feed(&t, Feed::Medical, "med.csv", &medical_csv()).await);
        let first = screen(&t, as_of(2025, 12, 31)).await;
        assert_eq!(first.leads_new, 2);
        let leads = t.store.leads(None, Some(lead_status::OPEN)).await.unwrap();
        let h1 = leads.iter().find(|l| l.household_no == "H1").unwrap().id;
        let h2 = leads.iter().find(|l| l.household_no == "H2").unwrap().id;
        let day0 = domain::Zone::BEIJING.day_of(leads[0].created_at);

        // Triage: H2 dismissed (a reason is required), H1 opened.
        assert!(dismiss_lead(&t.store, h2, " ", &village()).await.is_err());
        dismiss_lead(&t.store, h2, "已享受大病保险，家庭可自主应对", &village())
            .await
            .unwrap();
        let case = open_case(&t.store, h1, &village(), day0).await.unwrap();
        assert!(
            open_case(&t.store, h1, &village(), day0).await.is_err(),
            "a lead opens once"
        );
        let open = t.store.leads(None, Some(lead_status::OPEN)).await.unwrap();
        assert!(open.is_empty(), "{}", t.name);

        // The 15-day limit runs from the first clue.
        let p = pending(&t.store, &all(), day0, &Deadlines::default())
            .await
            .unwrap();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].due, Some(day0 + Days::new(15)));
        assert!(!p[0].overdue);
        let late = pending(
            &t.store,
            &all(),
            day0 + Days::new(16),
            &Deadlines::default(),
        )
        .await
        .unwrap();
        assert!(late[0].overdue);

        // Identification, with an objection during publicity and a second review.
        let d = |n: u64| day0 + Days::new(n);
        step(
            &t,
            case,
            Action::Verify {
                on: d(0),
                form: verification(),
            },
            &village(),
            d(0),
        )
        .await;
        // The signed consent with its scan, kept with the case in the same step.
        let scan = b"%PDF-1.4 signed consent".as_slice();
        let consented = service::cases::act_with_scan(
            &t.store,
            case,
            Action::Consent {
                on: d(0),
                consent: consent(),
            },
            ("承诺授权书.pdf", scan),
            &village(),
            d(0),
            &Deadlines::default(),
        )
        .await
        .unwrap();
        let kept = consented.case.ident.consent.unwrap().attachment.unwrap();
        assert_eq!(
            t.store.case_file(case, &kept.sha256).await.unwrap(),
            Some(("承诺授权书.pdf".to_owned(), scan.to_vec())),
            "{}",
            t.name
        );
        // Comparison is the county's: a village clerk is refused and nothing changes.
        let before = t.store.case(case).await.unwrap();
        let e = act(
            &t.store,
            case,
            Action::Compare {
                on: d(1),
                findings: "无".into(),
            },
            &village(),
            d(1),
            &Deadlines::default(),
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("应由县级办理"), "{e}");
        assert_eq!(t.store.case(case).await.unwrap(), before, "{}", t.name);
        step(
            &t,
            case,
            Action::Compare {
                on: d(1),
                findings: "无财政供养人员".into(),
            },
            &county(),
            d(1),
        )
        .await;
        let review = |on| Action::Review {
            on,
            participants: "村民代表12人".into(),
            minutes: "同意纳入".into(),
            outcome: Outcome::Agreed,
        };
        assert_eq!(
            step(&t, case, review(d(2)), &village(), d(2)).await,
            CaseState::Publicity
        );
        step(
            &t,
            case,
            Action::StartPublicity { on: d(2) },
            &village(),
            d(2),
        )
        .await;
        let back = step(
            &t,
            case,
            Action::Objection {
                on: d(3),
                text: "其子在外务工收入较高".into(),
                reverify: false,
            },
            &village(),
            d(3),
        )
        .await;
        assert_eq!(back, CaseState::Review);
        step(&t, case, review(d(4)), &village(), d(4)).await;
        step(
            &t,
            case,
            Action::StartPublicity { on: d(4) },
            &village(),
            d(4),
        )
        .await;
        // Publicity of fewer than five days is refused.
        assert!(
            act(
                &t.store,
                case,
                Action::ClosePublicity { on: d(6) },
                &village(),
                d(6),
                &Deadlines::default()
            )
            .await
            .is_err()
        );
        step(
            &t,
            case,
            Action::ClosePublicity { on: d(9) },
            &village(),
            d(9),
        )
        .await;
        step(
            &t,
            case,
            Action::TownshipReview {
                on: d(10),
                note: "同意".into(),
                outcome: Outcome::Agreed,
            },
            &township(),
            d(10),
        )
        .await;
        let approve = Action::ApproveIdentification {
            on: d(11),
            category: Category::UnstableExPoor,
            risks: RiskSet::EMPTY.with(RiskType::UnstableJob),
            per_capita: Some(Money::from_yuan(5_500)),
            line: Money::from_yuan(8_700),
            sudden_shock: false,
        };
        assert_eq!(
            step(&t, case, approve, &county(), d(11)).await,
            CaseState::Monitored
        );
        // Monitored: what remains on the desk is the first measure.
        let p = pending(&t.store, &all(), d(11), &Deadlines::default())
            .await
            .unwrap();
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(p[0].task, "开始帮扶");

        // A later warning of H1 goes to its case, not to a new lead.
        let disability = format!(
            "证件号码,姓名,残疾类别,残疾等级,发证日期\n{},张小军,肢体残疾,一级,2025-12-01\n",
            pid("张小军")
        );
        imported(&feed(&t, Feed::Disability, "dis.csv", &disability).await);
        let again = screen(&t, as_of(2025, 12, 31)).await;
        let f = again
            .flagged
            .iter()
            .find(|f| f.household_no == "H1")
            .unwrap();
        assert_eq!(f.outcome, LeadOutcome::Attached, "{}", t.name);
        assert_eq!(again.leads_new, 0, "{}", t.name);

        // Elimination: too early (under six months), then without labour, then passes.
        step(
            &t,
            case,
            Action::StartAssistance { on: d(12) },
            &village(),
            d(12),
        )
        .await;
        let propose = |on, none: bool| Action::ProposeElimination {
            on,
            note: "收入稳定".into(),
            whole_household_no_labour: none,
        };
        let too_early = act(
            &t.store,
            case,
            propose(d(30), false),
            &village(),
            d(30),
            &Deadlines::default(),
        )
        .await
        .unwrap_err();
        assert!(
            too_early.to_string().contains("纳入监测未满6个月"),
            "{too_early}"
        );
        let later = d(11) + Days::new(200);
        assert!(
            act(
                &t.store,
                case,
                propose(later, true),
                &village(),
                later,
                &Deadlines::default()
            )
            .await
            .is_err(),
            "整户无劳 cannot be eliminated"
        );
        step(&t, case, propose(later, false), &village(), later).await;
        let after = procedure(&t, case, later, false).await;
        assert_eq!(
            step(
                &t,
                case,
                Action::ApproveElimination {
                    on: after,
                    note: "同意".into()
                },
                &county(),
                after
            )
            .await,
            CaseState::Eliminated
        );
        // Rolled back: monitored again (the county reverses its own decision).
        let rb = after + Days::new(20);
        assert_eq!(
            step(
                &t,
                case,
                Action::Rollback {
                    on: rb,
                    reason: "收入不稳定".into()
                },
                &county(),
                rb
            )
            .await,
            CaseState::Monitored
        );
        let second = rb + Days::new(200);
        step(&t, case, propose(second, false), &village(), second).await;
        let after = procedure(&t, case, second, false).await;
        step(
            &t,
            case,
            Action::ApproveElimination {
                on: after,
                note: "同意".into(),
            },
            &county(),
            after,
        )
        .await;

        // A new risk after elimination: a new lead opens a new case.
        let disaster = format!(
            "证件号码,姓名,灾害类型,受灾日期,直接经济损失,房屋受损\n{},张大山,洪涝,2025-12-20,30000,倒塌\n",
            pid("张大山")
        );
        imported(&feed(&t, Feed::Disaster, "flood.csv", &disaster).await);
        let third = screen(&t, as_of(2025, 12, 31)).await;
        assert_eq!(third.leads_new, 1, "{}", t.name);
        let lead = t.store.leads(None, Some(lead_status::OPEN)).await.unwrap()[0].id;
        let new_case = open_case(&t.store, lead, &village(), after).await.unwrap();
        assert_ne!(new_case, case);

        // The household's history: both cases, every transition recorded.
        let history = t.store.cases_of_household("H1").await.unwrap();
        assert_eq!(history.len(), 2);
        assert_eq!(history[0].case.state, CaseState::Eliminated);
        assert_eq!(history[1].case.state, CaseState::Verifying);
        assert!(
            history[0].case.history.len() > 20,
            "{}",
            history[0].case.history.len()
        );
        assert_eq!(history[0].case.rollbacks.len(), 1);
    }
}

#[tokio::test]
async fn a_village_batch_moves_together_or_not_at_all() {
    for t in stores().await {
        let (day0, cases) = cases_from_screening(&t).await;
        assert_eq!(cases.len(), 2, "H1 and H2, both of village {V1}");
        let cfg = Deadlines::default();
        let verify = Action::Verify {
            on: day0,
            form: verification(),
        };
        let rows = act_batch(&t.store, &cases, &verify, &village(), day0, &cfg)
            .await
            .unwrap();
        assert_eq!(rows.len(), 2);
        // Comparison by the village is refused for the first case: neither changes.
        let before: Vec<_> = [
            t.store.case(cases[0]).await.unwrap(),
            t.store.case(cases[1]).await.unwrap(),
        ]
        .to_vec();
        let compare = Action::Compare {
            on: day0,
            findings: "无".into(),
        };
        let e = act_batch(&t.store, &cases, &compare, &village(), day0, &cfg)
            .await
            .unwrap_err();
        assert!(e.to_string().contains(&format!("案件 {}", cases[0])), "{e}");
        for (id, b) in cases.iter().zip(&before) {
            assert_eq!(&t.store.case(*id).await.unwrap(), b, "{}", t.name);
        }
        act_batch(&t.store, &cases, &compare, &county(), day0, &cfg)
            .await
            .unwrap();
        assert!(
            t.store
                .case(cases[1])
                .await
                .unwrap()
                .case
                .ident
                .compared_on
                .is_some()
        );
    }
}

#[tokio::test]
async fn visits_and_declarations_open_or_join_leads() {
    use domain::declaration::{Declaration, Visit};
    use service::channels::{declaration_status, declare, record_visit};
    for t in stores().await {
        seeded(&t).await;
        let today = NaiveDate::from_ymd_opt(2026, 1, 15).unwrap();
        let visit = |risks: RiskSet| Visit {
            visited_on: today,
            visitor: "驻村队员刘".into(),
            findings: "户主务工受伤，收入中断".into(),
            risks,
            income: None,
        };
        // A visit that finds nothing opens nothing.
        let none = record_visit(&t.store, "H3", &visit(RiskSet::EMPTY), today)
            .await
            .unwrap();
        assert_eq!(none.lead, None);
        // A risk found: a new lead from the 干部排查 channel; a second visit joins it.
        let hurt = RiskSet::EMPTY.with(RiskType::Accident);
        let first = record_visit(&t.store, "H3", &visit(hurt), today)
            .await
            .unwrap();
        let (lead, new) = first.lead.unwrap();
        assert!(new);
        let again = record_visit(
            &t.store,
            "H3",
            &visit(RiskSet::EMPTY.with(RiskType::Illness)),
            today,
        )
        .await
        .unwrap();
        assert_eq!(again.lead, Some((lead, false)), "{}", t.name);
        let leads = t.store.leads(None, Some(lead_status::OPEN)).await.unwrap();
        assert_eq!(leads.len(), 1);
        assert_eq!(
            leads[0].channel,
            domain::screening::Channel::CadreVisit.code()
        );
        assert_eq!(RiskSet::from_bits(leads[0].risks).unwrap().len(), 2);
        assert!(
            record_visit(&t.store, "H9", &visit(hurt), today)
                .await
                .is_err()
        );

        // A declaration by a registered member opens a lead; by a stranger, only a receipt.
        let d = |id: &str| {
            Declaration::parse(
                "王建国",
                "13812345678",
                id,
                V1,
                "孩子住院，花费很大",
                "因病",
            )
            .unwrap()
        };
        let r = declare(&t.store, &d(&pid("王建国"))).await.unwrap();
        assert!(r.registered && r.code.len() == 10);
        assert!(
            declaration_status(&t.store, &r.code)
                .await
                .unwrap()
                .contains("正在研判")
        );
        let stranger = domain::IdNumber::from_parts(
            520322,
            NaiveDate::from_ymd_opt(1966, 6, 6).unwrap(),
            777,
            domain::Sex::Male,
        );
        let r2 = declare(&t.store, &d(stranger.as_str())).await.unwrap();
        assert!(!r2.registered);
        assert!(
            declaration_status(&t.store, &r2.code)
                .await
                .unwrap()
                .contains("核实登记")
        );
        assert!(declaration_status(&t.store, "NOSUCHCODE").await.is_err());
        let leads = t.store.leads(None, Some(lead_status::OPEN)).await.unwrap();
        assert_eq!(leads.len(), 2, "{}", t.name);
        let h2 = leads.iter().find(|l| l.household_no == "H2").unwrap();
        assert_eq!(
            h2.channel,
            domain::screening::Channel::SelfDeclaration.code()
        );
        // The household follows its declaration through the procedure.
        open_case(
            &t.store,
            h2.id,
            &village(),
            domain::Zone::BEIJING.day_of(h2.created_at),
        )
        .await
        .unwrap();
        let status = declaration_status(&t.store, &r.code).await.unwrap();
        assert!(status.contains("当前环节：入户核实"), "{status}");
    }
}

#[tokio::test]
async fn a_village_notice_names_households_and_nothing_sensitive() {
    use domain::notice::{NoticeKind, NoticeRules, OfficeContact};
    use service::notices::{Publication, build};
    for t in stores().await {
        let (day0, cases) = cases_from_screening(&t).await;
        let publication = Publication {
            start: day0,
            end: day0 + Days::new(4),
            contact: OfficeContact {
                office: "高山村村民委员会".into(),
                phone: "0851-2612345".into(),
            },
            issuer: "高山村村民委员会".into(),
            issued_on: day0,
        };
        let notice = build(
            &t.store,
            NoticeKind::IdentificationPublicity,
            &cases,
            publication.clone(),
            &NoticeRules::default(),
        )
        .await
        .unwrap();
        let html = notice.render_html();
        assert!(
            html.contains("张大山") && html.contains("王建国"),
            "{}",
            t.name
        );
        assert!(html.contains("脱贫不稳定户"));
        for (_, _, id) in people() {
            assert!(
                !html.contains(&id) && !html.contains(&id[14..]),
                "ID number on a notice"
            );
        }
        for word in ["患有大病", "长期慢性病", "13812345678"] {
            assert!(!html.contains(word), "{word}");
        }
        // An elimination notice needs monitored households.
        let e = build(
            &t.store,
            NoticeKind::EliminationPublicity,
            &cases,
            publication,
            &NoticeRules::default(),
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("尚未纳入监测"), "{e}");
    }
}

#[tokio::test]
async fn measures_cover_the_risks_and_start_assistance() {
    use domain::assistance::{Measure, MeasureStatus, MeasureType, PlanFlag};
    use service::cases::{add_measure, plan};
    for t in stores().await {
        seeded(&t).await;
        screen(&t, as_of(2025, 12, 31)).await;
        let lead = t.store.leads(None, Some(lead_status::OPEN)).await.unwrap()[0].clone();
        assert_eq!(lead.household_no, "H1");
        let day0 = domain::Zone::BEIJING.day_of(lead.created_at);
        let case = open_case(&t.store, lead.id, &village(), day0)
            .await
            .unwrap();
        let cfg = Deadlines::default();
        let job = RiskType::UnstableJob;
        let ty = MeasureType::for_risk(job)
            .find(|m| m.is_development())
            .expect("a development measure for 因务工就业不稳");
        let measure = |start| Measure {
            ty,
            target_risks: RiskSet::EMPTY.with(job),
            provider: "县人社局".into(),
            start,
            end: None,
            amount: None,
            status: MeasureStatus::Active,
            continues_after_elimination: false,
        };
        // Not before identification (and no fast track).
        let e = add_measure(&t.store, case, &measure(day0), &village(), day0, &cfg)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("尚未纳入监测"), "{e}");
        let after = procedure(&t, case, day0, true).await;
        step(
            &t,
            case,
            Action::ApproveIdentification {
                on: after,
                category: Category::UnstableExPoor,
                risks: RiskSet::EMPTY.with(job),
                per_capita: Some(Money::from_yuan(5_500)),
                line: Money::from_yuan(8_700),
                sudden_shock: false,
            },
            &county(),
            after,
        )
        .await;
        // A month and more later without any measure: the risk is uncovered and a development
        // measure is pending.
        let later = after + Days::new(40);
        let p = plan(&t.store, case, later).await.unwrap();
        assert!(p.uncovered.contains(job), "{}", t.name);
        assert!(
            p.flags
                .iter()
                .any(|f| matches!(f, PlanFlag::DevelopmentPending { .. }))
        );
        assert!(p.suggestions.contains(&ty));
        add_measure(&t.store, case, &measure(later), &village(), later, &cfg)
            .await
            .unwrap();
        let p = plan(&t.store, case, later).await.unwrap();
        assert!(p.uncovered.is_empty(), "{}", t.name);
        assert!(p.flags.is_empty(), "{:?}", p.flags);
        let stored = t.store.case(case).await.unwrap().case;
        assert_eq!(stored.assistance_started_on, Some(later));
        assert_eq!(t.store.measures_of(case).await.unwrap().len(), 1);

        // Elimination conditions: the risk is addressed, but 40 days is not six months, and
        // 5,500 per person is not above the line.
        use domain::elimination::Condition;
        let check = service::cases::elimination_check(&t.store, case, later)
            .await
            .unwrap();
        let met = |c: Condition| check.iter().find(|r| r.code == c).unwrap().met;
        assert!(met(Condition::RisksAddressed), "{check:?}");
        assert!(!met(Condition::MonitoredLongEnough), "{check:?}");
        assert!(!met(Condition::IncomeStable), "{check:?}");
        assert!(met(Condition::NotNoLabour));
        assert!(check.iter().all(|r| !r.explanation.is_empty()));

        follow_up(&t, case, later).await;
    }
}

/// 帮扶责任人, the follow-up visits it owes (on its to-do list), and the incomes re-assessed
/// at those visits deciding whether the income is stably above the line.
async fn follow_up(t: &TestStore, case: i64, helped_from: NaiveDate) {
    use chrono::Datelike;
    use domain::assistance::Helper;
    use domain::declaration::Visit;
    use domain::elimination::Condition;
    use service::cases::{assign_helper, elimination_check};
    use service::channels::record_visit;
    let cfg = Deadlines::default();
    let day = |n: u64| helped_from + Days::new(n);
    let helper = |name: &str, since| Helper {
        name: name.into(),
        unit: "县人社局 干部".into(),
        phone: domain::Phone::parse("13800001234").unwrap(),
        since,
    };
    assign_helper(&t.store, case, &helper("王帮扶", day(0)), day(0))
        .await
        .unwrap();
    let e = assign_helper(&t.store, case, &helper("", day(0)), day(0))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("姓名"), "{e}");
    assert_eq!(
        t.store.helpers_of(case).await.unwrap()[0].phone_masked,
        "138****1234"
    );

    // Monthly visits by default: due 30 days after assistance started, on 王帮扶's list.
    let mine = PendingQuery {
        helper: Some("王帮扶"),
        visits_within_days: 30,
        ..all()
    };
    let p = pending(&t.store, &mine, day(0), &cfg).await.unwrap();
    assert_eq!(p.len(), 1, "{} {p:?}", t.name);
    assert_eq!(
        (p[0].task.as_str(), p[0].due, p[0].overdue),
        ("帮扶走访", Some(day(30)), false)
    );
    assert_eq!(p[0].helper.as_deref(), Some("王帮扶"));
    let others = PendingQuery {
        helper: Some("别人"),
        visits_within_days: 30,
        ..all()
    };
    assert!(
        pending(&t.store, &others, day(0), &cfg)
            .await
            .unwrap()
            .is_empty()
    );
    // Not visited by day 31: overdue on the village's desk, not on the township's.
    let desk = |level| PendingQuery {
        level: Some(level),
        ..all()
    };
    let late = pending(&t.store, &desk(Level::Village), day(31), &cfg)
        .await
        .unwrap();
    assert_eq!(late.len(), 1);
    assert!(late[0].overdue);
    assert!(
        pending(&t.store, &desk(Level::Township), day(31), &cfg)
            .await
            .unwrap()
            .is_empty()
    );

    // The visit, with the income re-assessed: a follow-up visit of the case, no lead.
    let visit = |on, yuan| Visit {
        visited_on: on,
        visitor: "王帮扶".into(),
        findings: "务工稳定，收入核实".into(),
        risks: RiskSet::EMPTY,
        income: Some(Money::from_yuan(yuan)),
    };
    let out = record_visit(&t.store, "H1", &visit(day(31), 20_000), day(31))
        .await
        .unwrap();
    assert_eq!((out.case, out.lead), (Some(case), None), "{}", t.name);
    assert!(
        pending(&t.store, &desk(Level::Village), day(31), &cfg)
            .await
            .unwrap()
            .is_empty(),
        "visited: next due in 30 days"
    );

    // A new helper takes over; the earlier one stays in the history.
    assign_helper(&t.store, case, &helper("李接任", day(40)), day(40))
        .await
        .unwrap();
    let helpers = t.store.helpers_of(case).await.unwrap();
    assert_eq!(
        helpers
            .iter()
            .map(|h| (h.name.as_str(), h.ended_on))
            .collect::<Vec<_>>(),
        [("李接任", None), ("王帮扶", Some(day(40)))]
    );

    // The current year's line, so that the income can be judged.
    let y = helped_from.year();
    let lines: String = (y..=y + 1)
        .map(|year| {
            format!("[[monitoring_lines]]\nscope = \"520322\"\nyear = {year}\namount = 8700\n")
        })
        .collect();
    let path = t.dir.path().join("lines.toml");
    std::fs::write(
        &path,
        format!(
            "title = \"当年监测范围\"\neffective_from = \"{y}-01-01\"\n{lines}\
             [rules.medical_burden]\nenabled = false\n"
        ),
    )
    .unwrap();
    service::policy::load_policy(&t.store, &path, "test")
        .await
        .unwrap();
    let income_met = |check: Vec<domain::elimination::ConditionResult>| {
        let r = check
            .into_iter()
            .find(|r| r.code == Condition::IncomeStable)
            .unwrap();
        (r.met, r.explanation)
    };
    // Seven months after the visit above the line: stably above.
    let check_day = day(31 + 215);
    let (met, why) = income_met(elimination_check(&t.store, case, check_day).await.unwrap());
    assert!(met, "{}: {why}", t.name);
    // A later visit finds the income at 8,000: no longer above.
    record_visit(&t.store, "H1", &visit(day(31 + 200), 8_000), check_day)
        .await
        .unwrap();
    let (met, why) = income_met(elimination_check(&t.store, case, check_day).await.unwrap());
    assert!(!met && why.contains("8000"), "{}: {why}", t.name);
}

/// The whole to-do list of every region.
fn all() -> PendingQuery<'static> {
    PendingQuery::default()
}

/// A signed 承诺授权书, without its scan.
fn consent() -> domain::case::Consent {
    domain::case::Consent {
        signed_by: "户主".into(),
        queries: "收入、存款、房产、车辆、工商登记、财政供养".into(),
        attachment: None,
    }
}
