//! Where sessions are kept, what runs their processes, and where projects are.

use crate::model::{OutputChunk, Session, TerminalSize};
use crate::program::Launch;
use agented_kernel::{Cause, ProjectId, SessionId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

/// The store failed (unreachable, or a row it cannot read).
#[derive(Debug, thiserror::Error)]
#[error("session store failed: {0}")]
pub struct SessionStoreError(pub Cause);

/// Sessions and their output.
///
/// Errors: [`SessionStoreError`] when the store fails; a missing session is
/// `None` (or, for writes, no error and no effect).
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Stores a new session.
    async fn insert(&self, session: &Session) -> Result<(), SessionStoreError>;
    /// One session.
    async fn get(&self, id: &SessionId) -> Result<Option<Session>, SessionStoreError>;
    /// The newest `limit` sessions, of one project when given.
    async fn list(&self, project: Option<&ProjectId>, limit: u32) -> Result<Vec<Session>, SessionStoreError>;
    /// Every running or paused session.
    async fn open(&self) -> Result<Vec<Session>, SessionStoreError>;
    /// Writes a session's status, exit code, reason, size, activity and end.
    async fn update(&self, session: &Session) -> Result<(), SessionStoreError>;
    /// Appends output (its seq is the next one) and moves the last activity to `at`.
    async fn append(&self, id: &SessionId, data: &str, at: DateTime<Utc>) -> Result<i64, SessionStoreError>;
    /// Moves the last activity to `at` (input was sent).
    async fn touch(&self, id: &SessionId, at: DateTime<Utc>) -> Result<(), SessionStoreError>;
    /// Output after `after`, oldest first, at most `limit` chunks.
    async fn output_after(&self, id: &SessionId, after: i64, limit: u32)
    -> Result<Vec<OutputChunk>, SessionStoreError>;
    /// The last `limit` chunks, oldest first.
    async fn output_tail(&self, id: &SessionId, limit: u32) -> Result<Vec<OutputChunk>, SessionStoreError>;
}

/// Why a terminal could not be started or reached.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TerminalError {
    /// The program is not on the runner's `PATH`.
    #[error("'{0}' was not found on the runner's PATH")]
    ProgramMissing(String),
    /// No process of this session runs in this server (it ended, or another server runs it).
    #[error("this session has no process in this server")]
    NotHere,
    /// The pseudo-terminal or the process failed.
    #[error("{0}")]
    Failed(String),
}

/// Everything needed to start a session's process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchSpec {
    /// The session.
    pub id: SessionId,
    /// What runs.
    pub launch: Launch,
    /// Its folder, relative to the sessions' workspace: a project's (kept
    /// between sessions) or the session's own.
    pub folder: String,
    /// Files written into the folder when they are not there yet (a project's `.planning/`).
    pub files: Vec<(String, String)>,
    /// The terminal's size.
    pub size: TerminalSize,
}

/// Receives what a session's process does. Calls for one session come in order.
#[async_trait]
pub trait TerminalSink: Send + Sync {
    /// The process printed `data`.
    async fn output(&self, id: &SessionId, data: String);
    /// The process (and its group) ended; its exit code when it had one.
    async fn ended(&self, id: &SessionId, exit_code: Option<i32>);
}

/// The pseudo-terminals of this server's sessions.
///
/// Errors: [`TerminalError`]; a session without a process here is [`TerminalError::NotHere`].
#[async_trait]
pub trait Terminals: Send + Sync {
    /// This host's name, recorded on each session.
    fn host(&self) -> String;
    /// Starts the process; output and the end go to `sink`.
    async fn start(&self, spec: LaunchSpec, sink: Arc<dyn TerminalSink>) -> Result<(), TerminalError>;
    /// Types `bytes` into the terminal.
    async fn write(&self, id: &SessionId, bytes: &[u8]) -> Result<(), TerminalError>;
    /// Resizes the terminal (the process gets SIGWINCH).
    async fn resize(&self, id: &SessionId, size: TerminalSize) -> Result<(), TerminalError>;
    /// Stops (`true`) or continues (`false`) the process group.
    fn pause(&self, id: &SessionId, paused: bool) -> Result<(), TerminalError>;
    /// Ends the process group (hang-up, then kill after a grace); `ended` follows.
    fn stop(&self, id: &SessionId) -> Result<(), TerminalError>;
    /// Kills every process on this host marked as one of `ids` (left by a server that died).
    fn kill_leftovers(&self, ids: &[SessionId]) -> usize;
}

/// The projects sessions may work on.
///
/// Errors: the store's failure as a [`Cause`].
#[async_trait]
pub trait ProjectDirectory: Send + Sync {
    /// The project's roadmap as `.planning/` files (relative path, content), or
    /// `None` when there is no such project.
    async fn planning_files(&self, id: &ProjectId) -> Result<Option<Vec<(String, String)>>, Cause>;
}
