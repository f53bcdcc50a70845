//! Worker processes beside an API server on one database (`serve --no-worker` and
//! `agented worker`, the real binary): runs spread over workers and run once each,
//! and a worker killed with SIGKILL leaves its run `interrupted` and no process behind.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

mod process;

use agented_store::Location;
use agented_store::testing::Scratch;
use process::{
    api, gone, grandchildren, sigterm, spawn_server, spawn_worker, status_of, stream, wait_for_exit, with_fake_clis,
};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Numbers the data folders of processes "on other hosts".
static HOSTS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Every process of this test's servers, workers and runs carries this mark. On
/// PostgreSQL (`AGENTED_TEST_STORE=postgres`) each process also gets a data folder of
/// its own, as on separate hosts: the database and the queue are all they share.
fn configure(scratch: &Scratch, cmd: &mut Command) {
    let dir = scratch.path();
    with_fake_clis(dir, cmd);
    if let Location::Postgres(url) = scratch.location() {
        let host = dir.join(format!("host-{}", HOSTS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)));
        cmd.env("AGENTED__DATABASE__URL", url)
            .env("AGENTED__DATA_DIR", host.join("data"))
            .env("AGENTED__RUNNER__WORKSPACE_DIR", host.join("work"));
    }
    cmd.env("WORKER_TEST_MARK", dir)
        .env("AGENTED__RUNNER__ENV_PASSTHROUGH", "WORKER_TEST_MARK")
        // Beats every 0.5 s; a worker of this host whose process is gone is lost at the next sweep.
        .env("AGENTED__RUNNER__WORKER_LOST_AFTER_SECONDS", "3");
}

/// Live processes carrying this test's mark (servers, workers and runs) whose
/// environment also passes `also`.
fn marked(dir: &Path, also: impl Fn(&[u8]) -> bool) -> Vec<i32> {
    let needle = format!("WORKER_TEST_MARK={}", dir.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            !gone(*pid)
                && std::fs::read(format!("/proc/{pid}/environ"))
                    .is_ok_and(|env| env.split(|&b| b == 0).any(|kv| kv == needle.as_bytes()) && also(&env))
        })
        .collect()
}

/// `agented serve --no-worker` on the test's data folder: its address.
fn api_server(dir: &Scratch) -> (std::process::Child, String) {
    let (server, address, _) = spawn_server(dir.path(), |cmd| {
        configure(dir, cmd);
        cmd.arg("--no-worker");
    });
    (server, address)
}

/// Run processes (not servers or workers) carrying this test's mark.
fn run_processes(dir: &Path) -> Vec<i32> {
    marked(dir, |env| env.split(|&b| b == 0).any(|kv| kv.starts_with(b"AGENTED_EXECUTION_ID=")))
}

/// Kills every process of the test (servers, workers, runs) when the test ends, however it
/// ends: a failed assertion must not leave them running.
struct Cleanup<'a>(&'a Path);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        for pid in marked(self.0, |_| true) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
        }
    }
}

async fn trigger(address: &str, max_concurrent: u32) -> String {
    let body = json!({ "name": format!("t{max_concurrent}"), "prompt_template": "{message}", "max_concurrent": max_concurrent });
    api(address, Method::POST, "/admin/triggers", Some(body)).await["trigger_id"].as_str().unwrap().to_owned()
}

