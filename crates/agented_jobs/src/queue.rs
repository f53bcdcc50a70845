//! The `runs` queue: in `jobs.db` beside a SQLite store, and [`JobQueue`], the one the
//! server was configured with.

use agented_executions::{QueueError, RunQueue};
use agented_kernel::ExecutionId;
use apalis::prelude::TaskBuilder;
use apalis_sqlite::{SqlitePool, SqliteStorage};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The queue bot runs travel on.
pub const RUNS_QUEUE: &str = "runs";

/// Attempts per job: a job only claims its execution, so a retry is cheap and safe.
pub const MAX_ATTEMPTS: usize = 3;

/// A run job: only the execution id (the row holds everything else).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunJob {
    /// The execution to run.
    pub execution_id: String,
}

/// The jobs database could not be opened or prepared.
#[derive(Debug, thiserror::Error)]
#[error("jobs database {path}: {reason}")]
pub struct JobsError {
    /// The file.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// Pushes run jobs into `jobs.db`.
#[derive(Debug, Clone)]
pub struct SqliteRunQueue {
    pool: SqlitePool,
    listener: std::sync::Arc<std::sync::Mutex<Option<apalis_sqlite::callback::HookCallbackListener>>>,
}

impl SqliteRunQueue {
    /// Opens (creating if needed) the jobs database and applies apalis's migrations.
    ///
    /// # Errors
    /// [`JobsError`] naming the file and the cause.
    pub async fn open(path: &Path) -> Result<Self, JobsError> {
        let fail = |reason: String| JobsError { path: path.display().to_string(), reason };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| fail(e.to_string()))?;
        }
        let url = format!("sqlite://{}?mode=rwc", path.display());
        // The update hook wakes the worker the moment a job is pushed through this pool.
        let (pool, listener) = SqliteStorage::connect_with_callback(&url).map_err(|e| fail(e.to_string()))?;
        // journal_mode is a property of the file; sqlx already gives each connection a busy timeout.
        for pragma in ["PRAGMA journal_mode = WAL"] {
            sqlx_execute(&pool, pragma).await.map_err(fail)?;
        }
        SqliteStorage::migrations().run(&pool).await.map_err(|e| fail(e.to_string()))?;
        Ok(Self { pool, listener: std::sync::Arc::new(std::sync::Mutex::new(Some(listener))) })
    }

    /// The pool (for the worker).
    #[must_use]
    pub const fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The push notifications, taken once by the worker.
    pub(crate) fn take_listener(&self) -> Option<apalis_sqlite::callback::HookCallbackListener> {
        self.listener.lock().ok().and_then(|mut l| l.take())
    }
}

async fn sqlx_execute(pool: &SqlitePool, sql: &'static str) -> Result<(), String> {
    sqlx::query(sql).execute(pool).await.map(|_| ()).map_err(|e| e.to_string())
}

#[async_trait]
impl RunQueue for SqliteRunQueue {
    async fn enqueue(&self, id: &ExecutionId) -> Result<(), QueueError> {
        let task = job(id, None)?;
        let mut conn = self.pool.acquire().await.map_err(|e| QueueError(e.to_string()))?;
        apalis_sqlite::queries::push_tasks(&mut *conn, RUNS_QUEUE, &[task]).await.map_err(|e| QueueError(e.to_string()))
    }

    async fn enqueue_after(&self, id: &ExecutionId, after: std::time::Duration) -> Result<(), QueueError> {
        let task = job(id, Some(after))?;
        let mut conn = self.pool.acquire().await.map_err(|e| QueueError(e.to_string()))?;
        apalis_sqlite::queries::push_tasks(&mut *conn, RUNS_QUEUE, &[task]).await.map_err(|e| QueueError(e.to_string()))
    }
}

/// The task of a run job: its id as JSON, [`MAX_ATTEMPTS`], due now or `after` from now.
pub(crate) fn job(
    id: &ExecutionId,
    after: Option<std::time::Duration>,
) -> Result<apalis::prelude::Task<Vec<u8>>, QueueError> {
    let job = RunJob { execution_id: id.as_str().to_owned() };
    let bytes = serde_json::to_vec(&job).map_err(|e| QueueError(e.to_string()))?;
    let mut builder = TaskBuilder::new(bytes).max_attempts(MAX_ATTEMPTS);
    if let Some(after) = after {
        builder = builder.run_after(after);
    }
    Ok(builder.build())
}

/// How long a readiness check waits for the queue.
const CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

impl agented_kernel::ComponentHealth for SqliteRunQueue {
    fn name(&self) -> &'static str {
        "queue"
    }

    /// Due jobs not yet picked up, and how long the oldest has waited: a
    /// growing age with idle runners is the sign of a stalled worker.
    fn check(&self) -> agented_kernel::BoxFuture<'_, agented_kernel::ComponentState> {
        Box::pin(async move {
            let query = sqlx::query_as::<_, (i64, Option<i64>)>(
                "SELECT COUNT(*), CAST(strftime('%s', 'now') AS INTEGER) - MIN(run_at) FROM Jobs \
                 WHERE job_type = ?1 AND status = 'Pending' AND run_at <= strftime('%s', 'now')",
            )
            .bind(RUNS_QUEUE)
            .fetch_one(&self.pool);
            pending_state(query, "jobs.db").await
        })
    }
}

/// The queue's state from the query of its due jobs (count, age of the oldest in seconds),
/// answered within [`CHECK_TIMEOUT`]; `what` names the queue in an error.
pub(crate) async fn pending_state(
    query: impl Future<Output = Result<(i64, Option<i64>), sqlx::Error>>,
    what: &str,
) -> agented_kernel::ComponentState {
    let broken = |error: String| agented_kernel::ComponentState { ok: false, error: Some(error), figures: Vec::new() };
    match tokio::time::timeout(CHECK_TIMEOUT, query).await {
        Ok(Ok((pending, waited))) => agented_kernel::ComponentState {
            ok: true,
            error: None,
            figures: vec![("pending_jobs", pending), ("oldest_pending_seconds", waited.unwrap_or(0).max(0))],
        },
        Ok(Err(e)) => broken(format!("{what}: {e}")),
        Err(_) => broken(format!("{what} did not answer within {} s", CHECK_TIMEOUT.as_secs())),
    }
}

/// The run queue of this installation: `jobs.db` beside a SQLite store, the
/// store's own database on PostgreSQL (so workers on every host share it).
#[derive(Debug, Clone)]
pub enum JobQueue {
    /// `<data_dir>/jobs.db`.
    Sqlite(SqliteRunQueue),
    /// apalis-postgres in the installation's database.
    Postgres(crate::postgres_queue::PostgresRunQueue),
}

#[async_trait]
impl RunQueue for JobQueue {
    async fn enqueue(&self, id: &ExecutionId) -> Result<(), QueueError> {
        match self {
            Self::Sqlite(q) => q.enqueue(id).await,
            Self::Postgres(q) => q.enqueue(id).await,
        }
    }

    async fn enqueue_after(&self, id: &ExecutionId, after: std::time::Duration) -> Result<(), QueueError> {
        match self {
            Self::Sqlite(q) => q.enqueue_after(id, after).await,
            Self::Postgres(q) => q.enqueue_after(id, after).await,
        }
    }
}

impl agented_kernel::ComponentHealth for JobQueue {
    fn name(&self) -> &'static str {
        "queue"
    }

    fn check(&self) -> agented_kernel::BoxFuture<'_, agented_kernel::ComponentState> {
        match self {
            Self::Sqlite(q) => q.check(),
            Self::Postgres(q) => q.check(),
        }
    }
}
