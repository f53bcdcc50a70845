//! `SessionService`: opens sessions within the limits, passes input, resizes,
//! pauses and stops them, records their output and how they ended, ends idle
//! ones, and marks those of a dead server interrupted.

use crate::model::{OutputChunk, Purpose, Session, SessionStatus, TerminalSize};
use crate::ports::{LaunchSpec, ProjectDirectory, SessionRepository, SessionStoreError, TerminalError, Terminals};
use crate::program::{Launch, ProgramRequest, Programs};
use agented_kernel::{Clock, ProjectId, SessionId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::watch;

/// Sessions listed at most.
pub const LIST_LIMIT: u32 = 200;
/// Output chunks read to answer `output?last_n=`.
const TAIL_CHUNKS: u32 = 4000;

/// How many sessions, for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Open sessions one key may have.
    pub max_open_per_key: usize,
    /// A session without input or output for this long is ended.
    pub idle_timeout: Duration,
    /// How long a stop waits for the process to end before answering.
    pub stop_wait: Duration,
    /// Output one session may store; past it the session is stopped.
    pub max_output_bytes: u64,
}

impl Default for SessionLimits {
    fn default() -> Self {
        Self {
            max_open_per_key: 4,
            idle_timeout: Duration::from_secs(30 * 60),
            stop_wait: Duration::from_secs(5),
            max_output_bytes: 64 << 20,
        }
    }
}

/// What to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRequest {
    /// The project to work on (its folder, its `.planning/`).
    pub project_id: Option<ProjectId>,
    /// What to run.
    pub program: ProgramRequest,
    /// The terminal's size ([`TerminalSize::DEFAULT`] when `None`).
    pub size: Option<TerminalSize>,
    /// The name of the key asking.
    pub created_by: String,
}

/// A session as a request names it: by id, and under a project when the path has one
/// (a session of another project is then not found).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRef {
    /// The session.
    pub id: SessionId,
    /// The project in the path, if any.
    pub project: Option<ProjectId>,
}

impl From<SessionId> for SessionRef {
    fn from(id: SessionId) -> Self {
        Self { id, project: None }
    }
}

/// Why a session request failed.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// A field of the request is wrong.
    #[error("{field}: {message}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// Why.
        message: String,
    },
    /// No such session.
    #[error("session not found")]
    NotFound,
    /// No such project.
    #[error("project {0} not found")]
    ProjectNotFound(ProjectId),
    /// The key has its limit of open sessions.
    #[error("this key has {0} open sessions, its limit: stop one first")]
    TooMany(usize),
    /// The project has an open planning session.
    #[error("a planning session is already active on this project: {0}")]
    PlanningBusy(SessionId),
    /// The session has ended.
    #[error("the session has ended ({})", .0.as_str())]
    Ended(SessionStatus),
    /// The session is paused: resume it first.
    #[error("the session is paused: resume it first")]
    Paused,
    /// Another server runs the session's process.
    #[error("the session runs on {0}: send this request to that server")]
    Elsewhere(String),
    /// The program could not start.
    #[error("the session could not start: {0}")]
    Start(TerminalError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] SessionStoreError),
}

impl From<(&'static str, String)> for SessionError {
    fn from((field, message): (&'static str, String)) -> Self {
        Self::Invalid { field, message }
    }
}

/// Interactive sessions.
#[derive(Clone)]
pub struct SessionService {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) repo: Arc<dyn SessionRepository>,
    terminals: Arc<dyn Terminals>,
    projects: Arc<dyn ProjectDirectory>,
    clock: Arc<dyn Clock>,
    programs: Programs,
    limits: SessionLimits,
    /// Why a session being stopped from here ends (absent: it exited on its own).
    endings: Mutex<HashMap<SessionId, (SessionStatus, Option<String>)>>,
    /// Output bytes stored per session of this process.
    written: Mutex<HashMap<SessionId, u64>>,
    /// Serialises the limit checks with the insert that follows them.
    opening: tokio::sync::Mutex<()>,
    /// Bumped on every output, state change and end: followers wake on it.
    pub(crate) changes: watch::Sender<u64>,
}

