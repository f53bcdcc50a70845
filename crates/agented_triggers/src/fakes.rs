//! In-memory fakes of this crate's ports, for unit tests of the services here and
//! in the crates above (feature `fakes`). They keep the ports' documented contracts
//! (name uniqueness, compare-and-set, dedup windows) without SQLite.

use crate::deliveries::DeliveryRecord;
use crate::fallback::FallbackEntry;
use crate::models::TriggerSource;
use crate::ports::{DedupLedger, DeliveryLog, TriggerRepository, TriggerStoreError, TriggerWriteError};
use crate::service::SettingsCheck;
use crate::trigger::{FieldErrors, ProjectPath, Trigger, TriggerPath, TriggerSettings};
use agented_kernel::TriggerId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Triggers and their paths in memory.
#[derive(Debug, Default)]
pub struct MemoryTriggers {
    triggers: Mutex<Vec<Trigger>>,
    paths: Mutex<Vec<(TriggerId, TriggerPath)>>,
}

impl MemoryTriggers {
    /// Stores `trigger` as it is (for example a predefined one).
    pub fn put(&self, trigger: Trigger) {
        let mut all = lock(&self.triggers);
        all.retain(|t| t.id != trigger.id);
        all.push(trigger);
    }
}

#[async_trait]
impl TriggerRepository for MemoryTriggers {
    async fn list(&self) -> Result<Vec<Trigger>, TriggerStoreError> {
        let mut all = lock(&self.triggers).clone();
        all.sort_by(|a, b| b.is_predefined.cmp(&a.is_predefined).then_with(|| a.settings.name.cmp(&b.settings.name)));
        Ok(all)
    }

    async fn by_source(&self, source: TriggerSource) -> Result<Vec<Trigger>, TriggerStoreError> {
        Ok(self.list().await?.into_iter().filter(|t| t.settings.trigger_source == source).collect())
    }

    async fn get(&self, id: &TriggerId) -> Result<Option<Trigger>, TriggerStoreError> {
        Ok(lock(&self.triggers).iter().find(|t| &t.id == id).cloned())
    }

    async fn insert(
        &self,
        id: &TriggerId,
        settings: &TriggerSettings,
        next_run_at: Option<DateTime<Utc>>,
        paths: &[ProjectPath],
        at: DateTime<Utc>,
    ) -> Result<Trigger, TriggerWriteError> {
        let trigger = {
            let mut all = lock(&self.triggers);
            if all.iter().any(|t| t.settings.name == settings.name) {
                return Err(TriggerWriteError::DuplicateName(settings.name.clone()));
            }
            let trigger = Trigger {
                id: id.clone(),
                is_predefined: false,
                settings: settings.clone(),
                next_run_at,
                last_run_at: None,
                created_at: at,
            };
            all.push(trigger.clone());
            trigger
        };
        for path in paths {
            self.add_path(id, path, at).await?;
        }
        Ok(trigger)
    }

    async fn update(
        &self,
        id: &TriggerId,
        settings: &TriggerSettings,
        next_run_at: Option<DateTime<Utc>>,
    ) -> Result<Trigger, TriggerWriteError> {
        let mut all = lock(&self.triggers);
        if all.iter().any(|t| &t.id != id && t.settings.name == settings.name) {
            return Err(TriggerWriteError::DuplicateName(settings.name.clone()));
        }
        let trigger = all.iter_mut().find(|t| &t.id == id).ok_or(TriggerWriteError::NotFound)?;
        trigger.settings = settings.clone();
        trigger.next_run_at = next_run_at;
        Ok(trigger.clone())
    }

