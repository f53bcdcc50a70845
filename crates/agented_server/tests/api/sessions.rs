//! Interactive sessions over HTTP with the fake bot in a real pseudo-terminal:
//! input, answers, resize (SIGWINCH), replay after reconnect, stop, the idle
//! timeout, the planning lock, and what no session may leave behind.

use crate::support::send;
use agented_runner::pty::MARKER;
use agented_runner::recovery::processes_marked;
use agented_test_support::{SseReader, TestApp};
use serde_json::{Value, json};

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    send(app, reqwest::Method::POST, path, Some(body)).await
}

async fn open(app: &TestApp, body: Value) -> String {
    let (status, session) = post(app, "/admin/sessions", body).await;
    assert_eq!(status, 201, "{session}");
    session["id"].as_str().unwrap().to_owned()
}

async fn stream(app: &TestApp, path: &str, after: Option<i64>) -> SseReader {
    let mut req = app.client.get(app.url(path));
    if let Some(after) = after {
        req = req.header("Last-Event-ID", after.to_string());
    }
    let res = req.send().await.unwrap();
    assert_eq!(res.status(), 200);
    SseReader::new(res)
}

/// Output from `reader` until the text so far contains `needle`: the text and the last seq.
async fn read_until(reader: &mut SseReader, text: &mut String, needle: &str) -> i64 {
    let mut last = 0;
    while !text.contains(needle) {
        let event = reader.next().await.unwrap_or_else(|| panic!("the stream ended before {needle:?}: {text}"));
        match event.name.as_str() {
            "output" => {
                last = event.data["seq"].as_i64().unwrap();
                text.push_str(event.data["data"].as_str().unwrap());
            }
            "complete" => panic!("the session ended before {needle:?}: {} / {text}", event.data),
            _ => {}
        }
    }
    last
}

async fn type_in(app: &TestApp, id: &str, text: &str) {
    let (status, body) = post(app, &format!("/admin/sessions/{id}/input"), json!({ "text": text })).await;
    assert_eq!(status, 200, "{body}");
}

async fn input_until(app: &TestApp, id: &str, reader: &mut SseReader, text: &str, needle: &str) -> String {
    type_in(app, id, text).await;
    let mut seen = String::new();
    read_until(reader, &mut seen, needle).await;
    seen
}

fn marked(id: &str) -> Vec<i32> {
    processes_marked(MARKER).remove(id).unwrap_or_default()
}

