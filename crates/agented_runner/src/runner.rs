//! The runner: takes a queued execution, claims it, has it go through its
//! chain (`execution.rs`, one CLI attempt at a time in `attempt.rs`) and stores
//! how it ended; also the [`RunControl`] that cancels runs, and the shutdown.

use crate::execution::RunEnd;
use crate::outcome;
use crate::process::{self, StopReason};
use crate::writer::LogWriter;
use agented_executions::{
    BusEvent, Claim, Deferral, ExecStoreError, Execution, ExecutionRepository, ExecutionStatus, LogBus, LogLine,
    LogStore, LogStream, Outcome, PriceTable, RunControl, RunEnvironment, RunQueue, RunReporter,
};
use agented_kernel::{Clock, ExecutionId, TriggerId, WorkerId};
use agented_orchestration::Orchestration;
use agented_triggers::TriggerRepository;
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, watch};
use tracing::Instrument;

/// A run whose trigger is at its `max_concurrent` in other processes tries its claim again
/// after this, doubling up to `CLAIM_RETRY_MAX`.
const CLAIM_RETRY_FIRST: Duration = Duration::from_millis(50);
const CLAIM_RETRY_MAX: Duration = Duration::from_millis(500);
/// A run this worker lacks the labels for goes back to the queue after this.
const HAND_BACK_AFTER: Duration = Duration::from_secs(1);

/// How the runner behaves.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    /// `PATH` given to CLIs (and searched for them).
    pub path_env: OsString,
    /// What every run's environment starts from (the allowlist and the operator's additions).
    pub base_env: RunEnvironment,
    /// The data directory: no run may work inside it.
    pub data_dir: PathBuf,
    /// Working directory of runs without a local project path.
    pub workspace_dir: PathBuf,
    /// Parent of per-run workspaces (git worktrees) and the repositories' mirrors.
    pub clones_dir: PathBuf,
    /// Which workspaces stay after their runs.
    pub workspaces: crate::workspace::WorkspacePolicy,
    /// Lines kept per run; later lines are counted, not stored.
    pub max_log_lines: i64,
    /// A run silent this long is stopped, unless its trigger says otherwise (0: never).
    pub stall_timeout_seconds: u32,
    /// Prices the tokens of CLIs that report no cost.
    pub prices: Arc<PriceTable>,
    /// `setpriv` (util-linux), which gives each run's leader a parent-death signal; `None` when missing.
    pub parent_death: Option<PathBuf>,
    /// Runs CLIs under `bwrap` (`runner.sandbox = "bubblewrap"`).
    pub sandbox: Option<crate::sandbox::Sandbox>,
    /// The server's environment, where setup steps' named secrets are read.
    pub server_env: crate::setup::ServerEnv,
    /// This process's worker: recorded on every run it claims.
    pub worker: WorkerId,
    /// This worker's labels: it takes only runs whose trigger requires none it lacks.
    pub labels: Vec<String>,
}

/// The ports a worker uses.
#[derive(Clone)]
pub struct RunnerPorts {
    /// Executions.
    pub executions: Arc<dyn ExecutionRepository>,
    /// Log lines.
    pub logs: Arc<dyn LogStore>,
    /// Live fan-out.
    pub bus: Arc<dyn LogBus>,
    /// Triggers (for their concurrency limit).
    pub triggers: Arc<dyn TriggerRepository>,
    /// Accounts, chains, rate limits and budgets.
    pub orchestration: Orchestration,
    /// "Now".
    pub clock: Arc<dyn Clock>,
    /// The run queue (a run this worker may not take goes back on it).
    pub queue: Arc<dyn RunQueue>,
    /// Reports runs a GitHub event fired back to GitHub.
    pub reporter: Arc<dyn RunReporter>,
    /// Told of every run's end (outgoing webhooks, Slack).
    pub notices: Arc<dyn agented_kernel::Notices>,
}

#[derive(Default)]
struct Live {
    stops: HashMap<String, watch::Sender<Option<StopReason>>>,
    groups: HashMap<String, i32>,
    slots: HashMap<String, (u16, Arc<Semaphore>)>,
}

/// Runs executions; also the [`RunControl`] that cancels them.
#[derive(Clone)]
pub struct Runner {
    pub(crate) ports: RunnerPorts,
    pub(crate) options: Arc<RunnerOptions>,
    pub(crate) writer: LogWriter,
    retention: crate::workspace::Retention,
    live: Arc<Mutex<Live>>,
    accepting: Arc<AtomicBool>,
    finished: Arc<tokio::sync::Notify>,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner").field("options", &self.options).finish_non_exhaustive()
    }
}

