//! The `ChatRunner` port over executions: a chat's first turn is an ordinary run of
//! the predefined `bot-super-agents` trigger; each later turn is a follow-up of the
//! last one, so the CLI resumes its own session (and works in the same folder).

use agented_executions::{ExecutionService, ExecutionStatus, FindError, FollowUp, LogFollower, PromptRun, StartError};
use agented_kernel::{BackendType, ExecutionId, TriggerId};
use agented_super_agents::{ChatRunner, RunnerError, TurnOutcome};
use async_trait::async_trait;

/// Runs turns as `trigger` (the predefined `bot-super-agents`).
#[derive(Clone)]
pub struct ExecutionChats {
    runs: ExecutionService,
    logs: LogFollower,
    trigger: TriggerId,
}

impl ExecutionChats {
    /// Turns as runs of `trigger`.
    #[must_use]
    pub const fn new(runs: ExecutionService, logs: LogFollower, trigger: TriggerId) -> Self {
        Self { runs, logs, trigger }
    }
}

fn refused(e: StartError, trigger: &TriggerId) -> RunnerError {
    match e {
        e @ (StartError::Disabled(_) | StartError::Busy(_) | StartError::Refused(_)) => {
            RunnerError::Refused(format!("{e} (the {trigger} trigger runs persistent agents)"))
        }
        StartError::NotFound(what) => RunnerError::Refused(format!("{what} not found")),
        e => RunnerError::Unavailable(agented_kernel::Cause::of(e)),
    }
}

#[async_trait]
impl ChatRunner for ExecutionChats {
    async fn start(
        &self,
        (backend, model): (BackendType, Option<&str>),
        prompt: &str,
        resume: Option<&ExecutionId>,
    ) -> Result<ExecutionId, RunnerError> {
        let started = match resume {
            Some(last) => self.runs.follow_up(last, FollowUp::by_person(prompt.to_owned())).await,
            None => {
                let id = ExecutionId::generate(&self.trigger, chrono::Utc::now());
                let run = PromptRun {
                    backend,
                    model: model.map(str::to_owned),
                    allowed_tools: None,
                    tooling: agented_kernel::ToolingRefs::default(),
                };
                self.runs.start_prompt_as(id, &self.trigger, run, prompt.to_owned()).await
            }
        };
        started.map(|e| e.execution_id).map_err(|e| refused(e, &self.trigger))
    }

    async fn outcome(&self, run: &ExecutionId) -> Result<TurnOutcome, RunnerError> {
        let execution = match self.runs.get(run.as_str()).await {
            Ok(execution) => execution,
            Err(FindError::NotFound) => return Ok(TurnOutcome::Failed("the run no longer exists".into())),
            Err(FindError::Store(e)) => return Err(RunnerError::Unavailable(agented_kernel::Cause::of(e))),
        };
        if !execution.status.is_terminal() {
            return Ok(TurnOutcome::Running);
        }
        if execution.status != ExecutionStatus::Success {
            let why = execution.error_message.clone().unwrap_or_else(|| format!("it ended {}", execution.status));
            return Ok(TurnOutcome::Failed(why));
        }
        let reply = crate::assistant::reply_of(&self.logs, &execution)
            .await
            .map_err(|e| RunnerError::Unavailable(agented_kernel::Cause::of(e)))?;
        Ok(TurnOutcome::Answered { reply, cli_session: execution.session_id.map(String::from) })
    }
}

/// The persistent agents of this server; chats whose turn was running when a previous
/// server stopped are followed again until their runs end.
pub(crate) async fn super_agent_service(
    database: &agented_store::Database,
    runs: &crate::startup::Runs,
    clock: std::sync::Arc<dyn agented_kernel::Clock>,
) -> Result<agented_super_agents::SuperAgentService, crate::startup::StartupError> {
    let trigger = TriggerId::parse(agented_triggers::SUPER_AGENTS.id)
        .map_err(|e| crate::startup::StartupError::Recovery(e.to_string()))?;
    let service = agented_super_agents::SuperAgentService::new(
        std::sync::Arc::new(agented_store::SqlSuperAgents::new(database.clone())),
        std::sync::Arc::new(ExecutionChats::new(runs.service.clone(), runs.follower.clone(), trigger)),
        clock,
    );
    service.resume_turns().await.map_err(|e| crate::startup::StartupError::Recovery(e.to_string()))?;
    Ok(service)
}
