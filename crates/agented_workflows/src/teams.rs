//! Teams: create, read, change and delete them, manage their members and topology, and
//! run one. A run compiles the team ([`crate::compile`]) into its workflow — a new
//! published version when the graph changed — and starts a run of that version, so a
//! team's run is an ordinary workflow run: durable, live, costed and recoverable.

use crate::agents::MAX_MESSAGE_CHARS;
use crate::compile::{SubTeams, compile};
use crate::definition::{FieldErrors, WorkflowPatch};
use crate::document::GraphDocument;
use crate::ports::{AgentRepository, TeamRepository, WorkflowStoreError};
use crate::run::{RunClaim, RunOrigin, WorkflowRun};
use crate::runs::{RunError, WorkflowRunService};
use crate::service::{WorkflowError, WorkflowService};
use crate::team::{MAX_MEMBERS, Member, Team, TeamPatch, Topology, TopologyConfig};
use crate::yaml::{TeamFile, YamlProblem, read_team, write_file};
use agented_kernel::{AgentId, Clock, TeamId, WorkflowId, WorkflowRunId};
use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// How deep teams may sit inside composite teams.
pub const MAX_TEAM_DEPTH: usize = 4;

/// Why a team request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamError {
    /// No such team, or member.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Invalid fields, by name.
    #[error("invalid team")]
    Invalid(FieldErrors),
    /// A team file with problems, each with its line and field.
    #[error("invalid team file")]
    InvalidFile(Vec<YamlProblem>),
    /// It cannot be done as the team stands (disabled, cannot compile, already a member).
    #[error("{0}")]
    Conflict(String),
    /// An earlier run of the starting trigger holds one of the run's dedup claims.
    #[error("an earlier run holds this request's dedup key")]
    Duplicate,
    /// Storage failed.
    #[error("team storage failed: {0}")]
    Store(#[source] agented_kernel::Cause),
}

impl From<WorkflowStoreError> for TeamError {
    fn from(e: WorkflowStoreError) -> Self {
        Self::Store(agented_kernel::Cause::of(e))
    }
}

impl From<WorkflowError> for TeamError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::Store(e) => e.into(),
            // The service writes only graphs it compiled; a refusal is the compiler's fault.
            other => Self::Conflict(format!("the team's workflow could not be written: {other}")),
        }
    }
}

impl From<RunError> for TeamError {
    fn from(e: RunError) -> Self {
        match e {
            RunError::Store(e) => e.into(),
            RunError::Invalid(errors) => Self::Invalid(errors),
            RunError::Duplicate => Self::Duplicate,
            other => Self::Conflict(other.to_string()),
        }
    }
}

/// A new member: the agent, and optionally its name and role in the team.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewMember {
    /// `agent-…`.
    pub agent_id: String,
    /// Shown in the graph (default: the agent's name).
    pub name: Option<String>,
    /// Default `member`.
    pub role: Option<String>,
}

/// Teams and their runs.
#[derive(Clone)]
pub struct TeamService {
    teams: Arc<dyn TeamRepository>,
    agents: Arc<dyn AgentRepository>,
    workflows: WorkflowService,
    runs: WorkflowRunService,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for TeamService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TeamService").finish_non_exhaustive()
    }
}

type Compiled<'a> = Pin<Box<dyn Future<Output = Result<(WorkflowId, i64), TeamError>> + Send + 'a>>;

impl TeamService {
    /// The service over its stores and the workflow services its runs go through.
    #[must_use]
    pub fn new(
        teams: Arc<dyn TeamRepository>,
        agents: Arc<dyn AgentRepository>,
        workflows: WorkflowService,
        runs: WorkflowRunService,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { teams, agents, workflows, runs, clock }
    }

    /// Every team, oldest first.
    ///
    /// # Errors
    /// `Store`.
    pub async fn list(&self) -> Result<Vec<Team>, TeamError> {
        Ok(self.teams.list().await?)
    }

