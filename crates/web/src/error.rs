//! 错误响应: every error leaves the service as `application/problem+json` (RFC 9457) with a
//! stable machine-readable `code` and a Chinese `detail` a user can act on. The cause chain
//! goes to the log, never to the client.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use service::ServiceError;
use store::StoreError;
use utoipa::ToSchema;

/// `Retry-After` of a 503: about the time an import's write phase leaves other writers waiting
/// on SQLite is longer, but a sign-in or a step retried this often gets through as soon as
/// the lock is free.
pub const RETRY_AFTER_SECS: &str = "5";

/// An error as the API answers it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable code, e.g. `not_found`, `forbidden`, `invalid`.
    pub code: &'static str,
    /// Chinese message for the user.
    pub detail: String,
}

/// The body of an error response (problem+json).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// `about:blank` or a documentation anchor.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short Chinese title of the status.
    pub title: String,
    pub status: u16,
    /// What went wrong, in Chinese.
    pub detail: String,
    /// Stable code for programs: bad_request, unauthenticated, forbidden, csrf,
    /// password_change_required, not_found, method_not_allowed, conflict, too_large,
    /// unsupported_media_type, invalid, too_many_requests, internal, unavailable, timeout.
    pub code: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
        }
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "请先登录")
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    /// Not found — also the answer for anything outside the caller's region, so that a
    /// caller cannot learn what exists elsewhere (docs/security.md).
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn invalid(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", detail)
    }

    /// The answer for `status` when nothing more is known: the problem+json that stands in
    /// for the plain-text or empty error responses of axum and of the layers.
    pub fn for_status(status: StatusCode) -> Self {
        let (code, detail) = match status.as_u16() {
            401 => ("unauthenticated", "请先登录"),
            403 => ("forbidden", "无权进行此项操作"),
            404 => (
                "not_found",
                "未找到：没有这个接口地址（接口列表见 /api/openapi.json）",
            ),
            405 => ("method_not_allowed", "该接口地址不支持这种请求方法"),
            408 => ("timeout", "请求超时：请重试"),
            409 => ("conflict", "数据冲突：请刷新后重试"),
            413 => ("too_large", "请求内容过大"),
            415 => ("unsupported_media_type", "请求内容的类型不受支持"),
            422 => ("invalid", "请求内容不符合要求"),
            429 => ("too_many_requests", "请求过于频繁，请稍后再试"),
            503 => ("unavailable", "服务暂时不可用，请稍后重试"),
            500.. => ("internal", "服务器内部错误，请稍后再试或联系管理员"),
            _ => ("bad_request", "请求有误"),
        };
        Self::new(status, code, detail)
    }

    fn title(&self) -> &'static str {
        match self.status.as_u16() {
            400 => "请求有误",
            401 => "未登录",
            403 => "无权操作",
            404 => "未找到",
            405 => "请求方法不支持",
            408 => "请求超时",
            409 => "数据冲突",
            413 => "请求过大",
            415 => "内容类型不支持",
            422 => "数据有误",
            429 => "请求过于频繁",
            503 => "服务暂不可用",
            _ => "服务器内部错误",
        }
    }
}

impl ApiError {
    fn problem(&self) -> Problem {
        Problem {
            kind: "about:blank".to_owned(),
            title: self.title().to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_owned(),
        }
    }

    /// The problem as JSON: the answer a job keeps when it fails.
    pub fn problem_json(&self) -> serde_json::Value {
        serde_json::to_value(self.problem()).expect("a problem serialises")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = self.problem();
        let mut res = (self.status, axum::Json(body)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            // Every 503 of ours is passing (the database busy with an import, restarting):
            // a client may repeat the request after this many seconds.
            res.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        res
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Invalid(m) => ApiError::invalid(m),
            ServiceError::Forbidden(m) => ApiError::forbidden(m),
            ServiceError::Store(s) => s.into(),
            ServiceError::Read(e) => ApiError::invalid(e.to_string()),
            other => internal(&other),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ApiError::not_found(format!("未找到：{m}")),
            StoreError::Conflict(m) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", format!("数据冲突：{m}"))
            }
            StoreError::Busy => {
                tracing::info!("database busy: write lock not obtained in time");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    StoreError::Busy.to_string(),
                )
            }
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "数据库暂时无法访问，请稍后重试",
                )
            }
            other => internal(&other),
        }
    }
}

/// A failure that is ours, not the caller's: logged with its cause, answered generically.
pub fn internal(e: &dyn std::error::Error) -> ApiError {
    tracing::error!(error = %e, "request failed");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "服务器内部错误，请稍后再试或联系管理员",
    )
}

/// A handler that panicked (caught by the panic layer): 500 like any failure of ours,
/// and the service goes on serving.
pub fn panicked(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("");
    tracing::error!(panic = message, "request panicked");
    ApiError::for_status(StatusCode::INTERNAL_SERVER_ERROR).into_response()
}

/// Whether `res` already carries a problem.
fn is_problem(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"))
}

/// The last word on every error: a response of axum itself or of a layer (a body refused
/// by its `Content-Length`, …) carries text or nothing; it leaves as the problem+json of
/// its status instead, keeping its other headers (the `Allow` of a 405). `max_body_mib`
/// names the limit in the answer to a body too large.
pub async fn problems_only(State(max_body_mib): State<u32>, req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) || is_problem(&res) {
        return res;
    }
    tracing::debug!(%status, "plain error answered as problem+json");
    let problem = if status == StatusCode::PAYLOAD_TOO_LARGE {
        crate::upload::too_large(max_body_mib)
    } else {
        ApiError::for_status(status)
    };
    let mut out = problem.into_response();
    let (parts, _) = res.into_parts();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_LENGTH && !out.headers().contains_key(name) {
            out.headers_mut().insert(name, value.clone());
        }
    }
    out
}

pub type ApiResult<T> = Result<T, ApiError>;
