//! SQLite while something holds its write lock (an import writing, a screening storing its
//! leads): reads go on, and writes — a sign-in, a case step — are answered 503
//! `unavailable` with `Retry-After` after a short wait, never 500 «database is locked»
//! after thirty seconds.

mod common;

use common::*;
use domain::access::Role;
use reqwest::StatusCode;
use std::time::{Duration, Instant};
use web::ServerConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn while_the_write_lock_is_held_reads_go_on_and_writes_answer_503() {
    let server = start(
        store::testing::sqlite().await,
        ServerConfig {
            write_wait_secs: 1,
            ..ServerConfig::default()
        },
    )
    .await;
    let clerk = server.as_role(Role::CountyOperator, true).await;

    // What an import does for its whole write: the one write transaction, held.
    let held = server.t.store.begin().await.unwrap();

    // Sign-ins queue for the lock: more of them than the pool has connections.
    let started = Instant::now();
    let logins: Vec<_> = (0..6)
        .map(|_| {
            let c = server.anonymous();
            tokio::spawn(async move {
                c.post(
                    "/api/v1/auth/login",
                    serde_json::json!({
                        "username": username(Role::CountyOperator, true),
                        "password": PASSWORD,
                    }),
                )
                .await
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Reads meanwhile are answered at once.
    for path in ["/api/v1/households", "/api/v1/auth/me", "/api/v1/cases"] {
        let t0 = Instant::now();
        let r = clerk.get(path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
        assert!(
            t0.elapsed() < Duration::from_millis(900),
            "{path} waited {:?} behind the writers",
            t0.elapsed()
        );
    }

    for l in logins {
        let r = l.await.unwrap();
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
        assert_eq!(r.body["code"], "unavailable");
        assert!(
            r.body["detail"].as_str().unwrap().contains("数据库正忙"),
            "{}",
            r.body
        );
        assert_eq!(r.headers["retry-after"], "5");
    }
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered after {:?}",
        started.elapsed()
    );

    // Once the lock is free, the same sign-in goes through.
    held.rollback().await.unwrap();
    server.as_role(Role::CountyOperator, true).await;
}
