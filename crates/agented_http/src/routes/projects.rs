//! Projects and their roadmaps under `/api/projects`: create, list, rename,
//! delete, import from `.planning/` files or a local folder, the roadmap with
//! coverage, progress and layers, and export (JSON or zip).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::planning_files::{read_planning, zip_files};
use crate::routes::roadmap_views::{ProjectSummary, RoadmapView};
use actix_web::{HttpResponse, delete, get, post, put, web};
use agented_roadmaps::{ProjectFields, RoadmapEdit};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Applies `edit` to project `id`'s roadmap and answers the new roadmap with `status`.
pub(crate) async fn edited(
    state: &AppState,
    id: &str,
    status: actix_web::http::StatusCode,
    edit: RoadmapEdit,
) -> Result<HttpResponse, ApiError> {
    let project = state.projects.edit(id, edit).await?;
    Ok(HttpResponse::build(status).json(RoadmapView::from(&project)))
}

/// Projects, by name.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectList {
    /// Every project.
    pub projects: Vec<ProjectSummary>,
}

/// Every project.
#[utoipa::path(tag = "projects", responses((status = 200, body = ProjectList)), security(("api_key" = [])))]
#[get("/projects")]
pub async fn list_projects(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let projects = state.projects.list().await.map_err(|e| ApiError::unavailable_error(&e))?;
    Ok(HttpResponse::Ok().json(ProjectList { projects: projects.iter().map(ProjectSummary::from).collect() }))
}

/// A new project's name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    /// 1–100 characters, unique.
    pub name: String,
}

/// A project was stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectCreated {
    /// Its id.
    pub project_id: String,
    /// Its name.
    pub name: String,
    /// What the import kept as notes or left out (empty for a new project).
    pub warnings: Vec<String>,
}

/// Creates an empty project.
#[utoipa::path(
    tag = "projects",
    request_body = NewProject,
    responses(
        (status = 201, body = ProjectCreated),
        (status = 400, body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/projects")]
pub async fn create_project(
    state: web::Data<AppState>,
    input: web::Json<NewProject>,
) -> Result<HttpResponse, ApiError> {
    let project = state.projects.create_named(&input.name).await?;
    Ok(HttpResponse::Created().json(ProjectCreated {
        project_id: project.id.to_string(),
        name: project.roadmap.project,
        warnings: Vec::new(),
    }))
}

/// One project.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses((status = 200, body = ProjectSummary), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/projects/{id}")]
pub async fn get_project(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(ProjectSummary::from(&state.projects.get(&id).await?)))
}

/// A project's settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectPatch {
    /// New name.
    pub name: Option<String>,
    /// The phase being worked on (`""` clears it).
    pub active_phase: Option<String>,
}

/// Renames a project or sets its active phase.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    request_body = ProjectPatch,
    responses(
        (status = 200, body = ProjectSummary),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[put("/projects/{id}")]
pub async fn update_project(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<ProjectPatch>,
) -> Result<HttpResponse, ApiError> {
    let ProjectPatch { name, active_phase } = input.into_inner();
    let project = state.projects.edit(&id, RoadmapEdit::Project(ProjectFields { name, active_phase })).await?;
    Ok(HttpResponse::Ok().json(ProjectSummary::from(&project)))
}

/// Deletes a project and its roadmap.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Deleted"), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/projects/{id}")]
pub async fn delete_project(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = state.projects.delete(&id).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "message": "Project deleted", "project_id": id.to_string() })))
}

/// What to import: `.planning/` files by relative path, or a local repository's path.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportInput {
    /// The project's name.
    pub name: String,
    /// `{"ROADMAP.md": "...", "milestones/v1.0/ROADMAP.md": "..."}`.
    pub files: Option<BTreeMap<String, String>>,
    /// An absolute path: a repository holding `.planning/`, or the `.planning` folder itself.
    pub path: Option<String>,
}

fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::invalid_fields(BTreeMap::from([(field.to_owned(), message.into())]))
}

/// Imports a project from GRD `.planning/` files. Never fails on odd content:
/// what is not understood is kept and listed in `warnings`.
#[utoipa::path(
    tag = "projects",
    request_body = ImportInput,
    responses(
        (status = 201, body = ProjectCreated),
        (status = 400, body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, description = "No files, bad paths, or both files and path", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/projects/import")]
pub async fn import_project(
    state: web::Data<AppState>,
    input: web::Json<ImportInput>,
) -> Result<HttpResponse, ApiError> {
    let input = input.into_inner();
    // The name is checked before any file is read.
    agented_roadmaps::edits::project_name(&input.name).map_err(ApiError::invalid_fields)?;
    let files = match (input.files, input.path) {
        (Some(files), None) => files,
        (None, Some(path)) => web::block(move || read_planning(&path))
            .await
            .map_err(|e| ApiError::unavailable_error(&e))?
            .map_err(|e| invalid("path", e))?,
        _ => return Err(invalid("files", "give either files or path")),
    };
    let (project, warnings) = state.projects.import(&input.name, &files).await?;
    Ok(HttpResponse::Created().json(ProjectCreated {
        project_id: project.id.to_string(),
        name: project.roadmap.project,
        warnings,
    }))
}

/// A project's whole roadmap, with coverage, progress, ready phases and parallel layers.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses((status = 200, body = RoadmapView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/projects/{id}/roadmap")]
pub async fn get_roadmap(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(RoadmapView::from(&state.projects.get(&id).await?)))
}

/// Export format.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `json` (default) or `zip`.
    pub format: Option<String>,
}

/// The exported files.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedFiles {
    /// Path relative to `.planning/` → markdown.
    pub files: BTreeMap<String, String>,
}

/// The roadmap as `.planning/` files in GRD's template format (`?format=zip`: a zip of them).
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), ExportQuery),
    responses(
        (status = 200, body = ExportedFiles, description = "JSON, or application/zip with ?format=zip"),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[get("/projects/{id}/export")]
pub async fn export_project(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let project = state.projects.get(&id).await?;
    let files = agented_roadmaps::export(&project.roadmap);
    match query.format.as_deref().unwrap_or("json") {
        "json" => Ok(HttpResponse::Ok().json(ExportedFiles { files })),
        "zip" => {
            let bytes = zip_files(&files, ".planning/").map_err(|e| ApiError::unavailable_error(&e))?;
            Ok(HttpResponse::Ok()
                .content_type("application/zip")
                .insert_header(("Content-Disposition", format!("attachment; filename=\"{}-planning.zip\"", project.id)))
                .body(bytes))
        }
        other => {
            Err(ApiError::bad_request("invalid_format", format!("unknown format '{other}': expected json or zip")))
        }
    }
}
