//! JSON shapes shared by the trigger, execution and backend routes.

use agented_executions::{LatestRun, LogLine, TriggerSummary};
use agented_triggers::TriggerPath;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

pub use super::execution_view::{ExecutionView, GithubOriginView, PromptInputView};
pub use super::trigger_input::FallbackEntryView;

/// A trigger as the API shows it (`webhook_secret` is never returned).
#[derive(Debug, Serialize, ToSchema)]
pub struct TriggerView {
    /// `trig-xxxxxx` or `bot-…`.
    pub id: String,
    /// Unique name.
    pub name: String,
    /// The prompt with `{placeholders}`.
    pub prompt_template: String,
    /// `claude`, `opencode`, `gemini` or `codex`.
    pub backend_type: String,
    /// A custom command backend used instead of the built-in one.
    pub backend_id: Option<String>,
    /// `webhook`, `github`, `manual` or `scheduled`.
    pub trigger_source: String,
    /// Disabled triggers never run.
    pub enabled: bool,
    /// Shipped with Agented (cannot be deleted).
    pub is_predefined: bool,
    /// Webhook match path.
    pub match_field_path: Option<String>,
    /// Webhook match value.
    pub match_field_value: Option<String>,
    /// Where the webhook text lives.
    pub text_field_path: String,
    /// Keyword the webhook text must contain.
    pub detection_keyword: Option<String>,
    /// `daily`, `weekly`, `monthly` or `cron`.
    pub schedule_type: Option<String>,
    /// `HH:MM`.
    pub schedule_time: Option<String>,
    /// Weekday 0–6 (Monday = 0) or day of month 1–28.
    pub schedule_day: Option<i32>,
    /// The cron pattern of a `cron` schedule.
    pub schedule_cron: Option<String>,
    /// IANA time zone (`null`: UTC).
    pub schedule_timezone: Option<String>,
    /// After downtime, one run for the slots missed (else they are skipped).
    pub catch_up: bool,
    /// Next scheduled run (`null` unless an enabled scheduled trigger).
    pub next_run_at: Option<DateTime<Utc>>,
    /// Last run.
    pub last_run_at: Option<DateTime<Utc>>,
    /// Slash command prefixed to the prompt.
    pub skill_command: Option<String>,
    /// Model passed to the CLI.
    pub model: Option<String>,
    /// 60–3600.
    pub timeout_seconds: i64,
    /// Seconds between SIGTERM and SIGKILL.
    pub sigterm_grace_seconds: u16,
    /// Seconds without output before a run is stopped (0: never; `null`: the server's default).
    pub stall_timeout_seconds: Option<u32>,
    /// Claude's allowed tools.
    pub allowed_tools: Option<String>,
    /// Whether a webhook secret is set (the secret itself is write-only).
    pub has_webhook_secret: bool,
    /// Runs allowed at once.
    pub max_concurrent: u16,
    /// `queue` or `reject`.
    pub concurrency_policy: String,
    /// GitHub: repositories it fires for (empty: any).
    pub github_repos: Vec<String>,
    /// GitHub: events it fires for.
    pub github_events: Vec<String>,
    /// The backends and accounts a run tries, in order (empty: its own backend under its default account).
    pub fallback_chain: Vec<FallbackEntryView>,
    /// Labels the worker that runs it must have (empty: any worker).
    pub required_labels: Vec<String>,
    /// What a firing runs: `direct` (its CLI), `team` or `workflow`.
    pub execution_mode: String,
    /// The team a `team` trigger runs.
    pub team_id: Option<String>,
    /// The workflow a `workflow` trigger runs.
    pub workflow_id: Option<String>,
    /// What a GitHub-fired run posts back: `none`, `comment`, `review` or `check`.
    pub post_result: &'static str,
    /// The script run before the CLI.
    pub setup_script: Option<String>,
    /// The names of the server variables the setup script gets (their values are never shown).
    pub setup_secrets: Vec<String>,
    /// The managed tooling its runs' CLIs get.
    pub tooling: super::trigger_input::ToolingAttachments,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Number of project paths.
    pub path_count: usize,
    /// Project paths (detail view only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<PathView>>,
    /// The latest run.
    pub execution_status: StatusView,
    /// What the request that changed it asked without effect (the original's `group_id`, `auto_resolve`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl TriggerView {
    /// The view of a trigger list row; `paths` are listed in the detail view only.
    #[must_use]
    pub fn new(row: TriggerSummary, paths: Option<&[TriggerPath]>) -> Self {
        let TriggerSummary { trigger: t, path_count, latest } = row;
        let s = t.settings;
        Self {
            id: t.id.to_string(),
            name: s.name,
            prompt_template: s.prompt_template,
            backend_type: s.backend_type.to_string(),
            backend_id: s.backend_id,
            trigger_source: s.trigger_source.to_string(),
            enabled: s.enabled,
            is_predefined: t.is_predefined,
            match_field_path: s.match_field_path,
            match_field_value: s.match_field_value,
            text_field_path: s.text_field_path,
            detection_keyword: s.detection_keyword,
            schedule_type: s.schedule_type,
            schedule_time: s.schedule_time,
            schedule_day: s.schedule_day,
            schedule_cron: s.schedule_cron,
            schedule_timezone: s.schedule_timezone,
            catch_up: s.catch_up,
            next_run_at: t.next_run_at,
            last_run_at: t.last_run_at,
            skill_command: s.skill_command,
            model: s.model,
            timeout_seconds: s.timeout_seconds.into(),
            sigterm_grace_seconds: s.sigterm_grace_seconds,
            stall_timeout_seconds: s.stall_timeout_seconds,
            allowed_tools: s.allowed_tools,
            has_webhook_secret: s.webhook_secret.is_some(),
            max_concurrent: s.max_concurrent,
            concurrency_policy: s.concurrency_policy.to_string(),
            github_repos: s.github_repos,
            github_events: s.github_events,
            fallback_chain: s.fallback_chain.into_iter().map(FallbackEntryView::from).collect(),
            required_labels: s.required_labels,
            execution_mode: s.execution_mode.name().to_owned(),
            team_id: s.execution_mode.team_id().map(ToString::to_string),
            workflow_id: s.execution_mode.workflow_id().map(ToString::to_string),
            post_result: s.post_result.as_str(),
            setup_script: s.setup.as_ref().map(|x| x.script.clone()),
            setup_secrets: s.setup.map(|x| x.secrets).unwrap_or_default(),
            tooling: (&s.tooling).into(),
            created_at: t.created_at,
            path_count,
            paths: paths.map(|paths| paths.iter().map(PathView::from).collect()),
            execution_status: StatusView::from(latest.as_ref()),
            warnings: Vec::new(),
        }
    }
}

