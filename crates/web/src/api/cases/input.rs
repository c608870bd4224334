//! What the case endpoints share: extractors that answer malformed input as
//! problem+json in Chinese (axum's own rejections are English plain text), money as yuan,
//! labelled values, paging, the acting clerk and the day.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use domain::Money;
use domain::case::Actor;
use domain::enums::Labelled;
use domain::monitoring::{MAX_RISKS, RiskSet, RiskType};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use crate::extract::{Body, Id, Params, today};

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

/// Risk types by label (因病, 因务工就业不稳 …), at most five of them.
pub fn risks(labels: &[String], problems: &mut Vec<String>) -> RiskSet {
    if let Err(e) = domain::bounds::list_len("风险类型", labels.len(), MAX_RISKS) {
        problems.push(e.message);
        return RiskSet::EMPTY;
    }
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

/// The caller as the procedure records it: its level (村级, 乡镇, 县级) and display name.
pub fn actor(caller: &Caller) -> ApiResult<Actor> {
    let level = caller
        .role()
        .case_level()
        .ok_or_else(|| ApiError::forbidden(format!("“{}”角色不办理监测案件", caller.role())))?;
    Ok(Actor::new(level, caller.user.display_name.clone()))
}

/// The cases a batch or a notice names: at most [`domain::bounds::BATCH_CASES`], checked
/// before any of them is looked up.
pub fn case_list(ids: &[i64]) -> ApiResult<()> {
    domain::bounds::list_len("案件", ids.len(), domain::bounds::BATCH_CASES)
        .map_err(|e| ApiError::invalid(e.message))
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
