//! In-memory fakes: a store, and a runner whose turns a test answers.

use crate::model::{
    AgentMessage, ChatMessage, ChatSession, DocKind, Document, DocumentVersion, Role, SuperAgent, TurnState,
};
use crate::ports::{ChatRunner, RunnerError, SuperAgentStore, SuperAgentStoreError, TurnOutcome};
use agented_kernel::{BackendType, ChatId, ExecutionId, SuperAgentId, TriggerId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    agents: Mutex<BTreeMap<SuperAgentId, SuperAgent>>,
    versions: Mutex<Vec<(SuperAgentId, DocumentVersion)>>,
    chats: Mutex<BTreeMap<ChatId, ChatSession>>,
    messages: Mutex<HashMap<ChatId, Vec<ChatMessage>>>,
    mail: Mutex<Vec<AgentMessage>>,
}

#[async_trait]
impl SuperAgentStore for MemoryStore {
    async fn insert_agent(&self, agent: &SuperAgent) -> Result<(), SuperAgentStoreError> {
        lock(&self.agents).insert(agent.id.clone(), agent.clone());
        Ok(())
    }
    async fn agent(&self, id: &SuperAgentId) -> Result<Option<SuperAgent>, SuperAgentStoreError> {
        Ok(lock(&self.agents).get(id).cloned())
    }
    async fn agents(&self) -> Result<Vec<SuperAgent>, SuperAgentStoreError> {
        let mut all: Vec<SuperAgent> = lock(&self.agents).values().cloned().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }
    async fn update_agent(&self, agent: &SuperAgent) -> Result<(), SuperAgentStoreError> {
        lock(&self.agents).insert(agent.id.clone(), agent.clone());
        Ok(())
    }
    async fn delete_agent(&self, id: &SuperAgentId) -> Result<bool, SuperAgentStoreError> {
        lock(&self.versions).retain(|(a, _)| a != id);
        lock(&self.chats).retain(|_, c| &c.agent_id != id);
        lock(&self.mail).retain(|m| &m.from_agent != id && &m.to_agent != id);
        Ok(lock(&self.agents).remove(id).is_some())
    }
    async fn documents(&self, agent: &SuperAgentId) -> Result<Vec<Document>, SuperAgentStoreError> {
        let versions = lock(&self.versions);
        let mut latest: BTreeMap<DocKind, Document> = BTreeMap::new();
        for (_, v) in versions.iter().filter(|(a, _)| a == agent) {
            latest.insert(v.kind, Document::from(v.clone()));
        }
        Ok(latest.into_values().collect())
    }
    async fn put_document(
        &self,
        agent: &SuperAgentId,
        kind: DocKind,
        content: &str,
        (changed_by, at): (&str, DateTime<Utc>),
    ) -> Result<Document, SuperAgentStoreError> {
        let mut versions = lock(&self.versions);
        let version = versions.iter().filter(|(a, v)| a == agent && v.kind == kind).count() as i64 + 1;
        let kept =
            DocumentVersion { kind, version, content: content.to_owned(), changed_by: changed_by.to_owned(), at };
        let document = Document::from(kept.clone());
        versions.push((agent.clone(), kept));
        Ok(document)
    }
    async fn delete_document(&self, agent: &SuperAgentId, kind: DocKind) -> Result<bool, SuperAgentStoreError> {
        let mut versions = lock(&self.versions);
        let before = versions.len();
        versions.retain(|(a, v)| !(a == agent && v.kind == kind));
        Ok(versions.len() < before)
    }
    async fn versions(
        &self,
        agent: &SuperAgentId,
        kind: DocKind,
    ) -> Result<Vec<DocumentVersion>, SuperAgentStoreError> {
        let versions = lock(&self.versions);
        Ok(versions.iter().rev().filter(|(a, v)| a == agent && v.kind == kind).map(|(_, v)| v.clone()).collect())
    }
    async fn insert_chat(&self, chat: &ChatSession) -> Result<(), SuperAgentStoreError> {
        lock(&self.chats).insert(chat.id.clone(), chat.clone());
        Ok(())
    }
    async fn chat(&self, id: &ChatId) -> Result<Option<ChatSession>, SuperAgentStoreError> {
        Ok(lock(&self.chats).get(id).cloned())
    }
    async fn chats(&self, agent: &SuperAgentId) -> Result<Vec<ChatSession>, SuperAgentStoreError> {
        let mut all: Vec<ChatSession> = lock(&self.chats).values().filter(|c| &c.agent_id == agent).cloned().collect();
        all.sort_by_key(|c| std::cmp::Reverse(c.created_at));
        Ok(all)
    }
    async fn chats_in_turn(&self) -> Result<Vec<ChatSession>, SuperAgentStoreError> {
        Ok(lock(&self.chats).values().filter(|c| c.turn != TurnState::Idle).cloned().collect())
    }
    async fn update_chat(&self, chat: &ChatSession) -> Result<(), SuperAgentStoreError> {
        lock(&self.chats).insert(chat.id.clone(), chat.clone());
        Ok(())
    }
    async fn append_message(
        &self,
        chat: &ChatId,
        (role, content): (Role, &str),
        execution: Option<&ExecutionId>,
        at: DateTime<Utc>,
    ) -> Result<ChatMessage, SuperAgentStoreError> {
        let mut messages = lock(&self.messages);
        let list = messages.entry(chat.clone()).or_default();
        let message = ChatMessage {
            seq: list.len() as i64 + 1,
            role,
            content: content.to_owned(),
            execution_id: execution.cloned(),
            at,
        };
        list.push(message.clone());
        Ok(message)
    }
    async fn messages(&self, chat: &ChatId, after: i64) -> Result<Vec<ChatMessage>, SuperAgentStoreError> {
        let messages = lock(&self.messages);
        Ok(messages.get(chat).map(|l| l.iter().filter(|m| m.seq > after).cloned().collect()).unwrap_or_default())
    }
    async fn send(&self, message: &AgentMessage) -> Result<AgentMessage, SuperAgentStoreError> {
        let mut mail = lock(&self.mail);
        let stored = AgentMessage { id: mail.len() as i64 + 1, ..message.clone() };
        mail.push(stored.clone());
        Ok(stored)
    }
    async fn mail(&self, agent: &SuperAgentId, inbox: bool) -> Result<Vec<AgentMessage>, SuperAgentStoreError> {
        let mail = lock(&self.mail);
        let mine = |m: &&AgentMessage| if inbox { &m.to_agent == agent } else { &m.from_agent == agent };
        Ok(mail.iter().rev().filter(mine).cloned().collect())
    }
    async fn mark_read(
        &self,
        agent: &SuperAgentId,
        id: i64,
        at: DateTime<Utc>,
    ) -> Result<Option<AgentMessage>, SuperAgentStoreError> {
        let mut mail = lock(&self.mail);
        let Some(m) = mail.iter_mut().find(|m| m.id == id && &m.to_agent == agent) else { return Ok(None) };
        m.read_at.get_or_insert(at);
        Ok(Some(m.clone()))
    }
}

