//! What the execution domain needs from storage, the queue, the log bus and the runner.

use crate::command::CustomBackend;
use crate::model::{Execution, LogLine, Outcome, RunSnapshot, TriggerType};
use crate::status::ExecutionStatus;
use crate::usage::Usage;
use agented_kernel::{ExecutionId, Page, TriggerId, WorkerId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Storage failed (I/O, pool exhausted, corrupt row); nothing the caller can fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("execution storage failed: {0}")]
pub struct ExecStoreError(#[source] pub agented_kernel::Cause);

/// A new execution, written as `queued`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExecution {
    /// Its id.
    pub execution_id: ExecutionId,
    /// Its trigger.
    pub trigger_id: TriggerId,
    /// What started it.
    pub trigger_type: TriggerType,
    /// What it runs.
    pub snapshot: RunSnapshot,
    /// The run message.
    pub message: Option<String>,
    /// The execution it retries.
    pub retry_of: Option<ExecutionId>,
    /// Queue time.
    pub queued_at: DateTime<Utc>,
    /// Dedup keys the run claims (a webhook delivery's), stored with it or not at all.
    pub claims: Vec<DedupClaim>,
    /// With the reject policy, the trigger's `max_concurrent`: nothing is written when that
    /// many of its runs are queued or running already. Checked in the insert's own
    /// transaction, so two servers starting runs at once cannot both pass it.
    pub at_most_active: Option<u16>,
}

/// A dedup key a run claims for its trigger until `expires_at`: no second run of the
/// trigger may claim it while it is live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupClaim {
    /// The key (a payload digest, a delivery id, …).
    pub key: String,
    /// When the claim lapses.
    pub expires_at: DateTime<Utc>,
}

/// Why an execution was not written.
#[derive(Debug, thiserror::Error)]
pub enum InsertError {
    /// One of its claims is held by an earlier run of the trigger: nothing was written.
    #[error("an earlier run of the trigger holds one of its dedup keys")]
    Duplicate,
    /// The trigger has `at_most_active` runs queued or running (the oldest is named): nothing was written.
    #[error("the trigger is at its concurrency limit")]
    Busy(ExecutionId),
    /// Storage failed: nothing was written.
    #[error(transparent)]
    Store(#[from] ExecStoreError),
}

/// The chain entry a run is trying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptRecord {
    /// The CLI family it runs (for a custom backend, the snapshot's).
    pub backend_type: agented_kernel::BackendType,
    /// The custom backend, if it is one.
    pub backend_id: Option<String>,
    /// The account, if any.
    pub account_id: Option<String>,
}

/// A run whose every chain entry was rate-limited, waiting to try again.
#[derive(Debug, Clone, PartialEq)]
pub struct Deferral {
    /// When it tries again.
    pub next_attempt_at: DateTime<Utc>,
    /// Limited passes so far.
    pub attempts: u32,
    /// Why, for the execution's `error_message`.
    pub message: String,
    /// Usage of its attempts so far.
    pub usage: Usage,
}

/// Which executions to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecutionFilter {
    /// Only this trigger's.
    pub trigger_id: Option<TriggerId>,
    /// Only with this status.
    pub status: Option<ExecutionStatus>,
    /// Queued at or after.
    pub since: Option<DateTime<Utc>>,
    /// Queued before.
    pub until: Option<DateTime<Utc>>,
}

/// What a worker's claim of a queued execution found.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// It is `running` now, under the claiming worker.
    Claimed(Box<Execution>),
    /// Its trigger is at its `max_concurrent`: try again when a run of it ends.
    Busy,
    /// It was not `queued`: taken by another worker, cancelled, or unknown.
    Gone,
}

impl Claim {
    /// The claimed execution, if the claim got it.
    #[must_use]
    pub fn claimed(self) -> Option<Execution> {
        match self {
            Self::Claimed(e) => Some(*e),
            Self::Busy | Self::Gone => None,
        }
    }
}

/// Stored executions.
#[async_trait]
pub trait ExecutionRepository: Send + Sync {
    /// Writes a `queued` execution and its dedup claims, in one transaction:
    /// a crash can leave neither a claim without its run nor a run without its claims.
    ///
    /// # Errors
    /// MUST return [`InsertError::Duplicate`] when a claim is live at `queued_at`,
    /// [`InsertError::Busy`] when `at_most_active` runs of the trigger are queued or running,
    /// and [`InsertError::Store`] when nothing was written for another reason.
    async fn insert(&self, new: &NewExecution) -> Result<Execution, InsertError>;

    /// Forgets the claims `keys` of `trigger` (its run could not be queued: a resend must run).
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn release_claims(&self, trigger: &TriggerId, keys: &[String]) -> Result<(), ExecStoreError>;

    /// One execution, `None` when unknown.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn get(&self, id: &ExecutionId) -> Result<Option<Execution>, ExecStoreError>;

    /// A page of executions, newest first, and how many match in all.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn list(&self, filter: &ExecutionFilter, page: Page) -> Result<(Vec<Execution>, u64), ExecStoreError>;

