//! A node's kind with its settings, read and checked from its document, and the
//! policy every kind shares: timeout, retries with backoff, and what a failure does.

use crate::condition::Condition;
use crate::document::NodeDocument;
use crate::transform::Transform;
use serde_json::{Map, Value};
use std::fmt;
use std::time::Duration;

/// Longest timeout, wait or approval window a node may set (a week).
pub const MAX_NODE_SECONDS: u64 = 7 * 24 * 3600;
/// Most retries of one node.
pub const MAX_RETRIES: u32 = 10;

/// A node's id: 1–64 letters, digits, `-` or `_`, unique in its graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(String);

impl NodeId {
    /// `raw` when it is a valid node id.
    ///
    /// # Errors
    /// Why it is not.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let ok =
            (1..=64).contains(&raw.len()) && raw.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!("'{raw}' is not a node id (1–64 of letters, digits, - and _)"))
        }
    }

    /// As written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who an `agent` node asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AgentTarget {
    /// A stored agent (`agent-…`), with its role, prompt and backend.
    Agent(String),
    /// A backend (`backend-…`, or `claude`, `codex`, `gemini`, `opencode`) with the node's prompt alone.
    Backend(String),
}

/// What a node does.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// Where a run starts: hands the workflow's input on.
    Trigger,
    /// Runs an agent or a backend as an ordinary execution; `prompt` is a template over the input.
    Agent {
        /// Who runs.
        target: AgentTarget,
        /// The message, `{input}` replaced (`{input}` alone when unset).
        prompt: String,
        /// Managed tooling the run gets besides the agent's own (a team's).
        tooling: agented_kernel::ToolingRefs,
    },
    /// Runs a program: an argv, never a shell.
    Command {
        /// Program and arguments; each may hold `{input}`.
        argv: Vec<String>,
    },
    /// Takes the `true` or the `false` branch.
    Conditional {
        /// The test.
        condition: Condition,
        /// A template over the input naming what is tested (`{input.review}`, one node's
        /// text of a fan-in); the input's text when unset.
        subject: Option<String>,
    },
    /// Reshapes its input.
    Transform(Transform),
    /// Waits for a person to approve or reject.
    Approval {
        /// What the person is asked.
        message: String,
        /// Rejected when no one decides within this long; `None` waits as long as the node's timeout.
        timeout: Option<Duration>,
    },
    /// Waits.
    Wait(Duration),
    /// Runs another workflow (its published version) with this input.
    Workflow {
        /// `wf-…`.
        workflow_id: String,
    },
}

impl NodeKind {
    /// Every kind's name.
    pub const NAMES: [&'static str; 8] =
        ["trigger", "agent", "command", "conditional", "transform", "approval", "wait", "workflow"];

    /// The approval kind's name.
    pub const APPROVAL: &'static str = "approval";
    /// The sub-workflow kind's name.
    pub const WORKFLOW: &'static str = "workflow";

    /// The kind's name.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Trigger => "trigger",
            Self::Agent { .. } => "agent",
            Self::Command { .. } => "command",
            Self::Conditional { .. } => "conditional",
            Self::Transform(_) => "transform",
            Self::Approval { .. } => "approval",
            Self::Wait(_) => "wait",
            Self::Workflow { .. } => "workflow",
        }
    }
}

/// What a failed node (its retries spent) does to the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorMode {
    /// The run fails; nothing else starts.
    #[default]
    Stop,
    /// The run goes on: the failure is the node's output, and `error` edges follow it.
    Continue,
}

/// The policy every node kind shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodePolicy {
    /// An attempt running longer fails.
    pub timeout: Option<Duration>,
    /// Attempts after the first.
    pub retries: u32,
    /// The wait before the first retry; it doubles after each.
    pub backoff: Duration,
    /// What a final failure does.
    pub on_error: ErrorMode,
}

impl Default for NodePolicy {
    fn default() -> Self {
        Self { timeout: None, retries: 0, backoff: Duration::from_secs(5), on_error: ErrorMode::Stop }
    }
}

impl NodePolicy {
    /// The wait before retry `n` (1 for the first).
    #[must_use]
    pub fn backoff_before(&self, n: u32) -> Duration {
        self.backoff.saturating_mul(1 << n.saturating_sub(1).min(16))
    }
}

/// One node, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its id.
    pub id: NodeId,
    /// What it does.
    pub kind: NodeKind,
    /// Timeout, retries, error mode.
    pub policy: NodePolicy,
}

/// Problems found in one node, as `(key inside the node, why)`.
pub type NodeProblems = Vec<(String, String)>;

fn seconds(config: &Map<String, Value>, key: &str, problems: &mut NodeProblems) -> Option<Duration> {
    match config.get(key) {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64().filter(|s| (1..=MAX_NODE_SECONDS).contains(s)) {
            Some(s) => Some(Duration::from_secs(s)),
            None => {
                problems.push((
                    format!("config.{key}"),
                    format!("must be a whole number of seconds, 1–{MAX_NODE_SECONDS}"),
                ));
                None
            }
        },
    }
}

