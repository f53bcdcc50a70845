//! Reading and checking graphs: the original platform's `graph_json` is read as it
//! was written and written back unchanged; each problem is reported where it is.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_workflows::{ErrorMode, Graph, GraphDocument, NodeKind};
use serde_json::{Value, json};

fn doc(v: Value) -> GraphDocument {
    serde_json::from_value(v).unwrap()
}

/// The graph of the release-notes workflow the Python platform stored (fixture, version 2),
/// with an editor position and edge id added.
fn original() -> Value {
    json!({
        "nodes": [
            {"id": "start", "type": "trigger", "label": "Start", "position": {"x": 0, "y": 40}},
            {"id": "echo", "type": "command", "config": {"command": "echo release-notes-ready"}},
            {"id": "upper", "type": "transform", "config": {"transform_type": "uppercase"}},
            {"id": "check", "type": "conditional", "config": {"condition": "contains", "value": "READY"}}
        ],
        "edges": [
            {"source": "start", "target": "echo", "id": "e1"},
            {"source": "echo", "target": "upper"},
            {"source": "upper", "target": "check"}
        ],
        "settings": {"timeout_seconds": 120}
    })
}

#[test]
fn the_original_platforms_graph_reads_and_writes_back_unchanged() {
    let document = doc(original());
    let graph = Graph::read(&document).unwrap();
    let kinds: Vec<&str> = graph.nodes().iter().map(|n| n.kind.name()).collect();
    assert_eq!(kinds, ["trigger", "command", "transform", "conditional"]);
    assert_eq!(graph.nodes()[1].kind, NodeKind::Command { argv: vec!["echo".into(), "release-notes-ready".into()] });
    assert_eq!(serde_json::to_value(&document).unwrap(), original(), "nothing is lost on the way back");
    let order: Vec<&str> = graph.order().iter().map(|i| graph.nodes()[*i].id.as_str()).collect();
    assert_eq!(order, ["start", "echo", "upper", "check"]);
}

#[test]
fn a_cycle_is_refused_and_named() {
    let errors = Graph::read(&doc(json!({
        "nodes": [
            {"id": "a", "type": "trigger"},
            {"id": "b", "type": "transform", "config": {"transform_type": "trim"}},
            {"id": "c", "type": "transform", "config": {"transform_type": "trim"}},
            {"id": "d", "type": "transform", "config": {"transform_type": "trim"}}
        ],
        "edges": [
            {"source": "a", "target": "b"}, {"source": "b", "target": "c"},
            {"source": "c", "target": "d"}, {"source": "d", "target": "b"}
        ]
    })))
    .unwrap_err();
    let why = &errors["edges"];
    assert_eq!(why, "the edges make a cycle: b → c → d → b", "named from the node written first");
    let alone = Graph::read(&doc(
        json!({"nodes": [{"id": "a", "type": "trigger"}], "edges": [{"source": "a", "target": "a"}]}),
    ));
    assert_eq!(alone.unwrap_err()["edges"], "the edges make a cycle: a → a");
}

#[test]
fn each_problem_is_reported_where_it_is() {
    let errors = Graph::read(&doc(json!({
        "nodes": [
            {"id": "start", "type": "trigger"},
            {"id": "start", "type": "trigger"},
            {"id": "run it", "type": "command", "config": {"argv": []}},
            {"id": "x", "type": "eval"},
            {"id": "w", "type": "wait", "config": {"seconds": -1, "retries": 99, "on_error": "ignore"}},
            {"id": "gate", "type": "conditional", "config": {"condition": "matches", "value": "("}},
            {"id": "plain", "type": "transform", "config": {"transform_type": "trim"}}
        ],
        "edges": [
            {"source": "start", "target": "ghost"},
            {"source": "start", "target": "plain", "sourceHandle": "true"},
            {"source": "start", "target": "plain"},
            {"source": "start", "target": "plain"}
        ]
    })))
    .unwrap_err();
    let keys: Vec<&str> = errors.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "edges[0].target",
            "edges[1].branch",
            "edges[3]",
            "nodes[1].id",
            "nodes[2].config.argv",
            "nodes[2].id",
            "nodes[3].type",
            "nodes[4].config.on_error",
            "nodes[4].config.retries",
            "nodes[4].config.seconds",
            "nodes[5].config.condition"
        ],
        "{errors:#?}"
    );
    assert_eq!(errors["edges[0].target"], "'ghost' is not a node of this workflow");
    assert_eq!(errors["edges[3]"], "repeats edges[2]");
    assert!(errors["nodes[3].type"].starts_with("unknown node type 'eval'"));
    assert!(Graph::read(&doc(json!({"nodes": []}))).unwrap_err()["nodes"].contains("at least one node"));
}

#[test]
fn branches_follow_what_their_source_can_take() {
    let graph = Graph::read(&doc(json!({
        "nodes": [
            {"id": "start", "type": "trigger"},
            {"id": "try", "type": "command", "config": {"argv": ["make"], "on_error": "continue", "retries": 2}},
            {"id": "gate", "type": "conditional", "config": {"condition": "succeeded"}},
            {"id": "yes", "type": "transform", "config": {"transform_type": "trim"}},
            {"id": "no", "type": "transform", "config": {"transform_type": "trim"}},
            {"id": "report", "type": "transform", "config": {"transform_type": "template", "template": "failed: {input}"}}
        ],
        "edges": [
            {"source": "start", "target": "try"},
            {"source": "try", "target": "gate"},
            {"source": "try", "target": "report", "branch": "error"},
            {"source": "gate", "target": "yes", "branch": "true"},
            {"source": "gate", "target": "no", "branch": "false"}
        ]
    })))
    .unwrap();
    let try_node = &graph.nodes()[1];
    assert_eq!((try_node.policy.on_error, try_node.policy.retries), (ErrorMode::Continue, 2));
    let stops = Graph::read(&doc(json!({
        "nodes": [{"id": "a", "type": "trigger"}, {"id": "b", "type": "trigger"}],
        "edges": [{"source": "a", "target": "b", "branch": "error"}]
    })));
    assert!(stops.unwrap_err()["edges[0].branch"].contains("set its on_error to continue"));
}

#[test]
fn an_agent_node_may_attach_tooling_and_a_bad_attachment_is_named() {
    let node = |tooling: Value| {
        doc(json!({"nodes": [
            {"id": "start", "type": "trigger"},
            {"id": "a", "type": "agent", "config": {"backend": "claude", "tooling": tooling}}
        ], "edges": [{"source": "start", "target": "a"}]}))
    };
    let graph = Graph::read(&node(json!({"mcp_servers": ["mcp-abc123"], "rules": ["rule-abc123"]}))).unwrap();
    let NodeKind::Agent { tooling, .. } = &graph.nodes()[1].kind else { panic!("an agent node") };
    assert_eq!(tooling.mcp_servers.iter().map(ToString::to_string).collect::<Vec<_>>(), ["mcp-abc123"]);
    assert_eq!(tooling.rules.iter().map(ToString::to_string).collect::<Vec<_>>(), ["rule-abc123"]);
    let errors = Graph::read(&node(json!({"rules": ["r"]}))).unwrap_err();
    assert_eq!(errors["nodes[1].config.tooling"], "'r' is not a rule id (rule-…)");
    let errors = Graph::read(&node(json!(["mcp-abc123"]))).unwrap_err();
    assert!(errors["nodes[1].config.tooling"].starts_with("an object of id lists"), "{errors:?}");
}
