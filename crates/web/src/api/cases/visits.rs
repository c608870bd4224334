//! 走访 (visits) by the caller: a follow-up visit (帮扶走访) of the household's open case, or
//! a screening visit (干部排查) whose risk opens or joins a lead. The visitor recorded is
//! the signed-in user; the household must lie in the caller's subtree.

use super::input::{self, Body, Yuan, money, refuse_problems, risks};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::state::AppState;
use axum::Json;
use axum::http::StatusCode;
use chrono::NaiveDate;
use domain::access::Permission;
use domain::declaration::Visit;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(record_visit))
}

/// A visit to record.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct VisitRequest {
    /// 户编号.
    pub household_no: String,
    /// 走访日期 (today when left out).
    #[serde(default = "input::today")]
    pub on: NaiveDate,
    /// 走访情况.
    #[serde(default)]
    pub findings: String,
    /// 发现的风险 (none: no lead), e.g. ["因意外事故"].
    #[serde(default)]
    pub risks: Vec<String>,
    /// 核实的家庭人均纯收入（元/年）: only at a follow-up visit of an open case.
    pub income: Option<Yuan>,
}

/// What the visit led to.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VisitOutcome {
    pub visit_id: i64,
    /// 帮扶走访 (of an open case) or 排查走访.
    pub kind: String,
    /// The lead a screening visit opened or joined.
    pub lead_id: Option<i64>,
    /// Whether that lead is new.
    pub lead_new: Option<bool>,
    /// The open case a follow-up visit belongs to.
    pub case_id: Option<i64>,
    /// What happened, in a sentence.
    pub message: String,
}

/// 走访登记: a risk found at a screening visit opens or joins the household's lead; at a
/// follow-up visit it is recorded with the case.
#[utoipa::path(post, path = "/visits", tag = "走访", request_body = VisitRequest,
    responses(
        (status = 201, body = VisitOutcome),
        (status = 401, body = Problem, content_type = "application/problem+json"), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "户不存在或不在辖区内", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ))]
async fn record_visit(
    caller: Caller,
    Body(req): Body<VisitRequest>,
) -> ApiResult<(StatusCode, Json<VisitOutcome>)> {
    let store = caller.store(Permission::WorkCases)?;
    let no =
        domain::HouseholdNo::parse(&req.household_no).map_err(|e| ApiError::invalid(e.message))?;
    let no = no.as_str();
    let what = format!("户 {no}");
    let village = store
        .household_village(no)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("未找到：{what}")))?;
    caller.within(village, &what)?;
    let mut p = Vec::new();
    let visit = Visit {
        visited_on: req.on,
        visitor: caller.user.display_name.clone(),
        findings: req.findings,
        risks: risks(&req.risks, &mut p),
        income: money(req.income.as_ref(), "核实人均纯收入", &mut p),
    };
    refuse_problems(p)?;
    let out = service::channels::record_visit(store, no, &visit, caller.today()).await?;
    let message = match (out.case, out.lead) {
        (Some(case), _) => format!("已记录帮扶走访（监测案件 {case}）"),
        (None, None) => "已记录走访：未发现风险".to_owned(),
        (None, Some((lead, true))) => format!("发现风险，已生成线索 {lead}"),
        (None, Some((lead, false))) => format!("风险已并入该户线索 {lead}"),
    };
    Ok((
        StatusCode::CREATED,
        Json(VisitOutcome {
            visit_id: out.visit,
            kind: if out.case.is_some() {
                "帮扶走访"
            } else {
                "排查走访"
            }
            .to_owned(),
            lead_id: out.lead.map(|l| l.0),
            lead_new: out.lead.map(|l| l.1),
            case_id: out.case,
            message,
        }),
    ))
}