fn text(config: &Map<String, Value>, key: &str) -> Option<String> {
    config.get(key).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn policy(config: &Map<String, Value>, problems: &mut NodeProblems) -> NodePolicy {
    let mut policy = NodePolicy { timeout: seconds(config, "timeout_seconds", problems), ..NodePolicy::default() };
    match config.get("retries") {
        None | Some(Value::Null) => {}
        Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()).filter(|n| *n <= MAX_RETRIES) {
            Some(n) => policy.retries = n,
            None => problems.push(("config.retries".into(), format!("must be a whole number, 0–{MAX_RETRIES}"))),
        },
    }
    if let Some(backoff) = seconds(config, "retry_backoff_seconds", problems) {
        policy.backoff = backoff;
    }
    match config.get("on_error").map(|v| v.as_str()) {
        None | Some(Some("stop")) => {}
        Some(Some("continue")) => policy.on_error = ErrorMode::Continue,
        Some(_) => problems.push(("config.on_error".into(), "must be stop or continue".into())),
    }
    policy
}

/// Records that `doc` lacks `key`.
fn missing(problems: &mut NodeProblems, doc: &NodeDocument, key: &str, what: &str) -> Option<NodeKind> {
    problems.push((format!("config.{key}"), format!("a {} node needs `{key}`: {what}", doc.kind)));
    None
}

fn kind(doc: &NodeDocument, problems: &mut NodeProblems) -> Option<NodeKind> {
    let config = &doc.config;
    match doc.kind.as_str() {
        "trigger" => Some(NodeKind::Trigger),
        "agent" => {
            let target = match (text(config, "agent_id"), text(config, "backend")) {
                (Some(agent), None) => AgentTarget::Agent(agent),
                (None, Some(backend)) => AgentTarget::Backend(backend),
                (Some(_), Some(_)) => {
                    problems.push(("config.backend".into(), "name an agent_id or a backend, not both".into()));
                    return None;
                }
                (None, None) => {
                    return missing(
                        problems,
                        doc,
                        "agent_id",
                        "the agent to run (or `backend` to run a prompt on a CLI)",
                    );
                }
            };
            let tooling = match config
                .get("tooling")
                .map(|v| serde_json::from_value::<agented_kernel::ToolingInput>(v.clone()))
            {
                None => agented_kernel::ToolingRefs::default(),
                Some(Ok(input)) => match input.refs() {
                    Ok(refs) => refs,
                    Err(why) => {
                        problems.push(("config.tooling".into(), why));
                        return None;
                    }
                },
                Some(Err(e)) => {
                    problems.push((
                        "config.tooling".into(),
                        format!("an object of id lists (mcp_servers, skills, commands, hooks, rules): {e}"),
                    ));
                    return None;
                }
            };
            Some(NodeKind::Agent {
                target,
                prompt: text(config, "prompt").unwrap_or_else(|| "{input}".into()),
                tooling,
            })
        }
        "command" => {
            let argv = match (config.get("argv"), config.get("command")) {
                (Some(Value::Array(items)), _) => {
                    items.iter().map(|v| v.as_str().map(str::to_owned)).collect::<Option<Vec<_>>>()
                }
                (None, Some(Value::String(line))) => shell_words::split(line).ok(),
                _ => None,
            };
            match argv.filter(|a| a.first().is_some_and(|p| !p.trim().is_empty())) {
                Some(argv) => Some(NodeKind::Command { argv }),
                None => missing(
                    problems,
                    doc,
                    "argv",
                    "the program and its arguments, as a list of strings (or `command` as one line, split without a shell)",
                ),
            }
        }
        "conditional" => {
            let Some(name) = text(config, "condition") else {
                return missing(problems, doc, "condition", &format!("one of {}", Condition::NAMES.join(", ")));
            };
            match Condition::parse(&name, config.get("value")) {
                Ok(condition) => Some(NodeKind::Conditional { condition, subject: text(config, "subject") }),
                Err(why) => {
                    problems.push(("config.condition".into(), why));
                    None
                }
            }
        }
        "transform" => {
            let name = text(config, "transform_type").unwrap_or_else(|| "template".into());
            match Transform::parse(&name, config) {
                Ok(t) => Some(NodeKind::Transform(t)),
                Err((key, why)) => {
                    problems.push((format!("config.{key}"), why));
                    None
                }
            }
        }
        "approval" => Some(NodeKind::Approval {
            message: text(config, "message").unwrap_or_else(|| "Approve to go on".into()),
            timeout: seconds(config, "approval_timeout_seconds", problems),
        }),
        "wait" => match seconds(config, "seconds", problems) {
            Some(d) => Some(NodeKind::Wait(d)),
            None if config.contains_key("seconds") => None,
            None => missing(problems, doc, "seconds", "how long to wait"),
        },
        "workflow" => match text(config, "workflow_id") {
            Some(workflow_id) => Some(NodeKind::Workflow { workflow_id }),
            None => missing(problems, doc, "workflow_id", "the workflow to run"),
        },
        other => {
            problems.push((
                "type".into(),
                format!("unknown node type '{other}': use one of {}", NodeKind::NAMES.join(", ")),
            ));
            None
        }
    }
}

impl Node {
    /// The node `doc` describes.
    ///
    /// # Errors
    /// Every problem found, by key inside the node.
    pub fn read(doc: &NodeDocument) -> Result<Self, NodeProblems> {
        let mut problems = NodeProblems::new();
        let id = NodeId::parse(&doc.id).map_err(|why| problems.push(("id".into(), why))).ok();
        let kind = kind(doc, &mut problems);
        let policy = policy(&doc.config, &mut problems);
        match (id, kind) {
            (Some(id), Some(kind)) if problems.is_empty() => Ok(Self { id, kind, policy }),
            _ => Err(problems),
        }
    }
}
