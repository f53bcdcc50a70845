//! A trigger: what runs (prompt, backend), when (source, schedule), and how
//! (timeouts, concurrency). [`TriggerPatch`] is how every change arrives, and
//! [`TriggerPatch::apply`] is the one place its rules are checked.

use crate::models::{TimeoutSeconds, TriggerSource};
use agented_kernel::{BackendType, TriggerId};
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
            allowed_tools: None,
            webhook_secret: None,
            max_concurrent: 1,
            concurrency_policy: ConcurrencyPolicy::Queue,
            github_repos: Vec::new(),
            github_events: DEFAULT_GITHUB_EVENTS.iter().map(|e| (*e).to_owned()).collect(),
            fallback_chain: Vec::new(),
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

/// A requested change: every field optional. Text fields set to `""` clear
/// optional settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct TriggerPatch {
    /// See [`TriggerSettings`].
    pub name: Option<String>,
    /// See [`TriggerSettings`].
    pub prompt_template: Option<String>,
    /// See [`TriggerSettings`].
    pub backend_type: Option<String>,
    /// See [`TriggerSettings`].
    pub backend_id: Option<String>,
    /// See [`TriggerSettings`].
    pub trigger_source: Option<String>,
    /// See [`TriggerSettings`].
    pub enabled: Option<bool>,
    /// See [`TriggerSettings`].
    pub match_field_path: Option<String>,
    /// See [`TriggerSettings`].
    pub match_field_value: Option<String>,
    /// See [`TriggerSettings`].
    pub text_field_path: Option<String>,
    /// See [`TriggerSettings`].
    pub detection_keyword: Option<String>,
    /// See [`TriggerSettings`].
    pub schedule_type: Option<String>,
    /// See [`TriggerSettings`].
    pub schedule_time: Option<String>,
    /// See [`TriggerSettings`].
    pub schedule_day: Option<i64>,
    /// See [`TriggerSettings`].
    pub schedule_cron: Option<String>,
    /// See [`TriggerSettings`].
    pub schedule_timezone: Option<String>,
    /// See [`TriggerSettings`].
    pub catch_up: Option<bool>,
    /// See [`TriggerSettings`].
    pub skill_command: Option<String>,
    /// See [`TriggerSettings`].
    pub model: Option<String>,
    /// See [`TriggerSettings`] (clamped, never refused).
    pub timeout_seconds: Option<i64>,
    /// See [`TriggerSettings`].
    pub sigterm_grace_seconds: Option<i64>,
    /// See [`TriggerSettings`].
    pub allowed_tools: Option<String>,
    /// See [`TriggerSettings`].
    pub webhook_secret: Option<String>,
    /// See [`TriggerSettings`].
    pub max_concurrent: Option<i64>,
    /// See [`TriggerSettings`].
    pub concurrency_policy: Option<String>,
    /// See [`TriggerSettings`].
    pub github_repos: Option<Vec<String>>,
    /// See [`TriggerSettings`]; an empty list means the defaults.
    pub github_events: Option<Vec<String>>,
    /// See [`TriggerSettings`]; an empty list means the trigger's own backend.
    pub fallback_chain: Option<Vec<crate::FallbackEntry>>,
}

/// Longest prompt template accepted.
pub const MAX_PROMPT_CHARS: usize = 100_000;

fn optional(value: Option<String>, current: Option<String>) -> Option<String> {
    match value {
        None => current,
        Some(v) if v.trim().is_empty() => None,
        Some(v) => Some(v.trim().to_owned()),
    }
}

fn check_len(errors: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) {
    if value.is_some_and(|v| v.chars().count() > max) {
        errors.insert(field.into(), format!("must be at most {max} characters"));
    }
}

/// A CLI argument value must not look like a flag, or the CLI would read it as one.
fn check_not_flag(errors: &mut FieldErrors, field: &str, value: Option<&str>) {
    if value.is_some_and(|v| v.starts_with('-') || v.chars().any(char::is_control)) {
        errors.insert(field.into(), "must not start with '-' or contain control characters".into());
    }
}

impl TriggerPatch {
    /// Applies the patch to `current` (the defaults for a new trigger) and
    /// checks every rule, answering all problems at once.
    ///
    /// # Errors
    /// [`FieldErrors`] with one message per invalid field.
    #[allow(clippy::too_many_lines, reason = "one flat list of field rules reads best")]
    pub fn apply(self, current: &TriggerSettings) -> Result<TriggerSettings, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut next = current.clone();

        if let Some(name) = self.name {
            next.name = name.trim().to_owned();
        }
        if next.name.is_empty() {
            errors.insert("name".into(), "is required".into());
        }
        check_len(&mut errors, "name", Some(&next.name), 100);

        if let Some(prompt) = self.prompt_template {
            next.prompt_template = prompt;
        }
        if next.prompt_template.trim().is_empty() {
            errors.insert("prompt_template".into(), "is required".into());
        }
        check_len(&mut errors, "prompt_template", Some(&next.prompt_template), MAX_PROMPT_CHARS);

        if let Some(backend) = self.backend_type {
            match backend.parse::<BackendType>() {
                Ok(b) => next.backend_type = b,
                Err(e) => {
                    errors.insert("backend_type".into(), e.to_string());
                }
            }
        }
        next.backend_id = optional(self.backend_id, next.backend_id);

        if let Some(source) = self.trigger_source {
            match source.parse::<TriggerSource>() {
                Ok(s) => next.trigger_source = s,
                Err(e) => {
                    errors.insert("trigger_source".into(), e.to_string());
                }
            }
        }
        if let Some(enabled) = self.enabled {
            next.enabled = enabled;
        }

