//! Where agents are kept, and how a turn runs.

use crate::model::{AgentMessage, ChatMessage, ChatSession, DocKind, Document, DocumentVersion, Role, SuperAgent};
use agented_kernel::{BackendType, Cause, ChatId, ExecutionId, SuperAgentId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The store failed (unreachable, or a row it cannot read).
#[derive(Debug, thiserror::Error)]
#[error("super agent store failed: {0}")]
pub struct SuperAgentStoreError(pub Cause);

/// Agents, their documents, chats and messages.
///
/// Errors: [`SuperAgentStoreError`] when the store fails; what is missing is `None`,
/// `false` or empty.
#[async_trait]
pub trait SuperAgentStore: Send + Sync {
    /// Stores a new agent.
    async fn insert_agent(&self, agent: &SuperAgent) -> Result<(), SuperAgentStoreError>;
    /// One agent.
    async fn agent(&self, id: &SuperAgentId) -> Result<Option<SuperAgent>, SuperAgentStoreError>;
    /// Every agent, by name.
    async fn agents(&self) -> Result<Vec<SuperAgent>, SuperAgentStoreError>;
    /// Replaces an agent's fields.
    async fn update_agent(&self, agent: &SuperAgent) -> Result<(), SuperAgentStoreError>;
    /// Removes an agent with its documents, chats and messages; whether it existed.
    async fn delete_agent(&self, id: &SuperAgentId) -> Result<bool, SuperAgentStoreError>;

    /// An agent's documents.
    async fn documents(&self, agent: &SuperAgentId) -> Result<Vec<Document>, SuperAgentStoreError>;
    /// Sets a document's text: its version goes up by one and the text is kept as that version.
    async fn put_document(
        &self,
        agent: &SuperAgentId,
        kind: DocKind,
        content: &str,
        (changed_by, at): (&str, DateTime<Utc>),
    ) -> Result<Document, SuperAgentStoreError>;
    /// Removes a document and its versions; whether it existed.
    async fn delete_document(&self, agent: &SuperAgentId, kind: DocKind) -> Result<bool, SuperAgentStoreError>;
    /// A document's kept texts, newest first.
    async fn versions(&self, agent: &SuperAgentId, kind: DocKind)
    -> Result<Vec<DocumentVersion>, SuperAgentStoreError>;

    /// Stores a new chat.
    async fn insert_chat(&self, chat: &ChatSession) -> Result<(), SuperAgentStoreError>;
    /// One chat.
    async fn chat(&self, id: &ChatId) -> Result<Option<ChatSession>, SuperAgentStoreError>;
    /// An agent's chats, newest first.
    async fn chats(&self, agent: &SuperAgentId) -> Result<Vec<ChatSession>, SuperAgentStoreError>;
    /// Every chat with a turn in progress.
    async fn chats_in_turn(&self) -> Result<Vec<ChatSession>, SuperAgentStoreError>;
    /// Writes a chat's status, turn, last run, CLI session and end.
    async fn update_chat(&self, chat: &ChatSession) -> Result<(), SuperAgentStoreError>;
    /// Appends a message (its seq is the next one).
    async fn append_message(
        &self,
        chat: &ChatId,
        (role, content): (Role, &str),
        execution: Option<&ExecutionId>,
        at: DateTime<Utc>,
    ) -> Result<ChatMessage, SuperAgentStoreError>;
    /// A chat's messages after `after`, oldest first.
    async fn messages(&self, chat: &ChatId, after: i64) -> Result<Vec<ChatMessage>, SuperAgentStoreError>;

    /// Stores a message between agents.
    async fn send(&self, message: &AgentMessage) -> Result<AgentMessage, SuperAgentStoreError>;
    /// Messages to (`inbox`) or from an agent, newest first.
    async fn mail(&self, agent: &SuperAgentId, inbox: bool) -> Result<Vec<AgentMessage>, SuperAgentStoreError>;
    /// Marks a message to `agent` read; the message, if it is one of its.
    async fn mark_read(
        &self,
        agent: &SuperAgentId,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<AgentMessage>, SuperAgentStoreError>;
}

/// A turn could not start or be read.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// The run was refused (the trigger is disabled, busy, or over budget).
    #[error("{0}")]
    Refused(String),
    /// The store or queue failed.
    #[error("{0}")]
    Unavailable(Cause),
}

/// How a turn's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnOutcome {
    /// Still going.
    Running,
    /// It answered: the reply, and the CLI session it ran in.
    Answered {
        /// What the agent said.
        reply: String,
        /// The CLI's session id, to resume next turn.
        cli_session: Option<String>,
    },
    /// It failed, for this reason.
    Failed(String),
}

/// Runs turns as ordinary executions.
#[async_trait]
pub trait ChatRunner: Send + Sync {
    /// Starts a turn: a new CLI session, or one resuming the session of `resume` (the
    /// chat's last finished turn).
    async fn start(
        &self,
        (backend, model): (BackendType, Option<&str>),
        prompt: &str,
        resume: Option<&ExecutionId>,
    ) -> Result<ExecutionId, RunnerError>;
    /// Where a turn's run is.
    async fn outcome(&self, run: &ExecutionId) -> Result<TurnOutcome, RunnerError>;
}
