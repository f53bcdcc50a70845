//! Running bots end to end: the fake bot under the real CLI names.

use crate::support::{
    create_trigger, execution, finished_run, grandchildren, process_gone, run, send, wait_for_end,
    wait_for_grandchildren, wait_for_status, without_nonces,
};
use agented_test_support::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn a_successful_run_records_logs_exit_code_tokens_and_cost() {
    let app = TestApp::spawn().await;
    let done = finished_run(&app, "lines=3 stderr=2 cost=0.5 tokens=1000/250").await;
    assert_eq!(done["status"], "success", "{done}");
    assert_eq!(done["exit_code"], 0);
    assert_eq!(done["input_tokens"], 1000);
    assert_eq!(done["output_tokens"], 250);
    assert_eq!(done["total_cost_usd"], 0.5);
    assert!(done["duration_ms"].as_i64().unwrap() >= 0);
    assert!(done["command"].as_str().unwrap().starts_with("claude -p --output-format stream-json --verbose"));
    assert!(done["stdout_log"].as_str().unwrap().contains("line 3"));
    assert_eq!(done["stderr_log"], "warning 1\nwarning 2");
    // 1 init + 3 lines + 1 result on stdout, 2 on stderr.
    assert_eq!(done["log_lines"], 7);
    let id = done["execution_id"].as_str().unwrap();
    let searched = app.get(&format!("/admin/executions/{id}?q=WARNING")).await.json::<Value>().await.unwrap();
    assert_eq!(searched["log_match_count"], 2);
    assert_eq!(searched["log_search_query"], "WARNING");
    assert_eq!(searched["stdout_log"], "");
}

#[tokio::test]
async fn every_builtin_backend_runs_with_its_own_output_format() {
    let app = TestApp::spawn().await;
    for backend in ["codex", "gemini", "opencode"] {
        let trigger = create_trigger(&app, json!({ "backend_type": backend })).await;
        let done = wait_for_end(&app, &run(&app, &trigger, "lines=2 tokens=7/3").await).await;
        assert_eq!(done["status"], "success", "{backend}: {done}");
        assert_eq!(done["input_tokens"], 7, "{backend}");
        assert_eq!(done["output_tokens"], 3, "{backend}");
        assert!(done["command"].as_str().unwrap().starts_with(backend));
    }
}

#[tokio::test]
async fn a_non_zero_exit_or_a_reported_error_fails_the_run() {
    let app = TestApp::spawn().await;
    let exited = finished_run(&app, "exit=3").await;
    assert_eq!(exited["status"], "failed");
    assert_eq!(exited["exit_code"], 3);
    assert_eq!(exited["error_message"], "exited with code 3");
    let reported = finished_run(&app, "error_result").await;
    assert_eq!(reported["status"], "failed", "exit code 0 but an error result record");
    assert_eq!(reported["exit_code"], 0);
    assert_eq!(reported["error_message"], "fake failure: the model refused");
}

