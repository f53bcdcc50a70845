//! `Ticker`: the server's timed background loops (the scheduler, rate-limited
//! requeues, planning, dedup pruning) in one shape: every period, one pass; a
//! failed pass is logged and the next tick tries again; a late tick is delayed,
//! never bunched; dropping the ticker stops the loop.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;
use tokio::task::JoinHandle;

/// A loop running `pass` every `period` until dropped.
#[derive(Debug)]
pub struct Ticker {
    task: JoinHandle<()>,
}

impl Ticker {
    /// Starts a loop named `what` (for its log lines) that runs `pass` now and every `period` after.
    pub fn start<F, Fut, E>(what: &'static str, period: Duration, mut pass: F) -> Self
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), E>> + Send,
        E: Display,
    {
        let task = tokio::spawn(async move {
            let mut every = tokio::time::interval(period);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                if let Err(e) = pass().await {
                    tracing::warn!(error = %e, task = what, retry_in_ms = period.as_millis(), "a background pass failed; the next tick tries again");
                }
            }
        });
        Self { task }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::Ticker;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn a_failed_pass_does_not_stop_the_loop_and_dropping_the_ticker_does() {
        let passes = Arc::new(AtomicU32::new(0));
        let counted = passes.clone();
        let ticker = Ticker::start("test", Duration::from_secs(1), move || {
            let n = counted.fetch_add(1, Ordering::SeqCst);
            async move { if n == 1 { Err("the database is locked") } else { Ok(()) } }
        });
        // Paused time: each sleep lets exactly the due ticks run.
        tokio::time::sleep(Duration::from_millis(3500)).await;
        assert_eq!(passes.load(Ordering::SeqCst), 4, "now, then at 1 s (failed), 2 s and 3 s");
        drop(ticker);
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert_eq!(passes.load(Ordering::SeqCst), 4, "no pass after the drop");
    }
}
