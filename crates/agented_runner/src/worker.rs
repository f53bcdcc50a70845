//! RunWorker: takes a queued execution and runs it to the end — claim,
//! workspace, command, process, logs in batches, usage, final status.

use crate::process::{self, Ending, ProcessSpec, StopReason};
use crate::workspace::Workspace;
use agented_executions::{
    AttemptRecord, BackendSpec, BusEvent, CommandBuilder, Deferral, ExecStoreError, Execution, ExecutionRepository,
    ExecutionStatus, LogBus, LogLine, LogStore, LogStream, Outcome, OutputParser, RunControl, RunEnvironment, Usage,
};
use agented_kernel::{Clock, ExecutionId, TriggerId};
use agented_orchestration::{Attempt, EntryPlan, Orchestration, RateLimitHit, SkipCause, builtin_id};
use agented_triggers::TriggerRepository;
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc, watch};

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
    /// Parent of per-run clone folders.
    pub clones_dir: PathBuf,
    /// Lines written per batch at most.
    pub batch_lines: usize,
    /// How long a line may wait before its batch is written.
    pub batch_interval: Duration,
    /// Lines kept per run; later lines are counted, not stored.
    pub max_log_lines: i64,
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
    ports: RunnerPorts,
    options: Arc<RunnerOptions>,
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
    /// A runner over `ports`.
    #[must_use]
    pub fn new(ports: RunnerPorts, options: RunnerOptions) -> Self {
        Self {
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

    /// Runs currently supervised by this process.
    #[must_use]
    pub fn running_count(&self) -> usize {
        self.lock().stops.len()
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
                self.finish(&id, None, interrupted(self.ports.clock.now())).await;
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
        let _slot = self.slot(&queued.trigger_id).await;
        if !self.is_accepting() {
            return;
        }
        let (stop_tx, stop_rx) = watch::channel(None);
        self.lock().stops.insert(id.as_str().to_owned(), stop_tx);
        let claimed = self.ports.executions.claim(id, self.ports.clock.now()).await;
        match claimed {
            Ok(Some(execution)) => {
                self.ports.bus.open(id);
                self.ports.bus.publish(id, BusEvent::Started);
                match self.orchestrate(&execution, stop_rx).await {
                    RunEnd::Finished(outcome) => self.finish(id, Some(&execution), outcome).await,
                    RunEnd::Deferred(deferral) => self.defer(id, &deferral).await,
                }
            }
            Ok(None) => tracing::debug!(execution_id = %id, "run was taken or cancelled before it started"),
            Err(e) => log_store(&e, id),
        }
        self.lock().stops.remove(id.as_str());
        self.finished.notify_waiters();
    }

    async fn slot(&self, trigger: &TriggerId) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let max = match self.ports.triggers.get(trigger).await {
            Ok(Some(t)) => t.settings.max_concurrent.max(1),
            _ => 1,
        };
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
        semaphore.acquire_owned().await.ok()
    }

    async fn finish(&self, id: &ExecutionId, execution: Option<&Execution>, mut outcome: Outcome) {
        if let Some(started) = execution.and_then(|e| e.started_at) {
            outcome.duration_ms = (outcome.finished_at - started).num_milliseconds().max(0);
        }
        match self.ports.executions.finish(id, &outcome).await {
            Ok(true) => {
                tracing::info!(execution_id = %id, status = %outcome.status, exit_code = ?outcome.exit_code, "run finished")
            }
            Ok(false) => {}
            Err(e) => log_store(&e, id),
        }
        // Subscribers see the end only once the final status is stored.
        self.ports.bus.close(id);
    }

    /// Goes through the run's chain: each entry that may run now runs; a rate
    /// limit moves on to the next; when all are limited the run waits for its
    /// next attempt (or fails after the last).
    async fn orchestrate(&self, execution: &Execution, stop: watch::Receiver<Option<StopReason>>) -> RunEnd {
        let id = &execution.execution_id;
        let orchestration = &self.ports.orchestration;
        let entries = Orchestration::chain_of(&execution.snapshot);
        let mut seq = execution.log_lines;
        let mut usage = Usage {
            input_tokens: execution.input_tokens,
            output_tokens: execution.output_tokens,
            total_cost_usd: execution.total_cost_usd,
        };
        let mut free_at: Option<chrono::DateTime<chrono::Utc>> = None;
        let (mut budget_skips, mut unusable) = (Vec::new(), Vec::new());
        for entry in &entries {
            if let Some(reason) = *stop.borrow() {
                return RunEnd::Finished(stopped_between(reason, self.ports.clock.now(), usage));
            }
            let plan = match orchestration.plan_entry(execution.trigger_id.as_str(), entry).await {
                Ok(plan) => plan,
                Err(e) => return RunEnd::Finished(failed(self.ports.clock.now(), e.to_string())),
            };
            let attempt = match plan {
                EntryPlan::Run(attempt) => attempt,
                EntryPlan::Block(reason) => {
                    self.note(id, &mut seq, &format!("budget: {reason}; the run is not started")).await;
                    let mut outcome = closed(ExecutionStatus::BudgetBlocked, reason, self.ports.clock.now());
                    outcome.usage = usage;
                    return RunEnd::Finished(outcome);
                }
                EntryPlan::Skip { reason, cause } => {
                    self.note(id, &mut seq, &format!("skipping {}: {reason}", entry.backend_id)).await;
                    match cause {
                        SkipCause::RateLimited(until) => free_at = Some(free_at.map_or(until, |f| f.min(until))),
                        SkipCause::Budget => budget_skips.push(reason),
                        SkipCause::Unusable => unusable.push(reason),
                    }
                    continue;
                }
            };
            if entries.len() > 1 || attempt.account.is_some() {
                self.note(id, &mut seq, &format!("running on {}", attempt.label())).await;
            }
            let (outcome, hit) = self.execute(execution, &attempt, stop.clone(), &mut seq, usage).await;
            usage = outcome.usage;
            // The run's final cost may take a budget past its soft limit: warn now, not at the next run.
            if let Err(e) = orchestration.check_budgets(&attempt.scope).await {
                tracing::warn!(execution_id = %id, error = %e, "budgets could not be checked after a run");
            }
            match hit {
                Some(hit) if outcome.status == ExecutionStatus::Failed => {
                    let until = match orchestration.record_rate_limit(&attempt, &hit).await {
                        Ok(until) => until,
                        Err(e) => return RunEnd::Finished(failed(self.ports.clock.now(), e.to_string())),
                    };
                    let line = format!(
                        "rate limit on {} (matched '{}'); limited until {}",
                        attempt.label(),
                        hit.pattern,
                        until.to_rfc3339()
                    );
                    self.note(id, &mut seq, &line).await;
                    free_at = Some(free_at.map_or(until, |f| f.min(until)));
                }
                _ => return RunEnd::Finished(outcome),
            }
        }
        let now = self.ports.clock.now();
        if free_at.is_some() {
            let attempts = execution.rate_limit_attempts + 1;
            let max = orchestration.options().backoff.max_attempts;
            return match orchestration.next_attempt(attempts, free_at, jitter()) {
                Some(at) => {
                    let message = format!(
                        "every entry of the chain is rate-limited (attempt {attempts} of {max}); next attempt at {}",
                        at.to_rfc3339()
                    );
                    self.note(id, &mut seq, &message).await;
                    RunEnd::Deferred(Deferral { next_attempt_at: at, attempts, message, usage })
                }
                None => {
                    let message = format!("every entry of the chain was rate-limited on all {max} attempts; giving up");
                    self.note(id, &mut seq, &message).await;
                    let mut outcome = failed(now, message);
                    outcome.usage = usage;
                    RunEnd::Finished(outcome)
                }
            };
        }
        let mut outcome = if budget_skips.is_empty() {
            failed(now, format!("no entry of the chain could run: {}", unusable.join("; ")))
        } else {
            closed(ExecutionStatus::BudgetBlocked, budget_skips.join("; "), now)
        };
        outcome.usage = usage;
        RunEnd::Finished(outcome)
    }

    /// Writes an `[agented] …` line into the run's log (stored, then published).
    async fn note(&self, id: &ExecutionId, seq: &mut i64, text: &str) {
        *seq += 1;
        let mut batch = vec![LogLine {
            seq: *seq,
            timestamp: self.ports.clock.now(),
            stream: LogStream::Stderr,
            content: format!("[agented] {text}"),
        }];
        self.flush(id, &mut batch).await;
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
    }

    /// Runs one chain entry: the CLI's process to its end. Returns its outcome
    /// (usage counted from `base`) and the rate limit its output showed, if any.
    async fn execute(
        &self,
        execution: &Execution,
        attempt: &Attempt,
        stop: watch::Receiver<Option<StopReason>>,
        seq: &mut i64,
        base: Usage,
    ) -> (Outcome, Option<RateLimitHit>) {
        let id = &execution.execution_id;
        let clock = &self.ports.clock;
        let failed = |message: String| {
            let mut outcome = failed(clock.now(), message);
            outcome.usage = base;
            (outcome, None)
        };
        let own_backend = execution
            .snapshot
            .backend_id
            .clone()
            .unwrap_or_else(|| builtin_id(execution.snapshot.backend_type).to_owned());
        let mut snapshot = execution.snapshot.clone();
        if attempt.scope.backend_id != own_backend {
            // The model and tools belong to the trigger's own CLI.
            snapshot.model = None;
        }
        let spec = attempt.spec.clone();
        let record = AttemptRecord {
            backend_type: match &spec {
                BackendSpec::Builtin(t) => *t,
                BackendSpec::Custom(_) => snapshot.backend_type,
            },
            backend_id: match &spec {
                BackendSpec::Builtin(_) => None,
                BackendSpec::Custom(c) => Some(c.id.clone()),
            },
            account_id: attempt.account.as_ref().map(|a| a.id.as_str().to_owned()),
        };
        if let Err(e) = self.ports.executions.set_attempt(id, &record).await {
            log_store(&e, id);
        }
        let workspace = match Workspace::prepare(
            &self.options.clones_dir,
            id.as_str(),
            &snapshot.repositories,
            &self.options.base_env,
        )
        .await
        {
            Ok(w) => w,
            Err(e) => return failed(e),
        };
        let mut dirs: Vec<String> = snapshot.local_paths.clone();
        dirs.extend(workspace.checkouts().iter().map(|p| p.display().to_string()));
        let (cwd, extra) = match dirs.split_first() {
            Some((first, rest)) => (PathBuf::from(first), rest.to_vec()),
            None => (self.options.workspace_dir.clone(), Vec::new()),
        };
        let command = CommandBuilder::build(&spec, &snapshot, &extra);
        let cwd = if dirs.is_empty() { command.working_dir.clone().map_or(cwd, PathBuf::from) } else { cwd };
        let display_command = command.display(&snapshot.prompt);
        let Some(program) = process::which(&command.program, &self.options.path_env) else {
            let _ = self.ports.executions.set_process(id, &display_command, None).await;
            workspace.remove().await;
            return failed(format!("`{}` command not found", command.program));
        };
        if let Err(problem) = prepare_cwd(&cwd, &self.options.data_dir).await {
            workspace.remove().await;
            return failed(problem);
        }
        let process_spec = ProcessSpec {
            program,
            args: command.args.clone(),
            env: self.options.base_env.clone().with(command.env.clone()).with(attempt.env.iter().cloned()).into_vars(),
            path_env: self.options.path_env.clone(),
            cwd,
            timeout: Duration::from_secs(snapshot.timeout_seconds.into()),
            grace: Duration::from_secs(snapshot.sigterm_grace_seconds.into()),
            execution_id: id.as_str().to_owned(),
        };
        let (lines_tx, lines_rx) = mpsc::channel(4096);
        let running = match process::spawn(&process_spec, &lines_tx) {
            Ok(r) => r,
            Err(e) => {
                workspace.remove().await;
                let message = if e.kind() == std::io::ErrorKind::NotFound {
                    format!("`{}` command not found", command.program)
                } else {
                    format!("could not start `{}`: {e}", command.program)
                };
                return failed(message);
            }
        };
        drop(lines_tx);
        self.lock().groups.insert(id.as_str().to_owned(), running.pgid);
        if let Err(e) = self.ports.executions.set_process(id, &display_command, Some(running.pgid)).await {
            log_store(&e, id);
        }
        tracing::info!(execution_id = %id, pgid = running.pgid, command = %display_command, "run started");
        let parser = OutputParser::new(match spec {
            BackendSpec::Builtin(b) => Some(b),
            BackendSpec::Custom(_) => None,
        });
        let (gone_tx, gone_rx) = watch::channel(false);
        let supervise = async {
            let ending = running.supervise(process_spec.timeout, process_spec.grace, stop).await;
            let _ = gone_tx.send(true);
            ending
        };
        let live = LiveAttempt { seq: *seq, base, attempt };
        let collect = self.collect(id, lines_rx, gone_rx, parser, live);
        let (ending, collected) = tokio::join!(supervise, collect);
        self.lock().groups.remove(id.as_str());
        workspace.remove().await;
        *seq = collected.seq;
        let mut outcome = outcome_of(ending, &collected.parser, snapshot.timeout_seconds, clock.now());
        outcome.usage = base.plus(collected.parser.usage());
        if let Some(reason) = collected.budget_stop.filter(|_| outcome.status == ExecutionStatus::BudgetBlocked) {
            outcome.error_message = Some(format!("stopped: {reason}"));
        }
        (outcome, collected.hit)
    }

    /// Numbers, stores (in batches) and publishes every line until both pipes close.
    async fn collect(
        &self,
        id: &ExecutionId,
        mut rx: mpsc::Receiver<(LogStream, String)>,
        mut group_gone: watch::Receiver<bool>,
        mut parser: OutputParser,
        live: LiveAttempt<'_>,
    ) -> Collected {
        let rules = self.ports.orchestration.rules(&live.attempt.scope.backend_id).clone();
        let mut hit: Option<RateLimitHit> = None;
        let mut budget_stop: Option<String> = None;
        let mut seq: i64 = live.seq;
        let mut dropped: i64 = 0;
        let mut batch: Vec<LogLine> = Vec::new();
        let mut usage_changed = false;
        let mut pipes_open = true;
        let mut drain_deadline: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
        let mut gone_at: Option<tokio::time::Instant> = None;
        // Set by a batch's first line: a steady trickle of lines must not postpone the write.
        let mut batch_due: Option<tokio::time::Instant> = None;
        while pipes_open {
            tokio::select! {
                // Lines already received come first: the drain deadline must never win
                // against output that is waiting to be read (it did, after a slow write).
                biased;
                received = rx.recv() => match received {
                    Some((stream, content)) => {
                        // Lines still arriving after the group ended are kept: the drain waits for them.
                        if let (Some(deadline), Some(gone)) = (drain_deadline.as_mut(), gone_at) {
                            let now = tokio::time::Instant::now();
                            deadline.as_mut().reset((now + process::DRAIN_IDLE).min(gone + process::DRAIN_CAP));
                        }
                        if stream == LogStream::Stdout && parser.observe(&content) {
                            usage_changed = true;
                        }
                        match hit.as_mut() {
                            None => hit = rules.scan(&content),
                            Some(found) => found.complete(&content),
                        }
                        if seq >= self.options.max_log_lines {
                            dropped += 1;
                            continue;
                        }
                        seq += 1;
                        batch.push(LogLine { seq, timestamp: self.ports.clock.now(), stream, content });
                        let due = *batch_due.get_or_insert_with(|| tokio::time::Instant::now() + self.options.batch_interval);
                        if batch.len() < self.options.batch_lines && tokio::time::Instant::now() < due {
                            continue;
                        }
                    }
                    None => pipes_open = false,
                },
                () = async { match batch_due { Some(due) => tokio::time::sleep_until(due).await, None => std::future::pending().await } } => {}
                changed = group_gone.changed(), if drain_deadline.is_none() => {
                    // Output may lag the exit a little; processes that escaped the group may never close the pipes.
                    if changed.is_ok() {
                        gone_at = Some(tokio::time::Instant::now());
                        drain_deadline = Some(Box::pin(tokio::time::sleep(process::DRAIN_IDLE)));
                    }
                }
                () = async { match drain_deadline.as_mut() { Some(d) => d.await, None => std::future::pending().await } } => {
                    tracing::warn!(execution_id = %id, "output pipes stayed open after the process group ended; no longer reading them");
                    pipes_open = false;
                }
            }
            self.flush(id, &mut batch).await;
            batch_due = None;
            // Time spent storing is ours, not the process's: the idle drain counts from now.
            if let (Some(deadline), Some(gone)) = (drain_deadline.as_mut(), gone_at) {
                let now = tokio::time::Instant::now();
                deadline.as_mut().reset((now + process::DRAIN_IDLE).min(gone + process::DRAIN_CAP));
            }
            if usage_changed {
                usage_changed = false;
                if let Err(e) = self.ports.executions.set_usage(id, &live.base.plus(parser.usage())).await {
                    log_store(&e, id);
                }
                // A final record's cost is spent already: stopping the exiting CLI would only race its exit.
                if budget_stop.is_none() && !parser.reported_end() {
                    budget_stop = self.over_budget(id, &live.attempt.scope).await;
                }
            }
        }
        if dropped > 0 {
            seq += 1;
            batch.push(LogLine {
                seq,
                timestamp: self.ports.clock.now(),
                stream: LogStream::Stderr,
                content: format!(
                    "[agented] {dropped} further lines were not stored (runner.max_log_lines = {})",
                    self.options.max_log_lines
                ),
            });
            self.flush(id, &mut batch).await;
        }
        Collected { parser, seq, hit, budget_stop }
    }

    /// Checks the budgets covering a running attempt against its live cost;
    /// stops it when a hard limit is reached and returns why.
    async fn over_budget(&self, id: &ExecutionId, scope: &agented_orchestration::RunScope) -> Option<String> {
        let check = match self.ports.orchestration.check_budgets(scope).await {
            Ok(check) => check,
            Err(e) => {
                tracing::warn!(execution_id = %id, error = %e, "budgets could not be checked during a run");
                return None;
            }
        };
        let reason = check.blocking(0.0).first()?.explain();
        tracing::warn!(execution_id = %id, %reason, "stopping a run: a hard budget limit was reached");
        if let Some(tx) = self.lock().stops.get(id.as_str()) {
            let _ = tx.send(Some(StopReason::Budget));
        }
        Some(reason)
    }

    async fn flush(&self, id: &ExecutionId, batch: &mut Vec<LogLine>) {
        if batch.is_empty() {
            return;
        }
        for attempt in 1..=5u64 {
            match self.ports.logs.append(id, batch).await {
                Ok(()) => {
                    self.ports.bus.publish(id, BusEvent::Lines(std::mem::take(batch)));
                    return;
                }
                Err(e) => {
                    tracing::warn!(execution_id = %id, attempt, error = %e, "storing log lines failed; retrying");
                    // Back off before the next attempt: a busy or briefly locked database usually recovers.
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
            }
        }
        tracing::error!(execution_id = %id, lines = batch.len(), "log lines could not be stored and were dropped");
        batch.clear();
    }
}

/// How a claimed run ended this time.
enum RunEnd {
    /// It reached a final status.
    Finished(Outcome),
    /// Its whole chain was rate-limited: it waits for its next attempt.
    Deferred(Deferral),
}

/// What `collect` needs of the attempt it reads.
struct LiveAttempt<'a> {
    /// The last sequence number already used.
    seq: i64,
    /// Usage of earlier attempts of the run.
    base: Usage,
    /// The attempt.
    attempt: &'a Attempt,
}

