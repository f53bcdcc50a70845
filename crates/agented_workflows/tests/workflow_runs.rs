//! Runs of workflows on the in-memory stores: a fixed version, nodes stored pending,
//! cancel and approval decisions taken once, claims that take over a gone driver's runs,
//! and the pure parts a driver uses (settling an attempt, computing nodes, profiling).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{ManualClock, WorkerId};
use agented_workflows::fakes::{MemoryWorkflowRuns, MemoryWorkflows};
use agented_workflows::{
    Decision, Graph, GraphDocument, NodeOutput, NodeRun, NodeState, RunError, RunOrigin, RunStatus, WorkflowPatch,
    WorkflowRunRepository, WorkflowRunService, WorkflowService, local, settle,
};
use chrono::{Duration, TimeZone, Utc};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

struct World {
    workflows: WorkflowService,
    runs: WorkflowRunService,
    store: Arc<MemoryWorkflowRuns>,
    wakes: Arc<AtomicUsize>,
}

fn world() -> World {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()));
    let definitions = Arc::new(MemoryWorkflows::default());
    let store = Arc::new(MemoryWorkflowRuns::default());
    let wakes = Arc::new(AtomicUsize::new(0));
    let counter = wakes.clone();
    World {
        workflows: WorkflowService::new(definitions.clone(), clock.clone()),
        runs: WorkflowRunService::new(
            definitions,
            store.clone(),
            clock,
            Arc::new(move || {
                counter.fetch_add(1, Ordering::SeqCst);
            }),
        ),
        store,
        wakes,
    }
}

fn graph(value: serde_json::Value) -> GraphDocument {
    serde_json::from_value(value).unwrap()
}

fn approval_graph() -> GraphDocument {
    graph(json!({
        "nodes": [{"id": "start", "type": "trigger"}, {"id": "ok", "type": "approval", "config": {"message": "Ship?"}}],
        "edges": [{"source": "start", "target": "ok"}]
    }))
}

async fn published(w: &World) -> String {
    let named = WorkflowPatch { name: Some("ship".into()), ..WorkflowPatch::default() };
    let wf = w.workflows.create(named, Some(&approval_graph()), true).await.unwrap();
    wf.id.as_str().to_owned()
}

#[tokio::test]
async fn a_run_fixes_the_published_version_and_stores_every_node_pending() {
    let w = world();
    let id = published(&w).await;
    let extra = graph(json!({"nodes": [{"id": "only", "type": "wait", "config": {"seconds": 1}}], "edges": []}));
    w.workflows.add_version(&id, &extra, false).await.unwrap();
    let run = w.runs.start(&id, None, json!({"text": "v1.5.0"}), RunOrigin::Manual).await.unwrap();
    assert_eq!((run.version, run.status), (1, RunStatus::Pending), "the newest published version, not the draft");
    let names: Vec<&str> = run.nodes.iter().map(|n| n.node_id.as_str()).collect();
    assert_eq!(names, ["start", "ok"]);
    assert!(run.nodes.iter().all(|n| n.state == NodeState::Pending));
    assert_eq!(run.input.text.as_deref(), Some("v1.5.0"), "an input's text is what templates see");
    assert_eq!(w.runs.get(run.id.as_str()).await.unwrap(), run, "stored as answered");
    assert_eq!(w.wakes.load(Ordering::SeqCst), 1, "the driver is told at once");
    let draft = w.runs.start(&id, Some(2), json!("x"), RunOrigin::Manual).await.unwrap();
    assert_eq!(draft.version, 2, "a named version runs even as a draft");
}

#[tokio::test]
async fn a_run_that_cannot_start_says_why() {
    let w = world();
    assert_eq!(
        w.runs.start("wf-nothere", None, json!({}), RunOrigin::Manual).await,
        Err(RunError::NotFound("workflow"))
    );
    assert_eq!(
        w.runs.start("DROP TABLE", None, json!({}), RunOrigin::Manual).await,
        Err(RunError::NotFound("workflow"))
    );
    let named = WorkflowPatch { name: Some("draft only".into()), ..WorkflowPatch::default() };
    let wf = w.workflows.create(named, Some(&approval_graph()), false).await.unwrap();
    let Err(RunError::Conflict(why)) = w.runs.start(wf.id.as_str(), None, json!({}), RunOrigin::Manual).await else {
        panic!("a workflow with nothing published cannot run by default")
    };
    assert!(why.contains("no published version"), "{why}");
    assert_eq!(
        w.runs.start(wf.id.as_str(), Some(7), json!({}), RunOrigin::Manual).await,
        Err(RunError::NotFound("version"))
    );
    let huge = json!({"text": "x".repeat(300 * 1024)});
    let Err(RunError::Invalid(errors)) = w.runs.start(wf.id.as_str(), Some(1), huge, RunOrigin::Manual).await else {
        panic!("an oversized input is refused")
    };
    assert!(errors["input_json"].contains("at most"));
    let off = WorkflowPatch { enabled: Some(false), ..WorkflowPatch::default() };
    w.workflows.update(wf.id.as_str(), off).await.unwrap();
    let Err(RunError::Conflict(why)) = w.runs.start(wf.id.as_str(), Some(1), json!({}), RunOrigin::Manual).await else {
        panic!("a disabled workflow does not run")
    };
    assert!(why.contains("disabled"), "{why}");
}