/// A project path.
#[derive(Debug, Serialize, ToSchema)]
pub struct PathView {
    /// Row id.
    pub id: i64,
    /// `local` or `repository`.
    pub kind: &'static str,
    /// The directory (local paths).
    pub local_project_path: Option<String>,
    /// The repository URL (repositories).
    pub github_repo_url: Option<String>,
    /// The path or URL.
    pub path: String,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

impl From<&TriggerPath> for PathView {
    fn from(p: &TriggerPath) -> Self {
        let (local, repo) = match &p.path {
            agented_triggers::ProjectPath::Local(l) => (Some(l.clone()), None),
            agented_triggers::ProjectPath::Repository(r) => (None, Some(r.clone())),
        };
        Self {
            id: p.id,
            kind: p.path.kind(),
            local_project_path: local,
            github_repo_url: repo,
            path: p.path.as_str().to_owned(),
            created_at: p.created_at,
        }
    }
}

/// A trigger's latest run (`status` is `idle` when it never ran).
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusView {
    /// The run's status, or `idle`.
    pub status: String,
    /// Process start.
    pub started_at: Option<DateTime<Utc>>,
    /// End.
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub error_message: Option<String>,
    /// The run.
    pub execution_id: Option<String>,
}

impl From<Option<&LatestRun>> for StatusView {
    fn from(e: Option<&LatestRun>) -> Self {
        match e {
            None => Self {
                status: "idle".into(),
                started_at: None,
                finished_at: None,
                error_message: None,
                execution_id: None,
            },
            Some(e) => Self {
                status: e.status.to_string(),
                started_at: e.started_at,
                finished_at: e.finished_at,
                error_message: e.error_message.clone(),
                execution_id: Some(e.execution_id.to_string()),
            },
        }
    }
}

/// One log line.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogLineView {
    /// Sequence number (the SSE `id`).
    pub seq: i64,
    /// Arrival time.
    pub timestamp: DateTime<Utc>,
    /// `stdout` or `stderr`.
    pub stream: &'static str,
    /// The text.
    pub content: String,
}

impl From<LogLine> for LogLineView {
    fn from(l: LogLine) -> Self {
        Self { seq: l.seq, timestamp: l.timestamp, stream: l.stream.as_str(), content: l.content }
    }
}
