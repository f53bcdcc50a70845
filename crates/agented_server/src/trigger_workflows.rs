//! Triggers that run a team or a workflow: a firing becomes a workflow run with the
//! trigger's inputs, holding the delivery's dedup keys with the run.

use agented_executions::{DedupClaim, StartError, WorkflowStarted, WorkflowStarter};
use agented_kernel::{TriggerId, WorkflowRunId};
use agented_triggers::ExecutionMode;
use agented_workflows::{RunClaim, RunError, RunOrigin, TeamError, TeamService, WorkflowRunService};
use async_trait::async_trait;
use serde_json::Value;

/// Starts the runs of teams and workflows that triggers fire.
#[derive(Debug, Clone)]
pub struct TriggerWorkflows {
    teams: TeamService,
    runs: WorkflowRunService,
}

impl TriggerWorkflows {
    /// The starter over the team and workflow-run services.
    #[must_use]
    pub const fn new(teams: TeamService, runs: WorkflowRunService) -> Self {
        Self { teams, runs }
    }
}

fn refused(what: &str, why: impl std::fmt::Display) -> StartError {
    StartError::Refused(format!("the trigger's {what} cannot run: {why}"))
}

fn team_refusal(e: TeamError) -> StartError {
    match e {
        TeamError::Duplicate => StartError::Duplicate,
        TeamError::Store(cause) => StartError::Store(cause),
        TeamError::Invalid(errors) => {
            refused("team", errors.into_iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; "))
        }
        other => refused("team", other),
    }
}

fn workflow_refusal(e: RunError) -> StartError {
    match e {
        RunError::Duplicate => StartError::Duplicate,
        RunError::Store(e) => StartError::Store(agented_kernel::Cause::of(e)),
        other => refused("workflow", other),
    }
}

#[async_trait]
impl WorkflowStarter for TriggerWorkflows {
    async fn start_workflow(
        &self,
        trigger: &TriggerId,
        mode: &ExecutionMode,
        input: Value,
        claims: &[DedupClaim],
    ) -> Result<WorkflowStarted, StartError> {
        let origin = RunOrigin::Trigger(trigger.to_string());
        let claims: Vec<RunClaim> =
            claims.iter().map(|c| RunClaim { key: c.key.clone(), expires_at: c.expires_at }).collect();
        let run = match mode {
            ExecutionMode::Team(team) => {
                self.teams.run(team.as_str(), input, origin, &claims).await.map_err(team_refusal)?
            }
            ExecutionMode::Workflow(workflow) => {
                let id = WorkflowRunId::generate();
                self.runs
                    .start_claiming(&id, workflow.as_str(), None, input, origin, &claims)
                    .await
                    .map_err(workflow_refusal)?
            }
            ExecutionMode::Direct => return Err(StartError::Refused("a direct trigger runs its own CLI".into())),
        };
        Ok(WorkflowStarted { run: run.id, workflow: run.workflow_id })
    }
}
