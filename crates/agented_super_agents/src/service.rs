//! `SuperAgentService`: agents and their documents, chats whose turns run as
//! executions one at a time, and messages between agents.

use crate::model::{
    AgentInput, AgentMessage, ChatMessage, ChatSession, ChatStatus, DocKind, Document, DocumentVersion, MAX_TEXT_BYTES,
    Role, SuperAgent, TurnState,
};
use crate::ports::{ChatRunner, RunnerError, SuperAgentStore, SuperAgentStoreError, TurnOutcome};
use crate::prompt::{split_reply, turn_prompt};
use agented_kernel::{Cause, ChatId, Clock, ExecutionId, SuperAgentId};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How often a turn's run is looked at while it goes.
const TURN_POLL: Duration = Duration::from_millis(200);
/// The longest wait between two looks at a followed chat.
const FOLLOW_POLL: Duration = Duration::from_millis(500);

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum SuperAgentError {
    /// A field of the request is wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// No such agent, chat, document or message.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The chat is answering a message: wait for the reply.
    #[error("the agent is still answering (run {0}): wait for its reply")]
    Busy(ExecutionId),
    /// The chat was ended.
    #[error("the chat has ended: open a new one")]
    Ended,
    /// The turn's run was refused.
    #[error("the turn could not start: {0}")]
    Refused(String),
    /// The store or the run queue failed.
    #[error("{0}")]
    Unavailable(Cause),
}

impl From<SuperAgentStoreError> for SuperAgentError {
    fn from(e: SuperAgentStoreError) -> Self {
        Self::Unavailable(e.0)
    }
}

impl From<RunnerError> for SuperAgentError {
    fn from(e: RunnerError) -> Self {
        match e {
            RunnerError::Refused(why) => Self::Refused(why),
            RunnerError::Unavailable(cause) => Self::Unavailable(cause),
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> SuperAgentError {
    SuperAgentError::Invalid { field, message: message.into() }
}

fn bounded(field: &'static str, text: &str) -> Result<(), SuperAgentError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(invalid(field, format!("at most {} KiB", MAX_TEXT_BYTES / 1024)));
    }
    Ok(())
}

/// One event of a followed chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatEvent {
    /// A message, each once and in order.
    Message(ChatMessage),
    /// The chat's state (first, then on each change).
    State(ChatSession),
}

/// Persistent agents.
#[derive(Clone)]
pub struct SuperAgentService {
    store: Arc<dyn SuperAgentStore>,
    runner: Arc<dyn ChatRunner>,
    clock: Arc<dyn Clock>,
    /// Bumped when a chat changes: followers wake on it.
    changes: Arc<watch::Sender<u64>>,
    /// Serialises the idle check of a turn with the start that follows it.
    turning: Arc<tokio::sync::Mutex<()>>,
}

impl std::fmt::Debug for SuperAgentService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuperAgentService").finish_non_exhaustive()
    }
}

impl SuperAgentService {
    /// The service over its ports.
    #[must_use]
    pub fn new(store: Arc<dyn SuperAgentStore>, runner: Arc<dyn ChatRunner>, clock: Arc<dyn Clock>) -> Self {
        Self { store, runner, clock, changes: Arc::new(watch::channel(0).0), turning: Arc::default() }
    }

    fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Creates an agent.
    ///
    /// # Errors
    /// `Invalid`, `Unavailable`.
    pub async fn create(&self, input: AgentInput) -> Result<SuperAgent, SuperAgentError> {
        let input = input.check().map_err(|(f, m)| invalid(f, m))?;
        let now = self.clock.now();
        let agent = SuperAgent {
            id: SuperAgentId::generate(),
            name: input.name,
            description: input.description,
            backend: input.backend,
            model: input.model,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_agent(&agent).await?;
        Ok(agent)
    }

    /// Every agent.
    ///
    /// # Errors
    /// `Unavailable`.
    pub async fn list(&self) -> Result<Vec<SuperAgent>, SuperAgentError> {
        Ok(self.store.agents().await?)
    }

    /// One agent.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    pub async fn get(&self, id: &SuperAgentId) -> Result<SuperAgent, SuperAgentError> {
        self.store.agent(id).await?.ok_or(SuperAgentError::NotFound("super agent"))
    }

