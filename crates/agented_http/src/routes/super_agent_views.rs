//! What the persistent-agent routes take and answer (the original's field names).

use crate::error::ApiError;
use agented_kernel::{BackendType, ChatId, SuperAgentId};
use agented_super_agents::{
    AgentInput, AgentMessage, ChatMessage, ChatSession, ChatStatus, DocKind, Document, DocumentVersion, SuperAgent,
    TurnState,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub(crate) fn field(name: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid_fields([(name.to_owned(), message.into())].into())
}

/// The agent a path names (a malformed id is not found).
pub(crate) fn agent_id(id: &str) -> Result<SuperAgentId, ApiError> {
    SuperAgentId::parse(id).map_err(|_| ApiError::not_found("super agent not found"))
}

/// The chat a path names.
pub(crate) fn chat_id(id: &str) -> Result<ChatId, ApiError> {
    ChatId::parse(id).map_err(|_| ApiError::not_found("chat session not found"))
}

/// The document kind a path names.
pub(crate) fn doc_kind(kind: &str) -> Result<DocKind, ApiError> {
    DocKind::parse(kind).ok_or_else(|| ApiError::not_found("document not found: SOUL, IDENTITY, MEMORY or ROLE"))
}

/// A persistent agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuperAgentView {
    /// `sa-xxxxxx`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// The CLI its turns run on.
    pub backend_type: &'static str,
    /// Its model, if not the CLI's default.
    pub preferred_model: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<SuperAgent> for SuperAgentView {
    fn from(a: SuperAgent) -> Self {
        Self {
            id: a.id.to_string(),
            name: a.name,
            description: a.description,
            backend_type: a.backend.as_str(),
            preferred_model: a.model,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// An agent to create or replace. The original's other fields are accepted and ignored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SuperAgentBody {
    /// 1 to 100 characters.
    pub name: String,
    /// At most 2000 characters.
    pub description: Option<String>,
    /// `claude` (default), `codex`, `gemini` or `opencode`.
    pub backend_type: Option<String>,
    /// A model name.
    pub preferred_model: Option<String>,
    /// Ignored.
    #[schema(value_type = Object)]
    pub team_id: Option<serde_json::Value>,
    /// Ignored.
    #[schema(value_type = Object)]
    pub parent_super_agent_id: Option<serde_json::Value>,
    /// Ignored.
    #[schema(value_type = Object)]
    pub max_concurrent_sessions: Option<serde_json::Value>,
    /// Ignored.
    #[schema(value_type = Object)]
    pub config_json: Option<serde_json::Value>,
    /// Ignored.
    pub enabled: Option<bool>,
}

impl SuperAgentBody {
    /// The domain's input.
    pub(crate) fn input(self) -> Result<AgentInput, ApiError> {
        let backend = match self.backend_type.as_deref() {
            None => BackendType::Claude,
            Some(b) => {
                b.parse().map_err(|_| field("backend_type", format!("'{b}': claude, codex, gemini or opencode")))?
            }
        };
        Ok(AgentInput {
            name: self.name,
            description: self.description.unwrap_or_default(),
            backend,
            model: self.preferred_model,
        })
    }
}

/// Agents, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuperAgentList {
    /// Every agent.
    pub super_agents: Vec<SuperAgentView>,
}

/// A document's current text.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentView {
    /// `SOUL`, `IDENTITY`, `MEMORY` or `ROLE` (also its id in paths).
    pub doc_type: &'static str,
    /// Its text.
    pub content: String,
    /// 1 for the first text, +1 per change.
    pub version: i64,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Document> for DocumentView {
    fn from(d: Document) -> Self {
        Self { doc_type: d.kind.as_str(), content: d.content, version: d.version, updated_at: d.updated_at }
    }
}

/// An agent's documents.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentList {
    /// Those it has.
    pub documents: Vec<DocumentView>,
}

/// A document's text. `POST …/documents` names the kind in `doc_type`; `PUT …/documents/{kind}` in its path.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    /// `SOUL`, `IDENTITY`, `MEMORY` or `ROLE`.
    pub doc_type: Option<String>,
    /// At most 64 KiB.
    pub content: String,
    /// Ignored (the original's).
    pub title: Option<String>,
}

