//! What the trigger routes read: a trigger's settings, a project path, a run's
//! message, each turned into the trigger domain's own request types.

use crate::error::ApiError;
use agented_triggers::{FieldErrors, PathRequest, TriggerChange, TriggerPatch};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A project path to add: exactly one of the two.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PathInput {
    /// An existing absolute directory.
    pub local_project_path: Option<String>,
    /// `https://github.com/owner/name` (or a `file://` URL of a local repository).
    pub github_repo_url: Option<String>,
    /// Read-only fields of a fetched path (`id`, `kind`, `path`, `created_at`): accepted and
    /// ignored, so a fetched trigger can be sent back as it is.
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<Object>)]
    pub id: Option<serde_json::Value>,
    /// Ignored (see `id`).
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<Object>)]
    pub kind: Option<serde_json::Value>,
    /// Ignored (see `id`).
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<Object>)]
    pub path: Option<serde_json::Value>,
    /// Ignored (see `id`).
    #[serde(default, skip_serializing)]
    #[schema(value_type = Option<Object>)]
    pub created_at: Option<serde_json::Value>,
}

/// A trigger's settings (create: `name` and `prompt_template` required; update: any subset).
/// Text set to `""` clears an optional setting. Field meanings: see the trigger view.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TriggerInput {
    name: Option<String>,
    prompt_template: Option<String>,
    backend_type: Option<String>,
    backend_id: Option<String>,
    trigger_source: Option<String>,
    enabled: Option<bool>,
    match_field_path: Option<String>,
    match_field_value: Option<String>,
    text_field_path: Option<String>,
    detection_keyword: Option<String>,
    schedule_type: Option<String>,
    schedule_time: Option<String>,
    schedule_day: Option<i64>,
    /// `schedule_type = cron`: five fields (minute hour day-of-month month day-of-week) or an alias such as `@daily`.
    schedule_cron: Option<String>,
    /// IANA name; UTC unless set.
    schedule_timezone: Option<String>,
    /// After downtime, run once for the slots missed instead of skipping them.
    catch_up: Option<bool>,
    skill_command: Option<String>,
    model: Option<String>,
    timeout_seconds: Option<i64>,
    sigterm_grace_seconds: Option<i64>,
    /// Seconds without output before a run is stopped (0: never; `null`: the server's `runner.stall_timeout_seconds`).
    #[serde(deserialize_with = "agented_triggers::nullable")]
    #[schema(value_type = Option<i64>)]
    stall_timeout_seconds: Option<Option<i64>>,
    allowed_tools: Option<String>,
    /// Write-only: never returned.
    webhook_secret: Option<String>,
    max_concurrent: Option<i64>,
    concurrency_policy: Option<String>,
    /// GitHub: `owner/name` repositories; empty = any.
    github_repos: Option<Vec<String>>,
    /// GitHub: events (`pull_request.opened`, `issues.opened`, `push`, …); empty = the pull request defaults.
    github_events: Option<Vec<String>>,
    /// Backends and accounts a run tries, in order; `[]` = the trigger's own backend.
    fallback_chain: Option<Vec<FallbackEntryView>>,
    /// Labels the worker that runs it must have (`gpu`, `region=eu`); `[]` = any worker.
    required_labels: Option<Vec<String>>,
    /// What a firing runs: `direct` (its CLI, the default), `team` (with `team_id`) or
    /// `workflow` (with `workflow_id`; a `workflow_id` alone selects it).
    execution_mode: Option<String>,
    /// What a run a GitHub event fired posts back: `none` (the default), `comment` (one
    /// comment, edited in place), `review` (a pull request review) or `check` (the check
    /// run's summary). Pull requests get a check run whatever this says.
    post_result: Option<String>,
    /// A shell script (`/bin/sh -c`) run in the run's working folder before its CLI, such as
    /// `npm ci`; a failing script fails the run. `""` removes it.
    setup_script: Option<String>,
    /// Variables of the server's environment the setup script gets (such as `NPM_TOKEN`); never
    /// the server's own secrets.
    setup_secrets: Option<Vec<String>>,
    /// The managed tooling its runs' CLIs get (replaces what is attached): MCP server ids so
    /// far; skills, commands, hooks and rules are refused until they exist.
    tooling: Option<ToolingAttachments>,
    /// The team a `team` trigger runs (`team-…`).
    #[serde(default, deserialize_with = "agented_triggers::patch::nullable")]
    #[schema(value_type = Option<String>)]
    team_id: Option<Option<String>>,
    /// The workflow a `workflow` trigger runs (`wf-…`): its published version.
    #[serde(default, deserialize_with = "agented_triggers::patch::nullable")]
    #[schema(value_type = Option<String>)]
    workflow_id: Option<Option<String>>,
    /// Project paths to add with a new trigger (an update takes only the current ones, as a fetched trigger has them).
    paths: Vec<PathInput>,
    /// The original's chat group: accepted and ignored (a warning says so).
    #[schema(value_type = Option<Object>)]
    group_id: Option<serde_json::Value>,
    /// The original's issue auto-resolution: accepted and ignored (a warning says so).
    #[schema(value_type = Option<Object>)]
    auto_resolve: Option<serde_json::Value>,
    /// Read-only fields of a fetched trigger (`id`, `is_predefined`, `next_run_at`,
    /// `last_run_at`, `has_webhook_secret`, `created_at`, `path_count`, `execution_status`,
    /// `warnings`): accepted and ignored, so a fetched trigger can be sent back as it is.
    #[serde(skip_serializing)]
    #[schema(value_type = Option<Object>)]
    id: Option<serde_json::Value>,
    /// Ignored (see `id`).
    #[serde(skip_serializing)]
    #[schema(value_type = Option<Object>)]
    is_predefined: Option<serde_json::Value>,
    /// Ignored (see `id`).
    #[serde(skip_serializing)]
    #[schema(value_type = Option<Object>)]
    next_run_at: Option<serde_json::Value>,
    /// Ignored (see `id`).
    #[serde(skip_serializing)]
    #[schema(value_type = Option<Object>)]
    last_run_at: Option<serde_json::Value>,
    /// Ignored (see `id`).
    #[serde(skip_serializing)]
    #[schema(value_type = Option<Object>)]
    has_webhook_secret: Option<serde_json::Value>,
    /// Ignored (see `id`).
    #[serde(skip_serializing)]
    #[schema(value_type = Option<Object>)]
    created_at: Option<serde_json::Value>,
    /// Ignored (see `id`).
    #[serde(skip_serializing)]
    #[schema(value_type = Option<Object>)]
    path_count: Option<serde_json::Value>,
    /// Ignored (see `id`).
    #[serde(skip_serializing)]
    #[schema(value_type = Option<Object>)]
    execution_status: Option<serde_json::Value>,
    /// Ignored (see `id`).
    #[serde(skip_serializing)]
    #[schema(value_type = Option<Object>)]
    warnings: Option<serde_json::Value>,
}

