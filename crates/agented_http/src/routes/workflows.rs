//! Workflows under `/admin/workflows`: create, list, change and delete them, and add,
//! read and publish versions of their graphs (`graph_json`, the original's format).

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use actix_web::{HttpResponse, delete, get, post, put, web};
use agented_workflows::{GraphDocument, Workflow, WorkflowPatch, WorkflowVersion};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A workflow.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowView {
    /// `wf-…`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its description.
    pub description: String,
    /// Disabled workflows are kept but not run.
    pub enabled: bool,
    /// The newest version's number (drafts included).
    pub latest_version: Option<i64>,
    /// The newest published version's number: the one runs use.
    pub published_version: Option<i64>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change of its fields or versions.
    pub updated_at: DateTime<Utc>,
}

impl From<Workflow> for WorkflowView {
    fn from(w: Workflow) -> Self {
        Self {
            id: w.id.to_string(),
            name: w.fields.name,
            description: w.fields.description,
            enabled: w.fields.enabled,
            latest_version: w.latest_version,
            published_version: w.published_version,
            created_at: w.created_at,
            updated_at: w.updated_at,
        }
    }
}

/// Every workflow.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkflowList {
    /// Oldest first.
    pub workflows: Vec<WorkflowView>,
}

/// One version of a workflow's graph.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionView {
    /// Its workflow.
    pub workflow_id: String,
    /// 1, 2, … in order of creation.
    pub version: i64,
    /// The graph as written: `{nodes: [{id, type, config, …}], edges: [{source, target, branch?}], settings?}`.
    #[schema(value_type = Object)]
    pub graph_json: GraphDocument,
    /// Runs use published versions only.
    pub is_draft: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl From<WorkflowVersion> for VersionView {
    fn from(v: WorkflowVersion) -> Self {
        Self {
            workflow_id: v.workflow_id.to_string(),
            version: v.version,
            graph_json: v.graph,
            is_draft: v.is_draft,
            created_at: v.created_at,
        }
    }
}

/// A workflow's versions.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionList {
    /// Newest first.
    pub versions: Vec<VersionView>,
}

/// A workflow's fields (create: `name` required; update: any subset), and on create an
/// optional first version.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WorkflowInput {
    /// 1–100 characters.
    pub name: Option<String>,
    /// Up to 2000 characters.
    pub description: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
    /// Create only: the first version's graph (an object, or a string holding its JSON).
    #[schema(value_type = Option<Object>)]
    pub graph_json: Option<Value>,
    /// Create only: the first version is a draft unless `false`.
    pub is_draft: Option<bool>,
}

/// A new version.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionInput {
    /// The graph: an object, or a string holding its JSON (as the original stored it).
    #[schema(value_type = Object)]
    pub graph_json: Value,
    /// A draft unless `false` (default true).
    #[serde(default)]
    pub is_draft: Option<bool>,
}

/// `raw` as a graph, an object or a string holding one; a problem under `graph_json`.
fn graph_of(raw: Value) -> Result<GraphDocument, ApiError> {
    let value = match raw {
        Value::String(text) => serde_json::from_str(&text).map_err(|e| invalid_graph(&e.to_string()))?,
        other => other,
    };
    serde_json::from_value(value).map_err(|e| invalid_graph(&e.to_string()))
}

fn invalid_graph(why: &str) -> ApiError {
    ApiError::invalid_fields(BTreeMap::from([(
        "graph_json".to_owned(),
        format!("not a workflow graph ({{nodes: [{{id, type, config}}], edges: [{{source, target}}]}}): {why}"),
    )]))
}

/// Every workflow.
#[utoipa::path(tag = "workflows", responses((status = 200, body = WorkflowList)), security(("api_key" = [])))]
#[get("/workflows")]
pub async fn list_workflows(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let workflows = state.workflows.list().await?;
    Ok(HttpResponse::Ok().json(WorkflowList { workflows: workflows.into_iter().map(WorkflowView::from).collect() }))
}

