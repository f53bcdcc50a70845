//! `/admin/mcp-servers`: MCP servers given to runs, in the original platform's
//! fields; presets; and a test that performs the MCP handshake and lists the tools.

use crate::error::{ApiError, ErrorBody};
use crate::routes::trigger_input::optional_json;
use crate::state::AppState;
use actix_web::{HttpResponse, delete, get, post, put, web};
use agented_kernel::McpServerId;
use agented_tooling::{McpServer, McpServerPatch, Preset, TestOutcome};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// An MCP server. Environment values and headers hold only what was stored: secrets
/// are `${NAME}` references to the server's variables, listed in `secrets`.
#[derive(Debug, Serialize, ToSchema)]
pub struct McpServerView {
    /// `mcp-…`.
    pub id: String,
    /// Its key in every CLI's configuration.
    pub name: String,
    /// Shown instead of the name.
    pub display_name: Option<String>,
    /// What it offers.
    pub description: Option<String>,
    /// `stdio`, `http` or `sse`.
    pub server_type: &'static str,
    /// stdio: the program.
    pub command: Option<String>,
    /// stdio: its arguments.
    pub args: Vec<String>,
    /// stdio: its environment.
    pub env: BTreeMap<String, String>,
    /// http, sse: where.
    pub url: Option<String>,
    /// http, sse: headers.
    pub headers: BTreeMap<String, String>,
    /// The server variables its environment and headers name.
    pub secrets: Vec<String>,
    /// How long it gets to start and answer.
    pub timeout_ms: u32,
    /// Whether runs get it.
    pub enabled: bool,
    /// A grouping for lists.
    pub category: String,
    /// Made from a preset.
    pub is_preset: bool,
    /// Its documentation.
    pub documentation_url: Option<String>,
    /// The npm package it runs.
    pub npm_package: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<McpServer> for McpServerView {
    fn from(s: McpServer) -> Self {
        Self {
            secrets: s.secret_names(),
            id: s.id.to_string(),
            name: s.name,
            display_name: s.display_name,
            description: s.description,
            server_type: s.server_type.as_str(),
            command: s.command,
            args: s.args,
            env: s.env,
            url: s.url,
            headers: s.headers,
            timeout_ms: s.timeout_ms,
            enabled: s.enabled,
            category: s.category,
            is_preset: s.is_preset,
            documentation_url: s.documentation_url,
            npm_package: s.npm_package,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// Every MCP server.
#[derive(Debug, Serialize, ToSchema)]
pub struct McpServerList {
    /// By name.
    pub servers: Vec<McpServerView>,
}

/// A preset: a well-known server to add in one step.
#[derive(Debug, Serialize, ToSchema)]
pub struct PresetView {
    /// `POST /admin/mcp-servers/presets/{key}` adds it.
    pub key: &'static str,
    /// The server it makes.
    #[schema(value_type = Object)]
    pub server: serde_json::Value,
}

/// Every preset.
#[derive(Debug, Serialize, ToSchema)]
pub struct PresetList {
    /// context7, playwright, github, filesystem, fetch.
    pub presets: Vec<PresetView>,
}

/// A server to create, or a change (absent fields kept; `null` clears an optional one).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct McpServerInput {
    /// 1–64 of letters, digits, `-` and `_`; unique (required on create).
    pub name: Option<String>,
    /// Shown instead of the name.
    #[serde(deserialize_with = "agented_triggers::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub display_name: Option<Option<String>>,
    /// What it offers.
    #[serde(deserialize_with = "agented_triggers::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    /// `stdio` (default), `http` or `sse`.
    pub server_type: Option<String>,
    /// stdio: the program (required for stdio).
    #[serde(deserialize_with = "agented_triggers::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub command: Option<Option<String>>,
    /// stdio: its arguments.
    pub args: Option<Vec<String>>,
    /// stdio: its environment; put secrets as `${NAME}` of a server variable, never their value.
    pub env: Option<BTreeMap<String, String>>,
    /// http, sse: where (required for them).
    #[serde(deserialize_with = "agented_triggers::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub url: Option<Option<String>>,
    /// http, sse: headers; secrets as `${NAME}`.
    pub headers: Option<BTreeMap<String, String>>,
    /// 1000–600000 (default 30000).
    pub timeout_ms: Option<u32>,
    /// Default true.
    pub enabled: Option<bool>,
    /// Default `general`.
    pub category: Option<String>,
    /// Its documentation.
    #[serde(deserialize_with = "agented_triggers::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub documentation_url: Option<Option<String>>,
    /// The npm package it runs.
    #[serde(deserialize_with = "agented_triggers::patch::nullable")]
    #[schema(value_type = Option<String>)]
    pub npm_package: Option<Option<String>>,
}

impl From<McpServerInput> for McpServerPatch {
    fn from(i: McpServerInput) -> Self {
        Self {
            name: i.name,
            display_name: i.display_name,
            description: i.description,
            server_type: i.server_type,
            command: i.command,
            args: i.args,
            env: i.env,
            url: i.url,
            headers: i.headers,
            timeout_ms: i.timeout_ms,
            enabled: i.enabled,
            category: i.category,
            documentation_url: i.documentation_url,
            npm_package: i.npm_package,
        }
    }
}

/// A tool the server offers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ToolView {
    /// Its name.
    pub name: String,
    /// What it does.
    pub description: Option<String>,
}

/// How a test went: `ok` with the server's name, version and tools, or `error`.
#[derive(Debug, Serialize, ToSchema)]
pub struct McpTestView {
    /// Whether the handshake succeeded.
    pub ok: bool,
    /// Why not.
    pub error: Option<String>,
    /// `serverInfo.name`.
    pub server_name: Option<String>,
    /// `serverInfo.version`.
    pub server_version: Option<String>,
    /// The protocol revision it chose.
    pub protocol_version: Option<String>,
    /// Its tools.
    pub tools: Vec<ToolView>,
}

fn id_of(path: &str) -> Result<McpServerId, ApiError> {
    McpServerId::parse(path).map_err(|_| ApiError::not_found("MCP server not found"))
}

fn preset_view(p: Preset) -> PresetView {
    let draft = p.server.create().ok();
    let server = draft.map_or(serde_json::Value::Null, |d| {
        serde_json::json!({
            "name": d.name, "display_name": d.display_name, "description": d.description,
            "server_type": d.server_type.as_str(), "command": d.command, "args": d.args, "env": d.env,
            "url": d.url, "headers": d.headers, "timeout_ms": d.timeout_ms, "category": d.category,
            "documentation_url": d.documentation_url, "npm_package": d.npm_package,
        })
    });
    PresetView { key: p.key, server }
}

/// Every MCP server.
#[utoipa::path(tag = "tooling", responses((status = 200, body = McpServerList)), security(("api_key" = [])))]
#[get("/mcp-servers")]
pub async fn list_mcp_servers(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let servers = state.mcp_servers.list().await?;
    Ok(HttpResponse::Ok().json(McpServerList { servers: servers.into_iter().map(McpServerView::from).collect() }))
}

/// The presets: context7, playwright, github, filesystem and fetch, with their official package or URL.
#[utoipa::path(tag = "tooling", responses((status = 200, body = PresetList)), security(("api_key" = [])))]
#[get("/mcp-servers/presets")]
pub async fn list_mcp_presets(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(PresetList { presets: state.mcp_servers.presets().into_iter().map(preset_view).collect() })
}

/// Adds a preset's server, with the changes in the body (a name, its variables) applied.
#[utoipa::path(
    tag = "tooling",
    params(("key" = String, Path, description = "context7, playwright, github, filesystem or fetch")),
    request_body = McpServerInput,
    responses(
        (status = 201, body = McpServerView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "A server has the name", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/mcp-servers/presets/{key}")]
pub async fn add_mcp_preset(
    state: web::Data<AppState>,
    key: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: McpServerInput = optional_json(&body)?;
    let created = state.mcp_servers.create_from_preset(&key, input.into()).await?;
    Ok(HttpResponse::Created().json(McpServerView::from(created)))
}

/// Creates an MCP server.
#[utoipa::path(
    tag = "tooling",
    request_body = McpServerInput,
    responses(
        (status = 201, body = McpServerView),
        (status = 400, body = ErrorBody),
        (status = 409, description = "A server has the name", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/mcp-servers")]
pub async fn create_mcp_server(state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let input: McpServerInput = optional_json(&body)?;
    let created = state.mcp_servers.create(input.into()).await?;
    Ok(HttpResponse::Created().json(McpServerView::from(created)))
}

/// One MCP server.
#[utoipa::path(
    tag = "tooling",
    params(("id" = String, Path, description = "`mcp-…`")),
    responses((status = 200, body = McpServerView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/mcp-servers/{id}")]
pub async fn get_mcp_server(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(McpServerView::from(state.mcp_servers.get(&id_of(&id)?).await?)))
}

/// Changes an MCP server.
#[utoipa::path(
    tag = "tooling",
    params(("id" = String, Path, description = "`mcp-…`")),
    request_body = McpServerInput,
    responses(
        (status = 200, body = McpServerView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "A server has the name", body = ErrorBody),
        (status = 422, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[put("/mcp-servers/{id}")]
pub async fn update_mcp_server(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = id_of(&id)?;
    let input: McpServerInput = optional_json(&body)?;
    Ok(HttpResponse::Ok().json(McpServerView::from(state.mcp_servers.update(&id, input.into()).await?)))
}

/// Removes an MCP server.
#[utoipa::path(
    tag = "tooling",
    params(("id" = String, Path, description = "`mcp-…`")),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/mcp-servers/{id}")]
pub async fn delete_mcp_server(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.mcp_servers.delete(&id_of(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Starts (stdio) or reaches (http) the server, performs the MCP handshake within its
/// timeout, and lists its tools. A server that fails is `ok: false` with the reason.
#[utoipa::path(
    tag = "tooling",
    params(("id" = String, Path, description = "`mcp-…`")),
    responses((status = 200, body = McpTestView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/mcp-servers/{id}/test")]
pub async fn test_mcp_server(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let view = match state.mcp_servers.test(&id_of(&id)?).await? {
        TestOutcome::Passed(h) => McpTestView {
            ok: true,
            error: None,
            server_name: Some(h.server_name),
            server_version: h.server_version,
            protocol_version: Some(h.protocol_version),
            tools: h.tools.into_iter().map(|t| ToolView { name: t.name, description: t.description }).collect(),
        },
        TestOutcome::Failed(why) => McpTestView {
            ok: false,
            error: Some(why),
            server_name: None,
            server_version: None,
            protocol_version: None,
            tools: Vec::new(),
        },
    };
    Ok(HttpResponse::Ok().json(view))
}
