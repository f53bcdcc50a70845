//! Crashes: the server killed with SIGKILL while it works, then started
//! again on the same data. Nothing accepted may be lost or run twice, nothing
//! may stay `running`, and no process of the killed server's runs may survive.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

mod process;

use process::{api, gone, grandchildren, sigterm, spawn_server, status_of, stream, wait_for_exit, with_fake_clis};
use std::time::Duration;

#[tokio::test]
async fn after_kill_9_the_running_run_is_interrupted_its_processes_killed_and_queued_runs_proceed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, address, _) = spawn_server(dir.path(), |cmd| with_fake_clis(dir.path(), cmd));
    let trigger = api(
        &address,
        reqwest::Method::POST,
        "/admin/triggers",
        Some(serde_json::json!({ "name": "long", "prompt_template": "{message}" })),
    )
    .await["trigger_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let run = |message: &'static str| {
        let (address, trigger) = (address.clone(), trigger.clone());
        async move {
            api(
                &address,
                reqwest::Method::POST,
                &format!("/admin/triggers/{trigger}/run"),
                Some(serde_json::json!({ "message": message })),
            )
            .await["execution_id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let long = run("ignore_term fork=2 lines=1 sleep_ms=600000").await;
    let pids = grandchildren(&address, &long, 2).await;
    // max_concurrent = 1: this one waits in the queue.
    let queued = run("lines=2").await;
    assert_eq!(status_of(&address, &queued).await, "queued");

    child.kill().unwrap();
    child.wait().unwrap();
    assert!(pids.iter().all(|p| !gone(*p)), "the run's processes outlive a kill -9 of the server");

    let (child, address, _) = spawn_server(dir.path(), |cmd| with_fake_clis(dir.path(), cmd));
    let interrupted = api(&address, reqwest::Method::GET, &format!("/admin/executions/{long}"), None).await;
    assert_eq!(interrupted["status"], "interrupted");
    for pid in &pids {
        assert!(gone(*pid), "leftover process {pid} was not killed at start-up");
    }
    let events = stream(&address, &queued).await.until(|e| e.name == "complete").await;
    assert_eq!(events.last().unwrap().data["status"], "success");
    let done = api(&address, reqwest::Method::GET, &format!("/admin/executions/{queued}"), None).await;
    assert_eq!(done["status"], "success");
    assert_eq!(done["log_lines"], 4);
    sigterm(&child);
    assert!(wait_for_exit(child, Duration::from_secs(20)).success());
}

#[tokio::test]
async fn killed_right_after_a_spawn_before_its_group_is_stored_the_restart_leaves_no_process_of_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().display().to_string();
    let configure = |cmd: &mut std::process::Command| {
        with_fake_clis(dir.path(), cmd);
        cmd.env("CRASH_TEST_MARK", &mark).env("AGENTED__RUNNER__ENV_PASSTHROUGH", "CRASH_TEST_MARK");
    };
    // The fault point kills the server right after the run's process is spawned.
    let (child, address, _) = spawn_server(dir.path(), |cmd| {
        configure(cmd);
        cmd.env("AGENTED_TEST_FAULT", "after_spawn");
    });
    let body = serde_json::json!({ "name": "doomed", "prompt_template": "{message}" });
    let trigger = api(&address, reqwest::Method::POST, "/admin/triggers", Some(body)).await["trigger_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Its grandchildren leave the run's process group: only their marker finds them.
    let started = api(
        &address,
        reqwest::Method::POST,
        &format!("/admin/triggers/{trigger}/run"),
        Some(serde_json::json!({ "message": "ignore_term fork=2 escape sleep_ms=600000" })),
    )
    .await;
    let id = started["execution_id"].as_str().unwrap().to_owned();
    let died = wait_for_exit(child, Duration::from_secs(30));
    assert_eq!(std::os::unix::process::ExitStatusExt::signal(&died), Some(9), "the fault point killed the server");
    // The leader ignores SIGTERM and sleeps for ten minutes: only its parent-death
    // signal ends it. Its two grandchildren are left for the restart to find. Nothing
    // announces a process's end to a stranger: /proc is looked at until it shows it.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let orphans = loop {
        let marked = marked_processes(&mark, None);
        if marked.len() <= 2 || std::time::Instant::now() > deadline {
            break marked;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(orphans.len(), 2, "the leader died with the server, its grandchildren outlived it: {orphans:?}");

    let (child, address, _) = spawn_server(dir.path(), configure);
    for pid in &orphans {
        assert!(gone(*pid), "process {pid} of the killed run survived the restart");
    }
    let detail = api(&address, reqwest::Method::GET, &format!("/admin/executions/{id}"), None).await;
    assert_eq!(detail["status"], "interrupted", "{detail}");
    sigterm(&child);
    assert!(wait_for_exit(child, Duration::from_secs(20)).success());
}

/// Processes other than the server whose environment carries
/// `CRASH_TEST_MARK=<mark>`: the server was started with it and passes it on
/// to every run (`runner.env_passthrough`), whose processes inherit it.
fn marked_processes(mark: &str, server: Option<u32>) -> Vec<i32> {
    let needle = format!("CRASH_TEST_MARK={mark}");
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            server.is_none_or(|s| i64::from(s) != i64::from(*pid))
                && !gone(*pid)
                && std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|&b| b == 0).any(|kv| kv == needle.as_bytes()))
        })
        .collect()
}

