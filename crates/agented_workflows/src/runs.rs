//! Starting, reading, cancelling and answering runs of workflows. A run is stored
//! with every node pending and a fixed version; a driver (a worker process) takes it
//! from the store and advances it ([`crate::next_steps`]), so a run started here
//! survives a restart of whichever process drives it.

use crate::definition::FieldErrors;
use crate::graph::Graph;
use crate::node::{NodeId, NodeKind};
use crate::output::NodeOutput;
use crate::ports::{RunEnding, WorkflowRepository, WorkflowRunRepository, WorkflowStoreError};
use crate::run::{Decision, NodeRun, RunClaim, RunOrigin, RunStatus, WorkflowRun};
use agented_kernel::{Clock, WorkflowId, WorkflowRunId};
use serde_json::Value;
use std::sync::Arc;

/// The largest run input, as JSON, in bytes.
pub const MAX_INPUT_BYTES: usize = 256 * 1024;
/// The most runs a list returns.
pub const MAX_LISTED_RUNS: u32 = 200;

/// Why a run request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    /// No such workflow, version, run or node.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request cannot be done in the run's present state (nothing published, the run
    /// ended, the node is not waiting for a decision).
    #[error("{0}")]
    Conflict(String),
    /// Invalid fields, by name.
    #[error("invalid workflow run request")]
    Invalid(FieldErrors),
    /// An earlier run or execution of the starting trigger holds one of the run's dedup
    /// claims: nothing was stored.
    #[error("an earlier run holds this request's dedup key")]
    Duplicate,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] WorkflowStoreError),
}

/// Called when a run changed in a way its driver should see at once (start, cancel, decision).
pub type Wake = Arc<dyn Fn() + Send + Sync>;

/// Runs of workflows.
#[derive(Clone)]
pub struct WorkflowRunService {
    workflows: Arc<dyn WorkflowRepository>,
    runs: Arc<dyn WorkflowRunRepository>,
    clock: Arc<dyn Clock>,
    wake: Wake,
}

impl std::fmt::Debug for WorkflowRunService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkflowRunService").finish_non_exhaustive()
    }
}

/// The run's input as a node output: a string is its text; an object is its data, with
/// its `text` or `message` (when a string) as the text.
#[must_use]
pub fn run_input(value: Value) -> NodeOutput {
    let text = match &value {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => map.get("text").or_else(|| map.get("message")).and_then(Value::as_str).map(str::to_owned),
        _ => None,
    };
    let data = (!value.is_string()).then_some(value);
    NodeOutput { content_type: "text".into(), text, data, ..NodeOutput::default() }
}

impl WorkflowRunService {
    /// The service over its stores; `wake` tells this process's driver that something changed.
    #[must_use]
    pub fn new(
        workflows: Arc<dyn WorkflowRepository>,
        runs: Arc<dyn WorkflowRunRepository>,
        clock: Arc<dyn Clock>,
        wake: Wake,
    ) -> Self {
        Self { workflows, runs, clock, wake }
    }

    /// Starts a run of workflow `workflow` at `version` (its newest published version when
    /// `None`) with `input`; returns it `pending`, stored.
    ///
    /// # Errors
    /// `NotFound` (workflow or version); `Conflict` when it is disabled or nothing is published;
    /// `Invalid` for an input over [`MAX_INPUT_BYTES`]; `Store`.
    pub async fn start(
        &self,
        workflow: &str,
        version: Option<i64>,
        input: Value,
        origin: RunOrigin,
    ) -> Result<WorkflowRun, RunError> {
        self.start_as(&WorkflowRunId::generate(), workflow, version, input, origin).await
    }

    /// [`Self::start`] under the id `run`, chosen (and stored) by the caller beforehand: a
    /// `workflow` node starts its sub-workflow this way, so a restart finds it instead of
    /// starting another.
    ///
    /// # Errors
    /// As [`Self::start`].
    pub async fn start_as(
        &self,
        run: &WorkflowRunId,
        workflow: &str,
        version: Option<i64>,
        input: Value,
        origin: RunOrigin,
    ) -> Result<WorkflowRun, RunError> {
        self.start_claiming(run, workflow, version, input, origin, &[]).await
    }

