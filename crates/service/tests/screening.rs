//! Department feeds and screening end to end on real files, on SQLite and (when configured)
//! PostgreSQL: feed imports are atomic and idempotent; a screening turns warnings into leads,
//! at most one per household, attaches later warnings to the open lead, and changes nothing
//! when repeated.

mod common;

use common::*;
use domain::Money;
use domain::feed::Feed;
use domain::monitoring::{Category, RiskSet, RiskType};
use domain::screening::RuleId;
use service::feeds::FeedOutcome;
use service::imports::{ImportOutcome, RegistryKind, import_registry};
use service::screening::{LeadOutcome, ScreenOptions, run_screening};
use store::screening::lead_status;
use store::testing::stores;

#[tokio::test]
async fn feed_imports_are_atomic_and_idempotent() {
    for t in stores().await {
        seeded(&t).await;
        let c = imported(&feed(&t, Feed::Medical, "med.csv", &medical_csv()).await);
        assert_eq!(
            (c.rows, c.stored, c.duplicates, c.unmatched, c.households),
            (5, 3, 1, 1, 2),
            "{}",
            t.name
        );
        // The same file again: nothing new, no batch.
        match feed(&t, Feed::Medical, "med.csv", &medical_csv()).await {
            FeedOutcome::NothingNew { counts, .. } => {
                assert_eq!((counts.duplicates, counts.unmatched), (4, 1), "{}", t.name)
            }
            other => panic!("{}: {other:?}", t.name),
        }
        let batches = t.store.feed_batches(None, 10).await.unwrap();
        assert_eq!(batches.len(), 1, "{}", t.name);
        assert_eq!(batches[0].feed.0, Feed::Medical);
        assert_eq!(
            (batches[0].period_from, batches[0].period_to),
            (d(2025, 3, 2), d(2025, 9, 20))
        );
        assert_eq!(batches[0].department, "医保");
        // A file with one bad row changes nothing, and says where the problem is.
        // The right ID with a wrong check character.
        let wang = pid("王建国");
        let wrong = if wang.ends_with('1') { '2' } else { '1' };
        let bad = format!(
            "{MEDICAL_HEAD}{wang},王建国,2025-10-02,100,0,0,0,,门诊\n{}{wrong},王建国,2025-10-03,100,0,0,0,,门诊\n",
            &wang[..17],
        );
        match feed(&t, Feed::Medical, "bad.csv", &bad).await {
            FeedOutcome::Rejected { report } => {
                assert_eq!(report.problems.len(), 1, "{}", t.name);
                let p = &report.problems[0];
                assert_eq!(
                    (p.row, p.column.as_deref(), p.column_letter.as_deref()),
                    (3, Some("证件号码"), Some("A")),
                    "{p:?}"
                );
                // The ID number is masked in the report.
                assert!(!format!("{p}").contains(&pid("王建国")[..17]), "{p}");
            }
            other => panic!("{}: {other:?}", t.name),
        }
        // A future date is refused.
        let future = format!(
            "{MEDICAL_HEAD}{},王建国,2026-02-01,100,0,0,0,,门诊\n",
            pid("王建国")
        );
        assert!(matches!(
            feed(&t, Feed::Medical, "future.csv", &future).await,
            FeedOutcome::Rejected { .. }
        ));
        assert_eq!(t.store.feed_batches(None, 10).await.unwrap().len(), 1);
        // Withdrawn, the records no longer count; the same file imports again.
        service::feeds::withdraw_batch(&t.store, batches[0].id, "test")
            .await
            .unwrap();
        let again = imported(&feed(&t, Feed::Medical, "med.csv", &medical_csv()).await);
        assert_eq!(again.stored, 3, "{}", t.name);
        let all = t.store.feed_batches(Some(Feed::Medical), 10).await.unwrap();
        assert_eq!(all.len(), 2);
        assert!(all[1].withdrawn_at.is_some() && all[0].withdrawn_at.is_none());
        assert!(
            service::feeds::withdraw_batch(&t.store, all[1].id, "test")
                .await
                .is_err(),
            "a batch is withdrawn once"
        );
    }
}

