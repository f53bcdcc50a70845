//! Triggers read from memory: a [`TriggerRepository`] in front of another that
//! keeps every trigger after the first read, so matching a webhook delivery
//! or starting a run reads no database. Every write goes through it and
//! drops the copy (or, for the run and schedule times written on every run,
//! updates it in place): within one process that is exact. Another process
//! writing the same database is seen within [`MAX_AGE`]; the scheduler's
//! triggers are always read from the store, because its compare-and-set of
//! each slot works against what other processes wrote.

use crate::ports::{TriggerRepository, TriggerStoreError, TriggerWriteError};
use crate::{ProjectPath, Trigger, TriggerPath, TriggerSettings, TriggerSource};
use agented_kernel::TriggerId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long a copy is used before the store is read again (writes by other processes).
pub const MAX_AGE: Duration = Duration::from_secs(1);

#[derive(Default)]
struct Snapshot {
    /// Every trigger in list order and when it was read, when read since the last write.
    triggers: Option<(Arc<Vec<Trigger>>, Instant)>,
    /// Bumped by every write, so a read that raced a write never stores what it read.
    generation: u64,
}

/// The cache in front of `inner`.
pub struct CachedTriggers {
    inner: Arc<dyn TriggerRepository>,
    copy: Mutex<Snapshot>,
}

impl std::fmt::Debug for CachedTriggers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedTriggers").finish_non_exhaustive()
    }
}

impl CachedTriggers {
    /// Caches `inner`'s triggers.
    #[must_use]
    pub fn new(inner: Arc<dyn TriggerRepository>) -> Self {
        Self { inner, copy: Mutex::default() }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Snapshot> {
        self.copy.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every trigger, from memory when it is there.
    async fn all(&self) -> Result<Arc<Vec<Trigger>>, TriggerStoreError> {
        let generation = {
            let copy = self.lock();
            if let Some((triggers, read_at)) = &copy.triggers
                && read_at.elapsed() < MAX_AGE
            {
                return Ok(triggers.clone());
            }
            copy.generation
        };
        let read_at = Instant::now();
        let triggers = Arc::new(self.inner.list().await?);
        let mut copy = self.lock();
        if copy.generation == generation {
            copy.triggers = Some((triggers.clone(), read_at));
        }
        Ok(triggers)
    }

    fn forget(&self) {
        let mut copy = self.lock();
        copy.generation += 1;
        copy.triggers = None;
    }

    /// Changes one trigger of the copy in place (and counts as a write).
    fn amend(&self, id: &TriggerId, change: impl FnOnce(&mut Trigger)) {
        let mut copy = self.lock();
        copy.generation += 1;
        if let Some((triggers, _)) = copy.triggers.as_mut()
            && let Some(t) = Arc::make_mut(triggers).iter_mut().find(|t| &t.id == id)
        {
            change(t);
        }
    }
}

#[async_trait]
impl TriggerRepository for CachedTriggers {
    async fn list(&self) -> Result<Vec<Trigger>, TriggerStoreError> {
        Ok(self.all().await?.as_ref().clone())
    }

    async fn by_source(&self, source: TriggerSource) -> Result<Vec<Trigger>, TriggerStoreError> {
        match source {
            TriggerSource::Webhook | TriggerSource::Github => {
                Ok(self.all().await?.iter().filter(|t| t.settings.trigger_source == source).cloned().collect())
            }
            // The scheduler claims slots against what every process wrote.
            TriggerSource::Manual | TriggerSource::Scheduled => self.inner.by_source(source).await,
        }
    }

    async fn get(&self, id: &TriggerId) -> Result<Option<Trigger>, TriggerStoreError> {
        Ok(self.all().await?.iter().find(|t| &t.id == id).cloned())
    }

    async fn insert(
        &self,
        id: &TriggerId,
        settings: &TriggerSettings,
        next_run_at: Option<DateTime<Utc>>,
        paths: &[ProjectPath],
        at: DateTime<Utc>,
    ) -> Result<Trigger, TriggerWriteError> {
        let inserted = self.inner.insert(id, settings, next_run_at, paths, at).await;
        self.forget();
        inserted
    }

    async fn update(
        &self,
        id: &TriggerId,
        settings: &TriggerSettings,
        next_run_at: Option<DateTime<Utc>>,
    ) -> Result<Trigger, TriggerWriteError> {
        let updated = self.inner.update(id, settings, next_run_at).await;
        self.forget();
        updated
    }

    async fn set_next_run(
        &self,
        id: &TriggerId,
        expected: Option<DateTime<Utc>>,
        next: Option<DateTime<Utc>>,
    ) -> Result<bool, TriggerStoreError> {
        let set = self.inner.set_next_run(id, expected, next).await;
        match set {
            Ok(true) => self.amend(id, |t| t.next_run_at = next),
            // Not set: another scheduler moved it, so the copy may be behind.
            _ => self.forget(),
        }
        set
    }

    async fn delete(&self, id: &TriggerId) -> Result<(), TriggerWriteError> {
        let deleted = self.inner.delete(id).await;
        self.forget();
        deleted
    }

    async fn touch_last_run(&self, id: &TriggerId, at: DateTime<Utc>) -> Result<(), TriggerStoreError> {
        let touched = self.inner.touch_last_run(id, at).await;
        match touched {
            Ok(()) => self.amend(id, |t| t.last_run_at = Some(at)),
            Err(_) => self.forget(),
        }
        touched
    }

    async fn paths(&self, id: &TriggerId) -> Result<Vec<TriggerPath>, TriggerStoreError> {
        self.inner.paths(id).await
    }

    async fn add_path(
        &self,
        id: &TriggerId,
        path: &ProjectPath,
        at: DateTime<Utc>,
    ) -> Result<TriggerPath, TriggerWriteError> {
        self.inner.add_path(id, path, at).await
    }

    async fn remove_path(&self, id: &TriggerId, path: &str) -> Result<bool, TriggerStoreError> {
        self.inner.remove_path(id, path).await
    }
}
