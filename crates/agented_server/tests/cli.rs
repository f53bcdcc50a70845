//! The `agented` binary as an operator runs it: real processes, real files.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

mod process;

use agented_test_support::workspace_root;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use process::{agented, sigterm, spawn_server, wait_for_exit};
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

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

/// Starts the binary with one variable set, expects it to refuse with exit code 2 and
/// one line on stderr, having created nothing; returns that line.
fn refused_start(name: &str, value: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = run(agented(dir.path()).env(name, value));
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!dir.path().join("data").exists(), "nothing is created when the configuration is invalid");
    err
}

#[test]
fn an_invalid_value_stops_start_up_with_one_line_naming_the_key() {
    let err = refused_start("AGENTED__SERVER__BIND", "not-an-address");
    assert!(err.contains("AGENTED__SERVER__BIND") && err.contains("not-an-address"), "{err}");
}

#[test]
fn a_configured_key_shorter_than_32_characters_stops_start_up_with_one_line() {
    let err = refused_start("AGENTED_API_KEY", "x");
    assert!(err.contains("AGENTED__AUTH__API_KEY") && err.contains("at least 32 characters"), "{err}");
}

#[test]
fn a_worker_refuses_bad_flags_with_one_line_naming_the_key_before_creating_anything() {
    for (flags, named) in
        [(vec!["--max-parallel-runs", "0"], "max_parallel_runs"), (vec!["--labels", "claude,a=b=c"], "labels")]
    {
        let dir = tempfile::tempdir().unwrap();
        let out = run(agented(dir.path()).arg("worker").args(&flags));
        assert_eq!(out.status.code(), Some(2), "{flags:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.to_lowercase().contains(named), "{flags:?}: {err}");
        assert!(!dir.path().join("data").exists(), "nothing is created");
    }
    let dir = tempfile::tempdir().unwrap();
    let help = run(agented(dir.path()).arg("--help"));
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("worker") && text.contains("Run jobs only"), "{text}");
    let serve = run(agented(dir.path()).args(["serve", "--help"]));
    assert!(String::from_utf8_lossy(&serve.stdout).contains("--no-worker"));
}

