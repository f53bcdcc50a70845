//! How a workflow run proceeds, as a pure function of its graph and its nodes'
//! stored states: which nodes start now and with what input, which are skipped
//! (no branch leads to them), which retry later, and when the run ends. The
//! executor stores each transition and asks again; it holds no rule of its own,
//! so a restart after a crash continues from the stored states alone.

use crate::graph::{Graph, Link};
use crate::node::{ErrorMode, Node, NodeId, NodePolicy};
use crate::output::NodeOutput;
use chrono::{DateTime, Utc};

/// Where one node of a run stands (as stored).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum NodeState {
    /// Not started.
    #[default]
    Pending,
    /// An attempt is under way (1 for the first).
    Running {
        /// Its number.
        attempt: u32,
    },
    /// An attempt failed; attempt `attempt` starts at `at`.
    Retrying {
        /// The next attempt's number.
        attempt: u32,
        /// When it starts.
        at: DateTime<Utc>,
    },
    /// Done, with its output.
    Completed(NodeOutput),
    /// Failed for good after `attempts` attempts.
    Failed {
        /// Why.
        error: String,
        /// Attempts made.
        attempts: u32,
    },
    /// No branch led to it.
    Skipped,
}

impl NodeState {
    /// Whether nothing more happens to it.
    #[must_use]
    pub const fn is_settled(&self) -> bool {
        matches!(self, Self::Completed(_) | Self::Failed { .. } | Self::Skipped)
    }
}

/// What the executor does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Start attempt `attempt` of `node` with `input`.
    Start {
        /// The node.
        node: NodeId,
        /// What reaches it.
        input: NodeOutput,
        /// 1 for the first attempt.
        attempt: u32,
    },
    /// Mark `node` skipped: no edge into it is followed.
    Skip {
        /// The node.
        node: NodeId,
    },
    /// Nothing to start before `at` (a retry is due then).
    WakeAt(DateTime<Utc>),
    /// The run is over.
    Finish(RunEnd),
}

/// How a run ends.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEnd {
    /// Every node settled without a failure that stops the run: the output of the
    /// nodes nothing follows (merged when several).
    Completed(NodeOutput),
    /// A node failed for good and its `on_error` is `stop`.
    Failed {
        /// That node.
        node: NodeId,
        /// Why.
        error: String,
    },
}

/// What an attempt's failure means for its node.
#[derive(Debug, Clone, PartialEq)]
pub enum AfterFailure {
    /// Attempt `attempt` starts at `at`.
    Retry {
        /// The next attempt's number.
        attempt: u32,
        /// When.
        at: DateTime<Utc>,
    },
    /// No retry is left: the node is `Failed`.
    GiveUp,
}

/// What follows the failure of attempt `attempt` (1 for the first) of a node with `policy`.
#[must_use]
pub fn after_failure(policy: &NodePolicy, attempt: u32, now: DateTime<Utc>) -> AfterFailure {
    if attempt > policy.retries {
        return AfterFailure::GiveUp;
    }
    let wait = chrono::Duration::from_std(policy.backoff_before(attempt)).unwrap_or(chrono::Duration::MAX);
    AfterFailure::Retry { attempt: attempt + 1, at: now.checked_add_signed(wait).unwrap_or(DateTime::<Utc>::MAX_UTC) }
}

/// A state's name as stored and shown: `pending`, `running`, `retrying`, `completed`,
/// `failed`, `skipped`.
#[must_use]
pub const fn state_name(state: &NodeState) -> &'static str {
    match state {
        NodeState::Pending => "pending",
        NodeState::Running { .. } => "running",
        NodeState::Retrying { .. } => "retrying",
        NodeState::Completed(_) => "completed",
        NodeState::Failed { .. } => "failed",
        NodeState::Skipped => "skipped",
    }
}

/// The state attempt `attempt` of a node with `policy` leaves it in, after ending with
/// `result` at `now`: completed, retrying later, or failed for good.
#[must_use]
pub fn settle(policy: &NodePolicy, attempt: u32, result: Result<NodeOutput, String>, now: DateTime<Utc>) -> NodeState {
    match result {
        Ok(output) => NodeState::Completed(output),
        Err(error) => match after_failure(policy, attempt, now) {
            AfterFailure::Retry { attempt, at } => NodeState::Retrying { attempt, at },
            AfterFailure::GiveUp => NodeState::Failed { error, attempts: attempt },
        },
    }
}

