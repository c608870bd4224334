//! The audit log (审计日志), on SQLite and (when configured) PostgreSQL: a case step writes
//! exactly one row in the transaction of the step, and a refused step none; rows chain by
//! hash and `verify` passes; then the database is tampered with directly — a row edited, a
//! middle row deleted, the newest row deleted — and `verify` names the row each time.

mod common;

use common::*;
use domain::RegionCode;
use domain::case::{Action, Deadlines};
use domain::feed::Feed;
use serde_json::Value;
use service::cases::{act, act_batch, open_case};
use store::Store;
use store::audit::{AuditFilter, AuditRow, Change, GENESIS, Who};
use store::screening::lead_status;
use store::testing::{TestStore, stores};

/// Every row, oldest first.
async fn all_rows(s: &Store) -> Vec<AuditRow> {
    let mut rows = s
        .audit_log(&AuditFilter {
            limit: AuditFilter::MAX_LIMIT,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    rows.reverse();
    rows
}

fn json(text: &Option<String>) -> Value {
    serde_json::from_str(text.as_deref().expect("a JSON column")).unwrap()
}

/// A county administrator of 桐梓县 at a browser.
fn admin() -> Who {
    Who {
        user: "县管理员王".into(),
        role: "县级管理员".into(),
        region: Some(RegionCode::parse("520322").unwrap()),
        client: Some("10.0.0.7".into()),
    }
}

#[tokio::test]
async fn a_case_step_writes_one_chained_row_with_its_change_and_a_refused_step_none() {
    for t in stores().await {
        let s = t.store.acting_as(admin());
        seeded(&t).await;
        let counts = imported(&feed(&t, Feed::Medical, "med.csv", &medical_csv()).await);
        screen(&t, as_of(2025, 12, 31)).await;
        // Imports, the policy, the feed batch and the screening run each wrote one row, as
        // the command line (the store's default actor).
        let rows = all_rows(&t.store).await;
        let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(
            actions,
            [
                "import.registry:households",
                "import.registry:members",
                "import.registry:incomes",
                "policy.load",
                "feed_batch.import:medical",
                "screening_run.run",
            ],
            "{}",
            t.name
        );
        assert!(rows.iter().all(|r| r.actor == "命令行" && r.role == "系统"));
        assert_eq!(json(&rows[4].after)["stored"], counts.stored);
        assert_eq!(json(&rows[4].after)["unmatched"], counts.unmatched);

        let lead = t.store.leads(None, Some(lead_status::OPEN)).await.unwrap()[0].clone();
        let day0 = domain::Zone::BEIJING.day_of(lead.created_at);
        let case = open_case(&s, lead.id, &village(), day0).await.unwrap();
        let cfg = Deadlines::default();
        let before = all_rows(&t.store).await.len();

        // One step: one row, as the administrator, with the stage before and the event after.
        let verify = Action::Verify {
            on: day0,
            form: verification(),
        };
        let row = act(&s, case, verify, &village(), day0, &cfg).await.unwrap();
        let rows = all_rows(&t.store).await;
        assert_eq!(rows.len(), before + 1, "{}", t.name);
        let r = rows.last().unwrap();
        assert_eq!(r.action, "case.act:入户核实");
        assert_eq!(
            (r.entity.as_str(), r.entity_id.as_deref()),
            ("case", Some(&*case.to_string()))
        );
        assert_eq!(
            (r.actor.as_str(), r.role.as_str()),
            ("县管理员王", "县级管理员")
        );
        assert_eq!(r.region, admin().region);
        assert_eq!(r.client.as_deref(), Some("10.0.0.7"));
        assert_eq!(json(&r.before)["version"], 1);
        let after = json(&r.after);
        assert_eq!(after["version"], row.version);
        assert_eq!(after["event"]["actor"]["name"], "村干部张");

        // A refused step (the village may not record 信息比对) writes nothing.
        let compare = Action::Compare {
            on: day0,
            findings: "无".into(),
        };
        assert!(
            act(&s, case, compare.clone(), &village(), day0, &cfg)
                .await
                .is_err()
        );
        // Nor does a batch in which one case fails: the first case's step and its row roll
        // back together.
        let e = act_batch(&s, &[case, 999_999], &compare, &village(), day0, &cfg).await;
        assert!(e.is_err());
        assert_eq!(all_rows(&t.store).await.len(), before + 1, "{}", t.name);
        assert_eq!(t.store.case(case).await.unwrap().version, row.version);

        // The rows chain from the genesis, ids without gaps.
        let rows = all_rows(&t.store).await;
        assert_eq!(rows[0].prev_hash, GENESIS);
        for (i, w) in rows.windows(2).enumerate() {
            assert_eq!(w[1].prev_hash, w[0].hash, "row {}", i + 2);
            assert_eq!(w[1].id, w[0].id + 1);
        }
        let check = service::audit::verify(&t.store).await.unwrap();
        assert_eq!(check.first_bad, None, "{}", t.name);
        assert_eq!(check.rows, rows.len() as u64);
        let last = rows.last().unwrap();
        assert_eq!(check.head, (last.id, last.hash.clone()));

        // Queries: by record, by action and the actions under it, by actor, by scope, paged.
        let q = |f: AuditFilter| {
            let s = t.store.clone();
            async move { s.audit_log(&f).await.unwrap() }
        };
        let of_case = q(AuditFilter {
            entity: Some("case".into()),
            entity_id: Some(case.to_string()),
            ..AuditFilter::default()
        })
        .await;
        let names: Vec<&str> = of_case.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(names, ["case.act:入户核实", "case.open"], "newest first");
        assert_eq!(
            q(AuditFilter {
                action: Some("case.act".into()),
                ..AuditFilter::default()
            })
            .await
            .len(),
            1
        );
        assert!(
            q(AuditFilter {
                action: Some("case.ac".into()),
                ..AuditFilter::default()
            })
            .await
            .is_empty(),
            "a prefix stops at ':'"
        );
        assert_eq!(
            q(AuditFilter {
                actor: Some("县管理员王".into()),
                ..AuditFilter::default()
            })
            .await
            .len(),
            2
        );
        let town = RegionCode::parse("520322101").unwrap();
        let other_county = RegionCode::parse("520321").unwrap();
        assert_eq!(
            q(AuditFilter {
                scope: Some(RegionCode::parse("52").unwrap()),
                ..AuditFilter::default()
            })
            .await
            .len(),
            2,
            "system rows have no region"
        );
        let page = q(AuditFilter {
            limit: 3,
            ..AuditFilter::default()
        })
        .await;
        let next = q(AuditFilter {
            limit: 3,
            before_id: Some(page[2].id),
            ..AuditFilter::default()
        })
        .await;
        assert_eq!(next[0].id, page[2].id - 1);
        let since = q(AuditFilter {
            from: Some(r.at),
            ..AuditFilter::default()
        })
        .await;
        assert_eq!(since.first().map(|x| x.id), Some(r.id));
        assert!(since.iter().all(|x| x.at >= r.at));
        assert!(
            q(AuditFilter {
                to: Some(rows[0].at),
                ..AuditFilter::default()
            })
            .await
            .is_empty()
        );
        // The service narrows a county administrator to the county.
        let mine = service::audit::query(&s, &AuditFilter::default())
            .await
            .unwrap();
        assert!(mine.iter().all(|r| r.actor == "县管理员王"));
        assert!(
            service::audit::query(
                &s,
                &AuditFilter {
                    scope: Some(town),
                    ..AuditFilter::default()
                }
            )
            .await
            .is_ok()
        );
        assert!(
            service::audit::query(
                &s,
                &AuditFilter {
                    scope: Some(other_county),
                    ..AuditFilter::default()
                }
            )
            .await
            .is_err()
        );

        // An intruder edits what a row says was done: that row no longer matches its hash.
        let target = of_case[1].id;
        let n = t
            .execute_raw(&format!(
                "UPDATE audit_log SET after = '{{\"state\":\"已纳入监测\"}}' WHERE id = {target}"
            ))
            .await;
        assert_eq!(n, 1);
        let check = service::audit::verify(&t.store).await.unwrap();
        let (id, why) = check.first_bad.expect("tampering found");
        assert_eq!(id, target, "{}: {why}", t.name);
        assert!(why.contains("修改"), "{why}");
        assert_eq!(check.rows, (target - 1) as u64);
    }
}

/// A fresh store with `n` audit rows (views, as the administrator).
async fn with_rows(n: usize) -> Vec<TestStore> {
    let mut out = Vec::new();
    for t in stores().await {
        let s = t.store.acting_as(admin());
        for i in 0..n {
            s.audit(&Change {
                action: "registry.view",
                entity: "household",
                entity_id: Some(format!("H{i}")),
                before: None,
                after: Some(serde_json::json!({ "fields": ["证件号码(已脱敏)"] })),
            })
            .await
            .unwrap();
        }
        let check = t.store.verify_audit().await.unwrap();
        assert!(
            check.is_ok() && check.rows == n as u64,
            "{}: {check:?}",
            t.name
        );
        out.push(t);
    }
    out
}

// Without the head's row lock, two transactions would read the same head and collide on
// the id (or, with ids from a sequence, fork the chain).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_appends_queue_on_the_head_and_never_fork_the_chain() {
    for t in with_rows(1).await {
        let tasks: Vec<_> = (0..16)
            .map(|i| {
                let s = t.store.acting_as(Who::system(format!("任务{i}")));
                tokio::spawn(async move {
                    s.audit(&Change {
                        action: "registry.view",
                        entity: "household",
                        entity_id: Some(i.to_string()),
                        ..Change::default()
                    })
                    .await
                    .unwrap()
                })
            })
            .collect();
        let mut ids = Vec::new();
        for task in tasks {
            ids.push(task.await.unwrap());
        }
        ids.sort_unstable();
        assert_eq!(ids, (2..=17).collect::<Vec<i64>>(), "{}", t.name);
        let check = t.store.verify_audit().await.unwrap();
        assert!(check.is_ok() && check.rows == 17, "{}: {check:?}", t.name);
    }
}

#[tokio::test]
async fn a_deleted_middle_row_is_found() {
    for t in with_rows(5).await {
        assert_eq!(t.execute_raw("DELETE FROM audit_log WHERE id = 3").await, 1);
        let check = t.store.verify_audit().await.unwrap();
        let (id, why) = check.first_bad.expect("deletion found");
        assert_eq!(id, 3, "{}: {why}", t.name);
        assert!(why.contains("删除"), "{why}");
        assert_eq!(check.rows, 2);
    }
}

#[tokio::test]
async fn a_deleted_newest_row_is_found() {
    for t in with_rows(4).await {
        assert_eq!(t.execute_raw("DELETE FROM audit_log WHERE id = 4").await, 1);
        let check = t.store.verify_audit().await.unwrap();
        let (id, why) = check.first_bad.expect("deletion found");
        assert_eq!(id, 4, "{}: {why}", t.name);
        assert!(why.contains("最新"), "{why}");
        assert_eq!(check.rows, 3);
    }
}

#[tokio::test]
async fn a_replaced_hash_and_a_forged_row_are_found() {
    for t in with_rows(3).await {
        t.execute_raw(
            "UPDATE audit_log SET hash = '1111111111111111111111111111111111111111111111111111111111111111' WHERE id = 2",
        )
        .await;
        let (id, why) = t.store.verify_audit().await.unwrap().first_bad.unwrap();
        assert_eq!(id, 2, "{}: {why}", t.name);
    }
    for t in with_rows(2).await {
        t.execute_raw(&format!(
            "INSERT INTO audit_log (id, at, actor, role, action, entity, prev_hash, hash) \
             SELECT 3, at, actor, role, action, entity, hash, '{GENESIS}' FROM audit_log WHERE id = 2"
        ))
        .await;
        let (id, why) = t.store.verify_audit().await.unwrap().first_bad.unwrap();
        assert_eq!(id, 3, "{}: {why}", t.name);
        assert!(why.contains("不在链上"), "{why}");
    }
}

#[tokio::test]
async fn declarations_and_helpers_leave_no_id_number_nor_phone_in_the_log() {
    use domain::declaration::Declaration;
    for t in stores().await {
        seeded(&t).await;
        let id = pid("王建国");
        let d = Declaration::parse("王建国", "13812345678", &id, V1, "孩子住院", "因病").unwrap();
        service::channels::declare(&t.store, &d).await.unwrap();
        let rows = all_rows(&t.store).await;
        let r = rows.last().unwrap();
        assert_eq!(r.action, "declaration.submit");
        assert_eq!(json(&r.after)["registered"], true);
        let lead = t.store.leads(None, Some(lead_status::OPEN)).await.unwrap()[0].clone();
        let day0 = domain::Zone::BEIJING.day_of(lead.created_at);
        let case = open_case(&t.store, lead.id, &village(), day0)
            .await
            .unwrap();
        let helper = domain::assistance::Helper {
            name: "李帮扶".into(),
            unit: "县农业农村局 干部".into(),
            phone: domain::Phone::parse("13900001111").unwrap(),
            since: day0,
        };
        service::cases::assign_helper(&t.store, case, &helper, day0)
            .await
            .unwrap();
        let rows = all_rows(&t.store).await;
        let r = rows.last().unwrap();
        assert_eq!(
            (r.action.as_str(), r.entity.as_str()),
            ("helper.assign", "helper")
        );
        assert_eq!(json(&r.after)["name"], "李帮扶");
        for r in &rows {
            for text in [&r.before, &r.after].into_iter().flatten() {
                assert!(
                    !text.contains(&id)
                        && !text.contains("13812345678")
                        && !text.contains("13900001111"),
                    "{text}"
                );
                assert!(
                    !text.contains(&id[..10]),
                    "not even the start of an ID: {text}"
                );
            }
        }
        assert!(t.store.verify_audit().await.unwrap().is_ok());
    }
}

/// The row's hash as the plain (unkeyed) SHA-256 chain computes it: what anyone with the
/// database and the documented encoding can compute, and what the log accepted before it
/// was keyed.
fn plain_hash(r: &AuditRow, prev_hash: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"fangpin-audit-v1\n");
    let region = r.region.map(|c| c.as_i64().to_string());
    let at = r.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let id = r.id.to_string();
    for v in [
        Some(prev_hash),
        Some(&*id),
        Some(&*at),
        Some(&*r.actor),
        Some(&*r.role),
        region.as_deref(),
        Some(&*r.action),
        Some(&*r.entity),
        r.entity_id.as_deref(),
        r.before.as_deref(),
        r.after.as_deref(),
        r.client.as_deref(),
    ] {
        match v {
            None => h.update([0u8]),
            Some(s) => {
                h.update([1u8]);
                h.update((s.len() as u64).to_be_bytes());
                h.update(s.as_bytes());
            }
        }
    }
    hex::encode(h.finalize())
}

