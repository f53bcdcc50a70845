//! In-memory fakes of this crate's ports, for unit tests of the services here and
//! in the crates above (feature `fakes`): executions and their log lines, the run
//! queue, run control, a live bus, backends and a CLI probe.

use crate::command::CustomBackend;
use crate::model::Outcome;
use crate::model::{Execution, LogLine};
use crate::ports::{
    AttemptRecord, BackendCatalog, BackendDirectory, BackendEntry, BackendProbe, BackendWriteError, BusEvent, Claim,
    Deferral, Detection, ExecStoreError, ExecutionFilter, ExecutionRepository, InsertError, LogBus, LogStore,
    LogSubscription, NewExecution, QueueError, RunControl, RunQueue,
};
use crate::status::ExecutionStatus;
use crate::usage::Usage;
use agented_kernel::{ExecutionId, Page, TriggerId, WorkerId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::sync::mpsc;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Executions and their log lines in memory.
#[derive(Debug, Default)]
pub struct MemoryExecutions {
    rows: Mutex<Vec<Execution>>,
    lines: Mutex<HashMap<ExecutionId, Vec<LogLine>>>,
    /// Dedup claims by trigger and key, with their expiry.
    claims: Mutex<HashMap<(TriggerId, String), DateTime<Utc>>>,
    /// While set, every call fails as a broken database would.
    pub broken: AtomicBool,
    /// While set, `active_for_trigger` finds nothing, as a read taken just before another
    /// server's insert would: only checks made inside the insert still see the runs.
    pub stale_reads: AtomicBool,
}

impl MemoryExecutions {
    fn check(&self) -> Result<(), ExecStoreError> {
        if self.broken.load(Ordering::SeqCst) {
            Err(ExecStoreError(agented_kernel::Cause::new("the database is down")))
        } else {
            Ok(())
        }
    }

    fn with<T>(&self, id: &ExecutionId, f: impl FnOnce(&mut Execution) -> T) -> Result<Option<T>, ExecStoreError> {
        self.check()?;
        Ok(lock(&self.rows).iter_mut().find(|e| &e.execution_id == id).map(f))
    }

    /// Every execution, oldest first.
    #[must_use]
    pub fn all(&self) -> Vec<Execution> {
        lock(&self.rows).clone()
    }
}

fn set_usage(e: &mut Execution, usage: &Usage) {
    e.input_tokens = usage.input_tokens;
    e.output_tokens = usage.output_tokens;
    e.total_cost_usd = usage.total_cost_usd;
    e.cost_source = usage.cost_source;
}

fn end(e: &mut Execution, outcome: &Outcome) {
    e.status = outcome.status;
    e.exit_code = outcome.exit_code;
    e.error_message.clone_from(&outcome.error_message);
    e.finished_at = Some(outcome.finished_at);
    e.duration_ms = Some(outcome.duration_ms);
    e.pgid = None;
    set_usage(e, &outcome.usage);
}

#[async_trait]
impl ExecutionRepository for MemoryExecutions {
    async fn insert(&self, new: &NewExecution) -> Result<Execution, InsertError> {
        self.check()?;
        if let Some(cap) = new.at_most_active {
            let rows = lock(&self.rows);
            let mut active = rows
                .iter()
                .filter(|e| e.trigger_id == new.trigger_id)
                .filter(|e| matches!(e.status, ExecutionStatus::Queued | ExecutionStatus::Running));
            if let Some(oldest) = active.next()
                && 1 + active.count() >= usize::from(cap)
            {
                return Err(InsertError::Busy(oldest.execution_id.clone()));
            }
        }
        let mut claims = lock(&self.claims);
        let held = |c: &crate::DedupClaim| {
            claims.get(&(new.trigger_id.clone(), c.key.clone())).is_some_and(|expires| *expires > new.queued_at)
        };
        if new.claims.iter().any(held) {
            return Err(InsertError::Duplicate);
        }
        for c in &new.claims {
            claims.insert((new.trigger_id.clone(), c.key.clone()), c.expires_at);
        }
        drop(claims);
        let execution = queued_execution(new);
        lock(&self.rows).push(execution.clone());
        Ok(execution)
    }

    async fn release_claims(&self, trigger: &TriggerId, keys: &[String]) -> Result<(), ExecStoreError> {
        self.check()?;
        let mut claims = lock(&self.claims);
        for key in keys {
            claims.remove(&(trigger.clone(), key.clone()));
        }
        Ok(())
    }

    async fn get(&self, id: &ExecutionId) -> Result<Option<Execution>, ExecStoreError> {
        Ok(self.with(id, |e| e.clone())?)
    }

    async fn list(&self, filter: &ExecutionFilter, page: Page) -> Result<(Vec<Execution>, u64), ExecStoreError> {
        self.check()?;
        let mut matching: Vec<Execution> = lock(&self.rows)
            .iter()
            .filter(|e| filter.trigger_id.as_ref().is_none_or(|t| &e.trigger_id == t))
            .filter(|e| filter.status.is_none_or(|s| e.status == s))
            .filter(|e| filter.since.is_none_or(|s| e.queued_at >= s))
            .filter(|e| filter.until.is_none_or(|u| e.queued_at < u))
            .cloned()
            .collect();
        matching.reverse();
        let total = matching.len() as u64;
        let page = matching.into_iter().skip(page.offset as usize).take(page.limit as usize).collect();
        Ok((page, total))
    }

    async fn claim(
        &self,
        id: &ExecutionId,
        worker: &WorkerId,
        limit: u16,
        at: DateTime<Utc>,
    ) -> Result<Claim, ExecStoreError> {
        self.check()?;
        let mut rows = lock(&self.rows);
        let Some(trigger) = rows
            .iter()
            .find(|e| &e.execution_id == id && e.status == ExecutionStatus::Queued)
            .map(|e| e.trigger_id.clone())
        else {
            return Ok(Claim::Gone);
        };
        let running = rows.iter().filter(|e| e.trigger_id == trigger && e.status == ExecutionStatus::Running).count();
        if running >= usize::from(limit) {
            return Ok(Claim::Busy);
        }
        let Some(e) = rows.iter_mut().find(|e| &e.execution_id == id) else { return Ok(Claim::Gone) };
        e.status = ExecutionStatus::Running;
        e.started_at = Some(at);
        e.worker = Some(worker.clone());
        Ok(Claim::Claimed(Box::new(e.clone())))
    }

    async fn set_process(&self, id: &ExecutionId, command: &str, pgid: Option<i32>) -> Result<(), ExecStoreError> {
        self.with(id, |e| {
            e.command = Some(command.to_owned());
            e.pgid = pgid;
        })?;
        Ok(())
    }

    async fn set_usage(&self, id: &ExecutionId, usage: &Usage) -> Result<(), ExecStoreError> {
        self.with(id, |e| set_usage(e, usage))?;
        Ok(())
    }

    async fn latest_on_github(&self, repository: &str, number: u64) -> Result<Option<Execution>, ExecStoreError> {
        let on = |e: &&Execution| {
            e.snapshot.github.as_ref().is_some_and(|o| o.repository == repository && o.number == Some(number))
        };
        Ok(lock(&self.rows).iter().filter(on).max_by_key(|e| e.queued_at).cloned())
    }

    async fn set_session(&self, id: &ExecutionId, session: &crate::SessionId) -> Result<(), ExecStoreError> {
        self.with(id, |e| e.session_id = Some(session.clone()))?;
        Ok(())
    }

    async fn finish(&self, id: &ExecutionId, outcome: &Outcome) -> Result<bool, ExecStoreError> {
        Ok(self
            .with(id, |e| {
                let open = matches!(e.status, ExecutionStatus::Queued | ExecutionStatus::Running);
                if open {
                    end(e, outcome);
                }
                open
            })?
            .unwrap_or(false))
    }

    async fn finish_if(
        &self,
        id: &ExecutionId,
        from: ExecutionStatus,
        outcome: &Outcome,
    ) -> Result<bool, ExecStoreError> {
        Ok(self
            .with(id, |e| {
                let still = e.status == from;
                if still {
                    end(e, outcome);
                }
                still
            })?
            .unwrap_or(false))
    }

    async fn active_for_trigger(&self, trigger: &TriggerId) -> Result<Vec<Execution>, ExecStoreError> {
        self.check()?;
        if self.stale_reads.load(Ordering::SeqCst) {
            return Ok(Vec::new());
        }
        Ok(lock(&self.rows)
            .iter()
            .filter(|e| &e.trigger_id == trigger)
            .filter(|e| matches!(e.status, ExecutionStatus::Queued | ExecutionStatus::Running))
            .cloned()
            .collect())
    }

    async fn set_attempt(&self, id: &ExecutionId, attempt: &AttemptRecord) -> Result<(), ExecStoreError> {
        self.with(id, |e| {
            e.snapshot.backend_type = attempt.backend_type;
            e.snapshot.backend_id.clone_from(&attempt.backend_id);
            e.account_id.clone_from(&attempt.account_id);
        })?;
        Ok(())
    }

    async fn defer(&self, id: &ExecutionId, deferral: &Deferral) -> Result<bool, ExecStoreError> {
        Ok(self
            .with(id, |e| {
                let running = e.status == ExecutionStatus::Running;
                if running {
                    e.status = ExecutionStatus::RateLimited;
                    e.next_attempt_at = Some(deferral.next_attempt_at);
                    e.rate_limit_attempts = deferral.attempts;
                    e.error_message = Some(deferral.message.clone());
                    e.exit_code = None;
                    e.pgid = None;
                    set_usage(e, &deferral.usage);
                }
                running
            })?
            .unwrap_or(false))
    }

    async fn wake(&self, ids: &[ExecutionId], at: DateTime<Utc>) -> Result<Vec<ExecutionId>, ExecStoreError> {
        self.check()?;
        let mut woken = Vec::new();
        for e in lock(&self.rows).iter_mut() {
            if e.status == ExecutionStatus::RateLimited && ids.contains(&e.execution_id) {
                e.next_attempt_at = Some(at);
                woken.push(e.execution_id.clone());
            }
        }
        Ok(woken)
    }

    async fn requeue_due(&self, now: DateTime<Utc>) -> Result<Vec<ExecutionId>, ExecStoreError> {
        self.check()?;
        let mut due = Vec::new();
        for e in lock(&self.rows).iter_mut() {
            if e.status == ExecutionStatus::RateLimited && e.next_attempt_at.is_some_and(|at| at <= now) {
                e.status = ExecutionStatus::Queued;
                e.next_attempt_at = None;
                due.push(e.execution_id.clone());
            }
        }
        Ok(due)
    }

    async fn with_status(&self, status: ExecutionStatus) -> Result<Vec<Execution>, ExecStoreError> {
        self.check()?;
        Ok(lock(&self.rows).iter().filter(|e| e.status == status).cloned().collect())
    }

    async fn count_by_status(&self) -> Result<Vec<(ExecutionStatus, u64)>, ExecStoreError> {
        self.check()?;
        let rows = lock(&self.rows);
        Ok(ExecutionStatus::ALL
            .into_iter()
            .map(|status| (status, rows.iter().filter(|e| e.status == status).count() as u64))
            .filter(|(_, n)| *n > 0)
            .collect())
    }
}

#[async_trait]
impl LogStore for MemoryExecutions {
    async fn append(&self, id: &ExecutionId, lines: &[LogLine]) -> Result<(), ExecStoreError> {
        self.check()?;
        lock(&self.lines).entry(id.clone()).or_default().extend_from_slice(lines);
        if let Some(last) = lines.last() {
            self.with(id, |e| e.log_lines = e.log_lines.max(last.seq))?;
        }
        Ok(())
    }

    async fn read_after(&self, id: &ExecutionId, after: i64, limit: u32) -> Result<Vec<LogLine>, ExecStoreError> {
        self.check()?;
        let lines = lock(&self.lines);
        Ok(lines
            .get(id)
            .map_or_else(Vec::new, |all| all.iter().filter(|l| l.seq > after).take(limit as usize).cloned().collect()))
    }
}

/// A run queue that remembers what was queued; it refuses jobs while `broken`.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    queued: Mutex<Vec<ExecutionId>>,
    /// While set, every push fails.
    pub broken: AtomicBool,
}

