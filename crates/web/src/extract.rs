//! Extractors every API handler shares: a JSON body, query parameters and a numeric path id
//! whose rejections answer as problem+json in Chinese (axum's own are English plain text),
//! and the server's day.

use crate::error::{ApiError, ApiResult};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use chrono::NaiveDate;
use serde::de::DeserializeOwned;

/// A JSON request body; a body that cannot be read is refused with 422 `invalid`.
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
                JsonRejection::JsonSyntaxError(e) => ApiError::invalid(format!(
                    "请求内容不是有效的 JSON：{}",
                    serde_detail(&e.body_text())
                )),
                JsonRejection::MissingJsonContentType(_) => {
                    ApiError::invalid("请求内容须为 JSON（Content-Type: application/json）")
                }
                _ => ApiError::invalid("无法读取请求内容"),
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

/// serde's own words without axum's English preamble.
fn serde_detail(text: &str) -> &str {
    text.split_once(": ").map_or(text, |(_, rest)| rest)
}

/// Today on the server's calendar, as the command line reckons it.
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}
