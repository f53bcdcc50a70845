use agented_auth::{SecretKey, StreamToken};
use agented_test_support::TestApp;
use chrono::{Duration, Utc};
use serde_json::Value;

/// A finished execution to stream.
async fn an_execution(app: &TestApp) -> String {
    crate::support::finished_run(app, "lines=1").await["execution_id"].as_str().unwrap().to_owned()
}

async fn issue(app: &TestApp, exec: &str) -> Value {
    let res = app.client.post(app.url(&format!("/admin/executions/{exec}/stream-token"))).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_stream_token_opens_its_stream_for_sixty_seconds() {
    let app = TestApp::spawn().await;
    let exec = an_execution(&app).await;
    let token = issue(&app, &exec).await;
    let expires: chrono::DateTime<Utc> = token["expires_at"].as_str().unwrap().parse().unwrap();
    let ttl = expires - Utc::now();
    assert!(ttl > Duration::seconds(55) && ttl <= Duration::seconds(60), "{ttl}");
    let url = token["stream_url"].as_str().unwrap();
    let res = app.anonymous.get(app.url(url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("event: complete"));
    // Without the token the stream is closed.
    let closed = app.anonymous.get(app.url(&format!("/admin/executions/{exec}/stream"))).send().await.unwrap();
    assert_eq!(closed.status(), 401);
}

#[tokio::test]
async fn forged_expired_and_other_path_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let exec = an_execution(&app).await;
    let other_exec = an_execution(&app).await;
    let stream = format!("/admin/executions/{exec}/stream");
    let open = |token: String| {
        let url = app.url(&format!("{stream}?token={token}"));
        let client = app.anonymous.clone();
        async move { client.get(url).send().await.unwrap().status().as_u16() }
    };

    let other = issue(&app, &other_exec).await;
    assert_eq!(open(other["token"].as_str().unwrap().to_owned()).await, 401, "a token for another stream");

    let forged_key = SecretKey::parse(&"f".repeat(64)).unwrap();
    let forged = StreamToken::issue(&forged_key, &stream, Utc::now());
    assert_eq!(open(forged.token).await, 401, "signed with another key");

    let server_key = SecretKey::parse(&std::fs::read_to_string(app.data_dir.join("secret_key")).unwrap()).unwrap();
    let expired = StreamToken::issue(&server_key, &stream, Utc::now() - Duration::seconds(120));
    assert_eq!(open(expired.token).await, 401, "expired");
    let fresh = StreamToken::issue(&server_key, &stream, Utc::now());
    assert_eq!(open(fresh.token).await, 200, "the same construction, fresh, is accepted");

    assert_eq!(open("garbage".into()).await, 401);
    // A token only opens streams: not other routes.
    let token = issue(&app, &exec).await["token"].as_str().unwrap().to_owned();
    let elsewhere = app.anonymous.get(app.url(&format!("/admin/api-keys?token={token}"))).send().await.unwrap();
    assert_eq!(elsewhere.status(), 401);
}

#[tokio::test]
async fn an_invalid_or_unknown_execution_gets_no_token() {
    let app = TestApp::spawn().await;
    let res = app.client.post(app.url("/admin/executions/not-an-id/stream-token")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let unknown = "/admin/executions/exec-trig-abc123-20261121T000000-abcd/stream-token";
    assert_eq!(app.client.post(app.url(unknown)).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn tokens_and_keys_never_reach_the_logs() {
    let app = TestApp::spawn().await;
    let exec = an_execution(&app).await;
    let token = issue(&app, &exec).await;
    let url = token["stream_url"].as_str().unwrap();
    let res = app.anonymous.get(app.url(url)).send().await.unwrap();
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(!app.logs.for_request(&request_id).is_empty());
    let all = serde_json::to_string(&app.logs.lines()).unwrap();
    let signature = token["token"].as_str().unwrap().split('.').nth(1).unwrap();
    assert!(!all.contains(signature), "a stream token was logged");
    assert!(!all.contains(&app.admin_key[4..]), "an API key was logged");
}

#[tokio::test]
async fn a_read_key_can_watch_a_live_log_through_a_stream_token() {
    let app = TestApp::spawn().await;
    let reader = agented_test_support::client(Some(&app.create_key("dashboard viewer", "read").await));
    let trigger = crate::support::create_trigger(&app, serde_json::json!({})).await;
    let exec = crate::support::run(&app, &trigger, "lines=3 delay_ms=50").await;
    let res = reader.post(app.url(&format!("/admin/executions/{exec}/stream-token"))).send().await.unwrap();
    assert_eq!(res.status(), 200, "minting a token only opens a stream for reading");
    let token: Value = res.json().await.unwrap();
    // EventSource sends no headers: the token alone opens the stream.
    let res = app.anonymous.get(app.url(token["stream_url"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let events = agented_test_support::SseReader::new(res).until(|e| e.name == "complete").await;
    assert_eq!(events.iter().filter(|e| e.name == "log").count(), 5, "init, three lines, result: {events:?}");
    assert_eq!(events.last().unwrap().data["status"], "success");
    // Reading is all the scope allows.
    let cancel = reader.post(app.url(&format!("/admin/executions/{exec}/cancel"))).send().await.unwrap();
    assert_eq!(cancel.status(), 403);
}

#[tokio::test]
async fn the_list_events_stream_announces_each_run_as_it_is_queued_starts_and_ends() {
    let app = TestApp::spawn().await;
    let reader = agented_test_support::client(Some(&app.create_key("wallboard", "read").await));
    let res = reader.post(app.url("/admin/events/stream-token")).send().await.unwrap();
    assert_eq!(res.status(), 200, "a read key may open the list events");
    let token: Value = res.json().await.unwrap();
    assert_eq!(token["stream_url"].as_str().unwrap().split('?').next(), Some("/admin/events/stream"));
    let res = app.anonymous.get(app.url(token["stream_url"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let mut events = agented_test_support::SseReader::new(res);
    assert_eq!(events.next().await.unwrap().name, "ready", "subscribed before anything it should see");

    let trigger = crate::support::create_trigger(&app, serde_json::json!({})).await;
    let exec = crate::support::run(&app, &trigger, "lines=1").await;
    let mine = events.until(|e| e.data["execution_id"] == exec.as_str() && e.data["status"] == "success").await;
    let statuses: Vec<&str> = mine
        .iter()
        .filter(|e| e.name == "execution" && e.data["execution_id"] == exec.as_str())
        .map(|e| e.data["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["queued", "running", "success"]);
    // Announced after it was stored: the list already shows what the event said.
    let row = app.get(&format!("/admin/executions/{exec}")).await.json::<Value>().await.unwrap();
    assert_eq!(row["status"], "success");
}

#[tokio::test]
async fn the_list_events_stream_needs_a_key_or_its_own_token() {
    let app = TestApp::spawn().await;
    assert_eq!(app.anonymous.get(app.url("/admin/events/stream")).send().await.unwrap().status(), 401);
    let exec = an_execution(&app).await;
    let run_token = issue(&app, &exec).await["token"].as_str().unwrap().to_owned();
    let res = app.anonymous.get(app.url(&format!("/admin/events/stream?token={run_token}"))).send().await.unwrap();
    assert_eq!(res.status(), 401, "a run's token opens that run's stream only");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized", "{body}");
    // Tokens change nothing, so they are not in the audit trail.
    reader_token(&app).await;
    let audit: Value = app.get("/admin/audit").await.json().await.unwrap();
    let actions: Vec<&str> =
        audit["entries"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(!actions.iter().any(|a| a.contains("stream")), "{actions:?}");
}

async fn reader_token(app: &TestApp) {
    let res = app.client.post(app.url("/admin/events/stream-token")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}