#[tokio::test]
async fn screening_opens_leads_once_and_attaches_later_warnings() {
    for t in stores().await {
        seeded(&t).await;
        imported(&feed(&t, Feed::Medical, "med.csv", &medical_csv()).await);

        let first = screen(&t, as_of(2025, 12, 31)).await;
        assert_eq!(first.households, 3);
        assert_eq!(first.policy_version, 1);
        // H1: §4.4a, 5,500 per person ≤ 8,700, a 脱贫户 → 脱贫不稳定户.
        assert_eq!(
            rules_of(&first, "H1"),
            vec![RuleId::IncomeLow],
            "{}",
            t.name
        );
        let h1 = first
            .flagged
            .iter()
            .find(|f| f.household_no == "H1")
            .unwrap();
        assert_eq!(h1.assessment.category, Some(Category::UnstableExPoor));
        assert_eq!(h1.assessment.income, Some((2025, Money::from_yuan(5_500))));
        assert_eq!(h1.outcome, LeadOutcome::New);
        // H1's income fell from 28,000 to 22,000 (−21 %): below the 30 % of the rule.
        // H2: 38,000 out of pocket > 20,000 (100 % of the reference for an 一般农户).
        assert_eq!(
            rules_of(&first, "H2"),
            vec![RuleId::MedicalBurden],
            "{}",
            t.name
        );
        let h2 = first
            .flagged
            .iter()
            .find(|f| f.household_no == "H2")
            .unwrap();
        assert_eq!(h2.assessment.category, Some(Category::SuddenHardship));
        assert_eq!(h2.assessment.risks, RiskSet::EMPTY.with(RiskType::Illness));
        assert_eq!(h2.warnings[0].figure, 3_800_000);
        assert_eq!(h2.warnings[0].sources, 2);
        assert!(rules_of(&first, "H3").is_empty());
        assert_eq!((first.leads_new, first.warnings_new), (2, 2));
        assert!(first.run_id.is_some());
        assert_eq!(first.by_rule[&RuleId::MedicalBurden], 1);
        let town: u64 = first.by_township.values().map(|(_, n)| n).sum();
        assert_eq!(town, 2);

        let leads = t.store.leads(None, None).await.unwrap();
        assert_eq!(leads.len(), 2, "{}", t.name);
        assert!(
            leads
                .iter()
                .all(|l| l.status == lead_status::OPEN && l.warnings == 1)
        );
        assert_eq!(leads[0].category, Some(Category::UnstableExPoor.code()));

        // The same screening again changes nothing.
        let again = screen(&t, as_of(2025, 12, 31)).await;
        assert_eq!(
            (again.leads_new, again.warnings_new, again.leads_attached),
            (0, 0, 0)
        );
        assert!(
            again
                .flagged
                .iter()
                .all(|f| f.outcome == LeadOutcome::Known)
        );
        assert_eq!(
            t.store.leads(None, None).await.unwrap(),
            leads,
            "{}",
            t.name
        );

        // A new severe disability of H1's son: attached to H1's open lead, no new lead.
        let disability = format!(
            "证件号码,姓名,残疾类别,残疾等级,发证日期\n{},张小军,肢体残疾,一级,2025-12-01\n",
            pid("张小军")
        );
        imported(&feed(&t, Feed::Disability, "dis.csv", &disability).await);
        let third = screen(&t, as_of(2025, 12, 31)).await;
        assert_eq!(
            (third.leads_new, third.leads_attached, third.warnings_new),
            (0, 1, 1),
            "{}",
            t.name
        );
        let leads = t.store.leads(None, None).await.unwrap();
        assert_eq!(leads.len(), 2);
        let h1 = leads.iter().find(|l| l.household_no == "H1").unwrap();
        assert_eq!(h1.warnings, 2);
        let risks = RiskSet::from_bits(h1.risks).unwrap();
        assert!(risks.contains(RiskType::Disability) && risks.contains(RiskType::Other));
        // Each warning's text says why, in one line.
        let run = third.run_id.unwrap();
        let stored = t.store.run_warnings(run).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert!(
            stored[0].summary.contains("新发一级残疾人证1份"),
            "{}",
            stored[0].summary
        );
    }
}

