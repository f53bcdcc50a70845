//! `TriggerPatch`: how every change to a trigger arrives, and the one place its
//! rules are checked — part by part (identity, source, webhook rule, schedule,
//! CLI options, concurrency, GitHub filter, chain), every problem at once.

use crate::models::{TimeoutSeconds, TriggerSource};
use crate::trigger::{DEFAULT_GITHUB_EVENTS, FieldErrors, TriggerSettings};
use agented_kernel::BackendType;
use serde::{Deserialize, Deserializer};

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
    /// See [`TriggerSettings`]; `Some(None)` (JSON `null`) returns to the server's default.
    #[serde(deserialize_with = "nullable")]
    pub stall_timeout_seconds: Option<Option<i64>>,
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
    /// See [`TriggerSettings`]; an empty list means any worker.
    pub required_labels: Option<Vec<String>>,
    /// `direct`, `team` or `workflow` (see [`crate::ExecutionMode`]).
    pub execution_mode: Option<String>,
    /// `none`, `comment`, `review` or `check` (see [`crate::PostResult`]).
    pub post_result: Option<String>,
    /// The setup step's script; `""` removes the step.
    pub setup_script: Option<String>,
    /// Variables of the server's environment the setup step gets.
    pub setup_secrets: Option<Vec<String>>,
    /// The managed tooling its runs get (replaces what is attached).
    pub tooling: Option<crate::ToolingInput>,
    /// The team a `team` trigger runs; `Some(None)` clears it.
    #[serde(deserialize_with = "nullable")]
    pub team_id: Option<Option<String>>,
    /// The workflow a `workflow` trigger runs; given alone, it selects that mode.
    #[serde(deserialize_with = "nullable")]
    pub workflow_id: Option<Option<String>>,
}

/// Reads a field where JSON `null` means "clear" (`Some(None)`) and absence, with
/// `#[serde(default)]`, means "keep" (`None`).
///
/// # Errors
/// The deserializer's, for a value that is neither `null` nor a `T`.
pub fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
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
    /// checks every rule, answering all problems at once: each part of the
    /// settings in turn, then what the source in force needs.
    ///
    /// # Errors
    /// [`FieldErrors`] with one message per invalid field.
    pub fn apply(self, current: &TriggerSettings) -> Result<TriggerSettings, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut next = current.clone();
        let p = self;
        apply_identity(&mut next, &mut errors, p.name, p.prompt_template, p.backend_type, p.backend_id);
        apply_source(&mut next, &mut errors, p.trigger_source, p.enabled);
        apply_webhook_rule(
            &mut next,
            &mut errors,
            [p.match_field_path, p.match_field_value, p.text_field_path, p.detection_keyword],
        );
        apply_schedule(
            &mut next,
            &mut errors,
            p.schedule_type,
            p.schedule_time,
            p.schedule_day,
            p.schedule_cron,
            p.schedule_timezone,
            p.catch_up,
        );
        apply_cli_options(
            &mut next,
            &mut errors,
            p.skill_command,
            p.model,
            p.allowed_tools,
            [p.timeout_seconds, p.sigterm_grace_seconds],
            p.stall_timeout_seconds,
        );
        next.webhook_secret = optional(p.webhook_secret, next.webhook_secret);
        check_len(&mut errors, "webhook_secret", next.webhook_secret.as_deref(), 256);
        apply_concurrency(&mut next, &mut errors, p.max_concurrent, p.concurrency_policy);
        apply_github_filter(&mut next, &mut errors, p.github_repos, p.github_events);
        if let Some(chain) = p.fallback_chain {
            crate::check_chain(&mut errors, &chain);
            next.fallback_chain = chain;
        }
        if let Some(labels) = p.required_labels {
            next.required_labels = normalise_list(
                &mut errors,
                "required_labels",
                labels,
                20,
                agented_kernel::labels::valid_label,
                "a label (a word, or key=value)",
            );
        }
        apply_mode(&mut next, &mut errors, p.execution_mode, p.team_id, p.workflow_id);
        next.setup = crate::setup::apply_setup(&mut errors, next.setup.take(), p.setup_script, p.setup_secrets);
        if let Some(tooling) = p.tooling {
            next.tooling = crate::tooling::apply_tooling(&mut errors, tooling);
        }
        match p.post_result.map(|v| v.parse()) {
            Some(Ok(post)) => next.post_result = post,
            Some(Err(e)) => drop(errors.insert("post_result".into(), e)),
            None => {}
        }
        if errors.is_empty() { Ok(next) } else { Err(errors) }
    }
}