impl MemoryQueue {
    /// The ids queued, in order.
    #[must_use]
    pub fn queued(&self) -> Vec<ExecutionId> {
        lock(&self.queued).clone()
    }
}

#[async_trait]
impl RunQueue for MemoryQueue {
    async fn enqueue(&self, id: &ExecutionId) -> Result<(), QueueError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(QueueError("the queue is down".into()));
        }
        lock(&self.queued).push(id.clone());
        Ok(())
    }

    async fn enqueue_after(&self, id: &ExecutionId, _after: std::time::Duration) -> Result<(), QueueError> {
        self.enqueue(id).await
    }
}

/// Run control that remembers cancels; `live` runs are signalled, others are not in this process.
#[derive(Debug, Default)]
pub struct RecordingControl {
    /// Runs this process supervises.
    pub live: Mutex<Vec<ExecutionId>>,
    /// Cancels asked for.
    pub cancelled: Mutex<Vec<ExecutionId>>,
}

impl RunControl for RecordingControl {
    fn cancel(&self, id: &ExecutionId) -> bool {
        lock(&self.cancelled).push(id.clone());
        lock(&self.live).contains(id)
    }
}

/// A reporter that remembers what it was told: `(execution id, "started" or the end status, answer)`.
#[derive(Debug, Default)]
pub struct RecordingReporter {
    /// Reports, in order.
    pub reports: Mutex<Vec<(ExecutionId, String, String)>>,
}

