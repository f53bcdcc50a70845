//! Teams on the in-memory stores: members and topology kept and checked, a run compiled
//! into a published version of the team's workflow (a new one only when the graph
//! changed), and each topology's graph carrying work between members as it says — run
//! here by the pure rules with agents that answer at once.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{AgentId, ManualClock};
use agented_workflows::fakes::{
    MemoryAgents, MemoryTeams, MemoryWorkflowRuns, MemoryWorkflows, RecordingLauncher, drive,
};
use agented_workflows::local::{approval_answer, compute};
use agented_workflows::{
    AgentPatch, AgentService, AgentTarget, Decision, Graph, NewMember, Node, NodeId, NodeKind, NodeOutput, NodePolicy,
    RunEnd, RunOrigin, TeamError, TeamPatch, TeamService, WorkflowRunService, WorkflowService, render,
};
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use std::sync::Arc;

struct World {
    teams: TeamService,
    agents: AgentService,
    workflows: WorkflowService,
}

fn world() -> World {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 7, 12, 0, 0).unwrap()));
    let definitions = Arc::new(MemoryWorkflows::default());
    let agents = Arc::new(MemoryAgents::default());
    let workflows = WorkflowService::new(definitions.clone(), clock.clone());
    let runs =
        WorkflowRunService::new(definitions, Arc::new(MemoryWorkflowRuns::default()), clock.clone(), Arc::new(|| {}));
    World {
        teams: TeamService::new(
            Arc::new(MemoryTeams::default()),
            agents.clone(),
            workflows.clone(),
            runs,
            clock.clone(),
        ),
        agents: AgentService::new(agents, Arc::new(RecordingLauncher::default()), clock),
        workflows,
    }
}

async fn agent(w: &World, name: &str) -> AgentId {
    let patch = AgentPatch { name: Some(name.into()), ..AgentPatch::default() };
    w.agents.create(patch).await.unwrap().id
}

