//! A project's accumulated context and research: decisions, todos (addressed
//! by their position, from 1, in the current roadmap) and the research
//! documents of a milestone.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::projects::change_roadmap;
use crate::routes::roadmap_views::RoadmapView;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, patch, post, put, web};
use agented_roadmaps::{Decision, ResearchDoc, ResearchKind, RuleError, Todo};
use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

fn required_text(field: &str, value: Option<&str>, max: usize) -> Result<String, ApiError> {
    let text = value.map(str::trim).unwrap_or_default();
    if text.is_empty() || text.chars().count() > max {
        return Err(ApiError::invalid_fields(BTreeMap::from([(
            field.to_owned(),
            format!("is required, at most {max} characters"),
        )])));
    }
    Ok(text.to_owned())
}

/// The item at 1-based `position` of a list.
fn at(len: usize, what: &str, position: usize) -> Result<usize, RuleError> {
    if (1..=len).contains(&position) { Ok(position - 1) } else { Err(RuleError::NoEntry(format!("{what} {position}"))) }
}

/// A decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
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
    request_body = DecisionInput,
    responses((status = 201, body = RoadmapView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/projects/{id}/decisions")]
pub async fn create_decision(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<DecisionInput>,
) -> Result<HttpResponse, ApiError> {
    let text = required_text("text", input.text.as_deref(), 2000)?;
    let rationale = input.rationale.as_deref().map(str::trim).unwrap_or_default().to_owned();
    let phase = input.phase.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned);
    change_roadmap(&state, &id, StatusCode::CREATED, move |roadmap| {
        roadmap.decisions.push(Decision { text: text.clone(), rationale: rationale.clone(), phase: phase.clone() });
        Ok(())
    })
    .await
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
    change_roadmap(&state, &id, StatusCode::OK, move |roadmap| {
        let i = at(roadmap.decisions.len(), "decision", position)?;
        roadmap.decisions.remove(i);
        Ok(())
    })
    .await
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
    let text = required_text("text", input.text.as_deref(), 2000)?;
    let done = input.done.unwrap_or(false);
    change_roadmap(&state, &id, StatusCode::CREATED, move |roadmap| {
        roadmap.todos.push(Todo { text: text.clone(), done });
        Ok(())
    })
    .await
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
    let text = input.text.as_deref().map(|t| required_text("text", Some(t), 2000)).transpose()?;
    let done = input.done;
    change_roadmap(&state, &id, StatusCode::OK, move |roadmap| {
        let i = at(roadmap.todos.len(), "todo", position)?;
        if let Some(t) = &text {
            roadmap.todos[i].text.clone_from(t);
        }
        if let Some(d) = done {
            roadmap.todos[i].done = d;
        }
        Ok(())
    })
    .await
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
    change_roadmap(&state, &id, StatusCode::OK, move |roadmap| {
        let i = at(roadmap.todos.len(), "todo", position)?;
        roadmap.todos.remove(i);
        Ok(())
    })
    .await
}

/// A research document's markdown.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResearchInput {
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
    request_body = ResearchInput,
    responses((status = 200, body = RoadmapView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[put("/projects/{id}/milestones/{version}/research/{kind}")]
pub async fn put_research(
    state: web::Data<AppState>,
    path: web::Path<(String, String, String)>,
    input: web::Json<ResearchInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, version, kind) = path.into_inner();
    let kind = research_kind(&kind)?;
    let markdown = required_text("markdown", Some(&input.markdown), 200_000)?;
    change_roadmap(&state, &id, StatusCode::OK, move |roadmap| {
        roadmap.put_research(ResearchDoc {
            milestone: version.clone(),
            kind,
            markdown: markdown.clone(),
            produced_by: None,
        })
    })
    .await
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
    change_roadmap(&state, &id, StatusCode::OK, move |roadmap| {
        let before = roadmap.research.len();
        roadmap.research.retain(|d| !(d.milestone == version && d.kind == kind));
        if roadmap.research.len() == before {
            return Err(RuleError::NoEntry(format!("{kind} research of {version}")));
        }
        Ok(())
    })
    .await
}
