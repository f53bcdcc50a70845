//! A team's topology compiled to a workflow graph, so a team runs on the one workflow
//! engine: its members become `agent` nodes, hand-offs become edges, a critic's verdict a
//! `conditional`, a person's check an `approval`, a team inside a team a `workflow` node.
//! The graph is laid out for the editor (each node's `label` and `position`).

use crate::document::{EdgeDocument, GraphDocument, NodeDocument};
use crate::team::{Member, Team, Topology, TopologyConfig};
use agented_kernel::{AgentId, TeamId, WorkflowId};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The teams a composite team holds: each one's workflow and name.
pub type SubTeams = BTreeMap<TeamId, (WorkflowId, String)>;

/// Default rounds of a generator–critic loop.
pub const DEFAULT_ROUNDS: u32 = 3;
/// Default word a critic starts its review with to approve.
pub const DEFAULT_APPROVE_WORD: &str = "APPROVED";

struct Builder {
    doc: GraphDocument,
    /// The team's tooling, given to every member's node.
    tooling: Option<Value>,
}

impl Builder {
    fn new(tooling: &agented_kernel::ToolingRefs) -> Self {
        let tooling = (!tooling.is_empty()).then(|| json!(tooling));
        let mut b = Self { doc: GraphDocument::default(), tooling };
        b.node("start", "trigger", "Input", (0, 0), Map::new());
        b
    }

    fn node(&mut self, id: &str, kind: &str, label: &str, (column, row): (usize, usize), config: Map<String, Value>) {
        let mut extra = Map::new();
        extra.insert("label".into(), Value::from(label));
        extra.insert("position".into(), json!({"x": column * 260, "y": row * 140}));
        self.doc.nodes.push(NodeDocument { id: id.to_owned(), kind: kind.to_owned(), config, extra });
    }

    /// An agent node's config: the member, the prompt, the team's tooling.
    fn agent_config(&self, member: &Member, prompt: &str) -> Map<String, Value> {
        let mut config = object(json!({"agent_id": member.agent_id.as_str(), "prompt": prompt}));
        if let Some(tooling) = &self.tooling {
            config.insert("tooling".into(), tooling.clone());
        }
        config
    }

    fn agent(&mut self, id: &str, member: &Member, at: (usize, usize), prompt: &str) {
        let config = self.agent_config(member, prompt);
        self.node(id, "agent", &member.name, at, config);
    }

    fn edge(&mut self, source: &str, target: &str, branch: Option<&str>) {
        self.doc.edges.push(EdgeDocument {
            source: source.to_owned(),
            target: target.to_owned(),
            branch: branch.map(str::to_owned),
            extra: Map::new(),
        });
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// A template showing each of `parts` (node id, title) under its title; `{input}` alone
/// for one part, which reaches its node whole rather than as a fan-in.
fn sections(parts: &[(String, String)]) -> String {
    match parts {
        [_] => "{input}".to_owned(),
        _ => parts.iter().map(|(id, title)| format!("## {title}\n\n{{input.{id}}}")).collect::<Vec<_>>().join("\n\n"),
    }
}

fn member<'a>(team: &'a Team, id: &AgentId, key: &str) -> Result<&'a Member, String> {
    team.member(id).ok_or_else(|| format!("topology_config.{key}: {id} is not a member of the team"))
}

/// `chosen`, else the team's leader when a member, else member `fallback` (0-based).
fn pick<'a>(team: &'a Team, chosen: Option<&AgentId>, key: &str, fallback: usize) -> Result<&'a Member, String> {
    match chosen {
        Some(id) => member(team, id, key),
        None => team
            .fields
            .leader_id
            .as_ref()
            .filter(|_| fallback == 0)
            .and_then(|l| team.member(l))
            .or_else(|| team.members.get(fallback))
            .ok_or_else(|| format!("a {} team needs at least {} members", team.fields.topology.name(), fallback + 1)),
    }
}

fn ordered<'a>(team: &'a Team, config: &TopologyConfig) -> Result<Vec<&'a Member>, String> {
    let order: Vec<&Member> = match &config.order {
        Some(ids) => ids.iter().map(|id| member(team, id, "order")).collect::<Result<_, _>>()?,
        None => team.members.iter().collect(),
    };
    if order.is_empty() {
        return Err(format!("a {} team needs at least one member", team.fields.topology.name()));
    }
    Ok(order)
}

