//! Feeds `/metrics` from the run side: log lines as the writer publishes them, and
//! each finished run's duration as its final status is stored.

use agented_executions::{BusEvent, Change, ExecutionService, LogBus, LogSubscription};
use agented_http::metrics::Metrics;
use agented_kernel::ExecutionId;
use std::sync::Arc;

/// A log bus that counts the lines published through it.
pub struct CountingBus {
    inner: Arc<dyn LogBus>,
    metrics: Metrics,
}

impl CountingBus {
    /// Counts into `metrics` what goes through `inner`.
    #[must_use]
    pub fn new(inner: Arc<dyn LogBus>, metrics: Metrics) -> Self {
        Self { inner, metrics }
    }
}

impl LogBus for CountingBus {
    fn open(&self, id: &ExecutionId) {
        self.inner.open(id);
    }

    fn publish(&self, id: &ExecutionId, event: BusEvent) {
        if let BusEvent::Lines(lines) = &event {
            self.metrics.count_log_lines(lines.len());
        }
        self.inner.publish(id, event);
    }

    fn close(&self, id: &ExecutionId) {
        self.inner.close(id);
    }

    fn subscribe(&self, id: &ExecutionId) -> Option<Box<dyn LogSubscription>> {
        self.inner.subscribe(id)
    }
}

/// Observes the duration of every run that ends in this process, until the task is aborted.
pub fn watch_durations(executions: ExecutionService, metrics: Metrics) -> tokio::task::JoinHandle<()> {
    let mut changes = executions.changes();
    tokio::spawn(async move {
        while let Some(change) = changes.next().await {
            let Change::Execution(change) = change else { continue };
            if !change.status.is_terminal() {
                continue;
            }
            match executions.get(change.execution_id.as_str()).await {
                Ok(run) => {
                    if let Some(ms) = run.duration_ms {
                        metrics.observe_run(run.status, ms as f64 / 1000.0);
                    }
                }
                Err(e) => tracing::debug!(error = %e, "a finished run could not be read for its duration"),
            }
        }
    })
}