/// A turn the scripted runner started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartedTurn {
    /// Its run.
    pub run: ExecutionId,
    /// What it asked.
    pub prompt: String,
    /// The run whose session it resumes.
    pub resume: Option<ExecutionId>,
}

/// A runner whose turns end when a test says so.
#[derive(Debug, Default)]
pub struct ScriptedRunner {
    /// Every turn started, in order.
    pub started: Mutex<Vec<StartedTurn>>,
    outcomes: Mutex<HashMap<ExecutionId, TurnOutcome>>,
}

impl ScriptedRunner {
    /// Ends `run` with `outcome`.
    pub fn finish(&self, run: &ExecutionId, outcome: TurnOutcome) {
        lock(&self.outcomes).insert(run.clone(), outcome);
    }

    /// The last turn started, if any.
    #[must_use]
    pub fn last(&self) -> Option<StartedTurn> {
        lock(&self.started).last().cloned()
    }
}

#[async_trait]
impl ChatRunner for ScriptedRunner {
    async fn start(
        &self,
        _: (BackendType, Option<&str>),
        prompt: &str,
        resume: Option<&ExecutionId>,
    ) -> Result<ExecutionId, RunnerError> {
        let trigger = TriggerId::parse("bot-super-agents").map_err(|e| RunnerError::Refused(e.to_string()))?;
        let run = ExecutionId::generate(&trigger, Utc::now());
        lock(&self.started).push(StartedTurn { run: run.clone(), prompt: prompt.to_owned(), resume: resume.cloned() });
        Ok(run)
    }
    async fn outcome(&self, run: &ExecutionId) -> Result<TurnOutcome, RunnerError> {
        Ok(lock(&self.outcomes).get(run).cloned().unwrap_or(TurnOutcome::Running))
    }
}
