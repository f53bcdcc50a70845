//! In-memory fakes of the auth ports, for unit tests here and in other crates.

use crate::ports::{InsertKeyError, Revoked};
use crate::{
    ApiKey, ApiKeyId, ApiKeyRepository, AuditEntry, AuditLog, AuditQuery, AuditRecord, KeyHash, NewApiKey, RepoError,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::{Mutex, MutexGuard, PoisonError};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Keys in a vector.
#[derive(Debug, Default)]
pub struct MemoryApiKeys {
    keys: Mutex<Vec<(ApiKey, KeyHash)>>,
    touches: Mutex<usize>,
}

impl MemoryApiKeys {
    /// How many times `touch` was called.
    pub fn touches(&self) -> usize {
        *lock(&self.touches)
    }
}

#[async_trait]
impl ApiKeyRepository for MemoryApiKeys {
    async fn insert(&self, key: NewApiKey) -> Result<ApiKey, InsertKeyError> {
        let mut keys = lock(&self.keys);
        if keys.iter().any(|(k, _)| k.name == key.name) {
            return Err(InsertKeyError::DuplicateName);
        }
        let stored = ApiKey {
            id: key.id,
            name: key.name,
            scope: key.scope,
            prefix: key.prefix,
            created_at: key.created_at,
            last_used_at: None,
            revoked_at: None,
        };
        keys.push((stored.clone(), key.hash));
        Ok(stored)
    }

    async fn find_by_hash(&self, hash: &KeyHash) -> Result<Option<ApiKey>, RepoError> {
        Ok(lock(&self.keys).iter().find(|(_, h)| h == hash).map(|(k, _)| k.clone()))
    }

    async fn list(&self) -> Result<Vec<ApiKey>, RepoError> {
        Ok(lock(&self.keys).iter().rev().map(|(k, _)| k.clone()).collect())
    }

    async fn revoke(&self, id: &ApiKeyId, at: DateTime<Utc>) -> Result<Revoked, RepoError> {
        let mut keys = lock(&self.keys);
        let Some((key, _)) = keys.iter_mut().find(|(k, _)| &k.id == id) else { return Ok(Revoked::NotFound) };
        if key.revoked_at.is_some() {
            return Ok(Revoked::Already(key.clone()));
        }
        key.revoked_at = Some(at);
        Ok(Revoked::Now(key.clone()))
    }

    async fn touch(&self, id: &ApiKeyId, at: DateTime<Utc>) -> Result<(), RepoError> {
        *lock(&self.touches) += 1;
        if let Some((key, _)) = lock(&self.keys).iter_mut().find(|(k, _)| &k.id == id) {
            key.last_used_at = Some(at);
        }
        Ok(())
    }

    async fn count_active(&self) -> Result<u64, RepoError> {
        Ok(lock(&self.keys).iter().filter(|(k, _)| k.revoked_at.is_none()).count() as u64)
    }
}

/// Audit records in a vector.
#[derive(Debug, Default)]
pub struct MemoryAudit {
    records: Mutex<Vec<AuditRecord>>,
}

#[async_trait]
impl AuditLog for MemoryAudit {
    async fn record(&self, entry: AuditEntry) -> Result<(), RepoError> {
        let mut records = lock(&self.records);
        let id = i64::try_from(records.len()).unwrap_or(i64::MAX) + 1;
        records.push(AuditRecord { id, entry });
        Ok(())
    }

    async fn query(&self, query: &AuditQuery) -> Result<(Vec<AuditRecord>, u64), RepoError> {
        let records = lock(&self.records);
        let matching: Vec<AuditRecord> = records
            .iter()
            .rev()
            .filter(|r| query.actor.as_ref().is_none_or(|a| &r.entry.actor == a))
            .filter(|r| query.action.as_ref().is_none_or(|a| r.entry.action.starts_with(a.as_str())))
            .filter(|r| query.entity_type.as_ref().is_none_or(|t| &r.entry.entity_type == t))
            .filter(|r| query.entity_id.as_ref().is_none_or(|i| r.entry.entity_id.as_ref() == Some(i)))
            .filter(|r| query.outcome.is_none_or(|o| r.entry.outcome == o))
            .filter(|r| query.since.is_none_or(|s| r.entry.at >= s))
            .filter(|r| query.until.is_none_or(|u| r.entry.at < u))
            .cloned()
            .collect();
        let total = matching.len() as u64;
        let page = matching.into_iter().skip(query.page.offset as usize).take(query.page.limit as usize).collect();
        Ok((page, total))
    }
}
