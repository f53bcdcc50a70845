//! A trigger: what runs (prompt, backend), when (source, schedule), and how
//! (timeouts, concurrency). `TriggerPatch` (`patch.rs`) is how every change
//! arrives, and the one place its rules are checked.

use crate::models::{TimeoutSeconds, TriggerSource};
use agented_kernel::{BackendType, TeamId, TriggerId, WorkflowId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// What happens when a trigger is asked to run while `max_concurrent` runs are active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ConcurrencyPolicy {
    /// The run is recorded and waits for a slot.
    #[default]
    Queue,
    /// The run is refused (409 with the running execution id), as the original did.
    Reject,
}

impl ConcurrencyPolicy {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queue => "queue",
            Self::Reject => "reject",
        }
    }
}

impl fmt::Display for ConcurrencyPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ConcurrencyPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "queue" => Ok(Self::Queue),
            "reject" => Ok(Self::Reject),
            other => Err(format!("unknown concurrency policy '{other}': expected queue or reject")),
        }
    }
}

/// What a trigger's firing runs (the original's `execution_mode`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ExecutionMode {
    /// Its prompt on its CLI: one execution (`direct`).
    #[default]
    Direct,
    /// A team (`team`, with `team_id`): a run of the workflow its topology compiles to.
    Team(TeamId),
    /// A workflow (`workflow`, with `workflow_id`): a run of its published version.
    Workflow(WorkflowId),
}

impl ExecutionMode {
    /// `direct`, `team` or `workflow`.
    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Team(_) => "team",
            Self::Workflow(_) => "workflow",
        }
    }

    /// The team it runs.
    #[must_use]
    pub const fn team_id(&self) -> Option<&TeamId> {
        if let Self::Team(id) = self { Some(id) } else { None }
    }

    /// The workflow it runs.
    #[must_use]
    pub const fn workflow_id(&self) -> Option<&WorkflowId> {
        if let Self::Workflow(id) = self { Some(id) } else { None }
    }
}

/// Every setting of a trigger; ids and times aside, exactly what a patch can change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerSettings {
    /// Unique display name.
    pub name: String,
    /// The prompt, with `{placeholders}`.
    pub prompt_template: String,
    /// Which CLI family runs it.
    pub backend_type: BackendType,
    /// A custom command backend used instead of the built-in one.
    pub backend_id: Option<String>,
    /// What fires it.
    pub trigger_source: TriggerSource,
    /// Disabled triggers never run.
    pub enabled: bool,
    /// Webhook: dot path compared with `match_field_value`.
    pub match_field_path: Option<String>,
    /// Webhook: the expected value at `match_field_path`.
    pub match_field_value: Option<String>,
    /// Webhook: where the text searched for `detection_keyword` lives.
    pub text_field_path: String,
    /// Webhook: a word the text must contain.
    pub detection_keyword: Option<String>,
    /// Schedule: `daily`, `weekly`, `monthly` or `cron`.
    pub schedule_type: Option<String>,
    /// Schedule: `HH:MM`.
    pub schedule_time: Option<String>,
    /// Schedule: weekday 0–6 (Monday = 0) or day of month 1–28.
    pub schedule_day: Option<i32>,
    /// Schedule: a five-field cron pattern (or an alias such as `@daily`) for `schedule_type = cron`.
    pub schedule_cron: Option<String>,
    /// Schedule: IANA time zone (UTC unless set).
    pub schedule_timezone: Option<String>,
    /// Schedule: after downtime, run once for the slots missed (else they are skipped).
    pub catch_up: bool,
    /// A slash command the prompt must start with.
    pub skill_command: Option<String>,
    /// Model passed to the CLI.
    pub model: Option<String>,
    /// Run time limit.
    pub timeout_seconds: TimeoutSeconds,
    /// Seconds between SIGTERM and SIGKILL.
    pub sigterm_grace_seconds: u16,
    /// Seconds without output before a run is stopped (0: never); `None`: the server's default.
    pub stall_timeout_seconds: Option<u32>,
    /// Tools the CLI may use (claude `--allowedTools`).
    pub allowed_tools: Option<String>,
    /// Secret for webhook signatures (write-only).
    pub webhook_secret: Option<String>,
    /// Runs of this trigger allowed at once.
    pub max_concurrent: u16,
    /// What happens beyond `max_concurrent`.
    pub concurrency_policy: ConcurrencyPolicy,
    /// GitHub: repositories (`owner/name`, lower case) it fires for; empty = any.
    pub github_repos: Vec<String>,
    /// GitHub: events it fires for, `event` or `event.action` (`pull_request.opened`, `push`).
    pub github_events: Vec<String>,
    /// The backends and accounts a run tries, in order; empty: the trigger's
    /// own backend under its default account.
    pub fallback_chain: Vec<crate::FallbackEntry>,
    /// Labels the worker that runs it must have (`gpu`, `region=eu`, lower case);
    /// empty: any worker.
    pub required_labels: Vec<String>,
    /// What a firing runs: an execution, or a team's or workflow's run.
    pub execution_mode: ExecutionMode,
    /// What a run a GitHub event fired posts back to its pull request or issue.
    pub post_result: crate::PostResult,
    /// A script run before the CLI, in the run's working folder.
    pub setup: Option<crate::SetupStep>,
    /// The managed tooling its runs' CLIs get.
    pub tooling: agented_kernel::ToolingRefs,
}

