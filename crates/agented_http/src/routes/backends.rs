//! `/admin/backends`: the CLIs (installed or not, path, version, models) and custom command backends.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use actix_web::{HttpResponse, delete, get, post, web};
use agented_executions::{BackendStatus, CustomBackendRequest};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A backend and whether it can run.
#[derive(Debug, Serialize, ToSchema)]
pub struct BackendView {
    /// `backend-…`.
    pub id: String,
    /// Display name.
    pub name: String,
    /// `claude`, `opencode`, `gemini`, `codex` or `custom`.
    pub backend_type: String,
    /// The program.
    pub command: String,
    /// One line.
    pub description: String,
    /// Shipped with Agented.
    pub is_builtin: bool,
    /// Found on the runner's `PATH`.
    pub is_installed: bool,
    /// Where.
    pub path: Option<String>,
    /// `--version`'s first line.
    pub version: Option<String>,
    /// Model names the CLI accepts for `model` (suggestions; others may work).
    pub models: Vec<String>,
    /// Argument template (custom backends).
    pub args: Option<Vec<String>>,
    /// Environment variable names set (custom backends; values are not shown).
    pub env_names: Option<Vec<String>>,
    /// Working directory (custom backends).
    pub working_dir: Option<String>,
    /// When detection last ran.
    pub checked_at: DateTime<Utc>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

fn view(BackendStatus { entry, detection, models }: BackendStatus) -> BackendView {
    BackendView {
        args: entry.custom.as_ref().map(|c| c.args.clone()),
        env_names: entry.custom.as_ref().map(|c| c.env.keys().cloned().collect()),
        working_dir: entry.custom.as_ref().and_then(|c| c.working_dir.clone()),
        id: entry.id,
        name: entry.name,
        backend_type: entry.backend_type,
        command: entry.command,
        description: entry.description,
        is_builtin: entry.is_builtin,
        is_installed: detection.is_installed,
        path: detection.path,
        version: detection.version,
        models,
        checked_at: detection.checked_at,
        created_at: entry.created_at,
    }
}

/// Every backend.
#[derive(Debug, Serialize, ToSchema)]
pub struct BackendList {
    /// Built-in first.
    pub backends: Vec<BackendView>,
}

/// A custom command backend.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomBackendInput {
    /// Unique display name.
    pub name: String,
    /// Program name (looked up on `PATH`) or absolute path.
    pub command: String,
    /// Arguments; one must contain `{prompt}` (`{model}` is also filled).
    pub args: Vec<String>,
    /// Extra environment variables.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Working directory for runs without a local project path.
    pub working_dir: Option<String>,
}

/// Lists the CLIs and custom backends with their detection.
#[utoipa::path(
    tag = "backends",
    responses((status = 200, body = BackendList), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/backends")]
pub async fn list_backends(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let backends = state.backends.list().await?;
    Ok(HttpResponse::Ok().json(BackendList { backends: backends.into_iter().map(view).collect() }))
}

/// One backend (the original's `GET /admin/backends/{id}`).
#[utoipa::path(
    tag = "backends",
    params(("id" = String, Path, description = "Backend id")),
    responses((status = 200, body = BackendView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/backends/{id}")]
pub async fn get_backend(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(view(state.backends.get(&id).await?)))
}

/// Detects one backend again (after installing or upgrading its CLI).
#[utoipa::path(
    tag = "backends",
    params(("id" = String, Path, description = "Backend id")),
    responses((status = 200, body = BackendView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/backends/{id}/check")]
pub async fn check_backend(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(view(state.backends.check(&id).await?)))
}

/// Defines a custom command backend.
#[utoipa::path(
    tag = "backends",
    request_body = CustomBackendInput,
    responses(
        (status = 201, body = BackendView),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, description = "Invalid values", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/backends")]
pub async fn create_backend(
    state: web::Data<AppState>,
    input: web::Json<CustomBackendInput>,
) -> Result<HttpResponse, ApiError> {
    let CustomBackendInput { name, command, args, env, working_dir } = input.into_inner();
    let request = CustomBackendRequest { name, command, args, env, working_dir };
    Ok(HttpResponse::Created().json(view(state.backends.create(request).await?)))
}

/// Deletes a custom backend (built-in ones cannot be deleted).
#[utoipa::path(
    tag = "backends",
    params(("id" = String, Path, description = "Backend id")),
    responses(
        (status = 200, description = "Deleted"),
        (status = 403, description = "A built-in backend", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[delete("/backends/{id}")]
pub async fn delete_backend(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.backends.delete(&id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "message": "Backend deleted", "backend_id": id.as_str() })))
}
