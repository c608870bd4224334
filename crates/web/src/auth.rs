//! 身份认证与访问范围 (who is calling, and what they may reach). Every API handler takes a
//! [`Caller`]: a browser session (cookie, with a CSRF token on every change) or a bearer
//! token of a department system. The caller carries the store *acting as* that user — every
//! audit row names them — and only region-checked ways into it (docs/security.md).

use crate::config::ServerConfig;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{Method, header};
use domain::RegionCode;
use domain::access::{Permission, Role};
use std::net::{IpAddr, SocketAddr};
use store::Store;
use store::accounts::UserRow;
use store::audit::Who;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "fangpin_session";
/// Header that must repeat the session's CSRF token on every state-changing request.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Session,
    Token,
}

/// The authenticated caller of a request.
pub struct Caller {
    pub user: UserRow,
    pub via: Via,
    /// The client address (from the connection, or X-Forwarded-For behind a proxy).
    pub client: Option<String>,
    store: Store,
}

impl Caller {
    /// The region whose subtree the caller sees.
    pub fn scope(&self) -> RegionCode {
        self.user.region
    }

    pub fn role(&self) -> Role {
        self.user.role
    }

    /// Refuses with 403 unless the caller's role allows `p`.
    pub fn require(&self, p: Permission) -> ApiResult<()> {
        if self.user.role.may(p) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "“{}”角色无权进行此项操作",
                self.user.role
            )))
        }
    }

    /// Refuses with 404 unless `region` lies in the caller's subtree: what is outside
    /// does not exist for the caller.
    pub fn within(&self, region: RegionCode, what: &str) -> ApiResult<()> {
        if self.user.region.contains(region) {
            Ok(())
        } else {
            Err(ApiError::not_found(format!("未找到：{what}")))
        }
    }

    /// Where a list or a figure may look: the caller's subtree, or the part of it that
    /// `region` names; a region outside the subtree does not exist for the caller (404).
    pub fn region(&self, region: Option<&str>) -> ApiResult<RegionCode> {
        match region.map(str::trim).filter(|r| !r.is_empty()) {
            None => Ok(self.scope()),
            Some(r) => {
                let code = RegionCode::parse(r).map_err(|e| ApiError::invalid(e.message))?;
                self.within(code, &format!("区划 {r}"))?;
                Ok(code)
            }
        }
    }

    /// The store, acting as the caller, for what concerns the caller's own account alone
    /// (changing their password): no permission is needed, and nothing else is reached.
    pub(crate) fn own_account(&self) -> &Store {
        &self.store
    }

    /// The store, acting as the caller, after `require(p)`: for reads and changes whose
    /// region the handler checks through [`Caller::within`] or scopes by [`Caller::scope`].
    pub fn store(&self, p: Permission) -> ApiResult<&Store> {
        self.require(p)?;
        Ok(&self.store)
    }
}

pub(crate) fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The client address recorded in the audit log and counted by the rate limits: the
/// connection's address, or — behind the reverse proxies of `trusted_proxies`, with
/// `behind_proxy` — the rightmost `X-Forwarded-For` entry that none of them appended.
/// Each proxy appends the address it was reached from, so entries right of the first
/// untrusted one were written by our proxies, and everything left of it by whoever sent
/// the request, who may write anything there.
pub fn client_address(parts: &Parts, config: &ServerConfig) -> Option<String> {
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    forwarded_client(
        peer,
        parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok()),
        config,
    )
    .map(|ip| ip.to_string())
}

/// [`client_address`] on its inputs: the peer, the header lines in order, the settings.
pub fn forwarded_client<'a>(
    peer: Option<IpAddr>,
    header_lines: impl Iterator<Item = &'a str>,
    config: &ServerConfig,
) -> Option<IpAddr> {
    let trusted = |ip: &IpAddr| config.trusted_proxies.contains(&ip.to_canonical());
    let peer = peer.map(|p| p.to_canonical());
    if !config.behind_proxy || !peer.as_ref().is_some_and(trusted) {
        return peer;
    }
    let entries: Vec<&str> = header_lines.flat_map(|l| l.split(',')).collect();
    let mut client = peer;
    for e in entries.iter().rev() {
        match e.trim().parse::<IpAddr>() {
            Ok(ip) => {
                let ip = ip.to_canonical();
                client = Some(ip);
                if !trusted(&ip) {
                    break;
                }
            }
            // Not an address (a proxy does not write such): stop at the last good one.
            Err(_) => break,
        }
    }
    client
}

/// Paths a signed-in account whose password must be changed may still use.
fn open_before_password_change(path: &str) -> bool {
    matches!(
        path.strip_prefix("/api/v1").unwrap_or(path),
        "/auth/me" | "/auth/password" | "/auth/logout"
    )
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> ApiResult<Self> {
        let client = client_address(parts, &state.config);
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let (user, via) = if let Some(token) = bearer {
            let user = service::accounts::token_user(&state.store, token.trim())
                .await?
                .ok_or_else(ApiError::unauthenticated)?;
            (user, Via::Token)
        } else {
            let secret = cookie(parts, SESSION_COOKIE).ok_or_else(ApiError::unauthenticated)?;
            let (user, csrf) = service::accounts::session_user(&state.store, secret, &state.login)
                .await?
                .ok_or_else(ApiError::unauthenticated)?;
            // [I] Cookies ride along with any request the browser makes, so every change
            // must also prove it came from our own page, which alone knows the token.
            if !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS) {
                let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
                if sent != Some(csrf.as_str()) {
                    return Err(ApiError::new(
                        axum::http::StatusCode::FORBIDDEN,
                        "csrf",
                        "页面已过期或请求来源不明（缺少有效的 X-CSRF-Token），请刷新页面后重试",
                    ));
                }
            }
            // [I] An initial password was known to whoever set it: until the user has
            // chosen their own, the session serves only to choose it.
            if user.must_change_password && !open_before_password_change(parts.uri.path()) {
                return Err(ApiError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "password_change_required",
                    "首次登录或密码被重置后，须先修改密码（POST /api/v1/auth/password）",
                ));
            }
            (user, Via::Session)
        };
        let store = state.store.acting_as(Who {
            user: user.username.clone(),
            role: user.role.label().to_owned(),
            region: Some(user.region),
            client: client.clone(),
        });
        Ok(Caller {
            user,
            via,
            client,
            store,
        })
    }
}
