//! What the case endpoints share: extractors that answer malformed input as
//! problem+json in Chinese (axum's own rejections are English plain text), money as yuan,
//! labelled values, paging, the acting clerk and the day.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use chrono::NaiveDate;
use domain::Money;
use domain::case::Actor;
use domain::enums::Labelled;
use domain::monitoring::{RiskSet, RiskType};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

/// 金额（元）: a string ("5500", "5,500.50", "5500元") or a JSON number, at most two
/// decimals; read with `Money::parse_yuan`, never kept as a float.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Yuan {
    Text(String),
    Number(f64),
}

impl Yuan {
    /// The amount, or the problem in `problems`, as `what`.
    pub fn money(&self, what: &str, problems: &mut Vec<String>) -> Option<Money> {
        // A JSON number is re-read from its shortest decimal form, so 5500.5 stays 5500.50
        // and 0.125 is refused like "0.125".
        let text = match self {
            Yuan::Text(s) => s.clone(),
            Yuan::Number(n) => n.to_string(),
        };
        Money::parse_yuan(&text)
            .map_err(|e| problems.push(format!("{what}：{}", e.message)))
            .ok()
    }
}

/// An optional amount.
pub fn money(v: Option<&Yuan>, what: &str, problems: &mut Vec<String>) -> Option<Money> {
    v.and_then(|y| y.money(what, problems))
}

/// A labelled value (its Chinese label), or the problem in `problems`.
pub fn label<T: Labelled>(s: &str, problems: &mut Vec<String>) -> Option<T> {
    T::parse(s).map_err(|e| problems.push(e.message)).ok()
}

/// Risk types by label (因病, 因务工就业不稳 …).
pub fn risks(labels: &[String], problems: &mut Vec<String>) -> RiskSet {
    labels
        .iter()
        .filter_map(|l| label::<RiskType>(l, problems))
        .fold(RiskSet::EMPTY, RiskSet::with)
}

/// Risk types as their labels.
pub fn risk_labels(r: RiskSet) -> Vec<String> {
    r.iter().map(|t| t.label().to_owned()).collect()
}

/// Every problem of one request as one 422 answer, or nothing.
pub fn refuse_problems(problems: Vec<String>) -> ApiResult<()> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(problems.join("；")))
    }
}

/// Today on the server's calendar, as the command line reckons it.
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// The caller as the procedure records it: its level (村级, 乡镇, 县级) and display name.
pub fn actor(caller: &Caller) -> ApiResult<Actor> {
    let level = caller
        .role()
        .case_level()
        .ok_or_else(|| ApiError::forbidden(format!("“{}”角色不办理监测案件", caller.role())))?;
    Ok(Actor::new(level, caller.user.display_name.clone()))
}

/// Most rows a list page holds.
pub const MAX_PER_PAGE: u32 = 500;

/// Paging of a list — `page` from 1, `per_page` up to [`MAX_PER_PAGE`] (50 by default) —
/// as (page, per_page, offset).
pub fn paging(page: Option<u32>, per_page: Option<u32>) -> (u32, u32, i64) {
    let page = page.unwrap_or(1).max(1);
    let per_page = per_page.unwrap_or(50).clamp(1, MAX_PER_PAGE);
    (page, per_page, i64::from(page - 1) * i64::from(per_page))
}

/// Where a list may look: the caller's subtree, or the part of it `region` names; a region
/// outside the subtree does not exist for the caller (404).
pub fn list_scope(caller: &Caller, region: Option<&str>) -> ApiResult<domain::RegionCode> {
    match region.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(caller.scope()),
        Some(r) => {
            let code = domain::RegionCode::parse(r).map_err(|e| ApiError::invalid(e.message))?;
            caller.within(code, &format!("区划 {r}"))?;
            Ok(code)
        }
    }
}
