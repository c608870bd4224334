//! Requests that race (issue, part 3): the same feed sent twice at once, member imports
//! adding a 户主 to one household at once, two screenings at once, batch steps over the same
//! cases in opposite orders. Each runs on SQLite and, when configured, PostgreSQL, whose
//! transactions really run side by side (SQLite admits one writer at a time, so there the
//! tests check that serialising them changes nothing).

mod common;

use common::*;
use domain::case::{Action, Deadlines};
use domain::feed::Feed;
use service::cases::act_batch;
use service::feeds::FeedOutcome;
use service::imports::{ImportOutcome, RegistryKind, import_registry};
use service::screening::{ScreenOptions, run_screening};
use std::time::Duration;
use store::StoreError;
use store::feeds::NewFeedBatch;
use store::screening::lead_status;
use store::testing::{TestStore, stores};

/// Medical records of 王建国 on one day of October 2025, `n` of them.
fn medical_day(day: u32, n: u32) -> String {
    let mut s = MEDICAL_HEAD.to_owned();
    for i in 0..n {
        s.push_str(&format!(
            "{},王建国,2025-10-{day:02},{},100,0,0,,门诊\n",
            pid("王建国"),
            200 + i
        ));
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_feed_sent_twice_at_once_is_stored_once() {
    for t in stores().await {
        seeded(&t).await;
        for round in 1..=4u32 {
            let text = medical_day(round, 3);
            let (na, nb) = (format!("a{round}.csv"), format!("b{round}.csv"));
            let (a, b) = tokio::join!(
                feed(&t, Feed::Medical, &na, &text),
                feed(&t, Feed::Medical, &nb, &text),
            );
            let stored: u64 = [&a, &b]
                .iter()
                .map(|o| match o {
                    FeedOutcome::Imported { counts, .. } => counts.stored,
                    FeedOutcome::NothingNew { .. } => 0,
                    FeedOutcome::Rejected { report } => panic!("{}", report.render_text(5)),
                })
                .sum();
            assert_eq!(stored, 3, "{} round {round}: {a:?} / {b:?}", t.name);
            let batches = t
                .store
                .feed_batches(Some(Feed::Medical), 100)
                .await
                .unwrap();
            assert_eq!(
                batches.len() as u32,
                round,
                "{}: one batch per round",
                t.name
            );
        }
    }
}

#[tokio::test]
async fn a_batch_of_the_same_records_is_refused_by_the_database() {
    for t in stores().await {
        seeded(&t).await;
        static DIGEST: [u8; 32] = [7u8; 32];
        let batch = |file_name| NewFeedBatch {
            feed: Feed::Medical,
            file_name,
            checksum: "00",
            period: (d(2025, 1, 1), d(2025, 1, 2)),
            rows: 1,
            stored: 1,
            duplicates: 0,
            unmatched: 0,
            households: 1,
            actor: "test",
            records_digest: &DIGEST,
        };
        // Two transactions that both passed the application's check: the database keeps
        // the first batch only, whatever the order of their commits.
        let mut first = t.store.begin().await.unwrap();
        let id = first.insert_feed_batch(&batch("a.csv")).await.unwrap();
        assert!(id.is_some(), "{}", t.name);
        let second = {
            let store = t.store.clone();
            let b = batch("b.csv");
            tokio::spawn(async move {
                let mut tx = store.begin().await.unwrap();
                let id = tx.insert_feed_batch(&b).await.unwrap();
                tx.commit().await.unwrap();
                id
            })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        first.commit().await.unwrap();
        assert_eq!(second.await.unwrap(), None, "{}", t.name);
        assert_eq!(t.store.feed_batches(None, 10).await.unwrap().len(), 1);
        // Withdrawn, its records may be stored again.
        service::feeds::withdraw_batch(&t.store, id.unwrap(), "test")
            .await
            .unwrap();
        let mut tx = t.store.begin().await.unwrap();
        assert!(
            tx.insert_feed_batch(&batch("c.csv"))
                .await
                .unwrap()
                .is_some()
        );
        tx.commit().await.unwrap();
    }
}

/// Heads of household `no`, counted by a statement that changes nothing.
async fn heads(t: &TestStore, no: &str) -> u64 {
    t.try_execute_raw(&format!(
        "UPDATE members SET relation = relation WHERE relation = 1 AND household_id = \
         (SELECT id FROM households WHERE household_no = '{no}')"
    ))
    .await
    .unwrap()
}

const MEMBERS_HEAD: &str =
    "户编号,姓名,证件号码,与户主关系,劳动技能,在校生状况,务工月数,参加城乡居民医保\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_member_imports_leave_one_head_per_household() {
    for t in stores().await {
        seeded(&t).await;
        let dir = t.dir.path();
        let mut households = "户编号,村代码,户类型,脱贫年度,住房安全,饮水安全\n".to_owned();
        for k in 0..4 {
            households.push_str(&format!("N{k},{V1},一般农户,,安全,安全\n"));
        }
        let file = write(dir, "n.csv", &households);
        import_registry(&t.store, RegistryKind::Households, &file, None, "t", None)
            .await
            .unwrap();
        for k in 0..4u16 {
            // Two clerks register a 户主 for the same new household at the same moment.
            let one = format!(
                "{MEMBERS_HEAD}N{k},孙甲,{},户主,普通劳动力,,0,是\n",
                id(1980, 1, 1, 100 + 2 * k, domain::Sex::Male)
            );
            let two = format!(
                "{MEMBERS_HEAD}N{k},孙乙,{},户主,普通劳动力,,0,是\n",
                id(1981, 1, 1, 200 + 2 * k, domain::Sex::Female)
            );
            let (f1, f2) = (
                write(dir, &format!("m{k}a.csv"), &one),
                write(dir, &format!("m{k}b.csv"), &two),
            );
            let (a, b) = tokio::join!(
                import_registry(&t.store, RegistryKind::Members, &f1, None, "t", None),
                import_registry(&t.store, RegistryKind::Members, &f2, None, "t", None),
            );
            let mut imported = 0;
            for r in [a, b] {
                match r {
                    Ok(ImportOutcome::Imported { .. }) => imported += 1,
                    // Refused by the check, which saw the other's 户主 …
                    Ok(ImportOutcome::Rejected { report }) => {
                        assert!(
                            report.render_text(5).contains("户主"),
                            "{}: {}",
                            t.name,
                            report.render_text(5)
                        )
                    }
                    // … or by the database, a conflict to retry; never anything else.
                    Err(service::ServiceError::Store(StoreError::Conflict(m))) => {
                        assert!(m.contains("户主"), "{m}")
                    }
                    Err(e) => panic!("{}: {e:?}", t.name),
                }
            }
            assert_eq!(imported, 1, "{} N{k}", t.name);
            assert_eq!(heads(&t, &format!("N{k}")).await, 1, "{} N{k}", t.name);
        }
    }
}

#[tokio::test]
async fn a_second_head_is_refused_by_the_database_and_a_handover_is_not() {
    for t in stores().await {
        seeded(&t).await;
        // Past every check of the application: the schema itself refuses.
        let e = t
            .try_execute_raw(
                "INSERT INTO members (household_id, name, id_enc, id_hash, relation, sex, \
                 birth_date, labor, updated_at) SELECT household_id, name, id_enc, \
                 id_hash || id_hash, 1, sex, birth_date, labor, updated_at FROM members \
                 WHERE relation = 2 LIMIT 1",
            )
            .await;
        assert!(e.is_err(), "{}: a second 户主 was stored", t.name);
        // One file hands 户主 from 张大山 to 李秀英 (and 配偶 the other way): never two at
        // an instant, whatever order the rows are written in.
        let file = write(
            t.dir.path(),
            "swap.csv",
            &format!(
                "{MEMBERS_HEAD}H1,李秀英,{},户主,普通劳动力,,0,是\nH1,张大山,{},配偶,普通劳动力,,7,是\n",
                pid("李秀英"),
                pid("张大山")
            ),
        );
        match import_registry(&t.store, RegistryKind::Members, &file, None, "t", None)
            .await
            .unwrap()
        {
            ImportOutcome::Imported { counts, .. } => assert_eq!(counts.updated, 2),
            ImportOutcome::Rejected { report } => panic!("{}", report.render_text(5)),
        }
        assert_eq!(heads(&t, "H1").await, 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_screenings_at_once_both_succeed_and_open_each_lead_once() {
    for round in 0..3 {
        for t in stores().await {
            seeded(&t).await;
            imported(&feed(&t, Feed::Medical, "med.csv", &medical_csv()).await);
            let opts = ScreenOptions {
                actor: "test".into(),
                ..as_of(2025, 12, 31)
            };
            // A dry run first builds the screening image, so that both runs below take the
            // same path at the same pace and reach their writes together.
            run_screening(
                &t.store,
                &ScreenOptions {
                    dry_run: true,
                    ..opts.clone()
                },
            )
            .await
            .unwrap();
            let (a, b) = tokio::join!(
                run_screening(&t.store, &opts),
                run_screening(&t.store, &opts)
            );
            let (a, b) = (
                a.unwrap_or_else(|e| panic!("{} round {round}: {e:?}", t.name)),
                b.unwrap_or_else(|e| panic!("{} round {round}: {e:?}", t.name)),
            );
            let open = t.store.leads(None, Some(lead_status::OPEN)).await.unwrap();
            assert_eq!(open.len(), 2, "{}: H1 and H2", t.name);
            assert_eq!(a.leads_new + b.leads_new, 2, "{}", t.name);
            assert_eq!(t.store.policies().await.unwrap().len(), 1);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batch_steps_over_the_same_cases_in_opposite_orders_do_not_deadlock() {
    for t in stores().await {
        let (day0, mut cases) = cases_from_screening(&t).await;
        let village = village();
        cases.sort_unstable();
        let (lo, hi) = (cases[0], cases[1]);
        let verify = Action::Verify {
            on: day0,
            form: verification(),
        };
        // A third transaction holds the case `hi` (it writes it and waits), so that the
        // batch [hi, lo] queues on `hi` first and [lo, hi] comes second: written in the
        // order given, the first would then take `hi` and wait for `lo`, held by the
        // second, which waits for `hi` — a deadlock on PostgreSQL.
        let row = t.store.case(hi).await.unwrap();
        let mut hold = t.store.begin().await.unwrap();
        hold.update_case(hi, row.version, &row.case).await.unwrap();
        let run = |ids: Vec<i64>| {
            let (store, action, who) = (t.store.clone(), verify.clone(), village.clone());
            tokio::spawn(async move {
                act_batch(&store, &ids, &action, &who, day0, &Deadlines::default()).await
            })
        };
        let first = run(vec![hi, lo]);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let second = run(vec![lo, hi]);
        tokio::time::sleep(Duration::from_millis(300)).await;
        hold.rollback().await.unwrap();
        let results = [first.await.unwrap(), second.await.unwrap()];
        let mut done = 0;
        for r in results {
            match r {
                Ok(rows) => {
                    done += 1;
                    // In the order asked for.
                    assert_eq!(rows.len(), 2);
                }
                // PostgreSQL: the second found the cases changed under it (409).
                Err(service::ServiceError::Store(StoreError::Conflict(_))) => {}
                // SQLite: the second ran after the first, on cases already verified (422).
                Err(service::ServiceError::Invalid(_)) if t.name == "sqlite" => {}
                Err(e) => panic!("{}: {e:?}", t.name),
            }
        }
        assert_eq!(
            done, 1,
            "{}: one batch verifies, the other is refused",
            t.name
        );
    }
}