/// What `collect` read.
struct Collected {
    parser: OutputParser,
    seq: i64,
    hit: Option<RateLimitHit>,
    budget_stop: Option<String>,
}

/// A number in `[0, 1)` that differs between calls, for backoff jitter.
fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    #[allow(clippy::cast_precision_loss, reason = "any 53 bits of randomness will do")]
    let fraction = (random >> 11) as f64 / (1u64 << 53) as f64;
    fraction
}

fn closed(status: ExecutionStatus, message: String, at: chrono::DateTime<chrono::Utc>) -> Outcome {
    Outcome {
        status,
        exit_code: None,
        error_message: Some(message),
        finished_at: at,
        duration_ms: 0,
        usage: Usage::default(),
    }
}

/// A stop asked for between two chain entries.
fn stopped_between(reason: StopReason, at: chrono::DateTime<chrono::Utc>, usage: Usage) -> Outcome {
    let mut outcome = match reason {
        StopReason::Cancelled => closed(ExecutionStatus::Cancelled, "cancelled by a user".into(), at),
        StopReason::Shutdown => closed(ExecutionStatus::Interrupted, crate::recovery::INTERRUPTED.into(), at),
        StopReason::Budget => {
            closed(ExecutionStatus::BudgetBlocked, "stopped: a hard budget limit was reached".into(), at)
        }
    };
    outcome.usage = usage;
    outcome
}

