//! Workflow and team files: written and read back without loss (the editor's extra keys,
//! strings that look like numbers, multi-line text), and every problem named by line and field.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{AgentId, TeamId};
use agented_workflows::{
    ConfigFile, GraphDocument, Member, Team, TeamFields, TeamFile, Topology, WorkflowFields, WorkflowFile, read_file,
    read_team, read_workflow, write_file, write_workflow,
};
use serde_json::json;

fn graph() -> GraphDocument {
    serde_json::from_value(json!({
        "nodes": [
            {"id": "start", "type": "trigger", "label": "Start", "position": {"x": 10, "y": 20.5}},
            {"id": "echo", "type": "command", "config": {"argv": ["echo", "true", "123", "a: b", "line one\nline two"], "timeout_seconds": 30}},
            {"id": "check", "type": "conditional", "config": {"condition": "contains", "value": "READY"}},
            {"id": "ok", "type": "approval", "config": {"message": "Ship?\n\nIt is ready.", "approval_timeout_seconds": 600}}
        ],
        "edges": [
            {"id": "e1", "source": "start", "target": "echo"},
            {"source": "echo", "target": "check"},
            {"source": "check", "target": "ok", "branch": "true"}
        ],
        "settings": {"note": null, "ratio": 0.25}
    }))
    .unwrap()
}

#[test]
fn a_workflow_written_as_yaml_reads_back_the_same() {
    let fields = WorkflowFields { name: "Release notes".into(), description: "tag → notes".into(), enabled: false };
    let file = WorkflowFile::of(&fields, graph());
    let text = write_workflow(&file);
    assert!(text.starts_with("kind: workflow\nname: Release notes\n"), "{text}");
    assert_eq!(read_workflow(&text).unwrap(), file, "{text}");
    let schema = jsonschema::validator_for(&serde_json::from_str(agented_workflows::SCHEMA).unwrap()).unwrap();
    let as_json = serde_json::to_value(&file).unwrap();
    assert!(schema.is_valid(&as_json), "{:?}", schema.iter_errors(&as_json).map(|e| e.to_string()).collect::<Vec<_>>());
    let mut bad_config = as_json.clone();
    bad_config["graph"]["nodes"][1]["config"] = json!({"command": 7});
    let mut unknown = as_json.clone();
    unknown["colour"] = json!("red");
    assert!(!schema.is_valid(&bad_config) && !schema.is_valid(&unknown), "the schema refuses both");
    // And the same file written by hand, in YAML's other spellings, reads the same graph.
    let by_hand = "kind: workflow\nname: 'Release notes'\nenabled: false\ngraph: {nodes: [{id: start, type: trigger}], edges: []}\n";
    let read = read_workflow(by_hand).unwrap();
    assert_eq!((read.name.as_str(), read.enabled, read.graph.nodes.len()), ("Release notes", false, 1));
}

fn problems(text: &str) -> Vec<String> {
    read_workflow(text).unwrap_err().iter().map(ToString::to_string).collect()
}

