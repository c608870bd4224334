//! Authentication through the real router over HTTP: login, sessions and CSRF, lockout,
//! bearer tokens, health checks and the security headers.

mod common;

use common::*;
use domain::access::Role;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn login_session_csrf_and_logout() {
    for s in servers().await {
        let anon = s.anonymous();
        let r = anon.get("/api/v1/auth/me").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", s.t.name);
        assert_eq!(
            r.headers["content-type"], "application/problem+json",
            "errors are problem+json"
        );
        assert_eq!(r.body["code"], "unauthenticated");

        let c = s.as_role(Role::Village, true).await;
        let me = c.get("/api/v1/auth/me").await;
        assert_eq!(me.status, StatusCode::OK);
        assert_eq!(me.body["role"], "村级");
        assert_eq!(me.body["region"], HOME_VILLAGE);

        // A change without the CSRF token is refused even with the cookie.
        let no_csrf = common::Client { csrf: None, ..c };
        let r = no_csrf
            .call(Method::POST, "/api/v1/auth/logout", None)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.body["code"], "csrf");
        let c = common::Client {
            csrf: Some("wrong".into()),
            ..no_csrf
        };
        assert_eq!(
            c.call(Method::POST, "/api/v1/auth/logout", None)
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
}

#[tokio::test]
async fn the_cookie_is_http_only_and_logout_ends_the_session() {
    for s in servers().await {
        let c = s.anonymous();
        let r = c
            .post(
                "/api/v1/auth/login",
                json!({"username": username(Role::Township, true), "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let cookie = r.headers["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        assert!(!cookie.contains("Secure"), "plain HTTP in tests: {cookie}");
        let c = common::Client {
            csrf: Some(r.body["csrf_token"].as_str().unwrap().to_owned()),
            ..c
        };
        assert_eq!(c.get("/api/v1/auth/me").await.status, StatusCode::OK);
        let out = c.call(Method::POST, "/api/v1/auth/logout", None).await;
        assert_eq!(out.status, StatusCode::NO_CONTENT);
        assert_eq!(
            c.get("/api/v1/auth/me").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
}

#[tokio::test]
async fn wrong_unknown_and_locked_answer_alike_and_no_sooner_than_the_floor() {
    let floor = service::accounts::LoginPolicy::default().refusal_floor;
    for s in servers().await {
        let c = s.anonymous();
        let user = username(Role::CountyOperator, true);
        let attempt = |name: String, password: &'static str| {
            let c = &c;
            async move {
                let t = std::time::Instant::now();
                let r = c
                    .post(
                        "/api/v1/auth/login",
                        json!({"username": name, "password": password}),
                    )
                    .await;
                (r, t.elapsed())
            }
        };
        let (unknown, took) = attempt("nobody".into(), "wrong-pass-1").await;
        assert!(took >= floor, "{}: unknown answered in {took:?}", s.t.name);
        let mut wrong = Vec::new();
        for _ in 0..5 {
            let (r, took) = attempt(user.clone(), "wrong-pass-1").await;
            assert!(took >= floor, "{}: wrong answered in {took:?}", s.t.name);
            wrong.push(r);
        }
        // Locked: even the right password is refused until the lock ends.
        let (locked, took) = attempt(user.clone(), PASSWORD).await;
        assert!(took >= floor, "{}: locked answered in {took:?}", s.t.name);
        for r in wrong.iter().chain([&unknown, &locked]) {
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", s.t.name);
            assert_eq!(r.body, unknown.body, "one answer for every refusal");
        }
        let detail = unknown.body["detail"].as_str().unwrap();
        assert!(
            detail.contains("用户名或密码错误") && detail.contains("锁定15分钟"),
            "{detail}"
        );
        // The lock is there all the same: the database says so, and the audit log.
        let rows =
            s.t.store
                .audit_log(&store::audit::AuditFilter {
                    entity_id: Some(user.clone()),
                    ..Default::default()
                })
                .await
                .unwrap();
        let actions: Vec<&str> = rows
            .iter()
            .rev()
            .map(|r| r.action.as_str())
            .filter(|a| a.starts_with("auth."))
            .collect();
        assert_eq!(
            actions,
            [
                "auth.login_failed",
                "auth.login_failed",
                "auth.login_failed",
                "auth.login_failed",
                "auth.locked"
            ]
        );
    }
}

#[tokio::test]
async fn sign_ins_and_reveals_are_limited_per_client_address_behind_the_proxy() {
    for t in store::testing::stores().await {
        let config = web::ServerConfig {
            behind_proxy: true,
            login_attempts_per_minute: 3,
            reveals_per_hour: 2,
            ..web::ServerConfig::default()
        };
        let s = common::start(t, config).await;
        let login = |forwarded: &'static str, password: &'static str| {
            let base = s.base.clone();
            async move {
                reqwest::Client::new()
                    .post(format!("{base}/api/v1/auth/login"))
                    .header("x-forwarded-for", forwarded)
                    .json(
                        &json!({"username": username(Role::Township, true), "password": password}),
                    )
                    .send()
                    .await
                    .unwrap()
            }
        };
        // The proxy (127.0.0.1, trusted) appended 10.0.0.1; what the client wrote to its
        // left is not an address of anyone's.
        for forged in ["1.1.1.1, 10.0.0.1", "2.2.2.2, 10.0.0.1", "10.0.0.1"] {
            assert_eq!(
                login(forged, "wrong-pass-1").await.status(),
                StatusCode::UNAUTHORIZED
            );
        }
        let limited = login("3.3.3.3, 10.0.0.1", PASSWORD).await;
        assert_eq!(
            limited.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            s.t.name
        );
        let wait: u64 = limited.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        let body: serde_json::Value = limited.json().await.unwrap();
        assert_eq!(body["code"], "too_many_requests");
        // Another address has its own allowance, and its sign-in is recorded from it.
        let ok = login("10.0.0.1, 10.0.0.2", PASSWORD).await;
        assert_eq!(ok.status(), StatusCode::OK, "{}", s.t.name);
        let rows =
            s.t.store
                .audit_log(&store::audit::AuditFilter {
                    action: Some("auth.login".into()),
                    ..Default::default()
                })
                .await
                .unwrap();
        assert_eq!(rows[0].client.as_deref(), Some("10.0.0.2"));
        let failed =
            s.t.store
                .audit_log(&store::audit::AuditFilter {
                    action: Some("auth.login_failed".into()),
                    ..Default::default()
                })
                .await
                .unwrap();
        assert!(
            failed
                .iter()
                .all(|r| r.client.as_deref() == Some("10.0.0.1"))
        );

        // Reveals: two an hour from one address, then 429.
        let c = s.as_role(Role::Village, true).await;
        let household = c.get("/api/v1/households/H1").await;
        let member = household.body["members"][0]["id"].as_i64().unwrap();
        let path = format!("/api/v1/members/{member}/reveal");
        assert_eq!(
            c.call(Method::POST, &path, None).await.status,
            StatusCode::OK
        );
        assert_eq!(
            c.call(Method::POST, &path, None).await.status,
            StatusCode::OK
        );
        let r = c.call(Method::POST, &path, None).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", s.t.name);
        assert!(r.headers.contains_key("retry-after"));
    }
}

#[test]
fn the_client_is_the_rightmost_address_no_trusted_proxy_appended() {
    use std::net::IpAddr;
    let ip = |s: &str| s.parse::<IpAddr>().unwrap();
    let behind = web::ServerConfig {
        behind_proxy: true,
        trusted_proxies: vec![ip("127.0.0.1"), ip("10.9.9.9")],
        ..web::ServerConfig::default()
    };
    let f = |peer: &str, lines: &[&str], cfg: &web::ServerConfig| {
        web::auth::forwarded_client(Some(ip(peer)), lines.iter().copied(), cfg)
            .map(|a| a.to_string())
    };
    // Two proxies: the outer one (10.9.9.9) appended the client, ours appended 10.9.9.9.
    assert_eq!(
        f("127.0.0.1", &["6.6.6.6, 10.0.0.5, 10.9.9.9"], &behind).as_deref(),
        Some("10.0.0.5")
    );
    // Entries over two header lines count in order.
    assert_eq!(
        f("127.0.0.1", &["6.6.6.6", "10.0.0.5"], &behind).as_deref(),
        Some("10.0.0.5")
    );
    // A request straight from elsewhere: its header is the client's own writing.
    assert_eq!(
        f("10.0.0.8", &["127.0.0.1"], &behind).as_deref(),
        Some("10.0.0.8")
    );
    // Without behind_proxy the header means nothing.
    assert_eq!(
        f("127.0.0.1", &["10.0.0.5"], &web::ServerConfig::default()).as_deref(),
        Some("127.0.0.1")
    );
    // Garbage in the header: the last real address before it.
    assert_eq!(
        f("127.0.0.1", &["10.0.0.5, unknown"], &behind).as_deref(),
        Some("127.0.0.1")
    );
}

#[tokio::test]
async fn an_initial_password_must_be_changed_before_anything_else() {
    for s in servers().await {
        let name = "new_clerk";
        service::accounts::add_user(
            &s.t.store,
            &service::accounts::NewAccount {
                username: name.into(),
                display_name: "新经办人".into(),
                role: Role::CountyOperator,
                region: domain::RegionCode::parse(HOME_COUNTY).unwrap(),
                department: None,
                password: "Initial-pass-1".into(),
                must_change_password: true,
            },
            service::accounts::Creator::System,
        )
        .await
        .unwrap();
        let c = s.login(name, "Initial-pass-1").await;
        let me = c.get("/api/v1/auth/me").await;
        assert_eq!(me.body["must_change_password"], true);
        let r = c.get("/api/v1/cases").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", s.t.name);
        assert_eq!(r.body["code"], "password_change_required");
        let change = |current: &'static str, new: &'static str| {
            c.post(
                "/api/v1/auth/password",
                json!({"current_password": current, "new_password": new}),
            )
        };
        let r = change("Wrong-pass-1", "Chosen-pass-2").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            r.body["detail"]
                .as_str()
                .unwrap()
                .contains("当前密码不正确")
        );
        let r = change("Initial-pass-1", "short1").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = change("Initial-pass-1", "Initial-pass-1").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = change("Initial-pass-1", "Chosen-pass-2").await;
        assert_eq!(r.status, StatusCode::OK, "{}: {:?}", s.t.name, r.body);
        assert_eq!(r.body["must_change_password"], false);
        // The same session goes on, now with everything its role allows.
        assert_eq!(c.get("/api/v1/cases").await.status, StatusCode::OK);
        let again = s.login(name, "Chosen-pass-2").await;
        assert_eq!(
            again.get("/api/v1/auth/me").await.body["must_change_password"],
            false
        );
        // A reset hands over a password chosen by someone else: changed again at sign-in.
        let pw = service::accounts::reset_password(&s.t.store, name, None)
            .await
            .unwrap();
        assert_eq!(
            again.get("/api/v1/auth/me").await.status,
            StatusCode::UNAUTHORIZED
        );
        let c = s.login(name, &pw).await;
        assert_eq!(
            c.get("/api/v1/cases").await.body["code"],
            "password_change_required"
        );
    }
}

#[tokio::test]
async fn an_idle_session_ends() {
    for s in servers().await {
        let c = s.as_role(Role::Village, true).await;
        assert_eq!(c.get("/api/v1/auth/me").await.status, StatusCode::OK);
        // 29 minutes idle: still on (the default allows 30), and marked seen again.
        let ago = |m: i64| (chrono::Utc::now() - chrono::Duration::minutes(m)).to_rfc3339();
        s.t.execute_raw(&format!("UPDATE sessions SET last_seen_at = '{}'", ago(29)))
            .await;
        assert_eq!(c.get("/api/v1/auth/me").await.status, StatusCode::OK);
        assert_eq!(c.get("/api/v1/auth/me").await.status, StatusCode::OK);
        s.t.execute_raw(&format!("UPDATE sessions SET last_seen_at = '{}'", ago(31)))
            .await;
        let r = c.get("/api/v1/auth/me").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", s.t.name);
    }
}

#[tokio::test]
async fn health_openapi_and_security_headers() {
    for s in servers().await {
        let c = s.anonymous();
        assert_eq!(c.get("/healthz").await.status, StatusCode::OK);
        let ready = c.get("/readyz").await;
        assert_eq!(ready.status, StatusCode::OK);
        assert_eq!(ready.headers["x-content-type-options"], "nosniff");
        assert_eq!(ready.headers["x-frame-options"], "DENY");
        assert!(ready.headers.contains_key("x-request-id"));
        let doc = c.get("/api/openapi.json").await;
        assert_eq!(doc.status, StatusCode::OK);
        assert_eq!(doc.body["openapi"], "3.1.0");
        assert!(doc.body["paths"]["/api/v1/auth/login"]["post"].is_object());
    }
}