#[tokio::test]
async fn dry_runs_and_what_ifs_write_nothing() {
    for t in stores().await {
        seeded(&t).await;
        imported(&feed(&t, Feed::Medical, "med.csv", &medical_csv()).await);
        let dry = screen(
            &t,
            ScreenOptions {
                dry_run: true,
                ..as_of(2025, 12, 31)
            },
        )
        .await;
        assert_eq!(dry.flagged.len(), 2);
        assert_eq!(dry.run_id, None);
        assert!(t.store.leads(None, None).await.unwrap().is_empty());
        assert!(t.store.last_run().await.unwrap().is_none());

        // What if the line were 13,000? H2 (12,000 per person) enters by income too; H3
        // (22,500) stays out. H2 was already flagged (medical), so households flagged go
        // from 2 to 2 — but with a line of 12,000 as well.
        let what_if = screen(
            &t,
            ScreenOptions {
                line: Some(Money::from_yuan(13_000)),
                ..as_of(2025, 12, 31)
            },
        )
        .await;
        let w = what_if.what_if.unwrap();
        assert_eq!((w.base, w.changed, w.enter, w.leave), (2, 2, 0, 0));
        assert_eq!(
            rules_of(&what_if, "H2"),
            vec![RuleId::IncomeLow, RuleId::MedicalBurden]
        );
        // And a line of 5,000 drops H1; a medical threshold of 200 % drops H2.
        let stricter = screen(
            &t,
            ScreenOptions {
                line: Some(Money::from_yuan(5_000)),
                overrides: vec![("rules.medical_burden.other_percent".into(), "200".into())],
                ..as_of(2025, 12, 31)
            },
        )
        .await;
        let w = stricter.what_if.unwrap();
        assert_eq!(
            (w.base, w.changed, w.enter, w.leave),
            (2, 0, 0, 2),
            "{}",
            t.name
        );
        assert!(t.store.leads(None, None).await.unwrap().is_empty());
        assert!(t.store.last_run().await.unwrap().is_none());
        // A misspelt override is an error, in Chinese.
        let e = run_screening(
            &t.store,
            &ScreenOptions {
                overrides: vec![("rules.medical_burden.percent".into(), "1".into())],
                actor: "test".into(),
                ..as_of(2025, 12, 31)
            },
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("percent"), "{e}");
    }
}

#[tokio::test]
async fn incremental_screening_reads_only_the_new_batches() {
    for t in stores().await {
        seeded(&t).await;
        imported(&feed(&t, Feed::Medical, "med.csv", &medical_csv()).await);
        let full = screen(&t, as_of(2025, 11, 30)).await;
        assert!(!full.incremental);
        assert_eq!(full.households, 3);
        // Nothing new: an incremental run screens no household.
        let none = screen(
            &t,
            ScreenOptions {
                incremental: true,
                ..as_of(2025, 12, 31)
            },
        )
        .await;
        assert_eq!((none.incremental, none.households), (true, 0));
        // A December batch about H3 only.
        let dec = format!(
            "{MEDICAL_HEAD}{},赵春花,2025-12-10,50000,20000,5000,0,25000,住院\n",
            pid("赵春花")
        );
        imported(&feed(&t, Feed::Medical, "dec.csv", &dec).await);
        let inc = screen(
            &t,
            ScreenOptions {
                incremental: true,
                ..as_of(2025, 12, 31)
            },
        )
        .await;
        assert_eq!((inc.incremental, inc.households), (true, 1), "{}", t.name);
        assert_eq!(rules_of(&inc, "H3"), vec![RuleId::MedicalBurden]);
        assert_eq!(inc.leads_new, 1);
        // The full run afterwards finds the same, and adds nothing.
        let after = screen(&t, as_of(2025, 12, 31)).await;
        assert_eq!(after.leads_new, 0, "{}", t.name);
    }
}

