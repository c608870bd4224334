//! 访问频率限制 (per-address rate limits) on the two requests an attacker repeats: sign-ins
//! (guessing passwords across many accounts, which the per-account lock alone does not
//! stop) and reveals of full ID numbers and phones (harvesting them with a stolen session).
//! Counted per client address ([`crate::auth::client_address`]) in fixed windows, in the
//! memory of the process: a restart forgets them, which costs an attacker one window.

use crate::auth::client_address;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What a request is counted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    SignIn,
    Reveal,
}

impl Kind {
    /// The kind of a request, from its method and path (the path after `/api/v1`).
    pub fn of(method: &Method, path: &str) -> Option<Kind> {
        if method != Method::POST {
            return None;
        }
        let path = path.strip_prefix("/api/v1").unwrap_or(path);
        if path == "/auth/login" {
            Some(Kind::SignIn)
        } else if path.ends_with("/reveal") {
            Some(Kind::Reveal)
        } else {
            None
        }
    }
}

/// Fixed-window counters per (kind, address).
#[derive(Debug)]
pub struct Limits {
    sign_in: (u32, Duration),
    reveal: (u32, Duration),
    windows: Mutex<HashMap<(Kind, String), (Instant, u32)>>,
}

/// Counters kept before the expired ones are swept: bounds the memory an attacker cycling
/// through addresses can make the service spend.
const SWEEP_AT: usize = 10_000;

impl Limits {
    pub fn new(sign_ins_per_minute: u32, reveals_per_hour: u32) -> Self {
        Self {
            sign_in: (sign_ins_per_minute.max(1), Duration::from_secs(60)),
            reveal: (reveals_per_hour.max(1), Duration::from_secs(3600)),
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request of `kind` from `address` at `now`: `Err(wait)` when the address
    /// has used its allowance for the current window.
    pub fn take(&self, kind: Kind, address: &str, now: Instant) -> Result<(), Duration> {
        let (max, window) = match kind {
            Kind::SignIn => self.sign_in,
            Kind::Reveal => self.reveal,
        };
        let mut w = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        if w.len() >= SWEEP_AT {
            w.retain(|(k, _), (start, _)| {
                let span = if *k == Kind::SignIn {
                    self.sign_in.1
                } else {
                    self.reveal.1
                };
                now.duration_since(*start) < span
            });
        }
        let e = w.entry((kind, address.to_owned())).or_insert((now, 0));
        if now.duration_since(e.0) >= window {
            *e = (now, 0);
        }
        if e.1 >= max {
            return Err(window.saturating_sub(now.duration_since(e.0)));
        }
        e.1 += 1;
        Ok(())
    }
}

/// The middleware: refuses a sign-in or a reveal beyond its address's allowance with 429
/// `too_many_requests` and `Retry-After`, before any work is done for it.
pub async fn limit(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(kind) = Kind::of(req.method(), req.uri().path()) else {
        return next.run(req).await;
    };
    let (parts, body) = req.into_parts();
    let address = client_address(&parts, &state.config).unwrap_or_default();
    if let Err(wait) = state.limits.take(kind, &address, Instant::now()) {
        let secs = wait.as_secs().max(1);
        tracing::info!(?kind, "rate limited");
        let detail = match kind {
            Kind::SignIn => format!("本地址登录尝试过于频繁，请{secs}秒后再试"),
            Kind::Reveal => format!("本地址查看完整证件号码或电话过于频繁，请{secs}秒后再试"),
        };
        let mut res = ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", detail)
            .into_response();
        res.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&secs.to_string()).expect("digits are a valid header value"),
        );
        return res;
    }
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_allowance_per_window_and_others_theirs() {
        let l = Limits::new(3, 2);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(l.take(Kind::SignIn, "10.0.0.1", t0).is_ok());
        }
        let wait = l.take(Kind::SignIn, "10.0.0.1", t0).unwrap_err();
        assert_eq!(wait, Duration::from_secs(60));
        // Another address, and the other kind, count apart.
        assert!(l.take(Kind::SignIn, "10.0.0.2", t0).is_ok());
        assert!(l.take(Kind::Reveal, "10.0.0.1", t0).is_ok());
        // The next window starts afresh.
        let later = t0 + Duration::from_secs(61);
        assert!(l.take(Kind::SignIn, "10.0.0.1", later).is_ok());
    }

    #[test]
    fn kinds_are_read_from_method_and_path() {
        assert_eq!(
            Kind::of(&Method::POST, "/api/v1/auth/login"),
            Some(Kind::SignIn)
        );
        assert_eq!(
            Kind::of(&Method::POST, "/api/v1/members/7/reveal"),
            Some(Kind::Reveal)
        );
        assert_eq!(Kind::of(&Method::GET, "/api/v1/auth/login"), None);
        assert_eq!(Kind::of(&Method::POST, "/api/v1/cases"), None);
    }
}
