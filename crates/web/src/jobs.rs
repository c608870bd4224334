//! 后台任务 (jobs): imports, feeds and screenings started through the API run here, one
//! at a time, while their requests are answered 202 with the job's id at once.
//!
//! Why: a registry import of a county holds SQLite's single write lock for tens of seconds
//! and keeps both cores busy. Run inside its request it held a client, an async worker and
//! (for SQLite) the writer's place for all that time; queued, jobs never compete with one
//! another for the lock, reads go on beside them, and a client asks `GET /jobs/{id}`.
//!
//! - A job waiting its turn lives in memory with its upload (the file is removed when the
//!   job ends). When it starts its row is written (`store::jobs`), and when it ends the row
//!   gets its answer: the status and the body its request would have had (the result,
//!   or the problem — a rejected file's problems by row and column).
//! - While it runs, its progress (`service::progress`) is read from memory: writing it
//!   would make an import wait for SQLite's lock that it holds itself.
//! - It runs on a thread of the blocking pool (`spawn_blocking` + `block_on`): its CPU work —
//!   parsing, hashing ID numbers, composition checks, screening rules — never occupies one
//!   of the async workers that answer the other requests.
//! - A job left running by a crash is marked failed when the service starts
//!   ([`Jobs::recover`]); its transaction was rolled back by the database.

use crate::error::ApiError;
use axum::http::StatusCode;
use chrono::Utc;
use domain::RegionCode;
use serde_json::Value;
use service::progress::Progress;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use store::Store;
use store::jobs::JobRow;
use tokio::sync::mpsc;

/// How long a job waits for SQLite's write lock (held by a command-line import, say)
/// before it fails as busy: far longer than a request, which answers 503 instead.
pub const JOB_WRITE_WAIT: Duration = Duration::from_secs(600);

/// What a job computes: the status and the JSON body of the answer its request would have
/// given.
pub type Work = Pin<Box<dyn Future<Output = (StatusCode, Value)> + Send + 'static>>;

/// The service's jobs: the queue, and the jobs queued or running in this process.
#[derive(Clone)]
pub struct Jobs {
    inner: Arc<Inner>,
}

struct Inner {
    /// Job rows are written through this handle (it waits long for SQLite's lock).
    store: Store,
    queue: OnceLock<mpsc::UnboundedSender<Queued>>,
    live: Mutex<HashMap<String, Live>>,
}

struct Queued {
    id: String,
    work: Work,
}

/// A job known in memory: queued, running, or finished but not recorded (the database
/// refused the final write).
#[derive(Clone)]
struct Live {
    row: JobRow,
    progress: Progress,
}

impl Jobs {
    pub fn new(store: Store) -> Self {
        Self {
            inner: Arc::new(Inner {
                store: store.with_write_wait(JOB_WRITE_WAIT),
                queue: OnceLock::new(),
                live: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn live(&self) -> std::sync::MutexGuard<'_, HashMap<String, Live>> {
        self.inner.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks the jobs that a crash left running as failed. Run at start, before serving.
    pub async fn recover(&self) -> Result<(), store::StoreError> {
        let problem = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "interrupted",
            "服务在任务运行中停止，任务未完成：未作任何更改（导入和筛查都是一个事务），请重新提交",
        )
        .problem_json();
        let n = self
            .inner
            .store
            .fail_interrupted_jobs(&problem.to_string())
            .await?;
        if n > 0 {
            tracing::warn!(jobs = n, "jobs interrupted by the last stop marked failed");
        }
        Ok(())
    }

    /// Queues `work` as a job of `kind` for the user `created_by` of `region`; returns its
    /// id. Jobs run one at a time, in the order submitted.
    pub fn submit(
        &self,
        kind: String,
        created_by: &str,
        region: RegionCode,
        work: impl Future<Output = (StatusCode, Value)> + Send + 'static,
    ) -> String {
        let id = hex::encode(rand::random::<[u8; 16]>());
        let row = JobRow {
            id: id.clone(),
            kind,
            state: "queued".to_owned(),
            stage: "排队中".to_owned(),
            done: 0,
            total: 0,
            status: None,
            result: None,
            created_by: created_by.to_owned(),
            region: region.as_i64(),
            created_at: Utc::now(),
            started_at: None,
            finished_at: None,
        };
        self.live().insert(
            id.clone(),
            Live {
                row,
                progress: Progress::new("排队中"),
            },
        );
        let queue = self.inner.queue.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(worker(self.clone(), rx));
            tx
        });
        if queue
            .send(Queued {
                id: id.clone(),
                work: Box::pin(work),
            })
            .is_err()
        {
            // The worker is gone only when the runtime shuts down.
            tracing::error!(job = %id, "job queue closed");
        }
        id
    }

    /// A job as it stands: from memory while queued or running, else its row.
    pub async fn get(&self, id: &str) -> Result<Option<JobRow>, store::StoreError> {
        let live = self.live().get(id).cloned();
        if let Some(Live { mut row, progress }) = live {
            if row.finished_at.is_none() {
                let p = progress.snapshot();
                row.stage = p.stage;
                row.done = p.done as i64;
                row.total = p.total as i64;
            }
            return Ok(Some(row));
        }
        self.inner.store.job(id).await
    }
}

/// Runs `f` on a thread of the blocking pool and waits for it there: work that is mostly
/// CPU (reading a region's screening image and checking every household) keeps no async
/// worker from answering other requests meanwhile.
pub async fn off_workers<T: Send + 'static>(
    f: impl Future<Output = T> + Send + 'static,
) -> Result<T, ApiError> {
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || handle.block_on(f))
        .await
        .map_err(|e| crate::error::internal(&e))
}

