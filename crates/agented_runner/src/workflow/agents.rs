//! `agent` nodes: a stored agent, or a prompt on a backend, run as an ordinary execution
//! (costed, budgeted, logged, streamed like any run). The execution id is chosen and
//! stored on the node before the run is started, so a driver that took over finds the run
//! instead of starting a second one.

use super::Shared;
use super::nodes::{Attempt, Result};
use agented_kernel::ExecutionId;
use agented_workflows::{AgentTarget, NodeOutput, render};
use async_trait::async_trait;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Where an agent's execution stands.
#[derive(Debug, Clone, PartialEq)]
pub enum AgentState {
    /// Queued or running.
    Running,
    /// Ended: the bot's reply, or why it did not succeed; and its cost.
    Ended {
        /// The reply, or why not.
        result: std::result::Result<String, String>,
        /// What it cost, in US dollars.
        cost_usd: Option<f64>,
    },
}

/// Starts and follows the executions of agent nodes.
#[async_trait]
pub trait AgentRuns: Send + Sync {
    /// A fresh execution id for the next agent run.
    fn new_id(&self) -> ExecutionId;

    /// Starts `target` on `message` (the node's prompt over its input, untrusted: the
    /// implementation fences it) as execution `id`, with `tooling` besides the agent's own.
    ///
    /// # Errors
    /// Why it did not start (no such agent or backend, the owning trigger is disabled, …).
    async fn start(
        &self,
        id: ExecutionId,
        target: &AgentTarget,
        message: String,
        tooling: &agented_kernel::ToolingRefs,
    ) -> std::result::Result<(), String>;

    /// Where execution `id` stands; `None` when it does not exist.
    ///
    /// # Errors
    /// Storage failed.
    async fn state(&self, id: &ExecutionId) -> std::result::Result<Option<AgentState>, String>;

    /// Stops execution `id` (a cancelled or timed-out node).
    async fn cancel(&self, id: &ExecutionId);
}

/// Runs one attempt of an agent node: starts its execution once and waits for it, within
/// the node's timeout; a stop or a timeout cancels the execution.
pub(super) async fn agent(
    shared: &Arc<Shared>,
    a: &Attempt,
    target: &AgentTarget,
    prompt: &str,
    tooling: &agented_kernel::ToolingRefs,
) -> Result {
    let runs = shared.agents.as_ref().ok_or("this process cannot run agent nodes")?;
    let id = super::nodes::attempt_child(shared, a, || runs.new_id().to_string()).await?;
    let id = ExecutionId::parse(&id).map_err(|e| e.to_string())?;
    if runs.state(&id).await?.is_none() {
        runs.start(id.clone(), target, render(prompt, &a.input), tooling).await?;
    }
    let limit = a.node.policy.timeout;
    let deadline = limit.map(|t| tokio::time::Instant::now() + t);
    let mut stop = a.stop.clone();
    loop {
        if let Some(AgentState::Ended { result, cost_usd }) = runs.state(&id).await? {
            if cost_usd.is_some() {
                shared.record_cost(&a.run, &a.node.id, runs.as_ref()).await;
            }
            let text = result?;
            let mut out = NodeOutput { content_type: "agent".into(), text: Some(text), ..NodeOutput::default() }
                .from_node(a.node.id.as_str());
            out.metadata.insert("execution_id".into(), Value::from(id.as_str()));
            let who = match target {
                AgentTarget::Agent(agent) => ("agent_id", agent),
                AgentTarget::Backend(backend) => ("backend", backend),
            };
            out.metadata.insert(who.0.into(), Value::from(who.1.as_str()));
            return Ok(out);
        }
        let nap = deadline.map_or(shared.options.poll, |d| {
            d.saturating_duration_since(tokio::time::Instant::now()).min(shared.options.poll)
        });
        if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
            runs.cancel(&id).await;
            return Err(format!("timed out after {} s", limit.unwrap_or(Duration::ZERO).as_secs()));
        }
        tokio::select! {
            () = tokio::time::sleep(nap) => {}
            _ = stop.changed() => {
                if stop.borrow().is_some_and(|r| r != crate::process::StopReason::Shutdown) {
                    runs.cancel(&id).await;
                }
                if stop.borrow().is_some() {
                    return Err("stopped".to_owned());
                }
            }
        }
    }
}