#[test]
fn config_prints_the_effective_configuration_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(agented(dir.path())
        .arg("config")
        .env("SECRET_KEY", "do-not-print-this-secret-key-0123456789")
        .env("AGENTED_API_KEY", "do-not-print-api-key-0123456789abcdef")
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

#[test]
fn workflow_files_are_validated_with_their_lines_imported_and_exported_back() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("release.yaml");
    let text = "\
kind: workflow
name: Release notes
graph:
  nodes:
    - id: start
      type: trigger
    - id: echo
      type: command
      config:
        argv: [echo, release-notes-ready]
  edges:
    - source: start
      target: echo
";
    std::fs::write(&file, text).unwrap();
    let out = run(agented(dir.path()).args(["workflow", "validate"]).arg(&file));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("workflow 'Release notes' is valid (2 nodes, 1 edges)"));

    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        text.replace("target: echo", "target: ghost").replace("argv: [echo, release-notes-ready]", "argv: []"),
    )
    .unwrap();
    let out = run(agented(dir.path()).args(["workflow", "validate"]).arg(&broken));
    assert_eq!(out.status.code(), Some(1));
    let shown = broken.display();
    assert_eq!(
        stderr(&out).lines().collect::<Vec<_>>(),
        [
            format!(
                "{shown}:10: graph.nodes[1].config.argv: a command node needs `argv`: the program and its arguments, as a list of strings (or `command` as one line, split without a shell)"
            ),
            format!("{shown}:13: graph.edges[0].target: 'ghost' is not a node of this workflow"),
        ]
    );
    let out = run(agented(dir.path()).args(["workflow", "import"]).arg(&broken));
    assert_eq!(out.status.code(), Some(1), "a broken file is not imported");

    let out = run(agented(dir.path()).args(["workflow", "import", "--publish"]).arg(&file));
    assert!(out.status.success(), "{}", stderr(&out));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let id = said.split_whitespace().find(|w| w.starts_with("wf-")).unwrap();
    assert!(said.contains("(version 1, published)"), "{said}");
    let out = run(agented(dir.path()).args(["workflow", "export", id]));
    assert!(out.status.success(), "{}", stderr(&out));
    let exported = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        agented_workflows::read_workflow(&exported).unwrap(),
        agented_workflows::read_workflow(text).unwrap(),
        "{exported}"
    );
    let out = run(agented(dir.path()).args(["workflow", "export", "wf-nothere"]));
    assert_eq!((out.status.code(), stderr(&out).trim()), (Some(1), "workflow not found"));

    // Team files go through the same commands, told apart by their kind.
    let team = dir.path().join("team.yaml");
    std::fs::write(&team, "kind: team\nname: Squad\ntopology: parallel\nmembers:\n  - agent_id: agent-ghost\n")
        .unwrap();
    let out = run(agented(dir.path()).args(["workflow", "validate"]).arg(&team));
    assert!(String::from_utf8_lossy(&out.stdout).contains("team 'Squad' is valid (parallel, 1 members)"));
    let out = run(agented(dir.path()).args(["workflow", "import"]).arg(&team));
    assert_eq!(
        (out.status.code(), stderr(&out).trim().to_owned()),
        (Some(1), format!("{}:5: members[0].agent_id: no agent agent-ghost here: create it first", team.display()))
    );
    std::fs::write(&team, "kind: team\nname: Squad\ntopology: parallel\n").unwrap();
    let out = run(agented(dir.path()).args(["workflow", "import"]).arg(&team));
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let id = said.split_whitespace().find(|w| w.starts_with("team-")).unwrap().trim_end_matches('.');
    let out = run(agented(dir.path()).args(["workflow", "export", id]));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "kind: team\nname: Squad\ndescription: \"\"\nenabled: true\ntopology: parallel\nmembers: []\n"
    );
}

#[test]
fn import_python_reports_what_it_would_do_then_does_it_once_and_refuses_a_foreign_file_whole() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("old.db");
    std::fs::copy(workspace_root().join("crates/agented_store/tests/fixtures/python-agented/agented-v010.db"), &source)
        .unwrap();
    let import = |extra: &[&str]| run(agented(dir.path()).arg("import-python").arg(&source).args(extra));
    let report = |file: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(file)).unwrap()).unwrap()
    };
    let imported = |r: &serde_json::Value, table: &str| {
        r["tables"].as_array().unwrap().iter().find(|t| t["source_table"] == table).unwrap()["imported"]
            .as_u64()
            .unwrap()
    };

    let dry = import(&["--dry-run", "--report", "dry.json"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    let printed = String::from_utf8_lossy(&dry.stdout).into_owned();
    assert!(printed.contains("dry run, nothing written"), "{printed}");
    assert_eq!(report("dry.json")["dry_run"], true);
    assert_eq!(imported(&report("dry.json"), "execution_logs"), 16);

    let first = import(&["--report", "first.json", "--timezone", "Asia/Seoul"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let r = report("first.json");
    assert_eq!(r["timezone"], "Asia/Seoul (given)");
    assert_eq!(imported(&r, "triggers"), 7);
    assert_eq!(imported(&r, "execution_logs"), 16);
    assert!(String::from_utf8_lossy(&first.stdout).contains("budget_limits 1: agent budgets have no counterpart"));

    let second = import(&["--report", "second.json"]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(report("second.json")["tables"].as_array().unwrap().iter().all(|t| t["imported"] == 0));

    let foreign = dir.path().join("notes.db");
    SqliteConnection::establish(foreign.to_str().unwrap())
        .unwrap()
        .batch_execute("CREATE TABLE notes (body TEXT)")
        .unwrap();
    let refused = run(agented(dir.path()).arg("import-python").arg(&foreign));
    assert!(!refused.status.success());
    assert!(stderr(&refused).contains("not a Python Agented database"), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("nothing was written"), "{}", stderr(&refused));
}
