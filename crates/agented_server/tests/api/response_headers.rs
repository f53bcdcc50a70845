use agented_test_support::TestApp;

fn assert_security_headers(res: &reqwest::Response, what: &str) {
    let h = res.headers();
    let csp = h.get("content-security-policy").unwrap_or_else(|| panic!("{what}: no CSP")).to_str().unwrap();
    assert!(csp.contains("default-src 'self'") && csp.contains("script-src 'self'"), "{what}: {csp}");
    // Scripts from this origin only, never inline; every fetch a style could make stays here too.
    let directive = |name: &str| csp.split(';').map(str::trim).find(|d| d.starts_with(name)).unwrap_or_default();
    assert_eq!(directive("script-src"), "script-src 'self'", "{what}");
    assert_eq!(directive("img-src"), "img-src 'self' data:", "{what}");
    assert_eq!(directive("connect-src"), "connect-src 'self'", "{what}");
    assert_eq!(directive("font-src"), "font-src 'self'", "{what}");
    assert!(h.get("strict-transport-security").is_some(), "{what}: no HSTS");
    assert_eq!(h["x-frame-options"], "DENY", "{what}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["referrer-policy"], "strict-origin-when-cross-origin", "{what}");
    assert!(h.get("x-request-id").is_some(), "{what}: no request id");
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = TestApp::builder().routes(crate::probes::routes).spawn().await;
    assert_security_headers(&app.get("/").await, "the dashboard");
    assert_security_headers(&app.get("/assets/app-1a2b3c.js").await, "a static file");
    assert_security_headers(&app.get("/admin/no-such-thing").await, "a 404");
    assert_security_headers(&app.anonymous.get(app.url("/admin/api-keys")).send().await.unwrap(), "a 401");
    assert_security_headers(&app.client.put(app.url("/triggers")).send().await.unwrap(), "a 405");
    assert_security_headers(&app.get("/__test/panic").await, "a panic's 500");
    assert_security_headers(&app.get("/health/liveness").await, "a health probe");
    assert_security_headers(&app.get("/docs/").await, "docs");
}

#[tokio::test]
async fn an_allowed_origin_gets_cors_headers_and_an_unlisted_one_does_not() {
    let app = TestApp::builder().env("CORS_ALLOWED_ORIGINS", "https://ops.example.com").spawn().await;
    let allowed =
        app.client.get(app.url("/admin/session")).header("origin", "https://ops.example.com").send().await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://ops.example.com");
    let exposed = allowed.headers()["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(exposed.contains("x-request-id") && exposed.contains("retry-after"), "{exposed}");

    let unlisted =
        app.client.get(app.url("/admin/session")).header("origin", "https://evil.example.com").send().await.unwrap();
    assert!(unlisted.headers().get("access-control-allow-origin").is_none());

    let preflight = app
        .anonymous
        .request(reqwest::Method::OPTIONS, app.url("/admin/api-keys"))
        .header("origin", "https://ops.example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "x-api-key, content-type, last-event-id")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let allowed_headers = preflight.headers()["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(allowed_headers.contains("x-api-key") && allowed_headers.contains("last-event-id"), "{allowed_headers}");

    let refused = app
        .anonymous
        .request(reqwest::Method::OPTIONS, app.url("/admin/api-keys"))
        .header("origin", "https://evil.example.com")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(refused.headers().get("access-control-allow-origin").is_none());
    assert!(refused.status().is_client_error());
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(body["code"].is_string(), "the refusal is in the JSON envelope: {body}");
}

#[tokio::test]
async fn without_configured_origins_no_cross_origin_access_is_granted() {
    let app = TestApp::spawn().await;
    let res =
        app.client.get(app.url("/admin/session")).header("origin", "https://ops.example.com").send().await.unwrap();
    assert_eq!(res.status(), 200, "the request itself is served (the browser enforces CORS)");
    assert!(res.headers().get("access-control-allow-origin").is_none());
}
