//! A project's accumulated context and research: decisions, todos (addressed
//! by their position, from 1, in the current roadmap) and the research
//! documents of a milestone.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::projects::edited;
use crate::routes::roadmap_views::RoadmapView;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, patch, post, put, web};
use agented_roadmaps::{ResearchKind, RoadmapEdit};
use serde::Deserialize;
use utoipa::ToSchema;

/// A decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoadmapDecisionInput {
    /// What was decided.
    pub text: Option<String>,
    /// Why.
    pub rationale: Option<String>,
    /// The phase it came from, as text.
    pub phase: Option<String>,
}

/// Records a decision.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    request_body = RoadmapDecisionInput,
    responses((status = 201, body = RoadmapView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/projects/{id}/decisions")]
pub async fn create_decision(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<RoadmapDecisionInput>,
) -> Result<HttpResponse, ApiError> {
    let RoadmapDecisionInput { text, rationale, phase } = input.into_inner();
    edited(&state, &id, StatusCode::CREATED, RoadmapEdit::AddDecision { text, rationale, phase }).await
}

/// Deletes the decision at a position (from 1).
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), ("position" = usize, Path, description = "From 1")),
    responses((status = 200, body = RoadmapView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/projects/{id}/decisions/{position}")]
pub async fn delete_decision(
    state: web::Data<AppState>,
    path: web::Path<(String, usize)>,
) -> Result<HttpResponse, ApiError> {
    let (id, position) = path.into_inner();
    edited(&state, &id, StatusCode::OK, RoadmapEdit::DeleteDecision(position)).await
}

/// A todo.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TodoInput {
    /// What.
    pub text: Option<String>,
    /// Checked off.
    pub done: Option<bool>,
}

/// Adds a todo.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    request_body = TodoInput,
    responses((status = 201, body = RoadmapView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/projects/{id}/todos")]
pub async fn create_todo(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<TodoInput>,
) -> Result<HttpResponse, ApiError> {
    let TodoInput { text, done } = input.into_inner();
    edited(&state, &id, StatusCode::CREATED, RoadmapEdit::AddTodo { text, done }).await
}

/// Changes the todo at a position (from 1): its text or whether it is done.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), ("position" = usize, Path, description = "From 1")),
    request_body = TodoInput,
    responses((status = 200, body = RoadmapView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[patch("/projects/{id}/todos/{position}")]
pub async fn update_todo(
    state: web::Data<AppState>,
    path: web::Path<(String, usize)>,
    input: web::Json<TodoInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, position) = path.into_inner();
    let TodoInput { text, done } = input.into_inner();
    edited(&state, &id, StatusCode::OK, RoadmapEdit::UpdateTodo { position, text, done }).await
}

/// Deletes the todo at a position (from 1).
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), ("position" = usize, Path, description = "From 1")),
    responses((status = 200, body = RoadmapView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/projects/{id}/todos/{position}")]
pub async fn delete_todo(
    state: web::Data<AppState>,
    path: web::Path<(String, usize)>,
) -> Result<HttpResponse, ApiError> {
    let (id, position) = path.into_inner();
    edited(&state, &id, StatusCode::OK, RoadmapEdit::DeleteTodo(position)).await
}

/// A research document's markdown.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResearchDocumentInput {
    /// The document, header block included (at most 200,000 characters).
    pub markdown: String,
}

fn research_kind(kind: &str) -> Result<ResearchKind, ApiError> {
    kind.parse().map_err(|e: agented_roadmaps::UnknownValue| ApiError::not_found(e.to_string()))
}

/// Writes (creates or replaces) a milestone's research document of one kind.
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = String, Path, description = "Project id"),
        ("version" = String, Path, description = "Milestone version"),
        ("kind" = String, Path, description = "stack, features, architecture, pitfalls or summary"),
    ),
    request_body = ResearchDocumentInput,
    responses((status = 200, body = RoadmapView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[put("/projects/{id}/milestones/{version}/research/{kind}")]
pub async fn put_research(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    input: web::Json<ResearchDocumentInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, version, kind) = path.into_inner();
    let kind = research_kind(&kind)?;
    let markdown = input.into_inner().markdown;
    edited(&state, &id, StatusCode::OK, RoadmapEdit::PutResearch { version, kind, markdown }).await
}

/// Deletes a milestone's research document of one kind.
#[utoipa::path(
    tag = "projects",
    params(
        ("id" = String, Path, description = "Project id"),
        ("version" = String, Path, description = "Milestone version"),
        ("kind" = String, Path, description = "stack, features, architecture, pitfalls or summary"),
    ),
    responses((status = 200, body = RoadmapView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/projects/{id}/milestones/{version}/research/{kind}")]
pub async fn delete_research(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, version, kind) = path.into_inner();
    let kind = research_kind(&kind)?;
    edited(&state, &id, StatusCode::OK, RoadmapEdit::DeleteResearch { version, kind }).await
}
