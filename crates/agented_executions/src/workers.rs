//! Worker processes: each registers under a new id, beats while it lives, and records
//! itself on every run it claims. A worker is `lost` once its beats stop (or, on this
//! host, once its process is gone), and the runs it held become `interrupted`: the
//! stored state of a run, not any one process, decides what happened to it.

use crate::model::Outcome;
use crate::ports::{ExecStoreError, ExecutionRepository};
use crate::status::ExecutionStatus;
use agented_kernel::{Clock, ExecutionId, WorkerId};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;

/// Why a lost worker's run ended.
pub const WORKER_LOST: &str = "the worker running it stopped (its heartbeats ended)";

/// A worker as registered, with its last beat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerRecord {
    /// Its id, new for every process.
    pub id: WorkerId,
    /// The host it runs on.
    pub host: String,
    /// Its process id on that host.
    pub pid: i32,
    /// What it offers (which CLIs, `region=eu`, …).
    pub labels: Vec<String>,
    /// How many runs it takes at once.
    pub capacity: u32,
    /// Runs in progress at its last beat.
    pub running: u32,
    /// The Agented version it runs.
    pub version: String,
    /// When it registered.
    pub started_at: DateTime<Utc>,
    /// Its last beat.
    pub heartbeat_at: DateTime<Utc>,
    /// When it stopped cleanly.
    pub stopped_at: Option<DateTime<Utc>>,
    /// When it was found lost.
    pub lost_at: Option<DateTime<Utc>>,
}

/// What a worker is doing now, as the registry shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerState {
    /// Beating.
    Active,
    /// Its beats stopped without a clean stop.
    Lost,
    /// Stopped cleanly.
    Stopped,
}

impl WorkerState {
    /// The state's name in the API.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Lost => "lost",
            Self::Stopped => "stopped",
        }
    }
}

impl WorkerRecord {
    /// Its state at `now`, when `lost_after` without a beat makes a worker lost.
    #[must_use]
    pub fn state(&self, now: DateTime<Utc>, lost_after: Duration) -> WorkerState {
        if self.stopped_at.is_some() {
            WorkerState::Stopped
        } else if self.lost_at.is_some() || now - self.heartbeat_at > lost_after {
            WorkerState::Lost
        } else {
            WorkerState::Active
        }
    }
}

/// The registry of workers.
#[async_trait]
pub trait WorkerRegistry: Send + Sync {
    /// Stores a newly started worker.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] when it was not stored (an id in use included).
    async fn register(&self, worker: &WorkerRecord) -> Result<(), ExecStoreError>;

    /// Records a beat with the runs in progress; `false` when the worker is unknown,
    /// stopped or already found lost (it must not come back to life).
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn beat(&self, id: &WorkerId, running: u32, at: DateTime<Utc>) -> Result<bool, ExecStoreError>;

    /// Records a clean stop.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn stop(&self, id: &WorkerId, at: DateTime<Utc>) -> Result<(), ExecStoreError>;

    /// Marks a worker lost unless it stopped or was found lost already; `true` when this call did.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn mark_lost(&self, id: &WorkerId, at: DateTime<Utc>) -> Result<bool, ExecStoreError>;

    /// Every worker, the most recently started first.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn list(&self) -> Result<Vec<WorkerRecord>, ExecStoreError>;
}

/// This process's host, and whether a process of it still runs (for lost workers found
/// at once when they ran here, instead of after the heartbeat timeout).
#[derive(Clone)]
pub struct LocalHost {
    /// The host name workers of this host register with.
    pub name: String,
    /// Whether the process with this id is alive.
    pub alive: Arc<dyn Fn(i32) -> bool + Send + Sync>,
}

impl std::fmt::Debug for LocalHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalHost").field("name", &self.name).finish_non_exhaustive()
    }
}

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sweep {
    /// Workers found lost by this sweep.
    pub lost: Vec<WorkerId>,
    /// Runs ended `interrupted` because their worker is gone.
    pub interrupted: Vec<ExecutionId>,
}

/// Registers, lists and sweeps workers.
#[derive(Clone)]
pub struct WorkerService {
    registry: Arc<dyn WorkerRegistry>,
    executions: Arc<dyn ExecutionRepository>,
    clock: Arc<dyn Clock>,
    lost_after: Duration,
    local: LocalHost,
    notices: Arc<dyn agented_kernel::Notices>,
}

impl std::fmt::Debug for WorkerService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerService").field("lost_after", &self.lost_after).finish_non_exhaustive()
    }
}

impl WorkerService {
    /// A service over the registry; `lost_after` without a beat makes a worker lost.
    #[must_use]
    pub fn new(
        registry: Arc<dyn WorkerRegistry>,
        executions: Arc<dyn ExecutionRepository>,
        clock: Arc<dyn Clock>,
        lost_after: Duration,
        local: LocalHost,
    ) -> Self {
        Self { registry, executions, clock, lost_after, local, notices: Arc::new(agented_kernel::NoNotices) }
    }

