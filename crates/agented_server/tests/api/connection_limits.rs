//! Clients that hold connections: a body trickled in is cut off, and live
//! streams are capped per credential and per client.

use crate::support::{create_trigger, run};
use agented_test_support::{TestApp, client};
use serde_json::{Value, json};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends the head of `method path` declaring a 64-byte JSON body, then the body a
/// byte every 300 ms (far slower than the deadline allows) until the server
/// answers; returns the answer as text.
async fn trickle(app: &TestApp, method: &str, path: &str, key: Option<&str>) -> String {
    let address = app.address.trim_start_matches("http://");
    let socket = tokio::net::TcpStream::connect(address).await.unwrap();
    let (mut reader, mut writer) = socket.into_split();
    let key = key.map(|k| format!("X-API-Key: {k}\r\n")).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{key}Content-Type: application/json\r\nContent-Length: 64\r\n\r\n"
    );
    writer.write_all(head.as_bytes()).await.unwrap();
    let drip = tokio::spawn(async move {
        for byte in std::iter::once(b'{').chain(std::iter::repeat_n(b' ', 63)) {
            if writer.write_all(&[byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let mut answer = Vec::new();
    // The server closes the connection after its answer.
    tokio::time::timeout(Duration::from_secs(60), reader.read_to_end(&mut answer)).await.unwrap().unwrap();
    drip.abort();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn a_body_trickled_in_is_cut_off_with_408_and_the_connection_closed() {
    let app = TestApp::builder().env("AGENTED__SERVER__BODY_READ_TIMEOUT_SECONDS", "1").spawn().await;
    create_trigger(&app, json!({ "trigger_source": "webhook" })).await;
    for (method, path, key) in [("POST", "/", None), ("POST", "/admin/triggers", Some(app.admin_key.as_str()))] {
        let answer = trickle(&app, method, path, key).await;
        assert!(answer.starts_with("HTTP/1.1 408"), "{method} {path}: {answer}");
        assert!(answer.to_lowercase().contains("connection: close"), "{answer}");
        assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
    }
    let runs: Value = app.get("/admin/executions").await.json().await.unwrap();
    assert_eq!(runs["total"], 0, "a cut-off delivery starts nothing");
    // A body sent at once is unaffected.
    let res = app.anonymous.post(app.url("/")).json(&json!({ "text": "on time" })).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn live_streams_are_capped_per_key_per_token_and_per_client() {
    let app = TestApp::builder()
        .env("AGENTED__RATE_LIMITS__MAX_STREAMS_PER_KEY", "2")
        .env("AGENTED__RATE_LIMITS__MAX_STREAMS_PER_CLIENT", "5")
        .spawn()
        .await;
    let trigger = create_trigger(&app, json!({})).await;
    // A run that lasts: its streams stay open (queued or running) until it is cancelled.
    let exec = run(&app, &trigger, "lines=1 sleep_ms=600000").await;
    let stream = format!("/admin/executions/{exec}/stream");
    let open = |c: &reqwest::Client, url: String| {
        let c = c.clone();
        async move { c.get(url).send().await.unwrap() }
    };

    let mut held = Vec::new();
    for _ in 0..2 {
        let res = open(&app.client, app.url(&stream)).await;
        assert_eq!(res.status(), 200);
        held.push(res);
    }
    let third = open(&app.client, app.url(&stream)).await;
    assert_eq!(third.status(), 429);
    let body: Value = third.json().await.unwrap();
    assert_eq!(body["code"], "too_many_streams", "{body}");

    // One token is one credential: it does not open streams without end either.
    let token: Value = app.client.post(app.url(&format!("{stream}-token"))).send().await.unwrap().json().await.unwrap();
    let url = app.url(token["stream_url"].as_str().unwrap());
    for _ in 0..2 {
        let res = open(&app.anonymous, url.clone()).await;
        assert_eq!(res.status(), 200);
        held.push(res);
    }
    assert_eq!(open(&app.anonymous, url).await.status(), 429);

    // Five streams are open from this address: another key gets its first, then the client cap holds.
    let reader = client(Some(&app.create_key("viewer", "read").await));
    let res = open(&reader, app.url(&stream)).await;
    assert_eq!(res.status(), 200);
    held.push(res);
    let over = open(&reader, app.url(&stream)).await;
    assert_eq!(over.status(), 429);
    assert!(over.json::<Value>().await.unwrap()["error"].as_str().unwrap().contains("this address"));
    let cancel = app.client.post(app.url(&format!("/admin/executions/{exec}/cancel"))).send().await.unwrap();
    assert_eq!(cancel.status(), 200);
}
