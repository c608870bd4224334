//! 错误响应: every error leaves the service as `application/problem+json` (RFC 9457) with a
//! stable machine-readable `code` and a Chinese `detail` a user can act on. The cause chain
//! goes to the log, never to the client.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use service::ServiceError;
use store::StoreError;
use utoipa::ToSchema;

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
    /// Stable code for programs: unauthenticated, forbidden, not_found, invalid, conflict,
    /// csrf, locked, too_large, internal, unavailable.
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

    fn title(&self) -> &'static str {
        match self.status.as_u16() {
            400 => "请求有误",
            401 => "未登录",
            403 => "无权操作",
            404 => "未找到",
            409 => "数据冲突",
            413 => "请求过大",
            422 => "数据有误",
            423 => "账号已锁定",
            429 => "请求过于频繁",
            503 => "服务暂不可用",
            _ => "服务器内部错误",
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Problem {
            kind: "about:blank".to_owned(),
            title: self.title().to_owned(),
            status: self.status.as_u16(),
            detail: self.detail,
            code: self.code.to_owned(),
        };
        let mut res = (self.status, axum::Json(body)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
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

pub type ApiResult<T> = Result<T, ApiError>;
