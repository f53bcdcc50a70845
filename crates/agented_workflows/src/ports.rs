//! What the workflow service needs from storage.

use crate::agent::Agent;
use crate::definition::{Workflow, WorkflowFields, WorkflowVersion};
use crate::document::GraphDocument;
use crate::node::NodeId;
use crate::output::NodeOutput;
use crate::run::{Decision, NodeRun, RunClaim, RunStatus, WorkflowRun};
use crate::team::Team;
use agented_kernel::{AgentId, TeamId, WorkerId, WorkflowId, WorkflowRunId};
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

/// Stored runs of workflows and their nodes. A run is advanced by one driver at a time
/// (a worker process); the driver is recorded on the run, and a run whose driver is gone
/// (stopped, or found lost by the worker registry) is taken over by the next claim.
#[async_trait]
pub trait WorkflowRunRepository: Send + Sync {
    /// Stores a new run with its nodes and, in the same transaction, the dedup `claims` of
    /// the trigger that started it (its origin); `false`, with nothing written, when a claim
    /// live at the run's start is held already (by a run or an execution of that trigger).
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn insert_run(&self, run: &WorkflowRun, claims: &[RunClaim]) -> Result<bool, WorkflowStoreError>;

    /// One run with its nodes.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn get_run(&self, id: &WorkflowRunId) -> Result<Option<WorkflowRun>, WorkflowStoreError>;

    /// The newest `limit` runs of a workflow, newest first.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn runs_of(&self, workflow: &WorkflowId, limit: u32) -> Result<Vec<WorkflowRun>, WorkflowStoreError>;

    /// Stores a node's record (matched by run and node id); whether its run is still
    /// active (a write to an ended run is dropped).
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn save_node(&self, run: &WorkflowRunId, node: &NodeRun) -> Result<bool, WorkflowStoreError>;

    /// Ends a run that has not ended; whether it did.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn end_run(&self, run: &WorkflowRunId, end: &RunEnding) -> Result<bool, WorkflowStoreError>;

    /// Records `decision` on an approval node that is running and undecided; whether it did.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn decide(&self, run: &WorkflowRunId, node: &NodeId, decision: &Decision)
    -> Result<bool, WorkflowStoreError>;

    /// Makes `driver` the driver of every active run (`pending` or `running`) that has none
    /// or whose driver is stopped or lost, marking `pending` ones `running`; returns them,
    /// with the active runs `driver` already held (it may have stopped driving one).
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn claim(&self, driver: &WorkerId) -> Result<Vec<WorkflowRunId>, WorkflowStoreError>;

    /// Lets go of every active run `driver` holds (a clean stop), so the next claim takes them.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn release(&self, driver: &WorkerId) -> Result<(), WorkflowStoreError>;
}

/// How a run ends.
#[derive(Debug, Clone, PartialEq)]
pub struct RunEnding {
    /// `completed`, `failed` or `cancelled`.
    pub status: RunStatus,
    /// The result of a completed run.
    pub output: Option<NodeOutput>,
    /// Why it failed or was cancelled.
    pub error: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Stored agents.
#[async_trait]
pub trait AgentRepository: Send + Sync {
    /// Every agent, oldest first.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn list(&self) -> Result<Vec<Agent>, WorkflowStoreError>;

    /// One agent.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn get(&self, id: &AgentId) -> Result<Option<Agent>, WorkflowStoreError>;

    /// Stores a new agent.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn insert(&self, agent: &Agent) -> Result<(), WorkflowStoreError>;

    /// Replaces a stored agent's fields and `updated_at`; whether it existed.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn update(&self, agent: &Agent) -> Result<bool, WorkflowStoreError>;

    /// Deletes an agent; whether it existed.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn delete(&self, id: &AgentId) -> Result<bool, WorkflowStoreError>;
}

/// Stored teams, each with its members and the workflow it compiles to.
#[async_trait]
pub trait TeamRepository: Send + Sync {
    /// Every team, oldest first.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn list(&self) -> Result<Vec<Team>, WorkflowStoreError>;

    /// One team.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn get(&self, id: &TeamId) -> Result<Option<Team>, WorkflowStoreError>;

    /// Stores a new team.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn insert(&self, team: &Team) -> Result<(), WorkflowStoreError>;

    /// Replaces a stored team's fields, members, workflow and `updated_at`; whether it existed.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn update(&self, team: &Team) -> Result<bool, WorkflowStoreError>;

    /// Deletes a team (not its workflow, whose runs stay); whether it existed.
    ///
    /// # Errors
    /// MUST return [`WorkflowStoreError`] only when storage fails.
    async fn delete(&self, id: &TeamId) -> Result<bool, WorkflowStoreError>;
}

/// Starts a run of an agent as an ordinary execution.
#[async_trait]
pub trait AgentLauncher: Send + Sync {
    /// Starts `agent` on `message` (untrusted text: the launcher fences it) under the
    /// execution id `execution` when given, else a new one; returns the execution id.
    ///
    /// # Errors
    /// MUST return [`LaunchError::Refused`] when the run may not start (the trigger that
    /// owns agent runs is disabled or busy), [`LaunchError::Unavailable`] when storage or
    /// the queue failed.
    async fn launch(&self, agent: &Agent, message: &str, execution: Option<&str>) -> Result<String, LaunchError>;
}

/// Why a run of an agent did not start.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LaunchError {
    /// It may not start now; the message says why.
    #[error("{0}")]
    Refused(String),
    /// Storage or the queue failed.
    #[error("the run could not be started: {0}")]
    Unavailable(#[source] agented_kernel::Cause),
}
