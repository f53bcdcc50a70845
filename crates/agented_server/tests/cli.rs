//! The `agented` binary as an operator runs it: real processes, real files.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_test_support::workspace_root;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The binary with a clean environment, the repository's config folder and a
/// private working directory (so no developer `.env` is read).
fn agented(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_agented"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AGENTED_CONFIG_DIR", workspace_root().join("config"))
        .env("AGENTED_ENV", "test")
        .env("AGENTED__DATA_DIR", dir.join("data"))
        .current_dir(dir);
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn version_prints_the_package_version() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(agented(dir.path()).arg("--version"));
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("agented {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn an_invalid_value_stops_start_up_with_one_line_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(agented(dir.path()).env("AGENTED__SERVER__BIND", "not-an-address"));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("AGENTED__SERVER__BIND") && err.contains("not-an-address"), "{err}");
    assert!(!dir.path().join("data").exists(), "nothing is created when the configuration is invalid");
}

#[test]
fn config_prints_the_effective_configuration_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(agented(dir.path())
        .arg("config")
        .env("SECRET_KEY", "do-not-print-this-secret-key-0123456789")
        .env("AGENTED_API_KEY", "do-not-print-api-key")
        .env("LOG_LEVEL", "debug"));
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(!printed.contains("do-not-print"), "{printed}");
    assert!(printed.contains("secret_key = \"<redacted>\"") && printed.contains("level = \"debug\""), "{printed}");
    assert!(printed.contains("environment = \"test\""), "{printed}");
}

#[test]
fn migrate_creates_the_database_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let first = run(agented(dir.path()).arg("migrate"));
    assert!(first.status.success(), "{}", stderr(&first));
    let migrations = std::fs::read_dir(workspace_root().join("migrations")).unwrap().count();
    assert!(stderr(&first).contains(&format!("({migrations} migration(s) applied)")), "{}", stderr(&first));
    assert!(dir.path().join("data/agented.db").exists());
    let second = run(agented(dir.path()).arg("migrate"));
    assert!(second.status.success());
    assert!(stderr(&second).contains("(0 migration(s) applied)"), "{}", stderr(&second));
}

/// Starts `agented serve` on a free port and returns it with its address.
fn start(dir: &Path) -> (Child, String) {
    let (child, address, _) = spawn_server(dir, |_| {});
    (child, address)
}

/// Starts `agented serve` (after `configure` has its say) and returns it with its
/// address and what it printed on the terminal before the address.
fn spawn_server(dir: &Path, configure: impl FnOnce(&mut Command)) -> (Child, String, Vec<String>) {
    let mut cmd = agented(dir);
    cmd.arg("serve").stdout(Stdio::null()).stderr(Stdio::piped());
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

fn wait_for_exit(mut child: Child, limit: Duration) -> std::process::ExitStatus {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    rx.recv_timeout(limit).unwrap_or_else(|_| panic!("the server did not stop within {limit:?}")).unwrap()
}

fn sigterm(child: &Child) {
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).unwrap());
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
}

#[tokio::test]
async fn sigterm_stops_the_server_gracefully_and_the_secret_key_survives_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("data/secret_key");

    let (child, address) = start(dir.path());
    let res = reqwest::get(format!("{address}/health/readiness")).await.unwrap();
    assert_eq!(res.status(), 200);
    let first_key = std::fs::read_to_string(&key_file).unwrap();
    assert_eq!(std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777, 0o600);
    sigterm(&child);
    // test.toml gives in-flight requests 2 s; the bound here only catches a hang.
    let status = wait_for_exit(child, Duration::from_secs(20));
    assert!(status.success(), "graceful shutdown exits 0, got {status}");

    let (child, address) = start(dir.path());
    assert_eq!(reqwest::get(format!("{address}/health/liveness")).await.unwrap().status(), 200);
    assert_eq!(std::fs::read_to_string(&key_file).unwrap(), first_key, "the same key on every start");
    sigterm(&child);
    assert!(wait_for_exit(child, Duration::from_secs(20)).success());
}

#[test]
fn a_failing_migration_stops_start_up_and_leaves_the_database_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("data/agented.db");
    std::fs::create_dir_all(db_path.parent().unwrap()).unwrap();
    // A table the first migration wants to create already exists, so it fails.
    let mut conn = SqliteConnection::establish(db_path.to_str().unwrap()).unwrap();
    conn.batch_execute("CREATE TABLE backends (legacy TEXT); INSERT INTO backends VALUES ('keep me');").unwrap();

    let out = run(agented(dir.path()).arg("serve"));
    assert!(!out.status.success(), "the server must not start");
    assert!(stderr(&out).contains("migration failed"), "{}", stderr(&out));

    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
    }
    let tables: Vec<String> = diesel::sql_query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .load::<Name>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(tables, ["backends"], "nothing of the failed migration remains");
    let kept: Vec<Name> = diesel::sql_query("SELECT legacy AS name FROM backends").load(&mut conn).unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].name, "keep me");
}

