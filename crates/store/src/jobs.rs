//! 后台任务 (jobs): the rows of the imports, feeds and screenings that the service runs in
//! the background (migration 0018). A job is written when it starts and completed when it
//! ends; what it is doing meanwhile is kept in the service's memory, so that a running
//! import is never made to wait for its own progress to be written (SQLite has one writer).

use crate::{Store, StoreError, on_db, on_tx};
use chrono::{DateTime, Utc};

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobRow {
    pub id: String,
    /// `import:members`, `feed:medical`, `screening` …
    pub kind: String,
    /// `running`, `done` or `failed`.
    pub state: String,
    pub stage: String,
    pub done: i64,
    pub total: i64,
    /// HTTP status of its answer, once finished.
    pub status: Option<i64>,
    /// Its answer, JSON.
    pub result: Option<String>,
    pub created_by: String,
    /// The creator's region code.
    pub region: i64,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, kind, state, stage, done, total, status, result, created_by, region, \
    created_at, started_at, finished_at";

impl Store {
    /// Records `job` as started (state `running`).
    pub async fn start_job(&self, job: &JobRow) -> Result<(), StoreError> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query(
                "INSERT INTO jobs (id, kind, state, stage, done, total, created_by, region, \
                 created_at, started_at) VALUES ($1, $2, 'running', $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&job.id)
            .bind(&job.kind)
            .bind(&job.stage)
            .bind(job.done)
            .bind(job.total)
            .bind(&job.created_by)
            .bind(job.region)
            .bind(job.created_at)
            .bind(Utc::now())
            .execute(c)
            .await
            .map(|_| ())?
        });
        tx.commit().await
    }

    /// Completes a started job with its answer: `done` when `status` is a success, else
    /// `failed`.
    pub async fn finish_job(
        &self,
        id: &str,
        stage: &str,
        (done, total): (i64, i64),
        status: u16,
        result: &str,
    ) -> Result<(), StoreError> {
        let state = if (200..300).contains(&status) {
            "done"
        } else {
            "failed"
        };
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => {
            sqlx::query(
                "UPDATE jobs SET state = $1, stage = $2, done = $3, total = $4, status = $5, \
                 result = $6, finished_at = $7 WHERE id = $8",
            )
            .bind(state)
            .bind(stage)
            .bind(done)
            .bind(total)
            .bind(i64::from(status))
            .bind(result)
            .bind(Utc::now())
            .bind(id)
            .execute(c)
            .await
            .map(|_| ())?
        });
        tx.commit().await
    }

    /// A job by id.
    pub async fn job(&self, id: &str) -> Result<Option<JobRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = $1");
        Ok(on_db!(&self.db, p => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(p).await?
        }))
    }

    /// Marks the jobs a crash left running as failed, with `result` (a problem, JSON) as
    /// their answer; returns how many. Run when the service starts, before any job.
    pub async fn fail_interrupted_jobs(&self, result: &str) -> Result<u64, StoreError> {
        let mut tx = self.begin().await?;
        let n = on_tx!(&mut tx, c => {
            sqlx::query(
                "UPDATE jobs SET state = 'failed', status = 500, result = $1, finished_at = $2 \
                 WHERE state = 'running'",
            )
            .bind(result)
            .bind(Utc::now())
            .execute(c)
            .await?
            .rows_affected()
        });
        tx.commit().await?;
        Ok(n)
    }
}
