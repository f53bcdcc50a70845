//! The node kinds that only compute (trigger, transform, conditional), and what an
//! approval node tells while it waits and answers once decided: pure functions of the
//! node and its input.

use crate::node::{Node, NodeKind};
use crate::output::NodeOutput;
use crate::run::{Decision, WorkflowRun};
use crate::transform::render;
use serde_json::{Map, Value, json};

/// What node `node` makes of `input`, when its kind only computes; `None` for the kinds
/// that act (agent, command, approval, wait, workflow).
#[must_use]
pub fn compute(node: &Node, input: &NodeOutput) -> Option<Result<NodeOutput, String>> {
    let id = node.id.as_str();
    match &node.kind {
        NodeKind::Trigger => Some(Ok(NodeOutput { content_type: "trigger".into(), ..input.clone() }.from_node(id))),
        NodeKind::Transform(t) => Some(t.apply(id, input)),
        NodeKind::Conditional { condition, subject } => {
            let result = match subject {
                Some(template) => condition.holds(&NodeOutput { text: Some(render(template, input)), ..input.clone() }),
                None => condition.holds(input),
            };
            let branch = if result { "true" } else { "false" };
            // The input's data stays (a fan-in's outputs by node), so a branch can still read it.
            let mut data = match &input.data {
                Some(Value::Object(map)) => map.clone(),
                _ => Map::new(),
            };
            data.insert("result".into(), Value::from(result));
            data.insert("branch".into(), Value::from(branch));
            let mut out = NodeOutput {
                content_type: "conditional".into(),
                text: Some(input.as_text()),
                data: Some(Value::Object(data)),
                branch: Some(branch.to_owned()),
                ..NodeOutput::default()
            }
            .from_node(id);
            out.metadata.insert("branch".into(), Value::from(branch));
            Some(Ok(out))
        }
        _ => None,
    }
}

/// The notice that approval node `node` of `run` (of `workflow`) waits for a decision,
/// in its `attempt`, since `at`, for at most `timeout`.
#[must_use]
pub fn approval_notice(
    run: &WorkflowRun,
    node: &str,
    attempt: u32,
    timeout: Option<std::time::Duration>,
    at: chrono::DateTime<chrono::Utc>,
) -> agented_kernel::Notice {
    use agented_kernel::{Notice, NoticeEvent, NoticeValue};
    let event = NoticeEvent::ApprovalNeeded;
    let within = timeout.map(|t| format!(" within {} s", t.as_secs())).unwrap_or_default();
    let summary = format!("Workflow run {} waits at '{node}' for an approval{within}", run.id);
    let mut notice = Notice::new(event, format!("{event}:{}:{node}:{attempt}", run.id), summary, at)
        .text("workflow_id", run.workflow_id.as_str())
        .text("workflow_run_id", run.id.as_str())
        .text("node", node)
        .fact("timeout_seconds", timeout.map(|t| NoticeValue::Integer(i64::try_from(t.as_secs()).unwrap_or(i64::MAX))));
    notice.link = Some(format!("/workflows/{}/runs/{}", run.workflow_id, run.id));
    notice
}

/// What an approval node hands on once `decision` is made: its input, with the decision
/// in `data`, when approved; a failure naming the decider when rejected.
///
/// # Errors
/// The rejection.
pub fn approval_answer(node: &str, input: &NodeOutput, decision: &Decision) -> Result<NodeOutput, String> {
    if !decision.approved {
        let why = decision.comment.as_deref().map(|c| format!(": {c}")).unwrap_or_default();
        return Err(format!("rejected by {}{why}", decision.by));
    }
    let data = json!({
        "approved": true,
        "decided_by": decision.by,
        "comment": decision.comment,
        "decided_at": decision.at.to_rfc3339(),
    });
    Ok(NodeOutput {
        content_type: "approval".into(),
        text: Some(input.as_text()),
        data: Some(data),
        ..NodeOutput::default()
    }
    .from_node(node))
}
