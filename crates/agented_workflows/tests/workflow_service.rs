//! The workflow service's rules on the in-memory repository: fields checked, graphs
//! checked before any version is stored, version numbers in order, drafts published.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::ManualClock;
use agented_workflows::fakes::MemoryWorkflows;
use agented_workflows::{GraphDocument, WorkflowError, WorkflowPatch, WorkflowService};
use chrono::{TimeZone, Utc};
use serde_json::json;
use std::sync::Arc;

fn service() -> WorkflowService {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap()));
    WorkflowService::new(Arc::new(MemoryWorkflows::default()), clock)
}

fn named(name: &str) -> WorkflowPatch {
    WorkflowPatch { name: Some(name.into()), ..WorkflowPatch::default() }
}

fn graph(command: &str) -> GraphDocument {
    serde_json::from_value(json!({
        "nodes": [{"id": "start", "type": "trigger"}, {"id": "run", "type": "command", "config": {"command": command}}],
        "edges": [{"source": "start", "target": "run"}]
    }))
    .unwrap()
}

#[tokio::test]
async fn versions_are_numbered_in_order_and_runs_see_the_newest_published() {
    let s = service();
    let w = s.create(named("release notes"), Some(&graph("echo one")), false).await.unwrap();
    assert_eq!((w.latest_version, w.published_version), (Some(1), None), "the first version is a draft");
    assert!(w.fields.enabled);
    let second = s.add_version(w.id.as_str(), &graph("echo two"), true).await.unwrap();
    assert_eq!((second.version, second.is_draft), (2, false));
    s.add_version(w.id.as_str(), &graph("echo three"), false).await.unwrap();
    let w = s.get(w.id.as_str()).await.unwrap();
    assert_eq!((w.latest_version, w.published_version), (Some(3), Some(2)));
    s.publish(w.id.as_str(), 3).await.unwrap();
    assert_eq!(s.get(w.id.as_str()).await.unwrap().published_version, Some(3));
    let numbers: Vec<i64> = s.versions(w.id.as_str()).await.unwrap().iter().map(|v| v.version).collect();
    assert_eq!(numbers, [3, 2, 1], "newest first");
    assert_eq!(s.version(w.id.as_str(), 1).await.unwrap().graph, graph("echo one"), "kept as written");
    assert_eq!(s.publish(w.id.as_str(), 9).await, Err(WorkflowError::NotFound("workflow version")));
}

#[tokio::test]
async fn a_bad_graph_is_refused_by_where_the_problem_is_and_nothing_is_stored() {
    let s = service();
    let cyclic: GraphDocument = serde_json::from_value(json!({
        "nodes": [{"id": "a", "type": "trigger"}, {"id": "b", "type": "wait", "config": {"seconds": 1}}],
        "edges": [{"source": "a", "target": "b"}, {"source": "b", "target": "b"}, {"source": "b", "target": "nowhere"}]
    }))
    .unwrap();
    let Err(WorkflowError::Invalid(errors)) = s.create(named("loop"), Some(&cyclic), false).await else {
        panic!("expected Invalid")
    };
    assert_eq!(errors.keys().collect::<Vec<_>>(), ["graph_json.edges", "graph_json.edges[2].target"]);
    assert_eq!(errors["graph_json.edges"], "the edges make a cycle: b → b");
    assert!(s.list().await.unwrap().is_empty(), "no workflow was created");
    let w = s.create(named("ok"), None, false).await.unwrap();
    assert!(matches!(s.add_version(w.id.as_str(), &cyclic, false).await, Err(WorkflowError::Invalid(_))));
    assert!(s.versions(w.id.as_str()).await.unwrap().is_empty());
}

#[tokio::test]
async fn fields_are_checked_and_an_unknown_id_is_not_found() {
    let s = service();
    let Err(WorkflowError::Invalid(errors)) = s.create(WorkflowPatch::default(), None, false).await else {
        panic!("expected Invalid")
    };
    assert_eq!(errors.keys().collect::<Vec<_>>(), ["name"]);
    let long = WorkflowPatch { name: Some("n".repeat(101)), description: Some("d".repeat(2001)), enabled: None };
    let Err(WorkflowError::Invalid(errors)) = s.create(long, None, false).await else { panic!("expected Invalid") };
    assert_eq!(errors.keys().collect::<Vec<_>>(), ["description", "name"]);
    let w = s.create(named("  spaced  "), None, false).await.unwrap();
    assert_eq!(w.fields.name, "spaced");
    let off = WorkflowPatch { enabled: Some(false), ..WorkflowPatch::default() };
    let changed = s.update(w.id.as_str(), off).await.unwrap();
    assert_eq!((changed.fields.name.as_str(), changed.fields.enabled), ("spaced", false));
    for missing in ["wf-nothere", "not-an-id", "../etc"] {
        assert_eq!(s.get(missing).await, Err(WorkflowError::NotFound("workflow")), "{missing}");
        assert_eq!(s.add_version(missing, &graph("x"), false).await, Err(WorkflowError::NotFound("workflow")));
    }
    s.delete(w.id.as_str()).await.unwrap();
    assert_eq!(s.delete(w.id.as_str()).await, Err(WorkflowError::NotFound("workflow")));
}
