//! `AuditTrail`: what happened, by whom, written once per action and read by
//! admins; the one way handlers and middleware reach the audit log.

use crate::audit::{AuditEntry, AuditQuery, AuditRecord};
use crate::ports::{AuditLog, RepoError};
use std::sync::Arc;

/// Writes and reads the audit trail.
#[derive(Clone)]
pub struct AuditTrail {
    log: Arc<dyn AuditLog>,
}

impl std::fmt::Debug for AuditTrail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditTrail").finish_non_exhaustive()
    }
}

impl AuditTrail {
    /// The trail over its log.
    #[must_use]
    pub fn new(log: Arc<dyn AuditLog>) -> Self {
        Self { log }
    }

    /// Records one action; secrets in its changes are redacted by the caller's [`AuditEntry`].
    ///
    /// # Errors
    /// Storage failed.
    pub async fn record(&self, entry: AuditEntry) -> Result<(), RepoError> {
        self.log.record(entry).await
    }

    /// One page of records matching `query`, newest first, and how many match in all.
    ///
    /// # Errors
    /// Storage failed.
    pub async fn query(&self, query: &AuditQuery) -> Result<(Vec<AuditRecord>, u64), RepoError> {
        self.log.query(query).await
    }
}