#[tokio::test]
async fn cancel_ends_a_run_once_and_names_who_cancelled() {
    let w = world();
    let id = published(&w).await;
    let run = w.runs.start(&id, None, json!({}), RunOrigin::Manual).await.unwrap();
    let cancelled = w.runs.cancel(&id, run.id.as_str(), "ops-key").await.unwrap();
    assert_eq!(cancelled.status, RunStatus::Cancelled);
    assert_eq!(cancelled.error.as_deref(), Some("cancelled by ops-key"));
    let Err(RunError::Conflict(why)) = w.runs.cancel(&id, run.id.as_str(), "ops-key").await else {
        panic!("an ended run is not cancelled twice")
    };
    assert!(why.contains("already ended (status cancelled)"), "{why}");
    assert_eq!(
        w.runs.cancel("wf-other", run.id.as_str(), "k").await.unwrap_err(),
        RunError::NotFound("workflow execution")
    );
}

#[tokio::test]
async fn an_approval_is_decided_once_while_it_waits_and_records_the_decider() {
    let w = world();
    let id = published(&w).await;
    let run = w.runs.start(&id, None, json!({}), RunOrigin::Manual).await.unwrap();
    let Err(RunError::Conflict(why)) = w.runs.decide(&id, run.id.as_str(), "ok", true, "alice", None).await else {
        panic!("a pending approval is not decided yet")
    };
    assert!(why.contains("it is pending"), "{why}");
    let mut waiting = NodeRun::pending("ok".parse_node(), "approval");
    waiting.state = NodeState::Running { attempt: 1 };
    w.store.save_node(&run.id, &waiting).await.unwrap();
    let decided = w.runs.decide(&id, run.id.as_str(), "ok", false, "alice", Some("not today".into())).await.unwrap();
    let decision = decided.node(&"ok".parse_node()).unwrap().decision.clone().unwrap();
    assert_eq!(
        (decision.approved, decision.by.as_str(), decision.comment.as_deref()),
        (false, "alice", Some("not today"))
    );
    assert!(matches!(w.runs.decide(&id, run.id.as_str(), "ok", true, "bob", None).await, Err(RunError::Conflict(_))));
    assert_eq!(
        w.runs.decide(&id, run.id.as_str(), "start", true, "bob", None).await.map(|_| ()).unwrap_err().to_string(),
        "node 'start' is not an approval waiting for a decision (it is pending)"
    );
    assert_eq!(
        w.runs.decide(&id, run.id.as_str(), "ghost", true, "bob", None).await.unwrap_err(),
        RunError::NotFound("node")
    );
}

trait ParseNode {
    fn parse_node(&self) -> agented_workflows::NodeId;
}

impl ParseNode for str {
    fn parse_node(&self) -> agented_workflows::NodeId {
        agented_workflows::NodeId::parse(self).unwrap()
    }
}

#[tokio::test]
async fn a_claim_takes_runs_without_a_driver_or_whose_driver_is_gone() {
    let w = world();
    let id = published(&w).await;
    let run = w.runs.start(&id, None, json!({}), RunOrigin::Manual).await.unwrap();
    let (first, second) = (WorkerId::generate(), WorkerId::generate());
    assert_eq!(w.store.claim(&first).await.unwrap(), std::slice::from_ref(&run.id));
    assert_eq!(w.runs.get(run.id.as_str()).await.unwrap().status, RunStatus::Running);
    assert!(w.store.claim(&second).await.unwrap().is_empty(), "a live driver keeps its runs");
    w.store.gone(&first);
    assert_eq!(
        w.store.claim(&second).await.unwrap(),
        std::slice::from_ref(&run.id),
        "a lost driver's runs are taken over"
    );
    w.store.release(&second).await.unwrap();
    assert_eq!(w.store.driver_of(&run.id), None, "a clean stop lets go");
}

#[test]
fn an_attempt_settles_completed_retrying_or_failed_by_its_policy() {
    let doc = graph(
        json!({"nodes": [{"id": "n", "type": "wait", "config": {"seconds": 1, "retries": 1, "retry_backoff_seconds": 10}}], "edges": []}),
    );
    let graph = Graph::read(&doc).unwrap();
    let policy = graph.nodes()[0].policy;
    let now = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
    assert_eq!(
        settle(&policy, 1, Ok(NodeOutput::text("n", "ok")), now),
        NodeState::Completed(NodeOutput::text("n", "ok"))
    );
    assert_eq!(
        settle(&policy, 1, Err("boom".into()), now),
        NodeState::Retrying { attempt: 2, at: now + Duration::seconds(10) }
    );
    assert_eq!(settle(&policy, 2, Err("boom".into()), now), NodeState::Failed { error: "boom".into(), attempts: 2 });
}