#[tokio::test]
async fn a_missing_cli_fails_with_command_not_found() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .post(app.url("/admin/backends"))
        .json(&json!({ "name": "Ghost", "command": "no-such-cli-xyz", "args": ["--ask", "{prompt}"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let backend: Value = res.json().await.unwrap();
    assert_eq!(backend["is_installed"], false);
    let trigger = create_trigger(&app, json!({ "backend_id": backend["id"] })).await;
    let done = wait_for_end(&app, &run(&app, &trigger, "hi").await).await;
    assert_eq!(done["status"], "failed");
    assert_eq!(done["error_message"], "`no-such-cli-xyz` command not found");
}

#[tokio::test]
async fn a_custom_backend_runs_its_argv_template_in_its_working_directory() {
    let app = TestApp::spawn().await;
    let workdir = tempfile::tempdir().unwrap();
    let bot = app.fake_bin.join("claude");
    let res = app
        .client
        .post(app.url("/admin/backends"))
        .json(&json!({
            "name": "Plain bot",
            "command": agented_test_support::fake_bot().display().to_string(),
            "args": ["{prompt} args pwd"],
            "env": { "BOT_MODE": "custom" },
            "working_dir": workdir.path().display().to_string(),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let backend: Value = res.json().await.unwrap();
    assert!(bot.exists());
    let trigger = create_trigger(&app, json!({ "backend_id": backend["id"] })).await;
    let done = wait_for_end(&app, &run(&app, &trigger, "lines=1").await).await;
    assert_eq!(done["status"], "success", "{done}");
    let stdout = done["stdout_log"].as_str().unwrap();
    assert!(stdout.contains(&format!("pwd={}", workdir.path().display())), "{stdout}");
    // The run message is untrusted: it reaches the template's `{prompt}` argument inside its fence.
    let fenced = r#"args=["<untrusted-input name=\"message\">\nlines=1\n</untrusted-input> args pwd"]"#;
    assert!(without_nonces(stdout).contains(fenced), "{stdout}");
    assert_eq!(done["input_tokens"], Value::Null, "custom commands report no usage");
}

#[tokio::test]
async fn a_timed_out_bot_that_ignores_sigterm_and_forks_leaves_no_process() {
    let app = TestApp::spawn().await;
    // 1 s is clamped to the 60 s minimum; the grace after SIGTERM is 1 s.
    let trigger = create_trigger(&app, json!({ "timeout_seconds": 1, "sigterm_grace_seconds": 1 })).await;
    let id = run(&app, &trigger, "ignore_term fork=2 lines=1 sleep_ms=600000").await;
    let running = wait_for_status(&app, &id, "running").await;
    assert_eq!(running["status"], "running");
    let done = wait_for_end(&app, &id).await;
    assert_eq!(done["status"], "timeout", "{done}");
    assert_eq!(done["error_message"], "timed out after 60 s");
    let pids = grandchildren(&done);
    assert_eq!(pids.len(), 2, "{done}");
    for pid in pids {
        assert!(process_gone(pid), "grandchild {pid} survived the timeout");
    }
}

#[tokio::test]
async fn cancelling_stops_the_whole_process_group_and_a_second_cancel_is_409() {
    let app = TestApp::spawn().await;
    let trigger = create_trigger(&app, json!({ "sigterm_grace_seconds": 1 })).await;
    let id = run(&app, &trigger, "ignore_term fork=2 lines=1 sleep_ms=600000").await;
    wait_for_status(&app, &id, "running").await;
    // Wait until the bot has printed its grandchildren.
    let forked = wait_for_grandchildren(&app, &id, 2).await;
    let res = app.client.post(app.url(&format!("/admin/executions/{id}/cancel"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "cancelling");
    let done = wait_for_end(&app, &id).await;
    assert_eq!(done["status"], "cancelled");
    for pid in forked {
        assert!(process_gone(pid), "grandchild {pid} survived the cancel");
    }
    let again = app.client.delete(app.url(&format!("/admin/executions/{id}"))).send().await.unwrap();
    assert_eq!(again.status(), 409);
    let unknown = app
        .client
        .post(app.url("/admin/executions/exec-trig-abc123-20261121T000000-abcd/cancel"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn the_stall_watchdog_stops_a_silent_run_and_leaves_a_slow_but_talking_one_alone() {
    let app = TestApp::spawn().await;
    let trigger = create_trigger(&app, json!({ "stall_timeout_seconds": 2, "sigterm_grace_seconds": 1 })).await;
    // One line, then ten minutes of silence.
    let silent = wait_for_end(&app, &run(&app, &trigger, "lines=1 sleep_ms=600000").await).await;
    assert_eq!(silent["status"], "timeout", "{silent}");
    assert_eq!(silent["error_message"], "no output for 2 s");
    assert!(silent["stdout_log"].as_str().unwrap().contains("line 1"), "its output is kept: {silent}");
    // Longer in all than the limit, but never silent for that long.
    let talking = wait_for_end(&app, &run(&app, &trigger, "lines=10 delay_ms=300").await).await;
    assert_eq!(talking["status"], "success", "{talking}");
    // 0 turns the watchdog off for this trigger, null returns to the server's default.
    let (status, off) =
        send(&app, Method::PUT, &format!("/admin/triggers/{trigger}"), Some(json!({ "stall_timeout_seconds": 0 })))
            .await;
    assert_eq!((status, off["stall_timeout_seconds"].clone()), (200, json!(0)), "{off}");
    let quiet = wait_for_end(&app, &run(&app, &trigger, "lines=1 sleep_ms=3000").await).await;
    assert_eq!(quiet["status"], "success", "{quiet}");
    let (_, default) =
        send(&app, Method::PUT, &format!("/admin/triggers/{trigger}"), Some(json!({ "stall_timeout_seconds": null })))
            .await;
    assert_eq!(default["stall_timeout_seconds"], Value::Null, "{default}");
}

#[tokio::test]
async fn processes_that_left_the_runs_process_group_are_found_by_their_marker_and_killed_when_it_ends() {
    let app = TestApp::spawn().await;
    let trigger = create_trigger(&app, json!({})).await;
    // The grandchildren start process groups of their own: killing the run's group misses them.
    let id = run(&app, &trigger, "fork=2 escape lines=1").await;
    let done = wait_for_end(&app, &id).await;
    assert_eq!(done["status"], "success", "{done}");
    let pids = grandchildren(&done);
    assert_eq!(pids.len(), 2, "{done}");
    for pid in pids {
        assert!(process_gone(pid), "grandchild {pid}, outside the run's group, survived the run");
    }
}

#[tokio::test]
async fn ten_bots_writing_twenty_thousand_lines_each_are_stored_completely() {
    let app = TestApp::spawn().await;
    let trigger = create_trigger(&app, json!({ "max_concurrent": 10 })).await;
    let mut ids = Vec::new();
    for _ in 0..10 {
        ids.push(run(&app, &trigger, "lines=0 flood=20000").await);
    }
    for id in &ids {
        let done = wait_for_end(&app, id).await;
        assert_eq!(done["status"], "success", "{done}");
        // init + 20,000 flood lines + result record.
        assert_eq!(done["log_lines"], 20_002, "{id}");
        let page: Value =
            app.get(&format!("/admin/executions/{id}/logs?after=19990&limit=5000")).await.json().await.unwrap();
        let seqs: Vec<i64> = page["lines"].as_array().unwrap().iter().map(|l| l["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, (19_991..=20_002).collect::<Vec<_>>());
    }
    let logs = serde_json::to_string(&app.logs.lines()).unwrap();
    assert!(!logs.contains("database is locked"), "a writer hit a locked database");
}

#[tokio::test]
async fn a_repository_gets_a_worktree_for_the_run_used_as_its_directory_and_kept_after_it() {
    let app = TestApp::spawn().await;
    let repos = tempfile::tempdir().unwrap();
    let (bare, _) = crate::support::repository_with_pull_request(repos.path());
    let local = tempfile::tempdir().unwrap();
    let trigger = create_trigger(
        &app,
        json!({ "paths": [
            { "github_repo_url": format!("file://{}", bare.display()) },
            { "local_project_path": local.path().display().to_string() },
        ] }),
    )
    .await;
    let done = wait_for_end(&app, &run(&app, &trigger, "pwd args lines=0").await).await;
    assert_eq!(done["status"], "success", "{done}");
    let stdout = done["stdout_log"].as_str().unwrap();
    // The local path is the working directory; the worktree is passed as an extra directory.
    assert!(stdout.contains(&format!("pwd={}", local.path().display())), "{stdout}");
    let worktree = app.workspace_dir.join("runs").join(done["execution_id"].as_str().unwrap()).join("tools");
    assert!(stdout.contains(&format!(r#"\"--add-dir\",\"{}\""#, worktree.display())), "{stdout}");
    assert_eq!(std::fs::read_to_string(worktree.join("README.md")).unwrap(), "main\n", "the default branch");

    let only_repo =
        create_trigger(&app, json!({ "paths": [{ "github_repo_url": format!("file://{}", bare.display()) }] })).await;
    let done = wait_for_end(&app, &run(&app, &only_repo, "pwd lines=0").await).await;
    let worktree = app.workspace_dir.join("runs").join(done["execution_id"].as_str().unwrap()).join("tools");
    assert!(done["stdout_log"].as_str().unwrap().contains(&format!("pwd={}", worktree.display())), "{done}");
    let mirrors: Vec<_> = std::fs::read_dir(app.workspace_dir.join("runs/mirrors"))
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "git"))
        .collect();
    assert_eq!(mirrors.len(), 1, "both runs' worktrees come from one mirror");
}

#[tokio::test]
async fn runs_without_paths_work_in_the_workspace_outside_the_data_directory_or_the_configured_one() {
    let app = TestApp::spawn().await;
    let done = finished_run(&app, "pwd lines=0").await;
    assert!(!app.workspace_dir.starts_with(&app.data_dir), "{}", app.workspace_dir.display());
    let pwd = format!("pwd={}", app.workspace_dir.display());
    assert!(done["stdout_log"].as_str().unwrap().contains(&pwd), "{done}");

    let configured = tempfile::tempdir().unwrap();
    let app = TestApp::builder()
        .env("AGENTED__RUNNER__WORKSPACE_DIR", &configured.path().display().to_string())
        .spawn()
        .await;
    let done = finished_run(&app, "pwd lines=0").await;
    let pwd = format!("pwd={}", configured.path().display());
    assert!(done["stdout_log"].as_str().unwrap().contains(&pwd), "{done}");
}

#[tokio::test]
async fn a_retry_runs_the_stored_snapshot_again_and_links_to_it() {
    let app = TestApp::spawn().await;
    let trigger = create_trigger(&app, json!({ "prompt_template": "first {message}" })).await;
    let first = wait_for_end(&app, &run(&app, &trigger, "exit=2").await).await;
    // Editing the trigger does not change what a retry runs.
    let res = app
        .client
        .put(app.url(&format!("/admin/triggers/{trigger}")))
        .json(&json!({ "prompt_template": "changed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let id = first["execution_id"].as_str().unwrap();
    let res = app.client.post(app.url(&format!("/admin/executions/{id}/retry"))).send().await.unwrap();
    assert_eq!(res.status(), 202);
    let retry_id = res.json::<Value>().await.unwrap()["execution_id"].as_str().unwrap().to_owned();
    let retried = wait_for_end(&app, &retry_id).await;
    assert_eq!(retried["retry_of"], id);
    assert_eq!(retried["prompt"], first["prompt"], "the stored prompt, fence nonce included");
    assert_eq!(
        without_nonces(retried["prompt"].as_str().unwrap()),
        "first <untrusted-input name=\"message\">\nexit=2\n</untrusted-input>"
    );
    assert_eq!(retried["prompt_inputs"], first["prompt_inputs"], "the audit trail comes with the snapshot");
    assert_eq!(first["prompt_inputs"][0]["value"], "exit=2");
    assert_eq!(retried["exit_code"], 2);
}

#[tokio::test]
async fn reject_policy_answers_409_with_the_running_execution_and_queue_policy_waits() {
    let app = TestApp::spawn().await;
    let reject = create_trigger(&app, json!({ "concurrency_policy": "reject" })).await;
    let first = run(&app, &reject, "sleep_ms=600000 lines=0").await;
    let res = app.client.post(app.url(&format!("/admin/triggers/{reject}/run"))).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["details"]["execution_id"], first.as_str());
    app.client.post(app.url(&format!("/admin/executions/{first}/cancel"))).send().await.unwrap();
    wait_for_end(&app, &first).await;

    let queue = create_trigger(&app, json!({})).await;
    let a = run(&app, &queue, "sleep_ms=600000 lines=0").await;
    wait_for_status(&app, &a, "running").await;
    let b = run(&app, &queue, "lines=1").await;
    assert_eq!(execution(&app, &b).await["status"], "queued", "waits for the slot");
    let listed: Value = app.get(&format!("/admin/triggers/{queue}/executions")).await.json().await.unwrap();
    assert_eq!(listed["running_execution"]["execution_id"], a.as_str());
    assert_eq!(listed["total"], 2);
    app.client.post(app.url(&format!("/admin/executions/{a}/cancel"))).send().await.unwrap();
    let b_done = wait_for_end(&app, &b).await;
    assert_eq!(b_done["status"], "success");
    // It started only once the first run had ended.
    let a_finished: chrono::DateTime<chrono::Utc> =
        execution(&app, &a).await["finished_at"].as_str().unwrap().parse().unwrap();
    let b_started: chrono::DateTime<chrono::Utc> = b_done["started_at"].as_str().unwrap().parse().unwrap();
    assert!(b_started >= a_finished, "{b_started} < {a_finished}");
}

#[tokio::test]
async fn executions_are_listed_newest_first_with_filters_and_paging() {
    let app = TestApp::spawn().await;
    let trigger = create_trigger(&app, json!({})).await;
    let ok = wait_for_end(&app, &run(&app, &trigger, "lines=0").await).await;
    let bad = wait_for_end(&app, &run(&app, &trigger, "exit=1").await).await;
    let all: Value = app.get(&format!("/admin/executions?trigger_id={trigger}")).await.json().await.unwrap();
    assert_eq!(all["total"], 2);
    assert_eq!(all["executions"][0]["execution_id"], bad["execution_id"]);
    let failed: Value = app.get("/admin/executions?status=failed").await.json().await.unwrap();
    assert_eq!(failed["total"], 1);
    let page: Value = app.get("/admin/executions?limit=1&offset=1").await.json().await.unwrap();
    assert_eq!(page["executions"][0]["execution_id"], ok["execution_id"]);
    assert_eq!(app.get("/admin/executions?status=bogus").await.status(), 400);
    assert_eq!(app.get("/admin/executions?limit=501").await.status(), 400);
    assert_eq!(app.get("/admin/executions/exec-trig-abc123-20261121T000000-abcd").await.status(), 404);
    assert_eq!(app.get("/admin/executions/nonsense").await.status(), 404);
}

#[tokio::test]
async fn readiness_reports_the_queue_and_the_runner_and_fails_once_shutdown_begins() {
    let app = TestApp::spawn().await;
    let trigger = create_trigger(&app, json!({})).await;
    let id = run(&app, &trigger, "lines=1 sleep_ms=30000").await;
    wait_for_status(&app, &id, "running").await;
    let res = app.get("/health/readiness").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["components"]["queue"]["status"], "ok", "{body}");
    assert_eq!(body["components"]["queue"]["figures"]["pending_jobs"], 0, "{body}");
    assert!(body["components"]["queue"]["figures"]["oldest_pending_seconds"].is_i64(), "{body}");
    assert_eq!(body["components"]["runner"]["status"], "ok", "{body}");
    assert_eq!(body["components"]["runner"]["figures"]["running"], 1, "{body}");

    app.shut_down_runner(std::time::Duration::from_secs(1)).await;
    let res = app.get("/health/readiness").await;
    assert_eq!(res.status(), 503, "a stopping server takes no runs, so it is not ready");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["components"]["runner"]["status"], "unavailable");
    assert_eq!(body["components"]["runner"]["error"], "shutting down: no new runs are taken");
    assert_eq!(body["components"]["runner"]["figures"]["running"], 0);
    assert_eq!(execution(&app, &id).await["status"], "interrupted");
    let anonymous = app.anonymous.get(app.url("/health/readiness")).send().await.unwrap();
    assert_eq!(anonymous.status(), 503);
}
