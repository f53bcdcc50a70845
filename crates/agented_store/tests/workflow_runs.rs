//! Runs of workflows against a real SQLite file or PostgreSQL database: a run and its
//! nodes read back as written, writes to an ended run dropped, a decision taken once and
//! kept through later node writes, claims that take over only a gone driver's runs, and a
//! trigger's dedup keys held with the run it started or not at all.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_executions::{WorkerRecord, WorkerRegistry};
use agented_kernel::{WorkerId, WorkflowId, WorkflowRunId};
use agented_store::testing::Scratch;
use agented_store::{SqlDedup, SqlWorkers, SqlWorkflowRuns, SqlWorkflows};
use agented_triggers::DedupLedger;
use agented_workflows::{
    Decision, NodeId, NodeOutput, NodeRun, NodeState, RunClaim, RunEnding, RunOrigin, RunStatus, WorkflowFields,
    WorkflowRepository, WorkflowRun, WorkflowRunRepository,
};
use chrono::{Duration, SubsecRound, Utc};
use serde_json::json;

fn node(id: &str, kind: &str) -> NodeRun {
    NodeRun::pending(NodeId::parse(id).unwrap(), kind)
}

async fn stored_run(dir: &Scratch) -> (SqlWorkflowRuns, WorkflowRun) {
    let workflows = SqlWorkflows::new(dir.database());
    let workflow = WorkflowId::generate();
    let now = Utc::now().trunc_subsecs(6);
    let fields = WorkflowFields { name: "w".into(), description: String::new(), enabled: true };
    workflows.insert(&workflow, &fields, now).await.unwrap();
    let run = WorkflowRun {
        id: WorkflowRunId::generate(),
        workflow_id: workflow,
        version: 3,
        status: RunStatus::Pending,
        input: agented_workflows::run_input(json!({"text": "v1.5.0", "n": 1})),
        output: None,
        error: None,
        origin: RunOrigin::Parent { run: WorkflowRunId::generate(), node: NodeId::parse("sub").unwrap() },
        started_at: now,
        ended_at: None,
        nodes: vec![node("start", "trigger"), node("ok", "approval"), node("later", "wait")],
    };
    let runs = SqlWorkflowRuns::new(dir.database());
    assert!(runs.insert_run(&run, &[]).await.unwrap());
    (runs, run)
}

#[tokio::test]
async fn a_run_reads_back_as_written_through_every_node_state() {
    let dir = Scratch::new();
    let (runs, mut run) = stored_run(&dir).await;
    assert_eq!(runs.get_run(&run.id).await.unwrap().as_ref(), Some(&run));
    let now = Utc::now().trunc_subsecs(6);
    run.nodes[0].state = NodeState::Completed(NodeOutput::text("start", "v1.5.0"));
    run.nodes[0].input = Some(run.input.clone());
    run.nodes[0].started_at = Some(now);
    run.nodes[0].ended_at = Some(now + Duration::milliseconds(3));
    run.nodes[1].state = NodeState::Retrying { attempt: 2, at: now + Duration::seconds(5) };
    run.nodes[1].children = vec!["exec-wf-abc-1".into()];
    run.nodes[1].cost_usd = Some(0.25);
    run.nodes[2].state = NodeState::Failed { error: "timed out".into(), attempts: 3 };
    for n in &run.nodes {
        assert!(runs.save_node(&run.id, n).await.unwrap());
    }
    let back = runs.get_run(&run.id).await.unwrap().unwrap();
    assert_eq!(back.nodes, run.nodes, "every state, input, child and cost as written");
    assert_eq!(runs.runs_of(&run.workflow_id, 10).await.unwrap(), [back]);
    let end =
        RunEnding { status: RunStatus::Completed, output: Some(NodeOutput::text("x", "done")), error: None, at: now };
    assert!(runs.end_run(&run.id, &end).await.unwrap());
    assert!(!runs.end_run(&run.id, &RunEnding { status: RunStatus::Cancelled, ..end.clone() }).await.unwrap(), "once");
    let mut late = run.nodes[2].clone();
    late.state = NodeState::Skipped;
    assert!(!runs.save_node(&run.id, &late).await.unwrap(), "a write to an ended run is dropped");
    let ended = runs.get_run(&run.id).await.unwrap().unwrap();
    assert_eq!((ended.status, ended.output, ended.ended_at), (RunStatus::Completed, end.output, Some(now)));
    assert_eq!(ended.nodes[2].state, run.nodes[2].state);
}

