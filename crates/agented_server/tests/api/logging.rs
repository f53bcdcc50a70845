use agented_test_support::TestApp;

#[tokio::test]
async fn every_log_line_of_a_request_carries_the_x_request_id_value() {
    let app = TestApp::builder().routes(crate::probes::routes).spawn().await;
    let nonce = uuid_like();
    let res = app.client.get(app.url("/__test/log")).header("x-probe-nonce", &nonce).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(request_id.len(), 36, "a UUID: {request_id}");

    // The "request finished" line is written before the response leaves the server, so every
    // line of this request is in the capture by now.
    let lines = app.logs.for_request(&request_id);
    let messages: Vec<&str> = lines.iter().filter_map(|l| l["message"].as_str()).collect();
    for expected in ["probe: in handler", "probe: in blocking task", "request finished"] {
        assert!(messages.contains(&expected), "missing {expected:?} in {messages:?}");
    }
    // And no line about this request is missing the id or carries another one.
    let probe_lines: Vec<_> = app.logs.lines().into_iter().filter(|l| l["nonce"] == nonce.as_str()).collect();
    assert_eq!(probe_lines.len(), 2);
    assert!(probe_lines.iter().all(|l| l["request_id"] == request_id.as_str()), "{probe_lines:?}");
}

#[tokio::test]
async fn two_requests_get_different_request_ids() {
    let app = TestApp::spawn().await;
    let a = app.get("/health/liveness").await.headers()["x-request-id"].clone();
    let b = app.get("/health/liveness").await.headers()["x-request-id"].clone();
    assert_ne!(a, b);
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    format!(
        "nonce-{}-{:?}",
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos(),
        std::thread::current().id()
    )
}
