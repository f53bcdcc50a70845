//! Milestones, phases and requirements of a project. Every change is checked
//! against the whole roadmap: a dependency cycle is a 422 naming it, removing a
//! phase others depend on is a 409 naming them. Answers carry the new roadmap.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::projects::change_roadmap;
use crate::routes::roadmap_views::RoadmapView;
use actix_web::{HttpResponse, delete, patch, post, web};
use agented_roadmaps::{
    Milestone, MilestoneStatus, Phase, PhaseNumber, PhaseStatus, PhaseType, Requirement, RequirementId,
    RequirementStatus, Roadmap, RuleError, Tier, VerificationLevel,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::str::FromStr;
use utoipa::ToSchema;

type Fields = BTreeMap<String, String>;

fn parse_into<T: FromStr>(errors: &mut Fields, field: &str, value: Option<&str>) -> Option<T>
where
    T::Err: std::fmt::Display,
{
    let value = value?;
    match value.trim().parse() {
        Ok(v) => Some(v),
        Err(e) => {
            errors.insert(field.to_owned(), e.to_string());
            None
        }
    }
}

fn text(errors: &mut Fields, field: &str, value: Option<&String>, max: usize) -> Option<String> {
    let value = value?.trim().to_owned();
    if value.chars().count() > max {
        errors.insert(field.to_owned(), format!("must be at most {max} characters"));
    }
    Some(value)
}

fn list<T: FromStr>(errors: &mut Fields, field: &str, values: Option<&Vec<String>>) -> Option<Vec<T>>
where
    T::Err: std::fmt::Display,
{
    let values = values?;
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        match v.trim().parse::<T>() {
            Ok(x) => out.push(x),
            Err(e) => {
                errors.insert(field.to_owned(), e.to_string());
                return None;
            }
        }
    }
    Some(out)
}

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

/// A validated [`PhaseInput`].
#[derive(Clone)]
struct PhaseChange {
    milestone: Option<String>,
    name: Option<String>,
    goal: Option<String>,
    phase_type: Option<Option<PhaseType>>,
    depends_on: Option<Vec<PhaseNumber>>,
    requirements: Option<Vec<RequirementId>>,
    success_criteria: Option<Vec<String>>,
    verification_level: Option<VerificationLevel>,
    status: Option<PhaseStatus>,
}

impl PhaseInput {
    fn validate(&self, errors: &mut Fields) -> PhaseChange {
        let phase_type = match self.phase_type.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(t) => parse_into(errors, "phase_type", Some(t)).map(Some),
        };
        PhaseChange {
            milestone: self.milestone.as_ref().map(|m| m.trim().to_owned()),
            name: text(errors, "name", self.name.as_ref(), 200),
            goal: text(errors, "goal", self.goal.as_ref(), 2000),
            phase_type,
            depends_on: list(errors, "depends_on", self.depends_on.as_ref()),
            requirements: list(errors, "requirements", self.requirements.as_ref()),
            success_criteria: self.success_criteria.clone(),
            verification_level: parse_into(errors, "verification_level", self.verification_level.as_deref()),
            status: parse_into(errors, "status", self.status.as_deref()),
        }
    }
}

impl PhaseChange {
    fn apply(&self, phase: &mut Phase) {
        if let Some(v) = &self.name {
            phase.name.clone_from(v);
        }
        if let Some(v) = &self.goal {
            phase.goal.clone_from(v);
        }
        if let Some(v) = self.phase_type {
            phase.phase_type = v;
        }
        if let Some(v) = &self.requirements {
            phase.requirements.clone_from(v);
        }
        if let Some(v) = &self.success_criteria {
            phase.success_criteria.clone_from(v);
        }
        if let Some(v) = self.verification_level {
            phase.verification_level = v;
        }
        if let Some(v) = self.status {
            phase.status = v;
        }
    }
}

fn no_milestone(version: &str) -> RuleError {
    RuleError::NoMilestone(version.to_owned())
}

