//! 登录、退出、当前用户 (login, logout, who am I).

use crate::auth::{Caller, SESSION_COOKIE, Via, client_address};
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Body;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use service::accounts::LoginError;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
}

/// 登录请求.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// 当前用户 (the caller's account, role and region).
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    /// 角色, e.g. 村级, 县级审定.
    pub role: String,
    /// 绑定区划代码.
    pub region: String,
    /// 部门联络员的部门.
    pub department: Option<String>,
    /// 须修改密码: the password was set by someone else (a new account, a reset). Until it
    /// is changed (`POST /auth/password`) every other request answers 403
    /// `password_change_required`.
    pub must_change_password: bool,
}

impl From<&store::accounts::UserRow> for Me {
    fn from(u: &store::accounts::UserRow) -> Self {
        Me {
            username: u.username.clone(),
            display_name: u.display_name.clone(),
            role: u.role.label().to_owned(),
            region: u.region.to_string(),
            department: u.department.map(|d| d.label().to_owned()),
            must_change_password: u.must_change_password,
        }
    }
}

/// Answer to a login: the account and the CSRF token to send in `X-CSRF-Token` with every
/// change made with the session cookie.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub user: Me,
    pub csrf_token: String,
}

/// 登录: sets the session cookie (HttpOnly, SameSite=Strict; Secure over HTTPS).
///
/// A wrong password, an unknown or disabled account and a locked one get the same 401 answer,
/// after the same time.
#[utoipa::path(post, path = "/auth/login", tag = "认证", request_body = LoginRequest,
    responses(
        (status = 200, description = "已登录", body = LoginResponse),
        (status = 401, description = "用户名或密码错误，或账号已临时锁定", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "本地址登录尝试过于频繁（响应头 Retry-After 给出秒数）", body = Problem, content_type = "application/problem+json"),
    ))]
async fn login(
    State(state): State<AppState>,
    parts: Parts,
    Body(req): Body<LoginRequest>,
) -> ApiResult<(HeaderMap, Json<LoginResponse>)> {
    let client = client_address(&parts, &state.config);
    let done = service::accounts::login(
        &state.store,
        &req.username,
        &req.password,
        client.as_deref(),
        &state.login,
    )
    .await?;
    let ok = match done {
        Ok(ok) => ok,
        Err(e @ LoginError::Refused { .. }) => {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                e.to_string(),
            ));
        }
    };
    let max_age = (ok.expires_at - chrono::Utc::now()).num_seconds().max(0);
    let cookie = format!(
        "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        ok.session,
        if state.config.https { "; Secure" } else { "" }
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|e| crate::error::internal(&e))?,
    );
    Ok((
        headers,
        Json(LoginResponse {
            user: Me::from(&ok.user),
            csrf_token: ok.csrf,
        }),
    ))
}

/// 退出登录: ends the session and clears the cookie.
#[utoipa::path(post, path = "/auth/logout", tag = "认证",
    responses((status = 204, description = "已退出"), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    parts: Parts,
) -> ApiResult<(StatusCode, HeaderMap)> {
    if caller.via == Via::Session
        && let Some(secret) = crate::auth::cookie(&parts, SESSION_COOKIE)
    {
        service::accounts::logout(&state.store, secret).await?;
    }
    let mut headers = HeaderMap::new();
    headers.insert(
        SET_COOKIE,
        HeaderValue::from_static("fangpin_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    Ok((StatusCode::NO_CONTENT, headers))
}

/// 当前用户.
#[utoipa::path(get, path = "/auth/me", tag = "认证",
    responses((status = 200, body = Me), (status = 401, body = Problem, content_type = "application/problem+json")))]
async fn me(caller: Caller) -> Json<Me> {
    Json(Me::from(&caller.user))
}

/// 修改密码请求.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChange {
    /// 当前密码.
    pub current_password: String,
    /// 新密码: at least 10 characters, letters and digits, not the current one.
    pub new_password: String,
}

/// 修改密码: the signed-in user chooses a new password, proving the current one.
///
/// Required before anything else after a first sign-in or a reset. The account's other sessions
/// end; this one goes on.
#[utoipa::path(post, path = "/auth/password", tag = "认证", request_body = PasswordChange,
    responses(
        (status = 200, description = "已修改", body = Me),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "当前密码不正确，或新密码不符合要求", body = Problem, content_type = "application/problem+json"),
    ))]
async fn change_password(
    caller: Caller,
    parts: Parts,
    Body(req): Body<PasswordChange>,
) -> ApiResult<Json<Me>> {
    if caller.via != Via::Session {
        return Err(ApiError::forbidden(
            "接口令牌不能修改密码：请以该账号登录后修改",
        ));
    }
    let cookie = crate::auth::cookie(&parts, SESSION_COOKIE);
    service::accounts::change_password(
        caller.own_account(),
        &caller.user,
        &req.current_password,
        &req.new_password,
        cookie,
    )
    .await?;
    let mut me = Me::from(&caller.user);
    me.must_change_password = false;
    Ok(Json(me))
}
