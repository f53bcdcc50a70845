//! What planning needs from outside: a bot to ask (through the normal
//! execution path) and somewhere to keep sessions and research runs.

use super::research::ResearchRun;
use super::session::PlanningSession;
use agented_kernel::{BackendType, ExecutionId, PlanningId, ProjectId};
use async_trait::async_trait;

/// Why a bot could not be asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssistantError {
    /// The run was refused for a reason the user can act on (the planner trigger is disabled or busy).
    #[error("{0}")]
    Refused(String),
    /// Storage or the queue failed.
    #[error("{0}")]
    Unavailable(#[source] agented_kernel::Cause),
}

/// Where a run that was asked something stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunState {
    /// Queued or running.
    Running,
    /// Finished successfully; what the bot said.
    Succeeded(String),
    /// Ended otherwise; why.
    Failed(String),
}

/// Asks a bot something, as a normal execution (listed, logged and costed).
#[async_trait]
pub trait PlanningAssistant: Send + Sync {
    /// Starts a run of `prompt` on `backend`, given `tooling` (the project's).
    ///
    /// # Errors
    /// MUST return [`AssistantError::Refused`] when the run is not allowed
    /// (planner disabled, busy) and [`AssistantError::Unavailable`] when it could
    /// not be recorded or queued; then no run exists.
    async fn ask(
        &self,
        backend: BackendType,
        prompt: &str,
        tooling: &agented_kernel::ToolingRefs,
    ) -> Result<ExecutionId, AssistantError>;

    /// The state of a run started by [`PlanningAssistant::ask`]; a run that no
    /// longer exists is `Failed`.
    ///
    /// # Errors
    /// MUST return [`AssistantError::Unavailable`] when storage cannot be read.
    async fn state(&self, run: &ExecutionId) -> Result<RunState, AssistantError>;
}

/// Planning storage failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanningStoreError {
    /// Someone else saved a newer version first.
    #[error("it changed meanwhile")]
    Conflict,
    /// The project it belongs to does not exist.
    #[error("project not found")]
    NoProject,
    /// The store failed.
    #[error("planning storage failed: {0}")]
    Store(#[source] agented_kernel::Cause),
}

/// A session or research run with the version it was read at.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    /// The value.
    pub value: T,
    /// Its version, for compare-and-set.
    pub version: i64,
}

/// Either kind of planning work, as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanningWork {
    /// A questioning and proposal conversation.
    Session(PlanningSession),
    /// A milestone's research.
    Research(ResearchRun),
}

impl PlanningWork {
    /// Its id.
    #[must_use]
    pub const fn id(&self) -> &PlanningId {
        match self {
            Self::Session(s) => &s.id,
            Self::Research(r) => &r.id,
        }
    }

    /// Its project.
    #[must_use]
    pub const fn project_id(&self) -> &ProjectId {
        match self {
            Self::Session(s) => &s.project_id,
            Self::Research(r) => &r.project_id,
        }
    }

    /// Whether a run of it may still be going (the watcher looks at these).
    #[must_use]
    pub fn is_active(&self) -> bool {
        match self {
            Self::Session(s) => s.is_waiting(),
            Self::Research(r) => r.is_waiting(),
        }
    }
}

/// Keeps planning sessions and research runs, each saved whole with compare-and-set.
#[async_trait]
pub trait PlanningStore: Send + Sync {
    /// Stores new work at version 1.
    ///
    /// # Errors
    /// MUST return [`PlanningStoreError::NoProject`] when its project does not exist.
    async fn insert(&self, work: &PlanningWork) -> Result<Versioned<PlanningWork>, PlanningStoreError>;

    /// One piece of work of `project`.
    ///
    /// # Errors
    /// [`PlanningStoreError::Store`] when it cannot be read.
    async fn get(
        &self,
        project: &ProjectId,
        id: &PlanningId,
    ) -> Result<Option<Versioned<PlanningWork>>, PlanningStoreError>;

    /// Saves `work` if it is still at `read_version`.
    ///
    /// # Errors
    /// MUST return [`PlanningStoreError::Conflict`] when it is not (or is gone).
    async fn save(&self, work: &PlanningWork, read_version: i64)
    -> Result<Versioned<PlanningWork>, PlanningStoreError>;

    /// A project's work, newest first.
    ///
    /// # Errors
    /// [`PlanningStoreError::Store`] when it cannot be read.
    async fn list(&self, project: &ProjectId) -> Result<Vec<Versioned<PlanningWork>>, PlanningStoreError>;

    /// All work whose runs may still be going.
    ///
    /// # Errors
    /// [`PlanningStoreError::Store`] when it cannot be read.
    async fn active(&self) -> Result<Vec<Versioned<PlanningWork>>, PlanningStoreError>;
}