#[test]
fn computing_nodes_hand_on_what_the_original_handed_on() {
    let doc = graph(json!({
        "nodes": [
            {"id": "start", "type": "trigger"},
            {"id": "check", "type": "conditional", "config": {"condition": "contains", "value": "READY"}},
            {"id": "upper", "type": "transform", "config": {"transform_type": "uppercase"}},
            {"id": "wait", "type": "wait", "config": {"seconds": 5}}
        ],
        "edges": [{"source": "start", "target": "upper"}, {"source": "upper", "target": "check"}, {"source": "check", "target": "wait", "branch": "true"}]
    }));
    let graph = Graph::read(&doc).unwrap();
    let node = |id: &str| graph.nodes().iter().find(|n| n.id.as_str() == id).unwrap();
    let input = agented_workflows::run_input(json!({"text": "notes-ready"}));
    let started = local::compute(node("start"), &input).unwrap().unwrap();
    assert_eq!(
        (started.content_type.as_str(), started.data.clone()),
        ("trigger", Some(json!({"text": "notes-ready"})))
    );
    let upper = local::compute(node("upper"), &started).unwrap().unwrap();
    assert_eq!(upper.text.as_deref(), Some("NOTES-READY"));
    let check = local::compute(node("check"), &upper).unwrap().unwrap();
    assert_eq!(
        (check.branch.as_deref(), check.data.clone()),
        (Some("true"), Some(json!({"result": true, "branch": "true"})))
    );
    assert_eq!(check.metadata["source_node_id"], json!("check"));
    assert!(local::compute(node("wait"), &upper).is_none(), "a wait acts; it is the driver's");
}

#[test]
fn an_approval_hands_on_its_input_when_approved_and_fails_naming_the_decider_when_rejected() {
    let at = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
    let input = NodeOutput::text("draft", "release notes");
    let yes = Decision { approved: true, by: "alice".into(), comment: None, at };
    let out = local::approval_answer("ok", &input, &yes).unwrap();
    assert_eq!(
        (out.text.as_deref(), out.data.as_ref().unwrap()["decided_by"].as_str()),
        (Some("release notes"), Some("alice"))
    );
    let no = Decision { approved: false, by: "bob".into(), comment: Some("typo".into()), at };
    assert_eq!(local::approval_answer("ok", &input, &no), Err("rejected by bob: typo".into()));
}

#[test]
fn the_profile_marks_the_slowest_and_the_costliest_node() {
    let at = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
    let node = |id: &str, seconds: i64, cost: Option<f64>| NodeRun {
        started_at: Some(at),
        ended_at: Some(at + Duration::seconds(seconds)),
        cost_usd: cost,
        ..NodeRun::pending(id.parse_node(), "agent")
    };
    let run = agented_workflows::WorkflowRun {
        id: agented_kernel::WorkflowRunId::generate(),
        workflow_id: agented_kernel::WorkflowId::generate(),
        version: 1,
        status: RunStatus::Completed,
        input: NodeOutput::default(),
        output: None,
        error: None,
        origin: RunOrigin::Manual,
        started_at: at,
        ended_at: None,
        nodes: vec![node("a", 5, Some(0.5)), node("b", 9, Some(0.1)), NodeRun::pending("c".parse_node(), "wait")],
    };
    let profile = run.profile(at);
    assert_eq!((profile.slowest.unwrap().as_str(), profile.costliest.unwrap().as_str()), ("b", "a"));
    assert!((run.cost_usd().unwrap() - 0.6).abs() < 1e-9);
}

#[test]
fn a_run_over_its_budget_refuses_agent_nodes_and_a_bad_budget_is_named() {
    let doc = graph(
        json!({"nodes": [{"id": "a", "type": "wait", "config": {"seconds": 1}}], "edges": [], "settings": {"budget_usd": 0.3}}),
    );
    assert_eq!(Graph::read(&doc).unwrap().budget_usd(), Some(0.3));
    let bad = graph(
        json!({"nodes": [{"id": "a", "type": "wait", "config": {"seconds": 1}}], "edges": [], "settings": {"budget_usd": "lots"}}),
    );
    assert!(Graph::read(&bad).unwrap_err()["settings.budget_usd"].contains("a number of US dollars"));
    let at = Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap();
    let spent = |cost: f64| NodeRun { cost_usd: Some(cost), ..NodeRun::pending("a".parse_node(), "agent") };
    let mut run = agented_workflows::WorkflowRun {
        id: agented_kernel::WorkflowRunId::generate(),
        workflow_id: agented_kernel::WorkflowId::generate(),
        version: 1,
        status: RunStatus::Running,
        input: NodeOutput::default(),
        output: None,
        error: None,
        origin: RunOrigin::Manual,
        started_at: at,
        ended_at: None,
        nodes: vec![spent(0.25)],
    };
    assert_eq!(run.over_budget(Some(0.3)), None);
    assert_eq!(run.over_budget(None), None, "no budget, no limit");
    run.nodes.push(spent(0.25));
    assert_eq!(run.over_budget(Some(0.3)).unwrap(), "the run's budget of $0.30 is spent ($0.5000 so far)");
}
