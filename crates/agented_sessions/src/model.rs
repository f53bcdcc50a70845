//! A session, its states, its terminal size and its stored output.

use agented_kernel::{ProjectId, SessionId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Its process runs and takes input.
    Running,
    /// Its process is stopped (SIGSTOP) until resumed.
    Paused,
    /// Its process exited on its own.
    Exited,
    /// A person stopped it.
    Stopped,
    /// Nothing was typed or printed for the idle timeout.
    TimedOut,
    /// Its server stopped (or died) while it ran.
    Interrupted,
    /// It could not start.
    Failed,
}

impl SessionStatus {
    /// Every status.
    pub const ALL: [Self; 7] =
        [Self::Running, Self::Paused, Self::Exited, Self::Stopped, Self::TimedOut, Self::Interrupted, Self::Failed];

    /// The wire and storage name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Exited => "exited",
            Self::Stopped => "stopped",
            Self::TimedOut => "timed_out",
            Self::Interrupted => "interrupted",
            Self::Failed => "failed",
        }
    }

    /// The status of a stored name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether a process may still be behind it.
    #[must_use]
    pub const fn is_open(self) -> bool {
        matches!(self, Self::Running | Self::Paused)
    }
}

/// What a session is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// A terminal a person opened.
    Terminal,
    /// A GRD planning command on a project (one open per project).
    Planning,
}

impl Purpose {
    /// The wire and storage name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Terminal => "terminal",
            Self::Planning => "planning",
        }
    }

    /// The purpose of a stored name.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Terminal, Self::Planning].into_iter().find(|p| p.as_str() == text)
    }
}

/// A terminal's size in character cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TerminalSize {
    /// Columns, 2 to 1000.
    pub cols: u16,
    /// Rows, 2 to 500.
    pub rows: u16,
}

impl TerminalSize {
    /// What a new session gets when the request names no size.
    pub const DEFAULT: Self = Self { cols: 120, rows: 32 };

    /// A size within the bounds.
    ///
    /// # Errors
    /// Which dimension is out of bounds.
    pub fn new(cols: u16, rows: u16) -> Result<Self, String> {
        if !(2..=1000).contains(&cols) {
            return Err(format!("cols must be 2 to 1000, not {cols}"));
        }
        if !(2..=500).contains(&rows) {
            return Err(format!("rows must be 2 to 500, not {rows}"));
        }
        Ok(Self { cols, rows })
    }
}

/// One session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// `sess-xxxxxx`.
    pub id: SessionId,
    /// The project it works on, if any.
    pub project_id: Option<ProjectId>,
    /// Terminal or planning.
    pub purpose: Purpose,
    /// The program's name (`claude`, or a configured command's name).
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Where it is.
    pub status: SessionStatus,
    /// The exit code, when it exited with one.
    pub exit_code: Option<i32>,
    /// Why it ended, in words (`None` while open).
    pub reason: Option<String>,
    /// The name of the key that opened it.
    pub created_by: String,
    /// The host whose server runs its process.
    pub host: String,
    /// Its terminal's size.
    pub size: TerminalSize,
    /// When it was opened.
    pub created_at: DateTime<Utc>,
    /// The last input or output.
    pub last_activity_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
}

/// A piece of a session's output, in order (`seq` from 1). A chunk never
/// splits a UTF-8 character; it may split a line or an escape sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputChunk {
    /// Its position, from 1.
    pub seq: i64,
    /// The terminal's bytes as text.
    pub data: String,
    /// When it was read.
    pub at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_and_only_running_and_paused_are_open() {
        for status in SessionStatus::ALL {
            assert_eq!(SessionStatus::parse(status.as_str()), Some(status));
        }
        let open: Vec<_> = SessionStatus::ALL.into_iter().filter(|s| s.is_open()).collect();
        assert_eq!(open, [SessionStatus::Running, SessionStatus::Paused]);
        assert_eq!(SessionStatus::parse("active"), None);
    }

    #[test]
    fn a_size_is_bounded() {
        assert!(TerminalSize::new(80, 24).is_ok());
        assert_eq!(TerminalSize::new(1, 24).unwrap_err(), "cols must be 2 to 1000, not 1");
        assert_eq!(TerminalSize::new(80, 501).unwrap_err(), "rows must be 2 to 500, not 501");
    }
}