#[async_trait]
impl crate::RunReporter for RecordingReporter {
    async fn started(&self, execution: &Execution) -> Vec<String> {
        lock(&self.reports).push((execution.execution_id.clone(), "started".into(), String::new()));
        vec!["reported the start".into()]
    }

    async fn finished(&self, execution: &Execution, outcome: &Outcome, answer: &str) -> Vec<String> {
        let status = outcome.status.as_str().to_owned();
        lock(&self.reports).push((execution.execution_id.clone(), status, answer.to_owned()));
        vec!["reported the end".into()]
    }
}

/// A live bus over channels: open runs have subscribers, closing ends their streams.
#[derive(Debug, Default)]
pub struct MemoryBus {
    open: Mutex<HashMap<ExecutionId, Vec<mpsc::UnboundedSender<BusEvent>>>>,
}

struct Subscription(mpsc::UnboundedReceiver<BusEvent>);

#[async_trait]
impl LogSubscription for Subscription {
    async fn next(&mut self) -> Option<BusEvent> {
        self.0.recv().await
    }
}

impl LogBus for MemoryBus {
    fn open(&self, id: &ExecutionId) {
        lock(&self.open).entry(id.clone()).or_default();
    }

    fn publish(&self, id: &ExecutionId, event: BusEvent) {
        if let Some(subscribers) = lock(&self.open).get_mut(id) {
            subscribers.retain(|tx| tx.send(event.clone()).is_ok());
        }
    }

