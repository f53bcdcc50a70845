//! How a run proceeds from its nodes' states: a small executor here plays the part of
//! the real one (store each transition, ask again), with outputs it is told to give.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_workflows::{
    AfterFailure, Graph, GraphDocument, NodeKind, NodeOutput, NodeState, RunEnd, Step, after_failure, next_steps,
};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};

fn graph(v: Value) -> Graph {
    Graph::read(&serde_json::from_value::<GraphDocument>(v).unwrap()).unwrap()
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()
}

fn drive(
    g: &Graph,
    input: &str,
    act: impl FnMut(&str, &NodeKind, &NodeOutput, u32) -> Result<NodeOutput, String>,
) -> (RunEnd, Vec<String>, Vec<NodeState>) {
    agented_workflows::fakes::drive(g, &NodeOutput::text("input", input), t0(), act)
}

/// Transforms and conditionals do what their kind says; other nodes echo with their id.
fn natural(id: &str, kind: &NodeKind, input: &NodeOutput, _: u32) -> Result<NodeOutput, String> {
    match kind {
        NodeKind::Transform(t) => t.apply(id, input),
        NodeKind::Conditional { condition: c, .. } => {
            let branch = c.holds(input).to_string();
            Ok(NodeOutput { branch: Some(branch), ..input.clone() })
        }
        _ => Ok(NodeOutput::text(id, format!("{id}({})", input.as_text()))),
    }
}

#[test]
fn a_chain_passes_each_output_to_the_next_node() {
    let g = graph(json!({
        "nodes": [
            {"id": "start", "type": "trigger"},
            {"id": "echo", "type": "command", "config": {"argv": ["echo", "{input}"]}},
            {"id": "upper", "type": "transform", "config": {"transform_type": "uppercase"}}
        ],
        "edges": [{"source": "start", "target": "echo"}, {"source": "echo", "target": "upper"}]
    }));
    let (end, order, _) = drive(&g, "v1.5.0", natural);
    assert_eq!(order, ["start", "echo", "upper"]);
    let RunEnd::Completed(out) = end else { panic!("{end:?}") };
    assert_eq!(out.text.as_deref(), Some("ECHO(START(V1.5.0))"));
}

#[test]
fn fan_out_starts_branches_together_and_fan_in_waits_for_all_and_merges() {
    let g = graph(json!({
        "nodes": [
            {"id": "start", "type": "trigger"},
            {"id": "a", "type": "agent", "config": {"backend": "claude"}},
            {"id": "b", "type": "agent", "config": {"backend": "codex"}},
            {"id": "merge", "type": "transform", "config": {"transform_type": "template", "template": "{input.a} + {input.b}"}}
        ],
        "edges": [
            {"source": "start", "target": "a"}, {"source": "start", "target": "b"},
            {"source": "a", "target": "merge"}, {"source": "b", "target": "merge"}
        ]
    }));
    let mut states = vec![NodeState::Pending; 4];
    let input = NodeOutput::text("input", "task");
    states[0] = NodeState::Completed(NodeOutput::text("start", "task"));
    let started: Vec<String> = next_steps(&g, &states, &input, t0())
        .into_iter()
        .filter_map(|s| match s {
            Step::Start { node, .. } => Some(node.as_str().to_owned()),
            _ => None,
        })
        .collect();
    assert_eq!(started, ["a", "b"], "both branches at once");
    states[1] = NodeState::Completed(NodeOutput::text("a", "A"));
    states[2] = NodeState::Running { attempt: 1 };
    assert_eq!(next_steps(&g, &states, &input, t0()), vec![], "merge waits for b; nothing else to do");
    states[2] = NodeState::Completed(NodeOutput::text("b", "B"));
    let steps = next_steps(&g, &states, &input, t0());
    let [Step::Start { node, input: merged, attempt: 1 }] = steps.as_slice() else { panic!("{steps:?}") };
    assert_eq!(node.as_str(), "merge");
    assert_eq!((merged.content_type.as_str(), merged.as_text()), ("merged", "A\n\nB".to_owned()));
    let (end, _, _) = drive(&g, "task", natural);
    let RunEnd::Completed(out) = end else { panic!("{end:?}") };
    assert_eq!(out.text.as_deref(), Some("a(start(task)) + b(start(task))"));
}

#[test]
fn a_conditional_follows_one_branch_and_the_other_is_skipped_with_what_follows_it() {
    let g = graph(json!({
        "nodes": [
            {"id": "start", "type": "trigger"},
            {"id": "check", "type": "conditional", "config": {"condition": "contains", "value": "READY"}},
            {"id": "ship", "type": "command", "config": {"argv": ["ship"]}},
            {"id": "hold", "type": "command", "config": {"argv": ["hold"]}},
            {"id": "after_hold", "type": "transform", "config": {"transform_type": "trim"}},
            {"id": "done", "type": "transform", "config": {"transform_type": "uppercase"}}
        ],
        "edges": [
            {"source": "start", "target": "check"},
            {"source": "check", "target": "ship", "sourceHandle": "true"},
            {"source": "check", "target": "hold", "sourceHandle": "false"},
            {"source": "hold", "target": "after_hold"},
            {"source": "ship", "target": "done"},
            {"source": "after_hold", "target": "done"}
        ]
    }));
    let (end, order, states) = drive(&g, "notes READY", natural);
    assert_eq!(order, ["start", "check", "ship", "done"]);
    assert_eq!((&states[3], &states[4]), (&NodeState::Skipped, &NodeState::Skipped), "the false branch, all of it");
    let RunEnd::Completed(out) = end else { panic!("{end:?}") };
    assert_eq!(out.text.as_deref(), Some("SHIP(START(NOTES READY))"), "fan-in from the branch taken alone");
    let (_, order, _) = drive(&g, "draft", natural);
    assert_eq!(order, ["start", "check", "hold", "after_hold", "done"]);
}