/// The execution mode and the team or workflow it names. An id given with another mode
/// (the original echoes `team_id: null` with `direct`) is kept out of the settings.
fn apply_mode(
    next: &mut TriggerSettings,
    errors: &mut FieldErrors,
    mode: Option<String>,
    team: Option<Option<String>>,
    workflow: Option<Option<String>>,
) {
    let current = &next.execution_mode;
    let given = |value: Option<Option<String>>, current: Option<String>| match value {
        Some(v) => v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()),
        None => current,
    };
    let workflow_named = matches!(&workflow, Some(Some(w)) if !w.trim().is_empty());
    let team = given(team, current.team_id().map(ToString::to_string));
    let workflow = given(workflow, current.workflow_id().map(ToString::to_string));
    let mode = match mode.as_deref().map(str::trim) {
        Some(m) => m.to_owned(),
        None if workflow_named => "workflow".to_owned(),
        None => current.name().to_owned(),
    };
    let problem = match mode.as_str() {
        "direct" => {
            next.execution_mode = crate::ExecutionMode::Direct;
            return;
        }
        "team" => match team.as_deref().map(agented_kernel::TeamId::parse) {
            Some(Ok(id)) => {
                next.execution_mode = crate::ExecutionMode::Team(id);
                return;
            }
            Some(Err(e)) => ("team_id", e.to_string()),
            None => ("team_id", "is required when execution_mode is team".to_owned()),
        },
        "workflow" => match workflow.as_deref().map(agented_kernel::WorkflowId::parse) {
            Some(Ok(id)) => {
                next.execution_mode = crate::ExecutionMode::Workflow(id);
                return;
            }
            Some(Err(e)) => ("workflow_id", e.to_string()),
            None => ("workflow_id", "is required when execution_mode is workflow".to_owned()),
        },
        other => ("execution_mode", format!("'{other}' is not direct, team or workflow")),
    };
    errors.insert(problem.0.into(), problem.1);
}

fn apply_identity(
    next: &mut TriggerSettings,
    errors: &mut FieldErrors,
    name: Option<String>,
    prompt: Option<String>,
    backend: Option<String>,
    backend_id: Option<String>,
) {
    if let Some(name) = name {
        next.name = name.trim().to_owned();
    }
    if next.name.is_empty() {
        errors.insert("name".into(), "is required".into());
    }
    check_len(errors, "name", Some(&next.name), 100);
    if let Some(prompt) = prompt {
        next.prompt_template = prompt;
    }
    if next.prompt_template.trim().is_empty() {
        errors.insert("prompt_template".into(), "is required".into());
    }
    check_len(errors, "prompt_template", Some(&next.prompt_template), MAX_PROMPT_CHARS);
    if let Some(backend) = backend {
        match backend.parse::<BackendType>() {
            Ok(b) => next.backend_type = b,
            Err(e) => {
                errors.insert("backend_type".into(), e.to_string());
            }
        }
    }
    next.backend_id = optional(backend_id, next.backend_id.take());
}

fn apply_source(next: &mut TriggerSettings, errors: &mut FieldErrors, source: Option<String>, enabled: Option<bool>) {
    if let Some(source) = source {
        match source.parse::<TriggerSource>() {
            Ok(s) => next.trigger_source = s,
            Err(e) => {
                errors.insert("trigger_source".into(), e.to_string());
            }
        }
    }
    if let Some(enabled) = enabled {
        next.enabled = enabled;
    }
}

/// `[match_field_path, match_field_value, text_field_path, detection_keyword]`.
fn apply_webhook_rule(next: &mut TriggerSettings, errors: &mut FieldErrors, fields: [Option<String>; 4]) {
    let [path, value, text, keyword] = fields;
    next.match_field_path = optional(path, next.match_field_path.take());
    next.match_field_value = optional(value, next.match_field_value.take());
    if let Some(path) = text {
        next.text_field_path = if path.trim().is_empty() { "text".into() } else { path.trim().to_owned() };
    }
    next.detection_keyword = optional(keyword, next.detection_keyword.take());
    for (field, value) in [
        ("match_field_path", &next.match_field_path),
        ("match_field_value", &next.match_field_value),
        ("detection_keyword", &next.detection_keyword),
    ] {
        check_len(errors, field, value.as_deref(), 500);
    }
    check_len(errors, "text_field_path", Some(&next.text_field_path), 500);
}

