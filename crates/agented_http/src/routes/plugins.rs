//! `/admin/plugins`: Claude Code plugins imported (their skills, commands and hooks
//! made items), listed, exported to the same layout (JSON or zip), deleted.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::planning_files::zip_files;
use crate::routes::projects::{ExportQuery, ExportedFiles};
use actix_web::{HttpResponse, delete, get, post, web};
use agented_kernel::PluginId;
use agented_tooling::{Imported, Plugin, PluginSource};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// An item made from one of the plugin's files.
#[derive(Debug, Serialize, ToSchema)]
pub struct ComponentView {
    /// The item (`skill-…`, `cmd-…`, `hook-…`).
    pub id: String,
    /// `skill`, `command` or `hook`.
    pub kind: &'static str,
    /// The file it came from.
    pub path: String,
}

/// A plugin.
#[derive(Debug, Serialize, ToSchema)]
pub struct PluginView {
    /// `plugin-…`.
    pub id: String,
    /// Its manifest's name.
    pub name: String,
    /// Its manifest's description.
    pub description: Option<String>,
    /// Its manifest's version.
    pub version: Option<String>,
    /// Its manifest's author.
    pub author: Option<String>,
    /// Where it was imported from.
    pub source: String,
    /// The marketplace it came with.
    pub marketplace: Option<String>,
    /// The items made from it (attach them like any other).
    pub components: Vec<ComponentView>,
    /// Its other files, kept as they were.
    pub files: Vec<String>,
    /// Import time.
    pub created_at: DateTime<Utc>,
}

impl From<Plugin> for PluginView {
    fn from(p: Plugin) -> Self {
        Self {
            id: p.id.to_string(),
            name: p.name,
            description: p.description,
            version: p.version,
            author: p.author,
            source: p.source,
            marketplace: p.marketplace.map(|m| m.name),
            components: p
                .components
                .into_iter()
                .map(|c| ComponentView { kind: c.id.kind().as_str(), id: c.id.to_string(), path: c.path })
                .collect(),
            files: p.files.into_keys().collect(),
            created_at: p.created_at,
        }
    }
}

/// Every plugin.
#[derive(Debug, Serialize, ToSchema)]
pub struct PluginList {
    /// By name.
    pub plugins: Vec<PluginView>,
}

/// Where to import from: exactly one of `files`, `path` or `git`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PluginImport {
    /// The files, by path relative to the plugin's (or marketplace's) root.
    pub files: Option<BTreeMap<String, String>>,
    /// An absolute path to a folder on the server.
    pub path: Option<String>,
    /// A git repository: `https://…`, or `file:///…` for a local one.
    pub git: Option<String>,
    /// With `git`: a branch or tag (default: its default branch).
    #[serde(rename = "ref")]
    pub reference: Option<String>,
}

/// What an import made.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedView {
    /// The plugins stored (one, or each of a marketplace's).
    pub plugins: Vec<PluginView>,
    /// Files kept only as files, and why.
    pub warnings: Vec<String>,
    /// Marketplace entries not imported, and why.
    pub skipped: Vec<String>,
}

fn id_of(path: &str) -> Result<PluginId, ApiError> {
    PluginId::parse(path).map_err(|_| ApiError::not_found("plugin not found"))
}

fn files_response(files: BTreeMap<String, String>, format: Option<&str>, name: &str) -> Result<HttpResponse, ApiError> {
    match format.unwrap_or("json") {
        "json" => Ok(HttpResponse::Ok().json(ExportedFiles { files })),
        "zip" => {
            let bytes = zip_files(&files, "").map_err(|e| ApiError::unavailable_error(&e))?;
            Ok(HttpResponse::Ok()
                .content_type("application/zip")
                .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}.zip\"")))
                .body(bytes))
        }
        other => {
            Err(ApiError::bad_request("invalid_format", format!("unknown format '{other}': expected json or zip")))
        }
    }
}

/// Every plugin.
#[utoipa::path(tag = "tooling", responses((status = 200, body = PluginList)), security(("api_key" = [])))]
#[get("/plugins")]
pub async fn list_plugins(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let plugins = state.plugins.list().await?;
    Ok(HttpResponse::Ok().json(PluginList { plugins: plugins.into_iter().map(PluginView::from).collect() }))
}

/// Imports a Claude Code plugin, or every plugin a marketplace (`.claude-plugin/marketplace.json`)
/// holds in a folder of its own: skills, commands and hooks become items, every other file is kept.
/// All or nothing: a taken name stores nothing.
#[utoipa::path(
    tag = "tooling",
    request_body = PluginImport,
    responses(
        (status = 201, body = ImportedView),
        (status = 400, body = ErrorBody),
        (status = 409, description = "A plugin or item name is taken", body = ErrorBody),
        (status = 422, description = "Not one source, unreadable, or not a plugin", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/plugins/import")]
pub async fn import_plugin(
    state: web::Data<AppState>,
    input: web::Json<PluginImport>,
) -> Result<HttpResponse, ApiError> {
    let source = match input.into_inner() {
        PluginImport { files: Some(files), path: None, git: None, reference: None } => PluginSource::Files(files),
        PluginImport { files: None, path: Some(path), git: None, reference: None } => PluginSource::Folder(path),
        PluginImport { files: None, path: None, git: Some(url), reference } => PluginSource::Git { url, reference },
        _ => {
            let fields =
                [("source".to_owned(), "give exactly one of files, path or git (ref goes with git)".to_owned())];
            return Err(ApiError::invalid_fields(fields.into()));
        }
    };
    let Imported { plugins, warnings, skipped } = state.plugins.import(source).await?;
    let plugins = plugins.into_iter().map(PluginView::from).collect();
    Ok(HttpResponse::Created().json(ImportedView { plugins, warnings, skipped }))
}

/// One plugin.
#[utoipa::path(
    tag = "tooling",
    params(("id" = String, Path, description = "`plugin-…`")),
    responses((status = 200, body = PluginView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/plugins/{id}")]
pub async fn get_plugin(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(PluginView::from(state.plugins.get(&id_of(&id)?).await?)))
}

/// The plugin's folder in Claude Code's layout (`?format=zip`: a zip of it): its kept files, its
/// manifest, and each component as its item is now.
#[utoipa::path(
    tag = "tooling",
    params(("id" = String, Path, description = "`plugin-…`"), ExportQuery),
    responses(
        (status = 200, body = ExportedFiles, description = "JSON, or application/zip with ?format=zip"),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[get("/plugins/{id}/export")]
pub async fn export_plugin(
    state: web::Data<AppState>,
    id: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let (plugin, files) = state.plugins.export(&id_of(&id)?).await?;
    files_response(files, query.format.as_deref(), &plugin.name)
}

/// A marketplace's files, with every plugin imported from it in its folder.
#[utoipa::path(
    tag = "tooling",
    params(("name" = String, Path, description = "The marketplace's name"), ExportQuery),
    responses(
        (status = 200, body = ExportedFiles, description = "JSON, or application/zip with ?format=zip"),
        (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[get("/plugins/marketplaces/{name}/export")]
pub async fn export_marketplace(
    state: web::Data<AppState>,
    name: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let files = state.plugins.export_marketplace(&name).await?;
    files_response(files, query.format.as_deref(), "marketplace")
}

/// Removes a plugin and the items made from it.
#[utoipa::path(
    tag = "tooling",
    params(("id" = String, Path, description = "`plugin-…`")),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/plugins/{id}")]
pub async fn delete_plugin(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.plugins.delete(&id_of(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}
