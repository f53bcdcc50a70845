//! One claimed execution through its fallback chain: the runner gathers each
//! entry's facts, does what `ChainRun` decides, and writes its decisions into
//! the run's log.

use crate::attempt::AttemptResult;
use crate::outcome;
use crate::process::StopReason;
use crate::runner::Runner;
use agented_executions::{Deferral, Execution, ExecutionStatus, Outcome, Usage};
use agented_orchestration::{AttemptEnd, ChainStep};
use tokio::sync::watch;

/// How a claimed run ended this time.
pub enum RunEnd {
    /// It reached a final status.
    Finished(Outcome),
    /// Its whole chain was rate-limited: it waits for its next attempt.
    Deferred(Deferral),
}

impl Runner {
    /// Goes through the run's chain as `ChainRun` decides.
    pub(crate) async fn through_chain(
        &self,
        execution: &Execution,
        stop: watch::Receiver<Option<StopReason>>,
    ) -> RunEnd {
        let id = &execution.execution_id;
        let orchestration = &self.ports.orchestration;
        let clock = &self.ports.clock;
        let mut chain = match orchestration.chain_run(&execution.snapshot, execution.rate_limit_attempts).await {
            Ok(chain) => chain,
            Err(e) => return RunEnd::Finished(outcome::failed(clock.now(), e.to_string(), Usage::default())),
        };
        let mut seq = execution.log_lines;
        let mut usage = execution.usage();
        loop {
            let facts = match chain.upcoming() {
                Some(entry) => {
                    if let Some(reason) = *stop.borrow() {
                        return RunEnd::Finished(outcome::stopped_between(reason, clock.now(), usage));
                    }
                    match orchestration.entry_facts(id.as_str(), execution.trigger_id.as_str(), entry).await {
                        Ok(facts) => Some(facts),
                        Err(e) => {
                            return RunEnd::Finished(outcome::failed(clock.now(), e.to_string(), Usage::default()));
                        }
                    }
                }
                None => None,
            };
            match chain.next(facts, clock.now(), outcome::jitter()) {
                ChainStep::Skip { note } => self.note(id, &mut seq, &note).await,
                ChainStep::Run { attempt, note } => {
                    if let Some(note) = note {
                        self.note(id, &mut seq, &note).await;
                    }
                    let AttemptResult { outcome, hit } =
                        self.attempt(execution, &attempt, stop.clone(), &mut seq, usage).await;
                    usage = outcome.usage;
                    // The run's final cost may take a budget past its soft limit: warn now, not at the next run.
                    if let Err(e) = orchestration.check_budgets(&attempt.scope, Some(id.as_str())).await {
                        tracing::warn!(execution_id = %id, error = %e, "budgets could not be checked after a run");
                    }
                    let end = match hit {
                        Some(hit) if outcome.status == ExecutionStatus::Failed => {
                            match orchestration.record_rate_limit(&attempt, &hit).await {
                                Ok(until) => AttemptEnd::RateLimited { until, pattern: hit.pattern },
                                Err(e) => {
                                    return RunEnd::Finished(outcome::failed(
                                        clock.now(),
                                        e.to_string(),
                                        Usage::default(),
                                    ));
                                }
                            }
                        }
                        _ => AttemptEnd::Done,
                    };
                    match chain.on_attempt_end(&end) {
                        Some(note) => self.note(id, &mut seq, &note).await,
                        None => return RunEnd::Finished(outcome),
                    }
                }
                ChainStep::Defer { at, attempts, message } => {
                    self.note(id, &mut seq, &message).await;
                    return RunEnd::Deferred(Deferral { next_attempt_at: at, attempts, message, usage });
                }
                ChainStep::Finish { end, message, note } => {
                    if let Some(note) = note {
                        self.note(id, &mut seq, &note).await;
                    }
                    return RunEnd::Finished(outcome::chain_end(end, message, clock.now(), usage));
                }
            }
        }
    }
}
