//! Teams: agents that work together in one of seven topologies. A team is not run by
//! an engine of its own: its topology compiles to a workflow graph ([`crate::compile`]),
//! run by the workflow driver like any other.

use crate::definition::{FieldErrors, check_description, check_name};
use agented_kernel::{AgentId, TeamId, WorkflowId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Most members of a team.
pub const MAX_MEMBERS: usize = 20;
/// Most rounds of a generator–critic loop.
pub const MAX_ROUNDS: u32 = 10;
/// Most teams inside a composite team.
pub const MAX_SUB_TEAMS: usize = 10;

/// How a team's members work together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// Each member's output is the next one's input.
    #[default]
    Sequential,
    /// Members at once, then their outputs merged.
    Parallel,
    /// A lead splits the task into a JSON plan, members work, the lead merges.
    Coordinator,
    /// A generator drafts and a critic reviews, until the critic approves or N rounds.
    GeneratorCritic,
    /// Managers brief their reports and combine their results, down a tree.
    Hierarchical,
    /// Sequential, with a person's approval between steps.
    HumanInLoop,
    /// Teams inside a team.
    Composite,
}

impl Topology {
    /// Every topology's name.
    pub const NAMES: [&'static str; 7] =
        ["sequential", "parallel", "coordinator", "generator_critic", "hierarchical", "human_in_loop", "composite"];

    const ALL: [Self; 7] = [
        Self::Sequential,
        Self::Parallel,
        Self::Coordinator,
        Self::GeneratorCritic,
        Self::Hierarchical,
        Self::HumanInLoop,
        Self::Composite,
    ];

    /// Its name.
    #[must_use]
    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    /// The topology named `raw`.
    ///
    /// # Errors
    /// An unknown name.
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.name() == raw.trim())
            .ok_or_else(|| format!("'{raw}' is not a topology: use one of {}", Self::NAMES.join(", ")))
    }
}

/// A member of a team: an agent, with the name and role it has in this team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The agent.
    pub agent_id: AgentId,
    /// Shown in the team's graph (the agent's name when added).
    pub name: String,
    /// `leader` or `member` (the original's roles), or any word.
    pub role: String,
}

/// What a team is.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamFields {
    /// Its name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// How its members work together.
    pub topology: Topology,
    /// The topology's settings, as written (see [`TopologyConfig`]); other keys are kept.
    pub topology_config: Map<String, Value>,
    /// The agent that leads (coordinator, hierarchical), when set.
    pub leader_id: Option<AgentId>,
    /// A disabled team does not run.
    pub enabled: bool,
    /// The managed tooling every member's run gets, after the member's own.
    pub tooling: agented_kernel::ToolingRefs,
}

/// A stored team.
#[derive(Debug, Clone, PartialEq)]
pub struct Team {
    /// `team-…`.
    pub id: TeamId,
    /// What it is.
    pub fields: TeamFields,
    /// Its members, in order.
    pub members: Vec<Member>,
    /// The workflow its topology compiles to, once compiled.
    pub workflow_id: Option<WorkflowId>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Team {
    /// The member that is agent `agent`.
    #[must_use]
    pub fn member(&self, agent: &AgentId) -> Option<&Member> {
        self.members.iter().find(|m| &m.agent_id == agent)
    }
}

/// The settings each topology reads from `topology_config` (the original's keys where it had them).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub struct TopologyConfig {
    /// `sequential`, `human_in_loop`: the members' order (default: the order they were added).
    #[serde(default)]
    pub order: Option<Vec<AgentId>>,
    /// `coordinator`: the lead (default: the team's leader, else its first member).
    #[serde(default)]
    pub coordinator: Option<AgentId>,
    /// `generator_critic`: who drafts (default: the first member).
    #[serde(default)]
    pub generator: Option<AgentId>,
    /// `generator_critic`: who reviews (default: the second member).
    #[serde(default)]
    pub critic: Option<AgentId>,
    /// `generator_critic`: the most rounds (default 3, at most [`MAX_ROUNDS`]).
    #[serde(default)]
    pub max_rounds: Option<u32>,
    /// `generator_critic`: the word a critic's review starts with to approve (default `APPROVED`).
    #[serde(default)]
    pub approve_word: Option<String>,
    /// `hierarchical`: each member's manager (default: the leader, else the first member).
    #[serde(default)]
    pub reports_to: BTreeMap<AgentId, AgentId>,
    /// `human_in_loop`: an approval not given within this many seconds is a rejection.
    #[serde(default)]
    pub approval_timeout_seconds: Option<u64>,
    /// `composite`: the teams inside, in order.
    #[serde(default)]
    pub teams: Vec<TeamId>,
    /// `composite`: `sequential` (default) or `parallel`.
    #[serde(default)]
    pub mode: Option<String>,
    /// Any topology: what one run may spend on its agents, in US dollars.
    #[serde(default)]
    pub budget_usd: Option<f64>,
}

