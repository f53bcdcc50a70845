//! Run workspaces: a git worktree per run from a cached mirror, at the commit
//! the event asks for, kept after the run as retention says; and follow-ups
//! that resume a run's CLI session in its workspace.

use crate::github::{SECRET, send};
use crate::support::{create_trigger, repository_with_pull_request, run, send as call, wait_for_end};
use agented_test_support::TestApp;
use reqwest::Method;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn repo_path(bare: &Path) -> Value {
    json!([{ "github_repo_url": format!("file://{}", bare.display()) }])
}

fn pull_request(head: &str) -> String {
    json!({
        "action": "opened",
        "number": 7,
        "pull_request": { "html_url": "https://github.com/acme/tools/pull/7", "number": 7, "title": "Change",
                          "user": { "login": "ann" }, "head": { "ref": "feature", "sha": head }, "body": "cat=README.md lines=0" },
        "repository": { "full_name": "acme/tools", "html_url": "https://github.com/acme/tools" }
    })
    .to_string()
}

fn worktree(app: &TestApp, key: &str) -> PathBuf {
    app.workspace_dir.join("runs").join(key).join("tools")
}

async fn follow_up(app: &TestApp, id: &str, body: Value) -> (u16, Value) {
    call(app, Method::POST, &format!("/admin/executions/{id}/follow-up"), Some(body)).await
}

#[tokio::test]
async fn a_pull_request_run_works_in_a_worktree_at_the_pull_requests_head() {
    let app = TestApp::builder().env("AGENTED__GITHUB__WEBHOOK_SECRET", SECRET).spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let (bare, head) = repository_with_pull_request(dir.path());
    let trigger = json!({ "trigger_source": "github", "prompt_template": "{message}", "paths": repo_path(&bare) });
    let trigger_id = create_trigger(&app, trigger).await;
    let (status, answer) =
        send(&app, "/api/webhooks/github/", "pull_request", &pull_request(&head), Some(SECRET), "d1").await;
    assert_eq!(status, 200, "{answer}");
    let id = answer["executions"][0]["execution_id"].as_str().unwrap().to_owned();
    let done = wait_for_end(&app, &id).await;
    assert_eq!(done["status"], "success", "{done}");
    assert!(done["stdout_log"].as_str().unwrap().contains("pr head"), "{done}");
    assert_eq!(
        done["github"],
        json!({ "repository": "acme/tools", "number": 7, "pull_request": true, "commit": head })
    );
    assert_eq!(crate::support::git(&["rev-parse", "HEAD"], &worktree(&app, &id)), head);

    // A manual run of the same trigger works on the default branch.
    let done = wait_for_end(&app, &run(&app, &trigger_id, "cat=README.md lines=0").await).await;
    assert!(done["stdout_log"].as_str().unwrap().contains("main"), "{done}");
    assert_eq!(done["github"], Value::Null);
}

#[tokio::test]
async fn two_concurrent_runs_on_one_repository_work_in_separate_worktrees() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let (bare, _) = repository_with_pull_request(dir.path());
    let trigger = create_trigger(&app, json!({ "paths": repo_path(&bare), "max_concurrent": 2 })).await;
    // Each run writes a file, then waits long enough for the other to be running too.
    let (a, b) =
        tokio::join!(run(&app, &trigger, "pwd sleep_ms=800 lines=0"), run(&app, &trigger, "pwd sleep_ms=800 lines=0"));
    let (a, b) = tokio::join!(wait_for_end(&app, &a), wait_for_end(&app, &b));
    for done in [&a, &b] {
        assert_eq!(done["status"], "success", "{done}");
        let own = worktree(&app, done["execution_id"].as_str().unwrap());
        assert!(done["stdout_log"].as_str().unwrap().contains(&format!("pwd={}", own.display())), "{done}");
    }
    let overlapped =
        a["started_at"].as_str() < b["finished_at"].as_str() && b["started_at"].as_str() < a["finished_at"].as_str();
    assert!(overlapped, "the two runs ran at the same time: {a} {b}");
}

