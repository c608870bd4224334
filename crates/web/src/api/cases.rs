//! 监测案件 (monitoring cases) under `/api/v1`: the region-scoped, paged list; the case
//! document; one step of the procedure, or the same step for a batch of one village; and
//! the to-do list (待办). Leads, measures, visits and notices are submodules whose routers
//! merge into this one; `document` and `steps` are the case's views and the step requests,
//! `input` what every endpoint here shares (problem+json extractors, yuan, paging).
//!
//! A step is checked three times, in this order: the case must lie in the caller's subtree
//! (else 404, before anything else is looked at); the caller's role must be one the
//! procedure names for the step at the case's stage, and the county's decisions belong to
//! 县级审定 only (`Role::may_act`, else 403); then `domain::case::transition` decides, and
//! its refusal is 422 with its Chinese message — nothing changes.

mod document;
mod input;
mod leads;
mod measures;
mod notices;
mod steps;
mod visits;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use crate::upload::{Form, client_file_name};
use axum::Json;
use chrono::NaiveDate;
use document::{CaseView, EventView, case_view};
use domain::access::{Permission, Role};
use domain::case::{Action, ActionKind, CaseState, Consent, Level, due_date, is_overdue, who_may};
use input::{Body, Id, Params, paging};
use serde::{Deserialize, Serialize};
use steps::StepRequest;
use store::Store;
use store::cases::{CaseFilter, CaseRow};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_cases))
        .routes(routes!(get_case))
        .routes(routes!(act_on_case))
        .routes(routes!(act_on_batch))
        .routes(routes!(consent_with_scan))
        .routes(routes!(pending))
        .merge(leads::router())
        .merge(measures::router())
        .merge(visits::router())
        .merge(notices::router())
}

// ------------------------------------------------------------------------ scope checks

/// The case `id`, if it lies in the caller's subtree; otherwise — and when it does not
/// exist — the same 404, so that nothing outside can be probed.
async fn scoped_case(caller: &Caller, store: &Store, id: i64) -> ApiResult<CaseRow> {
    let row = store.case(id).await?;
    caller.within(row.village, &format!("监测案件 {id}"))?;
    Ok(row)
}

/// 403 unless the caller's role may take `kind` at the case's stage.
fn may_take(caller: &Caller, kind: ActionKind, row: &CaseRow) -> ApiResult<()> {
    let role = caller.role();
    let state = row.case.state;
    if role.may_act(kind, state) {
        return Ok(());
    }
    let allowed = who_may(kind, state);
    let detail = if role.case_level().is_some_and(|l| allowed.contains(&l)) {
        format!(
            "“{kind}”是县级审定事项，须由“{}”角色办理，“{role}”无权办理",
            Role::CountyApprover
        )
    } else {
        let levels: Vec<&str> = allowed.iter().map(|l| l.label()).collect();
        format!(
            "监测案件 {} 处于“{state}”环节，“{kind}”应由{}办理，“{role}”无权办理",
            row.id,
            levels.join("或")
        )
    };
    Err(ApiError::forbidden(detail))
}

// ------------------------------------------------------------------------------ the list

/// Filters of the case list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// 案件环节（中文），如“入户核实”“已纳入监测”。
    pub state: Option<String>,
    /// 只列在办（true）或已办结（false）的案件。
    pub open: Option<bool>,
    /// 区划代码：调用者辖区内的乡镇或村（默认为整个辖区）。
    pub region: Option<String>,
    /// 户编号。
    pub household_no: Option<String>,
    /// 页码，从 1 开始。
    pub page: Option<u32>,
    /// 每页条数（默认 50，最多 500）。
    pub per_page: Option<u32>,
}

/// 案件概要 (a case as the list shows it).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseSummary {
    pub id: i64,
    /// 户编号.
    pub household_no: String,
    /// 村代码 (12 digits).
    pub village: String,
    /// 当前环节, e.g. 入户核实.
    pub state: String,
    /// 办理期限.
    pub due: Option<NaiveDate>,
    /// 已逾期.
    pub overdue: bool,
    /// 待办环节 (the steps the case waits for).
    pub awaiting: Vec<String>,
    /// 可办理层级 (levels that may take them).
    pub awaiting_levels: Vec<String>,
    /// 帮扶责任人 (current).
    pub helper: Option<String>,
    /// 立案日期.
    pub opened_on: NaiveDate,
}

