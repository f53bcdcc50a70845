//! Notifiers against fake receivers on port 0: run ends, budget warnings and approvals
//! reach the notifiers that hear them, a webhook's signature checks out with the
//! Standard Webhooks verifier, Slack gets a readable message with a link, failures are
//! retried and logged, and bad requests get clear JSON errors.

use crate::support::{create_trigger, run, send, wait_for_end};
use agented_auth::standard_webhooks::{SignedMessage, verify};
use agented_test_support::fake_http::Request;
use agented_test_support::{FakeReceiver, TestApp};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;

const PUBLIC_URL: &str = "https://agented.example";
const WAIT: Duration = Duration::from_secs(30);

async fn app() -> TestApp {
    TestApp::builder()
        .env("AGENTED__NOTIFICATIONS__PUBLIC_URL", PUBLIC_URL)
        .env("AGENTED__NOTIFICATIONS__RETRY_DELAY_MS", "20")
        .env("AGENTED__NOTIFICATIONS__RETRY_ATTEMPTS", "3")
        .spawn()
        .await
}

async fn notifier(app: &TestApp, body: Value) -> Value {
    let (status, created) = send(app, Method::POST, "/admin/notifiers", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created
}

/// Checks `request`'s Standard Webhooks signature under `secret`, and returns its JSON body.
fn verified(request: &Request, secret: &str) -> Value {
    let header = |name: &str| request.header(name).unwrap_or_else(|| panic!("no {name} header"));
    let message = SignedMessage {
        id: header("webhook-id"),
        timestamp: header("webhook-timestamp"),
        signatures: header("webhook-signature"),
    };
    assert_eq!(verify(secret, &message, &request.body, chrono::Utc::now(), Duration::from_secs(300)), Ok(()));
    serde_json::from_slice(&request.body).unwrap()
}

async fn log_of(app: &TestApp, id: &str, n: usize) -> Vec<Value> {
    for _ in 0..300 {
        let (_, log) = send(app, Method::GET, &format!("/admin/notifiers/{id}/deliveries"), None).await;
        let deliveries = log["deliveries"].as_array().unwrap().clone();
        if deliveries.len() >= n && deliveries.iter().all(|d| d["status"] != "pending") {
            return deliveries;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{id} did not log {n} finished deliveries");
}

#[tokio::test]
async fn run_ends_reach_a_signed_webhook_and_a_triggers_slack_channel() {
    let app = app().await;
    let (hook, slack) = (FakeReceiver::start(), FakeReceiver::start());
    let trigger = create_trigger(&app, json!({ "name": "Nightly review" })).await;
    let other = create_trigger(&app, json!({})).await;
    let global = notifier(
        &app,
        json!({ "name": "ops hook", "kind": "webhook", "url": format!("{}/in", hook.url), "events": ["run.finished", "run.failed"] }),
    )
    .await;
    let secret = global["secret"].as_str().unwrap().to_owned();
    notifier(
        &app,
        json!({ "name": "team chat", "kind": "slack", "url": format!("{}/services/T1/B2/xyz", slack.url),
                "events": ["run.failed"], "trigger_id": trigger }),
    )
    .await;

    let failed = wait_for_end(&app, &run(&app, &trigger, "exit=3").await).await;
    assert_eq!(failed["status"], "failed");
    let ok = wait_for_end(&app, &run(&app, &other, "hello").await).await;
    assert_eq!(ok["status"], "success");

    let posted = hook.wait_for(2, WAIT).await;
    assert_eq!(posted.len(), 2, "one post per run end");
    let bodies: Vec<Value> = posted.iter().map(|r| verified(r, &secret)).collect();
    let of = |id: &Value| bodies.iter().find(|b| b["data"]["execution_id"] == *id).unwrap().clone();
    let fail = of(&failed["execution_id"]);
    assert_eq!((fail["type"].as_str(), fail["data"]["status"].as_str()), (Some("run.failed"), Some("failed")));
    assert_eq!(fail["data"]["trigger_name"], "Nightly review");
    assert_eq!(fail["data"]["exit_code"], 3);
    let link = format!("{PUBLIC_URL}/executions/{}", failed["execution_id"].as_str().unwrap());
    assert_eq!(fail["data"]["url"], link.as_str());
    assert_eq!(of(&ok["execution_id"])["type"], "run.finished");
    assert!(posted.iter().all(|r| r.line.starts_with("POST /in ")), "{:?}", posted[0].line);

    let chat = slack.wait_for(1, WAIT).await;
    assert_eq!(chat.len(), 1, "the other trigger's run is not the channel's");
    let text = serde_json::from_slice::<Value>(&chat[0].body).unwrap()["text"].as_str().unwrap().to_owned();
    assert!(text.starts_with(&format!("*Run failed* · Nightly review ({trigger})\n")), "{text}");
    assert!(text.ends_with(&format!("<{link}|Open in Agented>")), "{text}");
    assert_eq!(chat[0].header("webhook-signature"), None, "Slack is not signed");

    let log = log_of(&app, global["id"].as_str().unwrap(), 2).await;
    assert!(
        log.iter().all(|d| d["status"] == "delivered" && d["attempts"] == 1 && d["response_status"] == 200),
        "{log:?}"
    );
}

#[tokio::test]
async fn failures_are_retried_refusals_are_not_and_the_log_shows_both_with_test_and_redeliver() {
    let app = app().await;
    let hook = FakeReceiver::start();
    let trigger = create_trigger(&app, json!({})).await;
    let n = notifier(
        &app,
        json!({ "name": "flaky", "kind": "webhook", "url": hook.url, "events": ["run.finished"], "trigger_id": trigger }),
    )
    .await;
    let id = n["id"].as_str().unwrap();
    hook.answer_next(&[503, 500]);
    wait_for_end(&app, &run(&app, &trigger, "hello").await).await;
    let log = log_of(&app, id, 1).await;
    assert_eq!((log[0]["status"].as_str(), log[0]["attempts"].as_u64()), (Some("delivered"), Some(3)), "{log:?}");
    let ids: Vec<_> = hook.received().iter().map(|r| r.header("webhook-id").unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|m| *m == ids[0]), "one webhook-id across attempts: {ids:?}");

    hook.answer_next(&[410]);
    let (status, tested) = send(&app, Method::POST, &format!("/admin/notifiers/{id}/test"), None).await;
    assert_eq!(status, 200, "{tested}");
    assert_eq!(
        (tested["event"].as_str(), tested["status"].as_str(), tested["attempts"].as_u64()),
        (Some("test"), Some("failed"), Some(1))
    );
    assert_eq!(tested["error"], "the receiver refused it: HTTP 410");
    let again = format!("/admin/notifiers/{id}/deliveries/{}/redeliver", tested["id"]);
    let (status, redone) = send(&app, Method::POST, &again, None).await;
    assert_eq!(status, 200, "{redone}");
    assert_eq!((redone["status"].as_str(), redone["attempts"].as_u64()), (Some("delivered"), Some(2)));
    let test_body = verified(hook.received().last().unwrap(), n["secret"].as_str().unwrap());
    assert_eq!(test_body["type"], "test");

    let (_, page) = send(&app, Method::GET, &format!("/admin/notifiers/{id}/deliveries?limit=1"), None).await;
    assert_eq!((page["total"].as_u64(), page["deliveries"].as_array().unwrap().len()), (Some(2), 1));
}

#[tokio::test]
async fn a_budget_warning_and_an_approval_reach_a_global_notifier() {
    let app = app().await;
    let hook = FakeReceiver::start();
    let n = notifier(
        &app,
        json!({ "name": "all", "kind": "webhook", "url": hook.url, "events": ["budget.warning", "approval.needed"] }),
    )
    .await;
    let secret = n["secret"].as_str().unwrap();
    let trigger = create_trigger(&app, json!({})).await;
    let (status, budget) = send(
        &app,
        Method::POST,
        "/admin/budgets",
        Some(json!({ "scope": "trigger", "entity_id": trigger, "period": "daily", "soft_limit_usd": 0.02 })),
    )
    .await;
    assert_eq!(status, 201, "{budget}");
    wait_for_end(&app, &run(&app, &trigger, "cost=0.03").await).await;
    // The next run's check finds the soft limit reached.
    wait_for_end(&app, &run(&app, &trigger, "hello").await).await;
    let warned = verified(&hook.wait_for(1, WAIT).await[0], secret);
    assert_eq!(warned["type"], "budget.warning");
    assert_eq!(warned["data"]["budget_id"], budget["id"]);
    assert_eq!(warned["data"]["trigger_id"].as_str(), Some(trigger.as_str()));
    assert!(warned["data"]["summary"].as_str().unwrap().contains("soft limit $0.02"), "{warned}");

    let graph = json!({
        "nodes": [{"id": "start", "type": "trigger"}, {"id": "ok", "type": "approval", "config": {"message": "Ship?"}}],
        "edges": [{"source": "start", "target": "ok"}]
    });
    let body = json!({ "name": "ship", "graph_json": graph, "is_draft": false });
    let (status, wf) = send(&app, Method::POST, "/admin/workflows", Some(body)).await;
    assert_eq!(status, 201, "{wf}");
    let wf = wf["id"].as_str().unwrap().to_owned();
    let (status, started) =
        send(&app, Method::POST, &format!("/admin/workflows/{wf}/run"), Some(json!({ "input_json": "v1" }))).await;
    assert_eq!(status, 202, "{started}");
    let asked = verified(&hook.wait_for(2, WAIT).await[1], secret);
    assert_eq!(asked["type"], "approval.needed");
    assert_eq!(asked["data"]["node"], "ok");
    let run_id = started["workflow_execution_id"].as_str().unwrap();
    assert_eq!(asked["data"]["workflow_run_id"].as_str(), Some(run_id));
    assert_eq!(asked["data"]["url"], format!("{PUBLIC_URL}/workflows/{wf}/runs/{run_id}").as_str());
}

#[tokio::test]
async fn bad_requests_get_clear_json_errors_and_secrets_are_shown_once() {
    let app = app().await;
    let hook = FakeReceiver::start();
    let post = |body: Option<Value>| send(&app, Method::POST, "/admin/notifiers", body);
    let (status, empty) = post(Some(json!({}))).await;
    assert_eq!(status, 422, "{empty}");
    assert_eq!(empty["details"].as_object().unwrap().keys().collect::<Vec<_>>(), ["events", "kind", "name", "url"]);
    let (status, bad) = post(Some(
        json!({ "name": "x", "kind": "pager", "url": "ftp://h", "events": ["run.started"], "trigger_id": "trig-none" }),
    ))
    .await;
    assert_eq!(status, 422, "{bad}");
    for field in ["events", "kind", "url"] {
        assert!(bad["details"][field].is_string(), "{field}: {bad}");
    }
    let (status, unknown) = post(Some(
        json!({ "name": "x", "kind": "webhook", "url": hook.url, "events": ["run.failed"], "trigger_id": "trig-none" }),
    ))
    .await;
    assert_eq!((status, unknown["details"]["trigger_id"].as_str()), (422, Some("unknown trigger 'trig-none'")));
    let (status, extra) = post(Some(json!({ "nme": "typo" }))).await;
    assert_eq!((status, extra["code"].as_str()), (422, Some("invalid")), "{extra}");
    let res = app.client.post(app.url("/admin/notifiers")).body("{not json").send().await.unwrap();
    assert_eq!(res.status(), 400);

    let slack_url = format!("{}/services/T1/B2/secret-part", hook.url);
    let slack =
        notifier(&app, json!({ "name": "chat", "kind": "slack", "url": slack_url, "events": ["run.failed"] })).await;
    let id = slack["id"].as_str().unwrap();
    assert_eq!(slack["secret"], Value::Null);
    let (_, shown) = send(&app, Method::GET, &format!("/admin/notifiers/{id}"), None).await;
    assert_eq!(shown["url"], format!("{}/…", hook.url).as_str(), "the Slack URL's path is a credential");
    assert!(shown.get("secret").is_none());
    // Sending back what was fetched keeps the stored URL.
    let echo = json!({ "name": "chat 2", "url": shown["url"], "events": shown["events"], "trigger_id": null, "enabled": true });
    let (status, renamed) = send(&app, Method::PUT, &format!("/admin/notifiers/{id}"), Some(echo)).await;
    assert_eq!((status, renamed["name"].as_str()), (200, Some("chat 2")), "{renamed}");
    let (status, tested) = send(&app, Method::POST, &format!("/admin/notifiers/{id}/test"), None).await;
    assert_eq!((status, tested["status"].as_str()), (200, Some("delivered")), "{tested}");
    assert!(hook.received().last().unwrap().line.starts_with("POST /services/T1/B2/secret-part "));
    let (status, kind) =
        send(&app, Method::PUT, &format!("/admin/notifiers/{id}"), Some(json!({ "kind": "webhook" }))).await;
    assert_eq!(status, 422, "{kind}");
    let (status, _) = send(&app, Method::POST, &format!("/admin/notifiers/{id}/secret"), None).await;
    assert_eq!(status, 422, "Slack has no secret");

    let hooked =
        notifier(&app, json!({ "name": "h", "kind": "webhook", "url": hook.url, "events": ["run.failed"] })).await;
    let hid = hooked["id"].as_str().unwrap();
    let (_, listed) = send(&app, Method::GET, "/admin/notifiers", None).await;
    assert_eq!(listed["notifiers"].as_array().unwrap().len(), 2);
    assert!(listed["notifiers"].as_array().unwrap().iter().all(|n| n.get("secret").is_none()), "{listed}");
    assert_eq!(listed["events"].as_array().unwrap().len(), 5);
    let hint = listed["notifiers"][1]["secret_hint"].as_str().unwrap();
    assert!(hooked["secret"].as_str().unwrap().starts_with(hint.trim_end_matches('…')));
    let (status, rotated) = send(&app, Method::POST, &format!("/admin/notifiers/{hid}/secret"), None).await;
    assert_eq!(status, 200);
    assert_ne!(rotated["secret"], hooked["secret"]);

    for (method, path) in [
        (Method::GET, "/admin/notifiers/ntf-nothere".to_owned()),
        (Method::GET, "/admin/notifiers/not-an-id".to_owned()),
        (Method::PUT, "/admin/notifiers/ntf-nothere".to_owned()),
        (Method::POST, "/admin/notifiers/ntf-nothere/test".to_owned()),
        (Method::GET, "/admin/notifiers/ntf-nothere/deliveries".to_owned()),
        (Method::POST, format!("/admin/notifiers/{hid}/deliveries/999/redeliver")),
        (Method::POST, format!("/admin/notifiers/{hid}/deliveries/abc/redeliver")),
    ] {
        let (status, body) = send(&app, method.clone(), &path, Some(json!({}))).await;
        assert_eq!((status, body["code"].as_str()), (404, Some("not_found")), "{method} {path}: {body}");
    }
    let (status, page) = send(&app, Method::GET, &format!("/admin/notifiers/{hid}/deliveries?limit=0"), None).await;
    assert_eq!(status, 400, "{page}");
    let (status, _) = send(&app, Method::DELETE, &format!("/admin/notifiers/{hid}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = send(&app, Method::DELETE, &format!("/admin/notifiers/{hid}"), None).await;
    assert_eq!(status, 404);
}