    /// Replaces an agent's fields.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`, `Unavailable`.
    pub async fn update(&self, id: &SuperAgentId, input: AgentInput) -> Result<SuperAgent, SuperAgentError> {
        let input = input.check().map_err(|(f, m)| invalid(f, m))?;
        let agent = SuperAgent {
            name: input.name,
            description: input.description,
            backend: input.backend,
            model: input.model,
            updated_at: self.clock.now(),
            ..self.get(id).await?
        };
        self.store.update_agent(&agent).await?;
        Ok(agent)
    }

    /// Removes an agent with everything it has.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    pub async fn delete(&self, id: &SuperAgentId) -> Result<(), SuperAgentError> {
        if self.store.delete_agent(id).await? { Ok(()) } else { Err(SuperAgentError::NotFound("super agent")) }
    }

    /// An agent's documents.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    pub async fn documents(&self, id: &SuperAgentId) -> Result<Vec<Document>, SuperAgentError> {
        self.get(id).await?;
        Ok(self.store.documents(id).await?)
    }

    /// Sets a document's text (a new version).
    ///
    /// # Errors
    /// `NotFound`, `Invalid` (over 64 KiB), `Unavailable`.
    pub async fn put_document(
        &self,
        id: &SuperAgentId,
        kind: DocKind,
        content: &str,
        by: &str,
    ) -> Result<Document, SuperAgentError> {
        bounded("content", content)?;
        self.get(id).await?;
        let document = self.store.put_document(id, kind, content, (by, self.clock.now())).await?;
        self.changed();
        Ok(document)
    }

    /// Removes a document and its versions.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    pub async fn delete_document(&self, id: &SuperAgentId, kind: DocKind) -> Result<(), SuperAgentError> {
        self.get(id).await?;
        if self.store.delete_document(id, kind).await? { Ok(()) } else { Err(SuperAgentError::NotFound("document")) }
    }

    /// A document's kept texts, newest first.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    pub async fn versions(&self, id: &SuperAgentId, kind: DocKind) -> Result<Vec<DocumentVersion>, SuperAgentError> {
        self.get(id).await?;
        Ok(self.store.versions(id, kind).await?)
    }

    /// Opens a chat with an agent.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    pub async fn open_chat(&self, id: &SuperAgentId) -> Result<ChatSession, SuperAgentError> {
        self.get(id).await?;
        let chat = ChatSession {
            id: ChatId::generate(),
            agent_id: id.clone(),
            status: ChatStatus::Active,
            turn: TurnState::Idle,
            last_execution: None,
            cli_session: None,
            created_at: self.clock.now(),
            ended_at: None,
        };
        self.store.insert_chat(&chat).await?;
        Ok(chat)
    }

    /// An agent's chats, newest first.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    pub async fn chats(&self, id: &SuperAgentId) -> Result<Vec<ChatSession>, SuperAgentError> {
        self.get(id).await?;
        Ok(self.store.chats(id).await?)
    }

    /// One chat of an agent.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    pub async fn chat(&self, agent: &SuperAgentId, chat: &ChatId) -> Result<ChatSession, SuperAgentError> {
        self.store.chat(chat).await?.filter(|c| &c.agent_id == agent).ok_or(SuperAgentError::NotFound("chat session"))
    }

    /// Ends a chat (a turn in progress still finishes and is recorded).
    ///
    /// # Errors
    /// `NotFound`, `Ended`, `Unavailable`.
    pub async fn end_chat(&self, agent: &SuperAgentId, chat: &ChatId) -> Result<ChatSession, SuperAgentError> {
        let mut chat = self.chat(agent, chat).await?;
        if chat.status == ChatStatus::Ended {
            return Err(SuperAgentError::Ended);
        }
        chat.status = ChatStatus::Ended;
        chat.ended_at = Some(self.clock.now());
        self.store.update_chat(&chat).await?;
        self.changed();
        Ok(chat)
    }

    /// A chat's messages after `after`.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    pub async fn messages(
        &self,
        agent: &SuperAgentId,
        chat: &ChatId,
        after: i64,
    ) -> Result<Vec<ChatMessage>, SuperAgentError> {
        self.chat(agent, chat).await?;
        Ok(self.store.messages(chat, after).await?)
    }

    /// Sends the person's message: one turn of the agent's CLI session, resumed from the
    /// chat's last turn, run as an execution. Answers the stored message; the reply follows.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`, `Ended`, `Busy`, `Refused`, `Unavailable`.
    pub async fn say(
        &self,
        agent_id: &SuperAgentId,
        chat: &ChatId,
        message: &str,
    ) -> Result<ChatMessage, SuperAgentError> {
        let message = message.trim();
        if message.is_empty() {
            return Err(invalid("content", "must not be blank"));
        }
        bounded("content", message)?;
        let _turning = self.turning.lock().await;
        let mut chat = self.chat(agent_id, chat).await?;
        if chat.status == ChatStatus::Ended {
            return Err(SuperAgentError::Ended);
        }
        if let TurnState::Running(run) = chat.turn {
            return Err(SuperAgentError::Busy(run));
        }
        let agent = self.get(agent_id).await?;
        let documents = self.store.documents(agent_id).await?;
        let prompt = turn_prompt(&agent, &documents, chat.last_execution.is_none(), message);
        let run =
            self.runner.start((agent.backend, agent.model.as_deref()), &prompt, chat.last_execution.as_ref()).await?;
        let said = self.store.append_message(&chat.id, (Role::User, message), Some(&run), self.clock.now()).await?;
        chat.turn = TurnState::Running(run.clone());
        self.store.update_chat(&chat).await?;
        self.changed();
        self.watch_turn(chat.id, run);
        Ok(said)
    }

    /// At start-up: turns in progress are followed again until their runs end.
    ///
    /// # Errors
    /// `Unavailable`.
    pub async fn resume_turns(&self) -> Result<usize, SuperAgentError> {
        let chats = self.store.chats_in_turn().await?;
        for chat in &chats {
            if let TurnState::Running(run) = &chat.turn {
                self.watch_turn(chat.id.clone(), run.clone());
            }
        }
        Ok(chats.len())
    }

    fn watch_turn(&self, chat: ChatId, run: ExecutionId) {
        let service = self.clone();
        tokio::spawn(async move {
            loop {
                match service.runner.outcome(&run).await {
                    Ok(TurnOutcome::Running) => tokio::time::sleep(TURN_POLL).await,
                    Ok(outcome) => {
                        if let Err(e) = service.record_turn(&chat, &run, outcome).await {
                            tracing::error!(chat = %chat, error = %e, "could not record a chat turn");
                        }
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(chat = %chat, error = %e, "could not read a chat turn's run");
                        tokio::time::sleep(TURN_POLL * 5).await;
                    }
                }
            }
        });
    }

    /// Records how a turn ended: the reply (and a new MEMORY), or why it failed.
    async fn record_turn(&self, chat: &ChatId, run: &ExecutionId, outcome: TurnOutcome) -> Result<(), SuperAgentError> {
        let Some(mut session) = self.store.chat(chat).await? else { return Ok(()) };
        let now = self.clock.now();
        match outcome {
            TurnOutcome::Running => return Ok(()),
            TurnOutcome::Answered { reply, cli_session } => {
                let (text, memory) = split_reply(&reply);
                if let Some(memory) = memory.filter(|m| m.len() <= MAX_TEXT_BYTES) {
                    let by = format!("turn {run}");
                    let doc = self.store.put_document(&session.agent_id, DocKind::Memory, &memory, (&by, now)).await?;
                    let note = format!("MEMORY updated (version {})", doc.version);
                    self.store.append_message(chat, (Role::System, &note), Some(run), now).await?;
                }
                self.store.append_message(chat, (Role::Assistant, &text), Some(run), now).await?;
                session.last_execution = Some(run.clone());
                session.cli_session = cli_session.or(session.cli_session);
            }
            TurnOutcome::Failed(why) => {
                let note = format!("The turn failed: {why}");
                self.store.append_message(chat, (Role::System, &note), Some(run), now).await?;
            }
        }
        session.turn = TurnState::Idle;
        self.store.update_chat(&session).await?;
        self.changed();
        Ok(())
    }

    /// Follows a chat from message `after`: its state, then each message once, in
    /// order, until the chat ends or the receiver is dropped.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable` (before anything was sent).
    pub async fn follow(
        &self,
        agent: &SuperAgentId,
        chat: &ChatId,
        mut after: i64,
    ) -> Result<mpsc::Receiver<ChatEvent>, SuperAgentError> {
        let first = self.chat(agent, chat).await?;
        let (tx, rx) = mpsc::channel(64);
        let (service, mut changes) = (self.clone(), self.changes.subscribe());
        tokio::spawn(async move {
            let mut last: Option<ChatSession> = None;
            let mut current = first;
            loop {
                if last.as_ref() != Some(&current) {
                    if tx.send(ChatEvent::State(current.clone())).await.is_err() {
                        return;
                    }
                    last = Some(current.clone());
                }
                let Ok(messages) = service.store.messages(&current.id, after).await else { return };
                for message in messages {
                    after = message.seq;
                    if tx.send(ChatEvent::Message(message)).await.is_err() {
                        return;
                    }
                }
                if current.status == ChatStatus::Ended && current.turn == TurnState::Idle {
                    return;
                }
                tokio::select! {
                    _ = changes.changed() => {}
                    () = tokio::time::sleep(FOLLOW_POLL) => {}
                    () = tx.closed() => return,
                }
                changes.borrow_and_update();
                match service.store.chat(&current.id).await {
                    Ok(Some(next)) => current = next,
                    _ => return,
                }
            }
        });
        Ok(rx)
    }

    /// Sends a message from one agent to another.
    ///
    /// # Errors
    /// `NotFound` (either agent), `Invalid`, `Unavailable`.
    pub async fn send(
        &self,
        from: &SuperAgentId,
        to: &SuperAgentId,
        (subject, body): (&str, &str),
    ) -> Result<AgentMessage, SuperAgentError> {
        if subject.chars().count() > 200 || subject.chars().any(char::is_control) {
            return Err(invalid("subject", "at most 200 characters, no control characters"));
        }
        if body.trim().is_empty() {
            return Err(invalid("body", "must not be blank"));
        }
        bounded("body", body)?;
        self.get(from).await?;
        self.store.agent(to).await?.ok_or_else(|| invalid("to_agent_id", format!("no super agent {to}")))?;
        let message = AgentMessage {
            id: 0,
            from_agent: from.clone(),
            to_agent: to.clone(),
            subject: subject.to_owned(),
            body: body.to_owned(),
            created_at: self.clock.now(),
            read_at: None,
        };
        Ok(self.store.send(&message).await?)
    }

    /// Messages to (`inbox`) or from an agent, newest first.
    ///
    /// # Errors
    /// `NotFound`, `Unavailable`.
    pub async fn mail(&self, agent: &SuperAgentId, inbox: bool) -> Result<Vec<AgentMessage>, SuperAgentError> {
        self.get(agent).await?;
        Ok(self.store.mail(agent, inbox).await?)
    }

    /// Marks a message to the agent read.
    ///
    /// # Errors
    /// `NotFound` (the agent, or a message not to it), `Unavailable`.
    pub async fn mark_read(&self, agent: &SuperAgentId, id: i64) -> Result<AgentMessage, SuperAgentError> {
        self.get(agent).await?;
        self.store.mark_read(agent, id, self.clock.now()).await?.ok_or(SuperAgentError::NotFound("message"))
    }
}