/// The parent process of `pid` (0 once it is gone).
fn parent_of(pid: i32) -> u32 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// What one webhook delivery got back before the server died.
struct Accepted {
    tag: String,
    execution_id: String,
}

/// Sends deliveries until the server stops answering; returns those answered 2xx.
async fn send_deliveries(address: String, client: usize) -> Vec<Accepted> {
    let http = reqwest::Client::new();
    let mut accepted = Vec::new();
    for n in 0.. {
        let tag = format!("delivery-{client}-{n}");
        // Each run prints, forks a grandchild and works for a while: some are
        // running and many queued when the server is killed.
        let text = format!("fork=1 lines=2 sleep_ms=700 {tag}");
        let Ok(res) = http.post(format!("{address}/")).json(&serde_json::json!({ "text": text })).send().await else {
            break;
        };
        if !res.status().is_success() {
            continue;
        }
        let Ok(answer) = res.json::<serde_json::Value>().await else { break };
        let started = answer["executions"].as_array().unwrap();
        assert_eq!(started.len(), 1, "{answer}");
        accepted.push(Accepted { tag, execution_id: started[0]["execution_id"].as_str().unwrap().to_owned() });
    }
    accepted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_webhook_load_loses_no_accepted_delivery_runs_none_twice_and_leaves_no_process() {
    let dir = tempfile::tempdir().unwrap();
    let mark = dir.path().display().to_string();
    let configure = |cmd: &mut std::process::Command| {
        with_fake_clis(dir.path(), cmd);
        cmd.env("CRASH_TEST_MARK", &mark)
            .env("AGENTED__RUNNER__ENV_PASSTHROUGH", "CRASH_TEST_MARK")
            .env("AGENTED__RATE_LIMITS__ENABLED", "false");
    };
    let (mut child, address, _) = spawn_server(dir.path(), configure);
    let body = serde_json::json!({
        "name": "crash", "trigger_source": "webhook", "prompt_template": "{message}", "max_concurrent": 3,
    });
    let trigger = api(&address, reqwest::Method::POST, "/admin/triggers", Some(body)).await["trigger_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let senders: Vec<_> = (0..4).map(|c| tokio::spawn(send_deliveries(address.clone(), c))).collect();

    // Kill once runs are executing, one has forked its grandchild (run leaders die with the
    // server, their grandchildren are left for the restart) and deliveries keep arriving.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let running = api(&address, reqwest::Method::GET, "/admin/executions?status=running&limit=1", None).await;
        let queued = api(&address, reqwest::Method::GET, "/admin/executions?status=queued&limit=1", None).await;
        let forked = marked_processes(&mark, Some(child.id())).into_iter().any(|pid| parent_of(pid) != child.id());
        if running["total"].as_u64() >= Some(3) && queued["total"].as_u64() >= Some(10) && forked {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the load never built up: {running} {queued}");
        // Polling the API is the observation itself; there is no event for "busy enough".
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mut accepted = Vec::new();
    for sender in senders {
        accepted.extend(sender.await.unwrap());
    }
    let orphans = marked_processes(&mark, None);
    assert!(!orphans.is_empty(), "runs were executing when the server was killed");

    let (child, address, _) = spawn_server(dir.path(), configure);
    let left = marked_processes(&mark, Some(child.id()));
    assert!(orphans.iter().all(|pid| !left.contains(pid)), "processes of killed runs survived the restart: {left:?}");

    // Every run the killed server stored reaches its end.
    let all = api(&address, reqwest::Method::GET, &format!("/admin/executions?trigger_id={trigger}&limit=500"), None)
        .await["executions"]
        .as_array()
        .unwrap()
        .clone();
    for execution in &all {
        let id = execution["execution_id"].as_str().unwrap();
        stream(&address, id).await.until(|e| e.name == "complete").await;
    }
    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    let mut runs_per_tag = std::collections::HashMap::<String, usize>::new();
    for execution in &all {
        let id = execution["execution_id"].as_str().unwrap();
        let detail = api(&address, reqwest::Method::GET, &format!("/admin/executions/{id}"), None).await;
        *statuses.entry(detail["status"].as_str().unwrap().to_owned()).or_default() += 1;
        let tag = detail["prompt"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '-'))
            .find(|w| w.starts_with("delivery-"))
            .unwrap();
        *runs_per_tag.entry(tag.to_owned()).or_default() += 1;
    }
    // At least 13 runs were stored before the kill; each of the 4 senders may have lost one answer.
    assert!(accepted.len() >= 9, "deliveries were accepted before the kill: {}", accepted.len());
    for delivery in &accepted {
        assert_eq!(runs_per_tag.get(&delivery.tag), Some(&1), "{} has exactly one execution", delivery.tag);
        assert!(all.iter().any(|e| e["execution_id"] == delivery.execution_id.as_str()));
    }
    assert!(runs_per_tag.values().all(|n| *n == 1), "no delivery ran twice: {runs_per_tag:?}");
    // Runs that were executing end `interrupted`; every queued one ran to success after the restart.
    let interrupted = statuses.get("interrupted").copied().unwrap_or(0);
    assert!((1..=3).contains(&interrupted), "{statuses:?}");
    assert_eq!(statuses.get("success").copied().unwrap_or(0) + interrupted, all.len(), "{statuses:?}");
    assert!(marked_processes(&mark, Some(child.id())).is_empty(), "every run's processes are gone once the runs ended");
    sigterm(&child);
    assert!(wait_for_exit(child, Duration::from_secs(20)).success());
}

/// The run's node `node`, read over the API.
async fn node_of(address: &str, run: &str, node: &str) -> serde_json::Value {
    let read = api(address, reqwest::Method::GET, &format!("/admin/workflows/executions/{run}"), None).await;
    read["nodes"].as_array().unwrap().iter().find(|n| n["node_id"] == node).cloned().unwrap()
}

/// Polls until `check` holds (at most 30 s).
async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..300 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} did not happen within 30 s");
}

