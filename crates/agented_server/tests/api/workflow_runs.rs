//! Runs of workflows over HTTP, driven by the server's own driver: real commands, the
//! original's node outputs, branches, fan-out and fan-in, retries, errors that continue,
//! approvals (approve, reject, timeout) with the decider recorded, sub-workflows,
//! cancel (no process left), the live stream, and clear errors for bad requests.

use crate::support::send;
use agented_test_support::{SseEvent, SseReader, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

/// Creates a workflow whose version 1 (published) is `graph`; its id.
async fn workflow(app: &TestApp, graph: Value) -> String {
    let body = json!({"name": "w", "graph_json": graph, "is_draft": false});
    let (status, created) = send(app, Method::POST, "/admin/workflows", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

/// Starts a run of `id` with `input`; its id.
async fn start(app: &TestApp, id: &str, input: Value) -> String {
    let (status, started) =
        send(app, Method::POST, &format!("/admin/workflows/{id}/run"), Some(json!({"input_json": input}))).await;
    assert_eq!(status, 202, "{started}");
    assert_eq!(started["status"], "pending");
    started["workflow_execution_id"].as_str().unwrap().to_owned()
}

pub(crate) async fn stream(app: &TestApp, id: &str, run: &str) -> SseReader {
    let res = app.get(&format!("/admin/workflows/{id}/executions/{run}/stream")).await;
    assert_eq!(res.status(), 200);
    SseReader::new(res)
}

/// Follows the run until `stop` says so or it completes; the events seen.
pub(crate) async fn watch(app: &TestApp, id: &str, run: &str, stop: impl FnMut(&SseEvent) -> bool) -> Vec<SseEvent> {
    stream(app, id, run).await.until(stop).await
}

/// Waits for the run to end; the run then.
pub(crate) async fn ended(app: &TestApp, id: &str, run: &str) -> Value {
    let events = watch(app, id, run, |e| e.name == "complete").await;
    let last = events.last().unwrap();
    assert_eq!(last.name, "complete", "the stream ended without complete");
    let (status, read) = send(app, Method::GET, &format!("/admin/workflows/executions/{run}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(read["status"], last.data["status"], "the stream's last word is the stored run");
    read
}

/// A new admin key named `name`; its secret.
pub(crate) async fn named_admin(app: &TestApp, name: &str) -> String {
    let (status, created) =
        send(app, Method::POST, "/admin/api-keys", Some(json!({"name": name, "scope": "admin"}))).await;
    assert_eq!(status, 201, "{created}");
    created["key"].as_str().unwrap().to_owned()
}

/// POSTs `body` to `path` with `key`.
pub(crate) async fn as_key(app: &TestApp, key: &str, path: &str, body: Value) -> (u16, Value) {
    let res = reqwest::Client::new().post(app.url(path)).header("X-API-Key", key).json(&body).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap_or(Value::Null))
}

/// Whether `check` holds within 10 s, looked at every 50 ms without blocking the server's tasks
/// (they share the test's runtime).
async fn eventually(mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..200 {
        if check() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    false
}

pub(crate) fn node<'a>(run: &'a Value, id: &str) -> &'a Value {
    run["nodes"].as_array().unwrap().iter().find(|n| n["node_id"] == id).unwrap()
}

pub(crate) fn waiting_at(e: &SseEvent, node_id: &str) -> bool {
    e.name == "complete"
        || e.data["nodes"]
            .as_array()
            .is_some_and(|ns| ns.iter().any(|n| n["node_id"] == node_id && n["status"] == "running"))
}

#[tokio::test]
async fn the_release_notes_workflow_of_the_original_runs_to_the_same_outputs() {
    let app = TestApp::spawn().await;
    let id = workflow(
        &app,
        json!({
            "nodes": [
                {"id": "start", "type": "trigger"},
                {"id": "echo", "type": "command", "config": {"command": "echo release-notes-ready"}},
                {"id": "upper", "type": "transform", "config": {"transform_type": "uppercase"}},
                {"id": "check", "type": "conditional", "config": {"condition": "contains", "value": "READY"}},
                {"id": "no", "type": "command", "config": {"argv": ["false"]}}
            ],
            "edges": [
                {"source": "start", "target": "echo"}, {"source": "echo", "target": "upper"},
                {"source": "upper", "target": "check"}, {"source": "check", "target": "no", "branch": "false"}
            ]
        }),
    )
    .await;
    let run = start(&app, &id, json!({"text": "v1.5.0"})).await;
    assert!(run.starts_with("wfx-"));
    let done = ended(&app, &id, &run).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!((done["version"].clone(), done["input_json"].clone()), (json!(1), json!({"text": "v1.5.0"})));
    let echo = &node(&done, "echo")["output_json"];
    assert_eq!(
        (echo["content_type"].clone(), echo["stdout"].clone(), echo["exit_code"].clone()),
        (json!("command_output"), json!("release-notes-ready\n"), json!(0))
    );
    assert_eq!(echo["metadata"], json!({"source_node_id": "echo", "command": "echo release-notes-ready"}));
    assert_eq!(node(&done, "upper")["output_json"]["text"], "RELEASE-NOTES-READY");
    let check = &node(&done, "check")["output_json"];
    assert_eq!(
        (check["content_type"].clone(), check["data"].clone()),
        (json!("conditional"), json!({"result": true, "branch": "true"}))
    );
    assert_eq!(node(&done, "no")["status"], "skipped", "the false branch is not taken");
    assert_eq!(done["output_json"]["text"], "RELEASE-NOTES-READY", "the run's output is its last node's");
    assert!(done["nodes"].as_array().unwrap().iter().all(|n| n["duration_ms"].is_i64() || n["status"] == "skipped"));
    let slowest = done["slowest_node"].as_str().unwrap();
    assert_eq!(node(&done, slowest)["slowest"], true, "the slowest node is marked");
    let (_, list) = send(&app, Method::GET, &format!("/admin/workflows/{id}/executions"), None).await;
    assert_eq!(list["executions"][0]["id"], json!(run));
}

#[tokio::test]
async fn fan_out_and_fan_in_carry_outputs_and_a_failure_that_continues_is_retried_then_handed_on() {
    let app = TestApp::spawn().await;
    let id = workflow(&app, json!({
        "nodes": [
            {"id": "start", "type": "trigger"},
            {"id": "ok", "type": "command", "config": {"argv": ["echo", "got {input.text}"]}},
            {"id": "flaky", "type": "command", "config": {"argv": ["sh", "-c", "echo nope >&2; exit 3"], "retries": 1, "retry_backoff_seconds": 1, "on_error": "continue"}},
            {"id": "join", "type": "transform", "config": {"transform_type": "template", "template": "{input.ok} / {input.flaky}"}}
        ],
        "edges": [
            {"source": "start", "target": "ok"}, {"source": "start", "target": "flaky"},
            {"source": "ok", "target": "join"}, {"source": "flaky", "target": "join", "branch": "error"}
        ]
    })).await;
    let run = start(&app, &id, json!({"text": "v2"})).await;
    let done = ended(&app, &id, &run).await;
    assert_eq!(done["status"], "completed", "{done}");
    let flaky = node(&done, "flaky");
    assert_eq!(
        (flaky["status"].clone(), flaky["attempt"].clone()),
        (json!("failed"), json!(2)),
        "one retry, then failed"
    );
    assert_eq!(flaky["error"], "'sh' exited with code 3: nope");
    assert_eq!(done["output_json"]["text"], "got v2 / 'sh' exited with code 3: nope", "both branches met at the join");
}

#[tokio::test]
async fn an_approval_waits_for_a_person_and_records_who_approved() {
    let app = TestApp::spawn().await;
    let id = workflow(
        &app,
        json!({
            "nodes": [
                {"id": "start", "type": "trigger"},
                {"id": "ok", "type": "approval", "config": {"message": "Ship?"}},
                {"id": "ship", "type": "command", "config": {"argv": ["echo", "shipped {input}"]}}
            ],
            "edges": [{"source": "start", "target": "ok"}, {"source": "ok", "target": "ship"}]
        }),
    )
    .await;
    let run = start(&app, &id, json!("v3")).await;
    let seen = watch(&app, &id, &run, |e| waiting_at(e, "ok")).await;
    assert_eq!(seen.first().unwrap().name, "run", "the stream opens with the run");
    assert_eq!(seen.last().unwrap().name, "run", "it waits at the approval: {:?}", seen.last().unwrap().data);
    let approve = format!("/admin/workflows/{id}/executions/{run}/nodes/ok/approve");
    let (status, answered) = as_key(&app, &named_admin(&app, "alice").await, &approve, json!({"comment": "go"})).await;
    assert_eq!(status, 200, "{answered}");
    let decision = &node(&answered, "ok")["decision"];
    assert_eq!(
        (decision["approved"].clone(), decision["decided_by"].clone(), decision["comment"].clone()),
        (json!(true), json!("alice"), json!("go"))
    );
    let done = ended(&app, &id, &run).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["output_json"]["text"], "shipped v3");
    let (status, again) = send(&app, Method::POST, &approve, None).await;
    assert_eq!(status, 409, "decided once: {again}");
    assert!(again["error"].as_str().unwrap().contains("not an approval waiting for a decision"), "{again}");
}

#[tokio::test]
async fn a_rejection_fails_the_run_naming_the_decider_and_no_decision_in_time_fails_it_too() {
    let app = TestApp::spawn().await;
    let graph = |timeout: u64| {
        json!({
            "nodes": [{"id": "start", "type": "trigger"}, {"id": "ok", "type": "approval", "config": {"message": "Ship?", "approval_timeout_seconds": timeout}}],
            "edges": [{"source": "start", "target": "ok"}]
        })
    };
    let id = workflow(&app, graph(600)).await;
    let run = start(&app, &id, json!("x")).await;
    watch(&app, &id, &run, |e| waiting_at(e, "ok")).await;
    let reject = format!("/admin/workflows/{id}/executions/{run}/nodes/ok/reject");
    let (status, _) = as_key(&app, &named_admin(&app, "bob").await, &reject, json!({"comment": "not today"})).await;
    assert_eq!(status, 200);
    let done = ended(&app, &id, &run).await;
    assert_eq!(
        (done["status"].clone(), done["error"].clone()),
        (json!("failed"), json!("node 'ok' failed: rejected by bob: not today"))
    );
    assert_eq!(node(&done, "ok")["decision"]["approved"], false);

    let timed = workflow(&app, graph(1)).await;
    let run = start(&app, &timed, json!("x")).await;
    let done = ended(&app, &timed, &run).await;
    assert_eq!(
        (done["status"].clone(), done["error"].clone()),
        (json!("failed"), json!("node 'ok' failed: no decision within 1 s"))
    );
}

#[tokio::test]
async fn a_sub_workflow_runs_as_its_own_run_and_hands_its_output_back() {
    let app = TestApp::spawn().await;
    let child = workflow(&app, json!({
        "nodes": [{"id": "start", "type": "trigger"}, {"id": "shout", "type": "transform", "config": {"transform_type": "uppercase"}}],
        "edges": [{"source": "start", "target": "shout"}]
    })).await;
    let parent = workflow(&app, json!({
        "nodes": [{"id": "start", "type": "trigger"}, {"id": "sub", "type": "workflow", "config": {"workflow_id": child}}],
        "edges": [{"source": "start", "target": "sub"}]
    })).await;
    let run = start(&app, &parent, json!("quiet")).await;
    let done = ended(&app, &parent, &run).await;
    assert_eq!(
        (done["status"].clone(), done["output_json"]["text"].clone()),
        (json!("completed"), json!("QUIET")),
        "{done}"
    );
    let child_run = node(&done, "sub")["execution_ids"][0].as_str().unwrap().to_owned();
    let (_, read) = send(&app, Method::GET, &format!("/admin/workflows/executions/{child_run}"), None).await;
    assert_eq!(
        (read["workflow_id"].clone(), read["origin"].clone(), read["origin_id"].clone()),
        (json!(child), json!("workflow"), json!(format!("{run}/sub")))
    );
}

#[tokio::test]
async fn cancel_stops_a_running_command_and_leaves_no_process() {
    let app = TestApp::spawn().await;
    let id = workflow(&app, json!({
        "nodes": [{"id": "start", "type": "trigger"}, {"id": "long", "type": "command", "config": {"argv": ["sleep", "300"]}}],
        "edges": [{"source": "start", "target": "long"}]
    })).await;
    let run = start(&app, &id, json!({})).await;
    watch(&app, &id, &run, |e| waiting_at(e, "long")).await;
    let marker = format!("{run}/long");
    assert!(eventually(|| agented_runner::marked_processes().contains_key(&marker)).await, "the command runs");
    let (status, cancelled) =
        send(&app, Method::POST, &format!("/admin/workflows/{id}/executions/{run}/cancel"), None).await;
    assert_eq!((status, cancelled["status"].clone()), (200, json!("cancelled")));
    assert!(
        cancelled["error"].as_str().unwrap().starts_with("cancelled by admin"),
        "the key that cancelled: {cancelled}"
    );
    let gone = eventually(|| !agented_runner::marked_processes().contains_key(&marker)).await;
    assert!(gone, "no process of the cancelled command is left");
    let (status, again) =
        send(&app, Method::POST, &format!("/admin/workflows/{id}/executions/{run}/cancel"), None).await;
    assert_eq!(status, 409, "{again}");
}

#[tokio::test]
async fn bad_run_requests_get_clear_json_errors() {
    let app = TestApp::spawn().await;
    let graph = json!({"nodes": [{"id": "start", "type": "trigger"}], "edges": []});
    let (_, draft) =
        send(&app, Method::POST, "/admin/workflows", Some(json!({"name": "d", "graph_json": graph}))).await;
    let draft = draft["id"].as_str().unwrap();
    let cases: Vec<(&str, String, Option<Value>, u16, &str)> = vec![
        ("unknown workflow", "/admin/workflows/wf-nothere/run".into(), None, 404, "workflow not found"),
        ("not an id", "/admin/workflows/NOT-AN-ID/run".into(), None, 404, "not found"),
        ("nothing published", format!("/admin/workflows/{draft}/run"), None, 409, "no published version"),
        (
            "unknown version",
            format!("/admin/workflows/{draft}/run"),
            Some(json!({"version": 9})),
            404,
            "version not found",
        ),
        ("unknown field", format!("/admin/workflows/{draft}/run"), Some(json!({"input": 1})), 422, "unknown field"),
        (
            "huge input",
            format!("/admin/workflows/{draft}/run"),
            Some(json!({"version": 1, "input_json": "x".repeat(300_000)})),
            413,
            "payload too large",
        ),
    ];
    for (what, path, body, want, says) in cases {
        let (status, answer) = send(&app, Method::POST, &path, body).await;
        assert_eq!(status, want, "{what}: {answer}");
        assert!(answer["error"].as_str().unwrap().contains(says), "{what}: {answer}");
    }
    let raw = app
        .client
        .post(app.url(&format!("/admin/workflows/{draft}/run")))
        .header("content-type", "application/json")
        .body("{\"version\":")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400, "malformed JSON");
    for path in [
        "/admin/workflows/executions/wfx-nothere",
        "/admin/workflows/executions/exec-1",
        &format!("/admin/workflows/{draft}/executions/wfx-nothere/stream"),
    ] {
        let (status, answer) = send(&app, Method::GET, path, None).await;
        assert_eq!(status, 404, "{path}: {answer}");
    }
    send(&app, Method::POST, &format!("/admin/workflows/{draft}/versions/1/publish"), None).await;
    let run = start(&app, draft, json!({})).await;
    let (status, answer) =
        send(&app, Method::POST, &format!("/admin/workflows/wf-other1/executions/{run}/cancel"), None).await;
    assert_eq!(status, 404, "a run is found under its own workflow only: {answer}");
    let long = json!({"comment": "x".repeat(10_001)});
    let (status, answer) =
        send(&app, Method::POST, &format!("/admin/workflows/{draft}/executions/{run}/nodes/start/approve"), Some(long))
            .await;
    assert_eq!((status, answer["details"]["comment"].is_string()), (422, true), "{answer}");
}

#[tokio::test]
async fn agent_nodes_run_as_ordinary_executions_pass_their_replies_along_and_are_costed() {
    let app = TestApp::spawn().await;
    let id = workflow(&app, json!({
        "nodes": [
            {"id": "start", "type": "trigger"},
            {"id": "draft", "type": "agent", "config": {"backend": "claude", "prompt": "echo=[A] lines=0 cost=0.25 {input}"}},
            {"id": "polish", "type": "agent", "config": {"backend": "codex", "prompt": "echo=[B] lines=0 cost=0.5 {input}"}}
        ],
        "edges": [{"source": "start", "target": "draft"}, {"source": "draft", "target": "polish"}]
    })).await;
    let run = start(&app, &id, json!({"text": "hello"})).await;
    let done = ended(&app, &id, &run).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(node(&done, "draft")["output_json"]["text"], "[A]hello", "the input reached the bot fenced");
    assert_eq!(done["output_json"]["text"], "[B][A]hello", "each reply is the next node's input");
    let (draft_cost, polish_cost) =
        (node(&done, "draft")["cost_usd"].as_f64().unwrap(), node(&done, "polish")["cost_usd"].as_f64().unwrap());
    assert!(
        (draft_cost - 0.25).abs() < 1e-9 && polish_cost > 0.0,
        "claude reports its cost, codex's is priced from its tokens: {done}"
    );
    assert_eq!(done["costliest_node"], "draft");
    assert!((done["total_cost_usd"].as_f64().unwrap() - draft_cost - polish_cost).abs() < 1e-9);
    let execution = node(&done, "polish")["execution_ids"][0].as_str().unwrap().to_owned();
    let (status, detail) = send(&app, Method::GET, &format!("/admin/executions/{execution}"), None).await;
    assert_eq!(status, 200, "an ordinary execution: {detail}");
    assert_eq!(
        (detail["trigger_id"].clone(), detail["status"].clone(), detail["backend_type"].clone()),
        (json!("bot-agents"), json!("success"), json!("codex"))
    );
    assert!(detail["prompt"].as_str().unwrap().contains("<untrusted-input-"), "the input is fenced: {detail}");
}

#[tokio::test]
async fn an_agent_node_that_fails_is_retried_with_a_new_execution_and_names_why() {
    let app = TestApp::spawn().await;
    let id = workflow(&app, json!({
        "nodes": [
            {"id": "start", "type": "trigger"},
            {"id": "bad", "type": "agent", "config": {"backend": "claude", "prompt": "exit=3 {input}", "retries": 1, "retry_backoff_seconds": 1}}
        ],
        "edges": [{"source": "start", "target": "bad"}]
    })).await;
    let run = start(&app, &id, json!("x")).await;
    let done = ended(&app, &id, &run).await;
    assert_eq!(done["status"], "failed", "{done}");
    let bad = node(&done, "bad");
    let executions = bad["execution_ids"].as_array().unwrap();
    assert_eq!(executions.len(), 2, "one execution per attempt: {bad}");
    assert_ne!(executions[0], executions[1]);
    assert!(done["error"].as_str().unwrap().starts_with("node 'bad' failed"), "{done}");
    let unknown = workflow(
        &app,
        json!({"nodes": [{"id": "who", "type": "agent", "config": {"agent_id": "agent-nothere"}}], "edges": []}),
    )
    .await;
    let run = start(&app, &unknown, json!("x")).await;
    let done = ended(&app, &unknown, &run).await;
    assert_eq!(done["error"], "node 'who' failed: agent 'agent-nothere' not found");
}

#[tokio::test]
async fn a_run_that_has_spent_its_budget_starts_no_more_agent_nodes() {
    let app = TestApp::spawn().await;
    let agent = |id: &str| json!({"id": id, "type": "agent", "config": {"backend": "claude", "prompt": "echo=ok lines=0 cost=0.25 {input}"}});
    let id = workflow(&app, json!({
        "nodes": [{"id": "start", "type": "trigger"}, agent("one"), agent("two"), agent("three")],
        "edges": [{"source": "start", "target": "one"}, {"source": "one", "target": "two"}, {"source": "two", "target": "three"}],
        "settings": {"budget_usd": 0.3}
    })).await;
    let run = start(&app, &id, json!("x")).await;
    let done = ended(&app, &id, &run).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(node(&done, "two")["status"], "completed", "$0.25 spent is under the $0.30 budget");
    assert_eq!(done["error"], "node 'three' failed: the run's budget of $0.30 is spent ($0.5000 so far)");
    assert_eq!(node(&done, "three")["execution_ids"], json!([]), "no execution was started");
}

#[tokio::test]
async fn a_retried_sub_workflow_node_starts_a_new_run_of_the_sub_workflow() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let tally = dir.path().join("tally");
    let tally = tally.display();
    // Fails on its first run, succeeds on the next.
    let flaky = format!("echo x >> {tally}; [ $(wc -l < {tally}) -ge 2 ] && echo second-time");
    let child = workflow(
        &app,
        json!({"nodes": [{"id": "try", "type": "command", "config": {"argv": ["sh", "-c", flaky]}}], "edges": []}),
    )
    .await;
    let parent = workflow(&app, json!({
        "nodes": [{"id": "sub", "type": "workflow", "config": {"workflow_id": child, "retries": 1, "retry_backoff_seconds": 1}}],
        "edges": []
    })).await;
    let run = start(&app, &parent, json!("x")).await;
    let done = ended(&app, &parent, &run).await;
    assert_eq!(
        (done["status"].clone(), done["output_json"]["text"].clone()),
        (json!("completed"), json!("second-time")),
        "{done}"
    );
    let children = node(&done, "sub")["execution_ids"].as_array().unwrap().clone();
    assert_eq!(children.len(), 2, "one run of the sub-workflow per attempt: {done}");
    let (_, first) =
        send(&app, Method::GET, &format!("/admin/workflows/executions/{}", children[0].as_str().unwrap()), None).await;
    assert_eq!(first["status"], "failed");
}
