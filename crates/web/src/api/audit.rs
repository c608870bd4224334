//! 审计日志查询 (the audit log, for county and system administrators): who did what, when,
//! from where — the actions of the users of the caller's region.

use crate::auth::Caller;
use crate::error::{ApiResult, Problem};
use crate::extract::Params;
use crate::state::AppState;
use axum::Json;
use domain::access::Permission;
use serde::{Deserialize, Serialize};
use store::audit::AuditFilter;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(audit_log))
}

/// 审计日志查询条件.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// 对象类型, e.g. case, member, user.
    pub entity: Option<String>,
    /// 对象编号.
    pub entity_id: Option<String>,
    /// 操作人 (user name).
    pub actor: Option<String>,
    /// 操作, e.g. `case.act` (also lists `case.act:入户核实`) or `personal.reveal`.
    pub action: Option<String>,
    /// At most this many rows (default 100, at most 1,000).
    pub limit: Option<u32>,
    /// Paging: rows older than this id.
    pub before_id: Option<i64>,
}

/// 审计记录.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    /// UTC, RFC 3339.
    pub at: String,
    pub actor: String,
    pub role: String,
    pub region: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<String>,
    /// The record before the change (JSON text; ids and masked values only).
    pub before: Option<String>,
    /// The record after the change.
    pub after: Option<String>,
    pub client: Option<String>,
    pub hash: String,
}

/// 审计日志: newest first, the actions of users of the caller's region.
#[utoipa::path(get, path = "/audit", tag = "审计", params(AuditQuery),
    responses(
        (status = 200, body = [AuditEntry]),
        (status = 403, description = "仅县级管理员和系统管理员可查询", body = Problem, content_type = "application/problem+json"),
    ))]
async fn audit_log(
    caller: Caller,
    Params(q): Params<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    let store = caller.store(Permission::ReadAudit)?;
    let rows = service::audit::query(
        store,
        &AuditFilter {
            entity: q.entity,
            entity_id: q.entity_id,
            actor: q.actor,
            action: q.action,
            scope: Some(caller.scope()),
            limit: q.limit.unwrap_or(100).min(1_000),
            before_id: q.before_id,
            ..AuditFilter::default()
        },
    )
    .await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: r.at.to_rfc3339(),
                actor: r.actor,
                role: r.role,
                region: r.region.map(|c| c.to_string()),
                action: r.action,
                entity: r.entity,
                entity_id: r.entity_id,
                before: r.before,
                after: r.after,
                client: r.client,
                hash: r.hash,
            })
            .collect(),
    ))
}