fn milestone_mut<'a>(roadmap: &'a mut Roadmap, version: &str) -> Option<&'a mut Milestone> {
    roadmap.milestones.iter_mut().find(|m| m.version == version)
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
    let mut errors = Fields::new();
    if input.number.is_some() {
        errors.insert("number".into(), "cannot change; create a phase with the new number instead".into());
    }
    let change = input.validate(&mut errors);
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    change_roadmap(&state, &id, actix_web::http::StatusCode::OK, move |roadmap| {
        if let Some(deps) = &change.depends_on {
            roadmap.set_dependencies(&number, deps.clone())?;
        }
        let phase = roadmap.phase_mut(&number).ok_or_else(|| RuleError::NoPhase(number.clone()))?;
        change.apply(phase);
        if let Some(target) = &change.milestone {
            move_phase(roadmap, &number, target)?;
        }
        Ok(())
    })
    .await
}

fn move_phase(roadmap: &mut Roadmap, number: &PhaseNumber, target: &str) -> Result<(), RuleError> {
    if milestone_mut(roadmap, target).is_none() {
        return Err(no_milestone(target));
    }
    let phase = roadmap.take_phase(number).ok_or_else(|| RuleError::NoPhase(number.clone()))?;
    let milestone = milestone_mut(roadmap, target).ok_or_else(|| no_milestone(target))?;
    milestone.phases.push(phase);
    milestone.phases.sort_by(|a, b| a.number.cmp(&b.number));
    Ok(())
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
    let mut errors = Fields::new();
    let change = input.validate(&mut errors);
    let number: Option<PhaseNumber> = parse_into(&mut errors, "number", input.number.as_deref());
    for (field, missing) in [
        ("number", input.number.is_none()),
        ("name", change.name.as_deref().is_none_or(str::is_empty)),
        ("milestone", change.milestone.is_none()),
    ] {
        if missing {
            errors.entry(field.into()).or_insert_with(|| "is required".into());
        }
    }
    let (Some(number), true) = (number, errors.is_empty()) else { return Err(ApiError::invalid_fields(errors)) };
    change_roadmap(&state, &id, actix_web::http::StatusCode::CREATED, move |roadmap| {
        if roadmap.phase(&number).is_some() {
            return Err(RuleError::Duplicate(format!("phase {number}")));
        }
        let version = change.milestone.clone().unwrap_or_default();
        let mut phase = Phase::new(number.clone(), "");
        change.apply(&mut phase);
        phase.depends_on = change.depends_on.clone().unwrap_or_default();
        let milestone = milestone_mut(roadmap, &version).ok_or_else(|| no_milestone(&version))?;
        milestone.phases.push(phase);
        milestone.phases.sort_by(|a, b| a.number.cmp(&b.number));
        Ok(())
    })
    .await
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
    change_roadmap(&state, &id, actix_web::http::StatusCode::OK, move |roadmap| {
        roadmap.remove_phase(&number).map(|_| ())?;
        if roadmap.active_phase.as_ref() == Some(&number) {
            roadmap.active_phase = None;
        }
        Ok(())
    })
    .await
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
    let mut errors = Fields::new();
    let version = text(&mut errors, "version", input.version.as_ref(), 40).unwrap_or_default();
    if let Err(rule) = agented_roadmaps::check_version(&version) {
        errors.entry("version".into()).or_insert(rule);
    }
    let name = text(&mut errors, "name", input.name.as_ref(), 200).unwrap_or_default();
    let goal = text(&mut errors, "goal", input.goal.as_ref(), 2000).unwrap_or_default();
    let status: MilestoneStatus =
        parse_into(&mut errors, "status", input.status.as_deref()).unwrap_or(MilestoneStatus::Planned);
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    change_roadmap(&state, &id, actix_web::http::StatusCode::CREATED, move |roadmap| {
        if roadmap.milestones.iter().any(|m| m.version == version) {
            return Err(RuleError::Duplicate(format!("milestone {version}")));
        }
        roadmap.milestones.push(Milestone {
            version: version.clone(),
            name: name.clone(),
            goal: goal.clone(),
            status,
            phases: Vec::new(),
        });
        Ok(())
    })
    .await
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
    let mut errors = Fields::new();
    if input.version.is_some() {
        errors.insert("version".into(), "cannot change".into());
    }
    let name = text(&mut errors, "name", input.name.as_ref(), 200);
    let goal = text(&mut errors, "goal", input.goal.as_ref(), 2000);
    let status: Option<MilestoneStatus> = parse_into(&mut errors, "status", input.status.as_deref());
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    change_roadmap(&state, &id, actix_web::http::StatusCode::OK, move |roadmap| {
        let milestone = milestone_mut(roadmap, &version).ok_or_else(|| no_milestone(&version))?;
        if let Some(v) = &name {
            milestone.name.clone_from(v);
        }
        if let Some(v) = &goal {
            milestone.goal.clone_from(v);
        }
        if let Some(v) = status {
            milestone.status = v;
        }
        Ok(())
    })
    .await
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

#[derive(Clone)]
struct RequirementChange {
    category: Option<String>,
    text: Option<String>,
    tier: Option<Tier>,
    priority: Option<Option<String>>,
    status: Option<RequirementStatus>,
    phase: Option<Option<PhaseNumber>>,
}

impl RequirementInput {
    fn validate(&self, errors: &mut Fields) -> RequirementChange {
        let phase = match self.phase.as_deref().map(str::trim) {
            None => None,
            Some("") => Some(None),
            Some(p) => parse_into(errors, "phase", Some(p)).map(Some),
        };
        RequirementChange {
            category: text(errors, "category", self.category.as_ref(), 100),
            text: text(errors, "text", self.text.as_ref(), 2000),
            tier: parse_into(errors, "tier", self.tier.as_deref()),
            priority: text(errors, "priority", self.priority.as_ref(), 50).map(|p| (!p.is_empty()).then_some(p)),
            status: parse_into(errors, "status", self.status.as_deref()),
            phase,
        }
    }
}

impl RequirementChange {
    fn apply(&self, roadmap: &Roadmap, r: &mut Requirement) -> Result<(), RuleError> {
        if let Some(Some(n)) = &self.phase
            && roadmap.phase(n).is_none()
        {
            return Err(RuleError::NoPhase(n.clone()));
        }
        if let Some(v) = &self.category {
            r.category.clone_from(v);
        }
        if let Some(v) = &self.text {
            r.text.clone_from(v);
        }
        if let Some(v) = self.tier {
            r.tier = v;
        }
        if let Some(v) = &self.priority {
            r.priority.clone_from(v);
        }
        if let Some(v) = self.status {
            r.status = v;
        }
        if let Some(v) = &self.phase {
            r.phase.clone_from(v);
        }
        Ok(())
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
    let mut errors = Fields::new();
    let change = input.validate(&mut errors);
    let req_id: Option<RequirementId> = parse_into(&mut errors, "id", input.id.as_deref());
    if input.id.is_none() {
        errors.insert("id".into(), "is required".into());
    }
    if change.text.as_deref().is_none_or(str::is_empty) {
        errors.insert("text".into(), "is required".into());
    }
    let (Some(req_id), true) = (req_id, errors.is_empty()) else { return Err(ApiError::invalid_fields(errors)) };
    change_roadmap(&state, &id, actix_web::http::StatusCode::CREATED, move |roadmap| {
        if roadmap.requirements.iter().any(|r| r.id == req_id) {
            return Err(RuleError::Duplicate(format!("requirement {req_id}")));
        }
        let mut requirement = Requirement {
            category: req_id.category().to_owned(),
            text: String::new(),
            tier: Tier::V1,
            priority: None,
            status: RequirementStatus::Pending,
            phase: None,
            id: req_id.clone(),
        };
        change.apply(roadmap, &mut requirement)?;
        roadmap.requirements.push(requirement);
        roadmap.requirements.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(())
    })
    .await
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
    let mut errors = Fields::new();
    if input.id.is_some() {
        errors.insert("id".into(), "cannot change".into());
    }
    let change = input.validate(&mut errors);
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    change_roadmap(&state, &id, actix_web::http::StatusCode::OK, move |roadmap| {
        let snapshot = roadmap.clone();
        let requirement = roadmap
            .requirements
            .iter_mut()
            .find(|r| r.id == req_id)
            .ok_or_else(|| RuleError::NoRequirement(req_id.clone()))?;
        change.apply(&snapshot, requirement)
    })
    .await
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
    change_roadmap(&state, &id, actix_web::http::StatusCode::OK, move |roadmap| {
        if roadmap.requirements.iter().all(|r| r.id != req_id) {
            return Err(RuleError::NoRequirement(req_id.clone()));
        }
        roadmap.requirements.retain(|r| r.id != req_id);
        for phase in roadmap.milestones.iter_mut().flat_map(|m| &mut m.phases) {
            phase.requirements.retain(|r| r != &req_id);
        }
        Ok(())
    })
    .await
}