#[tokio::test]
async fn retention_keeps_the_newest_succeeded_and_failed_workspaces_only() {
    let app = TestApp::builder()
        .env("AGENTED__RUNNER__KEEP_SUCCEEDED_WORKSPACES", "1")
        .env("AGENTED__RUNNER__KEEP_FAILED_WORKSPACES", "1")
        .spawn()
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (bare, _) = repository_with_pull_request(dir.path());
    let trigger = create_trigger(&app, json!({ "paths": repo_path(&bare) })).await;
    let mut ids = Vec::new();
    for message in ["lines=0", "exit=1 lines=0", "lines=0", "exit=1 lines=0", "lines=0"] {
        ids.push(
            wait_for_end(&app, &run(&app, &trigger, message).await).await["execution_id"].as_str().unwrap().to_owned(),
        );
    }
    // The newest success and the newest failure stay; the sweep after the last run removes the
    // rest, then prunes them from the mirror. It runs behind the run's end: wait for both.
    let runs = app.workspace_dir.join("runs");
    let mirror = std::fs::read_dir(runs.join("mirrors"))
        .unwrap()
        .flatten()
        .find(|e| e.path().extension().is_some_and(|x| x == "git"))
        .unwrap()
        .path();
    let state = || {
        let mut left: Vec<String> = std::fs::read_dir(&runs)
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| n.starts_with("exec-"))
            .collect();
        left.sort();
        let listed = crate::support::git(&["--git-dir", mirror.to_str().unwrap(), "worktree", "list"], dir.path());
        (left, listed)
    };
    let (mut left, mut listed) = state();
    for _ in 0..200 {
        if left.len() == 2 && listed.lines().count() == 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        (left, listed) = state();
    }
    let mut want = vec![ids[3].clone(), ids[4].clone()];
    want.sort();
    assert_eq!(left, want);
    assert_eq!(listed.lines().count(), 1 + 2, "the mirror and the two kept worktrees: {listed}");

    // The Settings page's report: what is kept, its size, and the limits.
    let (status, report) = call(&app, Method::GET, "/admin/workspaces", None).await;
    assert_eq!(status, 200, "{report}");
    let kept: Vec<(&str, &str)> = report["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["execution_id"].as_str().unwrap(), w["status"].as_str().unwrap()))
        .collect();
    assert_eq!(kept, [(ids[4].as_str(), "success"), (ids[3].as_str(), "failed")], "{report}");
    assert_eq!(report["mirrors"].as_array().map(Vec::len), Some(1), "{report}");
    assert!(report["total_bytes"].as_u64().unwrap() > 0, "{report}");
    assert_eq!((report["keep_succeeded"].as_u64(), report["keep_failed"].as_u64()), (Some(1), Some(1)));
    assert_eq!(report["max_bytes"].as_u64(), Some(10_240 * 1024 * 1024));
}

#[tokio::test]
async fn a_follow_up_resumes_each_clis_session_in_the_runs_workspace() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let (bare, _) = repository_with_pull_request(dir.path());
    for backend in ["claude", "codex", "gemini", "opencode"] {
        let trigger = create_trigger(&app, json!({ "backend_type": backend, "paths": repo_path(&bare) })).await;
        let first = wait_for_end(&app, &run(&app, &trigger, "pwd lines=0").await).await;
        let session = first["session_id"].as_str().unwrap_or_else(|| panic!("{backend}: {first}")).to_owned();
        let first_id = first["execution_id"].as_str().unwrap().to_owned();
        let (status, answer) = follow_up(&app, &first_id, json!({ "message": "pwd lines=0" })).await;
        assert_eq!(status, 202, "{backend}: {answer}");
        let second = wait_for_end(&app, answer["execution_id"].as_str().unwrap()).await;
        assert_eq!(second["status"], "success", "{backend}: {second}");
        let stdout = second["stdout_log"].as_str().unwrap();
        assert!(stdout.contains(&format!("resumed={session}")), "{backend}: {stdout}");
        assert!(stdout.contains(&format!("pwd={}", worktree(&app, &first_id).display())), "{backend}: {stdout}");
        assert_eq!(second["follow_up_of"], first_id.as_str());
        assert_eq!(second["session_id"], session.as_str(), "{backend}: the resumed session is the run's session");

        // A follow-up of the follow-up continues the same thread, in the same workspace.
        let (status, answer) =
            follow_up(&app, second["execution_id"].as_str().unwrap(), json!({ "message": "pwd lines=0" })).await;
        assert_eq!(status, 202, "{answer}");
        let third = wait_for_end(&app, answer["execution_id"].as_str().unwrap()).await;
        assert!(
            third["stdout_log"].as_str().unwrap().contains(&format!("pwd={}", worktree(&app, &first_id).display())),
            "{third}"
        );
    }
}

