//! 进度 (progress) of a long use-case — an import, a feed, a screening — for the job that
//! runs it in the service (`web::jobs`). The use-case reports its stage through
//! [`stage`]; outside a job (the command line) nobody listens and the report is dropped.
//! A task-local, not a parameter: the same functions serve the command line unchanged.

use std::future::Future;
use std::sync::{Arc, Mutex};

/// Where a use-case is: its stage, and how many of its rows (or households) it has done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// What it is doing, in Chinese (读取文件, 核对, 写入 …).
    pub stage: String,
    pub done: u64,
    /// 0 while not known.
    pub total: u64,
}

/// A job's progress, shared between the task that runs it and those that read it.
#[derive(Debug, Clone, Default)]
pub struct Progress(Arc<Mutex<Snapshot>>);

tokio::task_local! {
    static CURRENT: Progress;
}

impl Progress {
    pub fn new(stage: &str) -> Self {
        let p = Self::default();
        p.set(stage, 0, 0);
        p
    }

    pub fn snapshot(&self) -> Snapshot {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set(&self, stage: &str, done: u64, total: u64) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Snapshot {
            stage: stage.to_owned(),
            done,
            total,
        };
    }

    /// Runs `f` reporting to this progress.
    pub async fn scope<F: Future>(&self, f: F) -> F::Output {
        CURRENT.scope(self.clone(), f).await
    }
}

/// Reports the stage of the use-case running in this task, if a job listens.
pub(crate) fn stage(stage: &str, done: u64, total: u64) {
    let _ = CURRENT.try_with(|p| p.set(stage, done, total));
}