impl TriggerInput {
    /// What the request asked that has no effect here: the original's `group_id` and `auto_resolve`.
    pub(crate) fn warnings(&self) -> Vec<String> {
        let given = |v: &Option<serde_json::Value>| v.as_ref().is_some_and(|v| !v.is_null());
        let mut warnings = Vec::new();
        if given(&self.group_id) {
            warnings.push("group_id is ignored: Agented has no chat groups (match a webhook field instead)".to_owned());
        }
        if given(&self.auto_resolve) {
            warnings.push("auto_resolve is ignored: Agented does not resolve issues on its own".to_owned());
        }
        warnings
    }
}

/// A trigger's `tooling`: ids per kind, in order.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ToolingAttachments {
    /// MCP servers (`mcp-…`).
    pub mcp_servers: Vec<String>,
    /// Skills (`skill-…`).
    pub skills: Vec<String>,
    /// Slash commands (`cmd-…`).
    pub commands: Vec<String>,
    /// Hooks (`hook-…`).
    pub hooks: Vec<String>,
    /// Rules (`rule-…`).
    pub rules: Vec<String>,
}

impl ToolingAttachments {
    /// The domain's request.
    pub(crate) fn into_input(self) -> agented_kernel::ToolingInput {
        agented_kernel::ToolingInput {
            mcp_servers: self.mcp_servers,
            skills: self.skills,
            commands: self.commands,
            hooks: self.hooks,
            rules: self.rules,
        }
    }
}

impl From<&agented_kernel::ToolingRefs> for ToolingAttachments {
    fn from(refs: &agented_kernel::ToolingRefs) -> Self {
        let texts = |ids: &[agented_kernel::ItemId]| ids.iter().map(|id| id.as_str().to_owned()).collect();
        Self {
            mcp_servers: refs.mcp_servers.iter().map(|id| id.as_str().to_owned()).collect(),
            skills: texts(&refs.skills),
            commands: texts(&refs.commands),
            hooks: texts(&refs.hooks),
            rules: texts(&refs.rules),
        }
    }
}

