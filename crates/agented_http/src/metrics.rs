//! This process's figures in the Prometheus text format (`GET /metrics`).
//!
//! Counters and the run-duration histogram are kept as things happen (webhook
//! answers here, log lines and finished runs by the server's wiring); figures that
//! are a state of the store or of the process (runs by status, queue depth, open
//! streams, runs in progress) are read at each scrape, so they are never stale.

use agented_executions::ExecutionStatus;
use agented_kernel::ReadinessReport;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;

/// The Prometheus text format's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabel {
    source: &'static str,
    outcome: &'static str,
}

type HistogramFamily = Family<StatusLabel, Histogram, fn() -> Histogram>;

/// Run durations from 1 s to about 9 h, doubling.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 2.0, 16))
}

/// Where a webhook delivery came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookSource {
    /// `POST /`.
    Generic,
    /// `POST /api/webhooks/github`.
    Github,
}

/// What a webhook delivery got as its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// At least one run started.
    Started,
    /// Every matching trigger had already run for it.
    Duplicate,
    /// It matched triggers that did not run (their reasons are in the answer).
    Skipped,
    /// No trigger matched.
    NotMatched,
    /// A challenge or a ping was answered.
    Handshake,
    /// Refused with a 4xx (bad body, bad signature, too large, too many).
    Refused,
    /// A 5xx: nothing was started, the sender should try again.
    Failed,
}

impl WebhookOutcome {
    const ALL: [Self; 7] =
        [Self::Started, Self::Duplicate, Self::Skipped, Self::NotMatched, Self::Handshake, Self::Refused, Self::Failed];

    const fn as_str(self) -> &'static str {
        match self {
            Self::Started => "started",
            Self::Duplicate => "duplicate",
            Self::Skipped => "skipped",
            Self::NotMatched => "not_matched",
            Self::Handshake => "handshake",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }
}

/// The figures read at a scrape.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Stored executions by status.
    pub runs: Vec<(ExecutionStatus, u64)>,
    /// The parts' readiness figures (queue depth and wait, runs in progress).
    pub readiness: Option<ReadinessReport>,
    /// Live streams open on this server.
    pub open_streams: usize,
}

/// The registry and the figures kept as things happen. Cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    runs: Family<StatusLabel, Gauge>,
    run_seconds: HistogramFamily,
    log_lines: Counter,
    /// Each source's counter of each outcome, made once: counting a delivery is one atomic add.
    webhooks: [[Counter; 7]; 2],
    queue_depth: Gauge,
    queue_oldest_seconds: Gauge,
    open_streams: Gauge,
    worker_capacity: Gauge,
    worker_running: Gauge,
    ready: Family<PartLabel, Gauge>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PartLabel {
    part: &'static str,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(0)
    }
}

