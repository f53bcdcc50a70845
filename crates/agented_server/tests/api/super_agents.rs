//! Persistent agents over HTTP with the fake bot as their CLI: three chat turns,
//! each an ordinary execution resuming the last one's CLI session, MEMORY kept
//! across them with every version; documents, mail and bad requests.

use crate::support::send;
use agented_test_support::{SseReader, TestApp};
use reqwest::Method;
use serde_json::{Value, json};

async fn call(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    let (status, value) = send(app, method, path, body).await;
    assert!((200..300).contains(&status), "{path}: {status} {value}");
    value
}

/// Says `text` and follows the chat until the agent's reply to it arrives; the reply.
async fn turn(app: &TestApp, chat: &str, text: &str) -> Value {
    let said = call(app, Method::POST, &format!("{chat}/chat"), Some(json!({ "content": text }))).await;
    let seq = said["seq"].as_i64().unwrap();
    let res = app.client.get(app.url(&format!("{chat}/chat/stream"))).header("Last-Event-ID", seq.to_string());
    let mut events = SseReader::new(res.send().await.unwrap());
    let mut reply = Value::Null;
    events
        .until(|e| {
            let message = &e.data["message"];
            if e.name == "state_delta" && e.data["type"] == "message" && message["role"] != "user" {
                let failed = message["content"].as_str().is_some_and(|c| c.starts_with("The turn failed"));
                assert!(!failed, "{message}");
                if message["role"] == "assistant" {
                    reply = message.clone();
                }
            }
            !reply.is_null()
        })
        .await;
    reply
}

#[tokio::test]
async fn memory_persists_across_three_turns_each_resuming_the_cli_session() {
    let app = TestApp::spawn().await;
    let agent = call(&app, Method::POST, "/admin/super-agents/", Some(json!({ "name": "Archivist" }))).await;
    let base = format!("/admin/super-agents/{}", agent["id"].as_str().unwrap());
    call(&app, Method::POST, &format!("{base}/documents"), Some(json!({ "doc_type": "SOUL", "content": "Calm." })))
        .await;
    call(&app, Method::PUT, &format!("{base}/documents/MEMORY"), Some(json!({ "content": "- likes tea" }))).await;
    let chat = call(&app, Method::POST, &format!("{base}/sessions"), None).await;
    let chat = format!("{base}/sessions/{}", chat["id"].as_str().unwrap());

    let first = turn(&app, &chat, "remember=blue").await;
    assert_eq!(first["content"], "I will remember blue.");
    let session = call(&app, Method::GET, &chat, None).await;
    let cli = session["cli_session_id"].as_str().expect("the first turn named its CLI session").to_owned();
    let memory = call(&app, Method::GET, &format!("{base}/documents/MEMORY"), None).await;
    assert_eq!((memory["content"].as_str(), memory["version"].as_i64()), (Some("- likes tea\n- blue"), Some(2)));

    let second = turn(&app, &chat, "remember=green").await;
    assert_eq!(
        second["content"],
        format!("resumed={cli}\nI will remember green."),
        "the fake CLI shows the session it resumed"
    );
    let third = turn(&app, &chat, "recall").await;
    assert_eq!(third["content"], format!("resumed={cli}\nI remember: - likes tea - blue - green"));

    let runs: Vec<String> =
        [&first, &second, &third].iter().map(|m| m["execution_id"].as_str().unwrap().to_owned()).collect();
    for run in &runs {
        let execution = call(&app, Method::GET, &format!("/admin/executions/{run}"), None).await;
        assert_eq!(
            (execution["trigger_id"].as_str(), execution["status"].as_str()),
            (Some("bot-super-agents"), Some("success"))
        );
    }
    let versions = call(&app, Method::GET, &format!("{base}/documents/MEMORY/versions"), None).await;
    let kept: Vec<(i64, String)> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].as_i64().unwrap(), v["changed_by"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(kept[0], (3, format!("turn {}", runs[1])));
    assert_eq!(kept[1], (2, format!("turn {}", runs[0])));
    assert_eq!(kept.len(), 3);
    let detail = call(&app, Method::GET, &chat, None).await;
    let roles: Vec<&str> = detail["messages"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "system", "assistant", "user", "system", "assistant", "user", "assistant"]);
}

