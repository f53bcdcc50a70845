use agented_auth::public_routes::is_public;
use agented_test_support::{TestApp, client, workspace_root};
use serde_json::Value;

async fn status_and_code(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn without_a_key_an_admin_route_is_a_401_in_the_envelope() {
    let app = TestApp::spawn().await;
    let res = app.anonymous.get(app.url("/admin/api-keys")).send().await.unwrap();
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"agented\"");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized");
    assert!(body["error"].as_str().unwrap().contains("X-API-Key"), "{body}");
}

#[tokio::test]
async fn a_bad_key_is_a_401_and_a_good_one_passes_in_either_header() {
    let app = TestApp::spawn().await;
    let bad = client(Some("agd_0000")).get(app.url("/admin/session")).send().await.unwrap();
    assert_eq!(status_and_code(bad).await, (401, "unauthorized".into()));
    let by_header = app.get("/admin/session").await;
    assert_eq!(by_header.status(), 200);
    let by_bearer = app.anonymous.get(app.url("/admin/session")).bearer_auth(&app.admin_key).send().await.unwrap();
    let session: Value = by_bearer.json().await.unwrap();
    assert_eq!(session["scope"], "admin");
    assert_eq!(session["credential"], "api_key");
}

#[tokio::test]
async fn a_read_key_can_read_but_not_write() {
    let app = TestApp::spawn().await;
    let reader = client(Some(&app.create_key("viewer", "read").await));
    let session: Value = reader.get(app.url("/admin/session")).send().await.unwrap().json().await.unwrap();
    assert_eq!(session["scope"], "read");
    let write = reader.post(app.url("/admin/api-keys")).json(&serde_json::json!({"name": "x"})).send().await.unwrap();
    assert_eq!(status_and_code(write).await, (403, "forbidden".into()));
    let delete = reader.delete(app.url("/admin/api-keys/key_x")).send().await.unwrap();
    assert_eq!(delete.status(), 403);
    // Key listings and the audit trail are security data: admin only, even to read.
    assert_eq!(reader.get(app.url("/admin/api-keys")).send().await.unwrap().status(), 403);
    assert_eq!(reader.get(app.url("/admin/audit")).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn a_revoked_key_is_refused_at_once() {
    let app = TestApp::spawn().await;
    let key = app.create_key("short-lived", "admin").await;
    let holder = client(Some(&key));
    assert_eq!(holder.get(app.url("/admin/session")).send().await.unwrap().status(), 200);
    let list: Value = app.get("/admin/api-keys").await.json().await.unwrap();
    let id = list["api_keys"].as_array().unwrap().iter().find(|k| k["name"] == "short-lived").unwrap()["id"].clone();
    let revoked =
        app.client.delete(app.url(&format!("/admin/api-keys/{}", id.as_str().unwrap()))).send().await.unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(holder.get(app.url("/admin/session")).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn the_configured_agented_api_key_is_an_admin_key_and_no_key_is_bootstrapped() {
    let app = TestApp::builder().env("AGENTED_API_KEY", "operator-secret-key-0123456789abcdef").spawn().await;
    assert!(app.admin_key.is_empty(), "no key is created when AGENTED_API_KEY is set");
    let operator = client(Some("operator-secret-key-0123456789abcdef"));
    let session: Value = operator.get(app.url("/admin/session")).send().await.unwrap().json().await.unwrap();
    assert_eq!((session["name"].as_str(), session["scope"].as_str()), (Some("AGENTED_API_KEY"), Some("admin")));
    let created =
        operator.post(app.url("/admin/api-keys")).json(&serde_json::json!({"name": "ci"})).send().await.unwrap();
    assert_eq!(created.status(), 201);
}

#[tokio::test]
async fn public_routes_need_no_key() {
    let app = TestApp::spawn().await;
    for path in
        ["/health/liveness", "/health/readiness", "/openapi.json", "/docs/", "/", "/triggers", "/assets/app-1a2b3c.js"]
    {
        let res = app.anonymous.get(app.url(path)).send().await.unwrap();
        assert!(res.status().is_success(), "{path}: {}", res.status());
    }
}

/// Every route, from the spec and from the route macros of the HTTP crate,
/// answers 401 without a key unless it is on the public list. A route added
/// without protection cannot pass.
#[tokio::test]
async fn every_non_public_route_refuses_a_request_without_a_key() {
    let app = TestApp::spawn().await;
    let spec = serde_json::to_value(agented_http::openapi::spec()).unwrap();
    let mut routes: Vec<(String, String)> = Vec::new();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            routes.push((method.to_uppercase(), path.clone()));
        }
    }
    routes.extend(crate::openapi::declared_routes(&workspace_root().join("crates/agented_http/src")));
    // Unknown paths under the API are refused before routing, so they reveal nothing.
    routes.push(("GET".into(), "/admin/no-such-thing".into()));
    routes.push(("POST".into(), "/api/no-such-thing".into()));
    let mut protected = 0;
    for (method, path) in &routes {
        let concrete = path.replace("{id}", "exec-trig-abc123-20261121T000000-abcd").replace(['{', '}'], "");
        if is_public(method, &concrete) {
            continue;
        }
        let res = app.anonymous.request(method.parse().unwrap(), app.url(&concrete)).send().await.unwrap();
        assert_eq!(res.status(), 401, "{method} {path} answered without a key");
        protected += 1;
    }
    assert!(protected >= 6, "the protected routes were exercised ({protected})");
}