    fn close(&self, id: &ExecutionId) {
        lock(&self.open).remove(id);
    }

    fn subscribe(&self, id: &ExecutionId) -> Option<Box<dyn LogSubscription>> {
        let mut open = lock(&self.open);
        let subscribers = open.get_mut(id)?;
        let (tx, rx) = mpsc::unbounded_channel();
        subscribers.push(tx);
        Some(Box::new(Subscription(rx)))
    }
}

/// Backends in memory: the entries given, plus custom ones added.
#[derive(Debug, Default)]
pub struct MemoryBackends {
    entries: Mutex<Vec<BackendEntry>>,
}

impl MemoryBackends {
    /// A directory holding `entries`.
    #[must_use]
    pub fn with(entries: Vec<BackendEntry>) -> Self {
        Self { entries: Mutex::new(entries) }
    }
}

#[async_trait]
impl BackendCatalog for MemoryBackends {
    async fn custom(&self, id: &str) -> Result<Option<CustomBackend>, ExecStoreError> {
        Ok(lock(&self.entries).iter().find(|e| e.id == id).and_then(|e| e.custom.clone()))
    }
}

#[async_trait]
impl BackendDirectory for MemoryBackends {
    async fn list(&self) -> Result<Vec<BackendEntry>, ExecStoreError> {
        Ok(lock(&self.entries).clone())
    }