#[tokio::test]
async fn the_first_start_prints_an_admin_key_to_the_terminal_but_never_to_the_logs() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, address, terminal) = spawn_server(dir.path(), |cmd| {
        cmd.env("LOG_FORMAT", "json").env("LOG_LEVEL", "debug").stdout(Stdio::piped());
    });
    let key =
        terminal.iter().map(|l| l.trim()).find(|l| l.starts_with("agd_")).expect("the key on the terminal").to_owned();
    assert!(terminal.iter().any(|l| l.contains("shown only this once")), "{terminal:?}");
    let session: serde_json::Value = reqwest::Client::new()
        .get(format!("{address}/admin/session"))
        .header("x-api-key", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(session["scope"], "admin");

    sigterm(&child);
    let stdout = child.stdout.take().unwrap();
    let logs: Vec<String> = BufReader::new(stdout).lines().map(Result::unwrap).collect();
    assert!(wait_for_exit(child, Duration::from_secs(20)).success());
    assert!(logs.len() > 3, "JSON logs were written: {logs:?}");
    assert!(logs.iter().all(|l| !l.contains(&key[4..])), "the key reached the logs");

    // A second start has a key already: nothing is printed.
    let (child, address, terminal) = spawn_server(dir.path(), |_| {});
    assert!(terminal.iter().all(|l| !l.contains("agd_")), "{terminal:?}");
    // Signals are handled once the server runs: wait for an answer before stopping it.
    assert_eq!(reqwest::get(format!("{address}/health/liveness")).await.unwrap().status(), 200);
    sigterm(&child);
    assert!(wait_for_exit(child, Duration::from_secs(20)).success());
}

#[test]
fn keys_can_be_created_listed_and_revoked_from_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let created = run(agented(dir.path()).args(["keys", "create", "--name", "ci bot", "--scope", "admin"]));
    assert!(created.status.success(), "{}", stderr(&created));
    let out = String::from_utf8_lossy(&created.stdout).into_owned();
    let key = out.split_whitespace().find(|w| w.starts_with("agd_")).expect("the key is printed").to_owned();
    assert!(out.contains("shown only once"), "{out}");

    let listed = run(agented(dir.path()).args(["keys", "list"]));
    let listing = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(listing.contains("ci bot") && listing.contains("admin") && listing.contains("active"), "{listing}");
    assert!(!listing.contains(&key[12..]), "only the prefix is listed");
    let id = listing.lines().find(|l| l.contains("ci bot")).unwrap().split_whitespace().next().unwrap().to_owned();

    let revoked = run(agented(dir.path()).args(["keys", "revoke", &id]));
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    let again = run(agented(dir.path()).args(["keys", "revoke", &id]));
    assert!(!again.status.success());
    assert!(stderr(&again).contains("already revoked"), "{}", stderr(&again));
    let listing = String::from_utf8_lossy(&run(agented(dir.path()).args(["keys", "list"])).stdout).into_owned();
    assert!(listing.contains("revoked"), "{listing}");

    let bad = run(agented(dir.path()).args(["keys", "create", "--name", "x", "--scope", "root"]));
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("admin or read"), "{}", stderr(&bad));
}

/// The fake CLIs in `dir/bin`, and an API key the server accepts.
fn with_fake_clis(dir: &Path, cmd: &mut Command) {
    agented_test_support::install_fake_clis(&dir.join("bin"));
    cmd.env("AGENTED__RUNNER__EXTRA_PATH", dir.join("bin"))
        .env("AGENTED_API_KEY", RUN_KEY)
        .env("AGENTED__RUNNER__SHUTDOWN_GRACE_SECONDS", "1");
}

const RUN_KEY: &str = "agd_0123456789abcdef0123456789abcdef0123456789abcdef";

async fn api(address: &str, method: reqwest::Method, path: &str, body: Option<serde_json::Value>) -> serde_json::Value {
    let mut req = reqwest::Client::new().request(method, format!("{address}{path}")).header("x-api-key", RUN_KEY);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    assert!(res.status().is_success(), "{path}: {}", res.status());
    res.json().await.unwrap()
}

async fn status_of(address: &str, id: &str) -> String {
    api(address, reqwest::Method::GET, &format!("/admin/executions/{id}"), None).await["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The execution's live stream.
async fn stream(address: &str, id: &str) -> agented_test_support::SseReader {
    let res = reqwest::Client::new()
        .get(format!("{address}/admin/executions/{id}/stream"))
        .header("x-api-key", RUN_KEY)
        .send()
        .await
        .unwrap();
    agented_test_support::SseReader::new(res)
}

fn gone(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_or(true, |stat| stat.rsplit_once(')').is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')))
}

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
    // Follow the run until the bot has printed its two grandchildren.
    let mut pids: Vec<i32> = Vec::new();
    stream(&address, &long)
        .await
        .until(|e| {
            if let Some(pid) = e.data["content"].as_str().and_then(|c| c.strip_prefix("grandchild pid=")) {
                pids.push(pid.parse().unwrap());
            }
            e.name == "complete" || pids.len() == 2
        })
        .await;
    assert_eq!(pids.len(), 2);
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
