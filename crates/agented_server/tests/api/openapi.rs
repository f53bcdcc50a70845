use agented_test_support::{TestApp, workspace_root};
use serde_json::Value;

#[tokio::test]
async fn the_spec_is_served_and_lists_the_health_routes() {
    let app = TestApp::spawn().await;
    let spec: Value = app.get("/openapi.json").await.json().await.unwrap();
    assert_eq!(spec["info"]["title"], "Agented API");
    assert!(spec["paths"]["/health/liveness"]["get"].is_object());
    assert!(spec["paths"]["/health/readiness"]["get"].is_object());
}

#[tokio::test]
async fn swagger_ui_is_served_offline_at_docs() {
    let app = TestApp::spawn().await;
    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status(), 308);
    assert_eq!(redirect.headers()["location"], "/docs/");
    let page = app.get("/docs/").await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("swagger"), "the vendored Swagger UI page");
    let bundle = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(bundle.status(), 200, "assets are vendored, not fetched from a CDN");
}

/// Every operation in the spec is a live route: none answers "no route".
#[tokio::test]
async fn every_path_in_the_spec_is_routed() {
    let app = TestApp::spawn().await;
    let spec = agented_http::openapi::spec();
    let spec = serde_json::to_value(&spec).unwrap();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let concrete = path.replace(['{', '}'], "");
            let res =
                app.client.request(method.to_uppercase().parse().unwrap(), app.url(&concrete)).send().await.unwrap();
            // A stream that opened was routed, and never ends: its body is not read.
            let streaming =
                res.headers().get("content-type").is_some_and(|t| t.as_bytes().starts_with(b"text/event-stream"));
            let body: Value = if streaming { Value::Null } else { res.json().await.unwrap_or(Value::Null) };
            assert!(
                !body["error"].as_str().unwrap_or_default().starts_with("no route"),
                "{method} {path} is in the spec but not routed"
            );
        }
    }
}

/// The spec's path for a route macro's `route` with `method`: routes in the
/// `/admin`, `/api` and `/metrics` scopes declare the part below the scope.
pub fn spec_path(spec: &Value, method: &str, route: &str) -> Option<String> {
    [route.to_owned(), format!("/admin{route}"), format!("/api{route}"), format!("/metrics{route}")]
        .into_iter()
        .find(|p| spec["paths"][p.as_str()][method.to_lowercase()].is_object())
}

/// `(METHOD, path)` of every route macro in the HTTP crate's sources, with its scope.
pub fn declared_routes(src: &std::path::Path) -> Vec<(String, String)> {
    let spec = serde_json::to_value(agented_http::openapi::spec()).unwrap();
    let mut found = Vec::new();
    let mut files = vec![src.to_owned()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        for line in std::fs::read_to_string(&path).unwrap().lines() {
            for method in ["get", "post", "put", "patch", "delete", "head"] {
                if let Some(rest) = line.trim().strip_prefix(&format!("#[{method}(\"")) {
                    let route = rest.split('"').next().unwrap();
                    let path = spec_path(&spec, method, route).unwrap_or_else(|| route.to_owned());
                    found.push((method.to_uppercase(), path));
                }
            }
        }
    }
    found
}

/// The other direction: every route declared in `agented_http` is registered
/// through utoipa, so the actix route table has nothing the spec lacks.
/// Route macros must sit under `#[utoipa::path]`, and routes may not be added
/// with `.route(`/`web::resource(` outside the documented exceptions in app.rs.
#[test]
fn every_route_in_the_http_crate_is_in_the_spec() {
    let src = workspace_root().join("crates/agented_http/src");
    let spec = serde_json::to_value(agented_http::openapi::spec()).unwrap();
    let mut files = vec![src.clone()];
    let mut checked = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let trimmed = line.trim();
            for method in ["get", "post", "put", "patch", "delete", "head"] {
                let Some(rest) = trimmed.strip_prefix(&format!("#[{method}(\"")) else { continue };
                let route = rest.split('"').next().unwrap();
                let annotated = lines[..i]
                    .iter()
                    .rev()
                    .take_while(|l| !l.trim().is_empty() && !l.trim().starts_with("pub async fn"))
                    .any(|l| l.contains("#[utoipa::path"));
                assert!(annotated, "{}:{}: {method} {route} has no #[utoipa::path]", path.display(), i + 1);
                assert!(
                    spec_path(&spec, method, route).is_some(),
                    "{method} {route} is declared but not registered in the spec"
                );
                checked += 1;
            }
            let is_app_rs = path.ends_with("app.rs");
            if (trimmed.contains(".route(") || trimmed.contains("web::resource(")) && !trimmed.starts_with("//") {
                assert!(
                    // The documentation itself: the Swagger UI redirect and the spec, served from bytes built once.
                    is_app_rs && (trimmed.contains("\"/docs\"") || trimmed.contains("\"/openapi.json\"")),
                    "{}:{}: routes must be handlers registered with .service(..) under #[utoipa::path]: {trimmed}",
                    path.display(),
                    i + 1
                );
            }
        }
    }
    assert!(checked >= 2, "the scan found the health routes ({checked})");
}
