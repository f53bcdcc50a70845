//! `POST /api/webhooks/github/`: signed GitHub events, with fixtures written
//! from GitHub's documented payloads.

use crate::support::{create_trigger, wait_for_end, without_nonces};
use agented_test_support::TestApp;
use serde_json::{Value, json};

pub(crate) const SECRET: &str = "gh-webhook-secret";

fn fixture(name: &str) -> String {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/github").join(format!("{name}.json"));
    std::fs::read_to_string(path).unwrap()
}

pub(crate) async fn app() -> TestApp {
    TestApp::builder().env("AGENTED__GITHUB__WEBHOOK_SECRET", SECRET).spawn().await
}

/// Sends `body` as GitHub would; `secret: None` sends no signature.
pub(crate) async fn send(
    app: &TestApp,
    path: &str,
    event: &str,
    body: &str,
    secret: Option<&str>,
    delivery: &str,
) -> (u16, Value) {
    let mut req = app
        .anonymous
        .post(app.url(path))
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", delivery)
        .body(body.to_owned());
    if let Some(secret) = secret {
        req = req.header("x-hub-signature-256", agented_auth::sign(secret.as_bytes(), body.as_bytes()));
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn deliver(app: &TestApp, event: &str, fixture_name: &str, delivery: &str) -> (u16, Value) {
    send(app, "/api/webhooks/github/", event, &fixture(fixture_name), Some(SECRET), delivery).await
}

pub(crate) fn github_trigger(extra: Value) -> Value {
    let mut body =
        json!({ "trigger_source": "github", "prompt_template": "Review {pr_url}: {pr_title} by {pr_author} lines=1" });
    body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    body
}

#[tokio::test]
async fn every_fixture_is_refused_with_a_wrong_or_missing_signature_and_accepted_with_the_right_one() {
    let app = app().await;
    create_trigger(&app, github_trigger(json!({}))).await;
    for (event, name) in [
        ("ping", "ping"),
        ("pull_request", "pull_request_opened"),
        ("pull_request", "pull_request_closed"),
        ("issues", "issues_opened"),
        ("push", "push"),
    ] {
        let body = fixture(name);
        let (status, answer) = send(&app, "/api/webhooks/github/", event, &body, None, &format!("{name}-a")).await;
        assert_eq!(status, 401, "{name} unsigned: {answer}");
        let (status, answer) =
            send(&app, "/api/webhooks/github/", event, &body, Some("not-the-secret"), &format!("{name}-b")).await;
        assert_eq!(status, 401, "{name} wrongly signed: {answer}");
        assert_eq!(answer["code"], "unauthorized");
        let (status, answer) = deliver(&app, event, name, &format!("{name}-c")).await;
        assert_eq!(status, 200, "{name} signed: {answer}");
    }
    let runs: Value = app.get("/admin/executions").await.json().await.unwrap();
    assert_eq!(runs["total"], 1, "only the opened pull request ran: {runs}");
}

#[tokio::test]
async fn without_a_configured_secret_every_delivery_is_401() {
    let app = TestApp::spawn().await;
    let (status, answer) = send(&app, "/api/webhooks/github", "ping", &fixture("ping"), Some(SECRET), "d1").await;
    assert_eq!(status, 401);
    assert!(answer["error"].as_str().unwrap().contains("GITHUB_WEBHOOK_SECRET is not configured"), "{answer}");
}

#[tokio::test]
async fn ping_pongs_and_unwanted_events_are_ignored() {
    let app = app().await;
    let (status, answer) = deliver(&app, "ping", "ping", "p1").await;
    assert_eq!((status, answer), (200, json!({ "message": "pong" })));
    let (status, answer) = deliver(&app, "pull_request", "pull_request_closed", "p2").await;
    assert_eq!(status, 200);
    assert_eq!(answer["message"], "ignored: no trigger wants pull_request.closed events");
    assert_eq!(answer["executions"], json!([]));
}

#[tokio::test]
async fn an_opened_pull_request_fills_the_pr_placeholders_fenced_and_runs_once_per_delivery() {
    let app = app().await;
    let trigger = create_trigger(&app, github_trigger(json!({}))).await;
    let (status, answer) = deliver(&app, "pull_request", "pull_request_opened", "delivery-1").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["executions"][0]["trigger_id"], trigger.as_str());
    let id = answer["executions"][0]["execution_id"].as_str().unwrap().to_owned();
    let done = wait_for_end(&app, &id).await;
    assert_eq!(done["status"], "success", "{done}");
    assert_eq!(done["trigger_type"], "github_webhook");
    let prompt = &without_nonces(done["prompt"].as_str().unwrap());
    assert!(
        prompt.contains("<untrusted-input name=\"pr_url\">\nhttps://github.com/acme/web/pull/42\n</untrusted-input>"),
        "{prompt}"
    );
    assert!(
        prompt.contains("<untrusted-input name=\"pr_title\">\nAdd dark mode to settings\n</untrusted-input>"),
        "NUL stripped: {prompt}"
    );
    assert!(prompt.contains("<untrusted-input name=\"pr_author\">\nann-dev\n</untrusted-input>"), "{prompt}");
    let names: Vec<&str> =
        done["prompt_inputs"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert_eq!(names.iter().filter(|n| ["pr_url", "pr_title", "pr_author"].contains(n)).count(), 3, "{names:?}");

    // GitHub redelivers with the same X-GitHub-Delivery: nothing new.
    let (status, again) = deliver(&app, "pull_request", "pull_request_opened", "delivery-1").await;
    assert_eq!(status, 200);
    assert_eq!(again["duplicate"], true, "{again}");
    // The delivery id is not signed: the same signed body under a new id is a replay, and starts nothing.
    let (status, replayed) = deliver(&app, "pull_request", "pull_request_opened", "delivery-2").await;
    assert_eq!(status, 200);
    assert_eq!(replayed["duplicate"], true, "{replayed}");
    // A new event (GitHub's body changes: here the action) runs.
    let reopened = fixture("pull_request_opened").replacen("\"action\": \"opened\"", "\"action\": \"reopened\"", 1);
    assert_ne!(reopened, fixture("pull_request_opened"));
    let (_, other) = send(&app, "/api/webhooks/github/", "pull_request", &reopened, Some(SECRET), "delivery-3").await;
    assert_eq!(other["executions"].as_array().unwrap().len(), 1, "{other}");
    let runs: Value = app.get(&format!("/admin/triggers/{trigger}/executions")).await.json().await.unwrap();
    assert_eq!(runs["total"], 2, "one run per event, none per replay: {runs}");
}

#[tokio::test]
async fn a_replayed_github_body_starts_nothing_within_the_replay_window_whatever_its_delivery_id() {
    let clock = std::sync::Arc::new(agented_kernel::ManualClock::new(chrono::Utc::now()));
    let app = TestApp::builder().env("AGENTED__GITHUB__WEBHOOK_SECRET", SECRET).clock(clock.clone()).spawn().await;
    let trigger = create_trigger(&app, github_trigger(json!({}))).await;
    let (_, first) = deliver(&app, "pull_request", "pull_request_opened", "captured-1").await;
    assert_eq!(first["executions"].as_array().unwrap().len(), 1, "{first}");
    for n in 0..3 {
        let (status, again) = deliver(&app, "pull_request", "pull_request_opened", &format!("forged-{n}")).await;
        assert_eq!((status, &again["duplicate"]), (200, &json!(true)), "{again}");
    }
    // Past the 60 s payload window and across a restart (the ledger is durable): still a replay.
    clock.advance(chrono::Duration::hours(23));
    let app = app.restart().await;
    let (_, later) = deliver(&app, "pull_request", "pull_request_opened", "forged-later").await;
    assert_eq!(later["duplicate"], true, "{later}");
    let runs: Value = app.get(&format!("/admin/triggers/{trigger}/executions")).await.json().await.unwrap();
    assert_eq!(runs["total"], 1, "{runs}");
    // Once the replay window (24 h by default) has passed, the body counts as new.
    clock.advance(chrono::Duration::hours(2));
    let (_, past) = deliver(&app, "pull_request", "pull_request_opened", "much-later").await;
    assert_eq!(past["executions"].as_array().unwrap().len(), 1, "{past}");
    let deliveries: Value = app.get(&format!("/admin/triggers/{trigger}/deliveries")).await.json().await.unwrap();
    let decisions: Vec<&str> =
        deliveries["deliveries"].as_array().unwrap().iter().map(|d| d["decision"].as_str().unwrap()).collect();
    assert_eq!(decisions.iter().filter(|d| **d == "duplicate").count(), 4, "{decisions:?}");
}

#[tokio::test]
async fn repository_and_event_filters_choose_the_triggers() {
    let app = app().await;
    let web_prs = create_trigger(&app, github_trigger(json!({ "github_repos": ["acme/web"] }))).await;
    let _api_prs = create_trigger(&app, github_trigger(json!({ "github_repos": ["acme/api"] }))).await;
    let any_pr_action = create_trigger(&app, github_trigger(json!({ "github_events": ["pull_request"] }))).await;
    let issues = create_trigger(
        &app,
        json!({ "trigger_source": "github", "github_events": ["issues.opened"], "prompt_template": "Triage {issue_title}: {message} lines=1" }),
    )
    .await;
    let pushes = create_trigger(
        &app,
        json!({ "trigger_source": "github", "github_events": ["push"], "github_repos": ["ACME/API"], "prompt_template": "{push_ref} by {pusher} lines=1" }),
    )
    .await;
    let _disabled = create_trigger(&app, github_trigger(json!({ "enabled": false }))).await;

    let cases: &[(&str, &str, Vec<&String>)] = &[
        ("pull_request", "pull_request_opened", vec![&web_prs, &any_pr_action]),
        ("pull_request", "pull_request_closed", vec![&any_pr_action]),
        ("issues", "issues_opened", vec![&issues]),
        ("push", "push", vec![&pushes]),
    ];
    for (i, (event, name, expected)) in cases.iter().enumerate() {
        let (status, answer) = deliver(&app, event, name, &format!("filters-{i}")).await;
        assert_eq!(status, 200, "{name}: {answer}");
        let mut got: Vec<&str> =
            answer["executions"].as_array().unwrap().iter().map(|e| e["trigger_id"].as_str().unwrap()).collect();
        let mut want: Vec<&str> = expected.iter().map(|t| t.as_str()).collect();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{name}: {answer}");
    }
}

#[tokio::test]
async fn a_wanted_event_without_the_fields_a_prompt_needs_is_a_400_naming_them_and_starts_nothing() {
    let app = app().await;
    create_trigger(&app, json!({ "trigger_source": "github", "github_events": ["issues.opened"], "prompt_template": "Fix {issue_title} {pr_url}" })).await;
    let (status, answer) = deliver(&app, "issues", "issues_opened", "m1").await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["code"], "missing_fields");
    assert!(answer["error"].as_str().unwrap().contains("pr_url"), "{answer}");
    let runs: Value = app.get("/admin/executions").await.json().await.unwrap();
    assert_eq!(runs["total"], 0);
}

#[tokio::test]
async fn malformed_deliveries_are_400_and_trigger_fields_are_validated() {
    let app = app().await;
    let (status, answer) = send(&app, "/api/webhooks/github", "push", "[1]", Some(SECRET), "x1").await;
    assert_eq!((status, answer["code"].as_str()), (400, Some("invalid_payload")));
    let (status, answer) = send(&app, "/api/webhooks/github", "push", "{oops", Some(SECRET), "x2").await;
    assert_eq!((status, answer["code"].as_str()), (400, Some("invalid_json")));
    let (status, answer) = send(&app, "/api/webhooks/github", "", "{}", Some(SECRET), "x3").await;
    assert_eq!((status, answer["code"].as_str()), (400, Some("missing_event")));

    let res = app
        .client
        .post(app.url("/admin/triggers"))
        .json(&json!({ "name": "bad gh", "prompt_template": "x", "trigger_source": "github",
                       "github_repos": ["not a repo"], "github_events": ["Pull Request!"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["details"]["github_repos"], "'not a repo' is not owner/name");
    assert_eq!(body["details"]["github_events"], "'pull request!' is not event or event.action");
    let created = create_trigger(
        &app,
        json!({ "trigger_source": "github", "github_repos": [" Acme/Web "], "github_events": [] }),
    )
    .await;
    let view: Value = app.get(&format!("/admin/triggers/{created}")).await.json().await.unwrap();
    assert_eq!(view["github_repos"], json!(["acme/web"]));
    assert_eq!(
        view["github_events"],
        json!(["pull_request.opened", "pull_request.synchronize", "pull_request.reopened"])
    );
}