#[tokio::test]
async fn a_session_answers_input_redraws_on_resize_replays_after_reconnect_and_ends_on_quit() {
    let app = TestApp::spawn().await;
    let id = open(&app, json!({ "program": "claude", "cols": 80, "rows": 24 })).await;
    let path = format!("/admin/sessions/{id}/stream");
    let mut live = stream(&app, &path, None).await;
    let mut text = String::new();
    let banner_end = read_until(&mut live, &mut text, "[size 80x24]").await;
    assert!(text.contains("claude interactive (fake-bot)"), "{text}");

    let answer = input_until(&app, &id, &mut live, "hello there\r", "you said: hello there").await;
    assert!(answer.contains("hello there\r\n"), "the terminal echoes what is typed: {answer:?}");
    let (status, resized) =
        post(&app, &format!("/admin/sessions/{id}/resize"), json!({ "cols": 132, "rows": 40 })).await;
    assert_eq!((status, resized["cols"].as_u64()), (200, Some(132)), "{resized}");
    let mut redrawn = String::new();
    read_until(&mut live, &mut redrawn, "[size 132x40]").await;
    drop(live);

    // A new connection after the banner gets exactly what followed it.
    let mut again = stream(&app, &path, Some(banner_end)).await;
    let first = again.next().await.unwrap();
    assert_eq!(first.name, "status");
    assert_eq!(first.data["status"], "running");
    let mut replayed = String::new();
    let resumed = again.next().await.unwrap();
    assert_eq!(resumed.id, Some(banner_end + 1), "replay starts right after the last seen chunk");
    replayed.push_str(resumed.data["data"].as_str().unwrap());
    read_until(&mut again, &mut replayed, "[size 132x40]").await;
    assert!(replayed.contains("you said: hello there") && !replayed.contains("interactive (fake-bot)"), "{replayed}");

    let (status, output) =
        send(&app, reqwest::Method::GET, &format!("/admin/sessions/{id}/output?last_n=500"), None).await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = output["lines"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    assert!(lines.contains(&"you said: hello there"), "{lines:?}");
    assert_eq!(output["count"].as_u64(), Some(lines.len() as u64));

    type_in(&app, &id, "/quit\r").await;
    let events = again.until(|e| e.name == "complete").await;
    let complete = events.last().unwrap();
    assert_eq!((complete.data["status"].as_str(), complete.data["exit_code"].as_i64()), (Some("exited"), Some(0)));
    let all: String = events.iter().filter(|e| e.name == "output").map(|e| e.data["data"].as_str().unwrap()).collect();
    assert!(all.contains("bye"), "{all}");
    assert!(marked(&id).is_empty(), "no process of the session is left");
    let (status, refused) = post(&app, &format!("/admin/sessions/{id}/input"), json!({ "text": "x" })).await;
    assert_eq!((status, refused["code"].as_str()), (409, Some("conflict")), "{refused}");
}

#[tokio::test]
async fn stop_ends_the_session_and_every_process_it_started() {
    let app = TestApp::spawn().await;
    let id = open(&app, json!({ "cmd": ["codex"] })).await;
    let mut live = stream(&app, &format!("/admin/sessions/{id}/stream"), None).await;
    read_until(&mut live, &mut String::new(), "> ").await;
    input_until(&app, &id, &mut live, "/spawn\r", "grandchild pid=").await;
    assert!(marked(&id).len() >= 2, "the bot and its grandchild carry the marker");

    let (status, paused) = post(&app, &format!("/admin/sessions/{id}/pause"), json!({})).await;
    assert_eq!((status, paused["status"].as_str()), (200, Some("paused")));
    let (status, refused) = post(&app, &format!("/admin/sessions/{id}/input"), json!({ "text": "x\r" })).await;
    assert_eq!(status, 409, "{refused}");
    let (status, stopped) = post(&app, &format!("/admin/sessions/{id}/stop"), json!({})).await;
    assert_eq!(status, 200, "{stopped}");
    assert_eq!((stopped["status"].as_str(), stopped["reason"].as_str()), (Some("stopped"), Some("stopped on request")));
    assert!(marked(&id).is_empty(), "stop left {:?}", marked(&id));
    let complete = live.until(|e| e.name == "complete").await;
    assert_eq!(complete.last().unwrap().data["status"], "stopped");
}

#[tokio::test]
async fn an_idle_session_times_out_and_leaves_no_process() {
    let app = TestApp::builder().env("AGENTED__SESSIONS__IDLE_TIMEOUT_SECONDS", "1").spawn().await;
    let id = open(&app, json!({ "program": "gemini" })).await;
    let mut live = stream(&app, &format!("/admin/sessions/{id}/stream"), None).await;
    let events = live.until(|e| e.name == "complete").await;
    let complete = &events.last().unwrap().data;
    assert_eq!(complete["status"], "timed_out", "{complete}");
    assert_eq!(complete["reason"], "no input or output for 1 s");
    assert!(marked(&id).is_empty());
}

#[tokio::test]
async fn a_session_flooding_past_its_output_limit_is_stopped() {
    let app = TestApp::builder().env("AGENTED__SESSIONS__MAX_OUTPUT_MB", "1").spawn().await;
    let id = open(&app, json!({ "program": "claude" })).await;
    let mut live = stream(&app, &format!("/admin/sessions/{id}/stream"), None).await;
    read_until(&mut live, &mut String::new(), "> ").await;
    type_in(&app, &id, "/flood\r").await;
    let events = live.until(|e| e.name == "complete").await;
    let complete = &events.last().unwrap().data;
    assert_eq!(
        (complete["status"].as_str(), complete["reason"].as_str()),
        (Some("stopped"), Some("printed more than 1 MiB; stopped"))
    );
    let kept: usize =
        events.iter().filter(|e| e.name == "output").map(|e| e.data["data"].as_str().unwrap().len()).sum();
    assert!(kept <= (1 << 20) + 64 * 1024 + 100, "kept {kept} bytes");
    assert!(marked(&id).is_empty());
}

#[tokio::test]
async fn a_project_has_one_planning_session_at_a_time_working_on_its_roadmap() {
    let app = TestApp::spawn().await;
    let (status, project) = post(&app, "/api/projects", json!({ "name": "Todo" })).await;
    assert_eq!(status, 201, "{project}");
    let project = project["project_id"].as_str().unwrap().to_owned();
    let invoke = format!("/api/projects/{project}/planning/invoke");
    let (status, started) = post(&app, &invoke, json!({ "command": "plan-phase", "args": { "phase": "2" } })).await;
    assert_eq!((status, started["status"].as_str()), (201, Some("running")), "{started}");
    let sid = started["session_id"].as_str().unwrap().to_owned();
    assert_eq!(started["session"]["purpose"], "planning");

    let (status, busy) = post(&app, &invoke, json!({ "command": "discuss-phase" })).await;
    assert_eq!(status, 409, "{busy}");
    assert_eq!(busy["details"]["session_id"].as_str(), Some(sid.as_str()));

    let base = format!("/api/projects/{project}/sessions/{sid}");
    let mut live = stream(&app, &format!("{base}/stream"), None).await;
    let mut text = String::new();
    read_until(&mut live, &mut text, "first prompt: /grd:plan-phase 2").await;
    let folder = text.split(" in ").nth(1).and_then(|rest| rest.lines().next()).unwrap().trim().to_owned();
    assert!(folder.ends_with(&format!("interactive/projects/{project}")), "{folder}");
    let state = std::fs::read_to_string(std::path::Path::new(&folder).join(".planning/STATE.md")).unwrap_or_default();
    assert!(state.contains("Todo"), "the roadmap is written for GRD: {state:?}");

    let (status, listed) = send(&app, reqwest::Method::GET, &format!("/api/projects/{project}/sessions"), None).await;
    assert_eq!((status, listed["sessions"][0]["id"].as_str()), (200, Some(sid.as_str())));
    let (status, stopped) = post(&app, &format!("{base}/stop"), json!({})).await;
    assert_eq!((status, stopped["status"].as_str()), (200, Some("stopped")));
    let (status, next) = post(&app, &invoke, json!({ "command": "discuss-phase", "args": ["3"] })).await;
    assert_eq!(status, 201, "the project is free again: {next}");
    let other = "proj-zzzzzz";
    let (status, _) =
        send(&app, reqwest::Method::GET, &format!("/api/projects/{other}/sessions/{sid}/output"), None).await;
    assert_eq!(status, 404, "a session is found only under its own project");
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_nothing_starts() {
    let app = TestApp::builder().env("AGENTED__SESSIONS__MAX_OPEN_PER_KEY", "1").spawn().await;
    let cases = [
        (json!({ "program": "sh" }), 422, "program"),
        (json!({ "program": "/bin/bash" }), 422, "program"),
        (json!({ "cmd": [] }), 422, "cmd"),
        (json!({ "program": "claude", "cmd": ["claude"] }), 422, "program"),
        (json!({ "program": "claude", "cwd": "/etc" }), 422, "cwd"),
        (json!({ "program": "claude", "cols": 1 }), 422, "size"),
        (json!({ "program": "claude", "project_id": "nope" }), 422, "project_id"),
        (json!({ "program": "claude", "execution_type": "ralph_loop" }), 422, "execution_type"),
    ];
    for (body, want, field) in cases {
        let (status, error) = post(&app, "/admin/sessions", body.clone()).await;
        assert_eq!(status, want, "{body}: {error}");
        assert!(error["details"][field].is_string(), "{body}: {error}");
    }
    let (status, error) = post(&app, "/admin/sessions", json!({ "program": "claude", "shell": true })).await;
    assert!(matches!(status, 400 | 422), "an unknown field: {error}");
    let (status, _) = post(&app, "/admin/sessions", json!({ "program": "claude", "project_id": "proj-zzzzzz" })).await;
    assert_eq!(status, 404);
    let (listed_status, listed) = send(&app, reqwest::Method::GET, "/admin/sessions", None).await;
    assert_eq!((listed_status, listed["sessions"].as_array().map(Vec::len)), (200, Some(0)), "nothing started");

    let id = open(&app, json!({ "program": "opencode" })).await;
    let (status, error) = post(&app, "/admin/sessions", json!({ "program": "claude" })).await;
    assert_eq!((status, error["code"].as_str()), (429, Some("too_many_sessions")), "{error}");
    for (path, body, want) in [
        (format!("/admin/sessions/{id}/resize"), json!({ "cols": 80, "rows": 9999 }), 422),
        (format!("/admin/sessions/{id}/input"), json!({ "text": 5 }), 422),
        (format!("/admin/sessions/{id}/input"), json!({ "text": "a".repeat(70_000) }), 422),
        ("/admin/sessions/sess-zzzzzz/stop".to_owned(), json!({}), 404),
        ("/admin/sessions/not-an-id/input".to_owned(), json!({ "text": "x" }), 404),
    ] {
        let (status, error) = post(&app, &path, body).await;
        assert_eq!(status, want, "{path}: {error}");
        assert!(error["error"].is_string(), "{path}: {error}");
    }
    let (status, _) = send(&app, reqwest::Method::GET, &format!("/admin/sessions/{id}/output?last_n=0"), None).await;
    assert_eq!(status, 400);
    let (status, error) =
        post(&app, "/api/projects/proj-zzzzzz/planning/invoke", json!({ "command": "plan-phase" })).await;
    assert_eq!(status, 404, "{error}");

    let read = app.create_key("reader", "read").await;
    let res = app.anonymous.get(app.url("/admin/sessions")).header("X-API-Key", &read).send().await.unwrap();
    assert_eq!(res.status(), 403, "a read key may not see terminals");
    let res = app.anonymous.get(app.url(&format!("/admin/sessions/{id}/stream"))).send().await.unwrap();
    assert_eq!(res.status(), 401);
    post(&app, &format!("/admin/sessions/{id}/stop"), json!({})).await;
}

#[tokio::test]
async fn the_stream_opens_with_a_token_and_the_audit_trail_keeps_the_size_of_input_never_its_text() {
    let app = TestApp::spawn().await;
    let id = open(&app, json!({ "program": "claude" })).await;
    let (status, token) = post(&app, &format!("/admin/sessions/{id}/stream-token"), json!({})).await;
    assert_eq!(status, 200, "{token}");
    let res = app.anonymous.get(app.url(token["stream_url"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let mut live = SseReader::new(res);
    read_until(&mut live, &mut String::new(), "> ").await;
    input_until(&app, &id, &mut live, "hunter2-secret\r", "you said: hunter2-secret").await;

    let (_, audit) = send(&app, reqwest::Method::GET, "/admin/audit?limit=100", None).await;
    let text = audit.to_string();
    assert!(!text.contains("hunter2-secret"), "the typed text reached the audit trail");
    let entries = audit["entries"].as_array().expect("audit entries");
    let sent = entries.iter().find(|e| e["action"] == "session.input").expect("input is audited");
    assert_eq!(sent["entity_id"].as_str(), Some(id.as_str()));
    assert_eq!(sent["changes"]["bytes"].as_u64(), Some(15));
    post(&app, &format!("/admin/sessions/{id}/stop"), json!({})).await;
}