/// Rewrites the whole chain, head included, as plain SHA-256 from the genesis, after
/// `edit` changed the rows: what someone holding the database but not the key can do.
async fn rechain_without_the_key(t: &TestStore) {
    let rows = all_rows(&t.store).await;
    let mut prev = GENESIS.to_owned();
    for r in &rows {
        let hash = plain_hash(r, &prev);
        t.execute_raw(&format!(
            "UPDATE audit_log SET prev_hash = '{prev}', hash = '{hash}' WHERE id = {}",
            r.id
        ))
        .await;
        prev = hash;
    }
    let last = rows.last().unwrap().id;
    t.execute_raw(&format!(
        "UPDATE audit_head SET last_id = {last}, last_hash = '{prev}'"
    ))
    .await;
}

#[tokio::test]
async fn a_chain_rewritten_whole_without_the_key_is_found() {
    for t in with_rows(4).await {
        t.execute_raw("UPDATE audit_log SET after = '{\"fields\":[]}' WHERE id = 2")
            .await;
        rechain_without_the_key(&t).await;
        let (id, why) = t.store.verify_audit().await.unwrap().first_bad.unwrap();
        assert_eq!(
            id, 1,
            "{}: the first row re-hashed is caught: {why}",
            t.name
        );
        assert!(why.contains("密钥"), "{why}");
    }
}

