//! What a run can reach: its environment starts empty (an allowlist, the
//! backend's and account's variables, the operator's additions), never holds
//! the server's secrets, and its default working directory is outside the data
//! directory, whose files are private to the server's user.

use crate::support::{create_trigger, run, wait_for_end};
use agented_test_support::{TestApp, client};
use serde_json::{Value, json};
use std::os::unix::fs::PermissionsExt;

const API_KEY: &str = "operator-key-0123456789abcdef0123456789";
const SECRET_KEY: &str = "server-secret-key-0123456789abcdef0123456789abcdef";
const GITHUB_SECRET: &str = "github-webhook-secret-value";

/// A shell that prints its environment, its directory, and every data file a
/// relative path of `..` steps from there reaches.
fn probe_backend() -> Value {
    let script = "env; echo cwd=$(pwd); p=.; for i in 1 2 3 4 5 6 7 8 9 10; do \
                  for f in agented.db secret_key jobs.db; do [ -e $p/$f ] && echo reached=$p/$f; done; p=$p/..; done; true";
    json!({ "name": "Environment probe", "command": "sh", "args": ["-c", script, "{prompt}"] })
}

#[tokio::test]
async fn a_run_gets_only_the_allowlist_and_named_variables_and_never_the_servers_secrets() {
    let home = tempfile::tempdir().unwrap();
    let mut app = TestApp::builder()
        .env("AGENTED_API_KEY", API_KEY)
        .env("SECRET_KEY", SECRET_KEY)
        .env("GITHUB_WEBHOOK_SECRET", GITHUB_SECRET)
        .env("HOME", &home.path().display().to_string())
        .env("LANG", "C.UTF-8")
        .env("RUN_PROXY", "http://proxy.internal:3128")
        .env("NOT_FOR_RUNS", "kept-on-the-server")
        .env("AGENTED__RUNNER__ENV_PASSTHROUGH", "RUN_PROXY")
        .spawn()
        .await;
    let operator = client(Some(API_KEY));
    let res = operator.post(app.url("/admin/backends")).json(&probe_backend()).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let backend: Value = res.json().await.unwrap();
    app.client = operator;
    let trigger = create_trigger(&app, json!({ "backend_id": backend["id"] })).await;
    let done = wait_for_end(&app, &run(&app, &trigger, "hello").await).await;
    assert_eq!(done["status"], "success", "{done}");
    let stdout = done["stdout_log"].as_str().unwrap();

    for secret in [API_KEY, SECRET_KEY, GITHUB_SECRET, "kept-on-the-server"] {
        assert!(!stdout.contains(secret), "a run saw {secret}:\n{stdout}");
    }
    let (env, rest) = stdout.split_once("cwd=").unwrap();
    let names: Vec<&str> = env.lines().filter_map(|l| l.split_once('=').map(|(n, _)| n)).collect();
    // What the shell adds of its own (PWD and friends) is not inherited.
    let shell_own = ["PWD", "OLDPWD", "SHLVL", "_"];
    let unexpected: Vec<&&str> = names
        .iter()
        .filter(|n| {
            !["PATH", "HOME", "LANG", "RUN_PROXY", "AGENTED_EXECUTION_ID"].contains(n) && !shell_own.contains(n)
        })
        .collect();
    assert!(unexpected.is_empty(), "unexpected variables {unexpected:?}:\n{env}");
    assert!(env.contains(&format!("HOME={}\n", home.path().display())), "{env}");
    assert!(env.contains("RUN_PROXY=http://proxy.internal:3128\n") && env.contains("LANG=C.UTF-8\n"), "{env}");

    // The default working directory is outside the data directory: no `..` climb reaches its files.
    let cwd = std::path::PathBuf::from(rest.lines().next().unwrap());
    let data = app.data_dir.canonicalize().unwrap();
    assert!(!cwd.starts_with(&data) && !data.starts_with(&cwd), "{} vs {}", cwd.display(), data.display());
    assert!(cwd.ancestors().all(|a| a != data), "{}", cwd.display());
    assert!(!stdout.contains("reached="), "a relative path reached a data file:\n{stdout}");

    // And those files are the server's user's alone.
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&app.data_dir), 0o700);
    // (On PostgreSQL neither file exists: the store and the queue are in the database.)
    for file in app.sqlite_file().into_iter().flat_map(|db| [db, app.data_dir.join("jobs.db")]) {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
}

#[tokio::test]
async fn accounts_and_backends_may_not_name_the_servers_variables() {
    let app = TestApp::spawn().await;
    for name in ["AGENTED_API_KEY", "SECRET_KEY", "GITHUB_WEBHOOK_SECRET", "AGENTED__SECRET_KEY", "sentry_dsn"] {
        let res = app
            .client
            .post(app.url("/admin/backends/backend-claude/accounts"))
            .json(&json!({ "name": format!("acct {name}"), "api_key_env": name }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{name}");
        let body: Value = res.json().await.unwrap();
        assert!(body["details"]["api_key_env"].as_str().unwrap().contains("runs never get it"), "{body}");

        let mut backend = probe_backend();
        backend["name"] = json!(format!("backend {name}"));
        backend["env"] = json!({ name: "x" });
        let res = app.client.post(app.url("/admin/backends")).json(&backend).send().await.unwrap();
        assert_eq!(res.status(), 422, "{name}");
        let body: Value = res.json().await.unwrap();
        assert!(body["details"]["env"].as_str().unwrap().contains("runs never get it"), "{body}");
    }
}

#[tokio::test]
async fn a_working_directory_inside_the_data_directory_is_refused_at_run_time() {
    let app = TestApp::spawn().await;
    let inside = app.data_dir.join("inside");
    let mut backend = probe_backend();
    backend["working_dir"] = json!(inside.display().to_string());
    let res = app.client.post(app.url("/admin/backends")).json(&backend).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let backend: Value = res.json().await.unwrap();
    let trigger = create_trigger(&app, json!({ "backend_id": backend["id"] })).await;
    let done = wait_for_end(&app, &run(&app, &trigger, "hello").await).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert!(done["error_message"].as_str().unwrap().contains("inside the data directory"), "{done}");
    assert!(!done["stdout_log"].as_str().unwrap_or_default().contains("cwd="), "nothing ran: {done}");
}
