//! The delivery inspector's records, written behind the answer: a
//! [`DeliveryLog`] in front of another whose `record` only queues, while one
//! task writes whatever has queued in one call as soon as its previous write
//! ends. A webhook's answer therefore never waits on the inspector, and a
//! reader (`recent`) first waits for what was queued before it, so it reads
//! its own writes. The inspector is a debugging aid: past
//! [`MAX_QUEUED`] waiting records, new ones are dropped and counted.

use agented_kernel::TriggerId;
use agented_triggers::{DeliveryLog, DeliveryRecord, TriggerStoreError};
use async_trait::async_trait;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::{Notify, watch};

/// Records waiting for a write at most.
pub const MAX_QUEUED: usize = 10_000;

#[derive(Default)]
struct Queue {
    records: Vec<DeliveryRecord>,
    keep: usize,
    /// Records queued so far (the number of the last one).
    queued: u64,
    dropped: u64,
}

struct Inner {
    queue: Mutex<Queue>,
    wake: Notify,
    /// The number of the last record written (or given up).
    written: watch::Sender<u64>,
    log: Arc<dyn DeliveryLog>,
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The queued inspector log; cheap to clone.
#[derive(Clone)]
pub struct QueuedDeliveryLog {
    inner: Arc<Inner>,
}

impl QueuedDeliveryLog {
    /// Starts the writing task (on the current tokio runtime) in front of `log`.
    #[must_use]
    pub fn start(log: Arc<dyn DeliveryLog>) -> Self {
        let inner = Arc::new(Inner { queue: Mutex::default(), wake: Notify::new(), written: watch::channel(0).0, log });
        let task = inner.clone();
        tokio::spawn(async move {
            loop {
                task.wake.notified().await;
                loop {
                    let (records, keep, last, dropped) = {
                        let mut q = task.lock();
                        (std::mem::take(&mut q.records), q.keep, q.queued, std::mem::take(&mut q.dropped))
                    };
                    if dropped > 0 {
                        tracing::warn!(
                            dropped,
                            "the delivery inspector fell behind; some deliveries were not recorded"
                        );
                    }
                    if records.is_empty() {
                        break;
                    }
                    if let Err(e) = task.log.record(&records, keep).await {
                        tracing::warn!(error = %e, records = records.len(), "could not record webhook deliveries for the inspector");
                    }
                    task.written.send_replace(last);
                }
            }
        });
        Self { inner }
    }
}

#[async_trait]
impl DeliveryLog for QueuedDeliveryLog {
    /// Queues `records`; never fails (a write that fails later is logged).
    async fn record(&self, records: &[DeliveryRecord], keep: usize) -> Result<(), TriggerStoreError> {
        let count = u64::try_from(records.len()).unwrap_or(u64::MAX);
        let mut q = self.inner.lock();
        q.keep = keep;
        // Counted even when dropped: the write of the records still waiting covers their number.
        q.queued += count;
        if !q.records.is_empty() && q.records.len() + records.len() > MAX_QUEUED {
            q.dropped += count;
        } else {
            q.records.extend_from_slice(records);
        }
        drop(q);
        self.inner.wake.notify_one();
        Ok(())
    }

    async fn recent(
        &self,
        trigger: Option<&TriggerId>,
        unmatched_only: bool,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, TriggerStoreError> {
        let queued = self.inner.lock().queued;
        let mut written = self.inner.written.subscribe();
        // The sender lives as long as `inner`, which this holds.
        let _ = written.wait_for(|w| *w >= queued).await;
        self.inner.log.recent(trigger, unmatched_only, limit).await
    }
}
