//! A trigger's `tooling`: MCP servers attached, previewed for each CLI, given to a run
//! in its CLI's own format (fake-bot reports what it found where the CLI reads it),
//! recorded on the execution; the host's configuration and the repository untouched;
//! the secret a server names never in the database, logs, preview or audit trail.

use crate::support::{create_trigger, git, run, send, wait_for_end};
use agented_test_support::TestApp;
use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;

const SECRET: &str = "s3cret-docs-token-4711";

/// The text after `prefix` in the first string of the run's log that starts with it
/// (fake-bot's lines are wrapped in its CLI's JSON records).
pub(crate) async fn said(app: &TestApp, exec: &str, prefix: &str) -> Option<String> {
    fn find(v: &Value, prefix: &str) -> Option<String> {
        match v {
            Value::String(s) => s.strip_prefix(prefix).map(str::to_owned),
            Value::Array(a) => a.iter().find_map(|v| find(v, prefix)),
            Value::Object(o) => o.values().find_map(|v| find(v, prefix)),
            _ => None,
        }
    }
    let page: Value = app.get(&format!("/admin/executions/{exec}/logs?limit=1000")).await.json().await.unwrap();
    page["lines"].as_array().unwrap().iter().find_map(|line| {
        let content = line["content"].as_str().unwrap();
        find(&serde_json::from_str(content).unwrap_or_else(|_| json!(content)), prefix)
    })
}

async fn server(app: &TestApp, body: Value) -> String {
    let (status, made) = send(app, Method::POST, "/admin/mcp-servers", Some(body)).await;
    assert_eq!(status, 201, "{made}");
    made["id"].as_str().unwrap().to_owned()
}

async fn preview(app: &TestApp, trigger: &str, backend: &str) -> Value {
    let (status, preview) =
        send(app, Method::GET, &format!("/admin/triggers/{trigger}/tooling-preview?backend={backend}"), None).await;
    assert_eq!(status, 200, "{preview}");
    preview
}

/// The keys of a JSON object, sorted.
pub(crate) fn keys(v: &Value) -> Vec<String> {
    v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default()
}

/// The host's CLI configuration, as a run's `HOME` holds it.
fn global_config(home: &Path) -> Vec<(String, String)> {
    [
        ".claude.json",
        ".claude/settings.json",
        ".codex/config.toml",
        ".gemini/settings.json",
        ".config/opencode/opencode.json",
    ]
    .iter()
    .map(|f| (f.to_string(), std::fs::read_to_string(home.join(f)).unwrap_or_default()))
    .collect()
}

