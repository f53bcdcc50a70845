//! Execution changes as one feed, for live lists: every write that moves an
//! execution's status is announced after it is stored, so a list that
//! re-reads the store on a change never shows less than was announced.
//!
//! In-process (a broadcast channel); a slow subscriber misses changes and is
//! told so ([`Change::Lagged`]), and then re-reads everything.

use crate::model::{Execution, Outcome};
use crate::ports::{
    AttemptRecord, Claim, Deferral, ExecStoreError, ExecutionFilter, ExecutionRepository, InsertError, NewExecution,
};
use crate::status::ExecutionStatus;
use crate::usage::Usage;
use agented_kernel::{ExecutionId, Page, TriggerId, WorkerId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::broadcast;

/// Changes a subscriber may fall behind by before it is told it lagged.
const BACKLOG: usize = 256;

/// An execution's new status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutionChange {
    /// Which execution.
    pub execution_id: ExecutionId,
    /// Its status now.
    pub status: ExecutionStatus,
}

/// What a subscriber receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// An execution was queued or changed status.
    Execution(ExecutionChange),
    /// The subscriber missed changes: re-read whatever it shows.
    Lagged,
}

/// The feed: cheap to clone, shared by the repository that publishes and the streams that follow.
#[derive(Clone)]
pub struct ChangeFeed {
    sender: broadcast::Sender<ExecutionChange>,
}

impl Default for ChangeFeed {
    fn default() -> Self {
        Self { sender: broadcast::channel(BACKLOG).0 }
    }
}

impl ChangeFeed {
    /// Announces a stored change (nothing happens when no one listens).
    pub fn publish(&self, execution_id: ExecutionId, status: ExecutionStatus) {
        let _ = self.sender.send(ExecutionChange { execution_id, status });
    }

    /// Follows changes announced from now on.
    #[must_use]
    pub fn subscribe(&self) -> ChangeSubscription {
        ChangeSubscription { receiver: self.sender.subscribe() }
    }
}

/// One subscriber's place in the feed.
pub struct ChangeSubscription {
    receiver: broadcast::Receiver<ExecutionChange>,
}

