//! What the workflow service needs from storage.

use crate::definition::{Workflow, WorkflowFields, WorkflowVersion};
use crate::document::GraphDocument;
use agented_kernel::WorkflowId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Storage failed; nothing the caller can fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("workflow storage failed: {0}")]
pub struct WorkflowStoreError(#[source] pub agented_kernel::Cause);

/// Stored workflows and their versions.
#[async_trait]
pub trait WorkflowRepository: Send + Sync {
    /// Every workflow, oldest first.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn list(&self) -> Result<Vec<Workflow>, WorkflowStoreError>;

    /// One workflow.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn get(&self, id: &WorkflowId) -> Result<Option<Workflow>, WorkflowStoreError>;

    /// Stores a new workflow (no version yet).
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn insert(
        &self,
        id: &WorkflowId,
        fields: &WorkflowFields,
        at: DateTime<Utc>,
    ) -> Result<Workflow, WorkflowStoreError>;

    /// Replaces a workflow's fields; `None` when it does not exist.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn update(
        &self,
        id: &WorkflowId,
        fields: &WorkflowFields,
        at: DateTime<Utc>,
    ) -> Result<Option<Workflow>, WorkflowStoreError>;

    /// Deletes a workflow with its versions; whether it existed.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn delete(&self, id: &WorkflowId) -> Result<bool, WorkflowStoreError>;

    /// A workflow's versions, newest first.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn versions(&self, id: &WorkflowId) -> Result<Vec<WorkflowVersion>, WorkflowStoreError>;

    /// One version.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn version(&self, id: &WorkflowId, version: i64) -> Result<Option<WorkflowVersion>, WorkflowStoreError>;

    /// Stores `graph` as the workflow's next version (its number one past the newest, taken
    /// in the same write, so two writers never get the same number); `None` when the
    /// workflow does not exist.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn add_version(
        &self,
        id: &WorkflowId,
        graph: &GraphDocument,
        is_draft: bool,
        at: DateTime<Utc>,
    ) -> Result<Option<WorkflowVersion>, WorkflowStoreError>;

    /// Marks a version published; `None` when it does not exist.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn publish(
        &self,
        id: &WorkflowId,
        version: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<WorkflowVersion>, WorkflowStoreError>;
}
