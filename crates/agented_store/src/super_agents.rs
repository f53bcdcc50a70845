//! `SuperAgentStore` over SQLite or PostgreSQL: agents, every version of their
//! documents (the current text is the highest), chats numbered by their
//! `message_seq`, and messages between agents.

use crate::executions::corrupt;
use crate::schema::{
    super_agent_chat_messages, super_agent_chats, super_agent_documents, super_agent_messages, super_agents,
};
use crate::{Database, StoreError};
use agented_kernel::{ChatId, ExecutionId, SuperAgentId};
use agented_super_agents::{
    AgentMessage, ChatMessage, ChatSession, ChatStatus, DocKind, Document, DocumentVersion, Role, SuperAgent,
    SuperAgentStore, SuperAgentStoreError, TurnState,
};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

fn err(e: StoreError) -> SuperAgentStoreError {
    SuperAgentStoreError(agented_kernel::Cause::of(e))
}

fn execution(text: Option<String>) -> Result<Option<ExecutionId>, StoreError> {
    text.as_deref().map(ExecutionId::parse).transpose().map_err(corrupt)
}

#[derive(Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = super_agents, treat_none_as_null = true)]
struct AgentRow {
    id: String,
    name: String,
    description: String,
    backend: String,
    model: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

impl From<&SuperAgent> for AgentRow {
    fn from(a: &SuperAgent) -> Self {
        Self {
            id: a.id.to_string(),
            name: a.name.clone(),
            description: a.description.clone(),
            backend: a.backend.as_str().to_owned(),
            model: a.model.clone(),
            created_at: a.created_at.naive_utc(),
            updated_at: a.updated_at.naive_utc(),
        }
    }
}

impl TryFrom<AgentRow> for SuperAgent {
    type Error = StoreError;
    fn try_from(r: AgentRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: SuperAgentId::parse(&r.id).map_err(corrupt)?,
            name: r.name,
            description: r.description,
            backend: r.backend.parse().map_err(corrupt)?,
            model: r.model,
            created_at: r.created_at.and_utc(),
            updated_at: r.updated_at.and_utc(),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = super_agent_documents)]
struct VersionRow {
    agent_id: String,
    kind: String,
    version: i64,
    content: String,
    changed_by: String,
    at: NaiveDateTime,
}

impl TryFrom<VersionRow> for DocumentVersion {
    type Error = StoreError;
    fn try_from(r: VersionRow) -> Result<Self, StoreError> {
        Ok(Self {
            kind: DocKind::parse(&r.kind).ok_or_else(|| corrupt(format!("document kind '{}'", r.kind)))?,
            version: r.version,
            content: r.content,
            changed_by: r.changed_by,
            at: r.at.and_utc(),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = super_agent_chats)]
struct ChatRow {
    id: String,
    agent_id: String,
    status: String,
    turn_execution: Option<String>,
    last_execution: Option<String>,
    cli_session: Option<String>,
    created_at: NaiveDateTime,
    ended_at: Option<NaiveDateTime>,
}

impl From<&ChatSession> for ChatRow {
    fn from(c: &ChatSession) -> Self {
        Self {
            id: c.id.to_string(),
            agent_id: c.agent_id.to_string(),
            status: match c.status {
                ChatStatus::Active => "active",
                ChatStatus::Ended => "ended",
            }
            .to_owned(),
            turn_execution: match &c.turn {
                TurnState::Idle => None,
                TurnState::Running(run) => Some(run.to_string()),
            },
            last_execution: c.last_execution.as_ref().map(ToString::to_string),
            cli_session: c.cli_session.clone(),
            created_at: c.created_at.naive_utc(),
            ended_at: c.ended_at.map(|t| t.naive_utc()),
        }
    }
}

impl TryFrom<ChatRow> for ChatSession {
    type Error = StoreError;
    fn try_from(r: ChatRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: ChatId::parse(&r.id).map_err(corrupt)?,
            agent_id: SuperAgentId::parse(&r.agent_id).map_err(corrupt)?,
            status: if r.status == "ended" { ChatStatus::Ended } else { ChatStatus::Active },
            turn: execution(r.turn_execution)?.map_or(TurnState::Idle, TurnState::Running),
            last_execution: execution(r.last_execution)?,
            cli_session: r.cli_session,
            created_at: r.created_at.and_utc(),
            ended_at: r.ended_at.map(|t| t.and_utc()),
        })
    }
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = super_agent_chat_messages)]
struct MessageRow {
    chat_id: String,
    seq: i64,
    role: String,
    content: String,
    execution_id: Option<String>,
    at: NaiveDateTime,
}

