//! Helpers for tests that run bots: create a trigger, run it, wait for the end.

use agented_test_support::TestApp;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Creates a trigger from `body` (name and prompt filled in when missing) and returns its id.
pub async fn create_trigger(app: &TestApp, body: Value) -> String {
    let mut body = body;
    let object = body.as_object_mut().unwrap();
    object.entry("name").or_insert_with(|| json!(format!("bot {}", rand_suffix())));
    object.entry("prompt_template").or_insert_with(|| json!("{message}"));
    let res = app.client.post(app.url("/admin/triggers")).json(&body).send().await.unwrap();
    let status = res.status();
    let answer: Value = res.json().await.unwrap();
    assert_eq!(status, 201, "{answer}");
    answer["trigger_id"].as_str().unwrap().to_owned()
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
}

/// Runs `trigger` with `message` and returns the execution id.
pub async fn run(app: &TestApp, trigger: &str, message: &str) -> String {
    let res = app
        .client
        .post(app.url(&format!("/admin/triggers/{trigger}/run")))
        .json(&json!({ "message": message }))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let answer: Value = res.json().await.unwrap();
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["status"], "queued");
    answer["execution_id"].as_str().unwrap().to_owned()
}

/// The execution's detail.
pub async fn execution(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/admin/executions/{id}")).await.json().await.unwrap()
}

/// Waits (up to `limit`) until the execution has `status`.
pub async fn wait_for_status(app: &TestApp, id: &str, status: &str, limit: Duration) -> Value {
    let start = Instant::now();
    loop {
        let detail = execution(app, id).await;
        if detail["status"] == status {
            return detail;
        }
        assert!(start.elapsed() < limit, "{id} did not reach {status} within {limit:?}: {detail}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the execution has ended and returns it.
pub async fn wait_for_end(app: &TestApp, id: &str) -> Value {
    let start = Instant::now();
    loop {
        let detail = execution(app, id).await;
        if !["queued", "running"].contains(&detail["status"].as_str().unwrap()) {
            return detail;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "{id} never ended: {detail}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A run of a fresh manual trigger with `message`, waited for to the end.
pub async fn finished_run(app: &TestApp, message: &str) -> Value {
    let trigger = create_trigger(app, json!({})).await;
    let id = run(app, &trigger, message).await;
    wait_for_end(app, &id).await
}

/// Whether process `pid` is gone (or a zombie nobody will run again).
pub fn process_gone(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

/// The grandchild pids a forking fake bot printed.
pub fn grandchildren(detail: &Value) -> Vec<i32> {
    detail["stdout_log"]
        .as_str()
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("grandchild pid="))
        .map(|p| p.trim().parse().unwrap())
        .collect()
}