fn log_store(e: &ExecStoreError, id: &ExecutionId) {
    tracing::error!(execution_id = %id, error = %e, "execution storage failed");
}

/// Creates a run's working directory and refuses one inside the data directory
/// (`data_dir` is canonical), however the path is spelled.
async fn prepare_cwd(cwd: &std::path::Path, data_dir: &std::path::Path) -> Result<(), String> {
    let unusable = |e: std::io::Error| format!("working directory {} is not usable: {e}", cwd.display());
    tokio::fs::create_dir_all(cwd).await.map_err(unusable)?;
    if tokio::fs::canonicalize(cwd).await.map_err(unusable)?.starts_with(data_dir) {
        return Err(format!(
            "working directory {} is inside the data directory, which holds the database and secret key; \
             runs may not work there",
            cwd.display()
        ));
    }
    Ok(())
}

fn failed(at: chrono::DateTime<chrono::Utc>, message: String) -> Outcome {
    Outcome {
        status: ExecutionStatus::Failed,
        exit_code: None,
        error_message: Some(message),
        finished_at: at,
        duration_ms: 0,
        usage: Usage::default(),
    }
}

fn interrupted(at: chrono::DateTime<chrono::Utc>) -> Outcome {
    Outcome {
        status: ExecutionStatus::Interrupted,
        exit_code: None,
        error_message: Some(crate::recovery::INTERRUPTED.into()),
        finished_at: at,
        duration_ms: 0,
        usage: Usage::default(),
    }
}

