//! Agents under `/admin/agents` (the original's paths and fields): create, list, change and
//! delete them, and run one on a message as an ordinary execution.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::trigger_input::optional_json;
use actix_web::{HttpResponse, delete, get, post, put, web};
use agented_workflows::{Agent, AgentPatch};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// An agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentView {
    /// `agent-…`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Its role.
    pub role: String,
    /// What it aims at.
    pub goals: Vec<String>,
    /// Background it works with.
    pub context: String,
    /// `claude`, `codex`, `gemini` or `opencode`.
    pub backend_type: String,
    /// Put first in its prompts.
    pub system_prompt: String,
    /// The model passed to the CLI.
    pub model: Option<String>,
    /// Claude's `--allowedTools`.
    pub allowed_tools: Vec<String>,
    /// Skills it may use.
    pub skills: Vec<String>,
    /// Documents it should read.
    pub documents: Vec<String>,
    /// A disabled agent does not run.
    pub enabled: bool,
    /// The managed tooling its runs' CLIs get, with what the `bot-agents` trigger attaches.
    pub tooling: super::trigger_input::ToolingAttachments,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<Agent> for AgentView {
    fn from(a: Agent) -> Self {
        let f = a.fields;
        Self {
            id: a.id.to_string(),
            name: f.name,
            description: f.description,
            role: f.role,
            goals: f.goals,
            context: f.context,
            backend_type: f.backend_type.as_str().to_owned(),
            system_prompt: f.system_prompt,
            model: f.model,
            allowed_tools: f.allowed_tools,
            skills: f.skills,
            documents: f.documents,
            enabled: f.enabled,
            tooling: (&f.tooling).into(),
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// Every agent.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentList {
    /// Oldest first.
    pub agents: Vec<AgentView>,
}

/// An agent's fields (create: `name` required; update: any subset). The lists take an
/// array of strings, or (as the original stored them) a string holding one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AgentInput {
    /// 1–100 characters.
    pub name: Option<String>,
    /// Up to 20 000 characters.
    pub description: Option<String>,
    /// Up to 20 000 characters.
    pub role: Option<String>,
    /// Up to 50 goals.
    #[schema(value_type = Option<Vec<String>>)]
    pub goals: Option<Value>,
    /// Up to 20 000 characters.
    pub context: Option<String>,
    /// `claude` (default), `codex`, `gemini` or `opencode`.
    pub backend_type: Option<String>,
    /// Up to 20 000 characters.
    pub system_prompt: Option<String>,
    /// A model name; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub model: Option<Option<String>>,
    /// Up to 50 tool names.
    #[schema(value_type = Option<Vec<String>>)]
    pub allowed_tools: Option<Value>,
    /// Up to 50 skill names.
    #[schema(value_type = Option<Vec<String>>)]
    pub skills: Option<Value>,
    /// Up to 50 document names.
    #[schema(value_type = Option<Vec<String>>)]
    pub documents: Option<Value>,
    /// Default true.
    pub enabled: Option<bool>,
    /// The managed tooling its runs get (replaces what is attached): MCP server ids so far.
    pub tooling: Option<super::trigger_input::ToolingAttachments>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A list field: an array of strings, a string holding one (the original's storage), or
/// `null` (empty).
fn list(field: &str, value: Option<Value>, errors: &mut BTreeMap<String, String>) -> Option<Vec<String>> {
    let value = value?;
    let value = match value {
        Value::String(text) => serde_json::from_str(&text).unwrap_or(Value::Array(vec![Value::String(text)])),
        other => other,
    };
    match value {
        Value::Null => Some(Vec::new()),
        Value::Array(items) if items.iter().all(Value::is_string) => {
            Some(items.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        }
        _ => {
            errors.insert(field.to_owned(), "a list of strings".to_owned());
            None
        }
    }
}

impl AgentInput {
    fn patch(self) -> Result<AgentPatch, ApiError> {
        let mut errors = BTreeMap::new();
        let patch = AgentPatch {
            goals: list("goals", self.goals, &mut errors),
            allowed_tools: list("allowed_tools", self.allowed_tools, &mut errors),
            skills: list("skills", self.skills, &mut errors),
            documents: list("documents", self.documents, &mut errors),
            name: self.name,
            description: self.description,
            role: self.role,
            context: self.context,
            backend_type: self.backend_type,
            system_prompt: self.system_prompt,
            model: self.model,
            enabled: self.enabled,
            tooling: self.tooling.map(super::trigger_input::ToolingAttachments::into_input),
        };
        if errors.is_empty() { Ok(patch) } else { Err(ApiError::invalid_fields(errors)) }
    }
}

/// A run request.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AgentRunInput {
    /// What the agent is asked (1–100 000 characters), fenced as untrusted text in its prompt.
    pub message: String,
}

/// A started run.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentRunStarted {
    /// Follow it at `/admin/executions/{execution_id}` and its stream.
    pub execution_id: String,
    /// The agent.
    pub agent_id: String,
    /// `queued`.
    pub status: String,
}

/// Every agent.
#[utoipa::path(tag = "agents", responses((status = 200, body = AgentList)), security(("api_key" = [])))]
#[get("/agents")]
pub async fn list_agents(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let agents = state.agents.list().await?;
    Ok(HttpResponse::Ok().json(AgentList { agents: agents.into_iter().map(AgentView::from).collect() }))
}

/// Creates an agent.
#[utoipa::path(
    tag = "agents",
    request_body = AgentInput,
    responses((status = 201, body = AgentView), (status = 422, description = "Invalid fields, each named", body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/agents")]
pub async fn create_agent(state: web::Data<AppState>, input: web::Json<AgentInput>) -> Result<HttpResponse, ApiError> {
    let created = state.agents.create(input.into_inner().patch()?).await?;
    Ok(HttpResponse::Created().json(AgentView::from(created)))
}

/// One agent.
#[utoipa::path(
    tag = "agents",
    params(("id" = String, Path, description = "Agent id")),
    responses((status = 200, body = AgentView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/agents/{id}")]
pub async fn get_agent(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(AgentView::from(state.agents.get(&id).await?)))
}

/// Changes an agent's fields.
#[utoipa::path(
    tag = "agents",
    params(("id" = String, Path, description = "Agent id")),
    request_body = AgentInput,
    responses((status = 200, body = AgentView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[put("/agents/{id}")]
pub async fn update_agent(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<AgentInput>,
) -> Result<HttpResponse, ApiError> {
    let updated = state.agents.update(&id, input.into_inner().patch()?).await?;
    Ok(HttpResponse::Ok().json(AgentView::from(updated)))
}

/// Deletes an agent; its past runs stay.
#[utoipa::path(
    tag = "agents",
    params(("id" = String, Path, description = "Agent id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/agents/{id}")]
pub async fn delete_agent(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.agents.delete(&id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Runs an agent on a message: 202 with the execution, an ordinary run of the `bot-agents`
/// trigger on the agent's backend and model.
#[utoipa::path(
    tag = "agents",
    params(("id" = String, Path, description = "Agent id")),
    request_body = AgentRunInput,
    responses(
        (status = 202, body = AgentRunStarted),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The agent, or the bot-agents trigger, is disabled or busy", body = ErrorBody),
        (status = 422, description = "No message, or one too long", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/agents/{id}/run")]
pub async fn run_agent(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: AgentRunInput = optional_json(&body)?;
    let execution_id = state.agents.run(&id, &input.message).await?;
    Ok(HttpResponse::Accepted().json(AgentRunStarted {
        execution_id,
        agent_id: id.into_inner(),
        status: "queued".to_owned(),
    }))
}