/// 案件列表 (one page).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseList {
    /// Cases matching the filters in the caller's subtree, over all pages: counted up to
    /// 1,000.
    pub total: i64,
    /// More than `total` match: narrow the list (a village, a stage) to count them all.
    pub total_capped: bool,
    pub page: u32,
    pub per_page: u32,
    pub items: Vec<CaseSummary>,
}

fn summary(
    row: &CaseRow,
    helper: Option<String>,
    today: NaiveDate,
    cfg: &domain::case::Deadlines,
    zone: domain::Zone,
) -> CaseSummary {
    let c = &row.case;
    CaseSummary {
        id: row.id,
        household_no: row.household_no.clone(),
        village: row.village.to_string(),
        state: c.state.label().to_owned(),
        due: due_date(c, cfg),
        overdue: is_overdue(c, today, cfg),
        awaiting: c.awaiting().iter().map(|k| k.label().to_owned()).collect(),
        awaiting_levels: labels(&c.awaiting_levels()),
        helper,
        opened_on: zone.day_of(row.created_at),
    }
}

fn labels(levels: &[Level]) -> Vec<String> {
    levels.iter().map(|l| l.label().to_owned()).collect()
}

/// 案件列表: the cases of the caller's subtree (or of a part of it), newest first.
#[utoipa::path(get, path = "/cases", tag = "监测案件", params(CaseQuery),
    responses(
        (status = 200, description = "案件列表（一页）", body = CaseList),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "区划不在辖区内", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "查询参数有误", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_cases(caller: Caller, Params(q): Params<CaseQuery>) -> ApiResult<Json<CaseList>> {
    let store = caller.store(Permission::ReadRegistry)?;
    let scope = caller.region(q.region.as_deref())?;
    let state = match q.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(CaseState::parse(s).map_err(|e| ApiError::invalid(e.message))?),
    };
    let (page, per_page, offset) = paging(q.page, q.per_page);
    let filter = CaseFilter {
        scope: Some(scope),
        state,
        open: q.open,
        household_no: q
            .household_no
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty()),
    };
    let found = store
        .case_list(&filter, offset, i64::from(per_page))
        .await?;
    let today = caller.today();
    let cfg = service::cases::deadlines(store, today).await?;
    Ok(Json(CaseList {
        total: found.total,
        total_capped: found.capped,
        page,
        per_page,
        items: found
            .rows
            .into_iter()
            .map(|r| summary(&r.row, r.helper, today, &cfg, caller.zone()))
            .collect(),
    }))
}

// -------------------------------------------------------------------- the case document

/// 案件详情: stage, steps with the verification form and consent, the county's decision,
/// every recorded step, the helpers (phones masked) and the follow-up visits.
#[utoipa::path(get, path = "/cases/{id}", tag = "监测案件",
    params(("id" = i64, Path, description = "监测案件编号")),
    responses(
        (status = 200, body = CaseView),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "不存在或不在辖区内", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_case(caller: Caller, Id(id): Id) -> ApiResult<Json<CaseView>> {
    let store = caller.store(Permission::ReadRegistry)?;
    let row = scoped_case(&caller, store, id).await?;
    Ok(Json(case_view(&caller, store, &row).await?))
}

// ------------------------------------------------------------------------- the steps

/// What a step did to one case.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StepDone {
    pub id: i64,
    /// 办理后的环节.
    pub state: String,
    pub version: i64,
    /// The step as recorded.
    pub event: Option<EventView>,
}

impl From<&CaseRow> for StepDone {
    fn from(r: &CaseRow) -> Self {
        StepDone {
            id: r.id,
            state: r.case.state.label().to_owned(),
            version: r.version,
            event: r.case.history.last().map(Into::into),
        }
    }
}