#[tokio::test]
async fn after_kill_9_mid_workflow_the_restart_finishes_it_without_running_a_finished_node_again() {
    let dir = tempfile::tempdir().unwrap();
    let (first_file, attempts_file) = (dir.path().join("first.log"), dir.path().join("mid.log"));
    let (first_log, attempts) = (first_file.display().to_string(), attempts_file.display().to_string());
    // `mid` sleeps on its first attempt (the crash comes then) and finishes on the next.
    let mid =
        format!("echo attempt >> {attempts}; if [ $(wc -l < {attempts}) -lt 2 ]; then sleep 300; fi; echo mid-done");
    let graph = serde_json::json!({
        "nodes": [
            {"id": "start", "type": "trigger"},
            {"id": "first", "type": "command", "config": {"argv": ["sh", "-c", format!("echo ran >> {first_log}; echo one")]}},
            {"id": "mid", "type": "command", "config": {"argv": ["sh", "-c", mid]}},
            {"id": "ok", "type": "approval", "config": {"message": "ship?"}},
            {"id": "ship", "type": "command", "config": {"argv": ["echo", "shipped after {input}"]}}
        ],
        "edges": [
            {"source": "start", "target": "first"}, {"source": "first", "target": "mid"},
            {"source": "mid", "target": "ok"}, {"source": "ok", "target": "ship"}
        ]
    });
    let (mut child, address, _) = spawn_server(dir.path(), |cmd| with_fake_clis(dir.path(), cmd));
    let body = serde_json::json!({"name": "crash", "graph_json": graph, "is_draft": false});
    let workflow =
        api(&address, reqwest::Method::POST, "/admin/workflows", Some(body)).await["id"].as_str().unwrap().to_owned();
    let run = api(&address, reqwest::Method::POST, &format!("/admin/workflows/{workflow}/run"), None).await
        ["workflow_execution_id"]
        .as_str()
        .unwrap()
        .to_owned();
    until("the first attempt of mid", async || {
        std::fs::read_to_string(&attempts_file).is_ok_and(|t| t.lines().count() == 1)
    })
    .await;
    let marker = format!("{run}/mid");
    until("mid's process", async || agented_runner::marked_processes().contains_key(&marker)).await;
    assert_eq!(node_of(&address, &run, "first").await["status"], "completed");

    child.kill().unwrap();
    child.wait().unwrap();

    let (child, address, _) = spawn_server(dir.path(), |cmd| with_fake_clis(dir.path(), cmd));
    until("the approval, after mid ran again", async || node_of(&address, &run, "ok").await["status"] == "running")
        .await;
    assert!(!agented_runner::marked_processes().contains_key(&marker), "the cut attempt's sleep was killed");
    let approve = format!("/admin/workflows/{workflow}/executions/{run}/nodes/ok/approve");
    api(&address, reqwest::Method::POST, &approve, None).await;
    until("the end of the run", async || {
        let read = api(&address, reqwest::Method::GET, &format!("/admin/workflows/executions/{run}"), None).await;
        read["status"] != "running"
    })
    .await;
    let done = api(&address, reqwest::Method::GET, &format!("/admin/workflows/executions/{run}"), None).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["output_json"]["text"], "shipped after mid-done");
    assert_eq!(std::fs::read_to_string(&first_file).unwrap().lines().count(), 1, "the finished node did not run again");
    assert_eq!(std::fs::read_to_string(&attempts_file).unwrap().lines().count(), 2, "the cut node ran again");
    sigterm(&child);
    assert!(wait_for_exit(child, Duration::from_secs(20)).success());
}

