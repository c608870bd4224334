//! 后台任务 under `/api/v1`: what an import, a feed or a screening started in the
//! background is doing, and its answer once finished (`crate::jobs`). A job is seen by the
//! callers whose region contains its creator's region, like every other object.

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::extract::Name;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::RegionCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(job))
}

/// 已受理 (202): the job that will do what was asked.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobAccepted {
    /// 任务编号: read the job at `location`.
    pub job_id: String,
    /// Always `queued`.
    pub state: String,
    /// `/api/v1/jobs/{job_id}`, also in the `Location` header.
    pub location: String,
}

/// 202 Accepted for the job `id`, with its `Location`.
pub(crate) fn accepted(id: String) -> Response {
    let location = format!("/api/v1/jobs/{id}");
    let mut res = (
        StatusCode::ACCEPTED,
        Json(JobAccepted {
            job_id: id,
            state: "queued".to_owned(),
            location: location.clone(),
        }),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

/// The answer a job's request would have had, as its status and JSON body.
pub(crate) fn answer<T: Serialize>(
    r: ApiResult<super::data::Uploaded<T>>,
) -> (StatusCode, serde_json::Value) {
    use super::data::Uploaded;
    let json = |v: Result<serde_json::Value, serde_json::Error>| {
        v.unwrap_or_else(|e| {
            let e = crate::error::internal(&e);
            e.problem_json()
        })
    };
    match r {
        Ok(Uploaded::Done(v)) => (StatusCode::OK, json(serde_json::to_value(v))),
        Ok(Uploaded::Rejected(r)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            json(serde_json::to_value(r)),
        ),
        Err(e) => (e.status, e.problem_json()),
    }
}

/// 任务状态.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct JobStatus {
    pub id: String,
    /// import:households、import:members、import:incomes、feed:medical …、screening.
    pub kind: String,
    /// queued（排队中）、running（运行中）、done（完成）或 failed（失败）.
    pub state: String,
    /// 当前阶段（读取文件、核对并写入、匹配户籍、筛查、写入 …）.
    pub stage: String,
    /// 进度: rows (or households) done, of `total` (0 while not known).
    pub done: i64,
    pub total: i64,
    /// Once finished: the HTTP status its request would have answered (200; 422 for a
    /// file with problems; 403, 404 …).
    pub status: Option<i64>,
    /// Once finished: the body its request would have answered — the result, or the
    /// problem (problem+json; a rejected file's problems by row and column).
    #[schema(value_type = Option<Object>)]
    pub result: Option<serde_json::Value>,
    /// 提交人.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// 查询后台任务: the state, progress and — once finished — the answer of an import, a
/// feed or a screening started earlier. Only callers whose region contains the region of
/// the job's creator see it.
#[utoipa::path(get, path = "/jobs/{id}", tag = "后台任务",
    params(("id" = String, Path, description = "任务编号（提交时的 job_id）")),
    responses(
        (status = 200, description = "任务状态、进度，完成后附结果", body = JobStatus),
        (status = 404, description = "没有这个任务，或不在辖区内", body = Problem, content_type = "application/problem+json"),
    ))]
async fn job(
    caller: Caller,
    State(state): State<AppState>,
    Name(id): Name,
) -> ApiResult<Json<JobStatus>> {
    let not_found = || ApiError::not_found(format!("未找到：任务 {id}"));
    let row = state.jobs.get(&id).await?.ok_or_else(not_found)?;
    let region = u64::try_from(row.region)
        .ok()
        .and_then(RegionCode::from_u64)
        .ok_or_else(not_found)?;
    caller.within(region, &format!("任务 {id}"))?;
    Ok(Json(JobStatus {
        id: row.id,
        kind: row.kind,
        state: row.state,
        stage: row.stage,
        done: row.done,
        total: row.total,
        status: row.status,
        result: row
            .result
            .map(|r| serde_json::from_str(&r).unwrap_or(serde_json::Value::String(r))),
        created_by: row.created_by,
        created_at: row.created_at,
        started_at: row.started_at,
        finished_at: row.finished_at,
    }))
}