/// Runs the queued jobs one after the other.
async fn worker(jobs: Jobs, mut rx: mpsc::UnboundedReceiver<Queued>) {
    while let Some(Queued { id, work }) = rx.recv().await {
        let Some(Live { mut row, progress }) = jobs.live().get(&id).cloned() else {
            continue;
        };
        row.state = "running".to_owned();
        row.started_at = Some(Utc::now());
        progress.set("开始", 0, 0);
        if let Some(l) = jobs.live().get_mut(&id) {
            l.row = row.clone();
        }
        tracing::info!(job = %id, kind = %row.kind, "job started");
        let started = jobs.inner.store.start_job(&row).await;
        let recorded_start = started.is_ok();
        let (status, body) = match started {
            Err(e) => {
                tracing::warn!(job = %id, error = %e, "job not started: its row could not be written");
                let e = ApiError::from(e);
                (e.status, e.problem_json())
            }
            Ok(()) => {
                let handle = tokio::runtime::Handle::current();
                let scoped = progress.clone();
                match tokio::task::spawn_blocking(move || handle.block_on(scoped.scope(work))).await
                {
                    Ok(answer) => answer,
                    Err(e) => {
                        tracing::error!(job = %id, error = %e, "job panicked");
                        let e = ApiError::for_status(StatusCode::INTERNAL_SERVER_ERROR);
                        (e.status, e.problem_json())
                    }
                }
            }
        };
        let p = progress.snapshot();
        let stage = if status.is_success() {
            "完成"
        } else {
            "失败"
        };
        row.state = if status.is_success() {
            "done"
        } else {
            "failed"
        }
        .to_owned();
        row.stage = stage.to_owned();
        row.done = p.done as i64;
        row.total = p.total as i64;
        row.status = Some(i64::from(status.as_u16()));
        row.result = Some(body.to_string());
        row.finished_at = Some(Utc::now());
        tracing::info!(job = %id, status = status.as_u16(), "job finished");
        if !recorded_start {
            if let Some(l) = jobs.live().get_mut(&id) {
                l.row = row;
            }
            continue;
        }
        let recorded = jobs
            .inner
            .store
            .finish_job(
                &id,
                stage,
                (row.done, row.total),
                status.as_u16(),
                row.result.as_deref().unwrap_or("null"),
            )
            .await;
        match recorded {
            Ok(()) => {
                jobs.live().remove(&id);
            }
            Err(e) => {
                // Kept in memory, so its client still learns the answer from this process.
                tracing::warn!(job = %id, error = %e, "job's answer could not be recorded");
                if let Some(l) = jobs.live().get_mut(&id) {
                    l.row = row;
                }
            }
        }
    }
}