    async fn get(&self, id: &str) -> Result<Option<BackendEntry>, ExecStoreError> {
        Ok(lock(&self.entries).iter().find(|e| e.id == id).cloned())
    }

    async fn insert_custom(
        &self,
        custom: &CustomBackend,
        at: DateTime<Utc>,
    ) -> Result<BackendEntry, BackendWriteError> {
        let mut entries = lock(&self.entries);
        if entries.iter().any(|e| e.name == custom.name || e.id == custom.id) {
            return Err(BackendWriteError::DuplicateName(custom.name.clone()));
        }
        let entry = BackendEntry {
            id: custom.id.clone(),
            name: custom.name.clone(),
            backend_type: "custom".into(),
            command: custom.command.clone(),
            description: String::new(),
            is_builtin: false,
            custom: Some(custom.clone()),
            created_at: at,
        };
        entries.push(entry.clone());
        Ok(entry)
    }

    async fn delete_custom(&self, id: &str) -> Result<(), BackendWriteError> {
        let mut entries = lock(&self.entries);
        match entries.iter().position(|e| e.id == id) {
            Some(i) if entries[i].is_builtin => Err(BackendWriteError::Builtin),
            Some(i) => {
                entries.remove(i);
                Ok(())
            }
            None => Err(BackendWriteError::NotFound),
        }
    }
}

/// A probe that finds exactly the commands named, and counts fresh probes.
#[derive(Debug, Default)]
pub struct FixedProbe {
    /// Commands "installed", with their version.
    pub installed: HashMap<String, String>,
    /// Fresh probes asked for.
    pub probes: Mutex<Vec<String>>,
    /// When every detection happened.
    pub at: DateTime<Utc>,
}

impl FixedProbe {
    fn detect(&self, command: &str) -> Detection {
        let version = self.installed.get(command).cloned();
        Detection {
            is_installed: version.is_some(),
            path: version.as_ref().map(|_| format!("/usr/bin/{command}")),
            version,
            checked_at: self.at,
        }
    }
}

#[async_trait]
impl BackendProbe for FixedProbe {
    async fn detection(&self, command: &str) -> Detection {
        self.detect(command)
    }

    async fn redetect(&self, command: &str) -> Detection {
        lock(&self.probes).push(command.to_owned());
        self.detect(command)
    }
}

/// The execution `new` becomes when it is queued.
#[must_use]
pub fn queued_execution(new: &NewExecution) -> Execution {
    Execution {
        execution_id: new.execution_id.clone(),
        trigger_id: new.trigger_id.clone(),
        trigger_type: new.trigger_type,
        status: ExecutionStatus::Queued,
        queued_at: new.queued_at,
        started_at: None,
        finished_at: None,
        duration_ms: None,
        snapshot: new.snapshot.clone(),
        message: new.message.clone(),
        command: None,
        exit_code: None,
        error_message: None,
        input_tokens: None,
        output_tokens: None,
        total_cost_usd: None,
        cost_source: None,
        account_id: None,
        pgid: None,
        retry_of: new.retry_of.clone(),
        log_lines: 0,
        next_attempt_at: None,
        rate_limit_attempts: 0,
        worker: None,
        session_id: None,
    }
}

