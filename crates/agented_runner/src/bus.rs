//! The in-process `LogBus`: one broadcast channel per live run.

use agented_executions::{BusEvent, LogBus, LogSubscription};
use agented_kernel::ExecutionId;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::broadcast;

/// Events buffered per subscriber before it is told it lagged.
const CAPACITY: usize = 1024;

/// Fan-out of live runs to SSE clients.
#[derive(Debug, Clone, Default)]
pub struct MemoryLogBus {
    channels: Arc<Mutex<HashMap<String, broadcast::Sender<BusEvent>>>>,
}

impl MemoryLogBus {
    /// An empty bus.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, broadcast::Sender<BusEvent>>> {
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

struct Subscription(broadcast::Receiver<BusEvent>);

#[async_trait]
impl LogSubscription for Subscription {
    async fn next(&mut self) -> Option<BusEvent> {
        match self.0.recv().await {
            Ok(event) => Some(event),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(BusEvent::Lagged),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

impl LogBus for MemoryLogBus {
    fn open(&self, id: &ExecutionId) {
        self.lock().entry(id.as_str().to_owned()).or_insert_with(|| broadcast::channel(CAPACITY).0);
    }

    fn publish(&self, id: &ExecutionId, event: BusEvent) {
        if let Some(tx) = self.lock().get(id.as_str()) {
            // No receivers is fine: nobody is watching.
            let _ = tx.send(event);
        }
    }

    fn close(&self, id: &ExecutionId) {
        // Dropping the sender ends every subscription after what was sent.
        self.lock().remove(id.as_str());
    }

    fn subscribe(&self, id: &ExecutionId) -> Option<Box<dyn LogSubscription>> {
        self.lock().get(id.as_str()).map(|tx| Box::new(Subscription(tx.subscribe())) as Box<dyn LogSubscription>)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agented_kernel::TriggerId;

    #[tokio::test]
    async fn subscribers_get_events_then_none_after_close() {
        let bus = MemoryLogBus::new();
        let id = ExecutionId::generate(&TriggerId::generate(), chrono::Utc::now());
        assert!(bus.subscribe(&id).is_none());
        bus.open(&id);
        let mut sub = bus.subscribe(&id).unwrap();
        bus.publish(&id, BusEvent::Started);
        bus.close(&id);
        assert_eq!(sub.next().await, Some(BusEvent::Started));
        assert_eq!(sub.next().await, None);
    }
}