    async fn set_next_run(
        &self,
        id: &TriggerId,
        expected: Option<DateTime<Utc>>,
        next: Option<DateTime<Utc>>,
    ) -> Result<bool, TriggerStoreError> {
        let mut all = lock(&self.triggers);
        match all.iter_mut().find(|t| &t.id == id) {
            Some(t) if t.next_run_at == expected => {
                t.next_run_at = next;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn delete(&self, id: &TriggerId) -> Result<(), TriggerWriteError> {
        let mut all = lock(&self.triggers);
        let before = all.len();
        all.retain(|t| &t.id != id);
        if all.len() == before {
            return Err(TriggerWriteError::NotFound);
        }
        lock(&self.paths).retain(|(t, _)| t != id);
        Ok(())
    }

    async fn touch_last_run(&self, id: &TriggerId, at: DateTime<Utc>) -> Result<(), TriggerStoreError> {
        if let Some(t) = lock(&self.triggers).iter_mut().find(|t| &t.id == id) {
            t.last_run_at = Some(at);
        }
        Ok(())
    }

    async fn paths(&self, id: &TriggerId) -> Result<Vec<TriggerPath>, TriggerStoreError> {
        Ok(lock(&self.paths).iter().filter(|(t, _)| t == id).map(|(_, p)| p.clone()).collect())
    }

    async fn add_path(
        &self,
        id: &TriggerId,
        path: &ProjectPath,
        at: DateTime<Utc>,
    ) -> Result<TriggerPath, TriggerWriteError> {
        if lock(&self.triggers).iter().all(|t| &t.id != id) {
            return Err(TriggerWriteError::NotFound);
        }
        let mut paths = lock(&self.paths);
        if let Some((_, existing)) = paths.iter().find(|(t, p)| t == id && &p.path == path) {
            return Ok(existing.clone());
        }
        let row =
            TriggerPath { id: i64::try_from(paths.len()).unwrap_or(i64::MAX) + 1, path: path.clone(), created_at: at };
        paths.push((id.clone(), row.clone()));
        Ok(row)
    }

    async fn remove_path(&self, id: &TriggerId, path: &str) -> Result<bool, TriggerStoreError> {
        let mut paths = lock(&self.paths);
        let before = paths.len();
        paths.retain(|(t, p)| !(t == id && p.path.as_str() == path));
        Ok(paths.len() < before)
    }
}

/// Dedup claims in memory.
#[derive(Debug, Default)]
pub struct MemoryDedup {
    claims: Mutex<HashMap<(TriggerId, String), DateTime<Utc>>>,
}

#[async_trait]
impl DedupLedger for MemoryDedup {
    async fn claim(
        &self,
        trigger: &TriggerId,
        key: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<bool, TriggerStoreError> {
        let mut claims = lock(&self.claims);
        let slot = (trigger.clone(), key.to_owned());
        if claims.get(&slot).is_some_and(|until| *until > now) {
            return Ok(false);
        }
        claims.insert(slot, expires_at);
        Ok(true)
    }

    async fn release(&self, trigger: &TriggerId, key: &str) -> Result<(), TriggerStoreError> {
        lock(&self.claims).remove(&(trigger.clone(), key.to_owned()));
        Ok(())
    }

    async fn prune(&self, now: DateTime<Utc>) -> Result<u64, TriggerStoreError> {
        let mut claims = lock(&self.claims);
        let before = claims.len();
        claims.retain(|_, until| *until > now);
        Ok((before - claims.len()) as u64)
    }
}

/// The delivery inspector's records in memory, newest last.
#[derive(Debug, Default)]
pub struct MemoryDeliveries {
    records: Mutex<Vec<DeliveryRecord>>,
}

impl MemoryDeliveries {
    /// Every record kept, oldest first.
    #[must_use]
    pub fn all(&self) -> Vec<DeliveryRecord> {
        lock(&self.records).clone()
    }
}

#[async_trait]
impl DeliveryLog for MemoryDeliveries {
    async fn record(&self, records: &[DeliveryRecord], keep: usize) -> Result<(), TriggerStoreError> {
        let mut all = lock(&self.records);
        for r in records {
            let id = i64::try_from(all.len()).unwrap_or(i64::MAX) + 1;
            all.push(DeliveryRecord { id, ..r.clone() });
        }
        // Keep the newest `keep` per trigger (and `keep` unmatched).
        let mut seen: HashMap<Option<TriggerId>, usize> = HashMap::new();
        let mut kept: Vec<DeliveryRecord> = all
            .iter()
            .rev()
            .filter(|r| {
                let n = seen.entry(r.trigger_id.clone()).or_default();
                *n += 1;
                *n <= keep
            })
            .cloned()
            .collect();
        kept.reverse();
        *all = kept;
        Ok(())
    }

    async fn recent(
        &self,
        trigger: Option<&TriggerId>,
        unmatched_only: bool,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, TriggerStoreError> {
        Ok(lock(&self.records)
            .iter()
            .rev()
            .filter(|r| trigger.is_none_or(|t| r.trigger_id.as_ref() == Some(t)))
            .filter(|r| !unmatched_only || r.trigger_id.is_none())
            .take(limit as usize)
            .cloned()
            .collect())
    }
}

/// A [`SettingsCheck`] that knows a fixed set of backends (ids) and finds nothing else wrong.
#[derive(Debug, Default)]
pub struct KnownBackends {
    /// Custom backend ids that exist.
    pub custom: Vec<String>,
    /// Every backend id a chain may name.
    pub all: Vec<String>,
}

#[async_trait]
impl SettingsCheck for KnownBackends {
    async fn problems(&self, settings: &TriggerSettings) -> Result<FieldErrors, TriggerStoreError> {
        let mut errors = FieldErrors::new();
        if let Some(id) = settings.backend_id.as_ref().filter(|id| !self.custom.contains(id)) {
            errors.insert("backend_id".into(), format!("'{id}' is not a custom backend"));
        }
        errors.extend(self.chain_problems(&settings.fallback_chain).await?);
        Ok(errors)
    }

    async fn chain_problems(&self, chain: &[FallbackEntry]) -> Result<FieldErrors, TriggerStoreError> {
        let mut errors = FieldErrors::new();
        for (i, entry) in chain.iter().enumerate().filter(|(_, e)| !self.all.contains(&e.backend_id)) {
            errors.insert(format!("fallback_chain.{i}.backend_id"), format!("unknown backend '{}'", entry.backend_id));
        }
        Ok(errors)
    }
}
