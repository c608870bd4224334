//! 数据导入 (the data side) under `/api/v1`: registry files uploaded and imported
//! (`/imports/{kind}`), department feeds uploaded, listed and followed up
//! (`/feeds`), and the 422 answer carrying a file's row-and-column problems.
//!
//! An upload is streamed into the service's upload folder and removed when the request
//! ends (`crate::upload`); the batch records the name the client gave it, and the
//! extension of that name decides how it is read. A registry file is imported only if every row lies in
//! the caller's region (`service::imports::import_registry_within`); a feed keeps only the
//! records about people registered there (`service::feeds::import_feed_within`), and its
//! batch is seen by the callers of that region only. A department liaison uploads and sees
//! its own department's feed only; what became of a batch is answered in counts, never
//! with households or people.

use crate::api::jobs::{JobAccepted, accepted, answer};
use crate::auth::Caller;
use crate::error::{ApiError, ApiResult, Problem};
use crate::jobs::JOB_WRITE_WAIT;
use crate::state::AppState;
use crate::upload::{Form, Upload};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use domain::access::{Permission, Role};
use domain::feed::Feed;
use serde::{Deserialize, Serialize};
use service::feeds::FeedOutcome;
use service::imports::{ImportOutcome, RegistryKind};
use store::Store;
use store::feeds::FeedBatch;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_registry))
        .routes(routes!(upload_feed))
        .routes(routes!(list_feeds))
        .routes(routes!(feed_outcome))
}

pub(crate) use crate::extract::{Body, Id, Name, Params, today};

// ------------------------------------------------------------------------ uploads

/// The form of an upload (multipart/form-data).
#[derive(ToSchema)]
#[expect(dead_code, reason = "describes the form for the OpenAPI document only")]
pub struct UploadForm {
    /// 文件（.csv 或 .xlsx），文件名会随导入批次记录。
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
    /// 工作表名（.xlsx，可选，默认第一个）。
    sheet: Option<String>,
}

/// A file that could not be read at all (not CSV or XLSX, damaged, beyond a limit, no
/// header …): one problem — at its row and column when it concerns one cell — naming the
/// file as uploaded, not where it was kept.
fn unreadable<T>(upload: &Upload, e: &tabular::read::ReadError) -> Uploaded<T> {
    let mut problem = e.to_problem();
    problem.message = upload.in_own_words(&problem.message);
    Uploaded::Rejected(RejectedFile::from_report(tabular::problem::Report {
        source_note: String::new(),
        problems: vec![problem],
        warnings: Vec::new(),
        mapped: Vec::new(),
    }))
}

// ------------------------------------------------------------------ file problems

/// 文件问题: one problem of a rejected file, by row and column. A value of a sensitive
/// column (证件号码, 联系电话) is masked.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FileProblem {
    /// 行号 as the spreadsheet shows it (header = 1).
    pub row: usize,
    /// 表头.
    pub column: Option<String>,
    /// 列号, e.g. "C".
    pub column_letter: Option<String>,
    /// 单元格的值 (masked when sensitive).
    pub value: Option<String>,
    /// 问题说明.
    pub message: String,
}

/// A rejected file (422, problem+json with `code: "invalid_file"`): every problem found,
/// nothing written.
#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedFile {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Always `invalid_file`.
    pub code: String,
    /// 来源说明, e.g. "CSV，GB18030编码".
    pub source_note: String,
    /// 提示 (not blocking).
    pub warnings: Vec<String>,
    pub problems: Vec<FileProblem>,
}

impl RejectedFile {
    fn from_report(report: tabular::problem::Report) -> Self {
        let n = report.problems.len();
        RejectedFile {
            kind: "about:blank".to_owned(),
            title: "数据有误".to_owned(),
            status: StatusCode::UNPROCESSABLE_ENTITY.as_u16(),
            detail: format!("发现{n}个问题，整个文件未导入。请逐条修改后重新上传"),
            code: "invalid_file".to_owned(),
            source_note: report.source_note,
            warnings: report.warnings,
            problems: report
                .problems
                .into_iter()
                .map(|p| FileProblem {
                    row: p.row,
                    column: p.column,
                    column_letter: p.column_letter,
                    value: p.value,
                    message: p.message,
                })
                .collect(),
        }
    }
}

