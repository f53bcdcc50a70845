//! Ports the auth domain needs from storage. Each has an in-memory fake in `memory.rs`.

use crate::{ApiKey, ApiKeyId, AuditEntry, AuditQuery, AuditRecord, KeyHash, NewApiKey};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Storage failed for a reason the domain cannot act on (connection, I/O, corruption).
#[derive(Debug, Clone, thiserror::Error)]
#[error("storage failed: {0}")]
pub struct RepoError(#[source] pub agented_kernel::Cause);

/// Why a key could not be inserted.
#[derive(Debug, thiserror::Error)]
pub enum InsertKeyError {
    /// Another key has the same name.
    #[error("duplicate key name")]
    DuplicateName,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] RepoError),
}

/// The result of revoking a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revoked {
    /// Revoked now.
    Now(ApiKey),
    /// It had been revoked before; nothing changed.
    Already(ApiKey),
    /// No such key.
    NotFound,
}

/// Where API keys live.
#[async_trait]
pub trait ApiKeyRepository: Send + Sync {
    /// Stores a new key.
    ///
    /// # Errors
    /// MUST return [`InsertKeyError::DuplicateName`] when a key (revoked or not) has the
    /// same name, and [`InsertKeyError::Store`] for any other failure, storing nothing.
    async fn insert(&self, key: NewApiKey) -> Result<ApiKey, InsertKeyError>;

    /// The key with this hash, revoked or not.
    ///
    /// # Errors
    /// MUST return [`RepoError`] only when storage fails; an unknown hash is `Ok(None)`.
    async fn find_by_hash(&self, hash: &KeyHash) -> Result<Option<ApiKey>, RepoError>;

    /// Every key, newest first.
    ///
    /// # Errors
    /// [`RepoError`] when storage fails.
    async fn list(&self) -> Result<Vec<ApiKey>, RepoError>;

    /// Revokes a key at `at`; revoking twice keeps the first time.
    ///
    /// # Errors
    /// [`RepoError`] when storage fails; unknown ids are `Ok(Revoked::NotFound)`.
    async fn revoke(&self, id: &ApiKeyId, at: DateTime<Utc>) -> Result<Revoked, RepoError>;

    /// Records a use of the key.
    ///
    /// # Errors
    /// [`RepoError`] when storage fails; an unknown id is not an error.
    async fn touch(&self, id: &ApiKeyId, at: DateTime<Utc>) -> Result<(), RepoError>;

    /// How many keys are not revoked.
    ///
    /// # Errors
    /// [`RepoError`] when storage fails.
    async fn count_active(&self) -> Result<u64, RepoError>;
}

/// Where the audit trail lives. Records are never changed or deleted through this port.
#[async_trait]
pub trait AuditLog: Send + Sync {
    /// Appends one record.
    ///
    /// # Errors
    /// [`RepoError`] when storage fails; then nothing is stored.
    async fn record(&self, entry: AuditEntry) -> Result<(), RepoError>;

    /// The records matching `query`, newest first, with the total number of matches.
    ///
    /// # Errors
    /// [`RepoError`] when storage fails.
    async fn query(&self, query: &AuditQuery) -> Result<(Vec<AuditRecord>, u64), RepoError>;
}