async fn run(address: &str, trigger: &str, message: &str) -> String {
    let path = format!("/admin/triggers/{trigger}/run");
    api(address, Method::POST, &path, Some(json!({ "message": message }))).await["execution_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Reads `path` until `done` holds of what it answers, or fails after `limit`: for a
/// worker's heartbeat, which nothing announces.
async fn until(address: &str, path: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let answer = api(address, Method::GET, path, None).await;
        if done(&answer) {
            return answer;
        }
        assert!(Instant::now() < deadline, "{path} never got there: {answer}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `agented worker` taking one job at a time.
fn one_job_worker(dir: &Scratch) -> (std::process::Child, String) {
    spawn_worker(dir.path(), |cmd| {
        configure(dir, cmd);
        cmd.args(["--max-parallel-runs", "1"]);
    })
}

/// SIGTERM to every worker at once: each must exit cleanly.
fn stop_workers(workers: Vec<(std::process::Child, String)>) {
    for (child, _) in &workers {
        sigterm(child);
    }
    for (child, _) in workers {
        assert!(wait_for_exit(child, Duration::from_secs(20)).success());
    }
}

/// SIGTERM to a server or worker: it must exit cleanly.
fn stop(process: std::process::Child) {
    sigterm(&process);
    assert!(wait_for_exit(process, Duration::from_secs(20)).success());
}

#[tokio::test]
async fn one_api_server_and_two_workers_run_fifty_runs_once_each_using_both() {
    let dir = Scratch::new();
    let _cleanup = Cleanup(dir.path());
    let (server, address) = api_server(&dir);
    let workers: Vec<(std::process::Child, String)> = (0..2)
        .map(|_| {
            spawn_worker(dir.path(), |cmd| {
                configure(&dir, cmd);
                cmd.args(["--max-parallel-runs", "4"]);
            })
        })
        .collect();
    let tally = dir.path().join("tally");
    let trigger = trigger(&address, 20).await;
    let mut ids = Vec::new();
    for n in 0..50 {
        ids.push(run(&address, &trigger, &format!("n={n} lines=1 sleep_ms=150 tally={}", tally.display())).await);
    }
    let mut by_worker: BTreeMap<String, usize> = BTreeMap::new();
    for id in &ids {
        let events = stream(&address, id).await.until(|e| e.name == "complete").await;
        let done = &events.last().unwrap().data;
        assert_eq!(done["status"], "success", "{done}");
        *by_worker.entry(done["worker"].as_str().unwrap().to_owned()).or_default() += 1;
    }
    let names: Vec<&String> = workers.iter().map(|(_, id)| id).collect();
    assert_eq!(
        by_worker.keys().collect::<Vec<_>>(),
        {
            let mut n = names.clone();
            n.sort();
            n
        },
        "both workers ran runs: {by_worker:?}"
    );
    // Each run's bot started exactly once, whichever worker took it.
    let lines = std::fs::read_to_string(&tally).unwrap();
    let mut started: BTreeMap<&str, usize> = BTreeMap::new();
    for line in lines.lines() {
        *started.entry(line.split_whitespace().find(|w| w.starts_with("n=")).unwrap()).or_default() += 1;
    }
    assert_eq!(started.len(), 50, "{started:?}");
    assert!(started.values().all(|n| *n == 1), "a run executed twice: {started:?}");

    stop_workers(workers);
    let listed = api(&address, Method::GET, "/admin/workers", None).await;
    assert!(listed["workers"].as_array().unwrap().iter().all(|w| w["status"] == "stopped"), "{listed}");
    stop(server);
}

#[tokio::test]
async fn a_triggers_max_concurrent_of_one_holds_across_two_workers() {
    let dir = Scratch::new();
    let _cleanup = Cleanup(dir.path());
    let (server, address) = api_server(&dir);
    // One job at a time each. The first worker is busy with a long run before the second
    // starts, so the second takes the next job and must wait for the first's run to end.
    let mut workers = vec![one_job_worker(&dir)];
    let one_at_a_time = trigger(&address, 1).await;
    let mut ids = vec![run(&address, &one_at_a_time, "n=0 lines=1 sleep_ms=1500").await];
    stream(&address, &ids[0]).await.until(|e| e.name == "status" && e.data["status"] == "running").await;
    workers.push(one_job_worker(&dir));
    for n in 1..6 {
        ids.push(run(&address, &one_at_a_time, &format!("n={n} lines=1 sleep_ms=300")).await);
    }
    let mut spans = Vec::new();
    let mut used = std::collections::BTreeSet::new();
    for id in &ids {
        stream(&address, id).await.until(|e| e.name == "complete").await;
        let done = api(&address, Method::GET, &format!("/admin/executions/{id}"), None).await;
        assert_eq!(done["status"], "success", "{done}");
        let at = |key: &str| chrono::DateTime::parse_from_rfc3339(done[key].as_str().unwrap()).unwrap();
        spans.push((at("started_at"), at("finished_at")));
        used.insert(done["worker"].as_str().unwrap().to_owned());
    }
    spans.sort();
    for pair in spans.windows(2) {
        assert!(pair[0].1 <= pair[1].0, "two runs of a max_concurrent = 1 trigger overlapped: {pair:?}");
    }
    assert_eq!(used.len(), 2, "both workers took runs of it: {used:?}");
    stop_workers(workers);
    stop(server);
}

#[tokio::test]
async fn a_run_on_one_worker_holds_its_reservation_against_a_start_on_another_worker() {
    let dir = Scratch::new();
    let _cleanup = Cleanup(dir.path());
    let (server, address) = api_server(&dir);
    let mut workers = vec![one_job_worker(&dir)];
    let costly = trigger(&address, 4).await;
    let budget = json!({ "scope": "global", "period": "daily", "hard_limit_usd": 1.0 });
    let budget = api(&address, Method::POST, "/admin/budgets", Some(budget)).await["id"].as_str().unwrap().to_owned();
    // One run costs $0.60: that is what the trigger's next runs each reserve.
    let first = run(&address, &costly, "lines=1 cost=0.6").await;
    stream(&address, &first).await.until(|e| e.name == "complete").await;
    assert_eq!(status_of(&address, &first).await, "success");
    // $0.40 is left, and each of the next two runs would start on it alone (0.60 < 1.00).
    // The first starts on the first worker and holds $0.60 while its CLI runs (it reports
    // its cost at the end); the second worker, another process, must count that.
    let holder = run(&address, &costly, "lines=1 cost=0.6 sleep_ms=4000").await;
    stream(&address, &holder).await.until(|e| e.name == "log").await;
    workers.push(one_job_worker(&dir));
    let late = run(&address, &costly, "lines=1 cost=0.6").await;
    let mut ends = Vec::new();
    for id in [&holder, &late] {
        stream(&address, id).await.until(|e| e.name == "complete").await;
        ends.push(api(&address, Method::GET, &format!("/admin/executions/{id}"), None).await);
    }
    assert_eq!(ends[0]["status"], "success", "{ends:?}");
    assert_eq!(ends[1]["status"], "budget_blocked", "{ends:?}");
    assert_ne!(ends[0]["worker"], ends[1]["worker"], "the other worker refused it: {ends:?}");
    let message = ends[1]["error_message"].as_str().unwrap();
    assert!(message.contains("running runs hold $0.6000 more of its hard limit $1.00"), "{message}");
    assert_eq!(ends[1]["command"], Value::Null, "no process was started");
    let state = api(&address, Method::GET, &format!("/admin/budgets/{budget}"), None).await;
    assert_eq!((state["spent_usd"].as_f64(), state["reserved_usd"].as_f64()), (Some(1.2), Some(0.0)), "{state}");
    stop_workers(workers);
    stop(server);
}

#[tokio::test]
async fn a_worker_killed_mid_run_leaves_its_run_interrupted_once_and_no_process_and_the_next_worker_takes_the_queue() {
    let dir = Scratch::new();
    let _cleanup = Cleanup(dir.path());
    let (server, address) = api_server(&dir);
    let (mut worker, worker_id) = spawn_worker(dir.path(), |cmd| {
        configure(&dir, cmd);
        cmd.args(["--labels", "claude,region=test"]);
    });
    let trigger = trigger(&address, 1).await;
    // Whoever sweeps the lost worker tells it to the notifiers.
    let receiver = agented_test_support::FakeReceiver::start();
    let notifier = json!({ "name": "ops", "kind": "webhook", "url": receiver.url, "events": ["worker.lost"] });
    api(&address, Method::POST, "/admin/notifiers", Some(notifier)).await;
    let tally = dir.path().join("tally");
    let long =
        run(&address, &trigger, &format!("long ignore_term fork=2 lines=1 sleep_ms=600000 tally={}", tally.display()))
            .await;
    // Followed through the API server: the lines come from the worker's process through the store.
    let pids = grandchildren(&address, &long, 2).await;
    let detail = api(&address, Method::GET, &format!("/admin/executions/{long}"), None).await;
    assert_eq!((detail["status"].as_str(), detail["worker"].as_str()), (Some("running"), Some(worker_id.as_str())));
    let registry =
        until(&address, "/admin/workers", Duration::from_secs(10), |l| l["workers"][0]["running"] == 1).await;
    assert_eq!(registry["workers"][0]["labels"], json!(["claude", "region=test"]));
    assert_eq!(registry["workers"][0]["status"], "active");
    // max_concurrent = 1: the next one waits in the queue.
    let queued = run(&address, &trigger, &format!("next lines=2 tally={}", tally.display())).await;

    worker.kill().unwrap();
    worker.wait().unwrap();
    // The API server's stream of the run ends once a sweep has stored its end.
    stream(&address, &long).await.until(|e| e.name == "complete").await;
    let ended = api(&address, Method::GET, &format!("/admin/executions/{long}"), None).await;
    assert_eq!(ended["status"], "interrupted", "{ended}");
    assert_eq!(ended["error_message"], agented_executions::WORKER_LOST);
    let told = receiver.wait_for(1, Duration::from_secs(30)).await;
    let body: Value = serde_json::from_slice(&told[0].body).unwrap();
    assert_eq!(
        (body["type"].as_str(), body["data"]["execution_id"].as_str()),
        (Some("worker.lost"), Some(long.as_str()))
    );
    assert_eq!(body["data"]["worker"].as_str(), Some(worker_id.as_str()));
    let registry = api(&address, Method::GET, "/admin/workers", None).await;
    assert_eq!(registry["workers"][0]["status"], "lost", "{registry}");
    // Its leader died with the worker (parent-death signal); the sweep killed the grandchildren.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !run_processes(dir.path()).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(run_processes(dir.path()), Vec::<i32>::new(), "a process of the killed worker's run survived");
    assert!(pids.iter().all(|p| gone(*p)));
    assert_eq!(status_of(&address, &queued).await, "queued", "no worker: it waits");

    let (next, next_id) = spawn_worker(dir.path(), |cmd| configure(&dir, cmd));
    let events = stream(&address, &queued).await.until(|e| e.name == "complete").await;
    let done = &events.last().unwrap().data;
    assert_eq!((done["status"].as_str(), done["worker"].as_str()), (Some("success"), Some(next_id.as_str())));
    let tallied = std::fs::read_to_string(&tally).unwrap();
    let runs_of = |word: &str| tallied.lines().filter(|l| l.split_whitespace().any(|w| w == word)).count();
    assert_eq!(runs_of("long"), 1, "the interrupted run was not run again");
    assert_eq!(runs_of("next"), 1);
    stop(next);
    stop(server);
}

#[tokio::test]
async fn a_run_cancelled_through_the_api_server_is_stopped_by_its_worker() {
    let dir = Scratch::new();
    let _cleanup = Cleanup(dir.path());
    let (server, address) = api_server(&dir);
    let (worker, _) = spawn_worker(dir.path(), |cmd| configure(&dir, cmd));
    let trigger = trigger(&address, 1).await;
    let long = run(&address, &trigger, "ignore_term fork=2 lines=1 sleep_ms=600000").await;
    let pids = grandchildren(&address, &long, 2).await;
    // The API server does not supervise the run: it ends it in the store, and the worker,
    // at its next beat, sees that and stops the CLI with everything it started.
    let cancelled = api(&address, Method::POST, &format!("/admin/executions/{long}/cancel"), None).await;
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    // The bot ignores SIGTERM: it goes at the end of the trigger's grace (10 s), by SIGKILL.
    let deadline = Instant::now() + Duration::from_secs(45);
    while !run_processes(dir.path()).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(run_processes(dir.path()), Vec::<i32>::new(), "the cancelled run's processes were stopped");
    assert!(pids.iter().all(|p| gone(*p)));
    assert_eq!(status_of(&address, &long).await, "cancelled", "the stored end is kept");
    stop(worker);
    stop(server);
}

#[tokio::test]
async fn a_run_whose_trigger_requires_labels_waits_for_a_worker_that_has_them() {
    let dir = Scratch::new();
    let _cleanup = Cleanup(dir.path());
    let (server, address) = api_server(&dir);
    let labelled = |labels: &'static str| {
        let dir = &dir;
        move |cmd: &mut Command| {
            configure(dir, cmd);
            cmd.args(["--max-parallel-runs", "2"]);
            if !labels.is_empty() {
                cmd.args(["--labels", labels]);
            }
        }
    };
    let (plain, _) = spawn_worker(dir.path(), labelled(""));
    let (gpu, gpu_id) = spawn_worker(dir.path(), labelled("GPU,region=eu"));
    let create = |name: &str, labels: Value| json!({ "name": name, "prompt_template": "{message}", "max_concurrent": 20, "required_labels": labels });
    let needs_gpu = api(&address, Method::POST, "/admin/triggers", Some(create("gpu", json!(["gpu", "region=eu"]))))
        .await["trigger_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let needs_tpu =
        api(&address, Method::POST, "/admin/triggers", Some(create("tpu", json!(["tpu"])))).await["trigger_id"]
            .as_str()
            .unwrap()
            .to_owned();
    let waiting = run(&address, &needs_tpu, "lines=1").await;
    let ids: Vec<String> = {
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(run(&address, &needs_gpu, &format!("n={n} lines=1 sleep_ms=100")).await);
        }
        ids
    };
    for id in &ids {
        let events = stream(&address, id).await.until(|e| e.name == "complete").await;
        let done = &events.last().unwrap().data;
        assert_eq!(done["status"], "success", "{done}");
        assert_eq!(done["worker"], gpu_id.as_str(), "only the worker with the labels runs them: {done}");
    }
    // No worker has `tpu`: the run was handed back and forth, and waits.
    assert_eq!(status_of(&address, &waiting).await, "queued");
    let (tpu, tpu_id) = spawn_worker(dir.path(), labelled("tpu"));
    let events = stream(&address, &waiting).await.until(|e| e.name == "complete").await;
    let done = &events.last().unwrap().data;
    assert_eq!((done["status"].as_str(), done["worker"].as_str()), (Some("success"), Some(tpu_id.as_str())), "{done}");

    for child in [plain, gpu, tpu, server] {
        stop(child);
    }
}