#[tokio::test]
async fn one_turn_at_a_time_and_bad_requests_get_clear_errors() {
    let app = TestApp::spawn().await;
    for (body, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "name": "x", "backend_type": "cobol" }), "backend_type"),
        (json!({ "name": "x", "preferred_model": "two words" }), "model"),
    ] {
        let (status, error) = send(&app, Method::POST, "/admin/super-agents", Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {error}");
        assert!(error["details"][field].is_string(), "{body}: {error}");
    }
    let agent =
        call(&app, Method::POST, "/admin/super-agents", Some(json!({ "name": "Slow", "backend_type": "codex" }))).await;
    let base = format!("/admin/super-agents/{}", agent["id"].as_str().unwrap());
    for (method, path, body, want) in [
        (Method::POST, format!("{base}/documents"), json!({ "doc_type": "DIARY", "content": "x" }), 422),
        (Method::POST, format!("{base}/documents"), json!({ "content": "x" }), 422),
        (Method::PUT, format!("{base}/documents/ROLE"), json!({ "content": "x".repeat(70_000) }), 422),
        (Method::PUT, format!("{base}/documents/ROLE"), json!({ "doc_type": "SOUL", "content": "x" }), 422),
        (Method::GET, format!("{base}/documents/DIARY"), Value::Null, 404),
        (Method::GET, format!("{base}/documents/ROLE"), Value::Null, 404),
        (Method::GET, "/admin/super-agents/sa-zzzzzz".to_owned(), Value::Null, 404),
        (Method::POST, format!("{base}/sessions/chat-zzzzzz/chat"), json!({ "content": "hi" }), 404),
        (Method::POST, format!("{base}/messages"), json!({ "to_agent_id": "sa-zzzzzz", "content": "x" }), 422),
        (Method::POST, format!("{base}/messages/99/read"), json!({}), 404),
    ] {
        let body = (!body.is_null()).then_some(body);
        let (status, error) = send(&app, method, &path, body).await;
        assert_eq!(status, want, "{path}: {error}");
        assert!(error["error"].is_string(), "{path}: {error}");
    }

    let chat = call(&app, Method::POST, &format!("{base}/sessions"), None).await;
    let chat = format!("{base}/sessions/{}", chat["id"].as_str().unwrap());
    let (status, _) = send(&app, Method::POST, &format!("{chat}/chat"), Some(json!({ "content": "  " }))).await;
    assert_eq!(status, 422);
    call(&app, Method::POST, &format!("{chat}/chat"), Some(json!({ "content": "sleep_ms=3000 take your time" }))).await;
    let (status, busy) = send(&app, Method::POST, &format!("{chat}/message"), Some(json!({ "message": "and?" }))).await;
    assert_eq!(status, 409, "{busy}");
    assert!(busy["error"].as_str().unwrap().contains("still answering"), "{busy}");
    call(&app, Method::POST, &format!("{chat}/end"), Some(json!({}))).await;
    let (status, _) = send(&app, Method::POST, &format!("{chat}/end"), Some(json!({}))).await;
    assert_eq!(status, 409, "an ended chat ends once");

    let read = app.create_key("reader", "read").await;
    let res = app.anonymous.get(app.url("/admin/super-agents")).header("X-API-Key", &read).send().await.unwrap();
    assert_eq!(res.status(), 403, "a read key may not read agents' memories");
}

#[tokio::test]
async fn agents_leave_each_other_messages() {
    let app = TestApp::spawn().await;
    let a = call(&app, Method::POST, "/admin/super-agents", Some(json!({ "name": "A" }))).await;
    let b = call(&app, Method::POST, "/admin/super-agents", Some(json!({ "name": "B" }))).await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let sent = call(
        &app,
        Method::POST,
        &format!("/admin/super-agents/{a}/messages"),
        Some(json!({ "to_agent_id": b, "subject": "build", "content": "it is green" })),
    )
    .await;
    let id = sent["id"].as_i64().unwrap();
    let inbox = call(&app, Method::GET, &format!("/admin/super-agents/{b}/messages/inbox"), None).await;
    assert_eq!(inbox["messages"][0]["content"], "it is green");
    let outbox = call(&app, Method::GET, &format!("/admin/super-agents/{a}/messages/outbox"), None).await;
    assert_eq!(outbox["messages"][0]["id"].as_i64(), Some(id));
    let (status, _) = send(&app, Method::POST, &format!("/admin/super-agents/{a}/messages/{id}/read"), None).await;
    assert_eq!(status, 404, "only the recipient reads it");
    let read = call(&app, Method::POST, &format!("/admin/super-agents/{b}/messages/{id}/read"), None).await;
    assert!(read["read_at"].is_string());
    let (status, _) = send(&app, Method::DELETE, &format!("/admin/super-agents/{a}"), None).await;
    assert_eq!(status, 204);
    let inbox = call(&app, Method::GET, &format!("/admin/super-agents/{b}/messages/inbox"), None).await;
    assert_eq!(inbox["messages"].as_array().map(Vec::len), Some(0), "a removed agent's mail goes with it");
}
