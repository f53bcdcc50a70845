//! `/admin/triggers`: CRUD, project paths, status, run and prompt preview.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::trigger_input::{PathInput, RunInput, TriggerInput, optional_json};
use crate::routes::views::{ExecutionView, PathView, StatusView, TriggerView};
use actix_web::{HttpResponse, delete, get, post, put, web};
use agented_executions::{Execution, ExecutionFilter, Fired, LatestRun, RunRequest, TriggerSummary, TriggerType};
use agented_kernel::Page;
use agented_triggers::{PathRequest, Trigger};
use serde::{Deserialize, Serialize};
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
    /// What the request asked without effect (the original's `group_id`, `auto_resolve`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A queued run: an execution, or a workflow run for a trigger whose execution mode is a
/// team or a workflow.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunStarted {
    /// "Run queued", or "Workflow run started".
    pub message: &'static str,
    /// The trigger.
    pub trigger_id: String,
    /// `queued` (an execution) or `pending` (a workflow run).
    pub status: String,
    /// The new execution (`exec-…`), or the workflow run (`wfx-…`).
    pub execution_id: String,
    /// The workflow run, when the trigger runs a team or a workflow: follow it at
    /// `/admin/workflows/executions/{workflow_execution_id}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_execution_id: Option<String>,
    /// The workflow that run runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_id: Option<String>,
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

impl From<&Execution> for RunStarted {
    fn from(execution: &Execution) -> Self {
        Self {
            message: "Run queued",
            trigger_id: execution.trigger_id.to_string(),
            status: execution.status.to_string(),
            execution_id: execution.execution_id.to_string(),
            workflow_execution_id: None,
            workflow_id: None,
        }
    }
}

impl RunStarted {
    fn of(trigger: &agented_kernel::TriggerId, fired: &Fired) -> Self {
        match fired {
            Fired::Execution(execution) => Self::from(execution.as_ref()),
            Fired::Workflow(w) => Self {
                message: "Workflow run started",
                trigger_id: trigger.to_string(),
                status: "pending".to_owned(),
                execution_id: w.run.to_string(),
                workflow_execution_id: Some(w.run.to_string()),
                workflow_id: Some(w.workflow.to_string()),
            },
        }
    }
}

/// The detail view of `trigger`: its paths listed, and its latest run.
async fn view(state: &AppState, trigger: Trigger) -> Result<TriggerView, ApiError> {
    let paths = state.triggers.paths(&trigger.id).await?;
    let latest = state.runs.latest_of(&trigger.id).await?;
    let row = TriggerSummary { trigger, path_count: paths.len(), latest: latest.as_ref().map(LatestRun::from) };
    Ok(TriggerView::new(row, Some(&paths)))
}

/// Lists every trigger with its latest run.
#[utoipa::path(
    tag = "triggers",
    responses((status = 200, description = "Every trigger", body = TriggerList), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/triggers")]
pub async fn list_triggers(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let rows = state.runs.trigger_list().await?;
    let triggers = rows.into_iter().map(|row| TriggerView::new(row, None)).collect();
    Ok(HttpResponse::Ok().json(TriggerList { triggers }))
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
    let input = input.into_inner();
    let warnings = input.warnings();
    let trigger = state.triggers.create(input.into()).await?;
    Ok(HttpResponse::Created().json(TriggerCreated {
        message: "Trigger created",
        trigger_id: trigger.id.to_string(),
        name: trigger.settings.name,
        warnings,
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
    let trigger = state.triggers.get(&id).await?;
    Ok(HttpResponse::Ok().json(view(&state, trigger).await?))
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
    let input = input.into_inner();
    let warnings = input.warnings();
    let updated = state.triggers.update(&id, input.into()).await?;
    Ok(HttpResponse::Ok().json(TriggerView { warnings, ..view(&state, updated).await? }))
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
    let trigger = state.triggers.delete(&id).await?;
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
    let trigger = state.triggers.get(&id).await?;
    let paths = state.triggers.paths(&trigger.id).await?;
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
    let added = state.triggers.add_path(&id, &PathRequest::from(&*input)).await?;
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
    state.triggers.remove_path(&id, &PathRequest::from(&*input)).await?;
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
    let trigger = state.triggers.get(&id).await?;
    let latest = state.runs.latest_of(&trigger.id).await?;
    Ok(HttpResponse::Ok().json(StatusView::from(latest.as_ref().map(LatestRun::from).as_ref())))
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
        (status = 409, description = "Already running and concurrency_policy = reject, or its team or workflow may not run", body = ErrorBody),
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
    let id = agented_kernel::TriggerId::parse(&id).map_err(|_| ApiError::not_found("trigger not found"))?;
    let request = RunRequest::manual(optional_json::<RunInput>(&body)?.message).map_err(ApiError::invalid_fields)?;
    let fired = state.runs.fire(&id, request).await?;
    Ok(HttpResponse::Accepted().json(RunStarted::of(&id, &fired)))
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
    let trigger = state.triggers.get(&id).await?;
    let message = optional_json::<RunInput>(&body)?.message;
    let request =
        RunRequest { trigger_type: TriggerType::Manual, message, values: Vec::new(), claims: Vec::new(), github: None };
    let rendered = state.runs.preview(&trigger, &request).await?;
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
    let trigger = state.triggers.get(&id).await?;
    let page =
        Page::new(query.limit, query.offset).map_err(|e| ApiError::bad_request("invalid_page", e.to_string()))?;
    let status = query.status.as_deref().map(crate::routes::executions::parse_status).transpose()?;
    let filter = ExecutionFilter { trigger_id: Some(trigger.id.clone()), status, ..ExecutionFilter::default() };
    let (items, total) = state.runs.list(&filter, page).await?;
    let running = state.runs.running_of(&trigger.id).await?;
    Ok(HttpResponse::Ok().json(TriggerExecutions {
        executions: items.into_iter().map(ExecutionView::from).collect(),
        running_execution: running.map(ExecutionView::from),
        total,
        total_count: total,
    }))
}
