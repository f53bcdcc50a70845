//! What the team routes answer: a team with its members, a started run, a compiled graph.

use agented_workflows::Team;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// A member of a team.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberView {
    /// The agent (`agent-…`).
    pub agent_id: String,
    /// Its name in the team.
    pub name: String,
    /// `leader`, `member`, or another word.
    pub role: String,
}

/// A team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamView {
    /// `team-…`.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// `sequential`, `parallel`, `coordinator`, `generator_critic`, `hierarchical`,
    /// `human_in_loop` or `composite`.
    pub topology: String,
    /// The topology's settings.
    #[schema(value_type = Object)]
    pub topology_config: Map<String, Value>,
    /// The agent that leads, when set.
    pub leader_id: Option<String>,
    /// A disabled team does not run.
    pub enabled: bool,
    /// The managed tooling every member's run gets, after the member's own.
    pub tooling: super::trigger_input::ToolingAttachments,
    /// Its members, in order.
    pub members: Vec<MemberView>,
    /// The workflow its topology compiles to, once it has compiled.
    pub workflow_id: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<Team> for TeamView {
    fn from(t: Team) -> Self {
        let f = t.fields;
        Self {
            id: t.id.to_string(),
            name: f.name,
            description: f.description,
            topology: f.topology.name().to_owned(),
            topology_config: f.topology_config,
            leader_id: f.leader_id.map(|a| a.to_string()),
            enabled: f.enabled,
            tooling: (&f.tooling).into(),
            members: t
                .members
                .into_iter()
                .map(|m| MemberView { agent_id: m.agent_id.to_string(), name: m.name, role: m.role })
                .collect(),
            workflow_id: t.workflow_id.map(|w| w.to_string()),
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

/// Every team.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamList {
    /// Oldest first.
    pub teams: Vec<TeamView>,
}

/// A started team run.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamRunStarted {
    /// Follow it at `/admin/workflows/executions/{workflow_execution_id}` and its stream.
    pub workflow_execution_id: String,
    /// The team's workflow.
    pub workflow_id: String,
    /// The workflow's version the run uses (the team as it stood).
    pub version: i64,
    /// The team.
    pub team_id: String,
    /// `pending`.
    pub status: String,
}

/// The graph a team compiles to.
#[derive(Debug, Serialize, ToSchema)]
pub struct TeamGraph {
    /// The team's workflow, once compiled.
    pub workflow_id: Option<String>,
    /// The graph, in the workflow editor's `graph_json` form.
    #[schema(value_type = Object)]
    pub graph_json: Value,
}
