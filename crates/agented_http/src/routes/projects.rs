//! Projects and their roadmaps under `/api/projects`: create, list, rename,
//! delete, import from `.planning/` files or a local folder, the roadmap with
//! coverage, progress and layers, and export (JSON or zip).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::roadmap_views::{ProjectSummary, RoadmapView};
use actix_web::{HttpResponse, delete, get, post, put, web};
use agented_kernel::ProjectId;
use agented_roadmaps::{PhaseNumber, Project, Roadmap, RuleError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use utoipa::ToSchema;

/// Files an import may hold, at most.
pub const MAX_IMPORT_FILES: usize = 500;
/// Bytes a path import may read, at most.
pub const MAX_IMPORT_BYTES: u64 = 5 * 1024 * 1024;

/// Applies `change` to project `id`'s roadmap and answers the new roadmap with `status`.
pub(crate) async fn change_roadmap(
    state: &AppState,
    id: &str,
    status: actix_web::http::StatusCode,
    change: impl Fn(&mut Roadmap) -> Result<(), RuleError> + Send + Sync,
) -> Result<HttpResponse, ApiError> {
    let id = parse_project_id(id)?;
    let (_, project) = state.projects.change(&id, change).await?;
    Ok(HttpResponse::build(status).json(RoadmapView::from(&project)))
}

pub(crate) fn parse_project_id(id: &str) -> Result<ProjectId, ApiError> {
    ProjectId::parse(id).map_err(|_| ApiError::not_found("project not found"))
}

pub(crate) async fn load_project(state: &AppState, id: &str) -> Result<Project, ApiError> {
    let id = parse_project_id(id)?;
    state
        .projects
        .projects()
        .get(&id)
        .await
        .map_err(|e| ApiError::unavailable(&e))?
        .ok_or_else(|| ApiError::not_found("project not found"))
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid_fields(BTreeMap::from([(
            "name".to_owned(),
            "must be 1–100 characters without control characters".to_owned(),
        )])));
    }
    Ok(name.to_owned())
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
    let projects = state.projects.projects().list().await.map_err(|e| ApiError::unavailable(&e))?;
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
    let name = check_name(&input.name)?;
    let project = state.projects.create(Roadmap { project: name, ..Roadmap::default() }).await?;
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
    Ok(HttpResponse::Ok().json(ProjectSummary::from(&load_project(&state, &id).await?)))
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
    let id = parse_project_id(&id)?;
    let name = input.name.as_deref().map(check_name).transpose()?;
    let active = match input.active_phase.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(text) => Some(Some(
            PhaseNumber::parse(text)
                .map_err(|e| ApiError::invalid_fields(BTreeMap::from([("active_phase".to_owned(), e.to_string())])))?,
        )),
    };
    let (_, project) = state
        .projects
        .change(&id, |roadmap| {
            if let Some(name) = &name {
                roadmap.project.clone_from(name);
            }
            if let Some(active) = &active {
                if let Some(n) = active
                    && roadmap.phase(n).is_none()
                {
                    return Err(RuleError::NoPhase(n.clone()));
                }
                roadmap.active_phase.clone_from(active);
            }
            Ok(())
        })
        .await?;
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
    let id = parse_project_id(&id)?;
    state.projects.projects().delete(&id).await.map_err(|e| match e {
        agented_roadmaps::ProjectWriteError::NotFound => ApiError::not_found("project not found"),
        other => ApiError::unavailable(&other),
    })?;
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

fn check_files(files: &BTreeMap<String, String>) -> Result<(), ApiError> {
    if files.is_empty() || files.len() > MAX_IMPORT_FILES {
        return Err(invalid("files", format!("must hold 1–{MAX_IMPORT_FILES} files")));
    }
    for path in files.keys() {
        let bad = path.is_empty()
            || path.len() > 300
            || path.starts_with('/')
            || path.split('/').any(|s| s.is_empty() || s == ".." || s == ".")
            || path.chars().any(char::is_control);
        if bad {
            return Err(invalid("files", format!("'{path}' is not a relative path inside .planning/")));
        }
    }
    Ok(())
}

/// Reads the markdown files under a local `.planning/` folder (no symbolic links, bounded).
fn read_planning(path: &str) -> Result<BTreeMap<String, String>, String> {
    let root = Path::new(path.trim());
    if !root.is_absolute() {
        return Err("must be an absolute path".into());
    }
    let folder =
        if root.file_name().is_some_and(|n| n == ".planning") { root.to_owned() } else { root.join(".planning") };
    if !folder.is_dir() {
        return Err(format!("{} is not a folder", folder.display()));
    }
    let mut files = BTreeMap::new();
    let mut budget = MAX_IMPORT_BYTES;
    let mut stack: Vec<(PathBuf, usize)> = vec![(folder.clone(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else { continue };
            let p = entry.path();
            if kind.is_dir() && depth < 6 {
                stack.push((p, depth + 1));
            } else if kind.is_file() && p.extension().is_some_and(|e| e == "md") {
                let size = entry.metadata().map(|m| m.len()).unwrap_or(u64::MAX);
                if size > budget || files.len() >= MAX_IMPORT_FILES {
                    return Err(format!("more than {MAX_IMPORT_FILES} files or {MAX_IMPORT_BYTES} bytes of markdown"));
                }
                budget -= size;
                let text = std::fs::read_to_string(&p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
                let relative = p.strip_prefix(&folder).map_err(|e| e.to_string())?.to_string_lossy().into_owned();
                files.insert(relative, text);
            }
        }
    }
    if files.is_empty() {
        return Err(format!("{} holds no markdown files", folder.display()));
    }
    Ok(files)
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
    let name = check_name(&input.name)?;
    let files = match (input.files, input.path) {
        (Some(files), None) => {
            check_files(&files)?;
            files
        }
        (None, Some(path)) => web::block(move || read_planning(&path))
            .await
            .map_err(|e| ApiError::unavailable(&e))?
            .map_err(|e| invalid("path", e))?,
        _ => return Err(invalid("files", "give either files or path")),
    };
    let mut imported = agented_roadmaps::import(&name, &files);
    imported.roadmap.project = name;
    let mut warnings = imported.warnings;
    if let Err(rule) = imported.roadmap.check_dependencies() {
        // Stored without the broken dependencies, so the rest is usable; the warning says which.
        for phase in imported.roadmap.milestones.iter_mut().flat_map(|m| &mut m.phases) {
            phase.depends_on.clear();
        }
        warnings.push(format!("{rule}: every dependency was dropped; set them again"));
    }
    let project = state.projects.create(imported.roadmap).await?;
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
    Ok(HttpResponse::Ok().json(RoadmapView::from(&load_project(&state, &id).await?)))
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
    let project = load_project(&state, &id).await?;
    let files = agented_roadmaps::export(&project.roadmap);
    match query.format.as_deref().unwrap_or("json") {
        "json" => Ok(HttpResponse::Ok().json(ExportedFiles { files })),
        "zip" => {
            let bytes = zip_files(&files).map_err(|e| ApiError::unavailable(&e))?;
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

/// The files under `.planning/` in a zip.
fn zip_files(files: &BTreeMap<String, String>) -> Result<Vec<u8>, zip::result::ZipError> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (path, text) in files {
        zip.start_file(format!(".planning/{path}"), options)?;
        zip.write_all(text.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}
