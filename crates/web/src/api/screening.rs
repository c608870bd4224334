//! 监测政策、筛查与统计 under `/api/v1`: the policy in effect and its versions (and
//! loading a new one), screening runs of the caller's region, data-quality findings, and
//! counts by region. Everything is scoped to the caller's subtree; a run screens the
//! caller's region only.

use super::data::{Body, Name, Params, StateCount, Uploaded};
use super::jobs::{JobAccepted, accepted, answer};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::jobs::JOB_WRITE_WAIT;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, NaiveDate, Utc};
use domain::RegionCode;
use domain::access::Permission;
use serde::{Deserialize, Serialize};
use service::screening::ScreenOptions;
use store::Store;
use store::search::VillageCounts;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(current_policy, load_policy))
        .routes(routes!(policy_history))
        .routes(routes!(run_screening, list_runs))
        .routes(routes!(quality))
        .routes(routes!(region_counts))
}

// --------------------------------------------------------------------------- policy

/// 监测政策 in effect today, as its TOML document.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyDocument {
    /// 版本; null: the built-in default (nothing loaded yet).
    pub version: Option<i64>,
    pub title: String,
    /// 生效日期.
    pub effective_from: NaiveDate,
    /// The TOML document (docs/policy.toml explains every key).
    pub source: String,
    pub loaded_by: Option<String>,
    pub loaded_at: Option<DateTime<Utc>>,
}

/// 监测政策 in effect today (the built-in default until one is loaded).
#[utoipa::path(get, path = "/policy", tag = "监测政策",
    responses((status = 200, body = PolicyDocument), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn current_policy(caller: Caller) -> ApiResult<Json<PolicyDocument>> {
    let store = caller.store(Permission::ReadRegistry)?;
    let (stored, text) = service::policy::policy_for_day(store, caller.today()).await?;
    let policy =
        domain::screening::Policy::from_toml(&text).map_err(|e| ApiError::invalid(e.message))?;
    Ok(Json(match stored {
        Some(p) => PolicyDocument {
            version: Some(p.version),
            title: p.title,
            effective_from: p.effective_from,
            source: p.source,
            loaded_by: Some(p.loaded_by),
            loaded_at: Some(p.loaded_at),
        },
        None => PolicyDocument {
            version: None,
            title: policy.title.clone(),
            effective_from: policy.effective_from,
            source: text,
            loaded_by: None,
            loaded_at: None,
        },
    }))
}

/// A stored policy version (without its document).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyVersion {
    pub version: i64,
    pub title: String,
    pub effective_from: NaiveDate,
    /// SHA-256 of the document.
    pub checksum: String,
    pub loaded_by: String,
    pub loaded_at: DateTime<Utc>,
}

/// 政策版本: every stored version, newest first.
#[utoipa::path(get, path = "/policy/history", tag = "监测政策",
    responses((status = 200, body = Vec<PolicyVersion>), (status = 403, body = Problem, content_type = "application/problem+json")))]
async fn policy_history(caller: Caller) -> ApiResult<Json<Vec<PolicyVersion>>> {
    let store = caller.store(Permission::ReadRegistry)?;
    let versions = service::policy::history(store).await?;
    Ok(Json(
        versions
            .into_iter()
            .map(|p| PolicyVersion {
                version: p.version,
                title: p.title,
                effective_from: p.effective_from,
                checksum: p.checksum,
                loaded_by: p.loaded_by,
                loaded_at: p.loaded_at,
            })
            .collect(),
    ))
}

/// A policy document to load.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PolicyUpload {
    /// The TOML document.
    pub source: String,
}

/// What loading a policy did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PolicyLoaded {
    pub version: i64,
    pub title: String,
    pub effective_from: NaiveDate,
    /// false: identical to the version already in effect on that date; nothing stored.
    pub stored: bool,
}

/// 加载监测政策: checks a TOML document and stores it as a new version (audited). A policy
/// governs every household of the system: only an administrator whose region holds them
/// all may load one.
#[utoipa::path(post, path = "/policy", tag = "监测政策", request_body = PolicyUpload,
    responses(
        (status = 200, body = PolicyLoaded),
        (status = 403, description = "无权加载监测政策（或辖区未包含全部农户）", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "政策文件有误", body = Problem, content_type = "application/problem+json"),
    ))]