#[tokio::test]
async fn a_decision_is_taken_once_while_the_node_runs_and_later_node_writes_keep_it() {
    let dir = Scratch::new();
    let (runs, mut run) = stored_run(&dir).await;
    let ok = NodeId::parse("ok").unwrap();
    let decision = Decision {
        approved: true,
        by: "alice".into(),
        comment: Some("ship it".into()),
        at: Utc::now().trunc_subsecs(0),
    };
    assert!(!runs.decide(&run.id, &ok, &decision).await.unwrap(), "a pending node takes no decision");
    run.nodes[1].state = NodeState::Running { attempt: 1 };
    runs.save_node(&run.id, &run.nodes[1]).await.unwrap();
    assert!(runs.decide(&run.id, &ok, &decision).await.unwrap());
    assert!(!runs.decide(&run.id, &ok, &Decision { approved: false, ..decision.clone() }).await.unwrap(), "once");
    // The driver's copy has no decision; its next write must not erase it.
    runs.save_node(&run.id, &run.nodes[1]).await.unwrap();
    let back = runs.get_run(&run.id).await.unwrap().unwrap();
    assert_eq!(back.nodes[1].decision.as_ref(), Some(&decision));
}

fn worker(id: &WorkerId) -> WorkerRecord {
    let now = Utc::now().trunc_subsecs(6);
    WorkerRecord {
        id: id.clone(),
        host: "h".into(),
        pid: 1,
        labels: Vec::new(),
        capacity: 1,
        running: 0,
        version: "t".into(),
        started_at: now,
        heartbeat_at: now,
        stopped_at: None,
        lost_at: None,
    }
}

#[tokio::test]
async fn a_claim_takes_unheld_runs_and_those_of_gone_drivers_only() {
    let dir = Scratch::new();
    let (runs, run) = stored_run(&dir).await;
    let registry = SqlWorkers::new(dir.database());
    let (first, second) = (WorkerId::generate(), WorkerId::generate());
    registry.register(&worker(&first)).await.unwrap();
    registry.register(&worker(&second)).await.unwrap();
    assert_eq!(runs.claim(&first).await.unwrap(), std::slice::from_ref(&run.id));
    assert_eq!(runs.get_run(&run.id).await.unwrap().unwrap().status, RunStatus::Running, "taken runs run");
    assert!(runs.claim(&second).await.unwrap().is_empty(), "a live driver keeps its runs");
    registry.mark_lost(&first, Utc::now()).await.unwrap();
    assert_eq!(
        runs.claim(&second).await.unwrap(),
        std::slice::from_ref(&run.id),
        "a lost driver's runs are taken over"
    );
    runs.release(&second).await.unwrap();
    assert_eq!(runs.claim(&first).await.unwrap(), std::slice::from_ref(&run.id), "released runs go to the next claim");
    let end = RunEnding { status: RunStatus::Failed, output: None, error: Some("x".into()), at: Utc::now() };
    runs.end_run(&run.id, &end).await.unwrap();
    registry.stop(&first, Utc::now()).await.unwrap();
    assert!(runs.claim(&second).await.unwrap().is_empty(), "ended runs are never claimed");
}

#[tokio::test]
async fn a_run_started_by_a_trigger_holds_its_dedup_keys_or_is_not_stored() {
    let dir = Scratch::new();
    let (runs, first) = stored_run(&dir).await;
    let trigger = agented_kernel::TriggerId::generate();
    let until = first.started_at + Duration::hours(1);
    let claims = |key: &str| vec![RunClaim { key: key.into(), expires_at: until }];
    let of_trigger = |id| WorkflowRun { id, origin: RunOrigin::Trigger(trigger.to_string()), ..first.clone() };
    let held = of_trigger(WorkflowRunId::generate());
    assert!(runs.insert_run(&held, &claims("delivery-1")).await.unwrap());
    let again = of_trigger(WorkflowRunId::generate());
    assert!(!runs.insert_run(&again, &[claims("delivery-2"), claims("delivery-1")].concat()).await.unwrap());
    assert_eq!(runs.get_run(&again.id).await.unwrap(), None, "nothing of a duplicate is stored");
    let ledger = SqlDedup::new(dir.database());
    assert!(
        ledger.claim(&trigger, "delivery-2", first.started_at, until).await.unwrap(),
        "the duplicate's other key was rolled back with it"
    );
    assert!(!ledger.claim(&trigger, "delivery-1", first.started_at, until).await.unwrap(), "the run's key is held");
}
