//! The `agented` binary as a process: started with a clean environment on a
//! free port, signalled, and spoken to over HTTP. Shared by the CLI and crash tests.

#![allow(dead_code, reason = "each test binary uses its own subset")]

use agented_test_support::workspace_root;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The binary with a clean environment, the repository's config folder and a
/// private working directory (so no developer `.env` is read).
pub fn agented(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agented"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AGENTED_CONFIG_DIR", workspace_root().join("config"))
        .env("AGENTED_ENV", "test")
        .env("AGENTED__DATA_DIR", dir.join("data"))
        // Beside the data folder, inside the test's own folder: nothing is left in the temp folder.
        .env("AGENTED__RUNNER__WORKSPACE_DIR", dir.join("work"))
        .current_dir(dir);
    cmd
}

/// Where a started process's log goes: appended to `$AGENTED_TEST_SERVER_LOG` when set
/// (to look into a failure), else nowhere.
fn log_sink() -> Stdio {
    std::env::var_os("AGENTED_TEST_SERVER_LOG")
        .and_then(|path| std::fs::OpenOptions::new().create(true).append(true).open(path).ok())
        .map_or_else(Stdio::null, Stdio::from)
}

/// Starts `agented serve` (after `configure` has its say) and returns it with its
/// address and what it printed on the terminal before the address.
pub fn spawn_server(dir: &Path, configure: impl FnOnce(&mut Command)) -> (Child, String, Vec<String>) {
    let mut cmd = agented(dir);
    cmd.arg("serve").stdout(log_sink()).stderr(Stdio::piped());
    configure(&mut cmd);
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut terminal = Vec::new();
    let address = loop {
        let line = lines.next().expect("the server printed its address").unwrap();
        if let Some(rest) = line.strip_prefix("agented listening on ") {
            break rest.split('/').take(3).collect::<Vec<_>>().join("/");
        }
        terminal.push(line);
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, address, terminal)
}

/// Starts `agented worker` (after `configure` has its say) and returns it with its worker id.
pub fn spawn_worker(dir: &Path, configure: impl FnOnce(&mut Command)) -> (Child, String) {
    let mut cmd = agented(dir);
    cmd.arg("worker").stdout(log_sink()).stderr(Stdio::piped());
    configure(&mut cmd);
    let mut child = cmd.spawn().unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let id = loop {
        let line = lines.next().expect("the worker printed its id").unwrap();
        if let Some(rest) = line.strip_prefix("agented worker ") {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    (child, id)
}

pub fn wait_for_exit(mut child: Child, limit: Duration) -> std::process::ExitStatus {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    rx.recv_timeout(limit).unwrap_or_else(|_| panic!("the server did not stop within {limit:?}")).unwrap()
}

pub fn sigterm(child: &Child) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
}

/// The fake CLIs in `dir/bin`, and an API key the server accepts.
pub fn with_fake_clis(dir: &Path, cmd: &mut Command) {
    agented_test_support::install_fake_clis(&dir.join("bin"));
    cmd.env("AGENTED__RUNNER__EXTRA_PATH", dir.join("bin"))
        .env("AGENTED_API_KEY", RUN_KEY)
        .env("AGENTED__RUNNER__SHUTDOWN_GRACE_SECONDS", "1");
}

pub const RUN_KEY: &str = "agd_0123456789abcdef0123456789abcdef0123456789abcdef";

pub async fn api(
    address: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let mut req = reqwest::Client::new().request(method, format!("{address}{path}")).header("x-api-key", RUN_KEY);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

pub async fn status_of(address: &str, id: &str) -> String {
    api(address, reqwest::Method::GET, &format!("/admin/executions/{id}"), None).await["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The execution's live stream.
pub async fn stream(address: &str, id: &str) -> agented_test_support::SseReader {
    let res = reqwest::Client::new()
        .get(format!("{address}/admin/executions/{id}/stream"))
        .header("x-api-key", RUN_KEY)
        .send()
        .await
        .unwrap();
    agented_test_support::SseReader::new(res)
}

/// Follows the run's stream until the forking bot has printed `n` grandchild pids; returns them.
pub async fn grandchildren(address: &str, id: &str, n: usize) -> Vec<i32> {
    let mut pids: Vec<i32> = Vec::new();
    stream(address, id)
        .await
        .until(|e| {
            if let Some(pid) = e.data["content"].as_str().and_then(|c| c.strip_prefix("grandchild pid=")) {
                pids.push(pid.parse().unwrap());
            }
            e.name == "complete" || pids.len() == n
        })
        .await;
    assert_eq!(pids.len(), n, "{id} did not print {n} grandchildren");
    pids
}

pub fn gone(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_or(true, |stat| stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')))
}