#[test]
fn a_failing_node_retries_with_backoff_then_stops_the_run_or_hands_its_failure_on() {
    let chain = |on_error: &str| {
        graph(json!({
            "nodes": [
                {"id": "start", "type": "trigger"},
                {"id": "flaky", "type": "command", "config": {"argv": ["make"], "retries": 2, "retry_backoff_seconds": 10, "on_error": on_error}},
                {"id": "next", "type": "transform", "config": {"transform_type": "template", "template": "after: {input}"}}
            ],
            "edges": [{"source": "start", "target": "flaky"}, {"source": "flaky", "target": "next"}]
        }))
    };
    let g = chain("stop");
    let policy = g.nodes()[1].policy;
    assert_eq!(after_failure(&policy, 1, t0()), AfterFailure::Retry { attempt: 2, at: t0() + Duration::seconds(10) });
    assert_eq!(after_failure(&policy, 2, t0()), AfterFailure::Retry { attempt: 3, at: t0() + Duration::seconds(20) });
    assert_eq!(after_failure(&policy, 3, t0()), AfterFailure::GiveUp);
    // Attempt 1 fails; the retry is not started before it is due.
    let mut states = vec![
        NodeState::Completed(NodeOutput::text("start", "x")),
        NodeState::Retrying { attempt: 2, at: t0() + Duration::seconds(10) },
        NodeState::Pending,
    ];
    let input = NodeOutput::text("input", "x");
    assert_eq!(next_steps(&g, &states, &input, t0()), vec![Step::WakeAt(t0() + Duration::seconds(10))]);
    let due = next_steps(&g, &states, &input, t0() + Duration::seconds(10));
    assert!(matches!(due.as_slice(), [Step::Start { attempt: 2, .. }]), "{due:?}");
    // Succeeds on the third attempt.
    let (end, order, _) = drive(&g, "x", |id, kind, input, attempt| {
        if id == "flaky" && attempt < 3 {
            Err(format!("attempt {attempt} failed"))
        } else {
            natural(id, kind, input, attempt)
        }
    });
    assert_eq!(order, ["start", "flaky", "flaky", "flaky", "next"]);
    assert!(matches!(end, RunEnd::Completed(_)));
    // Always fails: the run fails at that node, and nothing after it starts.
    let always = |id: &str, kind: &NodeKind, input: &NodeOutput, attempt: u32| {
        if id == "flaky" { Err("make: *** [all] Error 2".to_owned()) } else { natural(id, kind, input, attempt) }
    };
    let (end, order, _) = drive(&g, "x", always);
    assert_eq!(end, RunEnd::Failed { node: g.nodes()[1].id.clone(), error: "make: *** [all] Error 2".into() });
    assert_eq!(order, ["start", "flaky", "flaky", "flaky"]);
    states[1] = NodeState::Failed { error: "boom".into(), attempts: 3 };
    assert!(matches!(next_steps(&g, &states, &input, t0()).as_slice(), [Step::Finish(RunEnd::Failed { .. })]));
    // With on_error = continue, the next node gets the failure as its input.
    let (end, order, _) = drive(&chain("continue"), "x", always);
    assert_eq!(order, ["start", "flaky", "flaky", "flaky", "next"]);
    let RunEnd::Completed(out) = end else { panic!("{end:?}") };
    assert_eq!(out.text.as_deref(), Some("after: make: *** [all] Error 2"));
}

#[test]
fn a_restarted_run_continues_from_its_states_without_starting_a_finished_node_again() {
    let g = graph(json!({
        "nodes": [
            {"id": "start", "type": "trigger"},
            {"id": "one", "type": "command", "config": {"argv": ["one"]}},
            {"id": "two", "type": "command", "config": {"argv": ["two"]}}
        ],
        "edges": [{"source": "start", "target": "one"}, {"source": "one", "target": "two"}]
    }));
    // As stored when the process died: `one` finished, `two` was never started.
    let states = vec![
        NodeState::Completed(NodeOutput::text("start", "x")),
        NodeState::Completed(NodeOutput::text("one", "1")),
        NodeState::Pending,
    ];
    let steps = next_steps(&g, &states, &NodeOutput::text("input", "x"), t0());
    let [Step::Start { node, input, attempt: 1 }] = steps.as_slice() else { panic!("{steps:?}") };
    assert_eq!((node.as_str(), input.as_text()), ("two", "1".to_owned()));
}