/// A manual run of `trigger` on `backend` with `chain`, queued at `at`, for tests.
#[must_use]
pub fn new_execution(
    trigger: &TriggerId,
    at: DateTime<Utc>,
    backend: agented_kernel::BackendType,
    chain: Vec<agented_triggers::FallbackEntry>,
) -> NewExecution {
    NewExecution {
        execution_id: ExecutionId::generate(trigger, at),
        trigger_id: trigger.clone(),
        trigger_type: crate::model::TriggerType::Manual,
        snapshot: crate::model::RunSnapshot {
            prompt: "hi".into(),
            backend_type: backend,
            backend_id: None,
            model: None,
            allowed_tools: None,
            local_paths: Vec::new(),
            repositories: Vec::new(),
            timeout_seconds: 600,
            sigterm_grace_seconds: 10,
            stall_timeout_seconds: None,
            inputs: Vec::new(),
            chain,
            github: None,
            resume: None,
            setup: None,
            tooling: crate::tooling::RunTooling::default(),
        },
        message: None,
        retry_of: None,
        queued_at: at,
        claims: Vec::new(),
        at_most_active: None,
    }
}

/// The worker registry in memory.
#[derive(Debug, Default)]
pub struct MemoryWorkers {
    rows: Mutex<Vec<crate::workers::WorkerRecord>>,
}

#[async_trait]
impl crate::workers::WorkerRegistry for MemoryWorkers {
    async fn register(&self, worker: &crate::workers::WorkerRecord) -> Result<(), ExecStoreError> {
        let mut rows = lock(&self.rows);
        if rows.iter().any(|w| w.id == worker.id) {
            return Err(ExecStoreError(agented_kernel::Cause::new("worker id in use")));
        }
        rows.push(worker.clone());
        Ok(())
    }

    async fn beat(&self, id: &WorkerId, running: u32, at: DateTime<Utc>) -> Result<bool, ExecStoreError> {
        let mut rows = lock(&self.rows);
        let Some(w) = rows.iter_mut().find(|w| &w.id == id && w.stopped_at.is_none() && w.lost_at.is_none()) else {
            return Ok(false);
        };
        w.running = running;
        w.heartbeat_at = at;
        Ok(true)
    }

    async fn stop(&self, id: &WorkerId, at: DateTime<Utc>) -> Result<(), ExecStoreError> {
        if let Some(w) = lock(&self.rows).iter_mut().find(|w| &w.id == id) {
            w.stopped_at.get_or_insert(at);
            w.running = 0;
        }
        Ok(())
    }

    async fn mark_lost(&self, id: &WorkerId, at: DateTime<Utc>) -> Result<bool, ExecStoreError> {
        let mut rows = lock(&self.rows);
        let Some(w) = rows.iter_mut().find(|w| &w.id == id && w.stopped_at.is_none() && w.lost_at.is_none()) else {
            return Ok(false);
        };
        w.lost_at = Some(at);
        Ok(true)
    }

    async fn list(&self) -> Result<Vec<crate::workers::WorkerRecord>, ExecStoreError> {
        let mut rows = lock(&self.rows).clone();
        rows.sort_by_key(|w| std::cmp::Reverse(w.started_at));
        Ok(rows)
    }
}

/// A [`crate::WorkflowStarter`] that records each start (trigger, mode, input, claim keys)
/// and keeps the claims' contract: a key held by an earlier start of the trigger is a
/// duplicate, and nothing is recorded.
#[derive(Debug, Default)]
pub struct RecordingStarter {
    /// Each start.
    pub started: Mutex<Vec<StartedWorkflow>>,
}

/// One start a [`RecordingStarter`] recorded: the trigger, the mode's name, the input, the claim keys.
pub type StartedWorkflow = (TriggerId, String, serde_json::Value, Vec<String>);

