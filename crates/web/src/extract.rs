//! Extractors every API handler shares: a JSON body, query parameters, a numeric path id
//! and a path name, whose rejections answer as problem+json in Chinese (axum's own are
//! English plain text), and today's date on the deployment's calendar for the defaults of
//! request fields. Upload forms: `crate::upload::Form`.

use crate::error::{ApiError, ApiResult};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A JSON request body. Refused as problem+json: 415 `unsupported_media_type` without a
/// JSON content type, 400 `bad_request` when it is not JSON, 422 `invalid` when it is
/// JSON of the wrong shape, 413 `too_large` past the body limit.
pub struct Body<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> ApiResult<Self> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(e) => Err(match e {
                JsonRejection::JsonDataError(e) => ApiError::invalid(format!(
                    "请求内容不符合要求：{}",
                    serde_detail(&e.body_text())
                )),
                JsonRejection::JsonSyntaxError(e) => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    format!("请求内容不是有效的 JSON：{}", serde_detail(&e.body_text())),
                ),
                JsonRejection::MissingJsonContentType(_) => ApiError::new(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "请求内容须为 JSON（Content-Type: application/json）",
                ),
                e if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "请求内容过大")
                }
                _ => ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "无法读取请求内容：传输中断或格式有误",
                ),
            }),
        }
    }
}

/// Query parameters; unreadable ones are refused with 422 `invalid`.
pub struct Params<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Params(q.0))
            .map_err(|e: QueryRejection| {
                ApiError::invalid(format!("查询参数有误：{}", serde_detail(&e.body_text())))
            })
    }
}

/// The numeric id in the path (`/cases/{id}`); anything else names nothing: 404.
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        axum::extract::Path::<i64>::from_request_parts(parts, state)
            .await
            .map(|p| Id(p.0))
            .map_err(|_| ApiError::not_found("未找到：编号应为数字"))
    }
}

/// A name in the path (`/households/{no}`, `/imports/{kind}`); one that does not decode
/// to text names nothing: 404.
pub struct Name(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Name {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> ApiResult<Self> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|p| Name(p.0))
            .map_err(|_| ApiError::not_found("未找到：地址中的名称无法识别"))
    }
}

/// serde's own words without axum's English preamble.
fn serde_detail(text: &str) -> &str {
    text.split_once(": ").map_or(text, |(_, rest)| rest)
}

static ZONE: std::sync::OnceLock<domain::Zone> = std::sync::OnceLock::new();

/// Today on the deployment's calendar, for the defaults of request fields (a step's `on`),
/// which serde fills in before any handler runs. Handlers use `Caller::today`. The zone is
/// the store's, set when the service's state is made ([`crate::AppState::new`]): one
/// process serves one deployment. Beijing until then.
pub fn today() -> chrono::NaiveDate {
    ZONE.get()
        .copied()
        .unwrap_or_default()
        .day_of(chrono::Utc::now())
}

/// Records the deployment's zone for [`today`]; the first call wins.
pub(crate) fn set_zone(zone: domain::Zone) {
    let _ = ZONE.set(zone);
}
