//! The `PlanningAssistant` port over executions: planning asks a bot by
//! starting a normal run of the `bot-planner` trigger, and reads the reply
//! back from the run's stored output.

use agented_executions::{
    ExecutionService, ExecutionStatus, FindError, LogFollower, PromptRun, StartError, reply_text,
};
use agented_kernel::{BackendType, ExecutionId, TriggerId};
use agented_roadmaps::planning::{AssistantError, PlanningAssistant, RunState};
use async_trait::async_trait;

/// Lines read back per page, and at most in all (a reply is far shorter).
const PAGE: u32 = 2000;
const MAX_LINES: usize = 50_000;

/// Asks through [`ExecutionService::start_prompt`].
#[derive(Clone)]
pub struct ExecutionAssistant {
    runs: ExecutionService,
    logs: LogFollower,
    trigger: TriggerId,
}

impl ExecutionAssistant {
    /// Runs as `trigger` (the predefined planner).
    #[must_use]
    pub fn new(runs: ExecutionService, logs: LogFollower, trigger: TriggerId) -> Self {
        Self { runs, logs, trigger }
    }
}

#[async_trait]
impl PlanningAssistant for ExecutionAssistant {
    async fn ask(
        &self,
        backend: BackendType,
        prompt: &str,
        tooling: &agented_kernel::ToolingRefs,
    ) -> Result<ExecutionId, AssistantError> {
        let id = ExecutionId::generate(&self.trigger, chrono::Utc::now());
        let run = PromptRun { backend, model: None, allowed_tools: None, tooling: tooling.clone() };
        match self.runs.start_prompt_as(id, &self.trigger, run, prompt.to_owned()).await {
            Ok(execution) => Ok(execution.execution_id),
            Err(e @ (StartError::Disabled(_) | StartError::Busy(_))) => {
                Err(AssistantError::Refused(format!("{e} (the {} trigger runs planning)", self.trigger)))
            }
            Err(StartError::NotFound(_)) => {
                Err(AssistantError::Refused(format!("the {} trigger that runs planning is missing", self.trigger)))
            }
            Err(e) => Err(AssistantError::Unavailable(agented_kernel::Cause::of(e))),
        }
    }

    async fn state(&self, run: &ExecutionId) -> Result<RunState, AssistantError> {
        let unavailable =
            |e: agented_executions::ExecStoreError| AssistantError::Unavailable(agented_kernel::Cause::of(e));
        let execution = match self.runs.get(run.as_str()).await {
            Ok(execution) => execution,
            Err(FindError::NotFound) => return Ok(RunState::Failed("the run no longer exists".into())),
            Err(FindError::Store(e)) => return Err(unavailable(e)),
        };
        if !execution.status.is_terminal() {
            return Ok(RunState::Running);
        }
        if execution.status != ExecutionStatus::Success {
            let why = execution.error_message.unwrap_or_else(|| format!("it ended {}", execution.status));
            return Ok(RunState::Failed(why));
        }
        Ok(RunState::Succeeded(reply_of(&self.logs, &execution).await.map_err(unavailable)?))
    }
}

/// What the bot said in `execution`, read back from its stored output.
///
/// # Errors
/// The log store's.
pub(crate) async fn reply_of(
    logs: &LogFollower,
    execution: &agented_executions::Execution,
) -> Result<String, agented_executions::ExecStoreError> {
    let mut lines = Vec::new();
    loop {
        let after = lines.last().map_or(0, |l: &agented_executions::LogLine| l.seq);
        let page = logs.page(&execution.execution_id, after, PAGE).await?;
        let done = page.len() < PAGE as usize;
        lines.extend(page);
        if done || lines.len() >= MAX_LINES {
            break;
        }
    }
    let backend = execution.snapshot.backend_id.is_none().then_some(execution.snapshot.backend_type);
    Ok(reply_text(backend, &lines))
}