/// Creates a workflow, with its first version when `graph_json` is given.
#[utoipa::path(
    tag = "workflows",
    request_body = WorkflowInput,
    responses(
        (status = 201, body = WorkflowView),
        (status = 422, description = "Invalid fields or graph, each by where it is (`graph_json.edges[0].target`)", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/workflows")]
pub async fn create_workflow(
    state: web::Data<AppState>,
    input: web::Json<WorkflowInput>,
) -> Result<HttpResponse, ApiError> {
    let input = input.into_inner();
    let graph = input.graph_json.map(graph_of).transpose()?;
    let patch = WorkflowPatch { name: input.name, description: input.description, enabled: input.enabled };
    let created = state.workflows.create(patch, graph.as_ref(), input.is_draft == Some(false)).await?;
    Ok(HttpResponse::Created().json(WorkflowView::from(created)))
}

/// One workflow.
#[utoipa::path(
    tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    responses((status = 200, body = WorkflowView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/workflows/{id}")]
pub async fn get_workflow(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(WorkflowView::from(state.workflows.get(&id).await?)))
}

/// Changes a workflow's name, description or enabled flag.
#[utoipa::path(
    tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    request_body = WorkflowInput,
    responses((status = 200, body = WorkflowView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[put("/workflows/{id}")]
pub async fn update_workflow(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<WorkflowInput>,
) -> Result<HttpResponse, ApiError> {
    let input = input.into_inner();
    if input.graph_json.is_some() || input.is_draft.is_some() {
        let why = "add a version with POST /admin/workflows/{id}/versions".to_owned();
        return Err(ApiError::invalid_fields(BTreeMap::from([("graph_json".to_owned(), why)])));
    }
    let patch = WorkflowPatch { name: input.name, description: input.description, enabled: input.enabled };
    Ok(HttpResponse::Ok().json(WorkflowView::from(state.workflows.update(&id, patch).await?)))
}

/// Deletes a workflow and its versions.
#[utoipa::path(
    tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/workflows/{id}")]
pub async fn delete_workflow(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.workflows.delete(&id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A workflow's versions, newest first.
#[utoipa::path(
    tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    responses((status = 200, body = VersionList), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/workflows/{id}/versions")]
pub async fn list_versions(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let versions = state.workflows.versions(&id).await?;
    Ok(HttpResponse::Ok().json(VersionList { versions: versions.into_iter().map(VersionView::from).collect() }))
}

/// Adds the workflow's next version; the graph is checked first (a cycle is named).
#[utoipa::path(
    tag = "workflows",
    params(("id" = String, Path, description = "Workflow id")),
    request_body = VersionInput,
    responses(
        (status = 201, body = VersionView),
        (status = 404, body = ErrorBody),
        (status = 422, description = "An invalid graph, each problem by where it is", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/workflows/{id}/versions")]
pub async fn add_version(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<VersionInput>,
) -> Result<HttpResponse, ApiError> {
    let input = input.into_inner();
    let graph = graph_of(input.graph_json)?;
    let added = state.workflows.add_version(&id, &graph, input.is_draft == Some(false)).await?;
    Ok(HttpResponse::Created().json(VersionView::from(added)))
}

/// One version.
#[utoipa::path(
    tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"), ("version" = i64, Path, description = "Version number")),
    responses((status = 200, body = VersionView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/workflows/{id}/versions/{version}")]
pub async fn get_version(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = path.into_inner();
    let version = version.parse().map_err(|_| ApiError::not_found("workflow version not found"))?;
    Ok(HttpResponse::Ok().json(VersionView::from(state.workflows.version(&id, version).await?)))
}

/// Publishes a version: runs use the newest published one.
#[utoipa::path(
    tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"), ("version" = i64, Path, description = "Version number")),
    responses((status = 200, body = VersionView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/workflows/{id}/versions/{version}/publish")]
pub async fn publish_version(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = path.into_inner();
    let version = version.parse().map_err(|_| ApiError::not_found("workflow version not found"))?;
    Ok(HttpResponse::Ok().json(VersionView::from(state.workflows.publish(&id, version).await?)))
}

/// Which version to export.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ExportQuery {
    /// The version (the newest when absent).
    pub version: Option<i64>,
}

/// How to import.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// Publish the imported version (default false: a draft).
    pub publish: Option<bool>,
}

/// A file that passed every check.
#[derive(Debug, Serialize, ToSchema)]
pub struct FileChecked {
    /// Always true (problems are a 422).
    pub valid: bool,
    /// The workflow's name.
    pub name: String,
    /// Its nodes.
    pub nodes: usize,
    /// Its edges.
    pub edges: usize,
}

/// A request body that must be text (a YAML or JSON file).
pub(crate) fn file_text(body: &[u8]) -> Result<&str, ApiError> {
    std::str::from_utf8(body).map_err(|_| {
        ApiError::invalid_fields(BTreeMap::from([("line 1".to_owned(), "the file is not UTF-8 text".to_owned())]))
    })
}

/// A workflow as a YAML file (`kind: workflow`, its fields, its graph), for keeping in a
/// repository; `POST /admin/workflows/import` reads it back.
#[utoipa::path(
    tag = "workflows",
    params(("id" = String, Path, description = "Workflow id"), ExportQuery),
    responses(
        (status = 200, description = "The file", content_type = "application/yaml", body = serde_json::Value),
        (status = 404, description = "No such workflow or version, or no version yet", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[get("/workflows/{id}/export")]
pub async fn export_workflow(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let text = state.workflows.export(&id, query.version).await?;
    Ok(HttpResponse::Ok().content_type("application/yaml; charset=utf-8").body(text))
}

/// Creates a workflow from a YAML (or JSON) file; its graph is version 1. Every problem is
/// answered at once (422), each under its field with its line.
#[utoipa::path(
    tag = "workflows",
    params(ImportQuery),
    request_body(content = String, content_type = "application/yaml", description = "A workflow file, up to 256 KiB"),
    responses(
        (status = 201, body = WorkflowView),
        (status = 422, description = "`details`: field → \"line N: what is wrong\"", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/workflows/import")]
pub async fn import_workflow(
    state: web::Data<AppState>,
    query: web::Query<ImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let created = state.workflows.import(file_text(&body)?, query.publish.unwrap_or(false)).await?;
    Ok(HttpResponse::Created().json(WorkflowView::from(created)))
}

/// Checks a workflow file without storing anything.
#[utoipa::path(
    tag = "workflows",
    request_body(content = String, content_type = "application/yaml", description = "A workflow file, up to 256 KiB"),
    responses(
        (status = 200, body = FileChecked),
        (status = 422, description = "`details`: field → \"line N: what is wrong\"", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/workflows/validate")]
pub async fn validate_workflow(state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let file = state.workflows.validate(file_text(&body)?)?;
    Ok(HttpResponse::Ok().json(FileChecked {
        valid: true,
        name: file.name,
        nodes: file.graph.nodes.len(),
        edges: file.graph.edges.len(),
    }))
}

/// The JSON Schema of workflow files (public, like the API's own description).
#[utoipa::path(
    tag = "workflows",
    responses((status = 200, description = "The schema", content_type = "application/schema+json", body = Object)),
    security(())
)]
#[get("/schemas/workflow.json")]
pub async fn workflow_schema() -> HttpResponse {
    HttpResponse::Ok().content_type("application/schema+json").body(agented_workflows::SCHEMA)
}