#[tokio::test]
async fn the_policy_in_effect_is_recorded_and_versions_are_kept() {
    for t in stores().await {
        seeded(&t).await;
        let dir = t.dir.path();
        // A later version with a line of 6,000 from 2025-07-01.
        let later = write(
            dir,
            "later.toml",
            r#"
            title = "2025年下半年"
            effective_from = "2025-07-01"
            [[monitoring_lines]]
            scope = "520322"
            year = 2025
            amount = 6000
            [rules.medical_burden]
            enabled = false
            "#,
        );
        let (v, _, stored) = service::policy::load_policy(&t.store, &later, "test")
            .await
            .unwrap();
        assert_eq!((v, stored), (2, true));
        let (v, _, stored) = service::policy::load_policy(&t.store, &later, "test")
            .await
            .unwrap();
        assert_eq!((v, stored), (2, false), "the same file is not stored twice");
        // Before July version 1 applies; from July version 2 (5,500 ≤ 6,000 still fires).
        let june = screen(
            &t,
            ScreenOptions {
                dry_run: true,
                ..as_of(2025, 6, 30)
            },
        )
        .await;
        assert_eq!(june.policy_version, 1);
        let dec = screen(&t, as_of(2025, 12, 31)).await;
        assert_eq!(dec.policy_version, 2);
        assert_eq!(t.store.last_run().await.unwrap().unwrap().policy_version, 2);
        let (stored, text) = service::policy::policy_for_day(&t.store, d(2025, 8, 1))
            .await
            .unwrap();
        assert_eq!(stored.unwrap().title, "2025年下半年");
        assert!(text.contains("amount = 6000"));
        // A policy in effect only later leaves earlier days without one.
        let bad = write(
            dir,
            "bad.toml",
            "effective_from = \"2025-01-01\"\nwindow_months = 0\n[[monitoring_lines]]\nscope = \"全国\"\nyear = 2025\namount = 1\n[rules.medical_burden]\nenabled = false\n",
        );
        let e = service::policy::load_policy(&t.store, &bad, "test")
            .await
            .unwrap_err();
        assert!(e.to_string().contains("window_months"), "{e}");
        assert_eq!(service::policy::history(&t.store).await.unwrap().len(), 2);
    }
}

#[tokio::test]
async fn data_quality_lists_findings_by_village() {
    for t in stores().await {
        seeded(&t).await;
        // The grandmother (无劳动力) died: still counted as a member.
        let death = format!(
            "证件号码,姓名,死亡日期\n{},张奶奶,2025-10-01\n",
            pid("张奶奶")
        );
        imported(&feed(&t, Feed::Death, "death.csv", &death).await);
        let q = service::screening::run_quality(&t.store, None, Some(d(2026, 1, 1)))
            .await
            .unwrap();
        assert_eq!(q.households, 3);
        let codes: Vec<(String, String)> = q
            .findings
            .iter()
            .map(|f| (f.household_no.clone(), f.finding.code.tag()))
            .collect();
        assert!(codes.contains(&("H1".into(), "DQ03".into())), "{codes:?}");
        let dq03 = q
            .findings
            .iter()
            .find(|f| f.finding.code.tag() == "DQ03")
            .unwrap();
        assert_eq!(dq03.member.as_deref(), Some("之母（1950年生）"));
        // H1's spouse has no months of work but the head has 7: no DQ07.
        assert!(!codes.contains(&("H1".into(), "DQ07".into())), "{codes:?}");
    }
}

