//! Reads one attempt's output until both pipes close: numbers each line and
//! hands it to the group-commit writer (which stores, then publishes it),
//! follows usage and rate limits in the output, and stops the attempt when its
//! live cost reaches a hard budget.

use crate::process::{self, StopReason};
use crate::runner::{Runner, log_store};
use crate::writer::RunLog;
use agented_executions::{LogLine, LogStream, OutputParser, Usage};
use agented_kernel::ExecutionId;
use agented_orchestration::{Attempt, RateLimitHit, RateLimitRules};
use std::pin::Pin;
use tokio::sync::{mpsc, watch};
use tokio::time::{Instant, Sleep};

/// What the collector read.
pub struct Collected {
    /// The output's usage and reported failure.
    pub parser: OutputParser,
    /// The last sequence number used.
    pub seq: i64,
    /// The rate limit the output showed, if any.
    pub hit: Option<RateLimitHit>,
    /// Why the attempt was stopped for its budget, if it was.
    pub budget_stop: Option<String>,
}

/// The state of one attempt's output while it is read.
pub struct LogCollector<'a> {
    runner: &'a Runner,
    id: &'a ExecutionId,
    attempt: &'a Attempt,
    /// Usage of the run's earlier attempts.
    base: Usage,
    rules: RateLimitRules,
    parser: OutputParser,
    hit: Option<RateLimitHit>,
    budget_stop: Option<String>,
    seq: i64,
    /// Lines past `runner.max_log_lines`: counted, not stored.
    dropped: i64,
    log: RunLog,
    usage_changed: bool,
    /// When the process group ended, and the deadline for output still arriving after it.
    drain: Option<(Instant, Pin<Box<Sleep>>)>,
}

impl<'a> LogCollector<'a> {
    /// A collector for `attempt` of `id` whose lines follow `seq`.
    pub fn new(
        runner: &'a Runner,
        id: &'a ExecutionId,
        attempt: &'a Attempt,
        parser: OutputParser,
        seq: i64,
        base: Usage,
    ) -> Self {
        Self {
            runner,
            id,
            attempt,
            base,
            rules: runner.ports.orchestration.rules(&attempt.scope.backend_id).clone(),
            parser,
            hit: None,
            budget_stop: None,
            log: runner.writer.open(id, seq),
            seq,
            dropped: 0,
            usage_changed: false,
            drain: None,
        }
    }

    /// Reads until both pipes close (or stay open too long after the group ended).
    pub async fn run(
        mut self,
        mut rx: mpsc::Receiver<(LogStream, String)>,
        mut group_gone: watch::Receiver<bool>,
    ) -> Collected {
        loop {
            tokio::select! {
                // Lines already received come first: the drain deadline must never win
                // against output that is waiting to be read (it did, after a slow write).
                biased;
                received = rx.recv() => match received {
                    Some((stream, content)) => self.take(stream, content).await,
                    None => break,
                },
                changed = group_gone.changed(), if self.drain.is_none() => {
                    // Output may lag the exit a little; processes that escaped the group may never close the pipes.
                    if changed.is_ok() {
                        self.drain = Some((Instant::now(), Box::pin(tokio::time::sleep(process::DRAIN_IDLE))));
                    }
                }
                () = drain_deadline(&mut self.drain) => {
                    tracing::warn!(execution_id = %self.id, "output pipes stayed open after the process group ended; no longer reading them");
                    break;
                }
            }
            self.after_wake().await;
        }
        self.after_wake().await;
        if self.dropped > 0 {
            let note = format!(
                "[agented] {} further lines were not stored (runner.max_log_lines = {})",
                self.dropped, self.runner.options.max_log_lines
            );
            self.push(LogStream::Stderr, note).await;
        }
        self.log.flushed().await;
        Collected { parser: self.parser, seq: self.seq, hit: self.hit, budget_stop: self.budget_stop }
    }

    /// Takes one line.
    async fn take(&mut self, stream: LogStream, content: String) {
        // Lines still arriving after the group ended are kept: the drain waits for them.
        self.extend_drain();
        if stream == LogStream::Stdout {
            self.usage_changed |= self.parser.observe(&content);
        }
        match self.hit.as_mut() {
            None => self.hit = self.rules.scan(&content),
            Some(found) => found.complete(&content),
        }
        if self.seq >= self.runner.options.max_log_lines {
            self.dropped += 1;
            return;
        }
        self.push(stream, content).await;
    }

    async fn push(&mut self, stream: LogStream, content: String) {
        self.seq += 1;
        self.log.push(LogLine { seq: self.seq, timestamp: self.runner.ports.clock.now(), stream, content }).await;
    }

    fn extend_drain(&mut self) {
        if let Some((gone, deadline)) = self.drain.as_mut() {
            let now = Instant::now();
            deadline.as_mut().reset((now + process::DRAIN_IDLE).min(*gone + process::DRAIN_CAP));
        }
    }

    /// Stores usage and checks budgets when the output reported new usage.
    async fn after_wake(&mut self) {
        // Time spent waiting for room in the writer is ours, not the process's: the idle drain counts from now.
        self.extend_drain();
        if !self.usage_changed {
            return;
        }
        self.usage_changed = false;
        let usage = self.base.plus(self.parser.usage());
        if let Err(e) = self.runner.ports.executions.set_usage(self.id, &usage).await {
            log_store(&e, self.id);
        }
        // A final record's cost is spent already: stopping the exiting CLI would only race its exit.
        if self.budget_stop.is_none() && !self.parser.reported_end() {
            self.budget_stop = self.over_budget().await;
        }
    }

    /// Checks the budgets covering the attempt against its live cost; stops it when what
    /// was spent reached a hard limit (other runs' reservations stop no one) and returns why.
    async fn over_budget(&self) -> Option<String> {
        let check =
            match self.runner.ports.orchestration.check_budgets(&self.attempt.scope, Some(self.id.as_str())).await {
                Ok(check) => check,
                Err(e) => {
                    tracing::warn!(execution_id = %self.id, error = %e, "budgets could not be checked during a run");
                    return None;
                }
            };
        let reason = check.exhausted().first()?.refusal();
        tracing::warn!(execution_id = %self.id, %reason, "stopping a run: a hard budget limit was reached");
        self.runner.stop(self.id, StopReason::Budget);
        Some(reason)
    }
}

async fn drain_deadline(drain: &mut Option<(Instant, Pin<Box<Sleep>>)>) {
    match drain.as_mut() {
        Some((_, deadline)) => deadline.await,
        None => std::future::pending().await,
    }
}
