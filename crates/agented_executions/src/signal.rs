//! `SignalRegistry`: the followers waiting on runs, by id, and the one thing a
//! [`StoreSignal`] adapter does — wake them when the store says a run changed.
//! It is also the port's in-memory form: a test wakes it by hand.

use crate::ports::StoreSignal;
use agented_kernel::ExecutionId;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use tokio::sync::Notify;

/// Waiters by execution id; a waiter is gone when its follower dropped its handle.
#[derive(Debug, Default)]
pub struct SignalRegistry {
    waiters: Mutex<HashMap<String, Vec<Weak<Notify>>>>,
}

impl SignalRegistry {
    /// Wakes every follower of `id` (a permit is kept for one not waiting yet).
    pub fn wake(&self, id: &str) {
        let mut waiters = self.waiters.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(list) = waiters.get_mut(id) {
            list.retain(|w| {
                w.upgrade().is_some_and(|n| {
                    n.notify_one();
                    true
                })
            });
            if list.is_empty() {
                waiters.remove(id);
            }
        }
    }

    /// Runs with at least one registered follower (dead ones are pruned at their next wake).
    #[must_use]
    pub fn watched(&self) -> usize {
        self.waiters.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl StoreSignal for SignalRegistry {
    fn watch(&self, id: &ExecutionId) -> Arc<Notify> {
        let notify = Arc::new(Notify::new());
        let mut waiters = self.waiters.lock().unwrap_or_else(PoisonError::into_inner);
        let list = waiters.entry(id.as_str().to_owned()).or_default();
        list.retain(|w| w.strong_count() > 0);
        list.push(Arc::downgrade(&notify));
        notify
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_wake_reaches_each_follower_of_that_run_even_one_not_yet_waiting() {
        let registry = SignalRegistry::default();
        let trigger = agented_kernel::TriggerId::generate();
        let (a, b) =
            (ExecutionId::generate(&trigger, chrono::Utc::now()), ExecutionId::generate(&trigger, chrono::Utc::now()));
        let (first, second, other) = (registry.watch(&a), registry.watch(&a), registry.watch(&b));
        registry.wake(a.as_str());
        // Permits were kept: both followers of `a` return at once, though neither was waiting.
        first.notified().await;
        second.notified().await;
        assert!(tokio::time::timeout(std::time::Duration::ZERO, other.notified()).await.is_err(), "b was not woken");
        drop((first, second));
        registry.wake(a.as_str());
        assert_eq!(registry.watched(), 1, "a's gone followers were pruned");
    }
}