fn sequential(b: &mut Builder, steps: &[&Member], approval: Option<Option<u64>>) {
    let mut previous = "start".to_owned();
    for (i, m) in steps.iter().enumerate() {
        let id = format!("step_{}", i + 1);
        b.agent(&id, m, (2 * i + 1, 0), "{input}");
        b.edge(&previous, &id, None);
        previous = id;
        if let (Some(timeout), Some(next)) = (approval, steps.get(i + 1)) {
            let gate = format!("approve_{}", i + 1);
            let mut config = object(json!({
                "message": format!("Approve {}'s output to hand it to {}", m.name, next.name),
            }));
            if let Some(seconds) = timeout {
                config.insert("approval_timeout_seconds".into(), Value::from(seconds));
            }
            b.node(&gate, "approval", &format!("Check {}", m.name), (2 * i + 2, 0), config);
            b.edge(&previous, &gate, None);
            previous = gate;
        }
    }
}

/// Every member at once on the input, then `merge` over their outputs.
fn parallel(b: &mut Builder, workers: &[(String, String)], kind: &str, configs: Vec<Map<String, Value>>) {
    for (row, ((id, title), config)) in workers.iter().zip(configs).enumerate() {
        b.node(id, kind, title, (1, row), config);
        b.edge("start", id, None);
    }
    let template = object(json!({"transform_type": "template", "template": sections(workers)}));
    b.node("merge", "transform", "Merge", (2, 0), template);
    for (id, _) in workers {
        b.edge(id, "merge", None);
    }
}

fn coordinator(b: &mut Builder, team: &Team, config: &TopologyConfig) -> Result<(), String> {
    let lead = pick(team, config.coordinator.as_ref(), "coordinator", 0)?;
    let workers: Vec<&Member> = team.members.iter().filter(|m| m.agent_id != lead.agent_id).collect();
    if workers.is_empty() {
        return Err("a coordinator team needs a member besides its coordinator".into());
    }
    let roster =
        workers.iter().map(|m| format!("- {}: {} ({})", m.agent_id, m.name, m.role)).collect::<Vec<_>>().join("\n");
    let plan = format!(
        "Split the task below among the team. Answer with JSON only, in the form \
         {{\"tasks\": {{\"<agent id>\": \"<that member's part of the task>\"}}}}, one entry per member.\n\
         The members:\n{roster}\n\nThe task:\n{{input}}"
    );
    b.agent("plan", lead, (1, 0), &plan);
    b.edge("start", "plan", None);
    let mut parts = Vec::new();
    for (row, m) in workers.iter().enumerate() {
        let n = row + 1;
        let (task, given, work) = (format!("task_{n}"), format!("given_{n}"), format!("work_{n}"));
        let path = object(json!({"transform_type": "json_path", "path": format!("$.tasks['{}']", m.agent_id)}));
        b.node(&task, "transform", &format!("{}'s task", m.name), (2, row), path);
        b.edge("plan", &task, None);
        // A member the plan leaves out (its path finds nothing: `[]`) does not run.
        let left_out = object(json!({"condition": "equals", "value": "[]"}));
        b.node(&given, "conditional", &format!("A task for {}?", m.name), (3, row), left_out);
        b.edge(&task, &given, None);
        b.agent(&work, m, (4, row), "{input}");
        b.edge(&given, &work, Some("false"));
        parts.push((work, m.name.clone()));
    }
    let merge = format!("Merge the members' results into one answer to the task.\n\n{}", sections(&parts));
    b.agent("merge", lead, (5, 0), &merge);
    for (n, (work, _)) in parts.iter().enumerate() {
        b.edge(work, "merge", None);
        // The left-out branch goes to the merge too, so the check is not a result of the run.
        b.edge(&format!("given_{}", n + 1), "merge", Some("true"));
    }
    Ok(())
}

