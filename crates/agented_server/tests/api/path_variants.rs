//! Every operation of the OpenAPI spec, reached through other spellings of
//! its path: no spelling gets past the gate. Requests go over a raw socket,
//! because HTTP clients normalise `.`, `..` and escapes before sending.

use agented_test_support::TestApp;
use futures::StreamExt;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What came back: the status and the content type.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: String,
}

/// Sends `method raw_path` exactly as written, with an empty JSON body for
/// writes and `key` as `X-API-Key`; reads the head of the answer only (a
/// stream would never end).
async fn raw(app: &TestApp, method: &str, raw_path: &str, key: Option<&str>) -> Answer {
    let address = app.address.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut request = format!("{method} {raw_path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    if let Some(key) = key {
        request.push_str(&format!("X-API-Key: {key}\r\n"));
    }
    if matches!(method, "POST" | "PUT" | "PATCH") {
        request.push_str("Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
    } else {
        request.push_str("\r\n");
    }
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0_u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = tokio::time::timeout(std::time::Duration::from_secs(30), socket.read(&mut byte))
            .await
            .expect("an answer arrives")
            .unwrap();
        assert!(read > 0, "{method} {raw_path}: the connection closed without an answer");
        head.extend_from_slice(&byte[..read]);
    }
    let head = String::from_utf8_lossy(&head).to_lowercase();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap();
    let content_type =
        head.lines().find_map(|l| l.strip_prefix("content-type:")).map(|v| v.trim().to_owned()).unwrap_or_default();
    Answer { status, content_type }
}

/// The spec's operations, with every `{param}` given a plausible value.
fn operations() -> Vec<(String, String)> {
    let spec = serde_json::to_value(agented_http::openapi::spec()).unwrap();
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{id}", "exec-trig-abc123-20261121T000000-abcd")
            .split('/')
            .map(|s| if s.starts_with('{') { "x1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            ops.push((method.to_uppercase(), concrete.clone()));
        }
    }
    ops
}

/// Spellings the server must refuse outright (400): letters percent-encoded
/// (upper- and lower-case hex), `;` parameters, `.` and `..` segments,
/// doubled slashes inside the path, encoded separators.
fn ambiguous(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, c) in path.char_indices().filter(|(_, c)| c.is_ascii_alphabetic()) {
        let (before, after) = (&path[..i], &path[i + 1..]);
        out.push(format!("{before}%{:02X}{after}", u32::from(c)));
        out.push(format!("{before}%{:02x}{after}", u32::from(c)));
    }
    for (i, _) in path.match_indices('/') {
        let (before, after) = (&path[..i], &path[i + 1..]);
        out.push(format!("{before}//{after}"));
        out.push(format!("{before}/./{after}"));
        out.push(format!("{before}/x/../{after}"));
        out.push(format!("{before}/%2e%2e/{after}"));
        if i > 0 {
            out.push(format!("{before};x/{after}"));
            out.push(format!("{before}%2F{after}"));
        }
    }
    out.extend([format!("{path};x"), format!("{path}/."), format!("{path}/.."), format!("{path}/%2E")]);
    out
}

/// Spellings that name the same route or none: answered as the route would be without a key.
fn equivalent(path: &str) -> Vec<String> {
    vec![format!("{path}/"), format!("{path}//"), path.to_uppercase(), capitalised(path)]
}

fn capitalised(path: &str) -> String {
    path.split('/')
        .map(|s| {
            let mut chars = s.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Runs `requests` a few at a time and returns each with its answer.
async fn send_all(app: &TestApp, requests: Vec<(String, String)>, key: Option<&str>) -> Vec<(String, String, Answer)> {
    futures::stream::iter(requests)
        .map(|(method, path)| async move {
            let answer = raw(app, &method, &path, key).await;
            (method, path, answer)
        })
        .buffer_unordered(16)
        .collect()
        .await
}

/// How many entries the audit trail holds.
async fn audited(app: &TestApp) -> u64 {
    let audit: Value = app.get("/admin/audit?limit=1").await.json().await.unwrap();
    audit["total"].as_u64().unwrap()
}

fn unlimited() -> agented_test_support::TestAppBuilder {
    // Thousands of requests from one address: the limits would answer 429 instead.
    TestApp::builder().env("AGENTED__RATE_LIMITS__ENABLED", "false")
}

#[tokio::test]
async fn no_spelling_of_any_operations_path_gets_past_the_gate_without_a_key() {
    let app = unlimited().spawn().await;
    let ops = operations();
    assert!(ops.len() > 80, "the spec lists the operations ({})", ops.len());
    let public = |method: &str, path: &str| agented_auth::public_routes::is_public(method, path);
    let mut refused = Vec::new();
    let mut unauthenticated = Vec::new();
    for (method, path) in &ops {
        refused.extend(ambiguous(path).into_iter().map(|p| (method.clone(), p)));
        if !public(method, path) {
            unauthenticated.extend(equivalent(path).into_iter().map(|p| (method.clone(), p)));
            unauthenticated.push((method.clone(), path.clone()));
        }
    }
    let (refused_count, unauthenticated_count) = (refused.len(), unauthenticated.len());
    for (method, path, answer) in send_all(&app, refused, None).await {
        assert_eq!(answer.status, 400, "{method} {path}: {answer:?}");
        assert!(answer.content_type.starts_with("application/json"), "{method} {path}: {answer:?}");
    }
    for (method, path, answer) in send_all(&app, unauthenticated, None).await {
        assert_eq!(answer.status, 401, "{method} {path}: {answer:?}");
        assert!(!answer.content_type.contains("event-stream"), "{method} {path}");
    }
    assert!(
        refused_count > 5000 && unauthenticated_count > 400,
        "{refused_count} and {unauthenticated_count} spellings"
    );
}

#[tokio::test]
async fn with_a_key_an_ambiguous_write_is_refused_and_a_normalised_one_is_audited() {
    let app = unlimited().spawn().await;
    let before = audited(&app).await;
    let writes: Vec<(String, String)> = operations()
        .into_iter()
        .filter(|(method, path)| method != "GET" && !agented_auth::public_routes::is_public(method, path))
        .flat_map(|(method, path)| ambiguous(&path).into_iter().map(move |p| (method.clone(), p)))
        .collect();
    assert!(writes.len() > 2000, "{}", writes.len());
    for (method, path, answer) in send_all(&app, writes, Some(&app.admin_key)).await {
        assert_eq!(answer.status, 400, "{method} {path}: {answer:?}");
    }
    assert_eq!(audited(&app).await, before, "a refused spelling changes nothing and records nothing");

    // The one reported: `POST /%61dmin/api-keys` made an admin key and left no trace.
    let created = raw(&app, "POST", "/%61dmin/api-keys", Some(&app.admin_key)).await;
    assert_eq!(created.status, 400);
    let keys: Value = app.get("/admin/api-keys").await.json().await.unwrap();
    assert_eq!(keys["api_keys"].as_array().unwrap().len(), 1, "no key was made: {keys}");

    // A trailing slash is the same route: accepted, and audited like any write.
    let res = app
        .client
        .post(app.url("/admin/api-keys/"))
        .json(&serde_json::json!({"name": "through a trailing slash"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let audit: Value = app.get("/admin/audit?action=api_key.create").await.json().await.unwrap();
    assert!(
        audit["entries"].as_array().unwrap().iter().any(|e| e["changes"]["name"] == "through a trailing slash"),
        "{audit}"
    );
}
