//! MCP servers against a real SQLite file or PostgreSQL database: the original's
//! fields round trip, names are unique, changes and deletes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::McpServerId;
use agented_store::SqlMcpServers;
use agented_store::testing::Scratch;
use agented_tooling::{McpServer, McpServerRepository, McpTransport, WriteError};
use chrono::{SubsecRound, Utc};
use std::collections::BTreeMap;

fn server(name: &str) -> McpServer {
    let now = Utc::now().trunc_subsecs(6);
    McpServer {
        id: McpServerId::generate(),
        name: name.into(),
        display_name: Some("Internal Docs".into()),
        description: None,
        server_type: McpTransport::Stdio,
        command: Some("npx".into()),
        args: vec!["-y".into(), "@acme/docs-mcp".into()],
        env: BTreeMap::from([("DOCS_TOKEN".into(), "${DOCS_TOKEN}".into())]),
        url: None,
        headers: BTreeMap::new(),
        timeout_ms: 45_000,
        enabled: true,
        category: "docs".into(),
        is_preset: false,
        documentation_url: None,
        npm_package: Some("@acme/docs-mcp".into()),
        created_at: now,
        updated_at: now,
    }
}

#[tokio::test]
async fn servers_round_trip_with_unique_names() {
    let dir = Scratch::new();
    let store = SqlMcpServers::new(dir.database());
    let docs = server("internal-docs");
    store.insert(&docs).await.unwrap();
    assert_eq!(store.get(&docs.id).await.unwrap(), Some(docs.clone()));
    assert!(matches!(store.insert(&server("internal-docs")).await, Err(WriteError::NameTaken(_))));
    let mut http = server("metrics-http");
    http.server_type = McpTransport::Http;
    (http.command, http.args, http.env) = (None, Vec::new(), BTreeMap::new());
    http.url = Some("https://metrics.example/mcp".into());
    http.headers = BTreeMap::from([("Authorization".into(), "Bearer ${METRICS_TOKEN}".into())]);
    store.insert(&http).await.unwrap();
    assert_eq!(store.list().await.unwrap(), vec![docs.clone(), http.clone()]);

    let renamed = McpServer { name: "metrics-http".into(), ..docs.clone() };
    assert!(matches!(store.update(&renamed).await, Err(WriteError::NameTaken(_))));
    let changed = McpServer { enabled: false, timeout_ms: 1_000, ..docs.clone() };
    assert!(store.update(&changed).await.unwrap());
    assert_eq!(store.get(&docs.id).await.unwrap(), Some(changed));
    assert!(store.delete(&docs.id).await.unwrap());
    assert!(!store.delete(&docs.id).await.unwrap());
    assert!(!store.update(&docs).await.unwrap());
}
