//! `/admin/mcp-servers`: the original's fields, presets, and the handshake test against
//! the test support crate's stdio MCP server, a streamable-HTTP one on port 0, and
//! programs that are not MCP servers; secrets named, never stored.

use crate::support::send;
use agented_test_support::{TestApp, fake_mcp};
use reqwest::Method;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;

const GREETING: &str = "hello-from-the-server-env";

async fn app() -> TestApp {
    TestApp::builder().env("MCP_TEST_GREETING", GREETING).spawn().await
}

async fn created(app: &TestApp, body: Value) -> Value {
    let (status, server) = send(app, Method::POST, "/admin/mcp-servers", Some(body)).await;
    assert_eq!(status, 201, "{server}");
    server
}

async fn test(app: &TestApp, server: &Value) -> Value {
    let (status, outcome) =
        send(app, Method::POST, &format!("/admin/mcp-servers/{}/test", server["id"].as_str().unwrap()), None).await;
    assert_eq!(status, 200, "{outcome}");
    outcome
}

/// Processes whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<String> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains(needle))
        .collect()
}

#[tokio::test]
async fn a_stdio_server_passes_with_its_tools_and_programs_that_are_not_mcp_fail_clearly() {
    let app = app().await;
    let server = created(
        &app,
        json!({ "name": "fake", "command": fake_mcp().display().to_string(),
                "env": { "FAKE_MCP_GREETING": "${MCP_TEST_GREETING}" } }),
    )
    .await;
    assert_eq!(server["secrets"], json!(["MCP_TEST_GREETING"]));
    let outcome = test(&app, &server).await;
    assert_eq!(outcome["ok"], true, "{outcome}");
    assert_eq!(
        (outcome["server_name"].as_str(), outcome["protocol_version"].as_str()),
        (Some("fake-mcp"), Some("2025-06-18"))
    );
    assert_eq!(
        outcome["tools"],
        json!([{ "name": "greet", "description": format!("Says {GREETING}") }, { "name": "add", "description": null }]),
        "both pages, and the variable reached the server's environment"
    );

    let cases = [
        (
            json!({ "name": "echo", "command": "echo", "args": ["hello"] }),
            "it answered \"hello\", which is not MCP's JSON-RPC",
        ),
        (json!({ "name": "cat", "command": "cat" }), "it sent our request back instead of answering it"),
        (
            json!({ "name": "true", "command": "true" }),
            "it closed the conversation before answering (it exited with code 0)",
        ),
        (
            json!({ "name": "missing", "command": "/nonexistent/mcp-server" }),
            "'/nonexistent/mcp-server' could not be started",
        ),
        (
            json!({ "name": "slow", "command": "sleep", "args": ["29.987"], "timeout_ms": 1000 }),
            "did not complete the MCP handshake within 1000 ms",
        ),
        (
            json!({ "name": "unset", "command": "true", "env": { "X": "${MCP_TEST_UNSET}" } }),
            "MCP_TEST_UNSET is not set in the server's environment",
        ),
    ];
    for (body, expected) in cases {
        let outcome = test(&app, &created(&app, body.clone()).await).await;
        assert_eq!(outcome["ok"], false, "{body}: {outcome}");
        assert!(outcome["error"].as_str().unwrap().contains(expected), "{body}: {outcome}");
    }
    assert_eq!(processes_with("29.987"), Vec::<String>::new(), "the timed-out server was killed");
    let (_, read) =
        send(&app, Method::GET, &format!("/admin/mcp-servers/{}", server["id"].as_str().unwrap()), None).await;
    assert_eq!(
        read["env"],
        json!({ "FAKE_MCP_GREETING": "${MCP_TEST_GREETING}" }),
        "the name is stored, not the value"
    );
    // On SQLite the whole database file can be searched for the value too.
    if let Ok(stored) = std::fs::read(app.data_dir.join("agented.db")) {
        assert!(!String::from_utf8_lossy(&stored).contains(GREETING), "a named variable's value is never stored");
    }
}