#[tokio::test]
async fn follow_ups_that_cannot_run_get_clear_errors_and_start_nothing() {
    let app = TestApp::spawn().await;
    let trigger = create_trigger(&app, json!({})).await;
    let done = wait_for_end(&app, &run(&app, &trigger, "lines=0").await).await;
    let id = done["execution_id"].as_str().unwrap();

    let (status, answer) = follow_up(&app, "exec-trig-nothere-20261207T000000-abcd", json!({ "message": "hi" })).await;
    assert_eq!((status, answer["code"].as_str()), (404, Some("not_found")), "{answer}");
    let (status, _) = follow_up(&app, "not an id", json!({ "message": "hi" })).await;
    assert_eq!(status, 404);
    for (body, field) in [
        (json!({}), "message"),
        (json!({ "message": "  " }), "message"),
        (json!({ "message": "x".repeat(100_001) }), "message"),
    ] {
        let (status, answer) = follow_up(&app, id, body).await;
        assert_eq!(status, 422, "{answer}");
        assert!(answer["details"][field].is_string(), "{answer}");
    }
    let (status, answer) = follow_up(&app, id, json!({ "message": "hi", "session_id": "other" })).await;
    assert_eq!(status, 422, "unknown fields are refused: {answer}");
    let res = app
        .client
        .post(app.url(&format!("/admin/executions/{id}/follow-up")))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // A run still going, and a run whose command reported no session.
    let running = run(&app, &trigger, "sleep_ms=3000 lines=0").await;
    let (status, answer) = follow_up(&app, &running, json!({ "message": "hi" })).await;
    assert_eq!(status, 409, "{answer}");
    wait_for_end(&app, &running).await;
    let plain = create_trigger(&app, json!({ "backend_type": "claude" })).await;
    // The fake bot under its own name speaks no CLI's format, so it reports no session.
    let bot = std::fs::canonicalize(app.fake_bin.join("claude")).unwrap().display().to_string();
    let (status, backend) = call(
        &app,
        Method::POST,
        "/admin/backends",
        Some(json!({ "name": "plain", "command": bot, "args": ["{prompt}"] })),
    )
    .await;
    assert_eq!(status, 201, "{backend}");
    let (status, answer) =
        call(&app, Method::PUT, &format!("/admin/triggers/{plain}"), Some(json!({ "backend_id": backend["id"] })))
            .await;
    assert_eq!(status, 200, "{answer}");
    let custom = wait_for_end(&app, &run(&app, &plain, "lines=0").await).await;
    assert_eq!(custom["session_id"], Value::Null, "{custom}");
    let (status, answer) = follow_up(&app, custom["execution_id"].as_str().unwrap(), json!({ "message": "hi" })).await;
    assert_eq!(status, 409, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("no CLI session id"), "{answer}");

    let (_, listed) = call(&app, Method::GET, &format!("/admin/triggers/{trigger}/executions"), None).await;
    assert_eq!(listed["executions"].as_array().map(Vec::len), Some(2), "refusals started nothing: {listed}");
}

#[tokio::test]
async fn a_bubblewrap_run_cannot_read_a_file_outside_its_worktree_that_a_plain_run_can() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, "the host's secret\n").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (bare, _) = repository_with_pull_request(dir.path());
    let read_secret = format!("cat={} lines=0", secret.display());

    let plain = TestApp::spawn().await;
    let trigger = create_trigger(&plain, json!({ "paths": repo_path(&bare) })).await;
    let done = wait_for_end(&plain, &run(&plain, &trigger, &read_secret).await).await;
    assert!(done["stdout_log"].as_str().unwrap().contains("the host's secret"), "{done}");

    let sandboxed = TestApp::builder().env("AGENTED__RUNNER__SANDBOX", "bubblewrap").spawn().await;
    let trigger = create_trigger(&sandboxed, json!({ "paths": repo_path(&bare) })).await;
    let done = wait_for_end(&sandboxed, &run(&sandboxed, &trigger, &read_secret).await).await;
    assert_eq!(done["status"], "success", "{done}");
    let stdout = done["stdout_log"].as_str().unwrap();
    assert!(!stdout.contains("the host's secret"), "{stdout}");
    assert!(stdout.contains("No such file or directory"), "{stdout}");
    // Its own worktree it reads and writes as usual.
    let done = wait_for_end(&sandboxed, &run(&sandboxed, &trigger, "cat=README.md pwd lines=0").await).await;
    let stdout = done["stdout_log"].as_str().unwrap();
    assert!(
        stdout.contains("main")
            && stdout
                .contains(&format!("pwd={}", worktree(&sandboxed, done["execution_id"].as_str().unwrap()).display())),
        "{stdout}"
    );
}