/// A team of `topology` with the named agents as members, in order; their ids.
async fn team(w: &World, topology: &str, config: Value, names: &[&str]) -> (String, Vec<AgentId>) {
    let patch = TeamPatch { name: Some(format!("{topology} team")), ..TeamPatch::default() };
    let id = w.teams.create(patch).await.unwrap().id.as_str().to_owned();
    let mut ids = Vec::new();
    for name in names {
        let agent = agent(w, name).await;
        let new = NewMember { agent_id: agent.as_str().into(), ..NewMember::default() };
        w.teams.add_member(&id, new).await.unwrap();
        ids.push(agent);
    }
    let config = match config {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    w.teams.set_topology(&id, topology.into(), config).await.unwrap();
    (id, ids)
}

/// Runs team `id`'s graph on `input`: agents answer with `answer(agent, prompt)`, approvals
/// approve, sub-workflows answer `sub(input)`; the run's end and the nodes in start order.
async fn run(w: &World, id: &str, input: &str, answer: impl Fn(&str, &str) -> String) -> (RunEnd, Vec<String>) {
    let graph = Graph::read(&w.teams.graph(id).await.unwrap().1).unwrap();
    let decision = Decision { approved: true, by: "dana".into(), comment: None, at: Utc::now() };
    let (end, order, _) = drive(&graph, &NodeOutput::text("input", input), Utc::now(), |node, kind, input, _| {
        let as_node = Node { id: NodeId::parse(node).unwrap(), kind: kind.clone(), policy: NodePolicy::default() };
        if let Some(out) = compute(&as_node, input) {
            return out;
        }
        match kind {
            NodeKind::Agent { target: AgentTarget::Agent(agent), prompt, .. } => {
                Ok(NodeOutput::text(node, answer(agent, &render(prompt, input))))
            }
            NodeKind::Approval { .. } => approval_answer(node, input, &decision),
            NodeKind::Workflow { .. } => Ok(NodeOutput::text(node, format!("sub({})", input.as_text()))),
            other => Err(format!("unexpected {other:?}")),
        }
    });
    (end, order)
}

fn output(end: RunEnd) -> String {
    match end {
        RunEnd::Completed(out) => out.as_text(),
        RunEnd::Failed { node, error } => panic!("failed at {node}: {error}"),
    }
}

#[tokio::test]
async fn members_are_agents_added_once_and_the_topology_is_checked() {
    let w = world();
    let (id, members) = team(&w, "sequential", json!({}), &["Ada"]).await;
    let again = NewMember { agent_id: members[0].as_str().into(), ..NewMember::default() };
    assert!(matches!(w.teams.add_member(&id, again).await, Err(TeamError::Conflict(_))));
    let ghost = NewMember { agent_id: "agent-nobody".into(), ..NewMember::default() };
    let Err(TeamError::Invalid(errors)) = w.teams.add_member(&id, ghost).await else { panic!("an unknown agent") };
    assert_eq!(errors["agent_id"], "no such agent");
    let Err(TeamError::Invalid(errors)) = w.teams.set_topology(&id, "mesh".into(), serde_json::Map::new()).await else {
        panic!("an unknown topology")
    };
    assert!(errors["topology"].contains("use one of sequential, parallel"), "{errors:?}");
    let bad = json!({"max_rounds": 99, "order": "not a list", "budget_usd": -1});
    let Err(TeamError::Invalid(errors)) =
        w.teams.set_topology(&id, "generator_critic".into(), bad.as_object().unwrap().clone()).await
    else {
        panic!("settings of the wrong shape")
    };
    assert!(errors.contains_key("topology_config.order"), "{errors:?}");
    let bad = json!({"budget_usd": -1});
    let Err(TeamError::Invalid(errors)) =
        w.teams.set_topology(&id, "sequential".into(), bad.as_object().unwrap().clone()).await
    else {
        panic!("a budget below zero")
    };
    assert!(errors["topology_config.budget_usd"].starts_with("a number of US dollars"), "{errors:?}");
    assert!(matches!(w.teams.remove_member(&id, "agent-nobody").await, Err(TeamError::NotFound("member"))));
    let left = w.teams.remove_member(&id, members[0].as_str()).await.unwrap();
    assert!(left.members.is_empty());
}

#[tokio::test]
async fn a_run_compiles_the_team_into_a_published_version_made_anew_only_when_the_graph_changed() {
    let w = world();
    let (id, _) = team(&w, "sequential", json!({}), &["Ada", "Bob"]).await;
    let first = w.teams.run(&id, json!("ship it"), RunOrigin::Manual, &[]).await.unwrap();
    let team = w.teams.get(&id).await.unwrap();
    assert_eq!(Some(&first.workflow_id), team.workflow_id.as_ref(), "the run is of the team's workflow");
    let workflow = w.workflows.get(first.workflow_id.as_str()).await.unwrap();
    assert_eq!(workflow.fields.name, "Team: sequential team");
    let second = w.teams.run(&id, json!("again"), RunOrigin::Manual, &[]).await.unwrap();
    assert_eq!(first.version, second.version, "an unchanged team reuses its version");
    let ids: Vec<&str> = first.nodes.iter().map(|n| n.node_id.as_str()).collect();
    assert_eq!(ids, ["start", "step_1", "step_2"]);

    let c = agent(&w, "Cy").await;
    w.teams.add_member(&id, NewMember { agent_id: c.as_str().into(), ..NewMember::default() }).await.unwrap();
    let third = w.teams.run(&id, json!("with Cy"), RunOrigin::Manual, &[]).await.unwrap();
    assert!(third.version > second.version, "a new member is a new published version");
    assert_eq!(third.nodes.len(), 4);
}

#[tokio::test]
async fn a_team_that_cannot_run_says_why_and_starts_nothing() {
    let w = world();
    let (lonely, _) = team(&w, "generator_critic", json!({}), &["Ada"]).await;
    let Err(TeamError::Conflict(why)) = w.teams.run(&lonely, json!("draft"), RunOrigin::Manual, &[]).await else {
        panic!("one member cannot be a generator and a critic")
    };
    assert!(why.contains("needs two members"), "{why}");
    let (outsider, _) = team(&w, "coordinator", json!({"coordinator": "agent-zzz"}), &["Ada", "Bob"]).await;
    let Err(TeamError::Conflict(why)) = w.teams.graph(&outsider).await else { panic!("not a member") };
    assert!(why.contains("agent-zzz is not a member"), "{why}");
    let (looped, ids) = team(&w, "hierarchical", json!({}), &["Ada", "Bob", "Cy"]).await;
    let cycle = json!({"reports_to": {ids[1].as_str(): ids[2].as_str(), ids[2].as_str(): ids[1].as_str()}});
    w.teams.set_topology(&looped, "hierarchical".into(), cycle.as_object().unwrap().clone()).await.unwrap();
    let Err(TeamError::Conflict(why)) = w.teams.run(&looped, json!("x"), RunOrigin::Manual, &[]).await else {
        panic!("a loop of managers")
    };
    assert!(why.contains("loop of managers"), "{why}");
    let (off, _) = team(&w, "sequential", json!({}), &["Ada"]).await;
    w.teams.update(&off, TeamPatch { enabled: Some(false), ..TeamPatch::default() }).await.unwrap();
    assert!(matches!(w.teams.run(&off, json!("x"), RunOrigin::Manual, &[]).await, Err(TeamError::Conflict(_))));
    assert!(matches!(w.teams.run(&off, json!(" "), RunOrigin::Manual, &[]).await, Err(TeamError::Invalid(_))));
    let (composite, _) = team(&w, "composite", json!({}), &[]).await;
    let itself = json!({"teams": [composite.as_str()]});
    w.teams.set_topology(&composite, "composite".into(), itself.as_object().unwrap().clone()).await.unwrap();
    let Err(TeamError::Conflict(why)) = w.teams.run(&composite, json!("x"), RunOrigin::Manual, &[]).await else {
        panic!("a team inside itself")
    };
    assert!(why.contains("loop"), "{why}");
}

#[tokio::test]
async fn the_critic_loop_ends_on_approval_with_the_approved_draft() {
    let w = world();
    let (id, ids) = team(&w, "generator_critic", json!({"max_rounds": 3}), &["Gen", "Critic"]).await;
    let critic = ids[1].as_str().to_owned();
    let (end, order) = run(&w, &id, "a haiku", |agent, prompt| {
        if agent == critic {
            if prompt.starts_with("Round 2 of 3") { "APPROVED, lovely".into() } else { "NOT APPROVED: too long".into() }
        } else if prompt.starts_with("Revise") {
            assert!(prompt.contains("draft one") && prompt.contains("too long"), "the revision sees both: {prompt}");
            "draft two".into()
        } else {
            "draft one".into()
        }
    })
    .await;
    assert_eq!(output(end), "draft two", "the approved draft, not the review");
    assert_eq!(
        order,
        ["start", "draft_1", "review_1", "verdict_1", "draft_2", "review_2", "verdict_2", "accept_2"],
        "round 3 never starts"
    );
    let (end, order) = run(&w, &id, "a haiku", |agent, _| if agent == critic { "no".into() } else { "d".into() }).await;
    assert_eq!(output(end), "d", "after the last round, the last draft");
    assert_eq!(order.last().map(String::as_str), Some("unapproved"));
}

#[tokio::test]
async fn a_coordinator_plans_members_work_on_their_parts_and_the_coordinator_merges() {
    let w = world();
    let (id, ids) = team(&w, "coordinator", json!({}), &["Lead", "Ann", "Ben"]).await;
    let (lead, ann, ben) = (ids[0].to_string(), ids[1].to_string(), ids[2].to_string());
    let plan = json!({"tasks": {ann.clone(): "write the tests", ben.clone(): "write the code"}}).to_string();
    let (end, order) = run(&w, &id, "build it", |agent, prompt| {
        if agent == lead && prompt.starts_with("Split") {
            assert!(prompt.contains(&format!("- {ann}: Ann")) && prompt.ends_with("build it"), "{prompt}");
            plan.clone()
        } else if agent == lead {
            prompt.to_owned()
        } else {
            format!("{} did: {prompt}", if agent == ann { "Ann" } else { "Ben" })
        }
    })
    .await;
    assert_eq!(
        output(end),
        "Merge the members' results into one answer to the task.\n\n## Ann\n\nAnn did: write the tests\n\n## Ben\n\nBen did: write the code"
    );
    assert_eq!(order.first().map(String::as_str), Some("start"));
    assert_eq!(order.last().map(String::as_str), Some("merge"));

    let only_ann = json!({"tasks": {ann.clone(): "everything"}}).to_string();
    let (end, order) = run(&w, &id, "build it", |agent, prompt| {
        if agent == lead && prompt.starts_with("Split") { only_ann.clone() } else { format!("{agent}: {prompt}") }
    })
    .await;
    assert!(
        order.contains(&"work_1".to_owned()) && !order.contains(&"work_2".to_owned()),
        "Ben has no task: {order:?}"
    );
    let out = output(end);
    assert!(out.contains(&format!("{ann}: everything")) && !out.contains(&ben), "{out}");
}

#[tokio::test]
async fn a_hierarchy_briefs_down_and_reports_up() {
    let w = world();
    let (id, ids) = team(&w, "hierarchical", json!({}), &["Boss", "Mid", "Dev"]).await;
    let reports = json!({"reports_to": {ids[2].as_str(): ids[1].as_str()}});
    w.teams.set_topology(&id, "hierarchical".into(), reports.as_object().unwrap().clone()).await.unwrap();
    let (end, order) = run(&w, &id, "task", |_, prompt| {
        prompt.lines().next().unwrap_or_default().split_whitespace().take(2).collect::<Vec<_>>().join(" ")
            + &format!(" <{}>", prompt.lines().last().unwrap_or_default())
    })
    .await;
    assert_eq!(order, ["start", "brief_1", "brief_2", "work_3", "report_2", "report_1"]);
    assert!(output(end).starts_with("Combine your"), "the leader reports last");
}

#[tokio::test]
async fn parallel_sequential_human_and_composite_teams_hand_work_on_as_they_say() {
    let w = world();
    let echo = |agent: &str, prompt: &str| format!("{}[{prompt}]", &agent[6..8]);
    let (seq, s) = team(&w, "sequential", json!({}), &["A", "B"]).await;
    let (end, _) = run(&w, &seq, "go", echo).await;
    let (a, b) = (&s[0].as_str()[6..8], &s[1].as_str()[6..8]);
    assert_eq!(output(end), format!("{b}[{a}[go]]"), "each output is the next one's input");

    let (par, p) = team(&w, "parallel", json!({}), &["A", "B"]).await;
    let (end, order) = run(&w, &par, "go", echo).await;
    let (a, b) = (&p[0].as_str()[6..8], &p[1].as_str()[6..8]);
    assert_eq!(output(end), format!("## A\n\n{a}[go]\n\n## B\n\n{b}[go]"));
    assert_eq!(order, ["start", "work_1", "work_2", "merge"]);

    let (human, _) = team(&w, "human_in_loop", json!({"approval_timeout_seconds": 60}), &["A", "B"]).await;
    let (_, order) = run(&w, &human, "go", echo).await;
    assert_eq!(order, ["start", "step_1", "approve_1", "step_2"], "a person checks between steps");

    let composite = json!({"teams": [seq.as_str(), par.as_str()], "mode": "parallel"});
    let (outer, _) = team(&w, "composite", composite, &[]).await;
    let (_, graph) = w.teams.graph(&outer).await.unwrap();
    let inner = w.teams.get(&seq).await.unwrap().workflow_id.unwrap();
    assert_eq!(graph.nodes[1].config["workflow_id"], inner.as_str(), "a team inside runs as its workflow");
    let (end, _) = run(&w, &outer, "go", echo).await;
    assert_eq!(output(end), "## sequential team\n\nsub(go)\n\n## parallel team\n\nsub(go)");
}