/// A streamable-HTTP MCP server on port 0: `initialize` answered as JSON with a session id,
/// the notification with 202, `tools/list` as an event stream (only with the session id).
fn http_mcp_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/mcp", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(&stream);
            let (mut length, mut session, mut auth) = (0, false, String::new());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                    break;
                }
                let lower = header.to_ascii_lowercase();
                if let Some(v) = lower.strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                session |= lower.starts_with("mcp-session-id: s-1");
                if lower.starts_with("authorization:") {
                    auth = header["authorization:".len()..].trim().to_owned();
                }
            }
            let mut body = vec![0; length];
            let Ok(request) = reader.read_exact(&mut body).map(|()| serde_json::from_slice::<Value>(&body)) else {
                continue;
            };
            let request = request.unwrap_or_default();
            // One request per connection, said so, so the client never reuses a closing one.
            let answer = |status: &str, kind: &str, body: &str| {
                format!(
                    "HTTP/1.1 {status}\r\nconnection: close\r\ncontent-type: {kind}\r\n{}content-length: {}\r\n\r\n{body}",
                    if status.starts_with("200") && kind == "application/json" {
                        "mcp-session-id: s-1\r\n"
                    } else {
                        ""
                    },
                    body.len()
                )
            };
            let reply = match request["method"].as_str() {
                _ if auth != "Bearer t0ken" => answer("401 Unauthorized", "text/plain", ""),
                Some("initialize") => {
                    let r = json!({"jsonrpc":"2.0","id":request["id"],"result":{"protocolVersion":"2025-06-18",
                        "capabilities":{"tools":{}},"serverInfo":{"name":"http-fake","version":"2"}}});
                    answer("200 OK", "application/json", &r.to_string())
                }
                Some("notifications/initialized") => answer("202 Accepted", "text/plain", ""),
                Some("tools/list") if session => {
                    let r = json!({"jsonrpc":"2.0","id":request["id"],"result":{"tools":[{"name":"query"}]}});
                    answer("200 OK", "text/event-stream", &format!("event: message\ndata: {r}\n\n"))
                }
                _ => answer("400 Bad Request", "text/plain", ""),
            };
            let _ = (&stream).write_all(reply.as_bytes());
        }
    });
    url
}

#[tokio::test]
async fn an_http_server_passes_with_its_header_read_from_a_named_variable() {
    let app = TestApp::builder().env("MCP_TEST_TOKEN", "t0ken").spawn().await;
    let url = http_mcp_server();
    let server = created(
        &app,
        json!({ "name": "remote", "server_type": "http", "url": url, "headers": { "Authorization": "Bearer ${MCP_TEST_TOKEN}" } }),
    )
    .await;
    let outcome = test(&app, &server).await;
    assert_eq!(outcome["ok"], true, "{outcome}");
    assert_eq!(
        (outcome["server_name"].as_str(), outcome["tools"][0]["name"].as_str()),
        (Some("http-fake"), Some("query"))
    );
    let wrong = created(
        &app,
        json!({ "name": "wrong", "server_type": "http", "url": url, "headers": { "Authorization": "Bearer nope" } }),
    )
    .await;
    assert!(
        test(&app, &wrong).await["error"].as_str().unwrap().ends_with("failed the MCP handshake: it answered HTTP 401")
    );
}

/// A server of the older sse transport on port 0: `GET /sse` is an event stream that
/// first names `/messages` (or, with `elsewhere`, another origin), and answers to what is
/// POSTed there arrive on it. Each connection has its own thread; the stream is shared.
fn sse_mcp_server(elsewhere: bool) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/sse", listener.local_addr().unwrap());
    let events: std::sync::Arc<std::sync::Mutex<Option<std::net::TcpStream>>> = std::sync::Arc::default();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let events = events.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let (mut line, mut length) = (String::new(), 0);
                if reader.read_line(&mut line).is_err() {
                    return;
                }
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
                        break;
                    }
                    if let Some(v) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                }
                if line.starts_with("GET /sse ") {
                    let endpoint = if elsewhere { "http://other.example/messages" } else { "/messages?session=1" };
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\nevent: endpoint\r\ndata: {endpoint}\r\n\r\n"
                    );
                    // Kept before the endpoint goes out: the client POSTs as soon as it reads it.
                    *events.lock().unwrap() = stream.try_clone().ok();
                    if (&stream).write_all(head.as_bytes()).is_ok() {
                        // Held open until the client goes.
                        let _ = reader.read(&mut [0; 1]);
                    }
                    return;
                }
                let mut body = vec![0; length];
                let request: Value = reader
                    .read_exact(&mut body)
                    .ok()
                    .and_then(|()| serde_json::from_slice(&body).ok())
                    .unwrap_or_default();
                let _ = (&stream).write_all(b"HTTP/1.1 202 Accepted\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
                let result = match request["method"].as_str() {
                    Some("initialize") => json!({"protocolVersion": "2024-11-05", "capabilities": {"tools": {}},
                        "serverInfo": {"name": "sse-fake", "version": "1"}}),
                    Some("tools/list") => json!({"tools": [{"name": "lookup", "description": "Finds things"}]}),
                    _ => return,
                };
                let answer = json!({"jsonrpc": "2.0", "id": request["id"], "result": result});
                // A notification first: the answer is the event that carries the request's id.
                let log = json!({"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info"}});
                if let Some(mut out) = events.lock().unwrap().as_ref() {
                    let _ = write!(out, "event: message\ndata: {log}\n\nevent: message\ndata: {answer}\n\n");
                }
            });
        }
    });
    url
}

