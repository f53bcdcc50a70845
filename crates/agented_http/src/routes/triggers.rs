//! `/admin/triggers`: CRUD, project paths, status, run and prompt preview.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::views::{ExecutionView, PathView, StatusView, TriggerView};
use actix_web::{HttpResponse, delete, get, post, put, web};
use agented_executions::{Execution, ExecutionFilter, RunRequest, StartError, TriggerType};
use agented_kernel::{Page, TriggerId};
use agented_triggers::{
    FieldErrors, ProjectPath, Trigger, TriggerPatch, TriggerSettings, TriggerStoreError, TriggerWriteError,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Every trigger.
#[derive(Debug, Serialize, ToSchema)]
pub struct TriggerList {
    /// Predefined first, then by name.
    pub triggers: Vec<TriggerView>,
}

/// A created trigger.
#[derive(Debug, Serialize, ToSchema)]
pub struct TriggerCreated {
    /// "Trigger created".
    pub message: &'static str,
    /// Its id.
    pub trigger_id: String,
    /// Its name.
    pub name: String,
}

/// A project path to add: exactly one of the two.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PathInput {
    /// An existing absolute directory.
    pub local_project_path: Option<String>,
    /// `https://github.com/owner/name` (or a `file://` URL of a local repository).
    pub github_repo_url: Option<String>,
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
    fallback_chain: Option<Vec<super::views::FallbackEntryView>>,
    /// Project paths to add with a new trigger.
    paths: Vec<PathInput>,
}

impl TriggerInput {
    fn split(self) -> (TriggerPatch, Vec<PathInput>, FieldErrors) {
        let p = self;
        let (fallback_chain, errors) = match p.fallback_chain.map(super::views::FallbackEntryView::into_chain) {
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
            allowed_tools: p.allowed_tools,
            webhook_secret: p.webhook_secret,
            max_concurrent: p.max_concurrent,
            concurrency_policy: p.concurrency_policy,
            github_repos: p.github_repos,
            github_events: p.github_events,
            fallback_chain,
        };
        (patch, p.paths, errors)
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

/// A queued run.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunStarted {
    /// "Run queued".
    pub message: &'static str,
    /// The trigger.
    pub trigger_id: String,
    /// `queued`.
    pub status: String,
    /// The new execution.
    pub execution_id: String,
}

/// A rendered prompt.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromptPreview {
    /// The prompt a run would get.
    pub rendered_prompt: String,
    /// The trigger.
    pub trigger_id: String,
    /// Its name.
    pub trigger_name: String,
    /// `{word}` placeholders left unfilled.
    pub unresolved_placeholders: Vec<String>,
}

/// A trigger's project paths.
#[derive(Debug, Serialize, ToSchema)]
pub struct PathList {
    /// Oldest first.
    pub paths: Vec<PathView>,
}

/// A trigger's runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct TriggerExecutions {
    /// Newest first.
    pub executions: Vec<ExecutionView>,
    /// The run in progress, if any.
    pub running_execution: Option<ExecutionView>,
    /// Matching runs in all.
    pub total: u64,
    /// Same as `total` (the original's name).
    pub total_count: u64,
}

/// Paging and filters of a trigger's runs.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct TriggerExecutionsQuery {
    /// At most 500 (default 100).
    pub limit: Option<u32>,
    /// Runs to skip.
    pub offset: Option<u32>,
    /// Only this status.
    pub status: Option<String>,
}

