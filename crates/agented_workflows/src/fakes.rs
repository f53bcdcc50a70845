//! An in-memory [`WorkflowRepository`] for tests of the services (feature `fakes`),
//! keeping the port's contract: version numbers one past the newest, versions deleted
//! with their workflow.

use crate::definition::{Workflow, WorkflowFields, WorkflowVersion};
use crate::document::GraphDocument;
use crate::ports::{WorkflowRepository, WorkflowStoreError};
use agented_kernel::WorkflowId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Workflows and versions in memory.
#[derive(Debug, Default)]
pub struct MemoryWorkflows {
    state: Mutex<(Vec<Workflow>, Vec<WorkflowVersion>)>,
}

impl MemoryWorkflows {
    fn lock(&self) -> MutexGuard<'_, (Vec<Workflow>, Vec<WorkflowVersion>)> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `w` with its version numbers as `versions` stand.
fn with_versions(mut w: Workflow, versions: &[WorkflowVersion]) -> Workflow {
    let own = || versions.iter().filter(|v| v.workflow_id == w.id);
    w.latest_version = own().map(|v| v.version).max();
    w.published_version = own().filter(|v| !v.is_draft).map(|v| v.version).max();
    w
}

#[async_trait]
impl WorkflowRepository for MemoryWorkflows {
    async fn list(&self) -> Result<Vec<Workflow>, WorkflowStoreError> {
        let state = self.lock();
        Ok(state.0.iter().cloned().map(|w| with_versions(w, &state.1)).collect())
    }

    async fn get(&self, id: &WorkflowId) -> Result<Option<Workflow>, WorkflowStoreError> {
        let state = self.lock();
        Ok(state.0.iter().find(|w| &w.id == id).cloned().map(|w| with_versions(w, &state.1)))
    }

    async fn insert(
        &self,
        id: &WorkflowId,
        fields: &WorkflowFields,
        at: DateTime<Utc>,
    ) -> Result<Workflow, WorkflowStoreError> {
        let workflow = Workflow {
            id: id.clone(),
            fields: fields.clone(),
            latest_version: None,
            published_version: None,
            created_at: at,
            updated_at: at,
        };
        self.lock().0.push(workflow.clone());
        Ok(workflow)
    }

    async fn update(
        &self,
        id: &WorkflowId,
        fields: &WorkflowFields,
        at: DateTime<Utc>,
    ) -> Result<Option<Workflow>, WorkflowStoreError> {
        let mut state = self.lock();
        let (workflows, versions) = &mut *state;
        Ok(workflows.iter_mut().find(|w| &w.id == id).map(|w| {
            w.fields = fields.clone();
            w.updated_at = at;
            with_versions(w.clone(), versions)
        }))
    }

    async fn delete(&self, id: &WorkflowId) -> Result<bool, WorkflowStoreError> {
        let mut state = self.lock();
        let before = state.0.len();
        state.0.retain(|w| &w.id != id);
        state.1.retain(|v| &v.workflow_id != id);
        Ok(state.0.len() < before)
    }

    async fn versions(&self, id: &WorkflowId) -> Result<Vec<WorkflowVersion>, WorkflowStoreError> {
        let mut versions: Vec<WorkflowVersion> =
            self.lock().1.iter().filter(|v| &v.workflow_id == id).cloned().collect();
        versions.sort_by_key(|v| std::cmp::Reverse(v.version));
        Ok(versions)
    }

    async fn version(&self, id: &WorkflowId, version: i64) -> Result<Option<WorkflowVersion>, WorkflowStoreError> {
        Ok(self.lock().1.iter().find(|v| &v.workflow_id == id && v.version == version).cloned())
    }

    async fn add_version(
        &self,
        id: &WorkflowId,
        graph: &GraphDocument,
        is_draft: bool,
        at: DateTime<Utc>,
    ) -> Result<Option<WorkflowVersion>, WorkflowStoreError> {
        let mut state = self.lock();
        let Some(workflow) = state.0.iter_mut().find(|w| &w.id == id) else { return Ok(None) };
        workflow.updated_at = at;
        let version = state.1.iter().filter(|v| &v.workflow_id == id).map(|v| v.version).max().unwrap_or(0) + 1;
        let stored =
            WorkflowVersion { workflow_id: id.clone(), version, graph: graph.clone(), is_draft, created_at: at };
        state.1.push(stored.clone());
        Ok(Some(stored))
    }

    async fn publish(
        &self,
        id: &WorkflowId,
        version: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<WorkflowVersion>, WorkflowStoreError> {
        let mut state = self.lock();
        let (workflows, versions) = &mut *state;
        let Some(found) = versions.iter_mut().find(|v| &v.workflow_id == id && v.version == version) else {
            return Ok(None);
        };
        found.is_draft = false;
        if let Some(w) = workflows.iter_mut().find(|w| &w.id == id) {
            w.updated_at = at;
        }
        Ok(Some(found.clone()))
    }
}
