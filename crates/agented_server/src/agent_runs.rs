//! Agents' runs over executions. A run of an agent, or of a workflow's `agent` node, is an
//! ordinary run of the predefined `bot-agents` trigger (its paths, time limit and
//! concurrency) on the agent's or node's backend, with the message fenced as untrusted
//! text; its reply is read back from the run's stored output.

use crate::assistant::reply_of;
use agented_executions::{
    ExecutionService, ExecutionStatus, FenceNonce, FindError, LogFollower, PromptInput, PromptRun, StartError,
};
use agented_kernel::{BackendType, ExecutionId, ToolingRefs, TriggerId};
use agented_runner::workflow::{AgentRuns, AgentState};
use agented_workflows::{Agent, AgentError, AgentLauncher, AgentService, AgentTarget, LaunchError};
use async_trait::async_trait;

/// Starts agents' runs as runs of `trigger`.
#[derive(Clone)]
pub struct ExecutionLauncher {
    runs: ExecutionService,
    logs: LogFollower,
    trigger: TriggerId,
    max_untrusted_chars: usize,
}

impl ExecutionLauncher {
    /// Runs as `trigger` (the predefined `bot-agents`), untrusted text cut at `max_untrusted_chars`.
    #[must_use]
    pub fn new(runs: ExecutionService, logs: LogFollower, trigger: TriggerId, max_untrusted_chars: usize) -> Self {
        Self { runs, logs, trigger, max_untrusted_chars }
    }

    fn fenced(&self, message: &str) -> String {
        PromptInput::guard("message", message, self.max_untrusted_chars).fenced(&FenceNonce::generate())
    }

    async fn start(&self, id: ExecutionId, run: PromptRun, prompt: String) -> Result<(), LaunchError> {
        match self.runs.start_prompt_as(id, &self.trigger, run, prompt).await {
            Ok(_) => Ok(()),
            Err(e @ (StartError::Disabled(_) | StartError::Busy(_) | StartError::NotFound(_))) => {
                Err(LaunchError::Refused(format!("{e} (the {} trigger runs agents)", self.trigger)))
            }
            Err(e) => Err(LaunchError::Unavailable(agented_kernel::Cause::of(e))),
        }
    }
}

#[async_trait]
impl AgentLauncher for ExecutionLauncher {
    async fn launch(&self, agent: &Agent, message: &str, execution: Option<&str>) -> Result<String, LaunchError> {
        let id = match execution {
            Some(id) => ExecutionId::parse(id).map_err(|e| LaunchError::Refused(e.to_string()))?,
            None => ExecutionId::generate(&self.trigger, chrono::Utc::now()),
        };
        let f = &agent.fields;
        let tools = (!f.allowed_tools.is_empty()).then(|| f.allowed_tools.join(","));
        let run = PromptRun {
            backend: f.backend_type,
            model: f.model.clone(),
            allowed_tools: tools,
            tooling: f.tooling.clone(),
        };
        self.start(id.clone(), run, agent.prompt(&self.fenced(message))).await?;
        Ok(id.to_string())
    }
}

/// The workflow driver's agent runs: a stored agent through [`AgentService`], a backend directly.
#[derive(Clone)]
pub struct WorkflowAgents {
    launcher: ExecutionLauncher,
    agents: AgentService,
}

impl WorkflowAgents {
    /// Over `launcher` (also `agents`' launcher).
    #[must_use]
    pub const fn new(launcher: ExecutionLauncher, agents: AgentService) -> Self {
        Self { launcher, agents }
    }
}

#[async_trait]
impl AgentRuns for WorkflowAgents {
    fn new_id(&self) -> ExecutionId {
        ExecutionId::generate(&self.launcher.trigger, chrono::Utc::now())
    }

    async fn start(
        &self,
        id: ExecutionId,
        target: &AgentTarget,
        message: String,
        tooling: &ToolingRefs,
    ) -> Result<(), String> {
        match target {
            AgentTarget::Backend(name) => {
                let backend: BackendType =
                    name.parse().map_err(|_| format!("backend '{name}' is not claude, codex, gemini or opencode"))?;
                let run = PromptRun { backend, model: None, allowed_tools: None, tooling: tooling.clone() };
                self.launcher.start(id, run, self.launcher.fenced(&message)).await.map_err(|e| e.to_string())
            }
            AgentTarget::Agent(agent) => {
                let mut found = self.agents.get(agent).await.map_err(|e| match e {
                    AgentError::NotFound => format!("agent '{agent}' not found"),
                    other => other.to_string(),
                })?;
                // A team's tooling comes after the member's own.
                found.fields.tooling = found.fields.tooling.clone().and(tooling);
                self.agents.start(&found, &message, Some(id.as_str())).await.map(drop).map_err(|e| e.to_string())
            }
        }
    }

    async fn state(&self, id: &ExecutionId) -> Result<Option<AgentState>, String> {
        let execution = match self.launcher.runs.get(id.as_str()).await {
            Ok(execution) => execution,
            Err(FindError::NotFound) => return Ok(None),
            Err(FindError::Store(e)) => return Err(e.to_string()),
        };
        if !execution.status.is_terminal() {
            return Ok(Some(AgentState::Running));
        }
        let result = if execution.status == ExecutionStatus::Success {
            Ok(reply_of(&self.launcher.logs, &execution).await.map_err(|e| e.to_string())?)
        } else {
            Err(execution.error_message.clone().unwrap_or_else(|| format!("its run {id} ended {}", execution.status)))
        };
        Ok(Some(AgentState::Ended { result, cost_usd: execution.total_cost_usd }))
    }

    async fn cancel(&self, id: &ExecutionId) {
        if let Err(e) = self.launcher.runs.cancel(id).await {
            tracing::debug!(execution_id = %id, error = %e, "an agent node's run was not cancelled");
        }
    }
}