#[tokio::test]
async fn a_quality_report_is_computed_once_for_each_state_of_the_data() {
    use service::screening::{QualityCache, quality_cached};
    use std::sync::Arc;
    for t in stores().await {
        seeded(&t).await;
        let cache = QualityCache::default();
        let day = Some(d(2026, 1, 1));
        let first = quality_cached(&t.store, &cache, None, day).await.unwrap();
        // The next page of the same report: nothing read or checked again.
        let again = quality_cached(&t.store, &cache, None, day).await.unwrap();
        assert!(Arc::ptr_eq(&first, &again), "{}: computed twice", t.name);
        // Another region is another report.
        let v2 = domain::RegionCode::parse(V2).ok();
        let other = quality_cached(&t.store, &cache, v2, day).await.unwrap();
        assert_eq!(other.households, 1, "{}", t.name);

        // A death reported by a feed: a new report, with the finding.
        let death = format!(
            "证件号码,姓名,死亡日期\n{},张奶奶,2025-10-01\n",
            pid("张奶奶")
        );
        let batch = match feed(&t, Feed::Death, "death.csv", &death).await {
            service::feeds::FeedOutcome::Imported { batch_id, .. } => batch_id,
            other => panic!("{other:?}"),
        };
        let dead = quality_cached(&t.store, &cache, None, day).await.unwrap();
        assert!(!Arc::ptr_eq(&first, &dead), "{}: a stale report", t.name);
        assert!(dead.findings.iter().any(|f| f.finding.code.tag() == "DQ03"));
        // Withdrawn, the death no longer counts.
        service::feeds::withdraw_batch(&t.store, batch, "test")
            .await
            .unwrap();
        let withdrawn = quality_cached(&t.store, &cache, None, day).await.unwrap();
        assert!(
            !withdrawn
                .findings
                .iter()
                .any(|f| f.finding.code.tag() == "DQ03")
        );
        // A new household without members (无户主): the registry changed, a new report.
        let h = write(
            t.dir.path(),
            "h9.csv",
            &format!(
                "户编号,村代码,户类型,脱贫年度,住房安全,饮水安全\nH9,{V1},一般农户,,安全,安全\n"
            ),
        );
        service::imports::import_registry(
            &t.store,
            service::imports::RegistryKind::Households,
            &h,
            None,
            "test",
            None,
        )
        .await
        .unwrap();
        let grown = quality_cached(&t.store, &cache, None, day).await.unwrap();
        assert_eq!(grown.households, 4, "{}", t.name);
    }
}

#[tokio::test]
async fn a_registry_change_is_seen_by_the_next_screening() {
    for t in stores().await {
        seeded(&t).await;
        // The first screening builds the screening image of the registry.
        let before = screen(&t, as_of(2025, 12, 31)).await;
        assert!(rules_of(&before, "H3").is_empty());
        let generation = t.store.registry_generation().await.unwrap();
        assert_eq!(
            t.store.facts_images(None, generation).await.unwrap().len(),
            t.store.villages_in(None).await.unwrap().len(),
            "{}",
            t.name
        );
        // H3's 2025 income falls to 5,000: the image is out of date and rebuilt.
        let p = write(
            t.dir.path(),
            "i2.csv",
            "户编号,年度,工资性收入,生产经营性收入,生产经营性支出,财产性收入,转移性收入\nH3,2025,5000,0,0,0,0\n",
        );
        match import_registry(&t.store, RegistryKind::Incomes, &p, None, "test", None)
            .await
            .unwrap()
        {
            ImportOutcome::Imported { .. } => {}
            ImportOutcome::Rejected { report } => panic!("{}", report.render_text(5)),
        }
        assert!(t.store.registry_generation().await.unwrap() > generation);
        let after = screen(&t, as_of(2025, 12, 31)).await;
        assert_eq!(
            rules_of(&after, "H3"),
            vec![RuleId::IncomeLow, RuleId::IncomeDrop],
            "{}",
            t.name
        );
        // Read from the image or from the tables, the facts are the same.
        let from_image = t
            .store
            .registry_facts(store::screening::Selection::Region(None), 2025)
            .await
            .unwrap();
        let from_tables = t
            .store
            .registry_facts_from_tables(store::screening::Selection::Region(None))
            .await
            .unwrap();
        let mut a = from_image.households.clone();
        let mut b = from_tables.households.clone();
        a.sort_by_key(|h| h.id);
        b.sort_by_key(|h| h.id);
        assert_eq!(a, b);
        assert_eq!(from_image.members.len(), from_tables.members.len());
    }
}