impl Metrics {
    /// Figures of a process that runs at most `capacity` runs at once (0: it runs none).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        let mut registry = Registry::with_prefix("agented");
        let deliveries = Family::<DeliveryLabel, Counter>::default();
        // A clone of a counter shares its atomic: the family shows what these count.
        let webhooks = ["generic", "github"].map(|source| {
            WebhookOutcome::ALL
                .map(|o| deliveries.get_or_create(&DeliveryLabel { source, outcome: o.as_str() }).clone())
        });
        let metrics = Self {
            registry: Arc::default(),
            runs: Family::default(),
            run_seconds: Family::new_with_constructor(duration_histogram),
            log_lines: Counter::default(),
            webhooks,
            queue_depth: Gauge::default(),
            queue_oldest_seconds: Gauge::default(),
            open_streams: Gauge::default(),
            worker_capacity: Gauge::default(),
            worker_running: Gauge::default(),
            ready: Family::default(),
        };
        registry.register("runs", "Stored executions by status", metrics.runs.clone());
        registry.register(
            "run_duration_seconds",
            "Duration of runs this process finished, by final status",
            metrics.run_seconds.clone(),
        );
        registry.register("log_lines", "Log lines stored and published by this process", metrics.log_lines.clone());
        registry.register("webhook_deliveries", "Webhook deliveries by source and outcome", deliveries);
        registry.register("queue_depth", "Due jobs in the run queue not yet picked up", metrics.queue_depth.clone());
        registry.register(
            "queue_oldest_pending_seconds",
            "How long the oldest due job has waited",
            metrics.queue_oldest_seconds.clone(),
        );
        registry.register("open_streams", "Live streams open on this server", metrics.open_streams.clone());
        registry.register(
            "worker_capacity",
            "Runs this process's worker runs at once (runner.max_parallel_runs)",
            metrics.worker_capacity.clone(),
        );
        registry.register("worker_running", "Runs in progress in this process", metrics.worker_running.clone());
        registry.register("ready", "1 when the part can do its work (database, queue, runner)", metrics.ready.clone());
        metrics.worker_capacity.set(i64::try_from(capacity).unwrap_or(i64::MAX));
        Self { registry: Arc::new(registry), ..metrics }
    }

    /// Counts a delivery's answer.
    pub fn count_webhook(&self, source: WebhookSource, outcome: WebhookOutcome) {
        self.webhooks[source as usize][outcome as usize].inc();
    }

    /// Counts `n` log lines stored and published.
    pub fn count_log_lines(&self, n: usize) {
        self.log_lines.inc_by(n as u64);
    }

    /// Records a finished run's duration.
    pub fn observe_run(&self, status: ExecutionStatus, seconds: f64) {
        self.run_seconds.get_or_create(&StatusLabel { status: status.as_str() }).observe(seconds);
    }

    /// The text exposition, with the scrape-time figures of `snapshot`.
    #[must_use]
    pub fn render(&self, snapshot: &Snapshot) -> String {
        for (status, n) in &snapshot.runs {
            self.runs.get_or_create(&StatusLabel { status: status.as_str() }).set(clamp(*n));
        }
        self.open_streams.set(clamp(snapshot.open_streams as u64));
        for (part, state) in snapshot.readiness.iter().flat_map(|r| &r.parts) {
            self.ready.get_or_create(&PartLabel { part }).set(i64::from(state.ok));
            for (name, value) in &state.figures {
                let gauge = match *name {
                    "pending_jobs" => &self.queue_depth,
                    "oldest_pending_seconds" => &self.queue_oldest_seconds,
                    "running" => &self.worker_running,
                    _ => continue,
                };
                gauge.set(*value);
            }
        }
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "could not encode the metrics");
        }
        out
    }
}

fn clamp(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use agented_kernel::ComponentState;

    #[test]
    fn scrape_figures_and_kept_counts_are_both_rendered() {
        let metrics = Metrics::new(4);
        metrics.count_webhook(WebhookSource::Generic, WebhookOutcome::Started);
        metrics.count_webhook(WebhookSource::Generic, WebhookOutcome::Started);
        metrics.count_log_lines(3);
        metrics.observe_run(ExecutionStatus::Success, 1.5);
        let readiness = ReadinessReport {
            parts: vec![(
                "queue",
                ComponentState {
                    ok: true,
                    error: None,
                    figures: vec![("pending_jobs", 7), ("oldest_pending_seconds", 2)],
                },
            )],
        };
        let text = metrics.render(&Snapshot {
            runs: vec![(ExecutionStatus::Queued, 7)],
            readiness: Some(readiness),
            open_streams: 2,
        });
        for line in [
            "agented_webhook_deliveries_total{source=\"generic\",outcome=\"started\"} 2",
            "agented_log_lines_total 3",
            "agented_runs{status=\"queued\"} 7",
            "agented_queue_depth 7",
            "agented_queue_oldest_pending_seconds 2",
            "agented_open_streams 2",
            "agented_worker_capacity 4",
            "agented_ready{part=\"queue\"} 1",
            "agented_run_duration_seconds_bucket{le=\"2.0\",status=\"success\"} 1",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line:?} in\n{text}");
        }
    }
}