#[tokio::test]
async fn cutting_the_newest_rows_is_found_by_an_anchor() {
    for t in with_rows(5).await {
        let anchor = t.store.anchor_head().await.unwrap();
        assert_eq!(anchor.id, 5);
        assert_eq!(
            store::audit::Anchor::parse(&anchor.line()),
            Some(anchor.clone())
        );
        assert_eq!(t.store.check_anchor(&anchor).await.unwrap(), None);
        // The intruder removes rows 4 and 5 and moves the head back to row 3: the chain
        // that is left is intact in itself …
        let three = all_rows(&t.store).await[2].hash.clone();
        t.execute_raw("DELETE FROM audit_log WHERE id > 3").await;
        t.execute_raw(&format!(
            "UPDATE audit_head SET last_id = 3, last_hash = '{three}'"
        ))
        .await;
        assert!(t.store.verify_audit().await.unwrap().is_ok(), "{}", t.name);
        // … but not the anchor written outside the database.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("anchors.txt");
        std::fs::write(&file, format!("{}\n", anchor.line())).unwrap();
        let found = service::audit::check_anchors(&t.store, &file)
            .await
            .unwrap();
        assert_eq!(found.checked, 1);
        assert_eq!(found.broken.len(), 1, "{}", t.name);
        assert!(found.broken[0].contains("截除"), "{}", found.broken[0]);
        // A line that is not an anchor is refused with its number.
        std::fs::write(&file, format!("{}\nnot an anchor\n", anchor.line())).unwrap();
        let e = service::audit::check_anchors(&t.store, &file)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("第 2 行"), "{e}");
    }
}