impl From<&PathInput> for PathRequest {
    fn from(p: &PathInput) -> Self {
        Self { local_project_path: p.local_project_path.clone(), github_repo_url: p.github_repo_url.clone() }
    }
}

impl From<TriggerInput> for TriggerChange {
    fn from(p: TriggerInput) -> Self {
        let (fallback_chain, invalid) = match p.fallback_chain.map(FallbackEntryView::into_chain) {
            None => (None, FieldErrors::new()),
            Some(Ok(chain)) => (Some(chain), FieldErrors::new()),
            Some(Err(errors)) => (None, errors),
        };
        let patch = TriggerPatch {
            name: p.name,
            prompt_template: p.prompt_template,
            backend_type: p.backend_type,
            backend_id: p.backend_id,
            trigger_source: p.trigger_source,
            enabled: p.enabled,
            match_field_path: p.match_field_path,
            match_field_value: p.match_field_value,
            text_field_path: p.text_field_path,
            detection_keyword: p.detection_keyword,
            schedule_type: p.schedule_type,
            schedule_time: p.schedule_time,
            schedule_day: p.schedule_day,
            schedule_cron: p.schedule_cron,
            schedule_timezone: p.schedule_timezone,
            catch_up: p.catch_up,
            skill_command: p.skill_command,
            model: p.model,
            timeout_seconds: p.timeout_seconds,
            sigterm_grace_seconds: p.sigterm_grace_seconds,
            stall_timeout_seconds: p.stall_timeout_seconds,
            allowed_tools: p.allowed_tools,
            webhook_secret: p.webhook_secret,
            max_concurrent: p.max_concurrent,
            concurrency_policy: p.concurrency_policy,
            github_repos: p.github_repos,
            github_events: p.github_events,
            fallback_chain,
            required_labels: p.required_labels,
            execution_mode: p.execution_mode,
            post_result: p.post_result,
            setup_script: p.setup_script,
            setup_secrets: p.setup_secrets,
            tooling: p.tooling.map(ToolingAttachments::into_input),
            team_id: p.team_id,
            workflow_id: p.workflow_id,
        };
        Self { patch, paths: p.paths.iter().map(PathRequest::from).collect(), invalid }
    }
}

/// `{message}` for a run.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunInput {
    /// The `{message}` placeholder's value (at most 100,000 characters).
    #[serde(default)]
    pub message: Option<String>,
}

/// A body that may be absent (then the defaults), but when present must be valid JSON of the right shape.
pub(crate) fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    // Same split as the JSON extractor: malformed JSON is 400, well-formed JSON of the wrong shape 422.
    serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            ApiError::new(
                actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("invalid request body: {e}"),
            )
        } else {
            ApiError::bad_request("invalid_json", format!("malformed JSON: {e}"))
        }
    })
}

/// One step of a fallback chain.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FallbackEntryView {
    /// A backend id (`backend-claude`, a custom `backend-…`).
    pub backend_id: String,
    /// An account of that backend (`acct-…`, or the original's integer id of an imported
    /// account); its default account when absent.
    #[serde(default, skip_serializing_if = "Option::is_none", deserialize_with = "text_or_integer")]
    pub account_id: Option<String>,
}

/// An id given as text, or as the original's integer.
fn text_or_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Integer(u64),
    }
    Ok(Option::<Id>::deserialize(d)?.map(|id| match id {
        Id::Text(t) => t,
        Id::Integer(n) => n.to_string(),
    }))
}

impl From<agented_triggers::FallbackEntry> for FallbackEntryView {
    fn from(e: agented_triggers::FallbackEntry) -> Self {
        Self { backend_id: e.backend_id, account_id: e.account_id.map(|a| a.to_string()) }
    }
}

impl FallbackEntryView {
    /// The domain entries, or field errors keyed `fallback_chain.<i>.account_id`.
    ///
    /// # Errors
    /// An account id of the wrong shape.
    pub fn into_chain(entries: Vec<Self>) -> Result<Vec<agented_triggers::FallbackEntry>, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut chain = Vec::with_capacity(entries.len());
        for (i, e) in entries.into_iter().enumerate() {
            let account_id = match e.account_id.map(|a| agented_orchestration::account_ref(&a)).transpose() {
                Ok(a) => a,
                Err(err) => {
                    errors.insert(format!("fallback_chain.{i}.account_id"), err.to_string());
                    None
                }
            };
            chain.push(agented_triggers::FallbackEntry { backend_id: e.backend_id, account_id });
        }
        if errors.is_empty() { Ok(chain) } else { Err(errors) }
    }
}
