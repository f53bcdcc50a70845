//! Traces over OTLP/HTTP against a fake collector on 127.0.0.1: the real binary, with
//! `otlp.endpoint` set, sends a span for each HTTP request and one for each run, under
//! the configured service name, and flushes what it holds when it stops. A collector
//! that cannot be reached is logged, and costs nothing but the spans.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

mod process;

use agented_test_support::fake_http::read_request;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::trace::v1::Span;
use process::{api, sigterm, spawn_server, stream, wait_for_exit, with_fake_clis};
use prost::Message;
use reqwest::Method;
use serde_json::json;
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Each export the fake collector received: the path posted to and the decoded request.
type Exports = Arc<Mutex<Vec<(String, ExportTraceServiceRequest)>>>;

/// Accepts OTLP/HTTP protobuf posts and keeps them.
fn fake_collector() -> (String, Exports) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let received = Exports::default();
    let store = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let (request_line, body) = read_request(&stream).unwrap();
            let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_owned();
            store.lock().unwrap().push((path, ExportTraceServiceRequest::decode(body.as_slice()).unwrap()));
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    (endpoint, received)
}

fn text(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes.iter().find(|kv| kv.key == key).and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s.clone()),
        _ => None,
    })
}

#[tokio::test]
async fn requests_and_runs_are_sent_as_spans_to_the_collector_and_flushed_at_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let (endpoint, received) = fake_collector();
    let (server, address, _) = spawn_server(dir.path(), |cmd| {
        with_fake_clis(dir.path(), cmd);
        cmd.env("AGENTED__OTLP__ENDPOINT", format!("{endpoint}/"))
            .env("AGENTED__OTLP__SERVICE_NAME", "agented-otlp-test");
    });
    let body = json!({ "name": "traced", "prompt_template": "{message}" });
    let trigger =
        api(&address, Method::POST, "/admin/triggers", Some(body)).await["trigger_id"].as_str().unwrap().to_owned();
    let path = format!("/admin/triggers/{trigger}/run");
    let run = api(&address, Method::POST, &path, Some(json!({ "message": "lines=1" }))).await["execution_id"]
        .as_str()
        .unwrap()
        .to_owned();
    stream(&address, &run).await.until(|e| e.name == "complete").await;
    sigterm(&server);
    assert!(wait_for_exit(server, Duration::from_secs(20)).success());

    // Whatever the batches were, the server sent everything before it exited.
    let exports = received.lock().unwrap();
    assert!(!exports.is_empty(), "nothing reached the collector");
    assert!(exports.iter().all(|(path, _)| path == "/v1/traces"), "posted to the OTLP traces path");
    let spans: Vec<(Option<String>, &Span)> = exports
        .iter()
        .flat_map(|(_, e)| &e.resource_spans)
        .flat_map(|rs| {
            let service = rs.resource.as_ref().and_then(|r| text(&r.attributes, "service.name"));
            rs.scope_spans.iter().flat_map(|ss| &ss.spans).map(move |s| (service.clone(), s))
        })
        .collect();
    assert!(spans.iter().all(|(service, _)| service.as_deref() == Some("agented-otlp-test")), "the service name");
    let request =
        spans.iter().find(|(_, s)| s.name == "http_request" && text(&s.attributes, "path") == Some(path.clone()));
    let request = request.unwrap_or_else(|| panic!("the run request's span: {spans:?}")).1;
    assert_eq!(text(&request.attributes, "method").as_deref(), Some("POST"));
    assert!(text(&request.attributes, "request_id").is_some_and(|id| !id.is_empty()));
    let ran = spans.iter().find(|(_, s)| s.name == "run" && text(&s.attributes, "execution_id") == Some(run.clone()));
    let ran = ran.unwrap_or_else(|| panic!("the run's span: {spans:?}")).1;
    assert_eq!(text(&ran.attributes, "status").as_deref(), Some("success"));
    assert_eq!(text(&ran.attributes, "trigger_id"), Some(trigger));
    assert!(ran.end_time_unix_nano > ran.start_time_unix_nano);
}

#[tokio::test]
async fn a_collector_that_cannot_be_reached_is_logged_and_costs_only_the_spans() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on any more.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let log = dir.path().join("server.log");
    let (server, address, _) = spawn_server(dir.path(), |cmd| {
        with_fake_clis(dir.path(), cmd);
        cmd.env("AGENTED__OTLP__ENDPOINT", format!("http://{closed}")).stdout(std::fs::File::create(&log).unwrap());
    });
    let listed = api(&address, Method::GET, "/admin/workflows", None).await;
    assert_eq!(listed["workflows"], json!([]), "requests are answered as ever");
    sigterm(&server);
    assert!(wait_for_exit(server, Duration::from_secs(30)).success(), "and it stops cleanly");
    let lines = std::fs::read_to_string(&log).unwrap();
    let failures: Vec<serde_json::Value> = lines
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["target"].as_str().is_some_and(|t| t.starts_with("opentelemetry")))
        .filter(|l| matches!(l["level"].as_str(), Some("WARN" | "ERROR")))
        .collect();
    assert!(!failures.is_empty(), "the lost spans are logged: {lines}");
}