    /// Atomically moves a `queued` execution to `running` under `worker`, unless its trigger
    /// already has `limit` runs `running` (in any process: [`Claim::Busy`]) or it is no
    /// longer `queued` ([`Claim::Gone`]). Of two workers claiming one execution, exactly one
    /// gets it, and no two claims together pass the limit.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn claim(
        &self,
        id: &ExecutionId,
        worker: &WorkerId,
        limit: u16,
        at: DateTime<Utc>,
    ) -> Result<Claim, ExecStoreError>;

    /// Records the command line and process group of a started run.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn set_process(&self, id: &ExecutionId, command: &str, pgid: Option<i32>) -> Result<(), ExecStoreError>;

    /// Records usage reported so far.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn set_usage(&self, id: &ExecutionId, usage: &Usage) -> Result<(), ExecStoreError>;

    /// The newest run that answered a GitHub event on `repository`'s pull request or
    /// issue `number` (what a comment mentioning the bot continues).
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn latest_on_github(&self, repository: &str, number: u64) -> Result<Option<Execution>, ExecStoreError>;

    /// Records the session id the run's CLI reported (what a follow-up resumes).
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn set_session(&self, id: &ExecutionId, session: &crate::SessionId) -> Result<(), ExecStoreError>;

    /// Ends a `queued` or `running` execution; `false` when it had already ended.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn finish(&self, id: &ExecutionId, outcome: &Outcome) -> Result<bool, ExecStoreError>;

    /// Ends the execution only while its status is still `from` (compare and
    /// set); `false` when it had moved on (a queued run claimed meanwhile).
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn finish_if(
        &self,
        id: &ExecutionId,
        from: ExecutionStatus,
        outcome: &Outcome,
    ) -> Result<bool, ExecStoreError>;

    /// Executions of `trigger` that are `queued` or `running`, oldest first.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn active_for_trigger(&self, trigger: &TriggerId) -> Result<Vec<Execution>, ExecStoreError>;

    /// Records the chain entry a run is trying: the backend it runs on and its account.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn set_attempt(&self, id: &ExecutionId, attempt: &AttemptRecord) -> Result<(), ExecStoreError>;

    /// Moves a `running` execution to `rate_limited` until `deferral.next_attempt_at`;
    /// `false` when it was no longer running.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn defer(&self, id: &ExecutionId, deferral: &Deferral) -> Result<bool, ExecStoreError>;

    /// Moves every `rate_limited` execution whose next attempt is due at `now`
    /// back to `queued` and returns them (each moved once, even with two servers).
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn requeue_due(&self, now: DateTime<Utc>) -> Result<Vec<ExecutionId>, ExecStoreError>;

    /// Makes the `rate_limited` executions among `ids` due at `at` (a freed account, "Try now"):
    /// the one-second watcher queues them then. Returns those that were still waiting.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn wake(&self, ids: &[ExecutionId], at: DateTime<Utc>) -> Result<Vec<ExecutionId>, ExecStoreError>;

    /// Every execution with `status`, oldest first (start-up recovery).
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn with_status(&self, status: ExecutionStatus) -> Result<Vec<Execution>, ExecStoreError>;

    /// How many executions have each status; a status no execution has may be left out.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] when the store cannot be read.
    async fn count_by_status(&self) -> Result<Vec<(ExecutionStatus, u64)>, ExecStoreError>;
}

/// Log lines, stored as bounded rows.
#[async_trait]
pub trait LogStore: Send + Sync {
    /// Appends lines (with their sequence numbers) in one transaction.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] when the lines were not stored.
    async fn append(&self, id: &ExecutionId, lines: &[LogLine]) -> Result<(), ExecStoreError>;

    /// Appends the lines of several runs together; stores that can do it in
    /// one transaction (SQLite does) override this one-run-at-a-time default.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] when any of the lines were not stored.
    async fn append_many(&self, batches: &[(ExecutionId, Vec<LogLine>)]) -> Result<(), ExecStoreError> {
        for (id, lines) in batches {
            self.append(id, lines).await?;
        }
        Ok(())
    }

    /// Up to `limit` lines with `seq > after`, in order.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn read_after(&self, id: &ExecutionId, after: i64, limit: u32) -> Result<Vec<LogLine>, ExecStoreError>;
}

/// What the live bus carries for one execution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BusEvent {
    /// Lines already in the [`LogStore`].
    Lines(Vec<LogLine>),
    /// The run moved to `running`.
    Started,
    /// The subscriber fell behind and missed events: re-read the store.
    Lagged,
}

/// One subscriber's view of an execution's live events.
#[async_trait]
pub trait LogSubscription: Send {
    /// The next event; `None` once the run has ended and its final status is stored.
    async fn next(&mut self) -> Option<BusEvent>;
}

