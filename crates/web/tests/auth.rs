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
async fn repeated_failures_lock_the_account_for_a_while() {
    for s in servers().await {
        let c = s.anonymous();
        let user = username(Role::CountyOperator, true);
        let unknown = c
            .post(
                "/api/v1/auth/login",
                json!({"username": "nobody", "password": "x"}),
            )
            .await;
        assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
        let mut last = None;
        for _ in 0..5 {
            let r = c
                .post(
                    "/api/v1/auth/login",
                    json!({"username": user, "password": "wrong-pass-1"}),
                )
                .await;
            last = Some((r.status, r.body["detail"].as_str().unwrap_or("").to_owned()));
        }
        let (status, detail) = last.unwrap();
        assert_eq!(status, StatusCode::LOCKED, "{}: {detail}", s.t.name);
        assert!(detail.contains("临时锁定"), "{detail}");
        // Locked: even the right password is refused until the lock ends.
        let r = c
            .post(
                "/api/v1/auth/login",
                json!({"username": user, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status, StatusCode::LOCKED);
        // The unknown name gets the same answer as a wrong password.
        assert_eq!(unknown.body["detail"], "用户名或密码错误");
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
