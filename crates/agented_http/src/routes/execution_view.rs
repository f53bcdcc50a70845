//! An execution as the API shows it: what ran, how it ended, what it cost, and what
//! it was given (prompt inputs, tooling, the GitHub event it answers).

use super::trigger_input::FallbackEntryView;
use agented_executions::Execution;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// An execution as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExecutionView {
    /// `exec-…`.
    pub execution_id: String,
    /// Its trigger.
    pub trigger_id: String,
    /// `webhook`, `github_webhook`, `manual` or `scheduled`.
    pub trigger_type: String,
    /// `queued`, `running`, `success`, `failed`, `timeout`, `cancelled`, `interrupted`, …
    pub status: String,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
    /// When its process started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// Run time.
    pub duration_ms: Option<i64>,
    /// The rendered prompt.
    pub prompt: String,
    /// The CLI family.
    pub backend_type: String,
    /// A custom backend, when used.
    pub backend_id: Option<String>,
    /// The model asked for.
    pub model: Option<String>,
    /// The run message.
    pub message: Option<String>,
    /// The command line (prompt shown as `<prompt>`).
    pub command: Option<String>,
    /// Exit code.
    pub exit_code: Option<i32>,
    /// Why it did not succeed.
    pub error_message: Option<String>,
    /// Tokens in.
    pub input_tokens: Option<i64>,
    /// Tokens out.
    pub output_tokens: Option<i64>,
    /// Cost in US dollars.
    pub total_cost_usd: Option<f64>,
    /// `reported` by the CLI, or `estimated` from its tokens and the price table (`null`: no cost).
    pub cost_source: Option<&'static str>,
    /// Account used.
    pub account_id: Option<String>,
    /// While `rate_limited`: when it tries again.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// Passes through its chain that ended rate-limited.
    pub rate_limit_attempts: u32,
    /// The fallback chain frozen with the run.
    pub fallback_chain: Vec<FallbackEntryView>,
    /// The execution this one retried.
    pub retry_of: Option<String>,
    /// The worker that ran it (`GET /admin/workers`); `null` while queued, and for runs from before workers were recorded.
    pub worker: Option<String>,
    /// Lines stored.
    pub log_lines: i64,
    /// Local project paths.
    pub local_paths: Vec<String>,
    /// Repositories cloned for the run.
    pub repositories: Vec<String>,
    /// Untrusted values substituted into the prompt, as substituted (cleaned, capped) with the original's size and SHA-256.
    pub prompt_inputs: Vec<PromptInputView>,
    /// The CLI's session id, as its output reported it: what `follow-up` resumes.
    pub session_id: Option<String>,
    /// A follow-up: the execution it continues.
    pub follow_up_of: Option<String>,
    /// The GitHub event it answers; `null` for runs no GitHub event fired.
    pub github: Option<GithubOriginView>,
    /// The managed tooling it was given, by name and version.
    pub tooling: Vec<super::tooling_preview::GivenToolView>,
}

/// The GitHub event a run answers, and what it checked out.
#[derive(Debug, Serialize, ToSchema)]
pub struct GithubOriginView {
    /// `owner/name`.
    pub repository: String,
    /// The pull request's or issue's number.
    pub number: Option<u64>,
    /// Whether `number` is a pull request.
    pub pull_request: bool,
    /// The commit checked out (a pull request's head, a pushed commit); `null` with a pull
    /// request: the tip of its head ref; otherwise the default branch.
    pub commit: Option<String>,
}

/// One untrusted value in a prompt (the prompt audit trail).
#[derive(Debug, Serialize, ToSchema)]
pub struct PromptInputView {
    /// The placeholder it filled.
    pub name: String,
    /// What was substituted (inside the `<untrusted-input>` fence).
    pub value: String,
    /// Cut to `prompts.max_untrusted_chars`.
    pub truncated: bool,
    /// Characters in the original.
    pub original_chars: usize,
    /// SHA-256 of the original, hex.
    pub sha256: String,
}

impl From<Execution> for ExecutionView {
    fn from(e: Execution) -> Self {
        Self {
            execution_id: e.execution_id.to_string(),
            trigger_id: e.trigger_id.to_string(),
            trigger_type: e.trigger_type.to_string(),
            status: e.status.to_string(),
            queued_at: e.queued_at,
            started_at: e.started_at,
            finished_at: e.finished_at,
            duration_ms: e.duration_ms,
            prompt: e.snapshot.prompt,
            backend_type: e.snapshot.backend_type.to_string(),
            backend_id: e.snapshot.backend_id,
            model: e.snapshot.model,
            message: e.message,
            command: e.command,
            exit_code: e.exit_code,
            error_message: e.error_message,
            input_tokens: e.input_tokens,
            output_tokens: e.output_tokens,
            total_cost_usd: e.total_cost_usd,
            cost_source: e.cost_source.map(agented_executions::CostSource::as_str),
            account_id: e.account_id,
            next_attempt_at: e.next_attempt_at,
            rate_limit_attempts: e.rate_limit_attempts,
            fallback_chain: e.snapshot.chain.iter().cloned().map(FallbackEntryView::from).collect(),
            retry_of: e.retry_of.map(|r| r.to_string()),
            worker: e.worker.map(String::from),
            log_lines: e.log_lines,
            local_paths: e.snapshot.local_paths,
            repositories: e.snapshot.repositories,
            session_id: e.session_id.map(String::from),
            follow_up_of: e.snapshot.resume.map(|r| r.follow_up_of.to_string()),
            tooling: e.snapshot.tooling.given().into_iter().map(Into::into).collect(),
            github: e.snapshot.github.map(|o| GithubOriginView {
                repository: o.repository,
                number: o.number,
                pull_request: o.pull_request,
                commit: o.commit,
            }),
            prompt_inputs: e
                .snapshot
                .inputs
                .into_iter()
                .map(|i| PromptInputView {
                    name: i.name,
                    value: i.value,
                    truncated: i.truncated,
                    original_chars: i.original_chars,
                    sha256: i.sha256,
                })
                .collect(),
        }
    }
}
