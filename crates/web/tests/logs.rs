//! Nothing sensitive reaches the log: a server logging at debug level is driven through a
//! login, searches by name, ID number and phone, and a reveal of a full ID number; the
//! captured log must contain none of those values (docs/api.md, "Personal data").

mod common;

use common::*;
use domain::access::Role;
use reqwest::StatusCode;
use serde_json::json;
use std::io::Write;
use std::sync::{Arc, Mutex};

/// Everything the subscriber writes, kept for the assertions.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_password_name_id_number_or_phone_is_logged() {
    let captured = Captured::default();
    let sink = captured.clone();
    tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::DEBUG)
        .with_writer(move || sink.clone())
        .init();
    let full_id = id(520322, 11, domain::Sex::Male);
    for s in servers().await {
        let c = s.as_role(Role::Village, true).await;
        let wrong = s
            .anonymous()
            .post(
                "/api/v1/auth/login",
                json!({"username": username(Role::Village, true), "password": "Secret-wrong-77"}),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        for q in [full_id.as_str(), "张大山", "13812345678"] {
            let r = c.get(&format!("/api/v1/households?q={q}")).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            let r = c.post("/api/v1/households/search", json!({"q": q})).await;
            assert!(r.status.is_success(), "{}", r.body);
        }
        let h1 = c.get("/api/v1/households/H1").await;
        let member = h1.body["members"][0]["id"].as_i64().unwrap();
        let revealed = c
            .post(&format!("/api/v1/members/{member}/reveal"), json!({}))
            .await;
        assert!(
            revealed.body.to_string().contains(&full_id),
            "the reveal answers the full number: {}",
            revealed.body
        );
    }
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        log.contains("/api/v1/households"),
        "requests are logged: {log}"
    );
    for secret in [
        PASSWORD,
        "Secret-wrong-77",
        full_id.as_str(),
        "张大山",
        "13812345678",
        &full_id[..14],
    ] {
        assert!(!log.contains(secret), "{secret} reached the log");
    }
}
