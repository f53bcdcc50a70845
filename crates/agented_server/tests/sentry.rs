//! Error reporting against a fake Sentry on 127.0.0.1: each 5xx and each panic
//! is reported exactly once with its request id; 4xx are not reported; no
//! query string (stream tokens) or credential header reaches Sentry, in events
//! or in transactions.
//! (Its own test binary: the Sentry client is process-wide.)

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use actix_web::{HttpResponse, web};
use agented_http::ApiError;
use agented_http::app::ActixServiceConfig;
use agented_server::{Settings, Sources};
use agented_test_support::fake_http::read_request;
use agented_test_support::{TestApp, workspace_root};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Everything the fake Sentry received: each event's payload, and every envelope as text.
#[derive(Default)]
struct Received {
    events: Vec<Value>,
    transactions: usize,
    envelopes: Vec<String>,
}

/// Accepts Sentry envelope uploads and keeps what they carry.
fn fake_sentry() -> (String, Arc<Mutex<Received>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let dsn = format!("http://public@{}/42", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Received::default()));
    let store = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let mut stream = stream.unwrap();
            let (_, body) = read_request(&stream).unwrap();
            // An envelope: a header line, then (item header, payload) line pairs.
            let text = String::from_utf8_lossy(&body).into_owned();
            let lines: Vec<&str> = text.lines().collect();
            let mut store = store.lock().unwrap();
            for pair in lines[1..].chunks(2) {
                let header: Value = serde_json::from_str(pair[0]).unwrap_or(Value::Null);
                if header["type"] == "event" {
                    store.events.push(serde_json::from_str(pair.get(1).copied().unwrap_or("null")).unwrap());
                } else if header["type"] == "transaction" {
                    store.transactions += 1;
                }
            }
            store.envelopes.push(text);
            drop(store);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}");
        }
    });
    (dsn, received)
}

async fn panics() -> HttpResponse {
    panic!("deliberate panic for the error reporter");
}

fn failing_routes(cfg: &mut ActixServiceConfig) {
    cfg.route("/__test/panic", web::get().to(panics)).route(
        "/__test/fail",
        web::get().to(|| async { Err::<HttpResponse, _>(ApiError::internal(&"the disk is on fire")) }),
    );
}

#[tokio::test]
async fn each_5xx_and_panic_is_reported_once_with_its_request_id_and_4xx_never_and_no_secret_leaves() {
    let (dsn, received) = fake_sentry();
    let sources = Sources {
        config_dir: workspace_root().join("config"),
        dotenv: None,
        env: HashMap::from([
            ("AGENTED_ENV".into(), "test".into()),
            ("SENTRY_DSN".into(), dsn.clone()),
            ("SENTRY_ENVIRONMENT".into(), "ci".into()),
            ("SENTRY_RELEASE".into(), "agented@test".into()),
            ("SENTRY_TRACES_SAMPLE_RATE".into(), "1.0".into()),
        ]),
    };
    let settings = Settings::load(&sources).unwrap();
    let guard = agented_server::observability::init_sentry(&settings).expect("Sentry is on");
    let app = TestApp::builder().routes(failing_routes).env("SENTRY_DSN", &dsn).spawn().await;

    let mut expected = Vec::new();
    for path in ["/__test/panic", "/__test/fail"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 500);
        expected.push(res.headers()["x-request-id"].to_str().unwrap().to_owned());
    }
    for (path, status) in [("/admin/no-such-thing", 404), ("/triggers", 200)] {
        assert_eq!(app.get(path).await.status(), status);
    }
    assert_eq!(app.anonymous.get(app.url("/admin/session")).send().await.unwrap().status(), 401);
    // A failing request carrying every kind of secret: a stream token in the query, the
    // admin key, and signature and token headers.
    let secrets = ["123.stream-token-secret", "sha256=signature-secret", "glpat-gitlab-secret", "bearer-secret"];
    let res = app
        .client
        .get(app.url(&format!("/__test/fail?token={}&x=1", secrets[0])))
        .header("X-Hub-Signature-256", secrets[1])
        .header("X-Gitlab-Token", secrets[2])
        .header("Proxy-Authorization", format!("Bearer {}", secrets[3]))
        .header("Cookie", "session=cookie-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    expected.push(res.headers()["x-request-id"].to_str().unwrap().to_owned());

    assert!(guard.flush(Some(Duration::from_secs(10))), "the reports were sent");
    let received = received.lock().unwrap();
    let events = received.events.clone();
    assert_eq!(events.len(), 3, "exactly one report per 5xx: {events:#?}");
    assert!(received.transactions >= 3, "transactions were sent too ({})", received.transactions);
    for envelope in &received.envelopes {
        for secret in secrets.iter().copied().chain([app.admin_key.as_str(), "cookie-secret", "token="]) {
            assert!(!envelope.contains(secret), "{secret} reached Sentry: {envelope}");
        }
    }
    let failed = events.iter().find(|e| e["request"]["url"].as_str().is_some_and(|u| u.contains("__test/fail")));
    let request = &failed.expect("the failure's request is described")["request"];
    assert!(request["url"].as_str().unwrap().ends_with("/__test/fail"), "{request}");
    let mut reported: Vec<String> =
        events.iter().map(|e| e["tags"]["request_id"].as_str().unwrap().to_owned()).collect();
    reported.sort();
    expected.sort();
    assert_eq!(reported, expected);
    let messages: Vec<String> = events
        .iter()
        .map(|e| e["message"].as_str().or(e["logentry"]["message"].as_str()).unwrap_or_default().to_owned())
        .collect();
    assert!(messages.iter().any(|m| m.contains("deliberate panic for the error reporter")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("the disk is on fire")), "{messages:?}");
    assert!(events.iter().all(|e| e["environment"] == "ci" && e["release"] == "agented@test"), "{events:#?}");
}