#[allow(clippy::too_many_arguments, reason = "the schedule's fields, each optional in a patch")]
fn apply_schedule(
    next: &mut TriggerSettings,
    errors: &mut FieldErrors,
    kind: Option<String>,
    time: Option<String>,
    day: Option<i64>,
    cron: Option<String>,
    timezone: Option<String>,
    catch_up: Option<bool>,
) {
    next.schedule_type = optional(kind, next.schedule_type.take());
    next.schedule_time = optional(time, next.schedule_time.take());
    if let Some(day) = day {
        next.schedule_day = i32::try_from(day).ok().or(Some(i32::MAX));
    }
    next.schedule_cron = optional(cron, next.schedule_cron.take());
    next.schedule_timezone = optional(timezone, next.schedule_timezone.take());
    if let Some(catch_up) = catch_up {
        next.catch_up = catch_up;
    }
    check_len(errors, "schedule_cron", next.schedule_cron.as_deref(), 200);
    check_len(errors, "schedule_timezone", next.schedule_timezone.as_deref(), 64);
    // The schedule's shape is checked whatever the source; what a kind needs only when scheduled.
    if let Err(e) = crate::schedule::Schedule::of(next) {
        for (field, message) in e {
            errors.entry(field).or_insert(message);
        }
    }
}

fn apply_cli_options(
    next: &mut TriggerSettings,
    errors: &mut FieldErrors,
    skill: Option<String>,
    model: Option<String>,
    tools: Option<String>,
    [timeout, grace]: [Option<i64>; 2],
    stall: Option<Option<i64>>,
) {
    next.skill_command = optional(skill, next.skill_command.take());
    if let Some(skill) = next.skill_command.as_deref()
        && (!skill.starts_with('/') || skill.contains(char::is_whitespace))
    {
        errors.insert("skill_command".into(), "must be one word starting with '/'".into());
    }
    check_len(errors, "skill_command", next.skill_command.as_deref(), 200);
    next.model = optional(model, next.model.take());
    check_len(errors, "model", next.model.as_deref(), 200);
    check_not_flag(errors, "model", next.model.as_deref());
    next.allowed_tools = optional(tools, next.allowed_tools.take());
    check_len(errors, "allowed_tools", next.allowed_tools.as_deref(), 2000);
    check_not_flag(errors, "allowed_tools", next.allowed_tools.as_deref());
    if let Some(timeout) = timeout {
        next.timeout_seconds = TimeoutSeconds::clamped(timeout);
    }
    if let Some(grace) = grace {
        match u16::try_from(grace) {
            Ok(g) if (1..=300).contains(&g) => next.sigterm_grace_seconds = g,
            _ => {
                errors.insert("sigterm_grace_seconds".into(), "must be between 1 and 300".into());
            }
        }
    }
    match stall {
        None => {}
        Some(None) => next.stall_timeout_seconds = None,
        Some(Some(seconds)) => match u32::try_from(seconds) {
            Ok(s) if s <= MAX_STALL_SECONDS => next.stall_timeout_seconds = Some(s),
            _ => {
                errors.insert(
                    "stall_timeout_seconds".into(),
                    format!("must be between 0 (never) and {MAX_STALL_SECONDS}, or null for the server's default"),
                );
            }
        },
    }
}

/// Longest silence a trigger may allow before its run is stopped: a day.
pub const MAX_STALL_SECONDS: u32 = 86_400;

fn apply_concurrency(next: &mut TriggerSettings, errors: &mut FieldErrors, max: Option<i64>, policy: Option<String>) {
    if let Some(max) = max {
        match u16::try_from(max) {
            Ok(m) if (1..=20).contains(&m) => next.max_concurrent = m,
            _ => {
                errors.insert("max_concurrent".into(), "must be between 1 and 20".into());
            }
        }
    }
    if let Some(policy) = policy {
        match policy.parse() {
            Ok(p) => next.concurrency_policy = p,
            Err(e) => {
                errors.insert("concurrency_policy".into(), e);
            }
        }
    }
}

fn apply_github_filter(
    next: &mut TriggerSettings,
    errors: &mut FieldErrors,
    repos: Option<Vec<String>>,
    events: Option<Vec<String>>,
) {
    if let Some(repos) = repos {
        next.github_repos = normalise_list(errors, "github_repos", repos, 100, valid_repo, "owner/name");
    }
    if let Some(events) = events {
        next.github_events = normalise_list(errors, "github_events", events, 50, valid_event, "event or event.action");
        if next.github_events.is_empty() {
            next.github_events = DEFAULT_GITHUB_EVENTS.iter().map(|e| (*e).to_owned()).collect();
        }
    }
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
