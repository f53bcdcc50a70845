//! Teams under `/admin/teams` (the original's paths and fields): create, list, change and
//! delete them, add and remove members, set the topology, see the graph it compiles to,
//! and run the team as a workflow run.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::team_views::{MemberView, TeamGraph, TeamList, TeamRunStarted, TeamView};
use crate::routes::trigger_input::optional_json;
use actix_web::{HttpResponse, delete, get, post, put, web};
use agented_workflows::{NewMember, RunOrigin, TeamPatch};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A team's fields (create: `name` required; update: any subset).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TeamInput {
    /// 1–100 characters.
    pub name: Option<String>,
    /// Up to 2000 characters.
    pub description: Option<String>,
    /// One of the seven topologies (default `sequential`).
    pub topology: Option<String>,
    /// The topology's settings: an object, or (as the original stored it) a string holding one.
    #[schema(value_type = Option<Object>)]
    pub topology_config: Option<Value>,
    /// The leading agent; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub leader_id: Option<Option<String>>,
    /// Default true.
    pub enabled: Option<bool>,
    /// The managed tooling its members' runs get, after each member's own (replaces what is
    /// attached): MCP server ids so far.
    pub tooling: Option<super::trigger_input::ToolingAttachments>,
}

/// A field that is present (even as `null`) is `Some`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Settings as an object: given as one, as a string holding one, or `null` (none).
fn settings(value: Option<Value>) -> Result<Option<Map<String, Value>>, ApiError> {
    let value = match value {
        Some(Value::String(text)) => serde_json::from_str(&text).ok(),
        other => other,
    };
    match value {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(Map::new())),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(ApiError::invalid_fields(BTreeMap::from([(
            "topology_config".to_owned(),
            "an object (or a string holding one)".to_owned(),
        )]))),
    }
}

impl TeamInput {
    fn patch(self) -> Result<TeamPatch, ApiError> {
        Ok(TeamPatch {
            topology_config: settings(self.topology_config)?,
            name: self.name,
            description: self.description,
            topology: self.topology,
            leader_id: self.leader_id,
            enabled: self.enabled,
            tooling: self.tooling.map(super::trigger_input::ToolingAttachments::into_input),
        })
    }
}

/// A topology and its settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopologyInput {
    /// One of the seven topologies.
    pub topology: String,
    /// Its settings (see `docs/workflows.md`).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub topology_config: Option<Value>,
}

/// A new member.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    /// The agent (`agent-…`).
    pub agent_id: String,
    /// Its name in the team (default: the agent's).
    #[serde(default)]
    pub name: Option<String>,
    /// Default `member`.
    #[serde(default)]
    pub role: Option<String>,
}

/// A run request.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TeamRunInput {
    /// The task (1–100 000 characters): the workflow's input.
    pub message: String,
}

/// Every team.
#[utoipa::path(tag = "teams", responses((status = 200, body = TeamList)), security(("api_key" = [])))]
#[get("/teams")]
pub async fn list_teams(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let teams = state.teams.list().await?;
    Ok(HttpResponse::Ok().json(TeamList { teams: teams.into_iter().map(TeamView::from).collect() }))
}