impl std::fmt::Debug for SessionService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionService").field("limits", &self.inner.limits).finish_non_exhaustive()
    }
}

impl SessionService {
    /// The service over its ports.
    #[must_use]
    pub fn new(
        repo: Arc<dyn SessionRepository>,
        terminals: Arc<dyn Terminals>,
        projects: Arc<dyn ProjectDirectory>,
        clock: Arc<dyn Clock>,
        (programs, limits): (Programs, SessionLimits),
    ) -> Self {
        let inner = Inner {
            repo,
            terminals,
            projects,
            clock,
            programs,
            limits,
            endings: Mutex::default(),
            written: Mutex::default(),
            opening: tokio::sync::Mutex::new(()),
            changes: watch::channel(0).0,
        };
        Self { inner: Arc::new(inner) }
    }

    /// The names a session may run.
    #[must_use]
    pub fn programs(&self) -> Vec<String> {
        self.inner.programs.names()
    }

    /// Opens a terminal session.
    ///
    /// # Errors
    /// `Invalid` (program, args), `ProjectNotFound`, `TooMany`, `Start`, `Store`.
    pub async fn open(&self, request: OpenRequest) -> Result<Session, SessionError> {
        let launch = self.inner.programs.resolve(request.program.clone())?;
        self.start(request, Purpose::Terminal, launch).await
    }

    /// Opens a planning session: `/grd:<command> <args>` in Claude Code on the project.
    ///
    /// # Errors
    /// As [`Self::open`], and `PlanningBusy` when the project has an open planning session.
    pub async fn plan(
        &self,
        project: ProjectId,
        (command, args): (&str, &[String]),
        created_by: String,
    ) -> Result<Session, SessionError> {
        let launch = Programs::planning(command, args)?;
        let program = ProgramRequest { program: launch.program.clone(), args: launch.args.clone() };
        let request = OpenRequest { project_id: Some(project), program, size: None, created_by };
        self.start(request, Purpose::Planning, launch).await
    }

    async fn start(&self, request: OpenRequest, purpose: Purpose, launch: Launch) -> Result<Session, SessionError> {
        let inner = &self.inner;
        let id = SessionId::generate();
        let (folder, files) = match &request.project_id {
            Some(project) => {
                let files = inner
                    .projects
                    .planning_files(project)
                    .await
                    .map_err(SessionStoreError)?
                    .ok_or_else(|| SessionError::ProjectNotFound(project.clone()))?;
                (format!("projects/{project}"), files)
            }
            None => (format!("sessions/{id}"), Vec::new()),
        };
        let _opening = inner.opening.lock().await;
        let open = inner.repo.open().await?;
        if open.iter().filter(|s| s.created_by == request.created_by).count() >= inner.limits.max_open_per_key {
            return Err(SessionError::TooMany(inner.limits.max_open_per_key));
        }
        if purpose == Purpose::Planning
            && let Some(busy) =
                open.iter().find(|s| s.purpose == Purpose::Planning && s.project_id == request.project_id)
        {
            return Err(SessionError::PlanningBusy(busy.id.clone()));
        }
        let now = inner.clock.now();
        let size = request.size.unwrap_or(TerminalSize::DEFAULT);
        let mut session = Session {
            id: id.clone(),
            project_id: request.project_id,
            purpose,
            program: launch.program.clone(),
            args: launch.args.clone(),
            status: SessionStatus::Running,
            exit_code: None,
            reason: None,
            created_by: request.created_by,
            host: inner.terminals.host(),
            size,
            created_at: now,
            last_activity_at: now,
            ended_at: None,
        };
        inner.repo.insert(&session).await?;
        let spec = LaunchSpec { id, launch, folder, files, size };
        if let Err(e) = inner.terminals.start(spec, self.inner.clone()).await {
            session.status = SessionStatus::Failed;
            session.reason = Some(e.to_string());
            session.ended_at = Some(inner.clock.now());
            inner.repo.update(&session).await?;
            return Err(SessionError::Start(e));
        }
        Ok(session)
    }