#[tokio::test]
async fn cancelling_a_bubblewrap_run_stops_every_process_in_it() {
    let app = TestApp::builder().env("AGENTED__RUNNER__SANDBOX", "bubblewrap").spawn().await;
    let trigger = create_trigger(&app, json!({ "sigterm_grace_seconds": 1 })).await;
    let id = run(&app, &trigger, "ignore_term fork=2 lines=1 sleep_ms=600000").await;
    let forked = crate::support::wait_for_grandchildren(&app, &id, 2).await;
    let (status, answer) = call(&app, Method::POST, &format!("/admin/executions/{id}/cancel"), None).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(wait_for_end(&app, &id).await["status"], "cancelled");
    for pid in forked {
        assert!(crate::support::process_gone(pid), "process {pid} of the sandboxed run survived the cancel");
    }
}

#[tokio::test]
async fn a_setup_step_runs_before_the_cli_with_its_named_secret_and_a_failing_one_fails_the_run() {
    let app = TestApp::builder().env("NPM_TOKEN", "npm-s3cret").spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let (bare, _) = repository_with_pull_request(dir.path());
    let script = r#"printf '%s\n' "$NPM_TOKEN" > .npmrc-token && echo prepared; test -z "$SECRET_KEY""#;
    let body =
        json!({ "paths": repo_path(&bare), "setup_script": script, "setup_secrets": ["NPM_TOKEN", "SECRET_KEY"] });
    let trigger = create_trigger(&app, body).await;
    let done = wait_for_end(&app, &run(&app, &trigger, "cat=.npmrc-token lines=0").await).await;
    assert_eq!(done["status"], "success", "{done}");
    assert!(done["stdout_log"].as_str().unwrap().contains("[setup] prepared"), "{done}");
    assert!(done["stdout_log"].as_str().unwrap().contains("npm-s3cret"), "the CLI reads what the setup wrote: {done}");
    assert!(done["stderr_log"].as_str().unwrap().contains("SECRET_KEY is one of the server's own variables"), "{done}");
    let (_, shown) = call(&app, Method::GET, &format!("/admin/triggers/{trigger}"), None).await;
    assert_eq!(
        (shown["setup_script"].as_str(), &shown["setup_secrets"]),
        (Some(script), &json!(["NPM_TOKEN", "SECRET_KEY"]))
    );

    let failing = create_trigger(&app, json!({ "setup_script": "echo no network >&2; exit 3" })).await;
    let done = wait_for_end(&app, &run(&app, &failing, "lines=1").await).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["error_message"], "the setup step failed with exit code 3");
    assert!(done["stderr_log"].as_str().unwrap().contains("[setup] no network"), "{done}");
    assert_eq!(done["session_id"], Value::Null, "the CLI never started: {done}");

    for (body, field) in [
        (json!({ "setup_script": "true", "setup_secrets": ["not-a-name"] }), "setup_secrets"),
        (json!({ "setup_script": "", "setup_secrets": ["TOKEN"] }), "setup_secrets"),
        (json!({ "setup_script": "x".repeat(10_001) }), "setup_script"),
    ] {
        let (status, answer) = call(&app, Method::PUT, &format!("/admin/triggers/{failing}"), Some(body)).await;
        assert_eq!(status, 422, "{answer}");
        assert!(answer["details"][field].is_string(), "{answer}");
    }
    let (status, _) =
        call(&app, Method::PUT, &format!("/admin/triggers/{failing}"), Some(json!({ "setup_script": "" }))).await;
    assert_eq!(status, 200);
    let done = wait_for_end(&app, &run(&app, &failing, "lines=1").await).await;
    assert_eq!(done["status"], "success", "without its setup step the run works: {done}");
}