#[test]
fn each_problem_names_its_line_and_field() {
    let text = "\
kind: workflow
name: broken
graph:
  nodes:
    - id: start
      type: trigger
    - id: run
      type: command
      config:
        argv: []
  edges:
    - source: start
      target: ghost
";
    assert_eq!(
        problems(text),
        [
            "line 10: graph.nodes[1].config.argv: a command node needs `argv`: the program and its arguments, as a list of strings (or `command` as one line, split without a shell)",
            "line 13: graph.edges[0].target: 'ghost' is not a node of this workflow",
        ]
    );
    assert_eq!(
        problems("kind: workflow\nname: x\ncolour: red\ngraph: {nodes: [], edges: []}\n"),
        ["line 3: colour: unknown field `colour`, expected one of `kind`, `name`, `description`, `enabled`, `graph`"]
    );
    assert_eq!(
        problems("kind: team\nname: x\ngraph: {nodes: [{id: a, type: trigger}], edges: []}\n"),
        ["line 1: kind: must be 'workflow'"]
    );
    // YAML 1.2: `no` is text, not false.
    assert_eq!(
        problems("kind: workflow\nname: x\nenabled: no\ngraph: {nodes: [{id: a, type: trigger}], edges: []}\n"),
        ["line 3: enabled: invalid type: string \"no\", expected a boolean"]
    );
    assert_eq!(
        problems("kind: workflow\nname: ''\ngraph:\n  nodes: [{id: a, type: trigger}]\n  edges: []\n"),
        ["line 2: name: 1–100 characters, no control characters"]
    );
    assert_eq!(
        problems("kind: workflow\ngraph:\n  nodes: 7\n"),
        ["line 3: graph.nodes: invalid type: integer `7`, expected a sequence"]
    );
    assert_eq!(
        problems("kind: workflow\nname: [unclosed\n"),
        ["line 3: not YAML: while parsing a flow sequence, expected ',' or ']' (column 1)"]
    );
    assert_eq!(problems(""), ["line 1: the file is empty"]);
    assert_eq!(problems("kind: workflow\n---\nkind: workflow\n"), ["line 3: one workflow or team per file"]);
}

#[test]
fn a_team_written_as_yaml_reads_back_the_same_and_its_problems_are_named() {
    let (lead, dev) = (AgentId::generate(), AgentId::generate());
    let config = json!({"reports_to": {dev.as_str(): lead.as_str()}, "budget_usd": 2.5});
    let team = Team {
        id: TeamId::generate(),
        fields: TeamFields {
            name: "Org".into(),
            description: "Two levels".into(),
            topology: Topology::Hierarchical,
            topology_config: config.as_object().unwrap().clone(),
            leader_id: Some(lead.clone()),
            enabled: true,
            tooling: agented_kernel::ToolingRefs::default(),
        },
        members: vec![
            Member { agent_id: lead.clone(), name: "Boss".into(), role: "leader".into() },
            Member { agent_id: dev, name: "Dev".into(), role: "member".into() },
        ],
        workflow_id: None,
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    };
    let file = TeamFile::of(&team);
    let text = write_file(&file);
    assert!(text.starts_with("kind: team\nname: Org\n"), "{text}");
    let mut read = read_team(&text).unwrap();
    assert_eq!(
        read.members[1].line,
        text.lines().position(|l| l.ends_with(&format!("agent_id: {}", file.members[1].agent_id))).unwrap() + 1
    );
    read.members.iter_mut().for_each(|m| m.line = 0);
    assert_eq!(read, file, "{text}");
    assert!(matches!(read_file(&text), Ok(ConfigFile::Team(_))));
    let schema = jsonschema::validator_for(&serde_json::from_str(agented_workflows::SCHEMA).unwrap()).unwrap();
    assert!(schema.is_valid(&serde_json::to_value(&file).unwrap()), "a team file passes the schema");

    let broken = format!(
        "kind: team\nname: x\ntopology: mesh\ntopology_config:\n  max_rounds: 0\nmembers:\n  - agent_id: {lead}\n  - agent_id: {lead}\n  - agent_id: bob\n"
    );
    let found: Vec<String> = read_team(&broken).unwrap_err().iter().map(ToString::to_string).collect();
    assert_eq!(found.len(), 4, "{found:?}");
    assert!(found[0].starts_with("line 3: topology: 'mesh' is not a topology"), "{found:?}");
    assert_eq!(found[1], "line 5: topology_config.max_rounds: 1–10");
    assert_eq!(found[2], "line 8: members[1].agent_id: a member twice");
    assert!(found[3].starts_with("line 9: members[2].agent_id: "), "{found:?}");
    let workflow_text = "kind: workflow\nname: w\ngraph: {nodes: [{id: a, type: trigger}]}\n";
    assert_eq!(read_team(workflow_text).unwrap_err()[0].to_string(), "line 1: kind: must be 'team'");
    assert_eq!(
        read_file("kind: robot\nname: r\n").unwrap_err()[0].to_string(),
        "line 1: kind: must be 'workflow' or 'team'"
    );
}