    /// One session.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn get(&self, r: &SessionRef) -> Result<Session, SessionError> {
        let session = self.inner.repo.get(&r.id).await?.ok_or(SessionError::NotFound)?;
        match &r.project {
            Some(project) if session.project_id.as_ref() != Some(project) => Err(SessionError::NotFound),
            _ => Ok(session),
        }
    }

    /// The newest sessions, of one project when given.
    ///
    /// # Errors
    /// `Store`.
    pub async fn list(&self, project: Option<&ProjectId>) -> Result<Vec<Session>, SessionError> {
        Ok(self.inner.repo.list(project, LIST_LIMIT).await?)
    }

    /// The last `last_n` lines of output as plain text (escape sequences removed).
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn output_lines(&self, r: &SessionRef, last_n: usize) -> Result<Vec<String>, SessionError> {
        let session = self.get(r).await?;
        let chunks = self.inner.repo.output_tail(&session.id, TAIL_CHUNKS).await?;
        Ok(plain_lines(&chunks, last_n))
    }

    async fn open_session(&self, r: &SessionRef) -> Result<Session, SessionError> {
        let session = self.get(r).await?;
        if session.status.is_open() { Ok(session) } else { Err(SessionError::Ended(session.status)) }
    }

    /// The port's answer for `session`: no process here means it just ended (this host) or
    /// another server runs it.
    fn reach(&self, session: &Session, result: Result<(), TerminalError>) -> Result<(), SessionError> {
        result.map_err(|e| match e {
            TerminalError::NotHere if session.host == self.inner.terminals.host() => {
                SessionError::Ended(SessionStatus::Exited)
            }
            TerminalError::NotHere => SessionError::Elsewhere(session.host.clone()),
            other => SessionError::Start(other),
        })
    }

    /// Types `text` into the session.
    ///
    /// # Errors
    /// `NotFound`, `Ended`, `Paused`, `Elsewhere`, `Store`.
    pub async fn input(&self, r: &SessionRef, text: &str) -> Result<(), SessionError> {
        let session = self.open_session(r).await?;
        let id = &session.id;
        if session.status == SessionStatus::Paused {
            return Err(SessionError::Paused);
        }
        self.reach(&session, self.inner.terminals.write(id, text.as_bytes()).await)?;
        Ok(self.inner.repo.touch(id, self.inner.clock.now()).await?)
    }

    /// Resizes the session's terminal.
    ///
    /// # Errors
    /// `NotFound`, `Ended`, `Elsewhere`, `Store`.
    pub async fn resize(&self, r: &SessionRef, size: TerminalSize) -> Result<Session, SessionError> {
        let mut session = self.open_session(r).await?;
        self.reach(&session, self.inner.terminals.resize(&session.id, size).await)?;
        session.size = size;
        self.inner.repo.update(&session).await?;
        Ok(session)
    }

    /// Pauses (`true`) or resumes (`false`) the session's processes.
    ///
    /// # Errors
    /// `NotFound`, `Ended`, `Elsewhere`, `Store`.
    pub async fn pause(&self, r: &SessionRef, paused: bool) -> Result<Session, SessionError> {
        let mut session = self.open_session(r).await?;
        self.reach(&session, self.inner.terminals.pause(&session.id, paused))?;
        session.status = if paused { SessionStatus::Paused } else { SessionStatus::Running };
        self.inner.repo.update(&session).await?;
        self.inner.changed();
        Ok(session)
    }

    /// Stops the session and waits (a few seconds at most) for its processes to end.
    ///
    /// # Errors
    /// `NotFound`, `Ended`, `Elsewhere`, `Store`.
    pub async fn stop(&self, r: &SessionRef) -> Result<Session, SessionError> {
        let session = self.open_session(r).await?;
        self.end(&session, SessionStatus::Stopped).await?;
        Ok(self.wait_ended(&session.id, self.inner.limits.stop_wait).await?)
    }

    /// Ends `session` for `why`: its process is stopped, and `ended` records it. A session
    /// of this host with no process here (its server died) is recorded ended at once.
    async fn end(&self, session: &Session, why: SessionStatus) -> Result<(), SessionError> {
        let inner = &self.inner;
        inner.endings().insert(session.id.clone(), (why, None));
        match inner.terminals.stop(&session.id) {
            Ok(()) => Ok(()),
            Err(TerminalError::NotHere) if session.host == inner.terminals.host() => {
                Ok(inner.finish(&session.id, None).await?)
            }
            Err(e) => {
                inner.endings().remove(&session.id);
                self.reach(session, Err(e))
            }
        }
    }

    async fn wait_ended(&self, id: &SessionId, wait: Duration) -> Result<Session, SessionStoreError> {
        let mut changes = self.inner.changes.subscribe();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            changes.borrow_and_update();
            let session = self.inner.repo.get(id).await?;
            match session {
                Some(s) if s.status.is_open() => {
                    if tokio::time::timeout_at(deadline, changes.changed()).await.is_err() {
                        return Ok(s);
                    }
                }
                Some(s) => return Ok(s),
                None => return Err(SessionStoreError(agented_kernel::Cause::new("the session disappeared"))),
            }
        }
    }

    /// Ends this host's sessions idle for the idle timeout; how many.
    ///
    /// # Errors
    /// `Store`.
    pub async fn reap_idle(&self) -> Result<usize, SessionError> {
        let (now, idle) = (self.inner.clock.now(), self.inner.limits.idle_timeout);
        let idle = chrono::Duration::from_std(idle).unwrap_or(chrono::Duration::MAX);
        let mut ended = 0;
        for session in self.local_open().await? {
            if now - session.last_activity_at >= idle {
                self.end(&session, SessionStatus::TimedOut).await?;
                ended += 1;
            }
        }
        Ok(ended)
    }

    async fn local_open(&self) -> Result<Vec<Session>, SessionStoreError> {
        let host = self.inner.terminals.host();
        Ok(self.inner.repo.open().await?.into_iter().filter(|s| s.host == host).collect())
    }

    /// At start-up: sessions still open whose server is gone (`is_orphan` says so
    /// from their host) become interrupted, and what is left of their processes on
    /// this host is killed. Returns how many.
    ///
    /// # Errors
    /// `Store`.
    pub async fn recover(&self, is_orphan: &dyn Fn(&str) -> bool) -> Result<usize, SessionError> {
        let orphans: Vec<Session> = self.inner.repo.open().await?.into_iter().filter(|s| is_orphan(&s.host)).collect();
        for session in &orphans {
            self.inner.endings().insert(session.id.clone(), (SessionStatus::Interrupted, None));
            self.inner.finish(&session.id, None).await?;
        }
        let ids: Vec<SessionId> = orphans.into_iter().map(|s| s.id).collect();
        let killed = self.inner.terminals.kill_leftovers(&ids);
        if killed > 0 {
            tracing::warn!(killed, "killed processes left by sessions of a server that died");
        }
        Ok(ids.len())
    }

    /// Stops this server's sessions (interrupted) and waits up to `grace` for them to end.
    pub async fn shutdown(&self, grace: Duration) {
        let Ok(open) = self.local_open().await else { return };
        for session in &open {
            if let Err(e) = self.end(session, SessionStatus::Interrupted).await {
                tracing::error!(session = %session.id, error = %e, "could not stop a session");
            }
        }
        for session in &open {
            let _ = self.wait_ended(&session.id, grace).await;
        }
    }
}