async fn load_policy(caller: Caller, Body(p): Body<PolicyUpload>) -> ApiResult<Json<PolicyLoaded>> {
    let store = caller.store(Permission::ManagePolicy)?;
    let (version, policy, stored) =
        service::search::load_policy_text(store, &p.source, &caller.user.username, caller.scope())
            .await?;
    Ok(Json(PolicyLoaded {
        version,
        title: policy.title,
        effective_from: policy.effective_from,
        stored,
    }))
}

// ------------------------------------------------------------------------ screening

/// How to screen.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct RunRequest {
    /// 试算: compute and report, write nothing.
    pub dry_run: bool,
    /// 增量: only households with department records imported since the last run.
    pub incremental: bool,
    /// 筛查日期 (default: the latest date of the department data, or today).
    pub as_of: Option<NaiveDate>,
    /// 区划代码 inside the caller's region (default: the whole region).
    pub region: Option<String>,
}

/// Households flagged by one rule.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleCount {
    /// 预警规则.
    pub rule: String,
    pub households: u64,
}

/// Households flagged in one township.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TownshipCount {
    pub code: String,
    pub name: String,
    pub flagged: u64,
}

/// 筛查结果, in counts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RunReport {
    /// null for a dry run.
    pub run_id: Option<i64>,
    pub region: String,
    pub as_of: NaiveDate,
    pub policy_version: i64,
    pub policy_title: String,
    pub incremental: bool,
    /// 筛查户数.
    pub households: u64,
    /// 预警户数.
    pub flagged: u64,
    pub warnings_new: u64,
    pub leads_new: u64,
    pub leads_attached: u64,
    pub by_rule: Vec<RuleCount>,
    pub by_township: Vec<TownshipCount>,
    /// 提示.
    pub notes: Vec<String>,
}

/// 筛查预警: screens the caller's region (or a part of it) against the policy in effect;
/// new warnings become leads for the villages. Runs as a background job: 202 with the
/// job's id; its result (`RunReport`, status 200, or the problem, e.g. 422 without a policy
/// in effect) is read at `GET /jobs/{id}`. Two runs at once both succeed: the second
/// writes after the first and attaches to the leads it opened.
#[utoipa::path(post, path = "/screening/runs", tag = "筛查预警", request_body = RunRequest,
    responses(
        (status = 202, description = "已受理：筛查在后台进行，结果（RunReport）见 Location 所指的任务",
            body = JobAccepted, headers(("Location" = String, description = "/api/v1/jobs/{job_id}"))),
        (status = 403, description = "无权运行筛查", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "区划不在辖区内", body = Problem, content_type = "application/problem+json"),
    ))]
async fn run_screening(
    caller: Caller,
    State(state): State<AppState>,
    Body(r): Body<RunRequest>,
) -> ApiResult<Response> {
    let store = caller
        .store(Permission::RunScreening)?
        .with_write_wait(JOB_WRITE_WAIT);
    let scope = caller.region(r.region.as_deref())?;
    let actor = caller.user.username.clone();
    let id = state.jobs.submit(
        "screening".to_owned(),
        &caller.user.username,
        caller.scope(),
        async move {
            answer(
                run_screening_now(&store, scope, &r, actor)
                    .await
                    .map(Uploaded::Done),
            )
        },
    );
    Ok(accepted(id))
}

/// The screening itself, run by its job.
async fn run_screening_now(
    store: &Store,
    scope: RegionCode,
    r: &RunRequest,
    actor: String,
) -> ApiResult<RunReport> {
    let report = service::screening::run_screening(
        store,
        &ScreenOptions {
            scope: Some(scope),
            as_of: r.as_of,
            dry_run: r.dry_run,
            incremental: r.incremental,
            actor,
            ..ScreenOptions::default()
        },
    )
    .await?;
    Ok(RunReport {
        run_id: report.run_id,
        region: scope.to_string(),
        as_of: report.as_of,
        policy_version: report.policy_version,
        policy_title: report.policy_title,
        incremental: report.incremental,
        households: report.households,
        flagged: report.flagged.len() as u64,
        warnings_new: report.warnings_new,
        leads_new: report.leads_new,
        leads_attached: report.leads_attached,
        by_rule: report
            .by_rule
            .into_iter()
            .map(|(r, n)| RuleCount {
                rule: r.label().to_owned(),
                households: n,
            })
            .collect(),
        by_township: report
            .by_township
            .into_iter()
            .map(|(code, (name, n))| TownshipCount {
                code: code.to_string(),
                name,
                flagged: n,
            })
            .collect(),
        notes: report.notes,
    })
}

