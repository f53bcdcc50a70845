//! What runs of workflows look like over HTTP: a started run, a run with its nodes, a list.

use agented_workflows::{NodeOutput, NodeState, RunOrigin, WorkflowRun, state_name};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A started run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunStartedView {
    /// `wfx-…`: read it at `GET /admin/workflows/executions/{id}`.
    pub workflow_execution_id: String,
    /// The same id, under the original platform's name.
    pub execution_id: String,
    /// The version it runs.
    pub version: i64,
    /// `pending`.
    pub status: String,
}

/// An approval node's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalDecisionView {
    /// Approved, else rejected.
    pub approved: bool,
    /// The API key that decided.
    pub decided_by: String,
    /// What they wrote.
    pub comment: Option<String>,
    /// When.
    pub decided_at: DateTime<Utc>,
}

/// One node of a run.
#[derive(Debug, Serialize, ToSchema)]
pub struct NodeRunView {
    /// The node's id in the graph.
    pub node_id: String,
    /// Its kind.
    pub node_type: String,
    /// `pending`, `running`, `retrying`, `completed`, `failed` or `skipped`.
    pub status: String,
    /// The attempt under way, or the attempts made.
    pub attempt: u32,
    /// When a retrying node tries again.
    pub retry_at: Option<DateTime<Utc>>,
    /// What reached it.
    #[schema(value_type = Option<Object>)]
    pub input_json: Option<NodeOutput>,
    /// Its output, once completed (`{content_type, text, data, metadata, exit_code, stdout, stderr}`).
    #[schema(value_type = Option<Object>)]
    pub output_json: Option<NodeOutput>,
    /// Why it failed.
    pub error: Option<String>,
    /// Its first start.
    pub started_at: Option<DateTime<Utc>>,
    /// When it settled.
    pub ended_at: Option<DateTime<Utc>>,
    /// Milliseconds from its first start to its end (or until now).
    pub duration_ms: Option<i64>,
    /// The executions (agent nodes) or workflow runs (sub-workflow nodes) it started.
    pub execution_ids: Vec<String>,
    /// What its executions cost.
    pub cost_usd: Option<f64>,
    /// An approval node's answer.
    pub decision: Option<ApprovalDecisionView>,
    /// The run's longest-running node.
    pub slowest: bool,
    /// The run's costliest node.
    pub costliest: bool,
}

/// A run of a workflow.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowRunView {
    /// `wfx-…`.
    pub id: String,
    /// Its workflow.
    pub workflow_id: String,
    /// The version it runs.
    pub version: i64,
    /// `pending`, `running`, `completed`, `failed` or `cancelled`.
    pub status: String,
    /// What it started with.
    #[schema(value_type = Option<Object>)]
    pub input_json: Value,
    /// Its result, once completed.
    #[schema(value_type = Option<Object>)]
    pub output_json: Option<NodeOutput>,
    /// Why it failed or was cancelled.
    pub error: Option<String>,
    /// `manual`, `trigger` or `workflow` (a sub-workflow node).
    pub origin: String,
    /// The trigger, or the parent run and node (`wfx-…/node`).
    pub origin_id: Option<String>,
    /// When it was started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// The sum of its nodes' costs.
    pub total_cost_usd: Option<f64>,
    /// The longest-running node.
    pub slowest_node: Option<String>,
    /// The costliest node.
    pub costliest_node: Option<String>,
    /// Its nodes, in the graph's order.
    pub nodes: Vec<NodeRunView>,
}

impl WorkflowRunView {
    /// The run as answered at `now` (durations of running nodes run up to it).
    pub(crate) fn of(run: WorkflowRun, now: DateTime<Utc>) -> Self {
        let profile = run.profile(now);
        let (total_cost_usd, id) = (run.cost_usd(), run.id.to_string());
        let (origin, origin_id) = match &run.origin {
            RunOrigin::Manual => ("manual", None),
            RunOrigin::Trigger(t) => ("trigger", Some(t.clone())),
            RunOrigin::Parent { run, node } => ("workflow", Some(format!("{run}/{}", node.as_str()))),
        };
        let input_json =
            run.input.data.clone().or_else(|| run.input.text.clone().map(Value::from)).unwrap_or(Value::Null);
        let nodes = run
            .nodes
            .into_iter()
            .map(|n| {
                let (attempt, retry_at, output_json, error) = match &n.state {
                    NodeState::Pending | NodeState::Skipped => (0, None, None, None),
                    NodeState::Running { attempt } => (*attempt, None, None, None),
                    NodeState::Retrying { attempt, at } => (*attempt, Some(*at), None, None),
                    NodeState::Completed(out) => (1, None, Some(out.clone()), None),
                    NodeState::Failed { error, attempts } => (*attempts, None, None, Some(error.clone())),
                };
                NodeRunView {
                    slowest: profile.slowest.as_ref() == Some(&n.node_id),
                    costliest: profile.costliest.as_ref() == Some(&n.node_id),
                    node_id: n.node_id.as_str().to_owned(),
                    status: state_name(&n.state).to_owned(),
                    duration_ms: n.duration_ms(now),
                    node_type: n.node_type,
                    attempt,
                    retry_at,
                    input_json: n.input,
                    output_json,
                    error,
                    started_at: n.started_at,
                    ended_at: n.ended_at,
                    execution_ids: n.children,
                    cost_usd: n.cost_usd,
                    decision: n.decision.map(|d| ApprovalDecisionView {
                        approved: d.approved,
                        decided_by: d.by,
                        comment: d.comment,
                        decided_at: d.at,
                    }),
                }
            })
            .collect();
        Self {
            id,
            workflow_id: run.workflow_id.to_string(),
            version: run.version,
            status: run.status.as_str().to_owned(),
            input_json,
            output_json: run.output,
            error: run.error,
            origin: origin.to_owned(),
            origin_id,
            started_at: run.started_at,
            ended_at: run.ended_at,
            total_cost_usd,
            slowest_node: profile.slowest.map(|n| n.as_str().to_owned()),
            costliest_node: profile.costliest.map(|n| n.as_str().to_owned()),
            nodes,
        }
    }
}

/// A workflow's runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowRunList {
    /// Newest first.
    pub executions: Vec<WorkflowRunView>,
}
