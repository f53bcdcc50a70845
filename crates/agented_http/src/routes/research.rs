//! Milestone research under `/api/projects/{id}/research`: four parallel runs
//! (stack, features, architecture, pitfalls) and a summary, each an ordinary
//! execution of the `bot-planner` trigger.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::planning::{backend, ids, parse_project_id};
use actix_web::{HttpResponse, get, post, web};
use agented_roadmaps::ResearchKind;
use agented_roadmaps::planning::{ResearchRun, prompts::default_research_templates};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The research prompt templates.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResearchTemplates {
    /// Kind (`stack`, `features`, `architecture`, `pitfalls`, `summary`) → template.
    pub templates: BTreeMap<String, String>,
    /// The placeholders a template may use.
    pub placeholders: Vec<&'static str>,
}

/// The default research prompt templates, to edit before starting research.
#[utoipa::path(
    tag = "planning",
    responses((status = 200, body = ResearchTemplates)),
    security(("api_key" = []))
)]
#[get("/planning/research-templates")]
pub async fn research_templates() -> HttpResponse {
    HttpResponse::Ok().json(ResearchTemplates {
        templates: default_research_templates().into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
        placeholders: vec![
            "{project}",
            "{milestone}",
            "{goal}",
            "{plan}",
            "{stack}",
            "{features}",
            "{architecture}",
            "{pitfalls}",
        ],
    })
}

/// One part of a research run.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResearchPartView {
    /// `stack`, `features`, `architecture`, `pitfalls` or `summary`.
    pub kind: String,
    /// `waiting`, `starting`, `running`, `done` or `failed`.
    pub status: String,
    /// Its latest run.
    pub execution_id: Option<String>,
    /// Why it failed.
    pub error: Option<String>,
}

/// A research run.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResearchRunView {
    /// `plan-…`.
    pub id: String,
    /// The project.
    pub project_id: String,
    /// The milestone's version.
    pub milestone: String,
    /// The CLI asked.
    pub backend: String,
    /// `researching`, `synthesising`, `done` or `failed`.
    pub stage: String,
    /// The four parts, then the summary.
    pub parts: Vec<ResearchPartView>,
    /// The templates it started with.
    pub templates: BTreeMap<String, String>,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<ResearchRun> for ResearchRunView {
    fn from(r: ResearchRun) -> Self {
        Self {
            id: r.id.to_string(),
            project_id: r.project_id.to_string(),
            stage: r.stage().as_str().to_owned(),
            backend: r.backend.to_string(),
            parts: r
                .parts
                .into_iter()
                .map(|p| ResearchPartView {
                    kind: p.kind.to_string(),
                    status: p.status.as_str().to_owned(),
                    execution_id: p.execution_id.map(|e| e.to_string()),
                    error: p.error,
                })
                .collect(),
            templates: r.templates.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
            milestone: r.milestone,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Starts a milestone's research.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResearchInput {
    /// `claude` (default), `codex`, `gemini` or `opencode`.
    pub backend: Option<String>,
    /// Kind → template, replacing the defaults of the kinds given.
    #[serde(default)]
    pub templates: BTreeMap<String, String>,
}

/// Starts four research runs at once (stack, features, architecture, pitfalls); a summary run follows them.
#[utoipa::path(
    tag = "planning",
    params(("id" = String, Path, description = "Project id"), ("version" = String, Path, description = "Milestone version")),
    request_body = ResearchInput,
    responses(
        (status = 202, body = ResearchRunView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Research of the milestone is running, or the planner is disabled"),
        (status = 422, body = ErrorBody), (status = 503, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/projects/{id}/milestones/{version}/research")]
pub async fn start_research(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    input: web::Json<ResearchInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = path.into_inner();
    let project = parse_project_id(&id)?;
    let input = input.into_inner();
    let backend = backend(input.backend.as_deref().unwrap_or("claude"))?;
    let mut templates = BTreeMap::new();
    for (kind, template) in input.templates {
        let kind: ResearchKind = kind.parse().map_err(|e: agented_roadmaps::UnknownValue| {
            ApiError::invalid_fields(BTreeMap::from([("templates".to_owned(), e.to_string())]))
        })?;
        templates.insert(kind, template);
    }
    let run = state.planning.start_research(&project, &version, backend, templates).await?;
    Ok(HttpResponse::Accepted().json(ResearchRunView::from(run)))
}

/// A project's research runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResearchRunList {
    /// Newest first.
    pub research_runs: Vec<ResearchRunView>,
}

/// Lists a project's research runs, newest first.
#[utoipa::path(
    tag = "planning",
    params(("id" = String, Path, description = "Project id")),
    responses((status = 200, body = ResearchRunList), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/projects/{id}/research-runs")]
pub async fn list_research(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let project = parse_project_id(&id)?;
    let runs = state.planning.research_runs(&project).await?;
    Ok(HttpResponse::Ok()
        .json(ResearchRunList { research_runs: runs.into_iter().map(ResearchRunView::from).collect() }))
}

/// One research run, advanced: finished parts stored as research documents, the summary started when due.
#[utoipa::path(
    tag = "planning",
    params(("id" = String, Path, description = "Project id"), ("run" = String, Path, description = "Research run id")),
    responses((status = 200, body = ResearchRunView), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/projects/{id}/research-runs/{run}")]
pub async fn get_research(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (project, id) = ids(&path, "research run")?;
    let run = state.planning.research(&project, &id).await?;
    Ok(HttpResponse::Ok().json(ResearchRunView::from(run)))
}

/// Starts the failed parts of a research run again.
#[utoipa::path(
    tag = "planning",
    params(("id" = String, Path, description = "Project id"), ("run" = String, Path, description = "Research run id")),
    responses(
        (status = 202, body = ResearchRunView), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "Nothing failed, or parts are still running"), (status = 503, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/projects/{id}/research-runs/{run}/retry")]
pub async fn retry_research(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (project, id) = ids(&path, "research run")?;
    let run = state.planning.retry_research(&project, &id).await?;
    Ok(HttpResponse::Accepted().json(ResearchRunView::from(run)))
}
