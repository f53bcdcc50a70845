//! The `runs` queue on PostgreSQL (apalis-postgres, its tables in the `apalis`
//! schema of the installation's database): one queue for every worker of every
//! host. A job whose worker stops beating is taken again by another; the
//! execution's stored state (the claim) keeps a run from executing twice.

use crate::queue::{JobsError, RUNS_QUEUE, RunJob, job};
use agented_executions::{QueueError, RunQueue};
use agented_kernel::ExecutionId;
use apalis_postgres::{PgPool, PostgresStorage};
use async_trait::async_trait;
use futures::SinkExt;

/// Pushes run jobs into PostgreSQL.
#[derive(Debug, Clone)]
pub struct PostgresRunQueue {
    pool: PgPool,
    display: String,
}

impl PostgresRunQueue {
    /// Connects to `url` and applies apalis's migrations (idempotent).
    ///
    /// # Errors
    /// [`JobsError`] naming the database (`shown`, its password hidden) and the cause.
    pub async fn connect(url: &str, shown: &str) -> Result<Self, JobsError> {
        let fail = |reason: String| JobsError { path: shown.to_owned(), reason };
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(|e| fail(e.to_string()))?;
        PostgresStorage::<()>::setup(&pool).await.map_err(|e| fail(e.to_string()))?;
        Ok(Self { pool, display: shown.to_owned() })
    }

    /// The pool (for the worker).
    #[must_use]
    pub const fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The storage of the `runs` queue with `config`'s other settings.
    pub(crate) fn storage(&self, config: apalis_postgres::Config) -> PostgresStorage<RunJob> {
        PostgresStorage::<RunJob>::new(&self.pool).with_config(config.queue(RUNS_QUEUE))
    }
}

#[async_trait]
impl RunQueue for PostgresRunQueue {
    async fn enqueue(&self, id: &ExecutionId) -> Result<(), QueueError> {
        self.push(job(id, None)?).await
    }

    async fn enqueue_after(&self, id: &ExecutionId, after: std::time::Duration) -> Result<(), QueueError> {
        self.push(job(id, Some(after))?).await
    }
}

impl PostgresRunQueue {
    async fn push(&self, task: apalis_postgres::PgTask) -> Result<(), QueueError> {
        let mut storage = self.storage(apalis_postgres::Config::default());
        storage.send(task).await.map_err(|e| QueueError(e.to_string()))
    }
}

impl agented_kernel::ComponentHealth for PostgresRunQueue {
    fn name(&self) -> &'static str {
        "queue"
    }

    /// Due jobs not yet picked up, and how long the oldest has waited.
    fn check(&self) -> agented_kernel::BoxFuture<'_, agented_kernel::ComponentState> {
        Box::pin(async move {
            let query = sqlx::query_as::<_, (i64, Option<i64>)>(
                "SELECT COUNT(*), CAST(EXTRACT(EPOCH FROM now() - MIN(run_at)) AS BIGINT) FROM apalis.jobs \
                 WHERE job_type = $1 AND status = 'Pending' AND run_at <= now()",
            )
            .bind(RUNS_QUEUE)
            .fetch_one(&self.pool);
            crate::queue::pending_state(query, &format!("queue on {}", self.display)).await
        })
    }
}
