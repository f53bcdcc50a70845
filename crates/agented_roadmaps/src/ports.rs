//! What the roadmap domain needs from storage.

use crate::model::Roadmap;
use agented_kernel::ProjectId;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Storage failed for a reason the caller cannot fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("project storage failed: {0}")]
pub struct ProjectStoreError(#[source] pub agented_kernel::Cause);

/// Why a project could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectWriteError {
    /// Another project has this name.
    #[error("a project named '{0}' already exists")]
    DuplicateName(String),
    /// No project has this id.
    #[error("project not found")]
    NotFound,
    /// It changed since it was read (another writer won).
    #[error("the project changed meanwhile")]
    Conflict,
    /// See [`ProjectStoreError`].
    #[error(transparent)]
    Store(#[from] ProjectStoreError),
}

/// A stored project: its roadmap and a version that moves with every save.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// `proj-xxxxxx`.
    pub id: ProjectId,
    /// The whole plan (its `project` is the project's name).
    pub roadmap: Roadmap,
    /// Incremented by every save; a save names the version it read.
    pub version: i64,
    /// The managed tooling its planning and research runs get (not part of the roadmap: a
    /// change of it is no new version).
    pub tooling: agented_kernel::ToolingRefs,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last save.
    pub updated_at: DateTime<Utc>,
}

/// Kept roadmaps per project: enough to undo the last changes, bounded.
pub const HISTORY_KEPT: usize = 50;

/// A roadmap as it was before a recorded change (an accepted plan, a restore).
#[derive(Debug, Clone, PartialEq)]
pub struct RoadmapVersion {
    /// Its id within the store.
    pub id: i64,
    /// What replaced it (`before accepting plan …`).
    pub label: String,
    /// When it was replaced.
    pub created_at: DateTime<Utc>,
    /// The roadmap as it was.
    pub roadmap: Roadmap,
}

/// Stored projects. A roadmap is one aggregate, saved whole, so every rule is
/// checked on the complete plan and a change is all or nothing.
#[async_trait]
pub trait ProjectRepository: Send + Sync {
    /// Every project, by name.
    ///
    /// # Errors
    /// MUST return [`ProjectStoreError`] only when storage fails.
    async fn list(&self) -> Result<Vec<Project>, ProjectStoreError>;

    /// One project, `None` when unknown.
    ///
    /// # Errors
    /// MUST return [`ProjectStoreError`] only when storage fails.
    async fn get(&self, id: &ProjectId) -> Result<Option<Project>, ProjectStoreError>;

    /// Stores a new project at version 1.
    ///
    /// # Errors
    /// MUST return [`ProjectWriteError::DuplicateName`] when the name is taken.
    async fn insert(&self, id: &ProjectId, roadmap: &Roadmap, at: DateTime<Utc>) -> Result<Project, ProjectWriteError>;

    /// Replaces the roadmap if the stored version is still `read_version`. With `keep`,
    /// the roadmap it replaces is kept in the project's history under that label, in the
    /// same transaction (at most [`HISTORY_KEPT`] per project, the oldest dropped).
    ///
    /// # Errors
    /// MUST return [`ProjectWriteError::Conflict`] when it moved on,
    /// [`ProjectWriteError::NotFound`] for an unknown id and
    /// [`ProjectWriteError::DuplicateName`] when the new name is taken.
    async fn save(
        &self,
        id: &ProjectId,
        read_version: i64,
        roadmap: &Roadmap,
        at: DateTime<Utc>,
        keep: Option<&str>,
    ) -> Result<Project, ProjectWriteError>;

    /// Replaces the tooling the project's runs get; the roadmap and its version stay.
    ///
    /// # Errors
    /// MUST return [`ProjectWriteError::NotFound`] for an unknown id.
    async fn set_tooling(
        &self,
        id: &ProjectId,
        tooling: &agented_kernel::ToolingRefs,
    ) -> Result<Project, ProjectWriteError>;

    /// The project's kept roadmaps, newest first (empty for an unknown project).
    ///
    /// # Errors
    /// MUST return [`ProjectStoreError`] only when storage fails.
    async fn history(&self, id: &ProjectId) -> Result<Vec<RoadmapVersion>, ProjectStoreError>;

    /// Deletes a project.
    ///
    /// # Errors
    /// MUST return [`ProjectWriteError::NotFound`] for an unknown id.
    async fn delete(&self, id: &ProjectId) -> Result<(), ProjectWriteError>;
}