        next.match_field_path = optional(self.match_field_path, next.match_field_path);
        next.match_field_value = optional(self.match_field_value, next.match_field_value);
        if let Some(path) = self.text_field_path {
            next.text_field_path = if path.trim().is_empty() { "text".into() } else { path.trim().to_owned() };
        }
        next.detection_keyword = optional(self.detection_keyword, next.detection_keyword);
        for (field, value) in [
            ("match_field_path", &next.match_field_path),
            ("match_field_value", &next.match_field_value),
            ("detection_keyword", &next.detection_keyword),
        ] {
            check_len(&mut errors, field, value.as_deref(), 500);
        }
        check_len(&mut errors, "text_field_path", Some(&next.text_field_path), 500);

        next.schedule_type = optional(self.schedule_type, next.schedule_type);
        next.schedule_time = optional(self.schedule_time, next.schedule_time);
        if let Some(day) = self.schedule_day {
            next.schedule_day = i32::try_from(day).ok().or(Some(i32::MAX));
        }
        next.schedule_cron = optional(self.schedule_cron, next.schedule_cron);
        next.schedule_timezone = optional(self.schedule_timezone, next.schedule_timezone);
        if let Some(catch_up) = self.catch_up {
            next.catch_up = catch_up;
        }
        check_len(&mut errors, "schedule_cron", next.schedule_cron.as_deref(), 200);
        check_len(&mut errors, "schedule_timezone", next.schedule_timezone.as_deref(), 64);
        if let Err(e) = crate::schedule::Schedule::of(&next) {
            for (field, message) in e {
                errors.entry(field).or_insert(message);
            }
        }

        next.skill_command = optional(self.skill_command, next.skill_command);
        if let Some(skill) = next.skill_command.as_deref()
            && (!skill.starts_with('/') || skill.contains(char::is_whitespace))
        {
            errors.insert("skill_command".into(), "must be one word starting with '/'".into());
        }
        check_len(&mut errors, "skill_command", next.skill_command.as_deref(), 200);

        next.model = optional(self.model, next.model);
        check_len(&mut errors, "model", next.model.as_deref(), 200);
        check_not_flag(&mut errors, "model", next.model.as_deref());
        next.allowed_tools = optional(self.allowed_tools, next.allowed_tools);
        check_len(&mut errors, "allowed_tools", next.allowed_tools.as_deref(), 2000);
        check_not_flag(&mut errors, "allowed_tools", next.allowed_tools.as_deref());

        if let Some(timeout) = self.timeout_seconds {
            next.timeout_seconds = TimeoutSeconds::clamped(timeout);
        }
        if let Some(grace) = self.sigterm_grace_seconds {
            match u16::try_from(grace) {
                Ok(g) if (1..=300).contains(&g) => next.sigterm_grace_seconds = g,
                _ => {
                    errors.insert("sigterm_grace_seconds".into(), "must be between 1 and 300".into());
                }
            }
        }
        next.webhook_secret = optional(self.webhook_secret, next.webhook_secret);
        check_len(&mut errors, "webhook_secret", next.webhook_secret.as_deref(), 256);

        if let Some(max) = self.max_concurrent {
            match u16::try_from(max) {
                Ok(m) if (1..=20).contains(&m) => next.max_concurrent = m,
                _ => {
                    errors.insert("max_concurrent".into(), "must be between 1 and 20".into());
                }
            }
        }
        if let Some(policy) = self.concurrency_policy {
            match policy.parse() {
                Ok(p) => next.concurrency_policy = p,
                Err(e) => {
                    errors.insert("concurrency_policy".into(), e);
                }
            }
        }
        if let Some(repos) = self.github_repos {
            next.github_repos = normalise_list(&mut errors, "github_repos", repos, 100, valid_repo, "owner/name");
        }
        if let Some(events) = self.github_events {
            next.github_events =
                normalise_list(&mut errors, "github_events", events, 50, valid_event, "event or event.action");
            if next.github_events.is_empty() {
                next.github_events = DEFAULT_GITHUB_EVENTS.iter().map(|e| (*e).to_owned()).collect();
            }
        }
        if let Some(chain) = self.fallback_chain {
            crate::check_chain(&mut errors, &chain);
            next.fallback_chain = chain;
        }
        if errors.is_empty() { Ok(next) } else { Err(errors) }
    }
}

/// Trims, lower-cases and de-duplicates a list, recording the first invalid entry.
fn normalise_list(
    errors: &mut FieldErrors,
    field: &str,
    items: Vec<String>,
    max: usize,
    valid: fn(&str) -> bool,
    shape: &str,
) -> Vec<String> {
    if items.len() > max {
        errors.insert(field.into(), format!("at most {max} entries"));
    }
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let item = item.trim().to_lowercase();
        if !valid(&item) {
            errors.entry(field.into()).or_insert_with(|| format!("'{item}' is not {shape}"));
        } else if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

fn name_part(s: &str) -> bool {
    !s.is_empty() && s.len() <= 100 && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// `owner/name`, as GitHub spells repositories.
fn valid_repo(s: &str) -> bool {
    s.split_once('/').is_some_and(|(owner, name)| name_part(owner) && name_part(name) && !name.contains('/'))
}

/// `event` or `event.action`: lower-case words with underscores.
fn valid_event(s: &str) -> bool {
    let word = |w: &str| !w.is_empty() && w.len() <= 64 && w.chars().all(|c| c.is_ascii_lowercase() || c == '_');
    match s.split_once('.') {
        Some((event, action)) => word(event) && word(action),
        None => word(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