impl IntoResponse for RejectedFile {
    fn into_response(self) -> Response {
        let mut res = (StatusCode::UNPROCESSABLE_ENTITY, Json(self)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        res
    }
}

/// The answer to an upload: what was imported, or every problem of the file.
pub(crate) enum Uploaded<T> {
    Done(T),
    Rejected(RejectedFile),
}

impl<T: Serialize> IntoResponse for Uploaded<T> {
    fn into_response(self) -> Response {
        match self {
            Uploaded::Done(v) => Json(v).into_response(),
            Uploaded::Rejected(r) => r.into_response(),
        }
    }
}

// ----------------------------------------------------------------- registry imports

/// 导入结果: the batch written and its counts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportResult {
    /// 导入批次.
    pub batch_id: i64,
    /// households, members or incomes.
    pub kind: String,
    pub file_name: String,
    /// 数据行数.
    pub rows: u64,
    /// 新增.
    pub inserted: u64,
    /// 更新.
    pub updated: u64,
    /// 未变.
    pub unchanged: u64,
    pub source_note: String,
    /// 提示 (unknown columns ignored …).
    pub warnings: Vec<String>,
}

/// 导入户籍档案: uploads a 户信息 (`households`), 人口信息 (`members`) or 收支信息
/// (`incomes`) file in the import template (docs/formats.md) and imports it whole or not at
/// all, as a background job: the answer is 202 with the job's id, and `GET /jobs/{id}`
/// gives its progress and then its result — `ImportResult` (status 200), or the file's
/// problems (status 422, `RejectedFile`). Every row must lie in the caller's region: a row
/// for another village or for a household registered elsewhere is a problem of that row.
#[utoipa::path(post, path = "/imports/{kind}", tag = "数据导入",
    params(("kind" = String, Path, description = "households、members 或 incomes")),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses(
        (status = 202, description = "已受理：导入在后台进行，结果（ImportResult 或 RejectedFile）见 Location 所指的任务",
            body = JobAccepted, headers(("Location" = String, description = "/api/v1/jobs/{job_id}"))),
        (status = 403, description = "无权导入户籍档案", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "没有这种导入", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "超过请求大小上限（max_body_mib）", body = Problem, content_type = "application/problem+json"),
    ))]
async fn import_registry(
    caller: Caller,
    State(state): State<AppState>,
    Name(kind): Name,
    form: Form,
) -> ApiResult<Response> {
    let store = caller
        .store(Permission::WriteRegistry)?
        .with_write_wait(JOB_WRITE_WAIT);
    let registry = RegistryKind::parse(&kind).ok_or_else(|| {
        ApiError::not_found("未找到：导入种类应为 households、members 或 incomes")
    })?;
    let upload = form.receive().await?;
    let (actor, scope) = (caller.user.username.clone(), caller.scope());
    let id = state.jobs.submit(
        format!("import:{kind}"),
        &caller.user.username,
        scope,
        async move { answer(import_registry_now(&store, registry, &upload, &actor, scope).await) },
    );
    Ok(accepted(id))
}

/// The import itself, run by its job.
async fn import_registry_now(
    store: &Store,
    kind: RegistryKind,
    upload: &Upload,
    actor: &str,
    scope: domain::RegionCode,
) -> ApiResult<Uploaded<ImportResult>> {
    let file_name = upload.name.clone();
    let outcome = match service::imports::import_registry(
        store,
        kind,
        upload.file(),
        upload.sheet.as_deref(),
        actor,
        Some(scope),
    )
    .await
    {
        Err(service::ServiceError::Read(e)) => return Ok(unreadable(upload, &e)),
        other => other?,
    };
    Ok(match outcome {
        ImportOutcome::Imported {
            batch_id,
            rows,
            counts,
            report,
        } => Uploaded::Done(ImportResult {
            batch_id,
            kind: kind.template().name.to_owned(),
            file_name,
            rows,
            inserted: counts.inserted,
            updated: counts.updated,
            unchanged: counts.unchanged,
            source_note: report.source_note,
            warnings: report.warnings,
        }),
        ImportOutcome::Rejected { report } => Uploaded::Rejected(RejectedFile::from_report(report)),
    })
}

