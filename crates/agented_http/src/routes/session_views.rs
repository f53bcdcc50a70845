//! What the session routes take and answer.

use crate::error::ApiError;
use agented_auth::Principal;
use agented_kernel::ProjectId;
use agented_sessions::{OpenRequest, ProgramRequest, Session, TerminalSize};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A session.
#[derive(Debug, Serialize, ToSchema)]
pub struct TerminalView {
    /// `sess-xxxxxx`.
    pub id: String,
    /// The same id, under the original's name.
    pub session_id: String,
    /// The project it works on.
    pub project_id: Option<String>,
    /// `terminal` or `planning`.
    pub purpose: &'static str,
    /// The program's name.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// `running`, `paused`, `exited`, `stopped`, `timed_out`, `interrupted` or `failed`.
    pub status: &'static str,
    /// The exit code, when it exited with one.
    pub exit_code: Option<i32>,
    /// Why it ended.
    pub reason: Option<String>,
    /// The key that opened it.
    pub created_by: String,
    /// `host/pid` of the server running it.
    pub host: String,
    /// Terminal columns.
    pub cols: u16,
    /// Terminal rows.
    pub rows: u16,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Last input or output.
    pub last_activity_at: DateTime<Utc>,
    /// Ended.
    pub ended_at: Option<DateTime<Utc>>,
}

impl From<Session> for TerminalView {
    fn from(s: Session) -> Self {
        Self {
            id: s.id.to_string(),
            session_id: s.id.to_string(),
            project_id: s.project_id.map(String::from),
            purpose: s.purpose.as_str(),
            program: s.program,
            args: s.args,
            status: s.status.as_str(),
            exit_code: s.exit_code,
            reason: s.reason,
            created_by: s.created_by,
            host: s.host,
            cols: s.size.cols,
            rows: s.size.rows,
            created_at: s.created_at,
            last_activity_at: s.last_activity_at,
            ended_at: s.ended_at,
        }
    }
}

/// Sessions, newest first, and what a new one may run.
#[derive(Debug, Serialize, ToSchema)]
pub struct TerminalList {
    /// At most 200.
    pub sessions: Vec<TerminalView>,
    /// Program names a session may run.
    pub programs: Vec<String>,
}

/// A session to open: `program` and `args`, or the original's `cmd` (program then arguments).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenSession {
    /// A CLI (`claude`, `codex`, `gemini`, `opencode`) or a command `sessions.commands` allows.
    pub program: Option<String>,
    /// Its arguments.
    pub args: Option<Vec<String>>,
    /// The original's form: `["claude", "--model", "opus"]`.
    pub cmd: Option<Vec<String>>,
    /// The project whose folder it works in (`/api/projects/{id}/sessions` sets it).
    pub project_id: Option<String>,
    /// Terminal columns (default 120).
    pub cols: Option<u16>,
    /// Terminal rows (default 32).
    pub rows: Option<u16>,
    /// The original's working folder: refused (a session works in its project's folder).
    pub cwd: Option<String>,
    /// The original's fields, accepted and ignored.
    pub phase_id: Option<String>,
    /// Ignored.
    pub plan_id: Option<String>,
    /// Ignored.
    pub agent_id: Option<String>,
    /// Ignored (only the original's `direct` sessions exist here).
    pub execution_type: Option<String>,
    /// Ignored.
    pub execution_mode: Option<String>,
}

pub(crate) fn field(name: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid_fields([(name.to_owned(), message.into())].into())
}

fn size_of(cols: Option<u16>, rows: Option<u16>) -> Result<Option<TerminalSize>, ApiError> {
    match (cols, rows) {
        (None, None) => Ok(None),
        (cols, rows) => {
            let default = TerminalSize::DEFAULT;
            TerminalSize::new(cols.unwrap_or(default.cols), rows.unwrap_or(default.rows))
                .map(Some)
                .map_err(|m| field("size", m))
        }
    }
}

impl OpenSession {
    /// The request, its project from the path when there is one.
    pub(crate) fn request(self, path_project: Option<ProjectId>, by: &Principal) -> Result<OpenRequest, ApiError> {
        if self.cwd.is_some() {
            return Err(field("cwd", "a session works in its project's folder (or its own); cwd is not accepted"));
        }
        if let Some(kind) = self.execution_type.as_deref().filter(|k| *k != "direct") {
            return Err(field("execution_type", format!("'{kind}' sessions are not available; use direct")));
        }
        let program = match (self.program, self.cmd) {
            (Some(program), None) => ProgramRequest { program, args: self.args.unwrap_or_default() },
            (None, Some(cmd)) if self.args.is_none() => {
                let mut cmd = cmd.into_iter();
                let program = cmd.next().ok_or_else(|| field("cmd", "must name a program"))?;
                ProgramRequest { program, args: cmd.collect() }
            }
            _ => return Err(field("program", "give either program (and args) or cmd")),
        };
        let body_project = self
            .project_id
            .map(|p| ProjectId::parse(&p).map_err(|e| field("project_id", e.to_string())))
            .transpose()?;
        let project_id = match (path_project, body_project) {
            (Some(path), Some(body)) if path != body => {
                return Err(field("project_id", "differs from the project in the path"));
            }
            (path, body) => path.or(body),
        };
        Ok(OpenRequest { project_id, program, size: size_of(self.cols, self.rows)?, created_by: by.name.clone() })
    }
}

/// Text typed into a session (keys as the terminal sends them: `\r` for Enter).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminalInput {
    /// At most 64 KiB.
    pub text: String,
}

/// A new terminal size.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionResize {
    /// 2–1000.
    pub cols: u16,
    /// 2–500.
    pub rows: u16,
}

/// `?last_n=` lines of output.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct OutputQuery {
    /// 1–10000 (default 100).
    pub last_n: Option<usize>,
}

/// Output as plain lines (escape sequences removed), the original's shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionOutput {
    /// The last lines, oldest first.
    pub lines: Vec<String>,
    /// How many.
    pub count: usize,
}

/// `?project_id=` filter.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Only this project's sessions.
    pub project_id: Option<String>,
}

/// Resume point and token of a stream.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SessionStreamQuery {
    /// Resume after this `id:` (as the `Last-Event-ID` header).
    pub last_event_id: Option<i64>,
    /// Alias of `last_event_id`.
    pub after: Option<i64>,
    /// A stream token from `POST /admin/sessions/{id}/stream-token`.
    pub token: Option<String>,
}
