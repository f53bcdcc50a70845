//! A run of a workflow (a "workflow execution") and its nodes as stored: every node
//! transition is a write, so the run continues from these records after a crash.

use crate::node::NodeId;
use crate::output::NodeOutput;
use crate::progress::NodeState;
use agented_kernel::{WorkflowId, WorkflowRunId};
use chrono::{DateTime, Utc};
use std::fmt;
use std::str::FromStr;

/// Where a run is (the original platform's statuses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RunStatus {
    /// Stored, not yet taken by a driver.
    Pending,
    /// A driver advances it.
    Running,
    /// Every node settled; it has an output.
    Completed,
    /// A node failed with `on_error: stop`.
    Failed,
    /// A person cancelled it.
    Cancelled,
}

impl RunStatus {
    /// Every status.
    pub const ALL: [Self; 5] = [Self::Pending, Self::Running, Self::Completed, Self::Failed, Self::Cancelled];

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether nothing more happens to it.
    #[must_use]
    pub const fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Cancelled)
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RunStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| format!("unknown workflow run status '{s}'"))
    }
}

/// A person's answer to an approval node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Approved (else rejected).
    pub approved: bool,
    /// Who decided: the API key's name.
    pub by: String,
    /// What they wrote with it.
    pub comment: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// One node of a run, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeRun {
    /// The node.
    pub node_id: NodeId,
    /// Its kind's name (`command`, `agent`, …).
    pub node_type: String,
    /// Where it stands.
    pub state: NodeState,
    /// What reached it (its last attempt's input).
    pub input: Option<NodeOutput>,
    /// When its first attempt started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it settled.
    pub ended_at: Option<DateTime<Utc>>,
    /// The executions (agent nodes) or runs (sub-workflow nodes) it started, oldest
    /// first: the id is stored before the work starts, so a restart finds the work
    /// instead of starting it again.
    pub children: Vec<String>,
    /// What its executions cost, in US dollars.
    pub cost_usd: Option<f64>,
    /// An approval node's answer.
    pub decision: Option<Decision>,
}

impl NodeRun {
    /// A node not yet started.
    #[must_use]
    pub fn pending(node_id: NodeId, node_type: &str) -> Self {
        Self {
            node_id,
            node_type: node_type.to_owned(),
            state: NodeState::Pending,
            input: None,
            started_at: None,
            ended_at: None,
            children: Vec::new(),
            cost_usd: None,
            decision: None,
        }
    }

    /// Milliseconds from its first start to its end (or to `now` while it runs).
    #[must_use]
    pub fn duration_ms(&self, now: DateTime<Utc>) -> Option<i64> {
        self.started_at.map(|s| (self.ended_at.unwrap_or(now) - s).num_milliseconds().max(0))
    }
}

/// What started a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOrigin {
    /// The API or the dashboard.
    Manual,
    /// A trigger (webhook, GitHub, schedule or its Run button), by id.
    Trigger(String),
    /// A `workflow` node of another run.
    Parent {
        /// The parent run.
        run: WorkflowRunId,
        /// Its node.
        node: NodeId,
    },
}

/// A dedup key a run started by a trigger holds until `expires_at` (a webhook delivery's),
/// as an execution of that trigger would: no second run of the trigger may claim it meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunClaim {
    /// The key (a delivery id, a payload digest, …).
    pub key: String,
    /// When the claim lapses.
    pub expires_at: DateTime<Utc>,
}

/// A run of one fixed version of a workflow.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkflowRun {
    /// `wfx-…`.
    pub id: WorkflowRunId,
    /// Its workflow.
    pub workflow_id: WorkflowId,
    /// The version it runs, fixed when it starts.
    pub version: i64,
    /// Where it is.
    pub status: RunStatus,
    /// What it started with.
    pub input: NodeOutput,
    /// Its result, once completed.
    pub output: Option<NodeOutput>,
    /// Why it failed or was cancelled.
    pub error: Option<String>,
    /// What started it.
    pub origin: RunOrigin,
    /// When it was stored.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Its nodes, in the graph's order.
    pub nodes: Vec<NodeRun>,
}

impl WorkflowRun {
    /// The node `id`.
    #[must_use]
    pub fn node(&self, id: &NodeId) -> Option<&NodeRun> {
        self.nodes.iter().find(|n| &n.node_id == id)
    }

    /// The nodes' states, in the graph's order (for [`crate::next_steps`]).
    #[must_use]
    pub fn states(&self) -> Vec<NodeState> {
        self.nodes.iter().map(|n| n.state.clone()).collect()
    }

    /// The sum of its nodes' costs, when any has one.
    #[must_use]
    pub fn cost_usd(&self) -> Option<f64> {
        self.nodes.iter().filter_map(|n| n.cost_usd).reduce(|a, b| a + b)
    }

    /// Why an agent node may not start: the run has spent `budget` (its graph's
    /// `settings.budget_usd`) or more on its executions. Checked before each agent node.
    #[must_use]
    pub fn over_budget(&self, budget: Option<f64>) -> Option<String> {
        let (budget, spent) = (budget?, self.cost_usd().unwrap_or(0.0));
        (spent >= budget).then(|| format!("the run's budget of ${budget:.2} is spent (${spent:.4} so far)"))
    }

    /// The slowest and the costliest node (profiling); none while no node started or cost.
    #[must_use]
    pub fn profile(&self, now: DateTime<Utc>) -> Profile {
        let slowest = self
            .nodes
            .iter()
            .filter_map(|n| Some((n.duration_ms(now)?, &n.node_id)))
            .max_by_key(|(ms, _)| *ms)
            .map(|(_, id)| id.clone());
        let costliest = self
            .nodes
            .iter()
            .filter_map(|n| Some((n.cost_usd.filter(|c| *c > 0.0)?, &n.node_id)))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, id)| id.clone());
        Profile { slowest, costliest }
    }
}

/// The nodes a run's profile marks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Profile {
    /// The longest-running node.
    pub slowest: Option<NodeId>,
    /// The node whose executions cost most.
    pub costliest: Option<NodeId>,
}