    /// Tells `notices` of each run a lost worker leaves interrupted.
    #[must_use]
    pub fn with_notices(mut self, notices: Arc<dyn agented_kernel::Notices>) -> Self {
        self.notices = notices;
        self
    }

    /// How long a worker may go without a beat before it is lost.
    #[must_use]
    pub const fn lost_after(&self) -> Duration {
        self.lost_after
    }

    /// Every worker with its state now, the most recently started first.
    ///
    /// # Errors
    /// Storage failed.
    pub async fn list(&self) -> Result<Vec<(WorkerRecord, WorkerState)>, ExecStoreError> {
        let now = self.clock.now();
        Ok(self
            .registry
            .list()
            .await?
            .into_iter()
            .map(|w| {
                let state = w.state(now, self.lost_after);
                (w, state)
            })
            .collect())
    }

    /// Registers a worker of this process starting now.
    ///
    /// # Errors
    /// Storage failed.
    pub async fn register(
        &self,
        id: &WorkerId,
        pid: i32,
        labels: Vec<String>,
        capacity: u32,
        version: &str,
    ) -> Result<WorkerRecord, ExecStoreError> {
        let now = self.clock.now();
        let record = WorkerRecord {
            id: id.clone(),
            host: self.local.name.clone(),
            pid,
            labels,
            capacity,
            running: 0,
            version: version.to_owned(),
            started_at: now,
            heartbeat_at: now,
            stopped_at: None,
            lost_at: None,
        };
        self.registry.register(&record).await?;
        Ok(record)
    }

    /// A beat of worker `id` with `running` runs in progress; `false` when the registry
    /// no longer takes its beats (it was found lost: its runs were interrupted).
    ///
    /// # Errors
    /// Storage failed.
    pub async fn beat(&self, id: &WorkerId, running: u32) -> Result<bool, ExecStoreError> {
        self.registry.beat(id, running, self.clock.now()).await
    }

    /// Records that worker `id` stopped cleanly.
    ///
    /// # Errors
    /// Storage failed.
    pub async fn stop(&self, id: &WorkerId) -> Result<(), ExecStoreError> {
        self.registry.stop(id, self.clock.now()).await
    }

    /// Finds workers that are gone and ends their runs `interrupted`. A worker is gone
    /// when its beats are older than `lost_after`, or when it ran on this host and its
    /// process is no more. A running execution with no worker, or one not registered,
    /// is gone too (a process from before workers were recorded). `me` is never lost.
    ///
    /// # Errors
    /// Storage failed; what was done before stays done, and the next sweep goes on.
    pub async fn sweep(&self, me: Option<&WorkerId>) -> Result<Sweep, ExecStoreError> {
        // Runs first, workers second: a run's worker registered before it claimed the run,
        // so every worker a listed run names is in the list read after it.
        let running = self.executions.with_status(ExecutionStatus::Running).await?;
        let now = self.clock.now();
        let mut sweep = Sweep::default();
        let mut gone = Vec::new();
        let workers = self.registry.list().await?;
        for w in &workers {
            if Some(&w.id) == me {
                continue;
            }
            let here_and_dead = w.host == self.local.name && !(self.local.alive)(w.pid);
            match w.state(now, self.lost_after) {
                WorkerState::Stopped => gone.push(w.id.clone()),
                WorkerState::Lost => {
                    if self.registry.mark_lost(&w.id, now).await? {
                        sweep.lost.push(w.id.clone());
                    }
                    gone.push(w.id.clone());
                }
                WorkerState::Active if here_and_dead => {
                    if self.registry.mark_lost(&w.id, now).await? {
                        sweep.lost.push(w.id.clone());
                    }
                    gone.push(w.id.clone());
                }
                WorkerState::Active => {}
            }
        }
        for run in running {
            let holder_gone = match &run.worker {
                None => true,
                Some(w) => gone.contains(w) || !workers.iter().any(|r| &r.id == w),
            };
            if !holder_gone {
                continue;
            }
            let outcome = Outcome::closing(&run, ExecutionStatus::Interrupted, WORKER_LOST, now);
            if self.executions.finish_if(&run.execution_id, ExecutionStatus::Running, &outcome).await? {
                self.notices.notify(crate::run_notice(&run, &outcome));
                sweep.interrupted.push(run.execution_id.clone());
            }
        }
        if !sweep.lost.is_empty() || !sweep.interrupted.is_empty() {
            tracing::warn!(lost = ?sweep.lost, interrupted = ?sweep.interrupted, "workers found lost; their runs were interrupted");
        }
        Ok(sweep)
    }
}