/// In-process fan-out of live lines. Lines are published only after they
/// are stored, so a subscriber that re-reads the store never misses any.
pub trait LogBus: Send + Sync {
    /// Opens the channel of a starting run.
    fn open(&self, id: &ExecutionId);
    /// Publishes to the run's subscribers (nothing when none listen).
    fn publish(&self, id: &ExecutionId, event: BusEvent);
    /// Ends the channel: subscribers get `None` after what was published.
    fn close(&self, id: &ExecutionId);
    /// Follows a run live; `None` when it is not running in this process.
    fn subscribe(&self, id: &ExecutionId) -> Option<Box<dyn LogSubscription>>;
}

/// The PostgreSQL `NOTIFY` channel on which the store announces that a run's
/// lines or state changed (the payload is the execution id: notices are capped
/// near 8 KB, so readers fetch the rows). Shared by the store, which sends, and
/// the listener, which wakes followers.
pub const RUN_NOTICE_CHANNEL: &str = "agented_runs";

/// Wakes the followers of runs that live in another process when that process
/// stores their lines or their end (PostgreSQL's `NOTIFY`). Without one,
/// followers read the store on a timer.
pub trait StoreSignal: Send + Sync {
    /// A handle notified (`notify_one`, so a notice never falls between two
    /// waits) each time `id` changes in the store; dropping it unsubscribes.
    fn watch(&self, id: &ExecutionId) -> std::sync::Arc<tokio::sync::Notify>;
}

/// The queue failed to take the job.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the run queue is unavailable: {0}")]
pub struct QueueError(pub String);

/// Durable queue of runs.
#[async_trait]
pub trait RunQueue: Send + Sync {
    /// Queues a job carrying only `id`; durable when this returns `Ok`.
    ///
    /// # Errors
    /// MUST return [`QueueError`] when the job was not stored.
    async fn enqueue(&self, id: &ExecutionId) -> Result<(), QueueError>;

    /// Queues a job carrying only `id` that no worker takes before `after` has
    /// passed (a run handed back for another worker: not due yet, it wakes no one).
    ///
    /// # Errors
    /// MUST return [`QueueError`] when the job was not stored.
    async fn enqueue_after(&self, id: &ExecutionId, after: std::time::Duration) -> Result<(), QueueError>;
}

/// Signals a running process.
pub trait RunControl: Send + Sync {
    /// Asks the run to stop (SIGTERM, grace, SIGKILL); `false` when this
    /// process is not running it.
    fn cancel(&self, id: &ExecutionId) -> bool;
}

/// Custom command backends.
#[async_trait]
pub trait BackendCatalog: Send + Sync {
    /// A custom backend by id, `None` when unknown.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn custom(&self, id: &str) -> Result<Option<CustomBackend>, ExecStoreError>;
}

/// A backend as listed by `/admin/backends`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendEntry {
    /// `backend-…`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `claude`, `opencode`, `gemini`, `codex` or `custom`.
    pub backend_type: String,
    /// The program.
    pub command: String,
    /// One line for the dashboard.
    pub description: String,
    /// Shipped with Agented.
    pub is_builtin: bool,
    /// The definition of a custom backend.
    pub custom: Option<CustomBackend>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Why a custom backend was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendWriteError {
    /// The name is taken.
    #[error("a backend named '{0}' already exists")]
    DuplicateName(String),
    /// No such backend.
    #[error("backend not found")]
    NotFound,
    /// Built-in backends cannot be deleted.
    #[error("built-in backends cannot be deleted")]
    Builtin,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] ExecStoreError),
}

/// Stored backends: the built-ins and custom commands.
#[async_trait]
pub trait BackendDirectory: BackendCatalog {
    /// Every backend, built-in first.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn list(&self) -> Result<Vec<BackendEntry>, ExecStoreError>;

    /// One backend, `None` when unknown.
    ///
    /// # Errors
    /// MUST return [`ExecStoreError`] only when storage fails.
    async fn get(&self, id: &str) -> Result<Option<BackendEntry>, ExecStoreError>;

    /// Stores a validated custom backend.
    ///
    /// # Errors
    /// MUST return [`BackendWriteError::DuplicateName`] when the name is taken.
    async fn insert_custom(&self, custom: &CustomBackend, at: DateTime<Utc>)
    -> Result<BackendEntry, BackendWriteError>;

    /// Deletes a custom backend.
    ///
    /// # Errors
    /// MUST return [`BackendWriteError::Builtin`] for a built-in and `NotFound` for an unknown id.
    async fn delete_custom(&self, id: &str) -> Result<(), BackendWriteError>;
}

/// What probing a CLI found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// Found on the runner's `PATH` and executable.
    pub is_installed: bool,
    /// Where.
    pub path: Option<String>,
    /// First line of `--version`.
    pub version: Option<String>,
    /// When it was probed.
    pub checked_at: DateTime<Utc>,
}

/// Finds CLIs and their versions.
#[async_trait]
pub trait BackendProbe: Send + Sync {
    /// The last detection of `command` (probing it on first use).
    async fn detection(&self, command: &str) -> Detection;
    /// Probes `command` again now.
    async fn redetect(&self, command: &str) -> Detection;
}
