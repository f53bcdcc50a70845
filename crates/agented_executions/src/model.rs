//! An execution (one run of a bot) and its log lines.

use crate::status::ExecutionStatus;
use agented_kernel::{BackendType, ExecutionId, TriggerId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What started a run (`trigger_type` in the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TriggerType {
    /// A generic webhook delivery.
    Webhook,
    /// A GitHub event.
    GithubWebhook,
    /// The Run button or the run endpoint.
    Manual,
    /// A schedule slot.
    Scheduled,
}

impl TriggerType {
    /// Every kind.
    pub const ALL: [Self; 4] = [Self::Webhook, Self::GithubWebhook, Self::Manual, Self::Scheduled];

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::GithubWebhook => "github_webhook",
            Self::Manual => "manual",
            Self::Scheduled => "scheduled",
        }
    }
}

impl fmt::Display for TriggerType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TriggerType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|t| t.as_str() == s).ok_or_else(|| format!("unknown trigger type '{s}'"))
    }
}

/// Everything a run needs, frozen when it is queued: later edits of the
/// trigger do not change it, and a retry runs it again as it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSnapshot {
    /// The rendered prompt.
    pub prompt: String,
    /// The CLI family.
    pub backend_type: BackendType,
    /// A custom command backend used instead of the built-in one.
    pub backend_id: Option<String>,
    /// Model passed to the CLI.
    pub model: Option<String>,
    /// Claude's `--allowedTools`.
    pub allowed_tools: Option<String>,
    /// Local project directories (the first is the working directory).
    pub local_paths: Vec<String>,
    /// Repositories cloned into the run's workspace.
    pub repositories: Vec<String>,
    /// Run time limit in seconds.
    pub timeout_seconds: u32,
    /// Seconds between SIGTERM and SIGKILL.
    pub sigterm_grace_seconds: u32,
    /// Seconds without output before the run is stopped (0: never); `None`: the server's default.
    pub stall_timeout_seconds: Option<u32>,
    /// The untrusted values substituted into the prompt (the prompt audit trail).
    pub inputs: Vec<crate::PromptInput>,
    /// The trigger's fallback chain when queued; empty: its own backend alone.
    pub chain: Vec<agented_triggers::FallbackEntry>,
    /// The GitHub event it answers: its repository, pull request or issue, and
    /// the commit it checks out (`None`, or no commit: the default branch).
    pub github: Option<agented_triggers::GithubOrigin>,
    /// A follow-up: the run it continues and the session it resumes.
    pub resume: Option<crate::Resume>,
    /// The trigger's setup step, run before the CLI.
    pub setup: Option<agented_triggers::SetupStep>,
    /// The managed tooling it was given, as defined when it was queued.
    pub tooling: crate::tooling::RunTooling,
}

/// A stored execution.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// `exec-{trigger}-{time}-{4}`.
    pub execution_id: ExecutionId,
    /// The trigger it ran for.
    pub trigger_id: TriggerId,
    /// What started it.
    pub trigger_type: TriggerType,
    /// Where it is.
    pub status: ExecutionStatus,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
    /// When its process started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Run time in milliseconds.
    pub duration_ms: Option<i64>,
    /// What it runs.
    pub snapshot: RunSnapshot,
    /// The message given with a manual run.
    pub message: Option<String>,
    /// The command line, as shown to users (set when the process starts).
    pub command: Option<String>,
    /// Exit code of the process.
    pub exit_code: Option<i32>,
    /// Why it failed.
    pub error_message: Option<String>,
    /// Tokens in, as reported by the CLI.
    pub input_tokens: Option<i64>,
    /// Tokens out, as reported by the CLI.
    pub output_tokens: Option<i64>,
    /// Cost in US dollars, as reported by the CLI or estimated from its tokens.
    pub total_cost_usd: Option<f64>,
    /// Whether the CLI reported the cost or the price table estimated it.
    pub cost_source: Option<crate::CostSource>,
    /// The account it ran under (orchestration).
    pub account_id: Option<String>,
    /// Process group id while running, to clean up after a crash.
    pub pgid: Option<i32>,
    /// The execution this one retries.
    pub retry_of: Option<ExecutionId>,
    /// Log lines stored so far.
    pub log_lines: i64,
    /// While `rate_limited`: when it tries again.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Passes through its chain that ended rate-limited.
    pub rate_limit_attempts: u32,
    /// The worker that claimed it (the last one, when it was retried after a rate limit).
    pub worker: Option<agented_kernel::WorkerId>,
    /// The CLI's session id, as its output reported it: what a follow-up resumes.
    pub session_id: Option<crate::SessionId>,
}

impl Execution {
    /// The usage recorded so far.
    #[must_use]
    pub const fn usage(&self) -> crate::usage::Usage {
        crate::usage::Usage {
            input_tokens: self.input_tokens,
            output_tokens: self.output_tokens,
            total_cost_usd: self.total_cost_usd,
            cost_source: self.cost_source,
            ..crate::usage::Usage::NONE
        }
    }
}

/// Which pipe a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

impl LogStream {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
        }
    }
}

impl FromStr for LogStream {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "stdout" => Ok(Self::Stdout),
            "stderr" => Ok(Self::Stderr),
            other => Err(format!("unknown log stream '{other}'")),
        }
    }
}

/// One line of output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// 1, 2, 3, … within the execution, in arrival order over both pipes.
    pub seq: i64,
    /// Arrival time.
    pub timestamp: DateTime<Utc>,
    /// Its pipe.
    pub stream: LogStream,
    /// The text, without its line break.
    pub content: String,
}

/// How a finished run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// `success`, `failed`, `timeout`, `cancelled` or `interrupted`.
    pub status: ExecutionStatus,
    /// The process's exit code, when it exited.
    pub exit_code: Option<i32>,
    /// Why it did not succeed.
    pub error_message: Option<String>,
    /// End time.
    pub finished_at: DateTime<Utc>,
    /// Run time.
    pub duration_ms: i64,
    /// Usage reported by the CLI.
    pub usage: crate::usage::Usage,
}

impl Outcome {
    /// Ends `execution` from outside its process (cancel before start, recovery):
    /// no exit code, the usage recorded so far, the time since it started.
    #[must_use]
    pub fn closing(execution: &Execution, status: ExecutionStatus, message: &str, at: DateTime<Utc>) -> Self {
        Self {
            status,
            exit_code: None,
            error_message: Some(message.to_owned()),
            finished_at: at,
            duration_ms: execution.started_at.map_or(0, |s| (at - s).num_milliseconds().max(0)),
            usage: execution.usage(),
        }
    }
}