#[async_trait]
impl crate::WorkflowStarter for RecordingStarter {
    async fn start_workflow(
        &self,
        trigger: &TriggerId,
        mode: &agented_triggers::ExecutionMode,
        input: serde_json::Value,
        claims: &[crate::DedupClaim],
    ) -> Result<crate::WorkflowStarted, crate::StartError> {
        let mut started = self.started.lock().unwrap_or_else(PoisonError::into_inner);
        let held = |key: &str| started.iter().any(|(t, _, _, keys)| t == trigger && keys.iter().any(|k| k == key));
        if claims.iter().any(|c| held(&c.key)) {
            return Err(crate::StartError::Duplicate);
        }
        let workflow = match mode {
            agented_triggers::ExecutionMode::Workflow(id) => id.clone(),
            _ => agented_kernel::WorkflowId::generate(),
        };
        let keys = claims.iter().map(|c| c.key.clone()).collect();
        started.push((trigger.clone(), mode.name().to_owned(), input, keys));
        Ok(crate::WorkflowStarted { run: agented_kernel::WorkflowRunId::generate(), workflow })
    }
}

/// Tracked pull requests in memory.
#[derive(Debug, Default)]
pub struct MemoryPrReviews {
    rows: Mutex<Vec<crate::pr_reviews::PrReview>>,
}

#[async_trait]
impl crate::pr_reviews::PrReviewRepository for MemoryPrReviews {
    async fn list(
        &self,
        filter: &crate::pr_reviews::PrReviewFilter,
        page: Page,
    ) -> Result<(Vec<crate::pr_reviews::PrReview>, u64), ExecStoreError> {
        let mut found: Vec<_> = lock(&self.rows)
            .iter()
            .filter(|r| filter.pr_status.is_none_or(|s| r.pr_status == s))
            .filter(|r| filter.review_status.is_none_or(|s| r.review_status == s))
            .filter(|r| filter.trigger_id.as_ref().is_none_or(|t| &r.trigger_id == t))
            .cloned()
            .collect();
        found.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(b.id.cmp(&a.id)));
        let total = found.len() as u64;
        Ok((found.into_iter().skip(page.offset as usize).take(page.limit as usize).collect(), total))
    }

    async fn all(&self) -> Result<Vec<crate::pr_reviews::PrReview>, ExecStoreError> {
        Ok(lock(&self.rows).clone())
    }

    async fn get(&self, id: i64) -> Result<Option<crate::pr_reviews::PrReview>, ExecStoreError> {
        Ok(lock(&self.rows).iter().find(|r| r.id == id).cloned())
    }

    async fn of_pull(&self, project: &str, number: i64) -> Result<Vec<crate::pr_reviews::PrReview>, ExecStoreError> {
        Ok(lock(&self.rows).iter().filter(|r| r.project_name == project && r.pr_number == number).cloned().collect())
    }

    async fn insert(
        &self,
        review: &crate::pr_reviews::PrReview,
    ) -> Result<(crate::pr_reviews::PrReview, bool), ExecStoreError> {
        let mut rows = lock(&self.rows);
        let same = |r: &&crate::pr_reviews::PrReview| {
            r.trigger_id == review.trigger_id
                && r.project_name == review.project_name
                && r.pr_number == review.pr_number
        };
        if let Some(existing) = rows.iter().find(same) {
            return Ok((existing.clone(), false));
        }
        let stored =
            crate::pr_reviews::PrReview { id: rows.iter().map(|r| r.id).max().unwrap_or(0) + 1, ..review.clone() };
        rows.push(stored.clone());
        Ok((stored, true))
    }

    async fn update(
        &self,
        review: &crate::pr_reviews::PrReview,
        expected: DateTime<Utc>,
    ) -> Result<bool, ExecStoreError> {
        let mut rows = lock(&self.rows);
        let Some(row) = rows.iter_mut().find(|r| r.id == review.id && r.updated_at == expected) else {
            return Ok(false);
        };
        *row = review.clone();
        Ok(true)
    }

    async fn delete(&self, id: i64) -> Result<bool, ExecStoreError> {
        let mut rows = lock(&self.rows);
        let before = rows.len();
        rows.retain(|r| r.id != id);
        Ok(rows.len() < before)
    }
}