#[tokio::test]
async fn a_plain_chain_of_an_older_database_is_resealed_once_under_the_key() {
    for t in with_rows(3).await {
        // Back to the database as the release before the key left it: a plain chain, and
        // migration 0015 not applied.
        rechain_without_the_key(&t).await;
        t.execute_raw("DELETE FROM _sqlx_migrations WHERE version = 15")
            .await;
        t.execute_raw("ALTER TABLE users DROP COLUMN must_change_password")
            .await;
        t.execute_raw("ALTER TABLE sessions DROP COLUMN last_seen_at")
            .await;
        assert!(!t.store.verify_audit().await.unwrap().is_ok());
        let reopened = t.reopen().await.unwrap();
        let check = reopened.verify_audit().await.unwrap();
        assert!(check.is_ok(), "{}: {check:?}", t.name);
        assert_eq!(check.rows, 4, "three rows and the re-sealing's own");
        let rows = all_rows(&reopened).await;
        let rekey = rows.last().unwrap();
        assert_eq!(rekey.action, "audit.rekey");
        assert_eq!(json(&rekey.before)["check"], "完整");
        assert_eq!(json(&rekey.after)["rows"], 3);
        // Once: opening again changes nothing.
        let again = t.reopen().await.unwrap();
        assert_eq!(all_rows(&again).await.len(), 4, "{}", t.name);
    }
}