// --------------------------------------------------------------------------- feeds

/// The feed named in a path: its English name (`medical`) or its label (医保结算).
fn feed_named(name: &str) -> ApiResult<Feed> {
    Feed::parse(name).map_err(|_| {
        ApiError::not_found(format!(
            "未找到：部门数据种类“{name}”，应为 medical、disability、disaster、assistance、\
             employment、schooling、housing 或 death"
        ))
    })
}

/// The store for reading feed batches, and the one feed the caller may see (a liaison's
/// department), or `None` for every feed. Feeds are read by those who may upload them:
/// the liaisons and the county's clerks and administrators.
fn feed_reader(caller: &Caller) -> ApiResult<(&Store, Option<Feed>)> {
    if caller.role() == Role::Department {
        let feed = caller
            .user
            .department
            .ok_or_else(|| ApiError::forbidden("该部门联络员账号未绑定部门，请联系管理员"))?;
        return Ok((caller.store(Permission::ImportFeed(feed))?, Some(feed)));
    }
    // Whether a role may handle feeds does not depend on which feed.
    Ok((caller.store(Permission::ImportFeed(Feed::Medical))?, None))
}

/// 部门数据导入结果.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedImportResult {
    /// 已导入, or 无新记录 (every row already stored or outside the registry: no batch).
    pub outcome: String,
    pub batch_id: Option<i64>,
    /// 数据种类, e.g. 医保结算.
    pub feed: String,
    pub file_name: String,
    /// 数据行数.
    pub rows: u64,
    /// 新保存的记录.
    pub stored: u64,
    /// 重复（已保存过或文件内重复）.
    pub duplicates: u64,
    /// 不在户籍档案中的人（只计数，不保存）.
    pub unmatched: u64,
    /// 涉及户数.
    pub households: u64,
    pub period_from: Option<NaiveDate>,
    pub period_to: Option<NaiveDate>,
    pub source_note: String,
    pub warnings: Vec<String>,
    /// 按同义词读取: the department's own words read as template values, by column.
    pub mapped: Vec<MappedWord>,
}

/// 同义词映射: rows whose value was a department's word for a template value.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MappedWord {
    /// 表头, e.g. 学段.
    pub column: String,
    /// The word as the table writes it, e.g. 初中.
    pub from: String,
    /// The template value it was read as, e.g. 七年级.
    pub to: String,
    /// 行数.
    pub rows: u64,
}

/// 上传部门数据: a department's file of events (医保结算, 残疾人证 …), matched to the
/// registry of the caller's region by ID number through its keyed hash; the numbers
/// themselves are not kept, and a row about someone registered elsewhere is only counted
/// (unmatched). A department liaison uploads its own department's data only. Runs as a
/// background job: 202 with the job's id; its result (`FeedImportResult`, status 200, or
/// the file's problems, status 422) is read at `GET /jobs/{id}`. The same records sent
/// twice at once are stored once.
#[utoipa::path(post, path = "/feeds/{kind}", tag = "部门数据",
    params(("kind" = String, Path,
        description = "medical、disability、disaster、assistance、employment、schooling、housing 或 death")),
    request_body(content_type = "multipart/form-data", content = UploadForm),
    responses(
        (status = 202, description = "已受理：导入在后台进行，结果（FeedImportResult 或 RejectedFile）见 Location 所指的任务",
            body = JobAccepted, headers(("Location" = String, description = "/api/v1/jobs/{job_id}"))),
        (status = 403, description = "无权上传该部门的数据", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "没有这种部门数据", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "超过请求大小上限（max_body_mib）", body = Problem, content_type = "application/problem+json"),
    ))]
