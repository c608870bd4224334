//! Sign-in under attack, on SQLite and (when configured) PostgreSQL: a burst of parallel
//! wrong passwords checks no more of them than the lock allows, the lock then holds
//! against the right password, and it ends when its time is up. (A file of its own: the
//! count of checked passwords is per process, and no other test signs in here.)

use domain::RegionCode;
use domain::access::Role;
use service::accounts::{Creator, LoginPolicy, NewAccount, add_user, login, passwords_checked};
use store::audit::AuditFilter;
use store::testing::stores;

const PASSWORD: &str = "Right-pass-2026";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_parallel_attempts_check_at_most_the_allowed_passwords() {
    for t in stores().await {
        service::regions::import_regions(
            &t.store,
            &tabular::divisions::Source::Embedded,
            Some("520322"),
        )
        .await
        .unwrap();
        add_user(
            &t.store,
            &NewAccount {
                username: "target".into(),
                display_name: "被攻击的账号".into(),
                role: Role::CountyOperator,
                region: RegionCode::parse("520322").unwrap(),
                department: None,
                password: PASSWORD.into(),
                must_change_password: false,
            },
            Creator::System,
        )
        .await
        .unwrap();
        let policy = LoginPolicy {
            lockout: chrono::Duration::seconds(3),
            refusal_floor: std::time::Duration::ZERO,
            ..LoginPolicy::default()
        };
        let before = passwords_checked();
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let store = t.store.clone();
                tokio::spawn(async move {
                    login(&store, "target", &format!("wrong-pass-{i}"), None, &policy).await
                })
            })
            .collect();
        for task in tasks {
            assert!(task.await.unwrap().unwrap().is_err(), "{}", t.name);
        }
        let checked = passwords_checked() - before;
        assert_eq!(
            checked, 5,
            "{}: 40 attempts at once checked {checked} passwords",
            t.name
        );
        let rows = t
            .store
            .audit_log(&AuditFilter {
                entity_id: Some("target".into()),
                ..AuditFilter::default()
            })
            .await
            .unwrap();
        let failed = rows
            .iter()
            .filter(|r| r.action == "auth.login_failed")
            .count();
        let locked = rows.iter().filter(|r| r.action == "auth.locked").count();
        assert_eq!((failed, locked), (4, 1), "{}", t.name);

        // Locked: the right password is refused without being checked.
        let r = login(&t.store, "target", PASSWORD, None, &policy)
            .await
            .unwrap();
        assert!(r.is_err(), "{}", t.name);
        assert_eq!(passwords_checked() - before, 5, "{}", t.name);

        // When the lock has run out, the right password signs in and the count restarts.
        tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
        let r = login(&t.store, "target", PASSWORD, None, &policy)
            .await
            .unwrap();
        assert!(r.is_ok(), "{}", t.name);
        let user = t.store.user_by_name("target").await.unwrap();
        assert_eq!(
            (user.failed_logins, user.locked_until),
            (0, None),
            "{}",
            t.name
        );
    }
}
