//! 帮扶 (assistance) of a case: its measures (帮扶措施), the plan the matching rules make of
//! them, the elimination conditions (风险消除条件) as they stand today, and the cadre
//! responsible (帮扶责任人, phone shown masked). Every route addresses one case, which must
//! lie in the caller's subtree.

use super::input::{self, Body, Id, Yuan, label, money, refuse_problems, risk_labels, risks};
use super::scoped_case;
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::Json;
use axum::http::StatusCode;
use chrono::NaiveDate;
use domain::access::Permission;
use domain::assistance::{Helper, Measure, MeasureStatus, MeasureType};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_measures, add_measure))
        .routes(routes!(plan))
        .routes(routes!(elimination_check))
        .routes(routes!(assign_helper))
}

/// 帮扶措施 as recorded.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeasureItem {
    pub id: i64,
    /// 措施类型, e.g. 三重保障.
    #[serde(rename = "type")]
    pub ty: String,
    /// 措施类别, e.g. 健康帮扶.
    pub group: String,
    /// 帮扶性质: 开发式帮扶, 兜底保障, 专项帮扶.
    pub nature: String,
    /// 针对风险.
    pub risks: Vec<String>,
    /// 责任部门.
    pub provider: String,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    /// 帮扶金额（元）.
    pub amount: Option<String>,
    /// 措施状态: 计划, 实施中, 已结束.
    pub status: String,
    /// 风险消除后继续实施.
    pub continues: bool,
}

fn item(id: i64, m: &Measure) -> MeasureItem {
    MeasureItem {
        id,
        ty: m.ty.label().to_owned(),
        group: m.ty.group().label().to_owned(),
        nature: m.ty.nature().label().to_owned(),
        risks: risk_labels(m.target_risks),
        provider: m.provider.clone(),
        start: m.start,
        end: m.end,
        amount: m.amount.map(|a| a.to_string()),
        status: m.status.label().to_owned(),
        continues: m.continues_after_elimination,
    }
}

/// 帮扶措施列表.
#[utoipa::path(get, path = "/cases/{id}/measures", tag = "帮扶",
    params(("id" = i64, Path, description = "监测案件编号")),
    responses(
        (status = 200, body = Vec<MeasureItem>),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "不存在或不在辖区内", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_measures(caller: Caller, Id(id): Id) -> ApiResult<Json<Vec<MeasureItem>>> {
    let store = caller.store(Permission::ReadRegistry)?;
    scoped_case(&caller, store, id).await?;
    let measures = store.measures_of(id).await?;
    Ok(Json(measures.iter().map(|(id, m)| item(*id, m)).collect()))
}

/// A measure to record.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct MeasureRequest {
    /// 措施类型 (the catalogue's Chinese name), e.g. 三重保障, 低保, 外出务工.
    #[serde(rename = "type")]
    pub ty: String,
    /// 针对风险, e.g. ["因病"].
    #[serde(default)]
    pub risks: Vec<String>,
    /// 责任部门.
    #[serde(default)]
    pub provider: String,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    /// 帮扶金额（元）.
    pub amount: Option<Yuan>,
    /// 计划, 实施中 (default) or 已结束.
    pub status: Option<String>,
    /// 风险消除后继续实施.
    #[serde(default)]
    pub continues: bool,
}

impl TryFrom<MeasureRequest> for Measure {
    type Error = ApiError;

    fn try_from(r: MeasureRequest) -> ApiResult<Measure> {
        let mut p = Vec::new();
        let ty = label::<MeasureType>(&r.ty, &mut p);
        let target_risks = risks(&r.risks, &mut p);
        let amount = money(r.amount.as_ref(), "帮扶金额", &mut p);
        let status = label::<MeasureStatus>(r.status.as_deref().unwrap_or("实施中"), &mut p);
        refuse_problems(p)?;
        match (ty, status) {
            (Some(ty), Some(status)) => Ok(Measure {
                ty,
                target_risks,
                provider: r.provider,
                start: r.start,
                end: r.end,
                amount,
                status,
                continues_after_elimination: r.continues,
            }),
            _ => Err(ApiError::invalid("措施内容不完整")),
        }
    }
}

/// 登记帮扶措施: once the household is monitored, or before on the fast track. The first
/// measure carried out also records the case's 开始帮扶.
#[utoipa::path(post, path = "/cases/{id}/measures", tag = "帮扶",
    params(("id" = i64, Path, description = "监测案件编号")),
    request_body = MeasureRequest,
    responses(
        (status = 201, description = "已登记", body = MeasureItem),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "不存在或不在辖区内", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "措施有误或尚不能登记", body = Problem, content_type = "application/problem+json"),
    ))]
async fn add_measure(
    caller: Caller,
    Id(id): Id,
    Body(req): Body<MeasureRequest>,
) -> ApiResult<(StatusCode, Json<MeasureItem>)> {
    let store = caller.store(Permission::WorkCases)?;
    scoped_case(&caller, store, id).await?;
    let measure = Measure::try_from(req)?;
    let actor = input::actor(&caller)?;
    let today = caller.today();
    let cfg = service::cases::deadlines(store, today).await?;
    let mid = service::cases::add_measure(store, id, &measure, &actor, today, &cfg).await?;
    Ok((StatusCode::CREATED, Json(item(mid, &measure))))
}

