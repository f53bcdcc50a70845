//! `/admin/triggers`: validation, conflicts, write-only secrets, paths, preview, status.

use crate::support::{create_trigger, wait_for_end, without_nonces};
use agented_test_support::TestApp;
use serde_json::{Value, json};

#[tokio::test]
async fn invalid_fields_get_422_with_a_message_each() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .post(app.url("/admin/triggers"))
        .json(&json!({
            "name": "",
            "prompt_template": "x",
            "backend_type": "gpt",
            "trigger_source": "cron",
            "schedule_time": "99:99",
            "max_concurrent": 0,
            "concurrency_policy": "drop",
            "paths": [{ "local_project_path": "/no/such/dir" }],
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    for field in [
        "name",
        "backend_type",
        "trigger_source",
        "schedule_time",
        "max_concurrent",
        "concurrency_policy",
        "paths.0.local_project_path",
    ] {
        assert!(body["details"][field].is_string(), "{field} missing: {body}");
    }
    assert_eq!(body["code"], "invalid");
    // Wrong JSON types and unknown fields are refused as invalid values, never a 500.
    let res = app.client.post(app.url("/admin/triggers")).json(&json!({ "name": 5 })).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let res = app
        .client
        .post(app.url("/admin/triggers"))
        .json(&json!({ "bogus": 1, "name": "a", "prompt_template": "b" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let list: Value = app.get("/admin/triggers").await.json().await.unwrap();
    let ids: Vec<&str> = list["triggers"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids.len(),
        agented_triggers::predefined::ALL.len(),
        "only the predefined triggers, nothing half-written: {ids:?}"
    );
    assert!(ids.iter().all(|id| id.starts_with("bot-")), "{ids:?}");
}

#[tokio::test]
async fn all_four_backends_defaults_clamps_and_a_write_only_secret() {
    let app = TestApp::spawn().await;
    for backend in ["claude", "opencode", "gemini", "codex"] {
        create_trigger(&app, json!({ "backend_type": backend })).await;
    }
    let id = create_trigger(&app, json!({ "name": "secretive", "webhook_secret": "s3cr3t", "timeout_seconds": 99999 }))
        .await;
    let t: Value = app.get(&format!("/admin/triggers/{id}")).await.json().await.unwrap();
    assert_eq!(t["timeout_seconds"], 3600);
    assert_eq!(t["sigterm_grace_seconds"], 10);
    assert_eq!(t["text_field_path"], "text");
    assert_eq!(t["has_webhook_secret"], true);
    assert_eq!(t["execution_status"]["status"], "idle");
    let text = app.get(&format!("/admin/triggers/{id}")).await.text().await.unwrap();
    assert!(!text.contains("s3cr3t") && !text.contains("\"webhook_secret\""));
    let list = app.get("/admin/triggers").await.text().await.unwrap();
    assert!(!list.contains("s3cr3t"));
    let fresh = create_trigger(&app, json!({})).await;
    let t: Value = app.get(&format!("/admin/triggers/{fresh}")).await.json().await.unwrap();
    assert_eq!(t["timeout_seconds"], 600);
    assert_eq!(t["trigger_source"], "manual");
}

#[tokio::test]
async fn duplicate_names_conflict_and_predefined_triggers_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    create_trigger(&app, json!({ "name": "Nightly" })).await;
    let res = app
        .client
        .post(app.url("/admin/triggers"))
        .json(&json!({ "name": "Nightly", "prompt_template": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let other = create_trigger(&app, json!({ "name": "Other" })).await;
    let res = app
        .client
        .put(app.url(&format!("/admin/triggers/{other}")))
        .json(&json!({ "name": "Nightly" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let res = app.client.delete(app.url("/admin/triggers/bot-pr-review")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = app.client.delete(app.url(&format!("/admin/triggers/{other}"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(app.get(&format!("/admin/triggers/{other}")).await.status(), 404);
    assert_eq!(app.client.delete(app.url(&format!("/admin/triggers/{other}"))).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn paths_are_added_listed_and_removed() {
    let app = TestApp::spawn().await;
    let id = create_trigger(&app, json!({})).await;
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().display().to_string();
    let url = format!("/admin/triggers/{id}/paths");
    let res = app.client.post(app.url(&url)).json(&json!({ "local_project_path": local })).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let res = app
        .client
        .post(app.url(&url))
        .json(&json!({ "github_repo_url": "https://github.com/acme/api" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    for bad in [
        json!({ "github_repo_url": "https://evil.example/x/y" }),
        json!({ "local_project_path": "relative" }),
        json!({}),
    ] {
        let res = app.client.post(app.url(&url)).json(&bad).send().await.unwrap();
        assert_eq!(res.status(), 422, "{bad}");
    }
    let listed: Value = app.get(&url).await.json().await.unwrap();
    assert_eq!(listed["paths"].as_array().unwrap().len(), 2);
    assert_eq!(listed["paths"][0]["local_project_path"], local.as_str());
    let t: Value = app.get(&format!("/admin/triggers/{id}")).await.json().await.unwrap();
    assert_eq!(t["path_count"], 2);
    let res = app.client.delete(app.url(&url)).json(&json!({ "local_project_path": local })).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.client.delete(app.url(&url)).json(&json!({ "local_project_path": local })).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn preview_fills_placeholders_and_reports_the_unresolved() {
    let app = TestApp::spawn().await;
    let id = create_trigger(
        &app,
        json!({ "prompt_template": "{bot_id}: {message} for {pr_url} {custom}", "skill_command": "/review" }),
    )
    .await;
    let res = app
        .client
        .post(app.url(&format!("/admin/triggers/{id}/preview-prompt")))
        .json(&json!({ "message": "hi" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let preview: Value = res.json().await.unwrap();
    let fenced = "<untrusted-input name=\"message\">\nhi\n</untrusted-input>";
    let rendered = without_nonces(preview["rendered_prompt"].as_str().unwrap());
    assert_eq!(rendered, format!("/review {id}: {fenced} for {{pr_url}} {{custom}}"));
    assert_eq!(preview["unresolved_placeholders"], json!(["pr_url", "custom"]));
    assert_eq!(preview["trigger_id"], id.as_str());
}

#[tokio::test]
async fn running_a_disabled_or_unknown_trigger_is_refused_and_status_follows_the_latest_run() {
    let app = TestApp::spawn().await;
    let res = app.client.post(app.url("/admin/triggers/bot-pr-review/run")).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 400, "the predefined trigger ships disabled");
    let res = app.client.post(app.url("/admin/triggers/trig-zzzzzz/run")).json(&json!({})).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = app
        .client
        .post(app.url("/admin/triggers/trig-zzzzzz/run"))
        .body("not json")
        .header("content-type", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = app
        .client
        .post(app.url("/admin/triggers/bot-pr-review/run"))
        .json(&json!({ "message": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "well-formed JSON of the wrong shape");
    let id = create_trigger(&app, json!({})).await;
    let exec = crate::support::run(&app, &id, "lines=1").await;
    wait_for_end(&app, &exec).await;
    let status: Value = app.get(&format!("/admin/triggers/{id}/status")).await.json().await.unwrap();
    assert_eq!(status["status"], "success");
    assert_eq!(status["execution_id"], exec.as_str());
    let t: Value = app.get(&format!("/admin/triggers/{id}")).await.json().await.unwrap();
    assert!(t["last_run_at"].is_string());
}

#[tokio::test]
async fn the_stall_timeout_takes_0_to_a_day_or_null_and_refuses_anything_else_with_422() {
    let app = TestApp::spawn().await;
    let id = create_trigger(&app, json!({ "stall_timeout_seconds": 86400 })).await;
    let t: Value = app.get(&format!("/admin/triggers/{id}")).await.json().await.unwrap();
    assert_eq!(t["stall_timeout_seconds"], 86400);
    for bad in [json!(-1), json!(86401), json!("ten"), json!(1.5)] {
        let res = app
            .client
            .put(app.url(&format!("/admin/triggers/{id}")))
            .json(&json!({ "stall_timeout_seconds": bad }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "invalid", "{bad}: {body}");
    }
    let t: Value = app.get(&format!("/admin/triggers/{id}")).await.json().await.unwrap();
    assert_eq!(t["stall_timeout_seconds"], 86400, "a refused change changes nothing");
    let fresh = create_trigger(&app, json!({})).await;
    let t: Value = app.get(&format!("/admin/triggers/{fresh}")).await.json().await.unwrap();
    assert_eq!(t["stall_timeout_seconds"], Value::Null, "unset: the server's runner.stall_timeout_seconds");
}

#[tokio::test]
async fn required_labels_are_stored_lower_case_once_each_and_a_bad_label_is_refused_with_422() {
    let app = TestApp::spawn().await;
    let id = create_trigger(&app, json!({ "required_labels": ["GPU", " region=eu ", "gpu"] })).await;
    let t: Value = app.get(&format!("/admin/triggers/{id}")).await.json().await.unwrap();
    assert_eq!(t["required_labels"], json!(["gpu", "region=eu"]));
    let many: Vec<String> = (0..21).map(|n| format!("l{n}")).collect();
    for (bad, says) in [
        (json!(["has space"]), "'has space' is not a label"),
        (json!(["=eu"]), "is not a label"),
        (json!(many), "at most 20 entries"),
        (json!("gpu"), "invalid request body"),
    ] {
        let res = app
            .client
            .put(app.url(&format!("/admin/triggers/{id}")))
            .json(&json!({ "required_labels": bad }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{bad}");
        let body: Value = res.json().await.unwrap();
        assert!(body.to_string().contains(says), "{bad}: {body}");
    }
    let t: Value = app.get(&format!("/admin/triggers/{id}")).await.json().await.unwrap();
    assert_eq!(t["required_labels"], json!(["gpu", "region=eu"]), "a refused change changes nothing");
    let cleared =
        app.client.put(app.url(&format!("/admin/triggers/{id}"))).json(&json!({ "required_labels": [] })).send();
    assert_eq!(cleared.await.unwrap().status(), 200);
    let t: Value = app.get(&format!("/admin/triggers/{id}")).await.json().await.unwrap();
    assert_eq!(t["required_labels"], json!([]), "empty: any worker");
}
