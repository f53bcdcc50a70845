use agented_test_support::TestApp;
use serde_json::Value;

async fn error_body(res: reqwest::Response) -> Value {
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("application/json"), "content-type {content_type}");
    res.json().await.unwrap()
}

#[tokio::test]
async fn an_unknown_admin_path_is_a_json_404() {
    let app = TestApp::spawn().await;
    let res = app.get("/admin/no-such-thing").await;
    assert_eq!(res.status(), 404);
    let body = error_body(res).await;
    assert_eq!(body["code"], "not_found");
    assert!(body["error"].as_str().unwrap().contains("/admin/no-such-thing"));
}

#[tokio::test]
async fn unknown_paths_under_every_api_prefix_are_json_404s() {
    let app = TestApp::spawn().await;
    for path in ["/api/nothing", "/health/nothing", "/openapi.yaml", "/admin"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert_eq!(error_body(res).await["code"], "not_found", "{path}");
    }
}

#[tokio::test]
async fn a_wrong_method_on_a_known_route_is_a_json_405() {
    let app = TestApp::spawn().await;
    let res = app.client.post(app.url("/health/liveness")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(error_body(res).await["code"], "method_not_allowed");
}

#[tokio::test]
async fn a_panicking_handler_gives_a_json_500_and_the_next_request_succeeds() {
    let app = TestApp::builder().routes(crate::probes::routes).spawn().await;
    let res = app.get("/__test/panic").await;
    assert_eq!(res.status(), 500);
    assert!(res.headers().contains_key("x-request-id"));
    let body = error_body(res).await;
    assert_eq!(body["code"], "internal");
    assert_eq!(body["error"], "internal server error", "no panic detail may leak to the client");
    assert_eq!(app.get("/health/liveness").await.status(), 200);
    let again = app.get("/__test/panic").await;
    assert_eq!(again.status(), 500);
}

#[tokio::test]
async fn malformed_json_is_a_400_in_the_envelope() {
    let app = TestApp::builder().routes(crate::probes::routes).spawn().await;
    let res = app
        .client
        .post(app.url("/__test/echo"))
        .header("content-type", "application/json")
        .body("{\"a\":")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body = error_body(res).await;
    assert_eq!(body["code"], "invalid_json");
    assert!(body["error"].as_str().unwrap().contains("malformed JSON"), "{body}");
}

#[tokio::test]
async fn a_body_without_the_json_content_type_is_a_415_in_the_envelope() {
    let app = TestApp::builder().routes(crate::probes::routes).spawn().await;
    let res =
        app.client.post(app.url("/__test/echo")).header("content-type", "text/plain").body("{}").send().await.unwrap();
    assert_eq!(res.status(), 415);
    assert_eq!(error_body(res).await["code"], "unsupported_media_type");
}

#[tokio::test]
async fn an_oversized_json_body_is_a_413_in_the_envelope() {
    let app = TestApp::builder().routes(crate::probes::routes).spawn().await;
    let big = format!("{{\"text\":\"{}\"}}", "x".repeat(agented_http::app::JSON_LIMIT_BYTES + 1));
    let res = app
        .client
        .post(app.url("/__test/echo"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(error_body(res).await["code"], "payload_too_large");
}

#[tokio::test]
async fn well_formed_json_reaches_the_handler() {
    let app = TestApp::builder().routes(crate::probes::routes).spawn().await;
    let res = app.client.post(app.url("/__test/echo")).json(&serde_json::json!({"a": [1, 2]})).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), serde_json::json!({"a": [1, 2]}));
}

#[tokio::test]
async fn a_webhook_body_over_ten_megabytes_is_a_413_and_one_under_it_is_not() {
    let app = TestApp::spawn().await;
    let limit = agented_http::middleware::body_limit::WEBHOOK_LIMIT_BYTES as usize;
    let too_big = format!("{{\"text\":\"{}\"}}", "x".repeat(limit));
    let res =
        app.anonymous.post(app.url("/")).header("content-type", "application/json").body(too_big).send().await.unwrap();
    assert_eq!(res.status(), 413);
    let body = error_body(res).await;
    assert_eq!(body["code"], "payload_too_large");
    assert!(body["error"].as_str().unwrap().contains("10485760"), "{body}");
    // Two megabytes pass the cap (1 MB is the limit elsewhere); the route decides what follows.
    let under = format!("{{\"text\":\"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let res =
        app.anonymous.post(app.url("/")).header("content-type", "application/json").body(under).send().await.unwrap();
    assert_ne!(res.status(), 413);
}

/// PostgreSQL's text cannot hold NUL: on either store a NUL in an admin body is
/// refused with a clear 422 or kept, never a 5xx.
#[tokio::test]
async fn a_nul_character_in_admin_text_is_refused_or_kept_never_a_server_error() {
    let app = TestApp::spawn().await;
    let nul = "a\u{0}b";
    let cases = [
        (
            "/admin/triggers",
            serde_json::json!({ "name": nul, "prompt_template": "x", "backend_type": "claude", "trigger_source": "manual" }),
        ),
        (
            "/admin/triggers",
            serde_json::json!({ "name": "t-nul", "prompt_template": nul, "backend_type": "claude", "trigger_source": "manual" }),
        ),
        ("/admin/backends", serde_json::json!({ "name": nul, "backend_type": "claude", "command": "claude" })),
        (
            "/admin/backends",
            serde_json::json!({ "name": "b-nul", "backend_type": "claude", "command": "claude", "description": nul }),
        ),
        ("/api/projects", serde_json::json!({ "name": nul })),
    ];
    for (path, body) in cases {
        let res = app.client.post(app.url(path)).json(&body).send().await.unwrap();
        let status = res.status().as_u16();
        let answer = error_body(res).await;
        assert!(matches!(status, 200 | 201 | 400 | 422), "{path} {body}: {status} {answer}");
    }
}
