//! Persistent agents, their documents, chats and messages.

use agented_kernel::{BackendType, ChatId, ExecutionId, SuperAgentId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The longest document, message or chat text kept, in bytes.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// A persistent agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuperAgent {
    /// `sa-xxxxxx`.
    pub id: SuperAgentId,
    /// 1 to 100 characters.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The CLI its turns run on.
    pub backend: BackendType,
    /// Its model, when not the CLI's default.
    pub model: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// An agent as a request gives it, checked by [`AgentInput::check`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentInput {
    /// 1 to 100 characters.
    pub name: String,
    /// At most 2000 characters.
    pub description: String,
    /// The CLI.
    pub backend: BackendType,
    /// A model name, at most 100 characters.
    pub model: Option<String>,
}

impl AgentInput {
    /// The input, or the field at fault and why.
    ///
    /// # Errors
    /// `name`, `description` or `model` out of bounds.
    pub fn check(self) -> Result<Self, (&'static str, String)> {
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(("name", "must be 1 to 100 characters without control characters".into()));
        }
        if self.description.chars().count() > 2000 {
            return Err(("description", "at most 2000 characters".into()));
        }
        let model = self.model.map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
        if model.as_ref().is_some_and(|m| m.len() > 100 || m.chars().any(|c| c.is_whitespace() || c.is_control())) {
            return Err(("model", "a model name: at most 100 characters, no spaces".into()));
        }
        Ok(Self { name, model, ..self })
    }
}

/// The documents that make an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DocKind {
    /// Its values and temperament.
    #[serde(rename = "SOUL")]
    Soul,
    /// Who it is.
    #[serde(rename = "IDENTITY")]
    Identity,
    /// What it remembers; a turn may rewrite it.
    #[serde(rename = "MEMORY")]
    Memory,
    /// What it does.
    #[serde(rename = "ROLE")]
    Role,
}

impl DocKind {
    /// Every kind, in the order a prompt gives them.
    pub const ALL: [Self; 4] = [Self::Identity, Self::Soul, Self::Role, Self::Memory];

    /// The wire and storage name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Soul => "SOUL",
            Self::Identity => "IDENTITY",
            Self::Memory => "MEMORY",
            Self::Role => "ROLE",
        }
    }

    /// The kind of a name (any case).
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str().eq_ignore_ascii_case(text))
    }
}

/// A document's current text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// Which.
    pub kind: DocKind,
    /// Its text.
    pub content: String,
    /// 1 for the first text, +1 per change.
    pub version: i64,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One kept text of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentVersion {
    /// Which.
    pub kind: DocKind,
    /// Its number.
    pub version: i64,
    /// The text.
    pub content: String,
    /// Who changed it: a key's name, or `turn <execution id>`.
    pub changed_by: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<DocumentVersion> for Document {
    fn from(v: DocumentVersion) -> Self {
        Self { kind: v.kind, content: v.content, version: v.version, updated_at: v.at }
    }
}

/// Whether a chat still takes messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChatStatus {
    /// It takes messages.
    Active,
    /// It was ended.
    Ended,
}

/// A chat's current turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnState {
    /// Nothing is being answered.
    Idle,
    /// This run is answering.
    Running(ExecutionId),
}

/// A chat with an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatSession {
    /// `chat-xxxxxx`.
    pub id: ChatId,
    /// Whose.
    pub agent_id: SuperAgentId,
    /// Active or ended.
    pub status: ChatStatus,
    /// The turn being answered.
    pub turn: TurnState,
    /// The last finished turn's run: the next turn resumes its CLI session.
    pub last_execution: Option<ExecutionId>,
    /// The CLI's own session id, as the last turn reported it.
    pub cli_session: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Ended.
    pub ended_at: Option<DateTime<Utc>>,
}

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The person.
    User,
    /// The agent.
    Assistant,
    /// Agented (a failed turn, a changed memory).
    System,
}

impl Role {
    /// The wire and storage name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
            Self::System => "system",
        }
    }

    /// The role of a stored name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [Self::User, Self::Assistant, Self::System].into_iter().find(|r| r.as_str() == text)
    }
}

/// One message of a chat, in order (`seq` from 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatMessage {
    /// Its position.
    pub seq: i64,
    /// Who wrote it.
    pub role: Role,
    /// Its text.
    pub content: String,
    /// The turn's run, for the agent's replies and the person's messages that started one.
    pub execution_id: Option<ExecutionId>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A message one agent left another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentMessage {
    /// Its number.
    pub id: i64,
    /// The sender.
    pub from_agent: SuperAgentId,
    /// The recipient.
    pub to_agent: SuperAgentId,
    /// At most 200 characters.
    pub subject: String,
    /// The text.
    pub body: String,
    /// Sent.
    pub created_at: DateTime<Utc>,
    /// Read by the recipient.
    pub read_at: Option<DateTime<Utc>>,
}
