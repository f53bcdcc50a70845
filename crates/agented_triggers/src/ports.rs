//! What the trigger domain needs from storage.

use crate::trigger::{ProjectPath, Trigger, TriggerPath, TriggerSettings};
use agented_kernel::TriggerId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Storage failed for a reason the caller cannot fix (I/O, pool exhausted, corrupt row).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("trigger storage failed: {0}")]
pub struct TriggerStoreError(#[source] pub agented_kernel::Cause);

/// Why a trigger could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TriggerWriteError {
    /// Another trigger has this name.
    #[error("a trigger named '{0}' already exists")]
    DuplicateName(String),
    /// No trigger has this id.
    #[error("trigger not found")]
    NotFound,
    /// See [`TriggerStoreError`].
    #[error(transparent)]
    Store(#[from] TriggerStoreError),
}

/// Stored triggers and their project paths.
#[async_trait]
pub trait TriggerRepository: Send + Sync {
    /// Every trigger, predefined first, then by name.
    ///
    /// # Errors
    /// MUST return [`TriggerStoreError`] only when storage fails.
    async fn list(&self) -> Result<Vec<Trigger>, TriggerStoreError>;

    /// The triggers of one source, in the order of [`TriggerRepository::list`].
    ///
    /// # Errors
    /// MUST return [`TriggerStoreError`] only when storage fails.
    async fn by_source(&self, source: crate::TriggerSource) -> Result<Vec<Trigger>, TriggerStoreError>;

    /// One trigger, `None` when unknown.
    ///
    /// # Errors
    /// MUST return [`TriggerStoreError`] only when storage fails.
    async fn get(&self, id: &TriggerId) -> Result<Option<Trigger>, TriggerStoreError>;

    /// Stores a new trigger with its first project paths and its first
    /// scheduled run, all or nothing.
    ///
    /// # Errors
    /// MUST return [`TriggerWriteError::DuplicateName`] when the name is taken.
    async fn insert(
        &self,
        id: &TriggerId,
        settings: &TriggerSettings,
        next_run_at: Option<DateTime<Utc>>,
        paths: &[ProjectPath],
        at: DateTime<Utc>,
    ) -> Result<Trigger, TriggerWriteError>;

    /// Replaces a trigger's settings and its next scheduled run, together.
    ///
    /// # Errors
    /// MUST return [`TriggerWriteError::NotFound`] for an unknown id and
    /// [`TriggerWriteError::DuplicateName`] when the new name is taken.
    async fn update(
        &self,
        id: &TriggerId,
        settings: &TriggerSettings,
        next_run_at: Option<DateTime<Utc>>,
    ) -> Result<Trigger, TriggerWriteError>;

    /// Sets `next_run_at` to `next` only if it is still `expected` (compare
    /// and set, so two schedulers cannot move it past each other); `true`
    /// when it was set. An unknown trigger is `false`.
    ///
    /// # Errors
    /// MUST return [`TriggerStoreError`] only when storage fails.
    async fn set_next_run(
        &self,
        id: &TriggerId,
        expected: Option<DateTime<Utc>>,
        next: Option<DateTime<Utc>>,
    ) -> Result<bool, TriggerStoreError>;

    /// Deletes a trigger and its paths (its executions stay, as history).
    ///
    /// # Errors
    /// MUST return [`TriggerWriteError::NotFound`] for an unknown id.
    async fn delete(&self, id: &TriggerId) -> Result<(), TriggerWriteError>;

    /// Records that a run started now.
    ///
    /// # Errors
    /// MUST return [`TriggerStoreError`] only when storage fails.
    async fn touch_last_run(&self, id: &TriggerId, at: DateTime<Utc>) -> Result<(), TriggerStoreError>;

    /// A trigger's project paths, oldest first.
    ///
    /// # Errors
    /// MUST return [`TriggerStoreError`] only when storage fails.
    async fn paths(&self, id: &TriggerId) -> Result<Vec<TriggerPath>, TriggerStoreError>;

    /// Adds a project path (adding one already present returns the existing row).
    ///
    /// # Errors
    /// MUST return [`TriggerWriteError::NotFound`] for an unknown trigger.
    async fn add_path(
        &self,
        id: &TriggerId,
        path: &ProjectPath,
        at: DateTime<Utc>,
    ) -> Result<TriggerPath, TriggerWriteError>;

    /// Removes a project path by its value; `false` when the trigger did not have it.
    ///
    /// # Errors
    /// MUST return [`TriggerStoreError`] only when storage fails.
    async fn remove_path(&self, id: &TriggerId, path: &str) -> Result<bool, TriggerStoreError>;
}

/// Remembers which deliveries started runs, so a repeat inside the dedup
/// window starts nothing, and which schedule slots were taken, so no slot runs
/// twice (keys `schedule:<slot>`). Durable: it survives restarts, and it is
/// shared by every server process on the database. A webhook delivery's keys
/// are claimed with its execution, in the same transaction
/// (`ExecutionRepository::insert`, same records); this port claims slots and
/// prunes what expired.
#[async_trait]
pub trait DedupLedger: Send + Sync {
    /// Records `key` for `trigger` until `expires_at`, unless a record that is
    /// still live at `now` exists. `true` when recorded (a first delivery),
    /// `false` for a duplicate. Atomic: of two concurrent claims one wins.
    ///
    /// # Errors
    /// MUST return [`TriggerStoreError`] only when storage fails.
    async fn claim(
        &self,
        trigger: &TriggerId,
        key: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, TriggerStoreError>;

    /// Forgets a claim (its run could not be started, so a resend must go through).
    ///
    /// # Errors
    /// MUST return [`TriggerStoreError`] only when storage fails.
    async fn release(&self, trigger: &TriggerId, key: &str) -> Result<(), TriggerStoreError>;

    /// Deletes records expired at `now`; returns how many.
    ///
    /// # Errors
    /// MUST return [`TriggerStoreError`] only when storage fails.
    async fn prune(&self, now: DateTime<Utc>) -> Result<u64, TriggerStoreError>;
}

/// The delivery inspector's store.
#[async_trait]
pub trait DeliveryLog: Send + Sync {
    /// Stores `records`, then keeps only the newest `keep` per trigger (and
    /// `keep` unmatched ones).
    ///
    /// # Errors
    /// MUST return [`TriggerStoreError`] only when storage fails; nothing is stored then.
    async fn record(&self, records: &[crate::DeliveryRecord], keep: usize) -> Result<(), TriggerStoreError>;

    /// The newest records first: of one trigger, or of all (`unmatched_only`: those no trigger matched).
    ///
    /// # Errors
    /// MUST return [`TriggerStoreError`] only when storage fails.
    async fn recent(
        &self,
        trigger: Option<&TriggerId>,
        unmatched_only: bool,
        limit: u32,
    ) -> Result<Vec<crate::DeliveryRecord>, TriggerStoreError>;
}
