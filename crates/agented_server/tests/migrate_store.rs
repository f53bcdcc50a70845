//! `agented migrate-store`: a SQLite installation (the real binary, real runs)
//! moved into PostgreSQL keeps every trigger, run with its log lines, key and
//! budget, and the server on PostgreSQL carries on from there. Needs the test
//! PostgreSQL cluster that `cargo xtask ci` starts (`AGENTED_TEST_POSTGRES_URL`).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

mod process;

use agented_store::Location;
use agented_store::testing::Scratch;
use process::{agented, api, sigterm, spawn_server, status_of, stream, wait_for_exit, with_fake_clis};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

/// Stops the server however the test ends.
struct Stop(Option<std::process::Child>);

impl Drop for Stop {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Stop {
    fn gracefully(mut self) {
        let child = self.0.take().unwrap();
        sigterm(&child);
        assert!(wait_for_exit(child, Duration::from_secs(30)).success());
    }
}

/// Waits for the run's stream to say it is complete (a finished run's stream replays it).
async fn finished(address: &str, id: &str) {
    stream(address, id).await.until(|e| e.name == "complete").await;
}

/// What an operator sees of the installation.
async fn snapshot(address: &str, trigger: &str, run: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    for path in [
        format!("/admin/triggers/{trigger}"),
        format!("/admin/executions/{run}"),
        format!("/admin/executions/{run}/logs"),
        "/admin/api-keys".to_owned(),
        "/admin/budgets".to_owned(),
        "/admin/audit?limit=100".to_owned(),
    ] {
        seen.push(api(address, Method::GET, &path, None).await);
    }
    seen
}

/// `a` and `b` are equal, but for times, which may differ below a microsecond:
/// PostgreSQL keeps microseconds, SQLite's text kept nanoseconds.
fn same(a: &Value, b: &Value) -> bool {
    let time = |v: &str| chrono::DateTime::parse_from_rfc3339(v).ok();
    match (a, b) {
        (Value::String(x), Value::String(y)) => match (time(x), time(y)) {
            (Some(x), Some(y)) => (x - y).num_nanoseconds().is_some_and(|d| d.abs() <= 1_000),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn migrate_store(dir: &Path, to: &str) -> (bool, String) {
    let from = format!("sqlite://{}", dir.join("data/agented.db").display());
    let out = agented(dir).args(["migrate-store", "--from", &from, "--to", to]).output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test]
async fn a_sqlite_install_moved_to_postgres_keeps_triggers_runs_logs_keys_and_budgets() {
    let dir = tempfile::tempdir().unwrap();
    let target = Scratch::postgres();
    let Location::Postgres(url) = target.location().clone() else { unreachable!("a PostgreSQL scratch") };

    // An installation on SQLite, used.
    let (server, address, _) = spawn_server(dir.path(), |cmd| with_fake_clis(dir.path(), cmd));
    let server = Stop(Some(server));
    let body = json!({ "name": "nightly", "prompt_template": "lines=3 {message}" });
    let trigger =
        api(&address, Method::POST, "/admin/triggers", Some(body)).await["trigger_id"].as_str().unwrap().to_owned();
    let path = format!("/admin/triggers/{trigger}/run");
    let run = api(&address, Method::POST, &path, Some(json!({ "message": "go" }))).await["execution_id"]
        .as_str()
        .unwrap()
        .to_owned();
    finished(&address, &run).await;
    api(&address, Method::POST, "/admin/api-keys", Some(json!({ "name": "ci", "scope": "read" }))).await;
    let budget = json!({ "scope": "trigger", "entity_id": trigger, "period": "daily", "hard_limit_usd": 5.0 });
    api(&address, Method::POST, "/admin/budgets", Some(budget)).await;
    let before = snapshot(&address, &trigger, &run).await;
    assert!(before[2]["lines"].as_array().is_some_and(|l| l.len() >= 3), "the run has log lines: {}", before[2]);
    server.gracefully();

    // Moved.
    let (ok, said) = migrate_store(dir.path(), &url);
    assert!(ok, "{said}");
    assert!(said.contains("executions") && said.contains("copied"), "{said}");

    // A second move finds the target in use and writes nothing.
    let (ok, said) = migrate_store(dir.path(), &url);
    assert!(!ok && said.contains("not empty") && said.contains("nothing was written"), "{said}");

    // The server on PostgreSQL shows the same installation, and carries on.
    let (server, address, _) = spawn_server(dir.path(), |cmd| {
        with_fake_clis(dir.path(), cmd);
        cmd.env("AGENTED__DATABASE__URL", &url);
    });
    let server = Stop(Some(server));
    let after = snapshot(&address, &trigger, &run).await;
    assert!(
        same(&Value::from(after.clone()), &Value::from(before.clone())),
        "after the move:\n{after:#?}\nbefore:\n{before:#?}"
    );
    let again = api(&address, Method::POST, &path, Some(json!({ "message": "again" }))).await["execution_id"]
        .as_str()
        .unwrap()
        .to_owned();
    finished(&address, &again).await;
    assert_eq!(status_of(&address, &again).await, "success");
    // Numbered rows (the audit trail) continue after the copied ones: the new run's entry
    // is stored (its id is free) and comes first.
    let audit = api(&address, Method::GET, "/admin/audit?limit=100", None).await;
    assert_eq!(audit["total"].as_u64(), before[5]["total"].as_u64().map(|n| n + 1), "{audit}");
    let ids: Vec<i64> = audit["entries"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    server.gracefully();
}
