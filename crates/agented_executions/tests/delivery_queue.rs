//! `QueuedDeliveryLog` on the in-memory log: recording never waits for the
//! store, reading waits for what was recorded before it, and records queued
//! during one write go in the next.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_executions::QueuedDeliveryLog;
use agented_kernel::TriggerId;
use agented_triggers::fakes::MemoryDeliveries;
use agented_triggers::{DeliveryLog, DeliveryRecord, TriggerStoreError};
use async_trait::async_trait;
use chrono::Utc;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// The memory log behind a gate: each write waits for a permit, and the sizes of the writes are kept.
struct Gated {
    log: MemoryDeliveries,
    gate: Semaphore,
    writes: Mutex<Vec<usize>>,
}

#[async_trait]
impl DeliveryLog for Gated {
    async fn record(&self, records: &[DeliveryRecord], keep: usize) -> Result<(), TriggerStoreError> {
        self.gate.acquire().await.unwrap().forget();
        self.writes.lock().unwrap().push(records.len());
        self.log.record(records, keep).await
    }

    async fn recent(
        &self,
        trigger: Option<&TriggerId>,
        unmatched_only: bool,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, TriggerStoreError> {
        self.log.recent(trigger, unmatched_only, limit).await
    }
}

fn unmatched(n: usize) -> DeliveryRecord {
    DeliveryRecord {
        id: 0,
        received_at: Utc::now(),
        source: "webhook".into(),
        event: None,
        trigger_id: None,
        decision: "not_matched".into(),
        reason: Some(format!("delivery {n}")),
        execution_id: None,
        headers: Vec::new(),
        body: "{}".into(),
        body_bytes: 2,
    }
}

#[tokio::test]
async fn recording_never_waits_for_the_store_and_reading_sees_every_earlier_record() {
    let store = Arc::new(Gated { log: MemoryDeliveries::default(), gate: Semaphore::new(0), writes: Mutex::default() });
    let queued = QueuedDeliveryLog::start(store.clone());
    // The store is shut: recording still returns at once.
    queued.record(&[unmatched(1)], 20).await.unwrap();
    tokio::task::yield_now().await;
    // The first write waits at the gate with one record; these three queue behind it.
    for n in 2..=4 {
        queued.record(&[unmatched(n)], 20).await.unwrap();
    }
    let reader = tokio::spawn({
        let queued = queued.clone();
        async move { queued.recent(None, true, 50).await.unwrap() }
    });
    tokio::task::yield_now().await;
    assert!(!reader.is_finished(), "a read waits for the records queued before it");
    store.gate.add_permits(2);
    let seen = reader.await.unwrap();
    let reasons: Vec<_> = seen.iter().map(|r| r.reason.clone().unwrap()).collect();
    assert_eq!(reasons, ["delivery 4", "delivery 3", "delivery 2", "delivery 1"]);
    assert_eq!(*store.writes.lock().unwrap(), [1, 3], "what queued during a write goes in the next one");
}