#[tokio::test]
async fn attached_mcp_servers_reach_each_cli_exactly_and_leave_config_and_repository_untouched() {
    let home = tempfile::tempdir().unwrap();
    for (file, text) in [
        (".claude.json", r#"{"mcpServers": {"host-wide": {"command": "host-mcp"}}}"#),
        (".claude/settings.json", r#"{"hooks": {}}"#),
        (".codex/config.toml", "[mcp_servers.host-wide]\ncommand = \"host-mcp\"\n"),
        (".gemini/settings.json", r#"{"mcpServers": {"host-wide": {"command": "host-mcp"}}}"#),
        (".config/opencode/opencode.json", r#"{"mcp": {}}"#),
    ] {
        let path = home.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let before = global_config(home.path());
    let repo = tempfile::tempdir().unwrap();
    git(&["init", "-q", "-b", "main"], repo.path());
    std::fs::write(repo.path().join("README.md"), "hello\n").unwrap();
    git(&["add", "."], repo.path());
    git(&["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "first"], repo.path());

    let app =
        TestApp::builder().env("DOCS_TOKEN", SECRET).env("HOME", &home.path().display().to_string()).spawn().await;
    let docs = server(
        &app,
        json!({ "name": "docs", "command": "docs-mcp", "args": ["--fast"], "env": { "TOKEN": "${DOCS_TOKEN}" } }),
    )
    .await;
    let remote = server(
        &app,
        json!({ "name": "remote", "server_type": "http", "url": "https://mcp.example.com/mcp", "headers": { "Authorization": "Bearer ${DOCS_TOKEN}" } }),
    )
    .await;
    let other = server(&app, json!({ "name": "elsewhere", "command": "other-mcp" })).await;
    let trigger = create_trigger(
        &app,
        json!({ "tooling": { "mcp_servers": [docs, remote] }, "paths": [{ "local_project_path": repo.path() }] }),
    )
    .await;
    create_trigger(&app, json!({ "tooling": { "mcp_servers": [other] } })).await;
    let (_, view) = send(&app, Method::GET, &format!("/admin/triggers/{trigger}"), None).await;
    assert_eq!(view["tooling"]["mcp_servers"], json!([docs, remote]), "{view}");

    // The preview, per CLI: files that parse, with exactly the attached servers.
    let claude = preview(&app, &trigger, "claude").await;
    assert_eq!(claude["args"], json!(["--strict-mcp-config", "--mcp-config", "<run>/claude-mcp.json"]));
    let file: Value = serde_json::from_str(claude["files"][0]["content"].as_str().unwrap()).unwrap();
    assert_eq!(keys(&file["mcpServers"]), ["docs", "remote"]);
    assert_eq!(claude["secrets"], json!(["DOCS_TOKEN"]));
    let names: Vec<&str> = claude["given"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["docs", "remote"]);
    let gemini = preview(&app, &trigger, "gemini").await;
    let settings: Value = serde_json::from_str(gemini["files"][0]["content"].as_str().unwrap()).unwrap();
    assert_eq!(keys(&settings["mcpServers"]), ["docs", "remote"]);
    assert_eq!(gemini["env"]["GEMINI_CLI_SYSTEM_SETTINGS_PATH"], "<run>/gemini-settings.json");
    let opencode = preview(&app, &trigger, "opencode").await;
    let config: Value = serde_json::from_str(opencode["files"][0]["content"].as_str().unwrap()).unwrap();
    assert_eq!(keys(&config["mcp"]), ["docs", "remote"]);
    let codex = preview(&app, &trigger, "codex").await;
    let overrides: Vec<&str> =
        codex["args"].as_array().unwrap().iter().skip(1).step_by(2).map(|a| a.as_str().unwrap()).collect();
    let toml: toml::Table = toml::from_str(&overrides.join("\n")).unwrap();
    assert_eq!(toml["mcp_servers"].as_table().unwrap().keys().collect::<Vec<_>>(), ["docs", "remote"]);
    for p in [&claude, &gemini, &opencode, &codex] {
        assert!(!p.to_string().contains(SECRET) && !p.to_string().contains("elsewhere"), "{p}");
    }

    // Runs: each CLI finds exactly them where it reads them, and the value in its environment.
    let mut executions = Vec::new();
    for backend in ["claude", "gemini", "opencode", "codex"] {
        let (status, _) =
            send(&app, Method::PUT, &format!("/admin/triggers/{trigger}"), Some(json!({ "backend_type": backend })))
                .await;
        assert_eq!(status, 200);
        let exec = run(&app, &trigger, "mcp env_len=DOCS_TOKEN env_len=TOKEN").await;
        let done = wait_for_end(&app, &exec).await;
        assert_eq!(done["status"], "success", "{done}");
        let given: Value = serde_json::from_str(&said(&app, &exec, "mcp=").await.unwrap()).unwrap();
        match backend {
            "claude" => {
                assert_eq!(
                    (keys(&given["file"]["mcpServers"]), &given["strict"]),
                    (vec!["docs".into(), "remote".into()], &json!(true))
                );
                assert_eq!(given["file"]["mcpServers"]["docs"]["env"]["TOKEN"], "${DOCS_TOKEN}");
            }
            "gemini" => {
                assert_eq!(keys(&given["file"]["mcpServers"]), ["docs", "remote"]);
                assert_eq!(given["allowed"], json!(["docs", "remote"]));
            }
            "opencode" => assert_eq!(given["file"]["mcp"]["docs"]["environment"]["TOKEN"], "{env:DOCS_TOKEN}"),
            _ => assert_eq!(given["overrides"].as_array().unwrap().len(), 2, "{given}"),
        }
        let length = SECRET.len().to_string();
        let var = if backend == "codex" { "TOKEN" } else { "DOCS_TOKEN" };
        assert_eq!(said(&app, &exec, &format!("env_len {var}=")).await, Some(length), "{backend}");
        let recorded: Vec<&str> =
            done["tooling"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
        assert_eq!(recorded, ["docs", "remote"], "{done}");
        assert!(done["tooling"][0]["version"].as_str().is_some_and(|v| v.starts_with("20")));
        assert!(!app.data_dir.join("run-tooling").join(&exec).exists(), "the run's folder goes with it");
        executions.push(exec);
    }
    assert_eq!(global_config(home.path()), before, "the host's CLI configuration is unchanged");
    assert_eq!(git(&["status", "--porcelain", "--ignored"], repo.path()), "", "the repository is untouched");

    // The secret's value is nowhere Agented keeps things.
    let (_, audit) = send(&app, Method::GET, "/admin/audit?limit=500", None).await;
    assert!(audit["entries"].as_array().is_some_and(|e| !e.is_empty()), "{audit}");
    assert!(!audit.to_string().contains(SECRET));
    for exec in &executions {
        let page = app.get(&format!("/admin/executions/{exec}/logs?limit=1000")).await.text().await.unwrap();
        assert!(!page.contains(SECRET), "a run's log holds the secret");
    }
    assert!(!serde_json::to_string(&app.logs.lines()).unwrap().contains(SECRET), "the server logged the secret");
    for entry in std::fs::read_dir(&app.data_dir).unwrap().flatten() {
        if entry.path().is_file() {
            let bytes = std::fs::read(entry.path()).unwrap();
            assert!(
                !bytes.windows(SECRET.len()).any(|w| w == SECRET.as_bytes()),
                "{} holds the secret",
                entry.path().display()
            );
        }
    }
}

#[tokio::test]
async fn bad_tooling_is_refused_and_what_a_cli_cannot_take_fails_the_run_clearly() {
    let app = TestApp::spawn().await;
    let sse = server(&app, json!({ "name": "old", "server_type": "sse", "url": "https://x.example/sse" })).await;
    for (tooling, message) in [
        (json!({ "skills": ["review"] }), "'review' is not a skill id"),
        (json!({ "rules": ["skill-abcdef"] }), "is not a rule id"),
        (json!({ "mcp_servers": ["not-an-id"] }), "is not an MCP server id"),
        (json!({ "mcp": [] }), ""),
        (json!(["mcp-aaaaaa"]), ""),
    ] {
        let (status, body) = send(
            &app,
            Method::POST,
            "/admin/triggers",
            Some(json!({ "name": "t", "prompt_template": "x", "tooling": tooling })),
        )
        .await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["details"]["tooling"].as_str().unwrap_or(body["error"].as_str().unwrap()).contains(message),
            "{body}"
        );
    }
    let (status, _) = send(&app, Method::GET, "/admin/triggers/trig-nope00/tooling-preview", None).await;
    assert_eq!(status, 404);
    let trigger = create_trigger(&app, json!({ "backend_type": "codex", "tooling": { "mcp_servers": [sse] } })).await;
    let (status, bad) =
        send(&app, Method::GET, &format!("/admin/triggers/{trigger}/tooling-preview?backend=vim"), None).await;
    assert_eq!((status, bad["code"].as_str()), (400, Some("invalid_backend")), "{bad}");
    let codex = preview(&app, &trigger, "codex").await;
    assert!(codex["error"].as_str().unwrap().contains("'old' is an sse server"), "{codex}");
    let exec = run(&app, &trigger, "hello").await;
    let done = wait_for_end(&app, &exec).await;
    assert_eq!(done["status"], "failed");
    assert!(
        done["error_message"].as_str().unwrap().contains("codex reaches MCP servers over stdio or streamable HTTP"),
        "{done}"
    );

    // A server disabled or deleted after attaching is left out, and the preview says so.
    let (status, _) =
        send(&app, Method::PUT, &format!("/admin/mcp-servers/{sse}"), Some(json!({ "enabled": false }))).await;
    assert_eq!(status, 200);
    let now = preview(&app, &trigger, "claude").await;
    assert_eq!(
        (now["given"].as_array().unwrap().len(), now["left_out"][0].as_str().unwrap().contains("is disabled")),
        (0, true),
        "{now}"
    );
    let (status, _) = send(&app, Method::DELETE, &format!("/admin/mcp-servers/{sse}"), None).await;
    assert_eq!(status, 204);
    let gone = preview(&app, &trigger, "claude").await;
    assert!(gone["left_out"][0].as_str().unwrap().contains("no longer exists"), "{gone}");
    let exec = run(&app, &trigger, "hello").await;
    assert_eq!(wait_for_end(&app, &exec).await["status"], "success", "a run without it goes on");
}

#[tokio::test]
async fn an_agents_servers_are_given_to_its_runs_after_those_of_the_trigger_that_runs_agents() {
    let app = TestApp::spawn().await;
    let shared = server(&app, json!({ "name": "shared", "command": "shared-mcp" })).await;
    let own = server(&app, json!({ "name": "own", "command": "own-mcp" })).await;
    let (status, _) =
        send(&app, Method::PUT, "/admin/triggers/bot-agents", Some(json!({ "tooling": { "mcp_servers": [shared] } })))
            .await;
    assert_eq!(status, 200);
    let (status, bad) =
        send(&app, Method::POST, "/admin/agents", Some(json!({ "name": "A", "tooling": { "mcp_servers": ["nope"] } })))
            .await;
    assert_eq!((status, bad["details"]["tooling"].is_string()), (422, true), "{bad}");
    let (status, agent) = send(
        &app,
        Method::POST,
        "/admin/agents",
        Some(json!({ "name": "Tooled", "tooling": { "mcp_servers": [own, shared] } })),
    )
    .await;
    assert_eq!(status, 201, "{agent}");
    assert_eq!(agent["tooling"]["mcp_servers"], json!([own, shared]));
    let id = agent["id"].as_str().unwrap();
    let (status, started) =
        send(&app, Method::POST, &format!("/admin/agents/{id}/run"), Some(json!({ "message": "mcp lines=0" }))).await;
    assert_eq!(status, 202, "{started}");
    let exec = started["execution_id"].as_str().unwrap();
    let done = wait_for_end(&app, exec).await;
    assert_eq!(done["status"], "success", "{done}");
    let recorded: Vec<&str> = done["tooling"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(recorded, ["shared", "own"], "the trigger's first, each once");
    let given: Value = serde_json::from_str(&said(&app, exec, "mcp=").await.unwrap()).unwrap();
    assert_eq!(keys(&given["file"]["mcpServers"]), ["own", "shared"]);
}
