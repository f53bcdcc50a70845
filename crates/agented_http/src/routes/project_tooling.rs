//! `/admin/projects/{id}/tooling`: the MCP servers, skills, commands, hooks and rules a
//! project's planning and research runs get (the original's `/admin/projects/{id}/mcp-servers`,
//! for every kind).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::roadmap_views::ProjectSummary;
use crate::routes::trigger_input::{ToolingAttachments, optional_json};
use actix_web::{HttpResponse, get, put, web};

/// What a project's runs get.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses((status = 200, body = ToolingAttachments), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/projects/{id}/tooling")]
pub async fn get_project_tooling(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ToolingAttachments::from(&state.projects.get(&id).await?.tooling)))
}

/// Replaces what a project's planning and research runs get (ids per kind, in order); its
/// roadmap's version stays.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    request_body = ToolingAttachments,
    responses(
        (status = 200, body = ProjectSummary),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[put("/projects/{id}/tooling")]
pub async fn set_project_tooling(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: ToolingAttachments = optional_json(&body)?;
    let project = state.projects.set_tooling(&id, input.into_input()).await?;
    Ok(HttpResponse::Ok().json(ProjectSummary::from(&project)))
}