/// The session's stream until its text contains `needle`; the text.
async fn session_text(address: &str, id: &str, needle: &str) -> String {
    let res = reqwest::Client::new()
        .get(format!("{address}/admin/sessions/{id}/stream"))
        .header("x-api-key", process::RUN_KEY)
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    agented_test_support::SseReader::new(res)
        .until(|e| {
            text.push_str(e.data["data"].as_str().unwrap_or_default());
            text.contains(needle) || e.name == "complete"
        })
        .await;
    assert!(text.contains(needle), "{id}: no {needle:?} in {text}");
    text
}

async fn open_session_with_grandchild(address: &str) -> (String, Vec<i32>) {
    let session =
        api(address, reqwest::Method::POST, "/admin/sessions", Some(serde_json::json!({ "program": "claude" }))).await;
    let id = session["id"].as_str().unwrap().to_owned();
    let banner = session_text(address, &id, "> ").await;
    let pid_after = |text: &str, key: &str| -> i32 {
        let rest = &text[text.find(key).unwrap() + key.len()..];
        rest.split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
    };
    api(
        address,
        reqwest::Method::POST,
        &format!("/admin/sessions/{id}/input"),
        Some(serde_json::json!({ "text": "/spawn\r" })),
    )
    .await;
    let spawned = session_text(address, &id, "grandchild pid=").await;
    (id, vec![pid_after(&banner, "pid="), pid_after(&spawned, "grandchild pid=")])
}

#[tokio::test]
async fn sessions_end_with_their_server_by_sigterm_or_kill_9_and_no_process_outlives_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, address, _) = spawn_server(dir.path(), |cmd| with_fake_clis(dir.path(), cmd));
    let (killed, pids) = open_session_with_grandchild(&address).await;
    child.kill().unwrap();
    child.wait().unwrap();

    let (child, address, _) = spawn_server(dir.path(), |cmd| with_fake_clis(dir.path(), cmd));
    let session = api(&address, reqwest::Method::GET, &format!("/admin/sessions/{killed}"), None).await;
    assert_eq!(session["status"], "interrupted", "{session}");
    for pid in &pids {
        assert!(gone(*pid), "process {pid} of a session outlived kill -9 and the restart");
    }

    let (stopped, pids) = open_session_with_grandchild(&address).await;
    sigterm(&child);
    assert!(wait_for_exit(child, Duration::from_secs(30)).success());
    for pid in &pids {
        assert!(gone(*pid), "process {pid} of a session outlived the server's shutdown");
    }
    let (child, address, _) = spawn_server(dir.path(), |cmd| with_fake_clis(dir.path(), cmd));
    let session = api(&address, reqwest::Method::GET, &format!("/admin/sessions/{stopped}"), None).await;
    assert_eq!(session["status"], "interrupted", "{session}");
    assert_eq!(session["reason"], "the server stopped while the session ran");
    sigterm(&child);
    wait_for_exit(child, Duration::from_secs(30));
}