/// 办理: one step on one case, as the caller.
#[utoipa::path(post, path = "/cases/{id}/actions", tag = "监测案件",
    params(("id" = i64, Path, description = "监测案件编号")),
    request_body = StepRequest,
    responses(
        (status = 200, description = "已办理：案件的新环节", body = StepDone),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "该角色不能办理此环节", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "不存在或不在辖区内", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "案件刚被他人办理，请刷新", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "程序不允许（中文说明），案件未改变", body = Problem, content_type = "application/problem+json"),
    ))]
async fn act_on_case(
    caller: Caller,
    Id(id): Id,
    Body(req): Body<StepRequest>,
) -> ApiResult<Json<StepDone>> {
    let store = caller.store(Permission::WorkCases)?;
    let row = scoped_case(&caller, store, id).await?;
    let action = Action::try_from(req)?;
    may_take(&caller, action.kind(), &row)?;
    let actor = input::actor(&caller)?;
    let today = caller.today();
    let cfg = service::cases::deadlines(store, today).await?;
    let done = service::cases::act(store, id, action, &actor, today, &cfg).await?;
    Ok(Json((&done).into()))
}

/// 农户承诺授权 with the scanned, signed 承诺授权书 (multipart/form-data).
#[derive(Debug, ToSchema)]
pub struct ConsentUpload {
    /// 办理日期 (today when left out).
    pub on: Option<NaiveDate>,
    /// 签字人.
    pub signed_by: String,
    /// 授权查询事项.
    pub queries: String,
    /// 扫描件 (PDF or image, at most 10 MB); its file name is kept.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// 农户承诺授权（附扫描件）: the consent step with the signed form, kept with the case in
/// the same transaction and named in the step by its SHA-256.
#[utoipa::path(post, path = "/cases/{id}/consent", tag = "监测案件",
    params(("id" = i64, Path, description = "监测案件编号")),
    request_body(content = ConsentUpload, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "已办理，扫描件已随案保存", body = StepDone),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "不存在或不在辖区内", body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "请求过大", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn consent_with_scan(
    caller: Caller,
    Id(id): Id,
    mut form: Form,
) -> ApiResult<Json<StepDone>> {
    let store = caller.store(Permission::WorkCases)?;
    let row = scoped_case(&caller, store, id).await?;
    may_take(&caller, ActionKind::Consent, &row)?;
    let (mut on, mut signed_by, mut queries, mut file) = (None, String::new(), String::new(), None);
    while let Some(mut field) = form.next_field().await? {
        match field.name().unwrap_or("") {
            "on" => {
                let text = field.text("办理日期").await?;
                on = Some(
                    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
                        ApiError::invalid(format!("办理日期“{text}”无效：应为 YYYY-MM-DD"))
                    })?,
                );
            }
            "signed_by" => signed_by = field.text("签字人").await?,
            "queries" => queries = field.text("授权查询事项").await?,
            "file" => {
                // The client's name, cleaned, as the case document shows it. The scan is
                // kept with the case, so it is read into memory: never more than the most
                // a case file may be.
                let name = client_file_name(field.file_name(), "承诺授权书");
                let max = service::cases::MAX_CASE_FILE;
                let data = field.bytes(max).await?.ok_or_else(|| {
                    ApiError::new(
                        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                        "too_large",
                        format!("扫描件不能超过{}MB", max >> 20),
                    )
                })?;
                file = Some((name, data));
            }
            _ => {}
        }
    }
    let (name, data) = file.ok_or_else(|| ApiError::invalid("须上传扫描件（字段 file）"))?;
    let action = Action::Consent {
        on: on.unwrap_or_else(input::today),
        consent: Consent {
            signed_by,
            queries,
            attachment: None,
        },
    };
    let actor = input::actor(&caller)?;
    let today = caller.today();
    let cfg = service::cases::deadlines(store, today).await?;
    let done =
        service::cases::act_with_scan(store, id, action, (&name, &data), &actor, today, &cfg)
            .await?;
    Ok(Json((&done).into()))
}

/// The same step for several cases of one village.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct BatchRequest {
    /// 监测案件编号 (one village).
    pub cases: Vec<i64>,
    pub action: StepRequest,
}