/// Creates a team (members are added one by one).
#[utoipa::path(
    tag = "teams",
    request_body = TeamInput,
    responses((status = 201, body = TeamView), (status = 422, description = "Invalid fields, each named", body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/teams")]
pub async fn create_team(state: web::Data<AppState>, input: web::Json<TeamInput>) -> Result<HttpResponse, ApiError> {
    let created = state.teams.create(input.into_inner().patch()?).await?;
    Ok(HttpResponse::Created().json(TeamView::from(created)))
}

/// One team, with its members.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    responses((status = 200, body = TeamView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/teams/{id}")]
pub async fn get_team(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(TeamView::from(state.teams.get(&id).await?)))
}

/// Changes a team's fields.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    request_body = TeamInput,
    responses((status = 200, body = TeamView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[put("/teams/{id}")]
pub async fn update_team(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<TeamInput>,
) -> Result<HttpResponse, ApiError> {
    let updated = state.teams.update(&id, input.into_inner().patch()?).await?;
    Ok(HttpResponse::Ok().json(TeamView::from(updated)))
}

/// Deletes a team; its workflow and that workflow's runs stay.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/teams/{id}")]
pub async fn delete_team(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.teams.delete(&id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A team's members, in order.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    responses((status = 200, body = Vec<MemberView>), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/teams/{id}/members")]
pub async fn list_members(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(TeamView::from(state.teams.get(&id).await?).members))
}

/// Adds an agent as the team's last member.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    request_body = MemberInput,
    responses(
        (status = 201, body = TeamView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The agent is a member already", body = ErrorBody),
        (status = 422, description = "No such agent, a bad name or role, or the team is full", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/teams/{id}/members")]
pub async fn add_member(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<MemberInput>,
) -> Result<HttpResponse, ApiError> {
    let MemberInput { agent_id, name, role } = input.into_inner();
    let team = state.teams.add_member(&id, NewMember { agent_id, name, role }).await?;
    Ok(HttpResponse::Created().json(TeamView::from(team)))
}

/// Removes an agent from the team.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path, description = "Team id"), ("agent_id" = String, Path, description = "The member's agent id")),
    responses((status = 200, body = TeamView), (status = 404, description = "No such team or member", body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/teams/{id}/members/{agent_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, agent) = path.into_inner();
    Ok(HttpResponse::Ok().json(TeamView::from(state.teams.remove_member(&id, &agent).await?)))
}

/// Sets the team's topology and its settings.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    request_body = TopologyInput,
    responses(
        (status = 200, body = TeamView),
        (status = 404, body = ErrorBody),
        (status = 422, description = "An unknown topology, or settings of the wrong shape", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[put("/teams/{id}/topology")]
pub async fn set_topology(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<TopologyInput>,
) -> Result<HttpResponse, ApiError> {
    let TopologyInput { topology, topology_config } = input.into_inner();
    let config = settings(topology_config)?.unwrap_or_default();
    Ok(HttpResponse::Ok().json(TeamView::from(state.teams.set_topology(&id, topology, config).await?)))
}

/// The workflow graph the team's topology compiles to as it stands.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    responses(
        (status = 200, body = TeamGraph),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The team cannot run as it stands; the error says why", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[get("/teams/{id}/graph")]
pub async fn team_graph(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (workflow, graph) = state.teams.graph(&id).await?;
    let graph_json = serde_json::to_value(graph).unwrap_or(Value::Null);
    Ok(HttpResponse::Ok().json(TeamGraph { workflow_id: workflow.map(|w| w.to_string()), graph_json }))
}

/// Runs the team on a message: 202 with the workflow run; its nodes run as the topology says.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    request_body = TeamRunInput,
    responses(
        (status = 202, body = TeamRunStarted),
        (status = 404, body = ErrorBody),
        (status = 409, description = "Disabled, or the team cannot run as it stands", body = ErrorBody),
        (status = 422, description = "No message, or one too long", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/teams/{id}/run")]
pub async fn run_team(
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: TeamRunInput = optional_json(&body)?;
    let run = state.teams.run(&id, Value::String(input.message), RunOrigin::Manual, &[]).await?;
    Ok(HttpResponse::Accepted().json(TeamRunStarted {
        workflow_execution_id: run.id.to_string(),
        workflow_id: run.workflow_id.to_string(),
        version: run.version,
        team_id: id.into_inner(),
        status: run.status.as_str().to_owned(),
    }))
}

/// A team as a YAML file (`kind: team`, its fields, topology and members; described as the
/// document it parses to), for keeping in a repository; `POST /admin/teams/import` reads it back.
#[utoipa::path(
    tag = "teams",
    params(("id" = String, Path, description = "Team id")),
    responses(
        (status = 200, description = "The file", content_type = "application/yaml", body = serde_json::Value),
        (status = 404, body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[get("/teams/{id}/export")]
pub async fn export_team(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let text = state.teams.export(&id).await?;
    Ok(HttpResponse::Ok().content_type("application/yaml; charset=utf-8").body(text))
}

/// Creates a team from a YAML (or JSON) file; its members must exist as agents here. Every
/// problem is answered at once (422), each under its field with its line.
#[utoipa::path(
    tag = "teams",
    request_body(content = String, content_type = "application/yaml", description = "A team file, up to 256 KiB"),
    responses(
        (status = 201, body = TeamView),
        (status = 422, description = "`details`: field → \"line N: what is wrong\"", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/teams/import")]
pub async fn import_team(state: web::Data<AppState>, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    let created = state.teams.import(crate::routes::workflows::file_text(&body)?).await?;
    Ok(HttpResponse::Created().json(TeamView::from(created)))
}