impl TopologyConfig {
    /// The settings in `config`, checked for their shape (not yet against the members).
    ///
    /// # Errors
    /// Problems by `topology_config.KEY`.
    pub fn read(config: &Map<String, Value>) -> Result<Self, FieldErrors> {
        let parsed: Self = serde_path_to_error::deserialize(Value::Object(config.clone())).map_err(|e| {
            let at = e.path().to_string();
            let key = if at == "." { "topology_config".to_owned() } else { format!("topology_config.{at}") };
            FieldErrors::from([(key, e.into_inner().to_string())])
        })?;
        let mut errors = FieldErrors::new();
        if parsed.max_rounds.is_some_and(|n| !(1..=MAX_ROUNDS).contains(&n)) {
            errors.insert("topology_config.max_rounds".into(), format!("1–{MAX_ROUNDS}"));
        }
        if parsed
            .approve_word
            .as_ref()
            .is_some_and(|w| w.trim().is_empty() || w.len() > 40 || !w.chars().all(|c| c.is_alphanumeric() || c == '_'))
        {
            errors.insert("topology_config.approve_word".into(), "one word of 1–40 letters or digits".into());
        }
        if parsed.approval_timeout_seconds.is_some_and(|s| !(1..=crate::node::MAX_NODE_SECONDS).contains(&s)) {
            let why = format!("1–{} seconds", crate::node::MAX_NODE_SECONDS);
            errors.insert("topology_config.approval_timeout_seconds".into(), why);
        }
        if parsed.teams.len() > MAX_SUB_TEAMS {
            errors.insert("topology_config.teams".into(), format!("at most {MAX_SUB_TEAMS} teams"));
        }
        if parsed.budget_usd.is_some_and(|b| !(b > 0.0 && b <= crate::graph::MAX_BUDGET_USD)) {
            let why = format!("a number of US dollars, above 0 and at most {}", crate::graph::MAX_BUDGET_USD);
            errors.insert("topology_config.budget_usd".into(), why);
        }
        if parsed.mode.as_deref().is_some_and(|m| m != "sequential" && m != "parallel") {
            errors.insert("topology_config.mode".into(), "sequential or parallel".into());
        }
        if errors.is_empty() { Ok(parsed) } else { Err(errors) }
    }
}

/// A change to a team's fields (create: `name` required).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TeamPatch {
    /// 1–100 characters.
    pub name: Option<String>,
    /// Up to 2000 characters.
    pub description: Option<String>,
    /// One of [`Topology::NAMES`] (default `sequential`).
    pub topology: Option<String>,
    /// The topology's settings.
    pub topology_config: Option<Map<String, Value>>,
    /// An agent id, or `Some(None)` to clear it.
    pub leader_id: Option<Option<String>>,
    /// Default true.
    pub enabled: Option<bool>,
    /// The managed tooling its members' runs get (replaces what is attached).
    pub tooling: Option<agented_kernel::ToolingInput>,
}

impl TeamPatch {
    /// The fields of a new team.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn create(self) -> Result<TeamFields, FieldErrors> {
        let missing = self.name.is_none();
        let start = TeamFields {
            name: String::new(),
            description: String::new(),
            topology: Topology::default(),
            topology_config: Map::new(),
            leader_id: None,
            enabled: true,
            tooling: agented_kernel::ToolingRefs::default(),
        };
        crate::definition::with_name_required(missing, self.apply(start))
    }

    /// `current` with this patch applied.
    ///
    /// # Errors
    /// Every problem, by field.
    pub fn apply(self, current: TeamFields) -> Result<TeamFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut next = current;
        if let Some(name) = self.name {
            next.name = check_name(&mut errors, &name);
        }
        if let Some(description) = self.description {
            next.description = check_description(&mut errors, description);
        }
        if let Some(topology) = self.topology {
            match Topology::parse(&topology) {
                Ok(t) => next.topology = t,
                Err(why) => {
                    errors.insert("topology".into(), why);
                }
            }
        }
        if let Some(config) = self.topology_config {
            if let Err(problems) = TopologyConfig::read(&config) {
                errors.extend(problems);
            }
            next.topology_config = config;
        }
        if let Some(leader) = self.leader_id {
            match leader.as_deref().map(AgentId::parse).transpose() {
                Ok(id) => next.leader_id = id,
                Err(e) => {
                    errors.insert("leader_id".into(), e.to_string());
                }
            }
        }
        if let Some(enabled) = self.enabled {
            next.enabled = enabled;
        }
        if let Some(tooling) = self.tooling {
            match tooling.refs() {
                Ok(refs) => next.tooling = refs,
                Err(why) => drop(errors.insert("tooling".into(), why)),
            }
        }
        if errors.is_empty() { Ok(next) } else { Err(errors) }
    }
}