impl RunControl for Runner {
    fn cancel(&self, id: &ExecutionId) -> bool {
        self.lock().stops.get(id.as_str()).is_some_and(|tx| tx.send(Some(StopReason::Cancelled)).is_ok())
    }
}

impl Runner {
    /// A runner over `ports`; starts its log writer on the current tokio runtime.
    #[must_use]
    pub fn new(ports: RunnerPorts, options: RunnerOptions) -> Self {
        let retention = crate::workspace::Retention::new(
            options.clones_dir.clone(),
            options.workspaces,
            ports.executions.clone(),
            options.base_env.clone(),
        );
        Self {
            writer: LogWriter::start(ports.logs.clone(), ports.bus.clone()),
            retention,
            ports,
            options: Arc::new(options),
            live: Arc::default(),
            accepting: Arc::new(AtomicBool::new(true)),
            finished: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What workspaces and mirrors this worker keeps on disk.
    #[must_use]
    pub fn workspaces(&self) -> Arc<dyn agented_executions::WorkspaceInventory> {
        Arc::new(self.retention.clone())
    }

    /// Runs currently supervised by this process.
    #[must_use]
    pub fn running_count(&self) -> usize {
        self.lock().stops.len()
    }

    /// Asks the live run `id` to stop.
    pub(crate) fn stop(&self, id: &ExecutionId, reason: StopReason) {
        if let Some(tx) = self.lock().stops.get(id.as_str()) {
            let _ = tx.send(Some(reason));
        }
    }

    /// Stops every live run whose stored state has ended already: cancelled through
    /// another server, or interrupted because this worker was taken for lost. The stored
    /// state decides; this process only follows it.
    pub async fn stop_ended_elsewhere(&self) {
        // Only runs whose CLI is still running: one that just stored its own end is not news.
        let ids: Vec<String> = self.lock().groups.keys().cloned().collect();
        for id in ids.iter().filter_map(|id| ExecutionId::parse(id).ok()) {
            if let Ok(Some(stored)) = self.ports.executions.get(&id).await
                && stored.status.is_terminal()
                && self.lock().groups.contains_key(id.as_str())
            {
                tracing::warn!(execution_id = %id, status = %stored.status, "the run ended elsewhere: stopping its CLI");
                self.stop(&id, StopReason::Cancelled);
            }
        }
    }

    /// Remembers (or forgets) the process group of the live run `id`, for `kill_all_now`.
    pub(crate) fn track_group(&self, id: &ExecutionId, pgid: Option<i32>) {
        let mut live = self.lock();
        match pgid {
            Some(pgid) => live.groups.insert(id.as_str().to_owned(), pgid),
            None => live.groups.remove(id.as_str()),
        };
    }

    /// SIGKILLs every process group this runner started that is still live,
    /// at once and without waiting (for a process about to exit abruptly).
    pub fn kill_all_now(&self) {
        self.accepting.store(false, Ordering::SeqCst);
        for pgid in self.lock().groups.values() {
            process::signal_group(*pgid, nix::sys::signal::Signal::SIGKILL);
        }
    }

    /// Whether new runs are taken (false once shutdown began).
    #[must_use]
    pub fn is_accepting(&self) -> bool {
        self.accepting.load(Ordering::SeqCst)
    }

    /// Stops taking runs, asks every running one to stop, waits up to
    /// `grace`, and marks what is left `interrupted`.
    pub async fn shutdown(&self, grace: Duration) {
        self.accepting.store(false, Ordering::SeqCst);
        let ids: Vec<String> = {
            let live = self.lock();
            for tx in live.stops.values() {
                let _ = tx.send(Some(StopReason::Shutdown));
            }
            live.stops.keys().cloned().collect()
        };
        if ids.is_empty() {
            return;
        }
        tracing::info!(runs = ids.len(), "stopping running executions");
        let deadline = Instant::now() + grace;
        while self.running_count() > 0 && Instant::now() < deadline {
            let _ = tokio::time::timeout(Duration::from_millis(100), self.finished.notified()).await;
        }
        for id in ids {
            if let Ok(id) = ExecutionId::parse(&id) {
                self.finish(&id, None, outcome::interrupted(self.ports.clock.now())).await;
            }
        }
    }

    /// Runs one queued execution to its end. Anything not `queued` is skipped,
    /// so a job delivered twice runs once.
    pub async fn run(&self, id: &ExecutionId) {
        if !self.is_accepting() {
            return;
        }
        let Ok(Some(queued)) = self.ports.executions.get(id).await.map_err(|e| log_store(&e, id)) else { return };
        if queued.status != ExecutionStatus::Queued {
            tracing::debug!(execution_id = %id, status = %queued.status, "skipping a job whose run is not queued");
            return;
        }
        let (max, needs) = match self.ports.triggers.get(&queued.trigger_id).await {
            Ok(Some(t)) => (t.settings.max_concurrent.max(1), t.settings.required_labels),
            _ => (1, Vec::new()),
        };
        if !agented_kernel::labels::satisfies(&self.options.labels, &needs) {
            self.hand_back(id, &needs).await;
            return;
        }
        let (_slot, limit) = self.slot(&queued.trigger_id, max).await;
        if !self.is_accepting() {
            return;
        }
        let (stop_tx, stop_rx) = watch::channel(None);
        self.lock().stops.insert(id.as_str().to_owned(), stop_tx);
        match self.claim(id, limit).await {
            Ok(Some(mut execution)) => {
                // One span per run (a trace of its own when traces are exported), ended with its status.
                let span = tracing::info_span!(
                    "run",
                    execution_id = %id,
                    trigger_id = %execution.trigger_id,
                    status = tracing::field::Empty,
                );
                async {
                    self.ports.bus.open(id);
                    self.ports.bus.publish(id, BusEvent::Started);
                    if execution.snapshot.github.is_some() {
                        let notes = self.ports.reporter.started(&execution).await;
                        self.notes(id, &mut execution.log_lines, &notes).await;
                    }
                    match self.through_chain(&execution, stop_rx).await {
                        RunEnd::Finished(outcome) => {
                            tracing::Span::current().record("status", outcome.status.as_str());
                            if execution.snapshot.github.is_some() {
                                self.report_end(id, &outcome).await;
                            }
                            self.finish(id, Some(&execution), outcome).await;
                            if !execution.snapshot.repositories.is_empty() {
                                let retention = self.retention.clone();
                                tokio::spawn(async move { retention.sweep().await });
                            }
                        }
                        RunEnd::Deferred(deferral) => {
                            tracing::Span::current().record("status", ExecutionStatus::RateLimited.as_str());
                            self.defer(id, &deferral).await;
                        }
                    }
                }
                .instrument(span)
                .await;
            }
            Ok(None) => tracing::debug!(execution_id = %id, "run was taken or cancelled before it started"),
            Err(e) => log_store(&e, id),
        }
        self.lock().stops.remove(id.as_str());
        self.finished.notify_waiters();
    }

    /// Puts a run whose trigger requires labels this worker lacks back on the queue for
    /// another worker, due after a pause: workers without the labels do not pass it around
    /// in a tight loop, and the job wakes no one (this worker included) before it is due.
    /// (Done during shutdown too: the queue, not this process, must hold the run.)
    async fn hand_back(&self, id: &ExecutionId, needs: &[String]) {
        tracing::debug!(execution_id = %id, required = ?needs, "this worker lacks a label the run requires: handing it back");
        if let Err(e) = self.ports.queue.enqueue_after(id, HAND_BACK_AFTER).await {
            tracing::error!(execution_id = %id, error = %e, "a run handed back could not be queued again");
        }
    }

    /// Claims the run once its trigger is under `limit` running runs in every process:
    /// the slot of this process was taken first, so this waits only for other processes' runs.
    /// `None` when the run was taken or cancelled meanwhile, or shutdown began.
    async fn claim(&self, id: &ExecutionId, limit: u16) -> Result<Option<Execution>, ExecStoreError> {
        let mut wait = CLAIM_RETRY_FIRST;
        loop {
            match self.ports.executions.claim(id, &self.options.worker, limit, self.ports.clock.now()).await? {
                Claim::Claimed(execution) => return Ok(Some(*execution)),
                Claim::Gone => return Ok(None),
                Claim::Busy if !self.is_accepting() => return Ok(None),
                Claim::Busy => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(CLAIM_RETRY_MAX);
                }
            }
        }
    }

    /// This process's slot for a run of `trigger`, whose `max_concurrent` is `max`, and `max`.
    async fn slot(&self, trigger: &TriggerId, max: u16) -> (Option<tokio::sync::OwnedSemaphorePermit>, u16) {
        let semaphore = {
            let mut live = self.lock();
            let entry = live
                .slots
                .entry(trigger.as_str().to_owned())
                .or_insert_with(|| (max, Arc::new(Semaphore::new(max.into()))));
            if entry.0 != max {
                *entry = (max, Arc::new(Semaphore::new(max.into())));
            }
            entry.1.clone()
        };
        (semaphore.acquire_owned().await.ok(), max)
    }

    async fn finish(&self, id: &ExecutionId, execution: Option<&Execution>, mut outcome: Outcome) {
        if let Some(started) = execution.and_then(|e| e.started_at) {
            outcome.duration_ms = (outcome.finished_at - started).num_milliseconds().max(0);
        }
        match self.ports.executions.finish(id, &outcome).await {
            Ok(true) => {
                tracing::info!(execution_id = %id, status = %outcome.status, exit_code = ?outcome.exit_code, "run finished");
                let fetched;
                let ended = match execution {
                    Some(e) => Some(e),
                    None => {
                        fetched = self.ports.executions.get(id).await.ok().flatten();
                        fetched.as_ref()
                    }
                };
                if let Some(ended) = ended {
                    self.ports.notices.notify(agented_executions::run_notice(ended, &outcome));
                }
            }
            Ok(false) => {}
            Err(e) => log_store(&e, id),
        }
        // Subscribers see the end only once the final status is stored.
        self.ports.bus.close(id);
        self.writer.close(id);
    }

    /// Tells the reporter how the run ended, with its CLI's last answer, and logs what it did.
    async fn report_end(&self, id: &ExecutionId, outcome: &Outcome) {
        /// Lines read back for the answer: it is at the end of the output.
        const ANSWER_LINES: i64 = 5000;
        let Ok(Some(ended)) = self.ports.executions.get(id).await.map_err(|e| log_store(&e, id)) else { return };
        let after = (ended.log_lines - ANSWER_LINES).max(0);
        #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation, reason = "ANSWER_LINES fits")]
        let lines = self.ports.logs.read_after(id, after, ANSWER_LINES as u32).await.unwrap_or_default();
        let backend = ended.snapshot.backend_id.is_none().then_some(ended.snapshot.backend_type);
        let answer = agented_executions::reply_text(backend, &lines);
        let notes = self.ports.reporter.finished(&ended, outcome, &answer).await;
        self.notes(id, &mut ended.log_lines.clone(), &notes).await;
    }

    pub(crate) async fn notes(&self, id: &ExecutionId, seq: &mut i64, notes: &[String]) {
        for note in notes {
            self.note(id, seq, note).await;
        }
    }

    /// Writes an `[agented] …` line into the run's log (stored, then published).
    pub(crate) async fn note(&self, id: &ExecutionId, seq: &mut i64, text: &str) {
        let mut log = self.writer.open(id, *seq);
        *seq += 1;
        log.push(LogLine {
            seq: *seq,
            timestamp: self.ports.clock.now(),
            stream: LogStream::Stderr,
            content: format!("[agented] {text}"),
        })
        .await;
        log.flushed().await;
    }

    async fn defer(&self, id: &ExecutionId, deferral: &Deferral) {
        match self.ports.executions.defer(id, deferral).await {
            Ok(true) => {
                tracing::warn!(execution_id = %id, next_attempt_at = %deferral.next_attempt_at, attempts = deferral.attempts, "run rate-limited on its whole chain; waiting")
            }
            Ok(false) => {}
            Err(e) => log_store(&e, id),
        }
        self.ports.bus.close(id);
        self.writer.close(id);
    }
}

pub(crate) fn log_store(e: &ExecStoreError, id: &ExecutionId) {
    tracing::error!(execution_id = %id, error = %e, "execution storage failed");
}

impl agented_kernel::ComponentHealth for Runner {
    fn name(&self) -> &'static str {
        "runner"
    }

    /// Runs in progress; not ok once shutdown has begun (no new runs are taken).
    fn check(&self) -> agented_kernel::BoxFuture<'_, agented_kernel::ComponentState> {
        let running = i64::try_from(self.running_count()).unwrap_or(i64::MAX);
        let accepting = self.is_accepting();
        Box::pin(async move {
            agented_kernel::ComponentState {
                ok: accepting,
                error: (!accepting).then(|| "shutting down: no new runs are taken".to_owned()),
                figures: vec![("running", running)],
            }
        })
    }
}