/// A kept text of a document.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentVersionView {
    /// Which document.
    pub doc_type: &'static str,
    /// Its number.
    pub version: i64,
    /// The text.
    pub content: String,
    /// A key's name, or `turn <execution id>`.
    pub changed_by: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<DocumentVersion> for DocumentVersionView {
    fn from(v: DocumentVersion) -> Self {
        Self { doc_type: v.kind.as_str(), version: v.version, content: v.content, changed_by: v.changed_by, at: v.at }
    }
}

/// A document's history, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct DocumentVersionList {
    /// Every kept text.
    pub versions: Vec<DocumentVersionView>,
}

/// A chat with an agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatView {
    /// `chat-xxxxxx`.
    pub id: String,
    /// The same id, under the original's name.
    pub session_id: String,
    /// Whose.
    pub super_agent_id: String,
    /// `active` or `ended`.
    pub status: &'static str,
    /// `idle`, or `running` while the agent answers.
    pub turn: &'static str,
    /// The run answering now.
    pub turn_execution_id: Option<String>,
    /// The last answered turn's run (the next turn resumes it).
    pub last_execution_id: Option<String>,
    /// The CLI's own session id.
    pub cli_session_id: Option<String>,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Ended.
    pub ended_at: Option<DateTime<Utc>>,
}

impl From<ChatSession> for ChatView {
    fn from(c: ChatSession) -> Self {
        let (turn, turn_execution_id) = match c.turn {
            TurnState::Idle => ("idle", None),
            TurnState::Running(run) => ("running", Some(run.to_string())),
        };
        Self {
            id: c.id.to_string(),
            session_id: c.id.to_string(),
            super_agent_id: c.agent_id.to_string(),
            status: if c.status == ChatStatus::Active { "active" } else { "ended" },
            turn,
            turn_execution_id,
            last_execution_id: c.last_execution.map(|e| e.to_string()),
            cli_session_id: c.cli_session,
            created_at: c.created_at,
            ended_at: c.ended_at,
        }
    }
}

/// An agent's chats, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatList {
    /// Its chats.
    pub sessions: Vec<ChatView>,
}

/// One message of a chat.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatMessageView {
    /// Its position, from 1.
    pub seq: i64,
    /// `user`, `assistant` or `system`.
    pub role: &'static str,
    /// Its text.
    pub content: String,
    /// The turn's run.
    pub execution_id: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<ChatMessage> for ChatMessageView {
    fn from(m: ChatMessage) -> Self {
        Self {
            seq: m.seq,
            role: m.role.as_str(),
            content: m.content,
            execution_id: m.execution_id.map(|e| e.to_string()),
            at: m.at,
        }
    }
}

/// A chat with its messages.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChatDetail {
    /// The chat.
    #[serde(flatten)]
    pub chat: ChatView,
    /// Its messages, oldest first.
    pub messages: Vec<ChatMessageView>,
}

/// What the person says: `content` (or the original's `message`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SayBody {
    /// The message.
    pub content: Option<String>,
    /// The same, under the original's other name.
    pub message: Option<String>,
    /// Ignored: turns run on the agent's own CLI.
    pub backend: Option<String>,
}

impl SayBody {
    pub(crate) fn text(self) -> Result<String, ApiError> {
        self.content.or(self.message).ok_or_else(|| field("content", "is required"))
    }
}

/// A message between agents.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailView {
    /// Its number.
    pub id: i64,
    /// The sender.
    pub from_agent_id: String,
    /// The recipient.
    pub to_agent_id: String,
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub content: String,
    /// Sent.
    pub created_at: DateTime<Utc>,
    /// Read by the recipient.
    pub read_at: Option<DateTime<Utc>>,
}

impl From<AgentMessage> for MailView {
    fn from(m: AgentMessage) -> Self {
        Self {
            id: m.id,
            from_agent_id: m.from_agent.to_string(),
            to_agent_id: m.to_agent.to_string(),
            subject: m.subject,
            content: m.body,
            created_at: m.created_at,
            read_at: m.read_at,
        }
    }
}

/// Messages, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailList {
    /// At most 500.
    pub messages: Vec<MailView>,
}

/// A message to another agent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MailBody {
    /// The recipient.
    pub to_agent_id: String,
    /// At most 200 characters.
    pub subject: Option<String>,
    /// The text, at most 64 KiB.
    pub content: String,
}