fn generator_critic(b: &mut Builder, team: &Team, config: &TopologyConfig) -> Result<(), String> {
    let generator = pick(team, config.generator.as_ref(), "generator", 0)?;
    let critic = match &config.critic {
        Some(id) => member(team, id, "critic")?,
        None => team
            .members
            .iter()
            .find(|m| m.agent_id != generator.agent_id)
            .ok_or("a generator_critic team needs two members: a generator and a critic")?,
    };
    if critic.agent_id == generator.agent_id {
        return Err("topology_config.critic: the critic must not be the generator".into());
    }
    let rounds = config.max_rounds.unwrap_or(DEFAULT_ROUNDS);
    let word = config.approve_word.as_deref().unwrap_or(DEFAULT_APPROVE_WORD);
    let mut input = "start".to_owned();
    for k in 1..=rounds {
        let (draft, review, verdict) = (format!("draft_{k}"), format!("review_{k}"), format!("verdict_{k}"));
        let (col, row) = (1, 3 * (k as usize - 1));
        let prompt = if k == 1 {
            "{input}".to_owned()
        } else {
            let before = k - 1;
            format!(
                "Revise your draft.\n\nYour draft:\n{{input.draft_{before}}}\n\n\
                 The critic's review:\n{{input.review_{before}}}"
            )
        };
        b.agent(&draft, generator, (col, row), &prompt);
        b.edge(&input, &draft, (k > 1).then_some("false"));
        let ask = format!(
            "Round {k} of {rounds}. Review the draft below. If it is ready, begin your answer with {word}; \
             otherwise say what to change.\n\n{{input}}"
        );
        b.agent(&review, critic, (col + 1, row), &ask);
        b.edge(&draft, &review, None);
        let test = object(json!({
            "condition": "matches",
            "value": format!(r"^\s*{}\b", regex::escape(word)),
            "subject": format!("{{input.{review}}}"),
        }));
        b.node(&verdict, "conditional", &format!("{word}?"), (col + 2, row), test);
        b.edge(&draft, &verdict, None);
        b.edge(&review, &verdict, None);
        let accept = format!("accept_{k}");
        let keep = object(json!({"transform_type": "template", "template": format!("{{input.{draft}}}")}));
        b.node(&accept, "transform", &format!("Approved in round {k}"), (col + 3, row), keep.clone());
        b.edge(&verdict, &accept, Some("true"));
        if k == rounds {
            b.node("unapproved", "transform", "Last draft, not approved", (col + 3, row + 1), keep);
            b.edge(&verdict, "unapproved", Some("false"));
        }
        input = verdict;
    }
    Ok(())
}

fn hierarchical(b: &mut Builder, team: &Team, config: &TopologyConfig) -> Result<(), String> {
    let root = pick(team, None, "leader_id", 0)?;
    if team.members.len() < 2 {
        return Err("a hierarchical team needs a manager and at least one report".into());
    }
    for (report, manager) in &config.reports_to {
        member(team, report, "reports_to")?;
        member(team, manager, "reports_to")?;
        if report == &root.agent_id {
            return Err(format!("topology_config.reports_to: {report} leads the team and reports to no one"));
        }
    }
    let manager_of = |m: &AgentId| config.reports_to.get(m).unwrap_or(&root.agent_id).clone();
    // Every chain of managers must reach the leader; one that does not within n steps loops.
    for m in &team.members {
        let mut at = m.agent_id.clone();
        for _ in 0..=team.members.len() {
            if at == root.agent_id {
                break;
            }
            at = manager_of(&at);
        }
        if at != root.agent_id {
            return Err(format!("topology_config.reports_to: {} is in a loop of managers", m.agent_id));
        }
    }
    // Each member's reports, by index in the team.
    let mut reports: BTreeMap<&AgentId, Vec<usize>> = BTreeMap::new();
    for (i, m) in team.members.iter().enumerate().filter(|(_, m)| m.agent_id != root.agent_id) {
        let manager = config.reports_to.get(&m.agent_id).unwrap_or(&root.agent_id);
        reports.entry(manager).or_default().push(i);
    }
    // Briefs go down the tree, reports come back up: (entry, exit, last column) of each
    // member's subtree, drawn left to right.
    fn emit(
        b: &mut Builder,
        team: &Team,
        reports: &BTreeMap<&AgentId, Vec<usize>>,
        i: usize,
        depth: usize,
        row: &mut usize,
    ) -> (String, String, usize) {
        let m = &team.members[i];
        let under = reports.get(&m.agent_id).map(Vec::as_slice).unwrap_or_default();
        let n = i + 1;
        if under.is_empty() {
            let work = format!("work_{n}");
            b.agent(&work, m, (depth + 1, *row), "{input}");
            *row += 1;
            return (work.clone(), work, depth + 1);
        }
        let (brief, report) = (format!("brief_{n}"), format!("report_{n}"));
        let names = under.iter().map(|&r| team.members[r].name.as_str()).collect::<Vec<_>>().join(", ");
        let ask = format!("You lead {names}. Write the instructions they need for the task below.\n\n{{input}}");
        b.agent(&brief, m, (depth + 1, *row), &ask);
        let (mut parts, mut last) = (Vec::new(), depth + 1);
        for &r in under {
            let (entry, exit, column) = emit(b, team, reports, r, depth + 1, row);
            b.edge(&brief, &entry, None);
            parts.push((exit, team.members[r].name.clone()));
            last = last.max(column);
        }
        let combine = format!("Combine your team's results into one answer.\n\n{}", sections(&parts));
        b.agent(&report, m, (last + 1, *row), &combine);
        for (exit, _) in &parts {
            b.edge(exit, &report, None);
        }
        (brief, report, last + 1)
    }
    let root_index = team.members.iter().position(|m| m.agent_id == root.agent_id).unwrap_or_default();
    let (entry, ..) = emit(b, team, &reports, root_index, 0, &mut 0);
    b.edge("start", &entry, None);
    Ok(())
}

