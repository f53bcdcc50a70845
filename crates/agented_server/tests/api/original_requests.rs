//! The request shapes `COMPATIBILITY.md` documents, sent the way the Python
//! Agented's clients send them (trailing slashes, its field names, its bodies)
//! and answered in its shapes: one test per documented shape group.

use crate::support::{send, wait_for_end};
use agented_test_support::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

async fn create(app: &TestApp, name: &str) -> String {
    let body = json!({"name": name, "prompt_template": "Review {message} in {paths}", "backend_type": "claude"});
    let (status, created) = send(app, Method::POST, "/admin/triggers/", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["message"], "Trigger created");
    assert_eq!(created["name"], name);
    created["trigger_id"].as_str().unwrap().to_owned()
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[tokio::test]
async fn trigger_list_create_get_update_delete_in_the_originals_shapes() {
    let app = TestApp::spawn().await;
    let id = create(&app, "compat bot").await;
    assert!(id.starts_with("trig-") && id.len() == 11, "{id}");
    let (status, dup) =
        send(&app, Method::POST, "/admin/triggers/", Some(json!({"name": "compat bot", "prompt_template": "x"}))).await;
    assert_eq!((status, dup["error"].is_string()), (409, true));

    let (_, list) = send(&app, Method::GET, "/admin/triggers/", None).await;
    let row = list["triggers"].as_array().unwrap().iter().find(|t| t["id"] == id).unwrap().clone();
    assert!(row["path_count"].is_u64() && row["execution_status"].is_object(), "{row}");

    let (_, one) = send(&app, Method::GET, &format!("/admin/triggers/{id}"), None).await;
    assert!(one["paths"].is_array() && one["execution_status"].is_object(), "{one}");
    assert!(one.get("webhook_secret").is_none(), "write-only");
    for field in
        ["backend_type", "trigger_source", "text_field_path", "timeout_seconds", "sigterm_grace_seconds", "created_at"]
    {
        assert!(!one[field].is_null(), "{field} missing: {one}");
    }

    let (status, updated) =
        send(&app, Method::PUT, &format!("/admin/triggers/{id}"), Some(json!({"model": "opus", "timeout_seconds": 5})))
            .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (updated["model"].as_str(), updated["timeout_seconds"].as_i64()),
        (Some("opus"), Some(60)),
        "clamped to 60–3600"
    );
    assert_eq!(updated["name"], "compat bot", "a partial update keeps the rest");

    let (status, refused) = send(&app, Method::DELETE, "/admin/triggers/bot-pr-review", None).await;
    assert_eq!((status, refused["error"].is_string()), (403, true));
    let (status, _) = send(&app, Method::DELETE, &format!("/admin/triggers/{id}"), None).await;
    assert_eq!(status, 200);
    let (status, _) = send(&app, Method::GET, &format!("/admin/triggers/{id}"), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn paths_status_preview_and_a_run_with_its_executions_in_the_originals_shapes() {
    let app = TestApp::spawn().await;
    let id = create(&app, "runner").await;
    let dir = tempfile::tempdir().unwrap();
    let local = json!({"local_project_path": dir.path()});
    assert_eq!(send(&app, Method::POST, &format!("/admin/triggers/{id}/paths"), Some(local.clone())).await.0, 201);
    let repo = json!({"github_repo_url": "https://github.com/acme/app"});
    assert_eq!(send(&app, Method::POST, &format!("/admin/triggers/{id}/paths"), Some(repo.clone())).await.0, 201);
    let (_, paths) = send(&app, Method::GET, &format!("/admin/triggers/{id}/paths"), None).await;
    assert_eq!(paths["paths"].as_array().map(Vec::len), Some(2), "{paths}");
    assert_eq!(send(&app, Method::DELETE, &format!("/admin/triggers/{id}/paths"), Some(repo)).await.0, 200);

    let (_, preview) = send(
        &app,
        Method::POST,
        &format!("/admin/triggers/{id}/preview-prompt"),
        Some(json!({"message": "PR 7 {pr_url} {nope}"})),
    )
    .await;
    assert_eq!(keys(&preview), ["rendered_prompt", "trigger_id", "trigger_name", "unresolved_placeholders"]);
    // The message is fenced as untrusted input, the placeholders inside it left alone.
    let rendered = preview["rendered_prompt"].as_str().unwrap();
    assert!(
        rendered.starts_with("Review <untrusted-input-") && rendered.contains("\nPR 7 {pr_url} {nope}\n"),
        "{preview}"
    );

    let (status, run) =
        send(&app, Method::POST, &format!("/admin/triggers/{id}/run"), Some(json!({"message": "hello"}))).await;
    assert_eq!(status, 202, "{run}");
    for field in ["message", "trigger_id", "status", "execution_id"] {
        assert!(run[field].is_string(), "{field}: {run}");
    }
    let exec = run["execution_id"].as_str().unwrap().to_owned();
    assert!(exec.starts_with(&format!("exec-{id}-")), "{exec}");
    let done = wait_for_end(&app, &exec).await;
    assert_eq!(done["status"], "success", "{done}");
    assert!(done["stdout_log"].is_string() && done.get("stderr_log").is_some(), "{done}");
    for field in [
        "execution_id",
        "trigger_id",
        "trigger_type",
        "started_at",
        "finished_at",
        "duration_ms",
        "prompt",
        "backend_type",
        "command",
        "status",
        "exit_code",
    ] {
        assert!(done.get(field).is_some(), "{field} missing");
    }

    let (_, status) = send(&app, Method::GET, &format!("/admin/triggers/{id}/status"), None).await;
    for field in ["status", "started_at", "finished_at", "error_message", "execution_id"] {
        assert!(status.get(field).is_some(), "{field}: {status}");
    }
    let (_, history) =
        send(&app, Method::GET, &format!("/admin/triggers/{id}/executions?limit=5&offset=0&status=success"), None)
            .await;
    assert_eq!(keys(&history), ["executions", "running_execution", "total", "total_count"]);
    let (_, all) = send(&app, Method::GET, "/admin/executions?limit=500", None).await;
    assert_eq!(keys(&all), ["executions", "total", "total_count"]);
    let (status, _) = send(&app, Method::GET, "/admin/executions?limit=501", None).await;
    assert_eq!(status, 400);
    let (_, searched) = send(&app, Method::GET, &format!("/admin/executions/{exec}?q=hello"), None).await;
    assert_eq!(searched["log_search_query"], "hello");
    assert!(searched["log_match_count"].is_u64(), "{searched}");
    let (status, _) = send(&app, Method::POST, &format!("/admin/executions/{exec}/cancel"), None).await;
    assert_eq!(status, 409, "a finished run cannot be cancelled");

    let (_, disabled) =
        send(&app, Method::PUT, &format!("/admin/triggers/{id}"), Some(json!({"enabled": false}))).await;
    assert_eq!(disabled["enabled"], false);
    let (status, _) =
        send(&app, Method::POST, &format!("/admin/triggers/{id}/run"), Some(json!({"message": "x"}))).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn the_generic_webhook_health_and_backends_answer_as_documented() {
    let app = TestApp::builder().env("AGENTED__GITHUB__WEBHOOK_SECRET", "s3cret-s3cret").spawn().await;
    let post = |body: &'static str| {
        app.anonymous.post(app.url("/")).header("content-type", "application/json").body(body).send()
    };
    let res = post(r#"{"type":"url_verification","challenge":"c-1"}"#).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), json!({"challenge": "c-1"}));
    assert_eq!(post("[1, 2]").await.unwrap().status(), 400, "the body must be a JSON object");
    assert_eq!(app.anonymous.get(app.url("/")).send().await.unwrap().status(), 200);
    assert_eq!(app.client.delete(app.url("/")).send().await.unwrap().status(), 405);
    assert_eq!(app.client.put(app.url("/")).send().await.unwrap().status(), 405);

    let body = r#"{"zen":"ok"}"#;
    let (status, pong) =
        crate::github::send(&app, "/api/webhooks/github/", "ping", body, Some("s3cret-s3cret"), "d-1").await;
    assert_eq!((status, pong), (200, json!({"message": "pong"})));
    let (status, _) = crate::github::send(&app, "/api/webhooks/github/", "ping", body, Some("wrong"), "d-2").await;
    assert_eq!(status, 401);

    assert_eq!(app.anonymous.get(app.url("/health/liveness")).send().await.unwrap().status(), 200);
    let ready: Value = app.anonymous.get(app.url("/health/readiness")).send().await.unwrap().json().await.unwrap();
    assert_eq!(keys(&ready), ["status", "timestamp"], "without a key: exactly these");

    let (_, backends) = send(&app, Method::GET, "/admin/backends/", None).await;
    let builtin: Vec<&str> = backends["backends"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["is_builtin"] == true)
        .map(|b| b["backend_type"].as_str().unwrap())
        .collect();
    assert_eq!(builtin.len(), 4, "{backends}");
    for b in backends["backends"].as_array().unwrap() {
        for field in ["is_installed", "version", "path", "models"] {
            assert!(b.get(field).is_some(), "{field}: {b}");
        }
    }
    let (status, checked) = send(&app, Method::POST, "/admin/backends/backend-claude/check", None).await;
    assert_eq!((status, checked["id"].as_str()), (200, Some("backend-claude")));
}