impl ChangeSubscription {
    /// The next change; `None` once the feed is gone.
    pub async fn next(&mut self) -> Option<Change> {
        match self.receiver.recv().await {
            Ok(change) => Some(Change::Execution(change)),
            Err(broadcast::error::RecvError::Lagged(_)) => Some(Change::Lagged),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

/// An [`ExecutionRepository`] that announces every status it stores on a [`ChangeFeed`].
pub struct WatchedExecutions {
    inner: Arc<dyn ExecutionRepository>,
    feed: ChangeFeed,
}

impl WatchedExecutions {
    /// Wraps `inner`; its writes are announced on `feed`.
    #[must_use]
    pub fn new(inner: Arc<dyn ExecutionRepository>, feed: ChangeFeed) -> Self {
        Self { inner, feed }
    }
}

#[async_trait]
impl ExecutionRepository for WatchedExecutions {
    async fn insert(&self, new: &NewExecution) -> Result<Execution, InsertError> {
        let execution = self.inner.insert(new).await?;
        self.feed.publish(execution.execution_id.clone(), execution.status);
        Ok(execution)
    }

    async fn release_claims(&self, trigger: &TriggerId, keys: &[String]) -> Result<(), ExecStoreError> {
        self.inner.release_claims(trigger, keys).await
    }

    async fn get(&self, id: &ExecutionId) -> Result<Option<Execution>, ExecStoreError> {
        self.inner.get(id).await
    }

    async fn list(&self, filter: &ExecutionFilter, page: Page) -> Result<(Vec<Execution>, u64), ExecStoreError> {
        self.inner.list(filter, page).await
    }

    async fn claim(
        &self,
        id: &ExecutionId,
        worker: &WorkerId,
        limit: u16,
        at: DateTime<Utc>,
    ) -> Result<Claim, ExecStoreError> {
        let claimed = self.inner.claim(id, worker, limit, at).await?;
        if let Claim::Claimed(execution) = &claimed {
            self.feed.publish(execution.execution_id.clone(), execution.status);
        }
        Ok(claimed)
    }

    async fn set_process(&self, id: &ExecutionId, command: &str, pgid: Option<i32>) -> Result<(), ExecStoreError> {
        self.inner.set_process(id, command, pgid).await
    }

    async fn set_usage(&self, id: &ExecutionId, usage: &Usage) -> Result<(), ExecStoreError> {
        self.inner.set_usage(id, usage).await
    }

    async fn latest_on_github(&self, repository: &str, number: u64) -> Result<Option<Execution>, ExecStoreError> {
        self.inner.latest_on_github(repository, number).await
    }

    async fn set_session(&self, id: &ExecutionId, session: &crate::SessionId) -> Result<(), ExecStoreError> {
        self.inner.set_session(id, session).await
    }

    async fn finish(&self, id: &ExecutionId, outcome: &Outcome) -> Result<bool, ExecStoreError> {
        let ended = self.inner.finish(id, outcome).await?;
        if ended {
            self.feed.publish(id.clone(), outcome.status);
        }
        Ok(ended)
    }

    async fn finish_if(
        &self,
        id: &ExecutionId,
        from: ExecutionStatus,
        outcome: &Outcome,
    ) -> Result<bool, ExecStoreError> {
        let ended = self.inner.finish_if(id, from, outcome).await?;
        if ended {
            self.feed.publish(id.clone(), outcome.status);
        }
        Ok(ended)
    }

    async fn active_for_trigger(&self, trigger: &TriggerId) -> Result<Vec<Execution>, ExecStoreError> {
        self.inner.active_for_trigger(trigger).await
    }

    async fn set_attempt(&self, id: &ExecutionId, attempt: &AttemptRecord) -> Result<(), ExecStoreError> {
        self.inner.set_attempt(id, attempt).await
    }

    async fn defer(&self, id: &ExecutionId, deferral: &Deferral) -> Result<bool, ExecStoreError> {
        let deferred = self.inner.defer(id, deferral).await?;
        if deferred {
            self.feed.publish(id.clone(), ExecutionStatus::RateLimited);
        }
        Ok(deferred)
    }

    async fn requeue_due(&self, now: DateTime<Utc>) -> Result<Vec<ExecutionId>, ExecStoreError> {
        let due = self.inner.requeue_due(now).await?;
        for id in &due {
            self.feed.publish(id.clone(), ExecutionStatus::Queued);
        }
        Ok(due)
    }

    async fn wake(&self, ids: &[ExecutionId], at: DateTime<Utc>) -> Result<Vec<ExecutionId>, ExecStoreError> {
        self.inner.wake(ids, at).await
    }

    async fn with_status(&self, status: ExecutionStatus) -> Result<Vec<Execution>, ExecStoreError> {
        self.inner.with_status(status).await
    }

    async fn count_by_status(&self) -> Result<Vec<(ExecutionStatus, u64)>, ExecStoreError> {
        self.inner.count_by_status().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{MemoryExecutions, new_execution};
    use agented_kernel::BackendType;

    fn outcome(status: ExecutionStatus, at: DateTime<Utc>) -> Outcome {
        Outcome { status, exit_code: Some(0), error_message: None, finished_at: at, duration_ms: 5, usage: Usage::NONE }
    }

    async fn next(sub: &mut ChangeSubscription) -> Change {
        tokio::time::timeout(std::time::Duration::from_secs(5), sub.next()).await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn every_stored_status_is_announced_and_writes_that_changed_nothing_are_not() {
        let feed = ChangeFeed::default();
        let repo = WatchedExecutions::new(Arc::new(MemoryExecutions::default()), feed.clone());
        let mut sub = feed.subscribe();
        let trigger = TriggerId::parse("trig-abc123").unwrap();
        let now = Utc::now();
        let run = repo.insert(&new_execution(&trigger, now, BackendType::Claude, Vec::new())).await.unwrap();
        let id = run.execution_id.clone();
        let change = |status| Change::Execution(ExecutionChange { execution_id: id.clone(), status });
        assert_eq!(next(&mut sub).await, change(ExecutionStatus::Queued));

        let worker = WorkerId::generate();
        repo.claim(&id, &worker, 1, now).await.unwrap().claimed().unwrap();
        assert_eq!(next(&mut sub).await, change(ExecutionStatus::Running));
        assert_eq!(repo.claim(&id, &worker, 1, now).await.unwrap(), Claim::Gone, "already running");

        assert!(repo.finish(&id, &outcome(ExecutionStatus::Success, now)).await.unwrap());
        assert_eq!(next(&mut sub).await, change(ExecutionStatus::Success));
        assert!(!repo.finish(&id, &outcome(ExecutionStatus::Failed, now)).await.unwrap(), "already ended");

        // Nothing more was announced: the refused claim and finish are not in the feed.
        feed.publish(id.clone(), ExecutionStatus::Cancelled);
        assert_eq!(next(&mut sub).await, change(ExecutionStatus::Cancelled));
    }

    #[tokio::test]
    async fn a_subscriber_that_falls_behind_is_told_to_read_again() {
        let feed = ChangeFeed::default();
        let mut sub = feed.subscribe();
        let trigger = TriggerId::parse("trig-abc123").unwrap();
        for i in 0..(BACKLOG + 10) {
            let at = Utc::now() + chrono::Duration::milliseconds(i64::try_from(i).unwrap());
            feed.publish(ExecutionId::generate(&trigger, at), ExecutionStatus::Queued);
        }
        assert_eq!(next(&mut sub).await, Change::Lagged);
        assert!(matches!(next(&mut sub).await, Change::Execution(_)), "then it follows again");
    }
}
