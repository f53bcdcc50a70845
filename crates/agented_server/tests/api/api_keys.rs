use agented_test_support::TestApp;
use serde_json::{Value, json};

async fn post(app: &TestApp, body: Value) -> (u16, Value) {
    let res = app.client.post(app.url("/admin/api-keys")).json(&body).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

#[tokio::test]
async fn a_created_key_is_shown_once_and_listed_without_its_secret() {
    let app = TestApp::spawn().await;
    let (status, created) = post(&app, json!({"name": "deploy bot", "scope": "admin"})).await;
    assert_eq!(status, 201);
    let key = created["key"].as_str().unwrap();
    assert!(key.starts_with("agd_") && key.len() == 52, "{key}");
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));
    assert_eq!((created["scope"].as_str(), created["status"].as_str()), (Some("admin"), Some("active")));
    assert!(created["warning"].as_str().unwrap().contains("only once"));

    let listing = app.get("/admin/api-keys").await.text().await.unwrap();
    assert!(!listing.contains(key), "the list must never contain a key");
    let listing: Value = serde_json::from_str(&listing).unwrap();
    assert_eq!(listing["total"], 2, "the start-up key and this one");
    assert_eq!(listing["api_keys"][0]["name"], "deploy bot");
}

#[tokio::test]
async fn the_default_scope_is_read() {
    let app = TestApp::spawn().await;
    let (status, created) = post(&app, json!({"name": "dashboard viewer"})).await;
    assert_eq!((status, created["scope"].as_str()), (201, Some("read")));
}

#[tokio::test]
async fn bad_key_requests_are_refused_with_clear_errors_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let (status, body) = post(&app, json!({"name": "  "})).await;
    assert_eq!((status, body["code"].as_str()), (422, Some("invalid")));
    assert!(body["details"]["name"].as_str().unwrap().contains("empty"), "{body}");

    let (status, body) = post(&app, json!({"name": "x", "scope": "root"})).await;
    assert_eq!(status, 422);
    assert!(body["details"]["scope"].as_str().unwrap().contains("admin or read"), "{body}");

    let (status, body) = post(&app, json!({"name": "x", "scopes": "read"})).await;
    assert_eq!(status, 422, "unknown fields are refused: {body}");
    assert!(body["error"].as_str().unwrap().contains("unknown field"), "{body}");

    let res = app
        .client
        .post(app.url("/admin/api-keys"))
        .header("content-type", "application/json")
        .body("{\"name\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    post(&app, json!({"name": "ci"})).await;
    let (status, body) = post(&app, json!({"name": "ci"})).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")));

    let listing: Value = app.get("/admin/api-keys").await.json().await.unwrap();
    assert_eq!(listing["total"], 2, "only the start-up key and the first 'ci'");
}

#[tokio::test]
async fn revoking_twice_or_an_unknown_key_is_refused() {
    let app = TestApp::spawn().await;
    let (_, created) = post(&app, json!({"name": "temp"})).await;
    let path = format!("/admin/api-keys/{}", created["id"].as_str().unwrap());
    let first = app.client.delete(app.url(&path)).send().await.unwrap();
    assert_eq!(first.status(), 200);
    let body: Value = first.json().await.unwrap();
    assert_eq!(body["status"], "revoked");
    assert!(body["revoked_at"].is_string());
    assert_eq!(app.client.delete(app.url(&path)).send().await.unwrap().status(), 409);
    assert_eq!(app.client.delete(app.url("/admin/api-keys/key_missing")).send().await.unwrap().status(), 404);
}
