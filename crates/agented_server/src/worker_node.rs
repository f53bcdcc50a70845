//! `agented worker`: a process that only runs jobs. It opens the same database and
//! run queue as the API servers, registers in the worker registry, beats, takes jobs
//! up to `runner.max_parallel_runs`, drives runs of workflows, and sweeps for workers that
//! are gone. No HTTP.

use crate::Settings;
use crate::startup::{
    StartupError, prepare_database, prepare_folders, shutdown_signal, start_runs, stop_runs, stop_worker, worker_loop,
};
use agented_auth::AuditLog;
use agented_executions::WorkerService;
use agented_http::metrics::Metrics;
use agented_jobs::WorkerHandle;
use agented_kernel::{Clock, SystemClock, WorkerId};
use agented_runner::Runner;
use agented_store::SqlAudit;
use std::sync::Arc;
use std::time::Duration;

/// A started worker; it takes jobs until [`WorkerNode::run_until_stopped`] sees SIGTERM or SIGINT.
pub struct WorkerNode {
    runner: Runner,
    driver: Option<agented_runner::WorkflowDriver>,
    handle: Option<WorkerHandle>,
    workers: WorkerService,
    me: WorkerId,
    grace: Duration,
}

impl std::fmt::Debug for WorkerNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerNode").field("me", &self.me).finish_non_exhaustive()
    }
}

impl WorkerNode {
    /// Opens the database and the queue, recovers what gone workers left, registers and starts taking jobs.
    ///
    /// # Errors
    /// [`StartupError`] naming what failed.
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        let data_dir = prepare_folders(settings)?;
        let database = prepare_database(settings).await?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let audit: Arc<dyn AuditLog> = Arc::new(SqlAudit::new(database.clone()));
        // Its figures are not served (no HTTP); the counting bus still wants a home.
        let metrics = Metrics::new(settings.runner.max_parallel_runs);
        let runs = start_runs(settings, &data_dir, &database, clock, audit, &metrics, true).await?;
        let me = runs.me.ok_or_else(|| StartupError::Recovery("the worker did not register".to_owned()))?;
        Ok(Self {
            runner: runs.runner,
            driver: runs.driver,
            handle: runs.worker,
            workers: runs.workers,
            me,
            grace: settings.runner.shutdown_grace,
        })
    }

    /// This worker's id in the registry.
    #[must_use]
    pub const fn id(&self) -> &WorkerId {
        &self.me
    }

    /// Takes jobs until SIGTERM or SIGINT, then stops its runs (they get `runner.shutdown_grace_seconds`)
    /// and records a clean stop.
    pub async fn run_until_stopped(self) {
        let beats = worker_loop(self.workers.clone(), Some(self.me.clone()), self.runner.clone());
        let driving = self.driver.clone().map(|d| tokio::spawn(async move { d.run().await }));
        shutdown_signal().await;
        tracing::info!(worker = %self.me, "stopping: no new jobs are taken");
        stop_runs(&self.runner, self.driver.as_ref(), self.grace).await;
        if let Some(driving) = driving {
            driving.abort();
        }
        drop(beats);
        stop_worker(self.handle, &self.workers, Some(&self.me)).await;
    }
}
