//! The workflow driver's `AgentRuns` over executions: an agent node's prompt runs as an
//! ordinary run of the predefined `bot-agents` trigger (its paths, tools, time limit and
//! concurrency), and its reply is read back from the run's stored output.

use crate::assistant::reply_of;
use agented_executions::{ExecutionService, ExecutionStatus, FindError, LogFollower};
use agented_kernel::{BackendType, ExecutionId, TriggerId};
use agented_runner::workflow::{AgentRuns, AgentState};
use async_trait::async_trait;

/// Agent nodes' runs, as runs of `trigger`.
#[derive(Clone)]
pub struct ExecutionAgents {
    runs: ExecutionService,
    logs: LogFollower,
    trigger: TriggerId,
}

impl ExecutionAgents {
    /// Runs as `trigger` (the predefined `bot-agents`).
    #[must_use]
    pub fn new(runs: ExecutionService, logs: LogFollower, trigger: TriggerId) -> Self {
        Self { runs, logs, trigger }
    }
}

#[async_trait]
impl AgentRuns for ExecutionAgents {
    fn new_id(&self) -> ExecutionId {
        ExecutionId::generate(&self.trigger, chrono::Utc::now())
    }

    async fn start(&self, id: ExecutionId, backend: BackendType, prompt: String) -> Result<(), String> {
        self.runs
            .start_prompt_as(id, &self.trigger, backend, prompt)
            .await
            .map(drop)
            .map_err(|e| format!("{e} (the {} trigger runs agent nodes)", self.trigger))
    }

    async fn state(&self, id: &ExecutionId) -> Result<Option<AgentState>, String> {
        let execution = match self.runs.get(id.as_str()).await {
            Ok(execution) => execution,
            Err(FindError::NotFound) => return Ok(None),
            Err(FindError::Store(e)) => return Err(e.to_string()),
        };
        if !execution.status.is_terminal() {
            return Ok(Some(AgentState::Running));
        }
        let result = if execution.status == ExecutionStatus::Success {
            Ok(reply_of(&self.logs, &execution).await.map_err(|e| e.to_string())?)
        } else {
            Err(execution.error_message.clone().unwrap_or_else(|| format!("its run {id} ended {}", execution.status)))
        };
        Ok(Some(AgentState::Ended { result, cost_usd: execution.total_cost_usd }))
    }

    async fn cancel(&self, id: &ExecutionId) {
        if let Err(e) = self.runs.cancel(id).await {
            tracing::debug!(execution_id = %id, error = %e, "an agent node's run was not cancelled");
        }
    }
}