impl Inner {
    fn endings(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, (SessionStatus, Option<String>)>> {
        self.endings.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn changed(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Records the end of an open session: why it was stopped from here, or that it exited.
    async fn finish(&self, id: &SessionId, exit_code: Option<i32>) -> Result<(), SessionStoreError> {
        let (status, reason) = self.endings().remove(id).unwrap_or((SessionStatus::Exited, None));
        self.written.lock().unwrap_or_else(PoisonError::into_inner).remove(id);
        let Some(mut session) = self.repo.get(id).await?.filter(|s| s.status.is_open()) else { return Ok(()) };
        session.reason = Some(reason.unwrap_or_else(|| match status {
            SessionStatus::Stopped => "stopped on request".to_owned(),
            SessionStatus::TimedOut => {
                format!("no input or output for {} s", self.limits.idle_timeout.as_secs())
            }
            SessionStatus::Interrupted => "the server stopped while the session ran".to_owned(),
            _ => exit_code.map_or_else(|| "the program ended".to_owned(), |c| format!("exited with code {c}")),
        }));
        session.status = status;
        session.exit_code = exit_code;
        session.ended_at = Some(self.clock.now());
        self.repo.update(&session).await?;
        self.changed();
        Ok(())
    }
}

#[async_trait::async_trait]
impl crate::ports::TerminalSink for Inner {
    async fn output(&self, id: &SessionId, mut data: String) {
        let cap = self.limits.max_output_bytes;
        let total = {
            let mut written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
            let total = written.entry(id.clone()).or_default();
            *total += data.len() as u64;
            *total
        };
        if total > cap {
            if total - data.len() as u64 > cap {
                return; // The session is being stopped: the rest is not kept.
            }
            // A flood would fill the disk: the first chunk past the cap ends the session.
            let limit = if cap >= 1 << 20 { format!("{} MiB", cap >> 20) } else { format!("{cap} bytes") };
            let reason = format!("printed more than {limit}; stopped");
            data = format!("\r\n[agented: {reason}]\r\n");
            self.endings().insert(id.clone(), (SessionStatus::Stopped, Some(reason)));
            if let Err(e) = self.terminals.stop(id) {
                tracing::warn!(session = %id, error = %e, "could not stop a session past its output limit");
            }
        }
        if let Err(e) = self.repo.append(id, &data, self.clock.now()).await {
            tracing::error!(session = %id, error = %e, "could not store a session's output");
        }
        self.changed();
    }

    async fn ended(&self, id: &SessionId, exit_code: Option<i32>) {
        if let Err(e) = self.finish(id, exit_code).await {
            tracing::error!(session = %id, error = %e, "could not record a session's end");
        }
    }
}

/// The last `last_n` lines of `chunks` as plain text.
fn plain_lines(chunks: &[OutputChunk], last_n: usize) -> Vec<String> {
    let raw: String = chunks.iter().map(|c| c.data.as_str()).collect();
    // A carriage return rewrites its line: keep what was written last (the stripper drops `\r`).
    let mut lines: Vec<String> = raw
        .split('\n')
        .map(|l| strip_ansi_escapes::strip_str(l.rsplit('\r').find(|part| !part.is_empty()).unwrap_or("")))
        .collect();
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    let skip = lines.len().saturating_sub(last_n);
    lines.split_off(skip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(seq: i64, data: &str) -> OutputChunk {
        OutputChunk { seq, data: data.into(), at: chrono::DateTime::UNIX_EPOCH }
    }

    #[test]
    fn plain_lines_drop_escapes_and_keep_what_a_carriage_return_left_visible() {
        let chunks = [chunk(1, "\x1b[1mbold\x1b[0m line\r\nsec"), chunk(2, "ond\nprogress 10%\rprogress 99%\n")];
        assert_eq!(plain_lines(&chunks, 10), ["bold line", "second", "progress 99%"]);
        assert_eq!(plain_lines(&chunks, 1), ["progress 99%"]);
    }
}