impl TryFrom<MessageRow> for ChatMessage {
    type Error = StoreError;
    fn try_from(r: MessageRow) -> Result<Self, StoreError> {
        Ok(Self {
            seq: r.seq,
            role: Role::parse(&r.role).ok_or_else(|| corrupt(format!("role '{}'", r.role)))?,
            content: r.content,
            execution_id: execution(r.execution_id)?,
            at: r.at.and_utc(),
        })
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = super_agent_messages)]
struct MailRow {
    id: i64,
    from_agent: String,
    to_agent: String,
    subject: String,
    body: String,
    created_at: NaiveDateTime,
    read_at: Option<NaiveDateTime>,
}

impl TryFrom<MailRow> for AgentMessage {
    type Error = StoreError;
    fn try_from(r: MailRow) -> Result<Self, StoreError> {
        Ok(Self {
            id: r.id,
            from_agent: SuperAgentId::parse(&r.from_agent).map_err(corrupt)?,
            to_agent: SuperAgentId::parse(&r.to_agent).map_err(corrupt)?,
            subject: r.subject,
            body: r.body,
            created_at: r.created_at.and_utc(),
            read_at: r.read_at.map(|t| t.and_utc()),
        })
    }
}

fn all<R, T: TryFrom<R, Error = StoreError>>(rows: Vec<R>) -> Result<Vec<T>, StoreError> {
    rows.into_iter().map(T::try_from).collect()
}

/// Persistent agents in their five tables.
#[derive(Debug, Clone)]
pub struct SqlSuperAgents {
    db: Database,
}

impl SqlSuperAgents {
    /// The store over `db`.
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait]
impl SuperAgentStore for SqlSuperAgents {
    async fn insert_agent(&self, agent: &SuperAgent) -> Result<(), SuperAgentStoreError> {
        let row = AgentRow::from(agent);
        self.db
            .run(move |conn| Ok(diesel::insert_into(super_agents::table).values(&row).execute(conn).map(drop)?))
            .await
            .map_err(err)
    }

    async fn agent(&self, id: &SuperAgentId) -> Result<Option<SuperAgent>, SuperAgentStoreError> {
        let id = id.to_string();
        self.db
            .run(move |conn| {
                let row: Option<AgentRow> =
                    super_agents::table.find(&id).select(AgentRow::as_select()).first(conn).optional()?;
                row.map(SuperAgent::try_from).transpose()
            })
            .await
            .map_err(err)
    }

    async fn agents(&self) -> Result<Vec<SuperAgent>, SuperAgentStoreError> {
        self.db
            .run(|conn| all(super_agents::table.order(super_agents::name).select(AgentRow::as_select()).load(conn)?))
            .await
            .map_err(err)
    }

    async fn update_agent(&self, agent: &SuperAgent) -> Result<(), SuperAgentStoreError> {
        let row = AgentRow::from(agent);
        self.db
            .run(move |conn| Ok(diesel::update(super_agents::table.find(&row.id)).set(&row).execute(conn).map(drop)?))
            .await
            .map_err(err)
    }