/// The events a GitHub trigger fires for unless set: a pull request opened, updated or reopened.
pub const DEFAULT_GITHUB_EVENTS: [&str; 3] =
    ["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"];

impl Default for TriggerSettings {
    fn default() -> Self {
        Self {
            name: String::new(),
            prompt_template: String::new(),
            backend_type: BackendType::Claude,
            backend_id: None,
            trigger_source: TriggerSource::Manual,
            enabled: true,
            match_field_path: None,
            match_field_value: None,
            text_field_path: "text".into(),
            detection_keyword: None,
            schedule_type: None,
            schedule_time: None,
            schedule_day: None,
            schedule_cron: None,
            schedule_timezone: None,
            catch_up: false,
            skill_command: None,
            model: None,
            timeout_seconds: TimeoutSeconds::DEFAULT,
            sigterm_grace_seconds: DEFAULT_GRACE_SECONDS,
            stall_timeout_seconds: None,
            allowed_tools: None,
            webhook_secret: None,
            max_concurrent: 1,
            concurrency_policy: ConcurrencyPolicy::Queue,
            github_repos: Vec::new(),
            github_events: DEFAULT_GITHUB_EVENTS.iter().map(|e| (*e).to_owned()).collect(),
            fallback_chain: Vec::new(),
            required_labels: Vec::new(),
            execution_mode: ExecutionMode::Direct,
            post_result: crate::PostResult::None,
            setup: None,
            tooling: agented_kernel::ToolingRefs::default(),
        }
    }
}

/// Seconds between SIGTERM and SIGKILL unless set.
pub const DEFAULT_GRACE_SECONDS: u16 = 10;

/// A stored trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// `trig-xxxxxx` (or `bot-…` for predefined ones).
    pub id: TriggerId,
    /// Shipped with Agented: cannot be deleted.
    pub is_predefined: bool,
    /// Its settings.
    pub settings: TriggerSettings,
    /// Next scheduled run.
    pub next_run_at: Option<DateTime<Utc>>,
    /// Last run start.
    pub last_run_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A project a trigger works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectPath {
    /// An existing local directory.
    Local(String),
    /// A Git repository cloned (shallow) for each run.
    Repository(String),
}

impl ProjectPath {
    /// Validates a local directory: absolute and existing.
    ///
    /// # Errors
    /// A message for the user.
    pub fn local(path: &str) -> Result<Self, String> {
        let trimmed = path.trim();
        let p = std::path::Path::new(trimmed);
        if !p.is_absolute() {
            return Err("must be an absolute path".into());
        }
        if !p.is_dir() {
            return Err(format!("'{trimmed}' is not an existing directory"));
        }
        Ok(Self::Local(trimmed.trim_end_matches('/').to_owned()).normalised())
    }

    /// Validates a repository URL: `https://github.com/owner/name[.git]`, or a
    /// `file://` URL of a local (bare) repository.
    ///
    /// # Errors
    /// A message for the user.
    pub fn repository(url: &str) -> Result<Self, String> {
        let url = url.trim().trim_end_matches('/');
        if let Some(rest) = url.strip_prefix("https://github.com/") {
            let rest = rest.strip_suffix(".git").unwrap_or(rest);
            let mut parts = rest.split('/');
            let valid = |s: Option<&str>| {
                s.is_some_and(|s| {
                    !s.is_empty()
                        && !s.starts_with('.')
                        && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                })
            };
            if valid(parts.next()) && valid(parts.next()) && parts.next().is_none() {
                return Ok(Self::Repository(url.to_owned()));
            }
            return Err("must look like https://github.com/owner/name".into());
        }
        if let Some(path) = url.strip_prefix("file://") {
            if std::path::Path::new(path).is_absolute() && std::path::Path::new(path).is_dir() {
                return Ok(Self::Repository(url.to_owned()));
            }
            return Err(format!("'{path}' is not an existing local repository"));
        }
        Err("must be https://github.com/owner/name or a file:// URL of a local repository".into())
    }

