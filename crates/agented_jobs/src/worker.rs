//! The apalis worker of the `runs` queue: woken the moment a job is pushed (by
//! SQLite's update hook, with a short poll as a safety net, or by PostgreSQL's
//! NOTIFY), beating on PostgreSQL, and named uniquely per process.

use crate::queue::{JobQueue, RUNS_QUEUE, RunJob};
use agented_kernel::ExecutionId;
use apalis::prelude::{BoxDynError, Data, WorkerBuilder, WorkerBuilderExt};
use apalis_core::backend::ext::BackendExt;
use apalis_core::backend::ext::poll_strategy::{BackoffConfig, Strategy};
use apalis_sqlite::{Config, SqliteStorage};
use futures::StreamExt;
use futures::future::BoxFuture;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;

type RunFn = dyn Fn(ExecutionId) -> BoxFuture<'static, ()> + Send + Sync + 'static;

/// What runs a job: the runner, seen through a function so this crate needs none of it.
#[derive(Clone)]
pub struct RunHandler(Arc<RunFn>);

impl RunHandler {
    /// Wraps `run`.
    pub fn new(run: impl Fn(ExecutionId) -> BoxFuture<'static, ()> + Send + Sync + 'static) -> Self {
        Self(Arc::new(run))
    }
}

impl std::fmt::Debug for RunHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunHandler")
    }
}

/// Poll interval used as a safety net beside the update hook.
const POLL: Duration = Duration::from_millis(250);

/// Idle polls come 125–375 ms apart at random. Jobs fall due on whole seconds (apalis
/// stores `run_at` in seconds): with fixed intervals the worker whose poll phase comes
/// first after the second would take every job handed back for another worker's labels.
fn jittered() -> BackoffConfig {
    BackoffConfig::new(Duration::from_millis(375)).with_multiplier(1.0).with_jitter(0.5)
}

/// Stops the worker when asked (or dropped).
#[derive(Debug)]
pub struct WorkerHandle {
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    /// The worker's unique name.
    pub name: String,
}

impl WorkerHandle {
    /// Stops taking jobs and waits (briefly) for the worker to wind down.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

async fn handle(job: RunJob, handler: Data<RunHandler>) -> Result<(), BoxDynError> {
    let id = ExecutionId::parse(&job.execution_id)?;
    // A task of its own: runs proceed in parallel across the runtime's threads.
    let run = (handler.0.0)(id);
    tokio::spawn(run).await?;
    Ok(())
}

/// How often a PostgreSQL worker beats, and how many missed beats make its jobs orphans that
/// another worker takes (apalis's defaults disagree with its docs: set both).
const PG_HEARTBEAT: Duration = Duration::from_secs(2);
const PG_MISSED_BEATS: usize = 3;

/// Starts the `runs` worker with at most `concurrency` jobs in flight, named `name`
/// (unique per process: a reused name would block orphan recovery in apalis).
#[must_use]
pub fn start_worker(queue: &JobQueue, handler: RunHandler, concurrency: usize, name: &str) -> WorkerHandle {
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let signal = async move {
        let _ = stop_rx.await;
        Ok::<(), std::io::Error>(())
    };
    let batch = concurrency.clamp(1, 50);
    let run: BoxFuture<'static, Result<(), String>> = match queue {
        JobQueue::Sqlite(queue) => {
            let config = Config::default().queue(RUNS_QUEUE).batch_size(batch);
            let mut strategy = Strategy::new();
            if let Some(listener) = queue.take_listener() {
                strategy = strategy.stream(listener.ready_chunks(16));
            }
            let backend = SqliteStorage::<RunJob>::new(queue.pool())
                .with_config(config)
                .poll_with_strategy(strategy.interval_with_backoff(POLL, jittered()));
            let worker =
                WorkerBuilder::new(name).backend(backend).data(handler).concurrency(concurrency.max(1)).build(handle);
            Box::pin(async move { worker.run_until(signal).await.map_err(|e| e.to_string()) })
        }
        JobQueue::Postgres(queue) => {
            // Woken by NOTIFY when a due job is pushed (its own listening connection), and
            // polling too: apalis notifies only jobs due at insert, so a job pushed to run
            // later (a run handed back) is found by the poll.
            let config = apalis_postgres::Config::default()
                .batch_size(batch)
                .heartbeat_interval(PG_HEARTBEAT)
                .missed_heartbeats(PG_MISSED_BEATS);
            let notices = apalis_postgres::Pubsub::new(queue.pool().clone(), RUNS_QUEUE.to_owned());
            let backend = queue
                .storage(config)
                .poll_with_strategy(Strategy::new().stream(notices).interval_with_backoff(POLL, jittered()));
            let worker =
                WorkerBuilder::new(name).backend(backend).data(handler).concurrency(concurrency.max(1)).build(handle);
            Box::pin(async move { worker.run_until(signal).await.map_err(|e| e.to_string()) })
        }
    };
    let worker_name = name.to_owned();
    let task = tokio::spawn(async move {
        if let Err(e) = run.await {
            tracing::error!(worker = %worker_name, error = %e, "the run worker stopped with an error");
        }
    });
    tracing::info!(worker = %name, queue = RUNS_QUEUE, "run worker started");
    WorkerHandle { stop: Some(stop_tx), task: Some(task), name: name.to_owned() }
}