/// A stored screening run.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RunItem {
    pub id: i64,
    /// 区划 screened.
    pub region: Option<String>,
    pub as_of: NaiveDate,
    pub policy_version: i64,
    pub incremental: bool,
    pub households: i64,
    pub flagged: i64,
    pub warnings_new: i64,
    pub leads_new: i64,
    pub leads_attached: i64,
    pub run_by: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

/// Filters of the run list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunQuery {
    /// 区划代码 inside the caller's region (default: the whole region).
    pub region: Option<String>,
    /// 最多条数（默认 50）。
    pub limit: Option<u32>,
}

/// 筛查记录: the runs over the caller's region (or a part of it), newest first.
#[utoipa::path(get, path = "/screening/runs", tag = "筛查预警", params(RunQuery),
    responses(
        (status = 200, body = Vec<RunItem>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "区划不在辖区内", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_runs(caller: Caller, Params(q): Params<RunQuery>) -> ApiResult<Json<Vec<RunItem>>> {
    let store = caller.store(Permission::ReadRegistry)?;
    let scope = caller.region(q.region.as_deref())?;
    let runs = service::search::screening_runs(store, scope, q.limit.unwrap_or(50)).await?;
    Ok(Json(
        runs.into_iter()
            .map(|r| RunItem {
                id: r.id,
                region: r
                    .scope
                    .and_then(|s| RegionCode::from_u64(s as u64))
                    .map(|c| c.to_string()),
                as_of: r.as_of,
                policy_version: r.policy_version,
                incremental: r.incremental,
                households: r.households,
                flagged: r.flagged,
                warnings_new: r.warnings_new,
                leads_new: r.leads_new,
                leads_attached: r.leads_attached,
                run_by: r.actor,
                started_at: r.started_at,
                finished_at: r.finished_at,
            })
            .collect(),
    ))
}

// -------------------------------------------------------------------------- quality

/// Filters of the data-quality findings.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QualityQuery {
    /// 区划代码 inside the caller's region (default: the whole region).
    pub region: Option<String>,
    /// 检查日期（默认今天）。
    pub as_of: Option<NaiveDate>,
    /// 只列这一问题（DQ01 … 或中文名）。
    pub code: Option<String>,
    /// 页码，从 1 开始。
    pub page: Option<u32>,
    /// 每页条数（默认 50，最多 500）。
    pub per_page: Option<u32>,
}

/// One data-quality finding.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QualityItem {
    pub household_no: String,
    /// 村代码.
    pub village: String,
    /// DQ01 …
    pub code: String,
    /// 问题, e.g. 无户主.
    pub problem: String,
    /// The member concerned, as found in the household: "之子（2011年生）".
    pub member: Option<String>,
}

/// Findings of one kind.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QualityCount {
    pub code: String,
    pub problem: String,
    pub count: u64,
}

/// 数据质量: findings of the region, counted by kind, one page listed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct QualityReport {
    pub region: String,
    pub as_of: Option<NaiveDate>,
    /// 检查户数.
    pub households: u64,
    /// Findings (of the kind asked for, if any).
    pub total: u64,
    pub by_code: Vec<QualityCount>,
    pub page: u32,
    pub per_page: u32,
    pub items: Vec<QualityItem>,
}

/// 数据质量检查: what is valid field by field but wrong taken together (无户主, 已故人员仍在册
/// …), by village and household.
#[utoipa::path(get, path = "/quality", tag = "数据质量", params(QualityQuery),
    responses(
        (status = 200, body = QualityReport),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "区划不在辖区内", body = Problem, content_type = "application/problem+json"),
    ))]
