//! Workflows and their versions against a real SQLite file or PostgreSQL database: graphs
//! kept as written, and version numbers that two processes adding at once never share.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::WorkflowId;
use agented_store::SqlWorkflows;
use agented_store::testing::Scratch;
use agented_workflows::{GraphDocument, WorkflowFields, WorkflowRepository};
use chrono::{SubsecRound, Utc};
use serde_json::json;

fn graph(n: usize) -> GraphDocument {
    serde_json::from_value(json!({
        "nodes": [{"id": "start", "type": "trigger", "position": {"x": n, "y": 0}}],
        "settings": {"n": n}
    }))
    .unwrap()
}

fn fields(name: &str) -> WorkflowFields {
    WorkflowFields { name: name.into(), description: "d".into(), enabled: true }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_added_at_once_by_two_processes_get_distinct_numbers_and_go_with_their_workflow() {
    let dir = Scratch::new();
    let (one, two) = (SqlWorkflows::new(dir.database()), SqlWorkflows::new(dir.database()));
    let id = WorkflowId::generate();
    let now = Utc::now().trunc_subsecs(6);
    let created = one.insert(&id, &fields("w"), now).await.unwrap();
    assert_eq!((created.latest_version, created.published_version, created.created_at), (None, None, now));
    let mut tasks = Vec::new();
    for n in 0..8 {
        let repo = if n % 2 == 0 { one.clone() } else { two.clone() };
        let id = id.clone();
        tasks.push(tokio::spawn(async move { repo.add_version(&id, &graph(n), true, now).await.unwrap().unwrap() }));
    }
    let mut numbers = Vec::new();
    for task in tasks {
        numbers.push(task.await.unwrap().version);
    }
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=8).collect::<Vec<i64>>(), "each number once");
    let stored = two.versions(&id).await.unwrap();
    assert_eq!(stored.iter().map(|v| v.version).collect::<Vec<_>>(), (1..=8).rev().collect::<Vec<i64>>());
    let n = stored[0].graph.settings["n"].as_u64().unwrap();
    assert_eq!(stored[0].graph, graph(usize::try_from(n).unwrap()), "kept as written, unread keys too");

    assert!(one.publish(&id, 3, now).await.unwrap().is_some_and(|v| !v.is_draft));
    assert!(one.publish(&id, 99, now).await.unwrap().is_none());
    let w = two.get(&id).await.unwrap().unwrap();
    assert_eq!((w.latest_version, w.published_version), (Some(8), Some(3)));
    let renamed = one.update(&id, &fields("renamed"), now).await.unwrap().unwrap();
    assert_eq!(renamed.fields.name, "renamed");
    assert!(one.update(&WorkflowId::generate(), &fields("x"), now).await.unwrap().is_none());
    assert!(one.add_version(&WorkflowId::generate(), &graph(0), true, now).await.unwrap().is_none());
    assert_eq!(one.list().await.unwrap().len(), 1);
    assert!(two.delete(&id).await.unwrap());
    assert!(one.versions(&id).await.unwrap().is_empty(), "versions go with their workflow");
    assert!(!two.delete(&id).await.unwrap());
}