    fn normalised(self) -> Self {
        match self {
            Self::Local(p) if p.is_empty() => Self::Local("/".into()),
            other => other,
        }
    }

    /// The path or URL.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Local(s) | Self::Repository(s) => s,
        }
    }

    /// `local` or `repository`.
    #[must_use]
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Local(_) => "local",
            Self::Repository(_) => "repository",
        }
    }
}

/// A stored project path of a trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerPath {
    /// Row id, used to remove it.
    pub id: i64,
    /// The path or repository.
    pub path: ProjectPath,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// Field → message, for a 422 answer.
pub type FieldErrors = BTreeMap<String, String>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::patch::TriggerPatch;

    fn valid() -> TriggerPatch {
        TriggerPatch {
            name: Some("Nightly".into()),
            prompt_template: Some("Do {message}".into()),
            ..TriggerPatch::default()
        }
    }

    #[test]
    fn a_new_trigger_gets_the_documented_defaults() {
        let settings = valid().apply(&TriggerSettings::default()).unwrap();
        assert_eq!(settings.timeout_seconds.get(), 600);
        assert_eq!(settings.sigterm_grace_seconds, 10);
        assert_eq!(settings.text_field_path, "text");
        assert_eq!(settings.max_concurrent, 1);
        assert_eq!(settings.concurrency_policy, ConcurrencyPolicy::Queue);
        assert_eq!(settings.trigger_source, TriggerSource::Manual);
    }

    #[test]
    fn every_invalid_field_is_named_at_once() {
        let patch = TriggerPatch {
            name: Some(" ".into()),
            backend_type: Some("gpt".into()),
            trigger_source: Some("cron".into()),
            schedule_time: Some("25:00".into()),
            model: Some("--dangerous".into()),
            max_concurrent: Some(0),
            sigterm_grace_seconds: Some(0),
            ..TriggerPatch::default()
        };
        let errors = patch.apply(&TriggerSettings::default()).unwrap_err();
        for field in [
            "name",
            "prompt_template",
            "backend_type",
            "trigger_source",
            "schedule_time",
            "model",
            "max_concurrent",
            "sigterm_grace_seconds",
        ] {
            assert!(errors.contains_key(field), "{field} missing from {errors:?}");
        }
    }

    #[test]
    fn timeouts_are_clamped_not_refused_and_empty_text_clears() {
        let created = TriggerPatch { timeout_seconds: Some(5), model: Some("opus".into()), ..valid() }
            .apply(&TriggerSettings::default())
            .unwrap();
        assert_eq!(created.timeout_seconds.get(), 60);
        let updated = TriggerPatch { model: Some(String::new()), ..TriggerPatch::default() }.apply(&created).unwrap();
        assert_eq!(updated.model, None);
        assert_eq!(updated.name, "Nightly");
    }

    #[test]
    fn scheduled_triggers_need_a_complete_schedule() {
        let errors =
            TriggerPatch { trigger_source: Some("scheduled".into()), schedule_type: Some("weekly".into()), ..valid() }
                .apply(&TriggerSettings::default())
                .unwrap_err();
        assert!(errors.contains_key("schedule_time"));
        assert!(errors.contains_key("schedule_day"));
    }

    #[test]
    fn project_paths_are_checked() {
        assert!(ProjectPath::local("relative/dir").is_err());
        assert!(ProjectPath::local("/definitely/not/here").is_err());
        assert_eq!(ProjectPath::local("/tmp").unwrap(), ProjectPath::Local("/tmp".into()));
        assert!(ProjectPath::repository("https://github.com/acme/api.git").is_ok());
        assert!(ProjectPath::repository("https://github.com/acme").is_err());
        assert!(ProjectPath::repository("https://evil.example/acme/api").is_err());
        assert!(ProjectPath::repository("file:///definitely/not/here").is_err());
    }
}
