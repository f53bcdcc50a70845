//! Agents: create, read, change and delete them, and run one on a message as an ordinary
//! execution (through the [`AgentLauncher`] port).

use crate::agent::{Agent, AgentPatch};
use crate::definition::FieldErrors;
use crate::ports::{AgentLauncher, AgentRepository, LaunchError, WorkflowStoreError};
use agented_kernel::{AgentId, Clock};
use std::sync::Arc;

/// The longest message a run of an agent takes, in characters.
pub const MAX_MESSAGE_CHARS: usize = 100_000;

/// Why an agent request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgentError {
    /// No such agent.
    #[error("agent not found")]
    NotFound,
    /// Invalid fields, by name.
    #[error("invalid agent")]
    Invalid(FieldErrors),
    /// It may not run now (disabled, or its runs' trigger refused).
    #[error("{0}")]
    Conflict(String),
    /// Storage or the queue failed.
    #[error("agent storage failed: {0}")]
    Store(#[source] agented_kernel::Cause),
}

impl From<WorkflowStoreError> for AgentError {
    fn from(e: WorkflowStoreError) -> Self {
        Self::Store(agented_kernel::Cause::of(e))
    }
}

/// Agents and their runs.
#[derive(Clone)]
pub struct AgentService {
    agents: Arc<dyn AgentRepository>,
    launcher: Arc<dyn AgentLauncher>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AgentService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentService").finish_non_exhaustive()
    }
}

fn id_of(raw: &str) -> Result<AgentId, AgentError> {
    AgentId::parse(raw).map_err(|_| AgentError::NotFound)
}

impl AgentService {
    /// The service over its ports.
    #[must_use]
    pub fn new(agents: Arc<dyn AgentRepository>, launcher: Arc<dyn AgentLauncher>, clock: Arc<dyn Clock>) -> Self {
        Self { agents, launcher, clock }
    }

    /// Every agent, oldest first.
    ///
    /// # Errors
    /// `Store`.
    pub async fn list(&self) -> Result<Vec<Agent>, AgentError> {
        Ok(self.agents.list().await?)
    }

    /// One agent.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn get(&self, id: &str) -> Result<Agent, AgentError> {
        self.agents.get(&id_of(id)?).await?.ok_or(AgentError::NotFound)
    }

    /// Creates an agent.
    ///
    /// # Errors
    /// `Invalid` with every problem; `Store`.
    pub async fn create(&self, patch: AgentPatch) -> Result<Agent, AgentError> {
        let fields = patch.create().map_err(AgentError::Invalid)?;
        let now = self.clock.now();
        let agent = Agent { id: AgentId::generate(), fields, created_at: now, updated_at: now };
        self.agents.insert(&agent).await?;
        Ok(agent)
    }

    /// Changes an agent's fields.
    ///
    /// # Errors
    /// `NotFound`; `Invalid` with every problem; `Store`.
    pub async fn update(&self, id: &str, patch: AgentPatch) -> Result<Agent, AgentError> {
        let mut agent = self.get(id).await?;
        agent.fields = patch.apply(agent.fields).map_err(AgentError::Invalid)?;
        agent.updated_at = self.clock.now();
        if self.agents.update(&agent).await? { Ok(agent) } else { Err(AgentError::NotFound) }
    }

    /// Deletes an agent (its past runs stay).
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn delete(&self, id: &str) -> Result<(), AgentError> {
        if self.agents.delete(&id_of(id)?).await? { Ok(()) } else { Err(AgentError::NotFound) }
    }

    /// Runs agent `id` on `message`; the execution's id.
    ///
    /// # Errors
    /// `NotFound`; `Invalid` for an empty or oversized message; `Conflict` when it is disabled
    /// or its run was refused; `Store`.
    pub async fn run(&self, id: &str, message: &str) -> Result<String, AgentError> {
        if message.trim().is_empty() || message.chars().count() > MAX_MESSAGE_CHARS {
            let why = format!("1 to {MAX_MESSAGE_CHARS} characters");
            return Err(AgentError::Invalid(FieldErrors::from([("message".to_owned(), why)])));
        }
        let agent = self.get(id).await?;
        self.start(&agent, message, None).await
    }

    /// Starts `agent` on `message` under execution id `execution` when given (a workflow
    /// node's, chosen before), else a new one.
    ///
    /// # Errors
    /// `Conflict` when it is disabled or its run was refused; `Store`.
    pub async fn start(&self, agent: &Agent, message: &str, execution: Option<&str>) -> Result<String, AgentError> {
        if !agent.fields.enabled {
            return Err(AgentError::Conflict(format!("agent '{}' is disabled", agent.fields.name)));
        }
        self.launcher.launch(agent, message, execution).await.map_err(|e| match e {
            LaunchError::Refused(why) => AgentError::Conflict(why),
            LaunchError::Unavailable(cause) => AgentError::Store(cause),
        })
    }
}