    /// [`Self::start_as`] holding the dedup `claims` of the trigger in `origin`, stored with
    /// the run or not at all.
    ///
    /// # Errors
    /// As [`Self::start`]; `Duplicate` when an earlier run of the trigger holds a claim.
    pub async fn start_claiming(
        &self,
        run: &WorkflowRunId,
        workflow: &str,
        version: Option<i64>,
        input: Value,
        origin: RunOrigin,
        claims: &[RunClaim],
    ) -> Result<WorkflowRun, RunError> {
        let id = WorkflowId::parse(workflow).map_err(|_| RunError::NotFound("workflow"))?;
        if serde_json::to_vec(&input).map_or(usize::MAX, |b| b.len()) > MAX_INPUT_BYTES {
            let why = format!("must be at most {MAX_INPUT_BYTES} bytes of JSON");
            return Err(RunError::Invalid(FieldErrors::from([("input_json".to_owned(), why)])));
        }
        let found = self.workflows.get(&id).await?.ok_or(RunError::NotFound("workflow"))?;
        if !found.fields.enabled {
            return Err(RunError::Conflict(format!("workflow '{}' is disabled", found.fields.name)));
        }
        let number = match version.or(found.published_version) {
            Some(n) => n,
            None => {
                return Err(RunError::Conflict(format!(
                    "workflow '{}' has no published version: publish one, or name a version to run",
                    found.fields.name
                )));
            }
        };
        let stored = self.workflows.version(&id, number).await?.ok_or(RunError::NotFound("version"))?;
        // Stored versions were checked when they were written; one that does not read is a store fault.
        let graph = Graph::read(&stored.graph).map_err(|errors| {
            RunError::Conflict(format!(
                "version {number} does not read: {}",
                errors.values().cloned().collect::<Vec<_>>().join("; ")
            ))
        })?;
        let run = WorkflowRun {
            id: run.clone(),
            workflow_id: id,
            version: number,
            status: RunStatus::Pending,
            input: run_input(input),
            output: None,
            error: None,
            origin,
            started_at: self.clock.now(),
            ended_at: None,
            nodes: graph.nodes().iter().map(|n| NodeRun::pending(n.id.clone(), n.kind.name())).collect(),
        };
        if !self.runs.insert_run(&run, claims).await? {
            return Err(RunError::Duplicate);
        }
        (self.wake)();
        Ok(run)
    }

    /// One run.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn get(&self, run: &str) -> Result<WorkflowRun, RunError> {
        let id = WorkflowRunId::parse(run).map_err(|_| RunError::NotFound("workflow execution"))?;
        self.runs.get_run(&id).await?.ok_or(RunError::NotFound("workflow execution"))
    }

    /// One run of workflow `workflow` (a run of another workflow is not found).
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn get_of(&self, workflow: &str, run: &str) -> Result<WorkflowRun, RunError> {
        let found = self.get(run).await?;
        if found.workflow_id.as_str() == workflow { Ok(found) } else { Err(RunError::NotFound("workflow execution")) }
    }

    /// The newest `limit` runs of a workflow (at most [`MAX_LISTED_RUNS`]), newest first.
    ///
    /// # Errors
    /// `NotFound` for an unknown workflow; `Store`.
    pub async fn list(&self, workflow: &str, limit: u32) -> Result<Vec<WorkflowRun>, RunError> {
        let id = WorkflowId::parse(workflow).map_err(|_| RunError::NotFound("workflow"))?;
        self.workflows.get(&id).await?.ok_or(RunError::NotFound("workflow"))?;
        Ok(self.runs.runs_of(&id, limit.clamp(1, MAX_LISTED_RUNS)).await?)
    }

    /// Cancels a run that has not ended; its driver stops what its nodes are doing.
    ///
    /// # Errors
    /// `NotFound`; `Conflict` when it has ended; `Store`.
    pub async fn cancel(&self, workflow: &str, run: &str, by: &str) -> Result<WorkflowRun, RunError> {
        let found = self.get_of(workflow, run).await?;
        let ending = RunEnding {
            status: RunStatus::Cancelled,
            output: None,
            error: Some(format!("cancelled by {by}")),
            at: self.clock.now(),
        };
        if !self.runs.end_run(&found.id, &ending).await? {
            let now = self.get(run).await?.status;
            return Err(RunError::Conflict(format!("the workflow execution has already ended (status {now})")));
        }
        (self.wake)();
        self.get(run).await
    }

    /// Approves or rejects approval node `node` of a run while it waits; the decider is recorded.
    ///
    /// # Errors
    /// `NotFound` (run or node); `Conflict` when the node is not an approval waiting for a
    /// decision; `Invalid` for a comment over 10 000 characters; `Store`.
    pub async fn decide(
        &self,
        workflow: &str,
        run: &str,
        node: &str,
        approved: bool,
        by: &str,
        comment: Option<String>,
    ) -> Result<WorkflowRun, RunError> {
        if comment.as_ref().is_some_and(|c| c.chars().count() > 10_000) {
            let why = "must be at most 10000 characters".to_owned();
            return Err(RunError::Invalid(FieldErrors::from([("comment".to_owned(), why)])));
        }
        let found = self.get_of(workflow, run).await?;
        let node_id = NodeId::parse(node).map_err(|_| RunError::NotFound("node"))?;
        let record = found.node(&node_id).ok_or(RunError::NotFound("node"))?;
        let waiting = record.node_type == NodeKind::APPROVAL
            && matches!(record.state, crate::NodeState::Running { .. })
            && record.decision.is_none()
            && !found.status.is_terminal();
        let decision = Decision { approved, by: by.to_owned(), comment, at: self.clock.now() };
        if !waiting || !self.runs.decide(&found.id, &node_id, &decision).await? {
            return Err(RunError::Conflict(format!(
                "node '{node}' is not an approval waiting for a decision (it is {})",
                crate::progress::state_name(&record.state)
            )));
        }
        (self.wake)();
        self.get(run).await
    }
}
