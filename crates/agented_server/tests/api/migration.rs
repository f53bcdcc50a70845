//! Migration from the Python Agented over HTTP: its database uploaded and
//! imported with progress (a copy of the shared fixture), then the original's
//! own requests (integer account ids, budget limits, settings, running runs,
//! trigger fields it sent) answered by the server.

use crate::support::{create_trigger, send};
use agented_test_support::{TestApp, client, workspace_root};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

fn fixture() -> Vec<u8> {
    std::fs::read(workspace_root().join("crates/agented_store/tests/fixtures/python-agented/agented-v010.db")).unwrap()
}

/// Uploads `bytes` and answers the import once it ended.
async fn import(app: &TestApp, bytes: Vec<u8>, dry_run: bool) -> Value {
    let res = app
        .client
        .post(app.url(&format!("/admin/import/python?dry_run={dry_run}")))
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = res.status();
    let started: Value = res.json().await.unwrap();
    assert_eq!(status, 202, "{started}");
    assert_eq!(started["status"], "running");
    let id = started["id"].as_str().unwrap().to_owned();
    for _ in 0..600 {
        let job: Value = app.get(&format!("/admin/import/python/{id}")).await.json().await.unwrap();
        if job["status"] != "running" {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("import {id} never ended")
}

fn imported(job: &Value, table: &str) -> u64 {
    let tables = job["report"]["tables"].as_array().unwrap();
    tables.iter().find(|t| t["source_table"] == table).unwrap()["imported"].as_u64().unwrap()
}

#[tokio::test]
async fn the_originals_database_is_uploaded_imported_once_and_its_triggers_listed() {
    let app = TestApp::spawn().await;
    let dry = import(&app, fixture(), true).await;
    assert_eq!(dry["status"], "succeeded", "{dry}");
    assert_eq!(dry["dry_run"], true);
    assert_eq!(imported(&dry, "triggers"), 7);
    let (_, list) = send(&app, Method::GET, "/admin/triggers", None).await;
    assert!(!list.to_string().contains("Deploy Hook"), "a dry run wrote");

    let job = import(&app, fixture(), false).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    assert_eq!(job["progress"]["done"], job["progress"]["total"]);
    assert_eq!(imported(&job, "execution_logs"), 16);
    assert_eq!(job["report"]["timezone"].as_str().unwrap().get(..9), Some("UTC+09:00"));
    assert_eq!(job["report"]["source"], "the uploaded file", "no server path in the report");
    let (_, list) = send(&app, Method::GET, "/admin/triggers", None).await;
    let names: Vec<&str> = list["triggers"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    for name in ["Deploy Hook", "Monthly Cost Review", "Weekly Report (Berlin)", "Weekly Security Audit"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let (status, run) = send(&app, Method::GET, "/admin/executions/exec-trig-5m6ovb-20261206T112118-27tz", None).await;
    assert_eq!((status, run["status"].as_str(), run["exit_code"].as_i64()), (200, Some("failed"), Some(3)));

    let again = import(&app, fixture(), false).await;
    let tables = again["report"]["tables"].as_array().unwrap();
    assert!(tables.iter().all(|t| t["imported"] == 0), "a second import wrote: {again}");
    let (_, listed) = send(&app, Method::GET, "/admin/import/python", None).await;
    assert_eq!(listed["imports"].as_array().unwrap().len(), 3);
    // Uploads do not outlive their import.
    assert_eq!(std::fs::read_dir(app.data_dir.join("imports")).unwrap().count(), 0);
}

#[tokio::test]
async fn bad_uploads_are_refused_clearly_and_write_nothing() {
    let app = TestApp::spawn().await;
    let res = app.client.post(app.url("/admin/import/python")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("database file"), "{body}");

    let foreign = import(&app, b"SQLite format 3\0 but not really".to_vec(), false).await;
    assert_eq!(foreign["status"], "failed");
    assert_eq!(foreign["error"], "cannot read the uploaded file: file is not a database", "no server path: {foreign}");
    assert!(foreign["report"].is_null());

    let reader = app.create_key("reader", "read").await;
    let res = client(Some(&reader)).post(app.url("/admin/import/python")).body(fixture()).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let (status, _) = send(&app, Method::GET, "/admin/import/python/imp-nothere", None).await;
    assert_eq!(status, 404);
    let (status, _) = send(&app, Method::GET, "/admin/import/python?dry_run=maybe", None).await;
    assert_eq!(status, 200, "a list takes no query it would misread");
    let res = app.client.post(app.url("/admin/import/python?dry_run=maybe")).body(fixture()).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let (_, list) = send(&app, Method::GET, "/admin/triggers", None).await;
    assert!(!list.to_string().contains("Deploy Hook"));
}

#[tokio::test]
async fn the_originals_integer_account_ids_and_account_health_paths_work_on_imported_accounts() {
    let app = TestApp::spawn().await;
    assert_eq!(import(&app, fixture(), false).await["status"], "succeeded");
    let (status, account) = send(&app, Method::GET, "/admin/backends/backend-claude/accounts/2", None).await;
    assert_eq!((status, account["id"].as_str()), (200, Some("acct-py2")), "{account}");
    assert_eq!(account["name"], "Personal Pro");

    let (status, health) = send(&app, Method::GET, "/admin/orchestration/health", None).await;
    assert_eq!(status, 200);
    assert_eq!(health["accounts"].as_array().unwrap().len(), 4);
    let (status, cleared) = send(&app, Method::POST, "/admin/orchestration/accounts/2/clear-rate-limit", None).await;
    assert_eq!((status, cleared["message"].as_str()), (200, Some("Rate limit cleared")), "{cleared}");
    assert_eq!(cleared["account"]["is_rate_limited"], false);
    let (status, _) = send(&app, Method::POST, "/admin/orchestration/accounts/99/clear-rate-limit", None).await;
    assert_eq!(status, 404);
    let (status, _) = send(&app, Method::POST, "/admin/orchestration/accounts/x%20y/clear-rate-limit", None).await;
    assert_eq!(status, 404);

    // A chain entry may name an account by the original's integer id.
    let trigger =
        create_trigger(&app, json!({"fallback_chain": [{"backend_id": "backend-claude", "account_id": 1}]})).await;
    let (_, chain) = send(&app, Method::GET, &format!("/admin/triggers/{trigger}/fallback-chain"), None).await;
    assert_eq!(chain["entries"][0]["account_id"], "acct-py1");
}

#[tokio::test]
async fn budget_limits_are_one_per_entity_set_by_upsert_with_clear_refusals() {
    let app = TestApp::spawn().await;
    assert_eq!(import(&app, fixture(), false).await["status"], "succeeded");
    let (status, limits) = send(&app, Method::GET, "/admin/budgets/limits", None).await;
    assert_eq!(status, 200);
    let entities: Vec<&str> =
        limits["limits"].as_array().unwrap().iter().map(|l| l["entity_id"].as_str().unwrap()).collect();
    assert_eq!(entities.len(), 2, "{limits}");
    assert!(entities.contains(&"trig-21exdw") && entities.contains(&"trig-ksavr9"));

    let body = json!({"entity_type": "trigger", "entity_id": "trig-21exdw", "period": "weekly", "hard_limit_usd": 3.5});
    let (status, set) = send(&app, Method::PUT, "/admin/budgets/limits", Some(body)).await;
    assert_eq!(status, 200, "{set}");
    assert_eq!((set["period"].as_str(), set["hard_limit_usd"].as_f64()), (Some("weekly"), Some(3.5)));
    assert_eq!(set["current_spend_usd"], 0.0);
    let (_, one) = send(&app, Method::GET, "/admin/budgets/limits/trigger/trig-21exdw", None).await;
    assert_eq!(one["id"], set["id"], "the import's budget was changed, not a second one made");

    for (body, field) in [
        (json!({"entity_type": "agent", "entity_id": "agent-1b7495", "soft_limit_usd": 1}), "entity_type"),
        (json!({"entity_type": "trigger", "soft_limit_usd": 1}), "entity_id"),
        (json!({"entity_type": "trigger", "entity_id": "trig-21exdw"}), "soft_limit_usd"),
        (json!({"entity_type": "trigger", "entity_id": "trig-nothere", "soft_limit_usd": 1}), "entity_id"),
    ] {
        let (status, err) = send(&app, Method::PUT, "/admin/budgets/limits", Some(body)).await;
        assert_eq!(status, 422, "{err}");
        assert!(err["details"][field].is_string(), "{field}: {err}");
    }
    let (status, err) = send(&app, Method::PUT, "/admin/budgets/limits", Some(json!({"entity": "x"}))).await;
    assert_eq!(status, 422, "an unknown field: {err}");

    let (status, _) = send(&app, Method::DELETE, "/admin/budgets/limits/trigger/trig-21exdw", None).await;
    assert_eq!(status, 204);
    let (status, _) = send(&app, Method::GET, "/admin/budgets/limits/trigger/trig-21exdw", None).await;
    assert_eq!(status, 404);
    let (status, _) = send(&app, Method::DELETE, "/admin/budgets/limits/trigger/trig-21exdw", None).await;
    assert_eq!(status, 404);
    let (status, _) = send(&app, Method::GET, "/admin/budgets/limits/team/team-9e91xg", None).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn settings_running_runs_backends_audit_events_and_the_version_answer_the_originals_paths() {
    let app = TestApp::spawn().await;
    assert_eq!(import(&app, fixture(), false).await["status"], "succeeded");

    let (status, all) = send(&app, Method::GET, "/api/settings/", None).await;
    assert_eq!((status, all["settings"]["ui.theme"].as_str()), (200, Some("dark")), "{all}");
    let (status, set) =
        send(&app, Method::PUT, "/api/settings/default_timeout_seconds", Some(json!({"value": 1200}))).await;
    assert_eq!((status, set["value"].as_str()), (200, Some("1200")), "numbers are kept as their text");
    let (_, one) = send(&app, Method::GET, "/api/settings/default_timeout_seconds", None).await;
    assert_eq!(one, json!({"key": "default_timeout_seconds", "value": "1200"}));
    let (status, gone) = send(&app, Method::DELETE, "/api/settings/ui.theme", None).await;
    assert_eq!((status, gone["message"].as_str()), (200, Some("Setting deleted")));
    for (method, path, body, want) in [
        (Method::GET, "/api/settings/ui.theme", None, 404),
        (Method::DELETE, "/api/settings/ui.theme", None, 404),
        (Method::PUT, "/api/settings/a%20b", Some(json!({"value": "x"})), 422),
        (Method::PUT, "/api/settings/ok", Some(json!({"value": {"nested": 1}})), 422),
        (Method::PUT, "/api/settings/ok", Some(json!({"other": "x"})), 422),
    ] {
        let (status, err) = send(&app, method.clone(), path, body).await;
        assert_eq!(status, want, "{method} {path}: {err}");
        assert!(err["error"].is_string(), "{err}");
    }

    let (status, running) = send(&app, Method::GET, "/admin/executions/running", None).await;
    assert_eq!((status, running["total"].as_u64()), (200, Some(0)), "{running}");
    let (status, one) = send(&app, Method::GET, "/admin/triggers/trig-21exdw/executions/running", None).await;
    assert_eq!((status, one), (200, json!({"running": false})));
    let (status, _) = send(&app, Method::GET, "/admin/triggers/trig-nothere/executions/running", None).await;
    assert_eq!(status, 404);

    let (status, backend) = send(&app, Method::GET, "/admin/backends/backend-claude", None).await;
    assert_eq!((status, backend["backend_type"].as_str()), (200, Some("claude")));
    let (status, _) = send(&app, Method::GET, "/admin/backends/backend-nope", None).await;
    assert_eq!(status, 404);

    let (status, events) = send(&app, Method::GET, "/api/audit/events?limit=2", None).await;
    assert_eq!(status, 200);
    assert_eq!(events["events"].as_array().unwrap().len(), 2, "{events}");
    assert_eq!(events["total"], 2);
    let (status, _) = send(&app, Method::GET, "/api/audit/events?limit=0", None).await;
    assert_eq!(status, 400);

    let (status, version) = send(&app, Method::GET, "/api/version", None).await;
    assert_eq!((status, version["version"].as_str()), (200, Some(env!("CARGO_PKG_VERSION"))));
}

#[tokio::test]
async fn a_trigger_takes_the_originals_extra_fields_with_warnings_and_a_fetched_trigger_sent_back() {
    let app = TestApp::spawn().await;
    let body = json!({
        "name": "group bot", "prompt_template": "{message}", "trigger_source": "webhook",
        "group_id": 4, "auto_resolve": true, "execution_mode": "direct", "team_id": null,
    });
    let (status, created) = send(&app, Method::POST, "/admin/triggers/", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let warnings = created["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 2, "{created}");
    assert!(warnings[0].as_str().unwrap().starts_with("group_id is ignored"));
    let id = created["trigger_id"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = json!({"local_project_path": dir.path()});
    assert_eq!(send(&app, Method::POST, &format!("/admin/triggers/{id}/paths"), Some(path)).await.0, 201);

    let (_, mut fetched) = send(&app, Method::GET, &format!("/admin/triggers/{id}"), None).await;
    fetched["model"] = json!("opus");
    let (status, updated) = send(&app, Method::PUT, &format!("/admin/triggers/{id}"), Some(fetched.clone())).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["model"], "opus");
    assert!(updated.get("warnings").is_none(), "{updated}");

    fetched["paths"] = json!([{"local_project_path": "/somewhere/else"}]);
    let (status, err) = send(&app, Method::PUT, &format!("/admin/triggers/{id}"), Some(fetched)).await;
    assert_eq!(status, 422, "{err}");
    assert!(err["details"]["paths"].as_str().unwrap().contains("/paths"));
}