fn composite(b: &mut Builder, config: &TopologyConfig, teams: &SubTeams) -> Result<(), String> {
    if config.teams.is_empty() {
        return Err("a composite team needs topology_config.teams: the teams inside it".into());
    }
    let mut parts = Vec::new();
    let mut configs = Vec::new();
    for (i, id) in config.teams.iter().enumerate() {
        let (workflow, name) =
            teams.get(id).ok_or_else(|| format!("topology_config.teams: team {id} cannot run (not found)"))?;
        parts.push((format!("team_{}", i + 1), name.clone()));
        configs.push(object(json!({"workflow_id": workflow.as_str()})));
    }
    if config.mode.as_deref() == Some("parallel") {
        parallel(b, &parts, "workflow", configs);
    } else {
        let mut previous = "start".to_owned();
        for (i, ((id, name), config)) in parts.iter().zip(configs).enumerate() {
            b.node(id, "workflow", name, (i + 1, 0), config);
            b.edge(&previous, id, None);
            previous.clone_from(id);
        }
    }
    Ok(())
}

/// The graph `team`'s topology compiles to; `teams` resolves the teams a composite holds.
///
/// # Errors
/// Why the team cannot run as it stands (too few members, a setting naming an agent that
/// is not a member, a loop of managers, a team inside that cannot run).
pub fn compile(team: &Team, teams: &SubTeams) -> Result<GraphDocument, String> {
    let config = TopologyConfig::read(&team.fields.topology_config)
        .map_err(|e| e.into_iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; "))?;
    let mut b = Builder::new(&team.fields.tooling);
    match team.fields.topology {
        Topology::Sequential => sequential(&mut b, &ordered(team, &config)?, None),
        Topology::HumanInLoop => {
            sequential(&mut b, &ordered(team, &config)?, Some(config.approval_timeout_seconds));
        }
        Topology::Parallel => {
            if team.members.is_empty() {
                return Err("a parallel team needs at least one member".into());
            }
            let workers: Vec<(String, String)> =
                team.members.iter().enumerate().map(|(i, m)| (format!("work_{}", i + 1), m.name.clone())).collect();
            let configs = team.members.iter().map(|m| b.agent_config(m, "{input}")).collect();
            parallel(&mut b, &workers, "agent", configs);
        }
        Topology::Coordinator => coordinator(&mut b, team, &config)?,
        Topology::GeneratorCritic => generator_critic(&mut b, team, &config)?,
        Topology::Hierarchical => hierarchical(&mut b, team, &config)?,
        Topology::Composite => composite(&mut b, &config, teams)?,
    }
    if let Some(budget) = config.budget_usd {
        b.doc.settings.insert("budget_usd".into(), Value::from(budget));
    }
    Ok(b.doc)
}
