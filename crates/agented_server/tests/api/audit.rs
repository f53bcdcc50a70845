use agented_test_support::TestApp;
use serde_json::{Value, json};

async fn entries(app: &TestApp, query: &str) -> Value {
    let res = app.get(&format!("/admin/audit{query}")).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn key_operations_are_audited_with_actor_outcome_and_redacted_changes() {
    let app = TestApp::spawn().await;
    let created: Value = app
        .client
        .post(app.url("/admin/api-keys"))
        .json(&json!({"name": "ci", "scope": "read"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let duplicate = app.client.post(app.url("/admin/api-keys")).json(&json!({"name": "ci"})).send().await.unwrap();
    assert_eq!(duplicate.status(), 409);
    app.client.delete(app.url(&format!("/admin/api-keys/{id}"))).send().await.unwrap();

    let page = entries(&app, "?entity_type=api_key").await;
    let list = page["entries"].as_array().unwrap();
    let summary: Vec<(String, String, u64)> = list
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["outcome"].as_str().unwrap().to_owned(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("api_key.revoke".into(), "success".into(), 200),
            ("api_key.create".into(), "failure".into(), 409),
            ("api_key.create".into(), "success".into(), 201),
            ("api_key.create".into(), "success".into(), 0),
        ],
        "newest first, the start-up key last"
    );
    let create = &list[2];
    assert!(create["actor"].as_str().unwrap().starts_with("admin (created at start-up"), "{create}");
    assert_eq!(create["entity_id"], id);
    assert_eq!(create["changes"]["name"], "ci");
    assert!(create["request_id"].is_string());
    let text = serde_json::to_string(&page).unwrap();
    assert!(!text.contains(created["key"].as_str().unwrap()), "the audit log never holds a key");
}

#[tokio::test]
async fn reads_and_refused_requests_are_not_audited() {
    let app = TestApp::spawn().await;
    app.get("/admin/api-keys").await;
    app.anonymous.post(app.url("/admin/api-keys")).json(&json!({"name": "x"})).send().await.unwrap();
    let page = entries(&app, "").await;
    assert_eq!(page["total"], 1, "only the start-up key's creation: {page}");
}

#[tokio::test]
async fn the_audit_trail_pages_and_filters() {
    let app = TestApp::spawn().await;
    for n in 0..5 {
        app.create_key(&format!("k{n}"), "read").await;
    }
    let page = entries(&app, "?limit=2&offset=1&action=api_key.create&outcome=success").await;
    assert_eq!((page["total"].as_u64(), page["limit"].as_u64(), page["offset"].as_u64()), (Some(6), Some(2), Some(1)));
    assert_eq!(page["entries"].as_array().unwrap().len(), 2);
    assert_eq!(page["entries"][0]["changes"]["name"], "k3");
    assert_eq!(entries(&app, "?outcome=failure").await["total"], 0);
    let future = entries(&app, "?since=2999-01-01T00:00:00Z").await;
    assert_eq!(future["total"], 0);
    for bad in ["?limit=0", "?limit=501", "?outcome=maybe", "?since=yesterday", "?colour=red"] {
        let res = app.get(&format!("/admin/audit{bad}")).await;
        assert_eq!(res.status(), 400, "{bad}");
        assert!(res.json::<Value>().await.unwrap()["error"].is_string());
    }
}