async fn upload_feed(
    caller: Caller,
    State(state): State<AppState>,
    Name(kind): Name,
    form: Form,
) -> ApiResult<Response> {
    let feed = feed_named(&kind)?;
    let store = caller
        .store(Permission::ImportFeed(feed))?
        .with_write_wait(JOB_WRITE_WAIT);
    if caller.role() == Role::Department && caller.user.department != Some(feed) {
        return Err(ApiError::forbidden(format!(
            "部门联络员只能上传本部门的数据（{}），不能上传“{}”",
            caller.user.department.map_or("未绑定部门", |d| d.label()),
            feed.label()
        )));
    }
    let upload = form.receive().await?;
    let (actor, scope) = (caller.user.username.clone(), caller.scope());
    let id = state.jobs.submit(
        format!("feed:{}", feed.name()),
        &caller.user.username,
        scope,
        async move { answer(upload_feed_now(&store, feed, &upload, &actor, scope).await) },
    );
    Ok(accepted(id))
}

/// The feed import itself, run by its job.
async fn upload_feed_now(
    store: &Store,
    feed: Feed,
    upload: &Upload,
    actor: &str,
    scope: domain::RegionCode,
) -> ApiResult<Uploaded<FeedImportResult>> {
    let file_name = upload.name.clone();
    let outcome = match service::feeds::import_feed(
        store,
        feed,
        upload.file(),
        upload.sheet.as_deref(),
        actor,
        today(),
        Some(scope),
    )
    .await
    {
        Err(service::ServiceError::Read(e)) => return Ok(unreadable(upload, &e)),
        other => other?,
    };
    let result = |outcome: &str,
                  batch_id,
                  c: service::feeds::FeedCounts,
                  period: Option<(NaiveDate, NaiveDate)>,
                  report: tabular::problem::Report| FeedImportResult {
        outcome: outcome.to_owned(),
        batch_id,
        feed: feed.label().to_owned(),
        file_name: file_name.clone(),
        rows: c.rows,
        stored: c.stored,
        duplicates: c.duplicates,
        unmatched: c.unmatched,
        households: c.households,
        period_from: period.map(|p| p.0),
        period_to: period.map(|p| p.1),
        mapped: report
            .mapped
            .into_iter()
            .map(|m| MappedWord {
                column: m.column,
                from: m.from,
                to: m.to,
                rows: m.rows,
            })
            .collect(),
        source_note: report.source_note,
        warnings: report.warnings,
    };
    Ok(match outcome {
        FeedOutcome::Imported {
            batch_id,
            counts,
            period,
            report,
        } => Uploaded::Done(result(
            "已导入",
            Some(batch_id),
            counts,
            Some(period),
            report,
        )),
        FeedOutcome::NothingNew { counts, report } => {
            Uploaded::Done(result("无新记录", None, counts, None, report))
        }
        FeedOutcome::Rejected { report } => Uploaded::Rejected(RejectedFile::from_report(report)),
    })
}

/// 部门数据导入批次.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedBatchItem {
    pub id: i64,
    /// 数据种类, e.g. 医保结算.
    pub feed: String,
    /// 来源部门, e.g. 医保.
    pub department: String,
    pub file_name: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub rows: i64,
    pub stored: i64,
    pub duplicates: i64,
    pub unmatched: i64,
    pub households: i64,
    /// 导入人.
    pub imported_by: String,
    pub imported_at: DateTime<Utc>,
    /// 撤回时间 (its records no longer count).
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_by: Option<String>,
}

impl From<FeedBatch> for FeedBatchItem {
    fn from(b: FeedBatch) -> Self {
        FeedBatchItem {
            id: b.id,
            feed: b.feed.0.label().to_owned(),
            department: b.department,
            file_name: b.file_name,
            period_from: b.period_from,
            period_to: b.period_to,
            rows: b.rows,
            stored: b.stored,
            duplicates: b.duplicates,
            unmatched: b.unmatched,
            households: b.households,
            imported_by: b.actor,
            imported_at: b.imported_at,
            withdrawn_at: b.withdrawn_at,
            withdrawn_by: b.withdrawn_by,
        }
    }
}