/// 批量办理: one meeting or one notice for a batch of one village — all or nothing. Every
/// case must be in the caller's subtree (else 404), each one's step allowed to the caller's
/// role (else 403), and the procedure must allow it for every one (else 422 naming the case).
#[utoipa::path(post, path = "/cases/actions", tag = "监测案件",
    request_body = BatchRequest,
    responses(
        (status = 200, description = "已为每个案件办理", body = Vec<StepDone>),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "有一个案件不能办理：均未改变", body = Problem, content_type = "application/problem+json"),
    ))]
async fn act_on_batch(
    caller: Caller,
    Body(req): Body<BatchRequest>,
) -> ApiResult<Json<Vec<StepDone>>> {
    let store = caller.store(Permission::WorkCases)?;
    if req.cases.is_empty() {
        return Err(ApiError::invalid("须列出至少一个案件"));
    }
    input::case_list(&req.cases)?;
    let mut ids = req.cases.clone();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(ApiError::invalid("案件编号有重复"));
    }
    let mut rows = Vec::with_capacity(req.cases.len());
    for &id in &req.cases {
        rows.push(scoped_case(&caller, store, id).await?);
    }
    let action = Action::try_from(req.action)?;
    for row in &rows {
        may_take(&caller, action.kind(), row)?;
    }
    let actor = input::actor(&caller)?;
    let today = caller.today();
    let cfg = service::cases::deadlines(store, today).await?;
    let done = service::cases::act_batch(store, &req.cases, &action, &actor, today, &cfg).await?;
    Ok(Json(done.iter().map(Into::into).collect()))
}

// ------------------------------------------------------------------------- to-do list

/// Which to-do list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PendingParams {
    /// 只列该层级可办的事项：村级、乡镇、县级，或“全部”。默认为调用者的办理层级。
    pub level: Option<String>,
    /// 只列该帮扶责任人负责的农户。
    pub helper: Option<String>,
    /// 提前多少天列出到期的帮扶走访（默认 7）。
    pub within: Option<u32>,
    /// 区划代码：调用者辖区内的一部分（默认为整个辖区）。
    pub region: Option<String>,
}

/// 待办事项.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PendingItem {
    pub case_id: i64,
    pub household_no: String,
    pub village: String,
    /// 当前环节.
    pub state: String,
    /// 待办事项: the awaited steps, or 帮扶走访.
    pub task: String,
    /// 可办理层级.
    pub levels: Vec<String>,
    /// 帮扶责任人.
    pub helper: Option<String>,
    pub due: Option<NaiveDate>,
    pub overdue: bool,
}

/// 待办与逾期: the cases of the caller's subtree waiting for a step, and the follow-up
/// visits falling due, the most urgent first.
#[utoipa::path(get, path = "/pending", tag = "监测案件", params(PendingParams),
    responses(
        (status = 200, body = Vec<PendingItem>),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn pending(
    caller: Caller,
    Params(q): Params<PendingParams>,
) -> ApiResult<Json<Vec<PendingItem>>> {
    let store = caller.store(Permission::ReadRegistry)?;
    let scope = caller.region(q.region.as_deref())?;
    let level = match q.level.as_deref().map(str::trim) {
        None | Some("") => caller.role().case_level(),
        Some("全部") => None,
        Some(l) => Some(Level::parse(l).map_err(|e| ApiError::invalid(e.message))?),
    };
    let helper = q.helper.as_deref().map(str::trim).filter(|h| !h.is_empty());
    let today = caller.today();
    let cfg = service::cases::deadlines(store, today).await?;
    let query = service::cases::PendingQuery {
        scope: Some(scope),
        level,
        helper,
        visits_within_days: domain::bounds::within(
            "提前天数 within",
            q.within.unwrap_or(7),
            &domain::bounds::LOOKAHEAD_DAYS,
            "天",
        )
        .map_err(|e| ApiError::invalid(e.message))?,
    };
    let list = service::cases::pending(store, &query, today, &cfg).await?;
    Ok(Json(
        list.into_iter()
            .map(|p| PendingItem {
                case_id: p.case_id,
                household_no: p.household_no,
                village: p.village.to_string(),
                state: p.state.label().to_owned(),
                task: p.task,
                levels: labels(&p.levels),
                helper: p.helper,
                due: p.due,
                overdue: p.overdue,
            })
            .collect(),
    ))
}
