//! `WorkspaceInventory`: what run workspaces and repository mirrors are kept
//! on this host's disk, against the retention settings (the Settings page).

use agented_kernel::ExecutionId;
use async_trait::async_trait;

/// One kept workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptWorkspace {
    /// Its folder's name: the first run of its thread.
    pub key: String,
    /// The latest run that used it.
    pub latest: Option<ExecutionId>,
    /// That run's status (`None`: unknown to the store).
    pub status: Option<crate::ExecutionStatus>,
    /// When that run ended (`None`: still active, or unknown).
    pub ended_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Bytes on disk.
    pub bytes: u64,
}

/// One repository mirror.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptMirror {
    /// Its folder's name (`<name>-<hash>.git`).
    pub name: String,
    /// Bytes on disk.
    pub bytes: u64,
}

/// The workspaces and mirrors on disk, and the limits they are kept to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkspaceReport {
    /// Kept workspaces: active ones first, then the latest ended first.
    pub workspaces: Vec<KeptWorkspace>,
    /// Mirrors.
    pub mirrors: Vec<KeptMirror>,
    /// Bytes of both together.
    pub total_bytes: u64,
    /// The cap (`runner.workspace_max_mb`).
    pub max_bytes: u64,
    /// Succeeded runs' workspaces kept.
    pub keep_succeeded: usize,
    /// Other runs' workspaces kept.
    pub keep_failed: usize,
}

/// Reads the workspaces on disk.
#[async_trait]
pub trait WorkspaceInventory: Send + Sync {
    /// The report; folders that cannot be read are left out.
    async fn report(&self) -> WorkspaceReport;
}

/// A fixed report, for tests.
#[derive(Debug, Default, Clone)]
pub struct FixedInventory(pub WorkspaceReport);

#[async_trait]
impl WorkspaceInventory for FixedInventory {
    async fn report(&self) -> WorkspaceReport {
        self.0.clone()
    }
}