/// 帮扶计划 (the matching rules of docs/domain.md §7.3 applied to the case's measures).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PlanView {
    /// Nothing is required any more.
    pub complete: bool,
    /// 尚无措施覆盖的风险.
    pub uncovered: Vec<String>,
    /// 需要落实.
    pub required: Vec<String>,
    /// 提示.
    pub flags: Vec<String>,
    /// 可选措施类型.
    pub suggestions: Vec<String>,
}

/// 帮扶计划: what the measures cover, what is still required, and catalogue types that
/// would meet it.
#[utoipa::path(get, path = "/cases/{id}/plan", tag = "帮扶",
    params(("id" = i64, Path, description = "监测案件编号")),
    responses(
        (status = 200, body = PlanView),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "不存在或不在辖区内", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "尚未纳入监测", body = Problem, content_type = "application/problem+json"),
    ))]
async fn plan(caller: Caller, Id(id): Id) -> ApiResult<Json<PlanView>> {
    let store = caller.store(Permission::ReadRegistry)?;
    scoped_case(&caller, store, id).await?;
    let p = service::cases::plan(store, id, caller.today()).await?;
    Ok(Json(PlanView {
        complete: p.is_complete(),
        uncovered: risk_labels(p.uncovered),
        required: p.required.iter().map(ToString::to_string).collect(),
        flags: p.flags.iter().map(ToString::to_string).collect(),
        suggestions: p.suggestions.iter().map(|t| t.label().to_owned()).collect(),
    }))
}

/// One elimination condition today.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ConditionView {
    /// Stable key, e.g. INCOME_STABLE.
    pub code: String,
    /// 条件, e.g. 收入稳定超过当年监测范围.
    pub condition: String,
    /// 满足.
    pub met: bool,
    /// 说明 with the figures.
    pub explanation: String,
}

/// 风险消除条件.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EliminationCheck {
    /// Every condition holds: the village may propose the elimination.
    pub eligible: bool,
    pub conditions: Vec<ConditionView>,
}

/// 风险消除条件: which conditions of docs/domain.md §8.1 hold today, each with its figures.
#[utoipa::path(get, path = "/cases/{id}/elimination-check", tag = "帮扶",
    params(("id" = i64, Path, description = "监测案件编号")),
    responses(
        (status = 200, body = EliminationCheck),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "不存在或不在辖区内", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "尚未纳入监测", body = Problem, content_type = "application/problem+json"),
    ))]
async fn elimination_check(caller: Caller, Id(id): Id) -> ApiResult<Json<EliminationCheck>> {
    let store = caller.store(Permission::ReadRegistry)?;
    scoped_case(&caller, store, id).await?;
    let results = service::cases::elimination_check(store, id, caller.today()).await?;
    Ok(Json(EliminationCheck {
        eligible: results.iter().all(|r| r.met),
        conditions: results
            .into_iter()
            .map(|r| ConditionView {
                code: r.code.key().to_owned(),
                condition: r.code.label().to_owned(),
                met: r.met,
                explanation: r.explanation,
            })
            .collect(),
    }))
}

/// 帮扶责任人 to name.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct HelperRequest {
    #[serde(default)]
    pub name: String,
    /// 工作单位及职务.
    #[serde(default)]
    pub unit: String,
    /// 手机号码 (stored encrypted, answered masked).
    pub phone: String,
    /// 结对日期 (today when left out); the previous helper hands over that day.
    pub since: Option<NaiveDate>,
}

/// The helper as now recorded.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HelperAssigned {
    pub id: i64,
    pub name: String,
    pub unit: String,
    /// 联系电话（脱敏）, e.g. 138****1234.
    pub phone: String,
    pub since: NaiveDate,
}

/// 确定帮扶责任人: makes a cadre responsible for the case's household.
#[utoipa::path(put, path = "/cases/{id}/helper", tag = "帮扶",
    params(("id" = i64, Path, description = "监测案件编号")),
    request_body = HelperRequest,
    responses(
        (status = 200, body = HelperAssigned),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "不存在或不在辖区内", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn assign_helper(
    caller: Caller,
    Id(id): Id,
    Body(req): Body<HelperRequest>,
) -> ApiResult<Json<HelperAssigned>> {
    let store = caller.store(Permission::WorkCases)?;
    scoped_case(&caller, store, id).await?;
    let today = caller.today();
    let phone = domain::Phone::parse(&req.phone).map_err(|e| ApiError::invalid(e.message))?;
    let helper = Helper {
        name: req.name,
        unit: req.unit,
        phone,
        since: req.since.unwrap_or(today),
    };
    let hid = service::cases::assign_helper(store, id, &helper, today).await?;
    Ok(Json(HelperAssigned {
        id: hid,
        name: helper.name.trim().to_owned(),
        unit: helper.unit.trim().to_owned(),
        phone: helper.phone.masked(),
        since: helper.since,
    }))
}