async fn quality(
    caller: Caller,
    State(state): State<AppState>,
    Params(q): Params<QualityQuery>,
) -> ApiResult<Json<QualityReport>> {
    use domain::screening::quality::QualityCode;
    let store = caller.store(Permission::ReadRegistry)?;
    let scope = caller.region(q.region.as_deref())?;
    let only = q
        .code
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| QualityCode::parse(c).map_err(|e| ApiError::invalid(e.message)))
        .transpose()?;
    // Every page of a report is cut from one computation of it, kept until the registry,
    // the feeds or the policy change; the computation runs off the async workers.
    let report = {
        let (store, cache, as_of) = (store.clone(), state.quality.clone(), q.as_of);
        crate::jobs::off_workers(async move {
            service::screening::quality_cached(&store, &cache, Some(scope), as_of).await
        })
        .await??
    };
    let mut by_code: Vec<QualityCount> = Vec::new();
    for code in QualityCode::ALL.iter() {
        let n = report
            .findings
            .iter()
            .filter(|f| f.finding.code == *code)
            .count() as u64;
        if n > 0 {
            by_code.push(QualityCount {
                code: code.tag(),
                problem: code.label().to_owned(),
                count: n,
            });
        }
    }
    let page = q.page.unwrap_or(1).max(1);
    let per_page = q.per_page.unwrap_or(50).clamp(1, 500);
    let selected: Vec<_> = report
        .findings
        .iter()
        .filter(|f| only.is_none_or(|c| f.finding.code == c))
        .collect();
    let total = selected.len() as u64;
    let items = selected
        .into_iter()
        .skip((page as usize - 1) * per_page as usize)
        .take(per_page as usize)
        .map(|f| QualityItem {
            household_no: f.household_no.clone(),
            village: f.village.to_string(),
            code: f.finding.code.tag(),
            problem: f.finding.code.label().to_owned(),
            member: f.member.clone(),
        })
        .collect();
    Ok(Json(QualityReport {
        region: scope.to_string(),
        as_of: report.as_of,
        households: report.households,
        total,
        by_code,
        page,
        per_page,
        items,
    }))
}

// --------------------------------------------------------------------------- counts

/// Counts of one division.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Counts {
    /// 户数.
    pub households: u64,
    /// 人数.
    pub members: u64,
    /// 在办监测案件.
    pub open_cases: u64,
    /// 在办监测案件，按环节.
    pub cases_by_state: Vec<StateCount>,
    /// 待研判线索.
    pub open_leads: u64,
}

impl From<VillageCounts> for Counts {
    fn from(c: VillageCounts) -> Self {
        Counts {
            households: c.households,
            members: c.members,
            open_cases: c.cases.iter().map(|(_, n)| n).sum(),
            cases_by_state: c
                .cases
                .into_iter()
                .map(|(s, n)| StateCount {
                    state: s.label().to_owned(),
                    count: n,
                })
                .collect(),
            open_leads: c.open_leads,
        }
    }
}

/// A division with its counts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegionLine {
    pub code: String,
    pub name: String,
    /// 级别: 省, 市, 县, 乡镇, 村.
    pub level: String,
    pub counts: Counts,
}

/// 分区划统计: a division and each division one level below it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegionCounts {
    pub region: RegionLine,
    /// Empty for a village.
    pub children: Vec<RegionLine>,
}

/// 分区划统计: households, members, open cases by stage and open leads of a division of
/// the caller's region, and of each division one level below it.
#[utoipa::path(get, path = "/regions/{code}/counts", tag = "统计",
    params(("code" = String, Path, description = "区划代码（须在调用者辖区内）")),
    responses(
        (status = 200, body = RegionCounts),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "区划不存在或不在辖区内", body = Problem, content_type = "application/problem+json"),
    ))]
async fn region_counts(caller: Caller, Name(code): Name) -> ApiResult<Json<RegionCounts>> {
    let store = caller.store(Permission::ReadRegistry)?;
    let region = RegionCode::parse(&code)
        .map_err(|_| ApiError::not_found(format!("未找到：区划 {code}")))?;
    caller.within(region, &format!("区划 {code}"))?;
    let c = service::search::region_counts(store, region).await?;
    let line = |r: store::regions::RegionRow, counts: VillageCounts| RegionLine {
        code: r.code.to_string(),
        name: r.name,
        level: r.level.label().to_owned(),
        counts: counts.into(),
    };
    Ok(Json(RegionCounts {
        region: line(c.region, c.total),
        children: c.children.into_iter().map(|(r, n)| line(r, n)).collect(),
    }))
}