/// A body that may be absent (then the defaults), but when present must be valid JSON of the right shape.
fn optional_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, ApiError> {
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

impl From<&Execution> for RunStarted {
    fn from(execution: &Execution) -> Self {
        Self {
            message: "Run queued",
            trigger_id: execution.trigger_id.to_string(),
            status: execution.status.to_string(),
            execution_id: execution.execution_id.to_string(),
        }
    }
}

fn parse_id(id: &str) -> Result<TriggerId, ApiError> {
    TriggerId::parse(id).map_err(|_| ApiError::not_found("trigger not found"))
}

fn store(e: &TriggerStoreError) -> ApiError {
    ApiError::unavailable(e)
}

pub(crate) fn write_error(e: TriggerWriteError) -> ApiError {
    match e {
        TriggerWriteError::DuplicateName(name) => {
            ApiError::conflict(format!("a trigger named '{name}' already exists"))
        }
        TriggerWriteError::NotFound => ApiError::not_found("trigger not found"),
        TriggerWriteError::Store(e) => store(&e),
    }
}

pub(crate) fn start_error(e: StartError) -> ApiError {
    match e {
        StartError::NotFound(what) => ApiError::not_found(format!("{what} not found")),
        StartError::Disabled(name) => {
            ApiError::bad_request("trigger_disabled", format!("trigger '{name}' is disabled; enable it to run it"))
        }
        StartError::Busy(running) => ApiError::conflict(format!("already running (execution {running})"))
            .with_details(BTreeMap::from([("execution_id".to_owned(), running.to_string())])),
        StartError::Store(message) => ApiError::unavailable(&message),
        StartError::Queue(e) => ApiError::unavailable(&e),
    }
}

pub(crate) async fn load(state: &AppState, id: &str) -> Result<Trigger, ApiError> {
    let id = parse_id(id)?;
    state.triggers.get(&id).await.map_err(|e| store(&e))?.ok_or_else(|| ApiError::not_found("trigger not found"))
}

async fn latest(state: &AppState, id: &TriggerId) -> Result<Option<Execution>, ApiError> {
    let filter = ExecutionFilter { trigger_id: Some(id.clone()), ..ExecutionFilter::default() };
    let page = Page::new(Some(1), None).map_err(|e| ApiError::bad_request("invalid_page", e.to_string()))?;
    let (items, _) = state.runs.executions().list(&filter, page).await.map_err(|e| ApiError::unavailable(&e))?;
    Ok(items.into_iter().next())
}

async fn view(state: &AppState, trigger: Trigger, with_paths: bool) -> Result<TriggerView, ApiError> {
    let paths = state.triggers.paths(&trigger.id).await.map_err(|e| store(&e))?;
    let latest = latest(state, &trigger.id).await?;
    Ok(TriggerView::new(trigger, &paths, latest.as_ref(), with_paths))
}

fn parse_path(input: &PathInput) -> Result<ProjectPath, FieldErrors> {
    let mut errors = FieldErrors::new();
    match (&input.local_project_path, &input.github_repo_url) {
        (Some(local), None) => ProjectPath::local(local).map_err(|e| {
            errors.insert("local_project_path".into(), e);
            errors
        }),
        (None, Some(url)) => ProjectPath::repository(url).map_err(|e| {
            errors.insert("github_repo_url".into(), e);
            errors
        }),
        _ => {
            errors.insert("path".into(), "give exactly one of local_project_path or github_repo_url".into());
            Err(errors)
        }
    }
}

async fn check_backend(state: &AppState, settings: &TriggerSettings, errors: &mut FieldErrors) -> Result<(), ApiError> {
    if let Some(id) = &settings.backend_id {
        let found = state.backends.get(id).await.map_err(|e| ApiError::unavailable(&e))?;
        if found.is_none_or(|b| b.custom.is_none()) {
            errors.insert("backend_id".into(), format!("'{id}' is not a custom backend"));
        }
    }
    let chain =
        state.orchestration.check_chain(&settings.fallback_chain).await.map_err(|e| ApiError::unavailable(&e))?;
    errors.extend(chain);
    Ok(())
}

/// Lists every trigger with its latest run.
#[utoipa::path(
    tag = "triggers",
    responses((status = 200, description = "Every trigger", body = TriggerList), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/triggers")]
pub async fn list_triggers(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let triggers = state.triggers.list().await.map_err(|e| store(&e))?;
    let mut views = Vec::with_capacity(triggers.len());
    for trigger in triggers {
        views.push(view(&state, trigger, false).await?);
    }
    Ok(HttpResponse::Ok().json(TriggerList { triggers: views }))
}

/// Creates a trigger (and optionally its project paths).
#[utoipa::path(
    tag = "triggers",
    request_body = TriggerInput,
    responses(
        (status = 201, description = "Created", body = TriggerCreated),
        (status = 400, description = "Not a JSON object of the right shape", body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, description = "Invalid values, one message per field", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/triggers")]
pub async fn create_trigger(
    state: web::Data<AppState>,
    input: web::Json<TriggerInput>,
) -> Result<HttpResponse, ApiError> {
    let (patch, input_paths, mut errors) = input.into_inner().split();
    let settings = patch.apply(&TriggerSettings::default()).unwrap_or_else(|e| {
        errors.extend(e);
        TriggerSettings::default()
    });
    let mut paths = Vec::new();
    for (i, path) in input_paths.iter().enumerate() {
        match parse_path(path) {
            Ok(p) => paths.push(p),
            Err(e) => errors.extend(e.into_iter().map(|(k, v)| (format!("paths.{i}.{k}"), v))),
        }
    }
    if errors.is_empty() {
        check_backend(&state, &settings, &mut errors).await?;
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    let id = TriggerId::generate();
    let now = state.clock.now();
    let next_run_at = agented_triggers::next_run_at(&settings, now);
    let trigger = state.triggers.insert(&id, &settings, next_run_at, &paths, now).await.map_err(write_error)?;
    Ok(HttpResponse::Created().json(TriggerCreated {
        message: "Trigger created",
        trigger_id: trigger.id.to_string(),
        name: trigger.settings.name,
    }))
}

/// One trigger with its paths and latest run.
#[utoipa::path(
    tag = "triggers",
    params(("id" = String, Path, description = "Trigger id")),
    responses((status = 200, body = TriggerView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/triggers/{id}")]
pub async fn get_trigger(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let trigger = load(&state, &id).await?;
    Ok(HttpResponse::Ok().json(view(&state, trigger, true).await?))
}

/// Changes some of a trigger's settings.
#[utoipa::path(
    tag = "triggers",
    params(("id" = String, Path, description = "Trigger id")),
    request_body = TriggerInput,
    responses(
        (status = 200, description = "The updated trigger", body = TriggerView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, description = "Invalid values", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[put("/triggers/{id}")]
pub async fn update_trigger(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<TriggerInput>,
) -> Result<HttpResponse, ApiError> {
    let trigger = load(&state, &id).await?;
    let (patch, input_paths, mut errors) = input.into_inner().split();
    if !input_paths.is_empty() {
        return Err(ApiError::invalid_fields(BTreeMap::from([(
            "paths".to_owned(),
            "change paths with /admin/triggers/{id}/paths".to_owned(),
        )])));
    }
    let settings = patch.apply(&trigger.settings).unwrap_or_else(|e| {
        errors.extend(e);
        trigger.settings.clone()
    });
    if errors.is_empty() {
        check_backend(&state, &settings, &mut errors).await?;
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    let next_run_at = agented_triggers::next_run_after_change(Some(&trigger), &settings, state.clock.now());
    let updated = state.triggers.update(&trigger.id, &settings, next_run_at).await.map_err(write_error)?;
    Ok(HttpResponse::Ok().json(view(&state, updated, true).await?))
}

/// Deletes a trigger (its executions stay as history); predefined ones cannot be deleted.
#[utoipa::path(
    tag = "triggers",
    params(("id" = String, Path, description = "Trigger id")),
    responses(
        (status = 200, description = "Deleted"),
        (status = 403, description = "A predefined trigger", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[delete("/triggers/{id}")]
pub async fn delete_trigger(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let trigger = load(&state, &id).await?;
    if trigger.is_predefined {
        return Err(ApiError::forbidden("predefined triggers cannot be deleted; disable it instead"));
    }
    state.triggers.delete(&trigger.id).await.map_err(write_error)?;
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "message": "Trigger deleted", "trigger_id": trigger.id.to_string() })))
}

/// A trigger's project paths.
#[utoipa::path(
    tag = "triggers",
    params(("id" = String, Path, description = "Trigger id")),
    responses((status = 200, body = PathList), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/triggers/{id}/paths")]
pub async fn list_paths(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let trigger = load(&state, &id).await?;
    let paths = state.triggers.paths(&trigger.id).await.map_err(|e| store(&e))?;
    Ok(HttpResponse::Ok().json(PathList { paths: paths.iter().map(PathView::from).collect() }))
}

/// Adds a local directory or a repository.
#[utoipa::path(
    tag = "triggers",
    params(("id" = String, Path, description = "Trigger id")),
    request_body = PathInput,
    responses((status = 201, body = PathView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/triggers/{id}/paths")]
pub async fn add_path(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<PathInput>,
) -> Result<HttpResponse, ApiError> {
    let trigger = load(&state, &id).await?;
    let path = parse_path(&input).map_err(ApiError::invalid_fields)?;
    let added = state.triggers.add_path(&trigger.id, &path, state.clock.now()).await.map_err(write_error)?;
    Ok(HttpResponse::Created().json(PathView::from(&added)))
}

/// Removes a project path (body: the same shape as when adding it).
#[utoipa::path(
    tag = "triggers",
    params(("id" = String, Path, description = "Trigger id")),
    request_body = PathInput,
    responses((status = 200, description = "Removed"), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/triggers/{id}/paths")]
pub async fn remove_path(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<PathInput>,
) -> Result<HttpResponse, ApiError> {
    let trigger = load(&state, &id).await?;
    let path = input.local_project_path.as_deref().or(input.github_repo_url.as_deref()).unwrap_or_default();
    if !state.triggers.remove_path(&trigger.id, path).await.map_err(|e| store(&e))? {
        return Err(ApiError::not_found("the trigger has no such path"));
    }
    Ok(HttpResponse::Ok().json(serde_json::json!({ "message": "Path removed" })))
}

/// The latest run's status.
#[utoipa::path(
    tag = "triggers",
    params(("id" = String, Path, description = "Trigger id")),
    responses((status = 200, body = StatusView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/triggers/{id}/status")]
pub async fn trigger_status(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let trigger = load(&state, &id).await?;
    let latest = latest(&state, &trigger.id).await?;
    Ok(HttpResponse::Ok().json(StatusView::from(latest.as_ref())))
}

/// Queues a run; answers once the execution and its job are durable.
#[utoipa::path(
    tag = "triggers",
    params(("id" = String, Path, description = "Trigger id")),
    request_body = RunInput,
    responses(
        (status = 202, description = "Queued", body = RunStarted),
        (status = 400, description = "The trigger is disabled", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Already running and concurrency_policy = reject", body = ErrorBody),
        (status = 503, description = "The database or queue is unavailable", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/triggers/{id}/run")]
pub async fn run_trigger(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let message = optional_json::<RunInput>(&body)?.message;
    if message.as_ref().is_some_and(|m| m.chars().count() > 100_000) {
        return Err(ApiError::invalid_fields(BTreeMap::from([(
            "message".to_owned(),
            "must be at most 100000 characters".to_owned(),
        )])));
    }
    let request = RunRequest { trigger_type: TriggerType::Manual, message, values: Vec::new() };
    let execution = state.runs.start(&id, request).await.map_err(start_error)?;
    Ok(HttpResponse::Accepted().json(RunStarted::from(&execution)))
}

/// Renders the prompt a run with this message would get.
#[utoipa::path(
    tag = "triggers",
    params(("id" = String, Path, description = "Trigger id")),
    request_body = RunInput,
    responses((status = 200, body = PromptPreview), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/triggers/{id}/preview-prompt")]
pub async fn preview_prompt(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let trigger = load(&state, &id).await?;
    let message = optional_json::<RunInput>(&body)?.message;
    let request = RunRequest { trigger_type: TriggerType::Manual, message, values: Vec::new() };
    let rendered = state.runs.preview(&trigger, &request).await.map_err(|e| store(&e))?;
    Ok(HttpResponse::Ok().json(PromptPreview {
        rendered_prompt: rendered.text,
        trigger_id: trigger.id.to_string(),
        trigger_name: trigger.settings.name,
        unresolved_placeholders: rendered.unresolved,
    }))
}

/// A trigger's runs, newest first, and the one in progress.
#[utoipa::path(
    tag = "triggers",
    params(("id" = String, Path, description = "Trigger id"), TriggerExecutionsQuery),
    responses((status = 200, body = TriggerExecutions), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/triggers/{id}/executions")]
pub async fn trigger_executions(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<TriggerExecutionsQuery>,
) -> Result<HttpResponse, ApiError> {
    let trigger = load(&state, &id).await?;
    let page =
        Page::new(query.limit, query.offset).map_err(|e| ApiError::bad_request("invalid_page", e.to_string()))?;
    let status = query.status.as_deref().map(crate::routes::executions::parse_status).transpose()?;
    let filter = ExecutionFilter { trigger_id: Some(trigger.id.clone()), status, ..ExecutionFilter::default() };
    let repo = state.runs.executions();
    let (items, total) = repo.list(&filter, page).await.map_err(|e| ApiError::unavailable(&e))?;
    let active = repo.active_for_trigger(&trigger.id).await.map_err(|e| ApiError::unavailable(&e))?;
    let running = active.into_iter().find(|e| e.status == agented_executions::ExecutionStatus::Running);
    Ok(HttpResponse::Ok().json(TriggerExecutions {
        executions: items.into_iter().map(ExecutionView::from).collect(),
        running_execution: running.map(ExecutionView::from),
        total,
        total_count: total,
    }))
}