/// The output the edge `link` out of `source` (standing at `state`) carries, or `None`
/// when the edge is not followed.
fn carried(link: &Link, source: &Node, state: &NodeState) -> Option<NodeOutput> {
    match (state, link.branch.as_deref()) {
        (NodeState::Completed(out), None) => Some(out.clone()),
        (NodeState::Completed(out), Some(branch)) => (out.branch.as_deref() == Some(branch)).then(|| out.clone()),
        (NodeState::Failed { error, .. }, None | Some("error")) if source.policy.on_error == ErrorMode::Continue => {
            Some(NodeOutput::failure(source.id.as_str(), error))
        }
        _ => None,
    }
}

/// The steps due for a run of `graph` whose nodes stand at `states` (one per node, in the
/// graph's order), started with `input`, at `now`. Skips cascade within one call.
///
/// # Panics
/// Never: `states` shorter than the graph reads as pending for the missing nodes.
#[must_use]
pub fn next_steps(graph: &Graph, states: &[NodeState], input: &NodeOutput, now: DateTime<Utc>) -> Vec<Step> {
    let nodes = graph.nodes();
    let mut states: Vec<NodeState> = (0..nodes.len()).map(|i| states.get(i).cloned().unwrap_or_default()).collect();
    if let Some((i, error)) = states.iter().enumerate().find_map(|(i, s)| match s {
        NodeState::Failed { error, .. } if nodes[i].policy.on_error == ErrorMode::Stop => Some((i, error.clone())),
        _ => None,
    }) {
        return vec![Step::Finish(RunEnd::Failed { node: nodes[i].id.clone(), error })];
    }
    let mut steps = Vec::new();
    let mut wake: Option<DateTime<Utc>> = None;
    for &i in graph.order() {
        match &states[i] {
            NodeState::Retrying { attempt, at } if *at <= now => {
                steps.push(Step::Start {
                    node: nodes[i].id.clone(),
                    input: input_of(graph, &states, i, input),
                    attempt: *attempt,
                });
            }
            NodeState::Retrying { at, .. } => wake = Some(wake.map_or(*at, |w| w.min(*at))),
            NodeState::Pending => {
                let links = graph.incoming(i);
                if links.iter().any(|l| !states[l.node].is_settled()) {
                    continue;
                }
                let followed = links.iter().any(|l| carried(l, &nodes[l.node], &states[l.node]).is_some());
                if links.is_empty() || followed {
                    steps.push(Step::Start {
                        node: nodes[i].id.clone(),
                        input: input_of(graph, &states, i, input),
                        attempt: 1,
                    });
                } else {
                    states[i] = NodeState::Skipped;
                    steps.push(Step::Skip { node: nodes[i].id.clone() });
                }
            }
            _ => {}
        }
    }
    let started = steps.iter().any(|s| matches!(s, Step::Start { .. }));
    let busy = states.iter().any(|s| matches!(s, NodeState::Running { .. } | NodeState::Retrying { .. }));
    if !started && !busy && states.iter().all(NodeState::is_settled) {
        steps.push(Step::Finish(RunEnd::Completed(final_output(graph, &states, input))));
    } else if !started && let Some(at) = wake {
        steps.push(Step::WakeAt(at));
    }
    steps
}

/// What reaches node `i`: the run's input for an entry node, the one followed edge's
/// output, or the outputs of several merged (fan-in).
fn input_of(graph: &Graph, states: &[NodeState], i: usize, input: &NodeOutput) -> NodeOutput {
    let nodes = graph.nodes();
    let links = graph.incoming(i);
    if links.is_empty() {
        return input.clone();
    }
    let mut parts: Vec<(String, NodeOutput)> = links
        .iter()
        .filter_map(|l| Some((nodes[l.node].id.as_str().to_owned(), carried(l, &nodes[l.node], &states[l.node])?)))
        .collect();
    parts.dedup_by(|a, b| a.0 == b.0);
    match parts.len() {
        1 => parts.pop().map(|(_, o)| o).unwrap_or_default(),
        _ => NodeOutput::merged(&parts),
    }
}

/// The run's output: the completed nodes nothing follows (by the graph's order), merged
/// when several; the run's input when none completed.
fn final_output(graph: &Graph, states: &[NodeState], input: &NodeOutput) -> NodeOutput {
    let nodes = graph.nodes();
    let mut ends: Vec<(String, NodeOutput)> = graph
        .order()
        .iter()
        .filter(|&&i| graph.outgoing(i).iter().all(|l| matches!(states[l.node], NodeState::Skipped)))
        .filter_map(|&i| match &states[i] {
            NodeState::Completed(out) => Some((nodes[i].id.as_str().to_owned(), out.clone())),
            _ => None,
        })
        .collect();
    match ends.len() {
        0 => input.clone(),
        1 => ends.pop().map(|(_, o)| o).unwrap_or_default(),
        _ => NodeOutput::merged(&ends),
    }
}
