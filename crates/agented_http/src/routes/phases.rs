//! Milestones, phases and requirements of a project. Every change is checked
//! against the whole roadmap: a dependency cycle is a 422 naming it, removing a
//! phase others depend on is a 409 naming them. Answers carry the new roadmap.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::projects::edited;
use crate::routes::roadmap_views::RoadmapView;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, delete, patch, post, web};
use agented_roadmaps::{MilestoneFields, PhaseFields, PhaseNumber, RequirementFields, RequirementId, RoadmapEdit};
use serde::Deserialize;
use utoipa::ToSchema;

/// A phase's fields; on create `milestone`, `number` and `name` are required.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PhaseInput {
    /// Create: the milestone's version. Update: moves the phase there.
    pub milestone: Option<String>,
    /// Create only: `3`, `2.1`.
    pub number: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// What is true when it is done.
    pub goal: Option<String>,
    /// `survey`, `implement`, `evaluate` or `integrate` (`""` clears it).
    pub phase_type: Option<String>,
    /// Phase numbers.
    pub depends_on: Option<Vec<String>>,
    /// Requirement ids.
    pub requirements: Option<Vec<String>>,
    /// What must be true.
    pub success_criteria: Option<Vec<String>>,
    /// `sanity`, `proxy`, `full` or `deferred`.
    pub verification_level: Option<String>,
    /// `pending`, `in_progress`, `complete` or `deferred`.
    pub status: Option<String>,
}

impl From<PhaseInput> for PhaseFields {
    fn from(i: PhaseInput) -> Self {
        Self {
            milestone: i.milestone,
            number: i.number,
            name: i.name,
            goal: i.goal,
            phase_type: i.phase_type,
            depends_on: i.depends_on,
            requirements: i.requirements,
            success_criteria: i.success_criteria,
            verification_level: i.verification_level,
            status: i.status,
        }
    }
}

/// Changes a phase: dependencies (checked for cycles), status, fields, or its milestone.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), ("number" = String, Path, description = "Phase number")),
    request_body = PhaseInput,
    responses(
        (status = 200, body = RoadmapView),
        (status = 400, body = ErrorBody),
        (status = 404, description = "No such project or phase", body = ErrorBody),
        (status = 422, description = "Invalid values, or dependencies that would form a cycle (named)", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[patch("/projects/{id}/phases/{number}")]
pub async fn update_phase(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    input: web::Json<PhaseInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, number) = path.into_inner();
    let number = PhaseNumber::parse(&number).map_err(|_| ApiError::not_found(format!("phase {number} not found")))?;
    edited(&state, &id, StatusCode::OK, RoadmapEdit::UpdatePhase(number, input.into_inner().into())).await
}

/// Adds a phase to a milestone.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    request_body = PhaseInput,
    responses(
        (status = 201, body = RoadmapView),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The number is taken, or no such milestone", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/projects/{id}/phases")]
pub async fn create_phase(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<PhaseInput>,
) -> Result<HttpResponse, ApiError> {
    edited(&state, &id, StatusCode::CREATED, RoadmapEdit::AddPhase(input.into_inner().into())).await
}

/// Deletes a phase no other phase depends on (409 naming them otherwise).
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), ("number" = String, Path, description = "Phase number")),
    responses(
        (status = 200, body = RoadmapView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Other phases depend on it", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[delete("/projects/{id}/phases/{number}")]
pub async fn delete_phase(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, number) = path.into_inner();
    let number = PhaseNumber::parse(&number).map_err(|_| ApiError::not_found(format!("phase {number} not found")))?;
    edited(&state, &id, StatusCode::OK, RoadmapEdit::DeletePhase(number)).await
}

/// A milestone's fields; on create `version` and `name` are required.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MilestoneInput {
    /// Create only: `v1.2.0`.
    pub version: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// What it achieves.
    pub goal: Option<String>,
    /// `planned`, `active` or `complete`.
    pub status: Option<String>,
}

/// Adds a milestone.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    request_body = MilestoneInput,
    responses(
        (status = 201, body = RoadmapView),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The version is taken", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/projects/{id}/milestones")]
pub async fn create_milestone(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<MilestoneInput>,
) -> Result<HttpResponse, ApiError> {
    edited(&state, &id, StatusCode::CREATED, RoadmapEdit::AddMilestone(input.into_inner().into())).await
}

/// Changes a milestone's name, goal or status.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), ("version" = String, Path, description = "Milestone version")),
    request_body = MilestoneInput,
    responses(
        (status = 200, body = RoadmapView),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[patch("/projects/{id}/milestones/{version}")]
pub async fn update_milestone(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    input: web::Json<MilestoneInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = path.into_inner();
    edited(&state, &id, StatusCode::OK, RoadmapEdit::UpdateMilestone(version, input.into_inner().into())).await
}

/// A requirement's fields; on create `id` and `text` are required.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RequirementInput {
    /// Create only: `CAT-NN`, unique in the project.
    pub id: Option<String>,
    /// Category name (default: the id's category).
    pub category: Option<String>,
    /// What is required.
    pub text: Option<String>,
    /// `v1` (default), `v2` or `out_of_scope`.
    pub tier: Option<String>,
    /// Free text (`""` clears it).
    pub priority: Option<String>,
    /// `pending`, `in_progress`, `done` or `deferred`.
    pub status: Option<String>,
    /// The phase number it maps to (`""` clears it).
    pub phase: Option<String>,
}

impl From<MilestoneInput> for MilestoneFields {
    fn from(i: MilestoneInput) -> Self {
        Self { version: i.version, name: i.name, goal: i.goal, status: i.status }
    }
}

impl From<RequirementInput> for RequirementFields {
    fn from(i: RequirementInput) -> Self {
        Self {
            id: i.id,
            category: i.category,
            text: i.text,
            tier: i.tier,
            priority: i.priority,
            status: i.status,
            phase: i.phase,
        }
    }
}

/// Adds a requirement.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    request_body = RequirementInput,
    responses(
        (status = 201, body = RoadmapView),
        (status = 400, body = ErrorBody),
        (status = 404, description = "No such project, or no such phase", body = ErrorBody),
        (status = 409, description = "The id is taken", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/projects/{id}/requirements")]
pub async fn create_requirement(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<RequirementInput>,
) -> Result<HttpResponse, ApiError> {
    edited(&state, &id, StatusCode::CREATED, RoadmapEdit::AddRequirement(input.into_inner().into())).await
}

/// Changes a requirement.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), ("req_id" = String, Path, description = "Requirement id")),
    request_body = RequirementInput,
    responses(
        (status = 200, body = RoadmapView),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[patch("/projects/{id}/requirements/{req_id}")]
pub async fn update_requirement(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    input: web::Json<RequirementInput>,
) -> Result<HttpResponse, ApiError> {
    let (id, req_id) = path.into_inner();
    let req_id =
        RequirementId::parse(&req_id).map_err(|_| ApiError::not_found(format!("requirement {req_id} not found")))?;
    edited(&state, &id, StatusCode::OK, RoadmapEdit::UpdateRequirement(req_id, input.into_inner().into())).await
}

/// Deletes a requirement (and its mention in phases).
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), ("req_id" = String, Path, description = "Requirement id")),
    responses((status = 200, body = RoadmapView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/projects/{id}/requirements/{req_id}")]
pub async fn delete_requirement(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, req_id) = path.into_inner();
    let req_id =
        RequirementId::parse(&req_id).map_err(|_| ApiError::not_found(format!("requirement {req_id} not found")))?;
    edited(&state, &id, StatusCode::OK, RoadmapEdit::DeleteRequirement(req_id)).await
}