    /// One team.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn get(&self, id: &str) -> Result<Team, TeamError> {
        let id = TeamId::parse(id).map_err(|_| TeamError::NotFound("team"))?;
        self.teams.get(&id).await?.ok_or(TeamError::NotFound("team"))
    }

    /// Creates a team, without members.
    ///
    /// # Errors
    /// `Invalid` with every problem; `Store`.
    pub async fn create(&self, patch: TeamPatch) -> Result<Team, TeamError> {
        let fields = patch.create().map_err(TeamError::Invalid)?;
        let now = self.clock.now();
        let team = Team {
            id: TeamId::generate(),
            fields,
            members: Vec::new(),
            workflow_id: None,
            created_at: now,
            updated_at: now,
        };
        self.teams.insert(&team).await?;
        Ok(team)
    }

    /// Creates a team from a file (`kind: team`) with its members. Nothing is stored when
    /// the file has a problem or names an agent that does not exist.
    ///
    /// # Errors
    /// `InvalidFile`, every problem with its line and field; `Store`.
    pub async fn import(&self, text: &str) -> Result<Team, TeamError> {
        let file = read_team(text).map_err(TeamError::InvalidFile)?;
        let mut problems = Vec::new();
        let mut members = Vec::new();
        for (i, m) in file.members.iter().enumerate() {
            let field = format!("members[{i}].agent_id");
            let found = match AgentId::parse(&m.agent_id) {
                Ok(id) => self.agents.get(&id).await?,
                Err(_) => None,
            };
            let Some(agent) = found else {
                let message = format!("no agent {} here: create it first", m.agent_id);
                problems.push(YamlProblem { line: m.line, field, message });
                continue;
            };
            let role = m.role.clone().unwrap_or_else(|| "member".to_owned());
            members.push(Member { agent_id: agent.id, name: m.name.clone().unwrap_or(agent.fields.name), role });
        }
        if !problems.is_empty() {
            return Err(TeamError::InvalidFile(problems));
        }
        let mut team = self.create(file.patch()).await?;
        team.members = members;
        self.save(team).await
    }

    /// A team as a file (`kind: team`).
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn export(&self, id: &str) -> Result<String, TeamError> {
        Ok(write_file(&TeamFile::of(&self.get(id).await?)))
    }

    /// Changes a team's fields (the topology too).
    ///
    /// # Errors
    /// `NotFound`; `Invalid` with every problem; `Store`.
    pub async fn update(&self, id: &str, patch: TeamPatch) -> Result<Team, TeamError> {
        let mut team = self.get(id).await?;
        team.fields = patch.apply(team.fields).map_err(TeamError::Invalid)?;
        self.save(team).await
    }

    /// Sets a team's topology and its settings (the original's `PUT …/topology`).
    ///
    /// # Errors
    /// `NotFound`; `Invalid` for an unknown topology or settings of the wrong shape; `Store`.
    pub async fn set_topology(
        &self,
        id: &str,
        topology: String,
        config: serde_json::Map<String, Value>,
    ) -> Result<Team, TeamError> {
        let patch = TeamPatch { topology: Some(topology), topology_config: Some(config), ..TeamPatch::default() };
        self.update(id, patch).await
    }

    /// Deletes a team; its workflow and that workflow's runs stay.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn delete(&self, id: &str) -> Result<(), TeamError> {
        let team = self.get(id).await?;
        if self.teams.delete(&team.id).await? { Ok(()) } else { Err(TeamError::NotFound("team")) }
    }

    /// Adds agent `new.agent_id` as the team's last member.
    ///
    /// # Errors
    /// `NotFound` (team); `Invalid` (no such agent, a bad name or role, the team is full);
    /// `Conflict` when the agent is a member already; `Store`.
    pub async fn add_member(&self, id: &str, new: NewMember) -> Result<Team, TeamError> {
        let mut team = self.get(id).await?;
        let invalid = |field: &str, why: String| TeamError::Invalid(FieldErrors::from([(field.to_owned(), why)]));
        let agent_id = AgentId::parse(&new.agent_id).map_err(|e| invalid("agent_id", e.to_string()))?;
        let agent = self.agents.get(&agent_id).await?.ok_or_else(|| invalid("agent_id", "no such agent".into()))?;
        if team.member(&agent_id).is_some() {
            return Err(TeamError::Conflict(format!("{agent_id} is a member of the team already")));
        }
        if team.members.len() >= MAX_MEMBERS {
            return Err(invalid("agent_id", format!("a team has at most {MAX_MEMBERS} members")));
        }
        let mut errors = FieldErrors::new();
        let name = crate::definition::check_name(&mut errors, new.name.as_deref().unwrap_or(&agent.fields.name));
        let role = new.role.as_deref().map_or("member", str::trim).to_owned();
        if role.is_empty() || role.chars().count() > 50 || role.chars().any(char::is_control) {
            errors.insert("role".into(), "1–50 characters, no control characters".into());
        }
        if !errors.is_empty() {
            return Err(TeamError::Invalid(errors));
        }
        team.members.push(Member { agent_id, name, role });
        self.save(team).await
    }

    /// Removes agent `agent` from the team.
    ///
    /// # Errors
    /// `NotFound` (team or member); `Store`.
    pub async fn remove_member(&self, id: &str, agent: &str) -> Result<Team, TeamError> {
        let mut team = self.get(id).await?;
        let before = team.members.len();
        team.members.retain(|m| m.agent_id.as_str() != agent);
        if team.members.len() == before {
            return Err(TeamError::NotFound("member"));
        }
        self.save(team).await
    }

    /// The graph the team compiles to as it stands, and its workflow (once compiled).
    ///
    /// # Errors
    /// `NotFound`; `Conflict` saying why it cannot run as it stands; `Store`.
    pub async fn graph(&self, id: &str) -> Result<(Option<WorkflowId>, GraphDocument), TeamError> {
        let team = self.get(id).await?;
        let subs = self.sub_teams(&team, 0).await?;
        Ok((team.workflow_id.clone(), compile(&team, &subs).map_err(TeamError::Conflict)?))
    }

    /// Runs the team on `input` (a message, or a trigger's data): compiles it into its
    /// workflow and starts a run of that version, holding `claims` (a trigger's dedup keys).
    ///
    /// # Errors
    /// `NotFound`; `Invalid` for an empty or oversized input; `Conflict` when it is
    /// disabled or cannot run as it stands; `Duplicate` when a claim is held; `Store`.
    pub async fn run(
        &self,
        id: &str,
        input: Value,
        origin: RunOrigin,
        claims: &[RunClaim],
    ) -> Result<WorkflowRun, TeamError> {
        let size = serde_json::to_string(&input).map_or(usize::MAX, |s| s.chars().count());
        let empty = matches!(&input, Value::Null) || input.as_str().is_some_and(|s| s.trim().is_empty());
        if empty || size > MAX_MESSAGE_CHARS {
            let why = format!("1 to {MAX_MESSAGE_CHARS} characters");
            return Err(TeamError::Invalid(FieldErrors::from([("message".to_owned(), why)])));
        }
        let team = self.get(id).await?;
        if !team.fields.enabled {
            return Err(TeamError::Conflict(format!("team '{}' is disabled", team.fields.name)));
        }
        let (workflow, version) = self.compiled(&team, 0).await?;
        let run = WorkflowRunId::generate();
        Ok(self.runs.start_claiming(&run, workflow.as_str(), Some(version), input, origin, claims).await?)
    }

    /// Stores a changed team, then brings its workflow up to date when it compiles (a team
    /// that cannot run yet, such as one without members, keeps its last workflow).
    async fn save(&self, mut team: Team) -> Result<Team, TeamError> {
        team.updated_at = self.clock.now();
        if !self.teams.update(&team).await? {
            return Err(TeamError::NotFound("team"));
        }
        match self.compiled(&team, 0).await {
            Ok(_) | Err(TeamError::Conflict(_)) => self.get(team.id.as_str()).await,
            Err(e) => Err(e),
        }
    }

    /// The teams a composite team holds, each compiled.
    async fn sub_teams(&self, team: &Team, depth: usize) -> Result<SubTeams, TeamError> {
        let mut subs = SubTeams::new();
        if team.fields.topology != Topology::Composite {
            return Ok(subs);
        }
        let config = TopologyConfig::read(&team.fields.topology_config).map_err(TeamError::Invalid)?;
        for sub in config.teams {
            if sub == team.id || depth + 1 >= MAX_TEAM_DEPTH {
                return Err(TeamError::Conflict(format!(
                    "topology_config.teams: teams inside teams go deeper than {MAX_TEAM_DEPTH} levels, or loop"
                )));
            }
            let Some(found) = self.teams.get(&sub).await? else { continue };
            let (workflow, _) = self.compiled(&found, depth + 1).await?;
            subs.insert(sub, (workflow, found.fields.name));
        }
        Ok(subs)
    }

    /// The team's workflow and the version holding its graph as it compiles now: the
    /// workflow is created, or given a new published version, when needed.
    fn compiled<'a>(&'a self, team: &'a Team, depth: usize) -> Compiled<'a> {
        Box::pin(async move {
            let subs = self.sub_teams(team, depth).await?;
            let graph = compile(team, &subs).map_err(TeamError::Conflict)?;
            let name: String = format!("Team: {}", team.fields.name).chars().take(100).collect();
            let existing = match &team.workflow_id {
                Some(id) => match self.workflows.get(id.as_str()).await {
                    Ok(found) => Some(found),
                    // Deleted by hand: the team gets a new one.
                    Err(WorkflowError::NotFound(_)) => None,
                    Err(e) => return Err(e.into()),
                },
                None => None,
            };
            let Some(workflow) = existing else {
                let patch = WorkflowPatch {
                    name: Some(name),
                    description: Some(format!(
                        "The {} topology of team {}, compiled. Change the team, not this workflow: \
                         the team's next change or run replaces its graph.",
                        team.fields.topology.name(),
                        team.id
                    )),
                    enabled: Some(true),
                };
                let created = self.workflows.create(patch, Some(&graph), true).await?;
                let mut linked = team.clone();
                linked.workflow_id = Some(created.id.clone());
                self.teams.update(&linked).await?;
                return Ok((created.id, created.published_version.unwrap_or(1)));
            };
            if workflow.fields.name != name {
                let rename = WorkflowPatch { name: Some(name), ..WorkflowPatch::default() };
                self.workflows.update(workflow.id.as_str(), rename).await?;
            }
            if let Some(published) = workflow.published_version {
                let current = self.workflows.version(workflow.id.as_str(), published).await?;
                if current.graph == graph {
                    return Ok((workflow.id, published));
                }
            }
            let added = self.workflows.add_version(workflow.id.as_str(), &graph, true).await?;
            Ok((workflow.id, added.version))
        })
    }
}