/// Filters of the batch list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// 只列这种数据（medical … 或中文名）；部门联络员只能看到本部门的。
    pub feed: Option<String>,
    /// 最多条数（默认 100，最多 1000）。
    pub limit: Option<u32>,
}

/// 部门数据导入批次 of the caller's region (imported by its users, or by the system
/// itself), newest first. A department liaison sees its department's batches only.
#[utoipa::path(get, path = "/feeds", tag = "部门数据", params(FeedQuery),
    responses(
        (status = 200, body = Vec<FeedBatchItem>),
        (status = 403, description = "无权查看部门数据", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_feeds(
    caller: Caller,
    Params(q): Params<FeedQuery>,
) -> ApiResult<Json<Vec<FeedBatchItem>>> {
    let (store, own) = feed_reader(&caller)?;
    let asked = q
        .feed
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| Feed::parse(f).map_err(|e| ApiError::invalid(e.message)))
        .transpose()?;
    let feed = match (own, asked) {
        // A liaison asking for another department's feed sees nothing of it.
        (Some(own), Some(asked)) if own != asked => return Ok(Json(Vec::new())),
        (Some(own), _) => Some(own),
        (None, asked) => asked,
    };
    let batches =
        service::search::feed_batches(store, caller.scope(), feed, q.limit.unwrap_or(100)).await?;
    Ok(Json(batches.into_iter().map(FeedBatchItem::from).collect()))
}

/// 案件环节 with a count.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StateCount {
    /// 案件环节, e.g. 入户核实.
    pub state: String,
    pub count: u64,
}

/// 预警结果: what became of a batch, in counts only — inside the caller's region.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FeedOutcomeResult {
    pub batch: FeedBatchItem,
    /// 区划 counted (the caller's).
    pub region: String,
    /// 预警规则 counted: those that read this department's data.
    pub rules: Vec<String>,
    /// 批次涉及户数.
    pub households: u64,
    /// 其中产生预警的户数.
    pub warned_households: u64,
    /// 预警条数.
    pub warnings: u64,
    /// 线索：待研判.
    pub leads_open: u64,
    /// 线索：不予纳入.
    pub leads_dismissed: u64,
    /// 线索：已转入识别.
    pub leads_converted: u64,
    /// 由这些线索转入的监测案件，按环节.
    pub cases: Vec<StateCount>,
}

/// 预警结果: how many of the warnings a batch's data raised (by the rules that read that
/// department's data, in runs that had read the batch) became leads, and how many of
/// those became cases — counts only, no household or person.
#[utoipa::path(get, path = "/feeds/{id}/outcome", tag = "部门数据",
    params(("id" = i64, Path, description = "导入批次编号")),
    responses(
        (status = 200, body = FeedOutcomeResult),
        (status = 403, description = "无权查看部门数据", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "没有这个批次（或不是本部门的）", body = Problem, content_type = "application/problem+json"),
    ))]
async fn feed_outcome(caller: Caller, Id(id): Id) -> ApiResult<Json<FeedOutcomeResult>> {
    let (store, own) = feed_reader(&caller)?;
    let (batch, c) = service::search::feed_outcome(store, id, own, caller.scope()).await?;
    let department = batch.feed.0.department();
    let rules = domain::screening::RuleId::ALL
        .iter()
        .filter(|r| r.department() == Some(department))
        .map(|r| r.label().to_owned())
        .collect();
    Ok(Json(FeedOutcomeResult {
        batch: batch.into(),
        region: caller.scope().to_string(),
        rules,
        households: c.households,
        warned_households: c.warned_households,
        warnings: c.warnings,
        leads_open: c.leads_open,
        leads_dismissed: c.leads_dismissed,
        leads_converted: c.leads_converted,
        cases: c
            .cases
            .into_iter()
            .map(|(s, n)| StateCount {
                state: s.label().to_owned(),
                count: n,
            })
            .collect(),
    }))
}