    async fn delete_agent(&self, id: &SuperAgentId) -> Result<bool, SuperAgentStoreError> {
        let id = id.to_string();
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    // Children first: SQLite enforces the foreign keys only when told to.
                    let chats = super_agent_chats::table.filter(super_agent_chats::agent_id.eq(&id));
                    let chat_ids: Vec<String> = chats.select(super_agent_chats::id).load(conn)?;
                    diesel::delete(
                        super_agent_chat_messages::table.filter(super_agent_chat_messages::chat_id.eq_any(&chat_ids)),
                    )
                    .execute(conn)?;
                    diesel::delete(chats).execute(conn)?;
                    diesel::delete(super_agent_documents::table.filter(super_agent_documents::agent_id.eq(&id)))
                        .execute(conn)?;
                    diesel::delete(
                        super_agent_messages::table.filter(
                            super_agent_messages::from_agent.eq(&id).or(super_agent_messages::to_agent.eq(&id)),
                        ),
                    )
                    .execute(conn)?;
                    Ok(diesel::delete(super_agents::table.find(&id)).execute(conn)? > 0)
                })
            })
            .await
            .map_err(err)
    }

    async fn documents(&self, agent: &SuperAgentId) -> Result<Vec<Document>, SuperAgentStoreError> {
        let id = agent.to_string();
        self.db
            .run(move |conn| {
                let rows: Vec<VersionRow> = super_agent_documents::table
                    .filter(super_agent_documents::agent_id.eq(&id))
                    .order((super_agent_documents::kind, super_agent_documents::version.desc()))
                    .select(VersionRow::as_select())
                    .load(conn)?;
                let mut latest: Vec<Document> = Vec::new();
                for version in all::<VersionRow, DocumentVersion>(rows)? {
                    if latest.last().is_none_or(|d| d.kind != version.kind) {
                        latest.push(version.into());
                    }
                }
                Ok(latest)
            })
            .await
            .map_err(err)
    }

    async fn put_document(
        &self,
        agent: &SuperAgentId,
        kind: DocKind,
        content: &str,
        (changed_by, at): (&str, DateTime<Utc>),
    ) -> Result<Document, SuperAgentStoreError> {
        let (id, content, changed_by) =
            (agent.to_string(), crate::error::storable(content).into_owned(), changed_by.to_owned());
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    let last: Option<i64> = super_agent_documents::table
                        .filter(
                            super_agent_documents::agent_id.eq(&id).and(super_agent_documents::kind.eq(kind.as_str())),
                        )
                        .select(diesel::dsl::max(super_agent_documents::version))
                        .first(conn)?;
                    let row = VersionRow {
                        agent_id: id.clone(),
                        kind: kind.as_str().to_owned(),
                        version: last.unwrap_or(0) + 1,
                        content: content.clone(),
                        changed_by: changed_by.clone(),
                        at: at.naive_utc(),
                    };
                    diesel::insert_into(super_agent_documents::table).values(&row).execute(conn)?;
                    Ok(Document::from(DocumentVersion::try_from(row)?))
                })
            })
            .await
            .map_err(err)
    }

    async fn delete_document(&self, agent: &SuperAgentId, kind: DocKind) -> Result<bool, SuperAgentStoreError> {
        let id = agent.to_string();
        self.db
            .run(move |conn| {
                let of = super_agent_documents::agent_id.eq(id).and(super_agent_documents::kind.eq(kind.as_str()));
                Ok(diesel::delete(super_agent_documents::table.filter(of)).execute(conn)? > 0)
            })
            .await
            .map_err(err)
    }

    async fn versions(
        &self,
        agent: &SuperAgentId,
        kind: DocKind,
    ) -> Result<Vec<DocumentVersion>, SuperAgentStoreError> {
        let id = agent.to_string();
        self.db
            .run(move |conn| {
                all(super_agent_documents::table
                    .filter(super_agent_documents::agent_id.eq(id).and(super_agent_documents::kind.eq(kind.as_str())))
                    .order(super_agent_documents::version.desc())
                    .select(VersionRow::as_select())
                    .load(conn)?)
            })
            .await
            .map_err(err)
    }

    async fn insert_chat(&self, chat: &ChatSession) -> Result<(), SuperAgentStoreError> {
        let row = ChatRow::from(chat);
        self.db
            .run(move |conn| Ok(diesel::insert_into(super_agent_chats::table).values(&row).execute(conn).map(drop)?))
            .await
            .map_err(err)
    }

    async fn chat(&self, id: &ChatId) -> Result<Option<ChatSession>, SuperAgentStoreError> {
        let id = id.to_string();
        self.db
            .run(move |conn| {
                let row: Option<ChatRow> =
                    super_agent_chats::table.find(&id).select(ChatRow::as_select()).first(conn).optional()?;
                row.map(ChatSession::try_from).transpose()
            })
            .await
            .map_err(err)
    }

    async fn chats(&self, agent: &SuperAgentId) -> Result<Vec<ChatSession>, SuperAgentStoreError> {
        let id = agent.to_string();
        self.db
            .run(move |conn| {
                all(super_agent_chats::table
                    .filter(super_agent_chats::agent_id.eq(id))
                    .order((super_agent_chats::created_at.desc(), super_agent_chats::id.desc()))
                    .select(ChatRow::as_select())
                    .load(conn)?)
            })
            .await
            .map_err(err)
    }

    async fn chats_in_turn(&self) -> Result<Vec<ChatSession>, SuperAgentStoreError> {
        self.db
            .run(|conn| {
                all(super_agent_chats::table
                    .filter(super_agent_chats::turn_execution.is_not_null())
                    .select(ChatRow::as_select())
                    .load(conn)?)
            })
            .await
            .map_err(err)
    }

    async fn update_chat(&self, chat: &ChatSession) -> Result<(), SuperAgentStoreError> {
        let row = ChatRow::from(chat);
        self.db
            .run(move |conn| {
                diesel::update(super_agent_chats::table.find(&row.id))
                    .set((
                        super_agent_chats::status.eq(&row.status),
                        super_agent_chats::turn_execution.eq(&row.turn_execution),
                        super_agent_chats::last_execution.eq(&row.last_execution),
                        super_agent_chats::cli_session.eq(&row.cli_session),
                        super_agent_chats::ended_at.eq(row.ended_at),
                    ))
                    .execute(conn)?;
                Ok(())
            })
            .await
            .map_err(err)
    }

    async fn append_message(
        &self,
        chat: &ChatId,
        (role, content): (Role, &str),
        execution: Option<&ExecutionId>,
        at: DateTime<Utc>,
    ) -> Result<ChatMessage, SuperAgentStoreError> {
        let (id, content) = (chat.to_string(), crate::error::storable(content).into_owned());
        let execution = execution.map(ToString::to_string);
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    diesel::update(super_agent_chats::table.find(&id))
                        .set(super_agent_chats::message_seq.eq(super_agent_chats::message_seq + 1))
                        .execute(conn)?;
                    let seq: i64 =
                        super_agent_chats::table.find(&id).select(super_agent_chats::message_seq).first(conn)?;
                    let row = MessageRow {
                        chat_id: id.clone(),
                        seq,
                        role: role.as_str().to_owned(),
                        content: content.clone(),
                        execution_id: execution.clone(),
                        at: at.naive_utc(),
                    };
                    diesel::insert_into(super_agent_chat_messages::table).values(&row).execute(conn)?;
                    ChatMessage::try_from(row)
                })
            })
            .await
            .map_err(err)
    }

    async fn messages(&self, chat: &ChatId, after: i64) -> Result<Vec<ChatMessage>, SuperAgentStoreError> {
        let id = chat.to_string();
        self.db
            .run(move |conn| {
                all(super_agent_chat_messages::table
                    .filter(super_agent_chat_messages::chat_id.eq(id).and(super_agent_chat_messages::seq.gt(after)))
                    .order(super_agent_chat_messages::seq)
                    .limit(1000)
                    .select(MessageRow::as_select())
                    .load(conn)?)
            })
            .await
            .map_err(err)
    }

    async fn send(&self, message: &AgentMessage) -> Result<AgentMessage, SuperAgentStoreError> {
        let m = message.clone();
        self.db
            .run(move |conn| {
                crate::database::write(conn, |conn| {
                    let (from, to) = (m.from_agent.to_string(), m.to_agent.to_string());
                    diesel::insert_into(super_agent_messages::table)
                        .values((
                            super_agent_messages::from_agent.eq(&from),
                            super_agent_messages::to_agent.eq(&to),
                            super_agent_messages::subject.eq(&m.subject),
                            super_agent_messages::body.eq(crate::error::storable(&m.body)),
                            super_agent_messages::created_at.eq(m.created_at.naive_utc()),
                        ))
                        .execute(conn)?;
                    // The row just written: the sender's newest to this recipient.
                    let row: MailRow = super_agent_messages::table
                        .filter(super_agent_messages::from_agent.eq(&from).and(super_agent_messages::to_agent.eq(&to)))
                        .order(super_agent_messages::id.desc())
                        .select(MailRow::as_select())
                        .first(conn)?;
                    AgentMessage::try_from(row)
                })
            })
            .await
            .map_err(err)
    }

    async fn mail(&self, agent: &SuperAgentId, inbox: bool) -> Result<Vec<AgentMessage>, SuperAgentStoreError> {
        let id = agent.to_string();
        self.db
            .run(move |conn| {
                let query = super_agent_messages::table.order(super_agent_messages::id.desc()).limit(500).into_boxed();
                let query = if inbox {
                    query.filter(super_agent_messages::to_agent.eq(id))
                } else {
                    query.filter(super_agent_messages::from_agent.eq(id))
                };
                all(query.select(MailRow::as_select()).load(conn)?)
            })
            .await
            .map_err(err)
    }

    async fn mark_read(
        &self,
        agent: &SuperAgentId,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<AgentMessage>, SuperAgentStoreError> {
        let agent = agent.to_string();
        self.db
            .run(move |conn| {
                let mine = super_agent_messages::id.eq(id).and(super_agent_messages::to_agent.eq(agent));
                diesel::update(
                    super_agent_messages::table.filter(mine.clone().and(super_agent_messages::read_at.is_null())),
                )
                .set(super_agent_messages::read_at.eq(at.naive_utc()))
                .execute(conn)?;
                let row: Option<MailRow> =
                    super_agent_messages::table.filter(mine).select(MailRow::as_select()).first(conn).optional()?;
                row.map(AgentMessage::try_from).transpose()
            })
            .await
            .map_err(err)
    }
}
