//! Helpers for tests that run bots: create a trigger, run it, wait for the end.

use agented_test_support::{SseReader, TestApp};
use serde_json::{Value, json};

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

/// The execution's live stream.
pub async fn stream(app: &TestApp, id: &str) -> SseReader {
    let res = app.get(&format!("/admin/executions/{id}/stream")).await;
    assert_eq!(res.status(), 200, "stream of {id}");
    SseReader::new(res)
}

/// Waits for the stream's `status` event announcing `status`, and returns the execution then.
pub async fn wait_for_status(app: &TestApp, id: &str, status: &str) -> Value {
    let events = stream(app, id)
        .await
        .until(|e| e.name == "complete" || (e.name == "status" && e.data["status"] == status))
        .await;
    let last = events.last().unwrap();
    assert_eq!(last.name, "status", "{id} ended before it was {status}: {:?}", last.data);
    execution(app, id).await
}

/// Waits for the stream's `complete` event and returns the finished execution.
pub async fn wait_for_end(app: &TestApp, id: &str) -> Value {
    let events = stream(app, id).await.until(|e| e.name == "complete").await;
    assert_eq!(events.last().unwrap().name, "complete", "the stream of {id} ended without complete");
    execution(app, id).await
}

/// Follows the stream until the forking bot has printed `n` grandchild pids, and returns them.
pub async fn wait_for_grandchildren(app: &TestApp, id: &str, n: usize) -> Vec<i32> {
    let mut pids = Vec::new();
    stream(app, id)
        .await
        .until(|e| {
            if let Some(pid) = e.data["content"].as_str().and_then(|c| c.strip_prefix("grandchild pid=")) {
                pids.push(pid.trim().parse().unwrap());
            }
            e.name == "complete" || pids.len() == n
        })
        .await;
    assert_eq!(pids.len(), n, "{id} did not fork {n} grandchildren");
    pids
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

/// Sends `body` (if any) as JSON with the admin key; the status and the JSON answer (`null` when none).
pub async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = app.client.request(method, app.url(path));
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// `text` with the random nonce taken out of every fence tag
/// (`untrusted-input-k3x9q2m7ab` → `untrusted-input`), after checking that
/// all its fences carry the same nonce.
pub fn without_nonces(text: &str) -> String {
    const TAG: &str = "untrusted-input-";
    let mut nonces = std::collections::BTreeSet::new();
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(TAG) {
        let nonce: String = rest[at + TAG.len()..].chars().take_while(char::is_ascii_alphanumeric).collect();
        assert_eq!(nonce.len(), 10, "a fence without its nonce in {text}");
        out.push_str(&rest[..at]);
        out.push_str("untrusted-input");
        rest = &rest[at + TAG.len() + nonce.len()..];
        nonces.insert(nonce);
    }
    out.push_str(rest);
    assert!(nonces.len() <= 1, "one prompt, one nonce: {nonces:?}");
    out
}

/// Runs git in `dir` (a fixed author and `main` as the first branch); its trimmed stdout.
pub fn git(args: &[&str], dir: &std::path::Path) -> String {
    let out = std::process::Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A bare repository `<dir>/tools.git` whose `main` has a README saying "main", and
/// whose `refs/pull/7/head` (as GitHub keeps a pull request's head) one saying "pr head";
/// returns its path and the pull request's head commit.
pub fn repository_with_pull_request(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    let (work, bare) = (dir.join("work"), dir.join("tools.git"));
    std::fs::create_dir_all(&work).unwrap();
    git(&["init", "--quiet"], &work);
    std::fs::write(work.join("README.md"), "main\n").unwrap();
    git(&["add", "."], &work);
    git(&["commit", "--quiet", "-m", "first"], &work);
    git(&["checkout", "--quiet", "-b", "feature"], &work);
    std::fs::write(work.join("README.md"), "pr head\n").unwrap();
    git(&["commit", "--quiet", "-am", "change"], &work);
    let head = git(&["rev-parse", "HEAD"], &work);
    git(&["checkout", "--quiet", "main"], &work);
    git(&["clone", "--quiet", "--bare", work.to_str().unwrap(), bare.to_str().unwrap()], dir);
    git(&["update-ref", "refs/pull/7/head", &head], &bare);
    git(&["update-ref", "-d", "refs/heads/feature"], &bare);
    (bare, head)
}