fn outcome_of(
    ending: Ending,
    parser: &OutputParser,
    timeout_seconds: u32,
    at: chrono::DateTime<chrono::Utc>,
) -> Outcome {
    let (status, error_message) = match ending {
        Ending::Exited(_) => match (ending.exit_code(), parser.failure()) {
            (Some(0), None) => (ExecutionStatus::Success, None),
            (_, Some(reported)) => (ExecutionStatus::Failed, Some(reported.to_owned())),
            (Some(code), None) => (ExecutionStatus::Failed, Some(format!("exited with code {code}"))),
            (None, None) => (
                ExecutionStatus::Failed,
                Some(format!("killed by signal {}", ending.signal().map_or_else(|| "?".to_owned(), |s| s.to_string()))),
            ),
        },
        Ending::TimedOut => (ExecutionStatus::Timeout, Some(format!("timed out after {timeout_seconds} s"))),
        Ending::Stopped(StopReason::Cancelled) => (ExecutionStatus::Cancelled, Some("cancelled by a user".into())),
        Ending::Stopped(StopReason::Shutdown) => {
            (ExecutionStatus::Interrupted, Some(crate::recovery::INTERRUPTED.into()))
        }
        // `execute` replaces the message with the budget's own explanation.
        Ending::Stopped(StopReason::Budget) => {
            (ExecutionStatus::BudgetBlocked, Some("stopped: a hard budget limit was reached".into()))
        }
    };
    Outcome {
        status,
        exit_code: ending.exit_code(),
        error_message,
        finished_at: at,
        duration_ms: 0,
        usage: parser.usage(),
    }
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
