//! Agents over HTTP with the original's fields: create, read, change, delete, run as an
//! ordinary execution of `bot-agents`, and name in a workflow's agent node.

use crate::support::{send, wait_for_end};
use agented_test_support::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

async fn create(app: &TestApp, body: Value) -> Value {
    let (status, created) = send(app, Method::POST, "/admin/agents", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created
}

#[tokio::test]
async fn an_agent_keeps_the_original_fields_and_changes_part_by_part() {
    let app = TestApp::spawn().await;
    // The original stored goals and skills as JSON text; both spellings are read.
    let rita = create(
        &app,
        json!({
            "name": "Reviewer Rita", "description": "Reviews diffs", "role": "code reviewer",
            "goals": "[\"catch bugs\", \"keep diffs small\"]", "skills": ["code-review", "security"],
            "backend_type": "claude", "system_prompt": "You are a careful reviewer.", "model": "opus-x"
        }),
    )
    .await;
    let id = rita["id"].as_str().unwrap();
    assert!(id.starts_with("agent-"));
    assert_eq!(rita["goals"], json!(["catch bugs", "keep diffs small"]));
    assert_eq!(
        (rita["enabled"].clone(), rita["allowed_tools"].clone(), rita["documents"].clone()),
        (json!(true), json!([]), json!([]))
    );
    let (status, changed) =
        send(&app, Method::PUT, &format!("/admin/agents/{id}"), Some(json!({"model": null, "enabled": false}))).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (changed["model"].clone(), changed["enabled"].clone(), changed["role"].clone()),
        (Value::Null, json!(false), json!("code reviewer"))
    );
    let (_, list) = send(&app, Method::GET, "/admin/agents/", None).await;
    assert_eq!(list["agents"].as_array().unwrap().len(), 1);
    let (status, _) = send(&app, Method::DELETE, &format!("/admin/agents/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, gone) = send(&app, Method::GET, &format!("/admin/agents/{id}"), None).await;
    assert_eq!((status, gone["error"].clone()), (404, json!("agent not found")));
}

#[tokio::test]
async fn bad_agent_requests_get_clear_json_errors() {
    let app = TestApp::spawn().await;
    let cases = [
        (json!({"role": "x"}), "name"),
        (json!({"name": "a", "backend_type": "gpt"}), "backend_type"),
        (json!({"name": "a", "goals": [1, 2]}), "goals"),
        (json!({"name": "a", "model": "has space"}), "model"),
    ];
    for (body, field) in cases {
        let (status, answer) = send(&app, Method::POST, "/admin/agents", Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert!(answer["details"][field].is_string(), "{body}: {answer}");
    }
    let (status, answer) = send(&app, Method::POST, "/admin/agents", Some(json!({"name": "a", "colour": "red"}))).await;
    assert_eq!(status, 422, "unknown fields are refused: {answer}");
    for (method, path) in [
        (Method::GET, "/admin/agents/agent-nothere"),
        (Method::PUT, "/admin/agents/NOT-AN-ID"),
        (Method::POST, "/admin/agents/agent-nothere/run"),
    ] {
        let body = match method {
            Method::GET => None,
            Method::PUT => Some(json!({"role": "x"})),
            _ => Some(json!({"message": "x"})),
        };
        let (status, answer) = send(&app, method, path, body).await;
        assert_eq!(status, 404, "{path}: {answer}");
    }
    let tom = create(&app, json!({"name": "Tester Tom", "enabled": false})).await;
    let run = format!("/admin/agents/{}/run", tom["id"].as_str().unwrap());
    let (status, answer) = send(&app, Method::POST, &run, Some(json!({"message": "go"}))).await;
    assert_eq!((status, answer["error"].clone()), (409, json!("agent 'Tester Tom' is disabled")));
    let (status, answer) = send(&app, Method::POST, &run, None).await;
    assert_eq!(status, 422, "a run needs a message: {answer}");
}

#[tokio::test]
async fn a_run_of_an_agent_is_an_ordinary_execution_with_its_prompt_backend_and_model() {
    let app = TestApp::spawn().await;
    let rita = create(
        &app,
        json!({
            "name": "Reviewer Rita", "role": "code reviewer", "goals": ["catch bugs"],
            "system_prompt": "You are a careful reviewer.", "model": "opus-x", "allowed_tools": ["Read", "Grep"]
        }),
    )
    .await;
    let id = rita["id"].as_str().unwrap();
    let (status, started) = send(
        &app,
        Method::POST,
        &format!("/admin/agents/{id}/run"),
        Some(json!({"message": "echo=[R] lines=0 review PR 7"})),
    )
    .await;
    assert_eq!(status, 202, "{started}");
    let execution = started["execution_id"].as_str().unwrap();
    assert!(execution.starts_with("exec-bot-agents-"), "{started}");
    let done = wait_for_end(&app, execution).await;
    assert_eq!((done["status"].clone(), done["trigger_id"].clone()), (json!("success"), json!("bot-agents")), "{done}");
    let prompt = done["prompt"].as_str().unwrap();
    assert!(
        prompt.starts_with("You are a careful reviewer.\n\nYour role: code reviewer.\n\nYour goals:\n- catch bugs"),
        "{prompt}"
    );
    assert!(prompt.contains("<untrusted-input-"), "the message is fenced: {prompt}");
    let command = done["command"].as_str().unwrap();
    assert!(command.contains("opus-x") && command.contains("Read,Grep"), "the agent's model and tools: {command}");

    let graph = json!({
        "nodes": [{"id": "start", "type": "trigger"}, {"id": "review", "type": "agent", "config": {"agent_id": id, "prompt": "echo=[R] lines=0 {input}"}}],
        "edges": [{"source": "start", "target": "review"}]
    });
    let (_, workflow) = send(
        &app,
        Method::POST,
        "/admin/workflows",
        Some(json!({"name": "w", "graph_json": graph, "is_draft": false})),
    )
    .await;
    let workflow = workflow["id"].as_str().unwrap();
    let (_, run) =
        send(&app, Method::POST, &format!("/admin/workflows/{workflow}/run"), Some(json!({"input_json": "PR 8"})))
            .await;
    let run = run["workflow_execution_id"].as_str().unwrap();
    let read = crate::workflow_runs::ended(&app, workflow, run).await;
    assert_eq!(
        (read["status"].clone(), read["output_json"]["text"].clone()),
        (json!("completed"), json!("[R]PR 8")),
        "{read}"
    );
    assert_eq!(read["output_json"]["metadata"]["agent_id"], json!(id));
}
