//! Firing a trigger whose execution mode names a team or a workflow: its inputs become a
//! workflow run's input, started through the [`WorkflowStarter`] port, instead of an
//! execution of its CLI.

use crate::guard::PromptInput;
use crate::model::{Execution, TriggerType};
use crate::ports::DedupClaim;
use crate::service::StartError;
use agented_kernel::{ExecutionId, TriggerId, WorkflowId, WorkflowRunId};
use agented_triggers::ExecutionMode;
use async_trait::async_trait;
use serde_json::{Map, Value};
use std::fmt;

/// A workflow run a trigger started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowStarted {
    /// `wfx-…`: follow it at `/admin/workflows/executions/{run}`.
    pub run: WorkflowRunId,
    /// The workflow it runs (a team's compiled one, for a team).
    pub workflow: WorkflowId,
}

/// What firing a trigger started.
#[derive(Debug, Clone, PartialEq)]
pub enum Fired {
    /// An execution of its CLI (`direct`).
    Execution(Box<Execution>),
    /// A run of a team's or a workflow's graph.
    Workflow(WorkflowStarted),
}

impl Fired {
    /// The started run, as reports name it.
    #[must_use]
    pub fn run(&self) -> RunRef {
        match self {
            Self::Execution(e) => RunRef::Execution(e.execution_id.clone()),
            Self::Workflow(w) => RunRef::Workflow(w.run.clone()),
        }
    }
}

/// A started run: an execution or a workflow run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunRef {
    /// `exec-…`.
    Execution(ExecutionId),
    /// `wfx-…`.
    Workflow(WorkflowRunId),
}

impl fmt::Display for RunRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Execution(id) => id.fmt(f),
            Self::Workflow(id) => id.fmt(f),
        }
    }
}

/// Starts the runs of teams and workflows that triggers fire.
#[async_trait]
pub trait WorkflowStarter: Send + Sync {
    /// Starts a run of the team or workflow `mode` names with `input`, for `trigger`, holding
    /// `claims` with the run (stored with it or not at all).
    ///
    /// # Errors
    /// MUST return [`StartError::Duplicate`] when an earlier run of the trigger holds a claim,
    /// [`StartError::NotFound`] for an unknown team or workflow, [`StartError::Refused`] when
    /// it may not run (disabled, a team that cannot compile, nothing published), and
    /// [`StartError::Store`] when storage fails.
    async fn start_workflow(
        &self,
        trigger: &TriggerId,
        mode: &ExecutionMode,
        input: Value,
        claims: &[DedupClaim],
    ) -> Result<WorkflowStarted, StartError>;
}

/// A workflow run's input from a firing: `text`, the trigger's prompt rendered (untrusted
/// values fenced), which the run's first nodes read; the `message` and placeholder `values`
/// (PR fields, …) for nodes that want them, cleaned as a prompt's are (control characters
/// out, at most `max_chars` each); and what fired it.
#[must_use]
pub fn workflow_input(
    trigger: &TriggerId,
    kind: TriggerType,
    prompt: String,
    message: Option<&str>,
    values: &[(String, String)],
    max_chars: usize,
) -> Value {
    let clean = |name: &str, raw: &str| Value::from(PromptInput::guard(name, raw, max_chars).value);
    let mut input = Map::new();
    input.insert("text".into(), Value::from(prompt));
    input.insert("message".into(), message.map_or(Value::Null, |m| clean("message", m)));
    let values: Map<String, Value> = values.iter().map(|(k, v)| (k.clone(), clean(k, v))).collect();
    input.insert("values".into(), Value::Object(values));
    input.insert("trigger_id".into(), Value::from(trigger.as_str()));
    input.insert("trigger_type".into(), Value::from(kind.as_str()));
    Value::Object(input)
}