// docs/postgres-roles.sql, applied to this test's schema and role: the service works as
// that role, and the role cannot change or remove an audit row.
#[tokio::test]
async fn on_postgresql_the_service_role_may_only_append_to_the_audit_log() {
    let Some(t) = store::testing::postgres().await else {
        return;
    };
    let schema = t.schema.clone().unwrap();
    let role = format!("{schema}_app");
    t.execute_raw(&format!("CREATE ROLE {role} LOGIN")).await;
    let script = include_str!("../../../docs/postgres-roles.sql");
    let script: String = script
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    for stmt in script.split(';').map(str::trim).filter(|s| !s.is_empty()) {
        let stmt = stmt
            .replace("SCHEMA public", &format!("SCHEMA {schema}"))
            .replace("fangpin_app", &role);
        t.execute_raw(&stmt).await;
    }
    let app = t
        .reopen_as(&role)
        .await
        .unwrap()
        .expect("the service opens as the role");
    // The ordinary work of the service: divisions, an account, audited.
    service::regions::import_regions(&app, &divisions(), Some("520322"))
        .await
        .unwrap();
    app.acting_as(admin())
        .audit(&Change {
            action: "registry.view",
            entity: "household",
            entity_id: Some("H1".into()),
            ..Change::default()
        })
        .await
        .unwrap();
    assert!(app.verify_audit().await.unwrap().is_ok());
    for sql in [
        "UPDATE audit_log SET actor = 'x' WHERE id = 1",
        "DELETE FROM audit_log WHERE id = 1",
        "TRUNCATE audit_log",
        "DELETE FROM audit_head",
    ] {
        let e = store::testing::try_raw(&app, sql).await.unwrap_err();
        assert!(e.to_string().contains("permission denied"), "{sql}: {e}");
    }
    app.close().await;
    t.execute_raw(&format!("DROP OWNED BY {role}")).await;
    t.execute_raw(&format!("DROP ROLE {role}")).await;
}
