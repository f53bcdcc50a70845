//! The MCP server service on fakes: create and change with the original's fields,
//! names unique, presets, and a test that resolves `${NAME}` from the server's
//! environment and reports a failure as an outcome.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{ManualClock, McpServerId};
use agented_tooling::fakes::{MemoryMcpServers, ScriptedProbe};
use agented_tooling::{Handshake, McpServerPatch, McpServerService, McpTool, McpTransport, TestOutcome, ToolingError};
use std::sync::Arc;
use std::time::Duration;

fn service(probe: Arc<ScriptedProbe>) -> McpServerService {
    let env = Arc::new(|name: &str| (name == "DOCS_TOKEN").then(|| "s3cret".to_owned()));
    McpServerService::new(
        Arc::new(MemoryMcpServers::default()),
        probe,
        env,
        Arc::new(ManualClock::new(chrono::Utc::now())),
    )
}

fn patch(json: &str) -> McpServerPatch {
    serde_json::from_str(json).unwrap()
}

fn passed() -> Result<Handshake, String> {
    Ok(Handshake {
        server_name: "docs".into(),
        server_version: Some("1".into()),
        protocol_version: "2025-06-18".into(),
        tools: vec![McpTool { name: "search".into(), description: None }],
    })
}

#[tokio::test]
async fn servers_are_created_changed_and_deleted_with_unique_names() {
    let s = service(Arc::new(ScriptedProbe::answering(passed())));
    let docs = s
        .create(patch(
            r#"{"name":"docs","command":"npx","args":["-y","@acme/docs-mcp"],"env":{"DOCS_TOKEN":"${DOCS_TOKEN}"}}"#,
        ))
        .await
        .unwrap();
    assert_eq!(
        (docs.server_type, docs.is_preset, docs.env["DOCS_TOKEN"].as_str()),
        (McpTransport::Stdio, false, "${DOCS_TOKEN}")
    );
    assert!(matches!(s.create(patch(r#"{"name":"docs","command":"x"}"#)).await, Err(ToolingError::Duplicate(_))));
    let other = s.create(patch(r#"{"name":"other","command":"x"}"#)).await.unwrap();
    assert!(matches!(s.update(&other.id, patch(r#"{"name":"docs"}"#)).await, Err(ToolingError::Duplicate(_))));
    let changed = s.update(&docs.id, patch(r#"{"description":"Docs","timeout_ms":45000}"#)).await.unwrap();
    assert_eq!(
        (changed.description.as_deref(), changed.timeout_ms, changed.created_at),
        (Some("Docs"), 45_000, docs.created_at)
    );
    let bad = s.update(&docs.id, patch(r#"{"server_type":"http"}"#)).await;
    assert!(matches!(bad, Err(ToolingError::Invalid(e)) if e.contains_key("url")), "an http server needs a url");
    assert_eq!(s.list().await.unwrap().iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["docs", "other"]);
    s.delete(&docs.id).await.unwrap();
    assert!(matches!(s.delete(&docs.id).await, Err(ToolingError::NotFound(_))));
    assert!(matches!(s.get(&McpServerId::generate()).await, Err(ToolingError::NotFound(_))));
}

#[tokio::test]
async fn a_preset_makes_its_server_with_the_changes_given() {
    let s = service(Arc::new(ScriptedProbe::answering(passed())));
    let github = s.create_from_preset("github", McpServerPatch::default()).await.unwrap();
    assert_eq!((github.server_type, github.is_preset), (McpTransport::Http, true));
    assert_eq!(github.headers["Authorization"], "Bearer ${GITHUB_PERSONAL_ACCESS_TOKEN}");
    let again = s.create_from_preset("github", McpServerPatch::default()).await;
    assert!(matches!(again, Err(ToolingError::Duplicate(_))), "one per name");
    let renamed = s.create_from_preset("github", patch(r#"{"name":"github-enterprise"}"#)).await.unwrap();
    assert_eq!(renamed.url, github.url);
    assert!(matches!(s.create_from_preset("nope", McpServerPatch::default()).await, Err(ToolingError::NotFound(_))));
    assert_eq!(s.presets().len(), 5);
}

#[tokio::test]
async fn a_test_resolves_named_variables_and_a_missing_one_or_a_failed_handshake_is_an_outcome() {
    let probe = Arc::new(ScriptedProbe::answering(passed()));
    let s = service(probe.clone());
    let docs = s
        .create(patch(
            r#"{"name":"docs","command":"npx","env":{"DOCS_TOKEN":"${DOCS_TOKEN}","MODE":"ci"},"timeout_ms":5000}"#,
        ))
        .await
        .unwrap();
    assert_eq!(s.test(&docs.id).await.unwrap(), TestOutcome::Passed(passed().unwrap()));
    let target = &probe.targets()[0];
    assert_eq!((target.env["DOCS_TOKEN"].as_str(), target.env["MODE"].as_str()), ("s3cret", "ci"));
    assert_eq!(target.timeout, Duration::from_secs(5));
    assert_eq!(s.get(&docs.id).await.unwrap().env["DOCS_TOKEN"], "${DOCS_TOKEN}", "the value is never stored");

    let missing = s
        .create(patch(r#"{"name":"metrics","server_type":"http","url":"https://m.example/mcp","headers":{"Authorization":"Bearer ${METRICS_TOKEN}"}}"#))
        .await
        .unwrap();
    assert_eq!(
        s.test(&missing.id).await.unwrap(),
        TestOutcome::Failed("METRICS_TOKEN is not set in the server's environment".into())
    );
    assert_eq!(probe.targets().len(), 1, "nothing was started without the variable");

    let failing = service(Arc::new(ScriptedProbe::answering(Err("'nope' could not be started".into()))));
    let broken = failing.create(patch(r#"{"name":"broken","command":"nope"}"#)).await.unwrap();
    assert_eq!(failing.test(&broken.id).await.unwrap(), TestOutcome::Failed("'nope' could not be started".into()));
}