#[tokio::test]
async fn an_sse_server_passes_over_its_event_stream_and_an_endpoint_elsewhere_is_refused() {
    let app = app().await;
    let old = created(&app, json!({ "name": "old", "server_type": "sse", "url": sse_mcp_server(false) })).await;
    let outcome = test(&app, &old).await;
    assert_eq!(outcome["ok"], true, "{outcome}");
    assert_eq!(
        (outcome["server_name"].as_str(), outcome["tools"][0]["name"].as_str()),
        (Some("sse-fake"), Some("lookup"))
    );
    let moved = created(&app, json!({ "name": "moved", "server_type": "sse", "url": sse_mcp_server(true) })).await;
    let error = test(&app, &moved).await["error"].as_str().unwrap().to_owned();
    assert!(
        error
            .contains("failed the MCP handshake: its endpoint http://other.example/messages is on another origin than"),
        "{error}"
    );
    let http = created(&app, json!({ "name": "plain", "server_type": "sse", "url": http_mcp_server() })).await;
    let error = test(&app, &http).await["error"].as_str().unwrap().to_owned();
    assert!(error.ends_with("failed the MCP handshake: it answered HTTP 401"), "the GET is refused: {error}");
}

#[tokio::test]
async fn presets_crud_and_bad_requests() {
    let app = app().await;
    let (_, presets) = send(&app, Method::GET, "/admin/mcp-servers/presets", None).await;
    let keys: Vec<&str> = presets["presets"].as_array().unwrap().iter().map(|p| p["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["context7", "playwright", "github", "filesystem", "fetch"]);
    let (status, github) = send(&app, Method::POST, "/admin/mcp-servers/presets/github", None).await;
    assert_eq!(status, 201, "{github}");
    assert_eq!(
        (github["is_preset"].as_bool(), github["secrets"].clone()),
        (Some(true), json!(["GITHUB_PERSONAL_ACCESS_TOKEN"]))
    );
    let (status, again) = send(&app, Method::POST, "/admin/mcp-servers/presets/github", None).await;
    assert_eq!((status, again["code"].as_str()), (409, Some("conflict")), "{again}");
    let (status, _) = send(&app, Method::POST, "/admin/mcp-servers/presets/nope", None).await;
    assert_eq!(status, 404);

    let (status, bad) =
        send(&app, Method::POST, "/admin/mcp-servers", Some(json!({ "name": "x y", "server_type": "ws" }))).await;
    assert_eq!(status, 422);
    assert!(bad["details"]["name"].is_string() && bad["details"]["server_type"].is_string(), "{bad}");
    let (status, secret) = send(
        &app,
        Method::POST,
        "/admin/mcp-servers",
        Some(json!({ "name": "leak", "command": "x", "env": { "K": "${AGENTED_API_KEY}" } })),
    )
    .await;
    assert_eq!(status, 422, "a server's own secret may not be named: {secret}");
    let (status, extra) = send(&app, Method::POST, "/admin/mcp-servers", Some(json!({ "nam": "typo" }))).await;
    assert_eq!((status, extra["code"].as_str()), (422, Some("invalid")));
    let res = app.client.post(app.url("/admin/mcp-servers")).body("{nope").send().await.unwrap();
    assert_eq!(res.status(), 400);

    let id = github["id"].as_str().unwrap();
    let (status, changed) = send(
        &app,
        Method::PUT,
        &format!("/admin/mcp-servers/{id}"),
        Some(json!({ "enabled": false, "description": null })),
    )
    .await;
    assert_eq!((status, changed["enabled"].as_bool(), changed["description"].clone()), (200, Some(false), Value::Null));
    let (_, listed) = send(&app, Method::GET, "/admin/mcp-servers", None).await;
    assert_eq!(listed["servers"].as_array().unwrap().len(), 1);
    for (method, path) in [
        (Method::GET, "/admin/mcp-servers/mcp-nothere"),
        (Method::GET, "/admin/mcp-servers/not-an-id"),
        (Method::PUT, "/admin/mcp-servers/mcp-nothere"),
        (Method::POST, "/admin/mcp-servers/mcp-nothere/test"),
        (Method::DELETE, "/admin/mcp-servers/mcp-nothere"),
    ] {
        let (status, body) = send(&app, method.clone(), path, Some(json!({}))).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{method} {path}: {body}");
    }
    let (status, _) = send(&app, Method::DELETE, &format!("/admin/mcp-servers/{id}"), None).await;
    assert_eq!(status, 204);
}
