//! In-memory fakes of the ports: a repository, terminals a test drives by
//! hand, and a fixed set of projects.

use crate::model::{OutputChunk, Session, TerminalSize};
use crate::ports::{
    LaunchSpec, ProjectDirectory, SessionRepository, SessionStoreError, TerminalError, TerminalSink, Terminals,
};
use agented_kernel::{Cause, ProjectId, SessionId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sessions and output in memory.
#[derive(Debug, Default)]
pub struct MemorySessions {
    sessions: Mutex<BTreeMap<SessionId, Session>>,
    output: Mutex<HashMap<SessionId, Vec<OutputChunk>>>,
}

#[async_trait]
impl SessionRepository for MemorySessions {
    async fn insert(&self, session: &Session) -> Result<(), SessionStoreError> {
        lock(&self.sessions).insert(session.id.clone(), session.clone());
        Ok(())
    }
    async fn get(&self, id: &SessionId) -> Result<Option<Session>, SessionStoreError> {
        Ok(lock(&self.sessions).get(id).cloned())
    }
    async fn list(&self, project: Option<&ProjectId>, limit: u32) -> Result<Vec<Session>, SessionStoreError> {
        let mut all: Vec<Session> = lock(&self.sessions)
            .values()
            .filter(|s| project.is_none_or(|p| s.project_id.as_ref() == Some(p)))
            .cloned()
            .collect();
        all.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        all.truncate(limit as usize);
        Ok(all)
    }
    async fn open(&self) -> Result<Vec<Session>, SessionStoreError> {
        Ok(lock(&self.sessions).values().filter(|s| s.status.is_open()).cloned().collect())
    }
    async fn update(&self, session: &Session) -> Result<(), SessionStoreError> {
        if let Some(stored) = lock(&self.sessions).get_mut(&session.id) {
            *stored = session.clone();
        }
        Ok(())
    }
    async fn append(&self, id: &SessionId, data: &str, at: DateTime<Utc>) -> Result<i64, SessionStoreError> {
        self.touch(id, at).await?;
        let mut output = lock(&self.output);
        let chunks = output.entry(id.clone()).or_default();
        let seq = chunks.last().map_or(1, |c| c.seq + 1);
        chunks.push(OutputChunk { seq, data: data.to_owned(), at });
        Ok(seq)
    }
    async fn touch(&self, id: &SessionId, at: DateTime<Utc>) -> Result<(), SessionStoreError> {
        if let Some(s) = lock(&self.sessions).get_mut(id) {
            s.last_activity_at = at;
        }
        Ok(())
    }
    async fn output_after(
        &self,
        id: &SessionId,
        after: i64,
        limit: u32,
    ) -> Result<Vec<OutputChunk>, SessionStoreError> {
        let output = lock(&self.output);
        let chunks = output.get(id).map(Vec::as_slice).unwrap_or_default();
        Ok(chunks.iter().filter(|c| c.seq > after).take(limit as usize).cloned().collect())
    }
    async fn output_tail(&self, id: &SessionId, limit: u32) -> Result<Vec<OutputChunk>, SessionStoreError> {
        let output = lock(&self.output);
        let chunks = output.get(id).map(Vec::as_slice).unwrap_or_default();
        Ok(chunks[chunks.len().saturating_sub(limit as usize)..].to_vec())
    }
}

/// One started fake terminal.
#[derive(Clone)]
pub struct FakeTerminal {
    /// How it was started.
    pub spec: LaunchSpec,
    /// Everything typed into it.
    pub typed: Vec<u8>,
    /// Its size now.
    pub size: TerminalSize,
    /// Whether it is paused.
    pub paused: bool,
    sink: Arc<dyn TerminalSink>,
}

/// Terminals a test drives: `print` and `exit` stand for the process.
#[derive(Default)]
pub struct FakeTerminals {
    live: Mutex<BTreeMap<SessionId, FakeTerminal>>,
    /// Programs that are "not on PATH".
    pub missing: Mutex<Vec<String>>,
    /// Ids killed by `kill_leftovers`.
    pub killed: Mutex<Vec<SessionId>>,
}

impl FakeTerminals {
    /// The host name these terminals report.
    pub const HOST: &'static str = "test-host";

    /// The live terminal of a session.
    #[must_use]
    pub fn terminal(&self, id: &SessionId) -> Option<FakeTerminal> {
        lock(&self.live).get(id).cloned()
    }

    /// The process prints `data`.
    pub async fn print(&self, id: &SessionId, data: &str) {
        let sink = lock(&self.live).get(id).map(|t| t.sink.clone());
        if let Some(sink) = sink {
            sink.output(id, data.to_owned()).await;
        }
    }

    /// The process exits with `code`.
    pub async fn exit(&self, id: &SessionId, code: Option<i32>) {
        let gone = lock(&self.live).remove(id);
        if let Some(t) = gone {
            t.sink.ended(id, code).await;
        }
    }

    /// Drops the terminal without an end (its process belongs to another server).
    pub fn forget(&self, id: &SessionId) {
        lock(&self.live).remove(id);
    }

    fn with<T>(&self, id: &SessionId, f: impl FnOnce(&mut FakeTerminal) -> T) -> Result<T, TerminalError> {
        lock(&self.live).get_mut(id).map(f).ok_or(TerminalError::NotHere)
    }
}

#[async_trait]
impl Terminals for FakeTerminals {
    fn host(&self) -> String {
        Self::HOST.to_owned()
    }
    async fn start(&self, spec: LaunchSpec, sink: Arc<dyn TerminalSink>) -> Result<(), TerminalError> {
        if lock(&self.missing).contains(&spec.launch.program) {
            return Err(TerminalError::ProgramMissing(spec.launch.program));
        }
        let terminal = FakeTerminal { size: spec.size, spec: spec.clone(), typed: Vec::new(), paused: false, sink };
        lock(&self.live).insert(spec.id, terminal);
        Ok(())
    }
    async fn write(&self, id: &SessionId, bytes: &[u8]) -> Result<(), TerminalError> {
        self.with(id, |t| t.typed.extend_from_slice(bytes))
    }
    async fn resize(&self, id: &SessionId, size: TerminalSize) -> Result<(), TerminalError> {
        self.with(id, |t| t.size = size)
    }
    fn pause(&self, id: &SessionId, paused: bool) -> Result<(), TerminalError> {
        self.with(id, |t| t.paused = paused)
    }
    fn stop(&self, id: &SessionId) -> Result<(), TerminalError> {
        // The process ends at once, as after a hang-up.
        let terminal = lock(&self.live).remove(id).ok_or(TerminalError::NotHere)?;
        let id = id.clone();
        tokio::spawn(async move { terminal.sink.ended(&id, None).await });
        Ok(())
    }
    fn kill_leftovers(&self, ids: &[SessionId]) -> usize {
        lock(&self.killed).extend(ids.iter().cloned());
        ids.len()
    }
}

/// Projects by id, each with its `.planning/` files.
#[derive(Debug, Default)]
pub struct FixedProjects(pub BTreeMap<ProjectId, Vec<(String, String)>>);

#[async_trait]
impl ProjectDirectory for FixedProjects {
    async fn planning_files(&self, id: &ProjectId) -> Result<Option<Vec<(String, String)>>, Cause> {
        Ok(self.0.get(id).cloned())
    }
}
