//! `/admin/backends`: detection of the CLIs and custom command backends.

use agented_test_support::TestApp;
use serde_json::{Value, json};

#[tokio::test]
async fn the_four_clis_are_detected_with_path_and_version() {
    let app = TestApp::spawn().await;
    let list: Value = app.get("/admin/backends").await.json().await.unwrap();
    let backends = list["backends"].as_array().unwrap();
    for name in ["claude", "codex", "gemini", "opencode"] {
        let b = backends.iter().find(|b| b["backend_type"] == name).unwrap();
        assert_eq!(b["is_installed"], true, "{b}");
        assert_eq!(b["path"], app.fake_bin.join(name).display().to_string());
        assert_eq!(b["version"], format!("{name} 9.9.9 (fake-bot)"));
    }
    let claude = backends.iter().find(|b| b["id"] == "backend-claude").unwrap();
    assert!(claude["models"].as_array().unwrap().contains(&json!("sonnet")));
    // Uninstall one and re-detect.
    std::fs::remove_file(app.fake_bin.join("gemini")).unwrap();
    let res = app.client.post(app.url("/admin/backends/backend-gemini/check")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let gemini: Value = res.json().await.unwrap();
    assert_eq!(gemini["is_installed"], false);
    assert_eq!(app.client.post(app.url("/admin/backends/backend-nope/check")).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn custom_backends_are_validated_unique_and_deletable_but_builtins_are_not() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .post(app.url("/admin/backends"))
        .json(&json!({ "name": "x", "command": "two words", "args": ["no prompt"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["details"]["args"].is_string() && body["details"]["command"].is_string(), "{body}");
    let good =
        json!({ "name": "Aider", "command": "aider", "args": ["--message", "{prompt}"], "env": { "AIDER_YES": "1" } });
    let res = app.client.post(app.url("/admin/backends")).json(&good).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["env_names"], json!(["AIDER_YES"]));
    assert_eq!(app.client.post(app.url("/admin/backends")).json(&good).send().await.unwrap().status(), 409);
    let id = created["id"].as_str().unwrap();
    assert_eq!(app.client.delete(app.url(&format!("/admin/backends/{id}"))).send().await.unwrap().status(), 200);
    assert_eq!(app.client.delete(app.url(&format!("/admin/backends/{id}"))).send().await.unwrap().status(), 404);
    assert_eq!(app.client.delete(app.url("/admin/backends/backend-claude")).send().await.unwrap().status(), 403);
    // A trigger cannot point at a backend that is not a custom one.
    let res = app
        .client
        .post(app.url("/admin/triggers"))
        .json(&json!({ "name": "t", "prompt_template": "p", "backend_id": "backend-claude" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
}
