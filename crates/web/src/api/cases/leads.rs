//! 线索研判 (triage of leads): the leads of the caller's subtree, and the village's two
//! answers to one — 不予纳入 with a reason, or 启动识别, which opens a case.

use super::input::{self, Body, Id, Params, paging, risk_labels};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::Json;
use axum::http::StatusCode;
use chrono::NaiveDate;
use domain::access::Permission;
use domain::monitoring::{Category, RiskSet};
use domain::screening::Channel;
use serde::{Deserialize, Serialize};
use store::Store;
use store::screening::{LeadRow, lead_status};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_leads))
        .routes(routes!(dismiss_lead))
        .routes(routes!(open_case))
}

/// 线索状态 as its label.
fn status_label(s: i64) -> &'static str {
    match s {
        lead_status::OPEN => "待研判",
        lead_status::DISMISSED => "不予纳入",
        lead_status::CONVERTED => "已转入识别",
        _ => "未知",
    }
}

/// The lead `id`, if it lies in the caller's subtree (else 404, as if it did not exist).
async fn scoped_lead(caller: &Caller, store: &Store, id: i64) -> ApiResult<LeadRow> {
    let lead = store.lead(id).await?;
    caller.within(lead.village, &format!("线索 {id}"))?;
    Ok(lead)
}

/// Filters of the lead list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeadQuery {
    /// 线索状态：待研判（默认）、不予纳入、已转入识别 或 全部。
    pub status: Option<String>,
    /// 区划代码：调用者辖区内的一部分（默认为整个辖区）。
    pub region: Option<String>,
    /// 页码，从 1 开始。
    pub page: Option<u32>,
    /// 每页条数（默认 50，最多 500）。
    pub per_page: Option<u32>,
}

/// 线索.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LeadItem {
    pub id: i64,
    /// 户编号.
    pub household_no: String,
    /// 村代码.
    pub village: String,
    /// 预警渠道: 收入监测, 部门预警, 干部排查, 农户自主申报.
    pub channel: String,
    /// 线索状态: 待研判, 不予纳入, 已转入识别.
    pub status: String,
    /// 拟纳入类别 (screening's suggestion), if any.
    pub suggested_category: Option<String>,
    /// 风险类型.
    pub risks: Vec<String>,
    /// 预警条数.
    pub warnings: i64,
    /// 发现线索日.
    pub created_on: NaiveDate,
}

impl LeadItem {
    /// The lead as listed; its day is the day it was found in the deployment's zone.
    fn new(l: LeadRow, zone: domain::Zone) -> Self {
        LeadItem {
            id: l.id,
            household_no: l.household_no,
            village: l.village.to_string(),
            channel: Channel::from_code(l.channel)
                .map_or("未知", Channel::label)
                .to_owned(),
            status: status_label(l.status).to_owned(),
            suggested_category: l
                .category
                .and_then(Category::from_code)
                .map(|c| c.label().to_owned()),
            risks: risk_labels(RiskSet::from_bits(l.risks).unwrap_or_default()),
            warnings: l.warnings,
            created_on: zone.day_of(l.created_at),
        }
    }
}

/// 线索列表 (one page).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LeadList {
    /// Leads matching, over all pages: counted up to 1,000.
    pub total: i64,
    /// More than `total` match: narrow the list (a village, a status) to count them all.
    pub total_capped: bool,
    pub page: u32,
    pub per_page: u32,
    pub items: Vec<LeadItem>,
}

/// 线索列表: the leads of the caller's subtree, newest first.
#[utoipa::path(get, path = "/leads", tag = "线索", params(LeadQuery),
    responses(
        (status = 200, body = LeadList),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "区划不在辖区内", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_leads(caller: Caller, Params(q): Params<LeadQuery>) -> ApiResult<Json<LeadList>> {
    let store = caller.store(Permission::ReadRegistry)?;
    let scope = caller.region(q.region.as_deref())?;
    let status = match q.status.as_deref().map(str::trim).unwrap_or("待研判") {
        "待研判" | "open" | "" => Some(lead_status::OPEN),
        "不予纳入" | "dismissed" => Some(lead_status::DISMISSED),
        "已转入识别" | "converted" => Some(lead_status::CONVERTED),
        "全部" | "all" => None,
        other => {
            return Err(ApiError::invalid(format!(
                "线索状态“{other}”无效：应为待研判、不予纳入、已转入识别或全部"
            )));
        }
    };
    let (page, per_page, offset) = paging(q.page, q.per_page);
    let found = store
        .lead_list(Some(scope), status, offset, i64::from(per_page))
        .await?;
    Ok(Json(LeadList {
        total: found.total,
        total_capped: found.capped,
        page,
        per_page,
        items: found
            .rows
            .into_iter()
            .map(|l| LeadItem::new(l, caller.zone()))
            .collect(),
    }))
}

/// 不予纳入的理由.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct DismissRequest {
    /// A reason the household can be told.
    pub reason: String,
}

/// 不予纳入: closes an open lead with a reason the household can be told.
#[utoipa::path(post, path = "/leads/{id}/dismiss", tag = "线索",
    params(("id" = i64, Path, description = "线索编号")),
    request_body = DismissRequest,
    responses(
        (status = 204, description = "已不予纳入"),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "不存在或不在辖区内", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "线索已处理", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "缺少理由", body = Problem, content_type = "application/problem+json"),
    ))]
async fn dismiss_lead(
    caller: Caller,
    Id(id): Id,
    Body(req): Body<DismissRequest>,
) -> ApiResult<StatusCode> {
    let store = caller.store(Permission::WorkCases)?;
    scoped_lead(&caller, store, id).await?;
    let actor = input::actor(&caller)?;
    service::cases::dismiss_lead(store, id, &req.reason, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A case just opened.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseOpened {
    pub case_id: i64,
    /// 当前环节 (入户核实).
    pub state: String,
}

/// 启动识别: opens an identification case from an open lead; it starts at 入户核实.
#[utoipa::path(post, path = "/leads/{id}/case", tag = "线索",
    params(("id" = i64, Path, description = "线索编号")),
    responses(
        (status = 201, description = "已立案", body = CaseOpened),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "不存在、已处理或不在辖区内", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "该户已有在办案件", body = Problem, content_type = "application/problem+json"),
    ))]
async fn open_case(caller: Caller, Id(id): Id) -> ApiResult<(StatusCode, Json<CaseOpened>)> {
    let store = caller.store(Permission::WorkCases)?;
    scoped_lead(&caller, store, id).await?;
    let actor = input::actor(&caller)?;
    let case_id = service::cases::open_case(store, id, &actor, caller.today()).await?;
    Ok((
        StatusCode::CREATED,
        Json(CaseOpened {
            case_id,
            state: domain::case::CaseState::Verifying.label().to_owned(),
        }),
    ))
}
