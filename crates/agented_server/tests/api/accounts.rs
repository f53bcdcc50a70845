//! Accounts, fallback chains and rate-limit rotation, with the fake bot
//! failing as a rate-limited API does.

use crate::support::{create_trigger, execution, run, send, wait_for_end, wait_for_status};
use agented_kernel::{Clock, ManualClock};
use agented_test_support::TestApp;
use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn time(v: &Value) -> DateTime<Utc> {
    utc(v.as_str().unwrap_or_else(|| panic!("not a time: {v}")))
}

/// A server on a manual clock whose environment holds two API keys.
async fn keyed_app(start: &str) -> (TestApp, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(utc(start)));
    let app =
        TestApp::builder().clock(clock.clone()).env("TEAM_A_KEY", "alpha").env("TEAM_B_KEY", "beta").spawn().await;
    (app, clock)
}

async fn account(app: &TestApp, backend: &str, body: Value) -> String {
    let (status, created) = send(app, Method::POST, &format!("/admin/backends/{backend}/accounts"), Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

fn stdout(detail: &Value) -> String {
    detail["stdout_log"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn accounts_are_managed_per_backend_and_bad_input_is_refused() {
    let app = TestApp::builder().env("TEAM_A_KEY", "alpha").spawn().await;
    let a = account(
        &app,
        "backend-claude",
        json!({ "name": "team a", "api_key_env": "TEAM_A_KEY", "is_default": true, "plan": "max" }),
    )
    .await;
    let (_, shown) = send(&app, Method::GET, &format!("/admin/backends/backend-claude/accounts/{a}"), None).await;
    assert_eq!(shown["api_key_env"], "TEAM_A_KEY");
    assert_eq!(shown["api_key_present"], true);
    assert_eq!(shown["is_default"], true);
    assert_eq!(shown["is_rate_limited"], false);
    assert_eq!(shown["usage"]["runs"], 0);
    assert!(!shown.to_string().contains("alpha"), "the key's value is never shown");

    // A second default takes the flag.
    let b =
        account(&app, "backend-claude", json!({ "name": "team b", "api_key_env": "UNSET_KEY", "is_default": true }))
            .await;
    let (_, list) = send(&app, Method::GET, "/admin/backends/backend-claude/accounts", None).await;
    let defaults: Vec<_> = list["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["is_default"] == true)
        .map(|x| x["id"].clone())
        .collect();
    assert_eq!(defaults, [json!(b)]);
    assert_eq!(list["accounts"][1]["api_key_present"], false, "UNSET_KEY is not in the environment");

    let cases: [(Method, &str, Option<Value>, u16, &str); 9] = [
        (
            Method::POST,
            "/admin/backends/backend-claude/accounts",
            Some(json!({ "name": "team a" })),
            409,
            "already exists",
        ),
        (
            Method::POST,
            "/admin/backends/backend-claude/accounts",
            Some(json!({ "name": "x", "api_key_env": "sk-ant-api03-secret" })),
            422,
            "api_key_env",
        ),
        (
            Method::POST,
            "/admin/backends/backend-claude/accounts",
            Some(json!({ "name": "", "config_dir": "relative" })),
            422,
            "config_dir",
        ),
        (
            Method::POST,
            "/admin/backends/backend-claude/accounts",
            Some(json!({ "name": "x", "token": "t" })),
            422,
            "unknown field",
        ),
        (Method::POST, "/admin/backends/backend-nope/accounts", Some(json!({ "name": "x" })), 404, "backend not found"),
        (Method::GET, "/admin/backends/backend-codex/accounts/acct-missing", None, 404, "account not found"),
        (Method::GET, "/admin/backends/backend-claude/accounts/not-an-id", None, 404, "account not found"),
        (
            Method::PUT,
            &format!("/admin/backends/backend-codex/accounts/{a}"),
            Some(json!({ "plan": "pro" })),
            404,
            "account not found",
        ),
        (
            Method::PUT,
            &format!("/admin/backends/backend-claude/accounts/{a}"),
            Some(json!({ "name": "team b" })),
            409,
            "already exists",
        ),
    ];
    for (method, path, body, want, needle) in cases {
        let (status, answer) = send(&app, method.clone(), path, body).await;
        assert_eq!(status, want, "{method} {path}: {answer}");
        assert!(answer.to_string().contains(needle), "{method} {path}: {answer}");
    }
    let malformed = app
        .client
        .post(app.url("/admin/backends/backend-claude/accounts"))
        .header("content-type", "application/json")
        .body("{\"name\":")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400, "malformed JSON");
    let reader = agented_test_support::client(Some(&app.create_key("reader", "read").await));
    let refused = reader
        .post(app.url("/admin/backends/backend-claude/accounts"))
        .json(&json!({ "name": "r" }))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);

    let (status, changed) = send(
        &app,
        Method::PUT,
        &format!("/admin/backends/backend-claude/accounts/{a}"),
        Some(json!({ "plan": "", "config_dir": "/srv/claude-a" })),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!((changed["plan"].clone(), changed["config_dir"].clone()), (Value::Null, json!("/srv/claude-a")));
    let (_, all) = send(&app, Method::GET, "/admin/accounts", None).await;
    assert_eq!(all["accounts"].as_array().unwrap().len(), 2);
    let (status, _) = send(&app, Method::DELETE, &format!("/admin/backends/backend-claude/accounts/{a}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = send(&app, Method::DELETE, &format!("/admin/backends/backend-claude/accounts/{a}"), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_chain_is_checked_when_set_and_frozen_into_every_kind_of_run() {
    let (app, _clock) = keyed_app("2026-11-22T10:00:00Z").await;
    let claude = account(&app, "backend-claude", json!({ "name": "a", "api_key_env": "TEAM_A_KEY" })).await;
    let codex = account(&app, "backend-codex", json!({ "name": "c", "api_key_env": "TEAM_B_KEY" })).await;
    let trigger = create_trigger(&app, json!({ "trigger_source": "webhook", "detection_keyword": "deploy" })).await;
    let path = format!("/admin/triggers/{trigger}/fallback-chain");
    let bad = [
        json!({ "entries": [{ "backend_id": "backend-nope" }] }),
        json!({ "entries": [{ "backend_id": "backend-claude", "account_id": codex }] }),
        json!({ "entries": [{ "backend_id": "backend-claude", "account_id": "acct-missing" }] }),
        json!({ "entries": [{ "backend_id": "backend-claude" }, { "backend_id": "backend-claude" }] }),
        json!({ "entries": [{ "backend_id": "backend-claude", "account_id": "bad id" }] }),
    ];
    for body in bad {
        let (status, answer) = send(&app, Method::PUT, &path, Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert!(answer["details"].as_object().unwrap().keys().all(|k| k.starts_with("fallback_chain.")), "{answer}");
    }
    let (status, answer) = send(
        &app,
        Method::PUT,
        &format!("/admin/triggers/{trigger}"),
        Some(json!({ "fallback_chain": [{ "backend_id": "backend-gemini", "account_id": claude }] })),
    )
    .await;
    assert_eq!(status, 422, "the trigger update checks the chain too: {answer}");
    let (status, _) =
        send(&app, Method::PUT, "/admin/triggers/trig-nope00/fallback-chain", Some(json!({ "entries": [] }))).await;
    assert_eq!(status, 404);
    let chain = json!({ "entries": [{ "backend_id": "backend-codex", "account_id": codex }, { "backend_id": "backend-claude", "account_id": claude }] });
    let (status, saved) = send(&app, Method::PUT, &path, Some(chain.clone())).await;
    assert_eq!((status, saved), (200, chain.clone()));
    let (_, shown) = send(&app, Method::GET, &format!("/admin/triggers/{trigger}"), None).await;
    assert_eq!(shown["fallback_chain"], chain["entries"]);

    // A webhook run, a manual run and a retry all run on the chain's first entry.
    let res = app.client.post(app.url("/")).json(&json!({ "text": "deploy lines=1" })).send().await.unwrap();
    let delivered: Value = res.json().await.unwrap();
    let webhook_run =
        delivered["executions"][0]["execution_id"].as_str().unwrap_or_else(|| panic!("{delivered}")).to_owned();
    let manual_run = run(&app, &trigger, "lines=1").await;
    for id in [&webhook_run, &manual_run] {
        let done = wait_for_end(&app, id).await;
        assert_eq!(done["status"], "success", "{done}");
        assert_eq!((done["backend_type"].clone(), done["account_id"].clone()), (json!("codex"), json!(codex)));
        assert_eq!(done["fallback_chain"], chain["entries"]);
        assert!(stdout(&done).contains(&format!("account={codex}")));
    }
    let (status, retried) = send(&app, Method::POST, &format!("/admin/executions/{manual_run}/retry"), None).await;
    assert_eq!(status, 202, "{retried}");
    let retry = wait_for_end(&app, retried["execution_id"].as_str().unwrap()).await;
    assert_eq!(retry["account_id"], json!(codex));
}

#[tokio::test]
async fn a_rate_limit_moves_the_run_on_and_limited_accounts_are_skipped_until_cleared() {
    let (app, clock) = keyed_app("2026-11-22T10:00:00Z").await;
    let a = account(&app, "backend-claude", json!({ "name": "a", "api_key_env": "TEAM_A_KEY" })).await;
    let b = account(&app, "backend-claude", json!({ "name": "b", "api_key_env": "TEAM_B_KEY" })).await;
    let trigger = create_trigger(&app, json!({ "fallback_chain": [{ "backend_id": "backend-claude", "account_id": a }, { "backend_id": "backend-claude", "account_id": b }] })).await;

    // Account a's key is rate-limited: the run goes on to b, in the same execution.
    let first = wait_for_end(&app, &run(&app, &trigger, "rate_limit_if=alpha retry_after=120 lines=1").await).await;
    assert_eq!(first["status"], "success", "{first}");
    assert_eq!(first["account_id"], json!(b));
    let out = stdout(&first);
    let (at_a, at_b) = (out.find(&format!("account={a}")).unwrap(), out.find(&format!("account={b}")).unwrap());
    assert!(at_a < at_b, "chain order: a, then b\n{out}");
    let err = first["stderr_log"].as_str().unwrap();
    assert!(
        err.contains("rate_limit_error") && err.contains("[agented] rate limit on backend-claude under account 'a'"),
        "{err}"
    );
    let (_, limited) = send(&app, Method::GET, &format!("/admin/backends/backend-claude/accounts/{a}"), None).await;
    assert_eq!(limited["is_rate_limited"], true);
    assert_eq!(time(&limited["rate_limited_until"]), utc("2026-11-22T10:02:00Z"), "retry-after: 120 was read");
    assert_eq!(limited["rate_limit_hits"], 1);
    assert!(limited["rate_limit_reason"].as_str().unwrap().contains("429"));

    // While a is limited, runs skip it without starting it.
    let second = wait_for_end(&app, &run(&app, &trigger, "lines=1").await).await;
    assert_eq!(second["account_id"], json!(b));
    assert!(!stdout(&second).contains(&format!("account={a}")), "a limited account is not tried");
    assert!(second["stderr_log"].as_str().unwrap().contains("is rate-limited until 2026-11-22T10:02:00"), "{second}");

    // Clearing the limit (or its time passing) brings a back first.
    let (status, cleared) =
        send(&app, Method::POST, &format!("/admin/backends/backend-claude/accounts/{a}/clear-rate-limit"), None).await;
    assert_eq!((status, cleared["is_rate_limited"].clone()), (200, json!(false)));
    let third = wait_for_end(&app, &run(&app, &trigger, "lines=1").await).await;
    assert_eq!(third["account_id"], json!(a));
    let (_, usage) = send(&app, Method::GET, &format!("/admin/backends/backend-claude/accounts/{b}"), None).await;
    assert_eq!(usage["usage"]["runs"], 2);
    assert!(usage["usage"]["total_cost_usd"].as_f64().unwrap() > 0.0);
    clock.advance(Duration::seconds(1));
}

#[tokio::test]
async fn without_a_chain_a_run_moves_from_its_limited_default_account_to_another_of_its_backend() {
    let (app, _clock) = keyed_app("2026-11-22T10:00:00Z").await;
    let a =
        account(&app, "backend-claude", json!({ "name": "a", "api_key_env": "TEAM_A_KEY", "is_default": true })).await;
    let b = account(&app, "backend-claude", json!({ "name": "b", "api_key_env": "TEAM_B_KEY" })).await;
    account(&app, "backend-codex", json!({ "name": "other backend", "api_key_env": "TEAM_B_KEY" })).await;
    let trigger = create_trigger(&app, json!({})).await;

    let done = wait_for_end(&app, &run(&app, &trigger, "rate_limit_if=alpha lines=1").await).await;
    assert_eq!(done["status"], "success", "{done}");
    assert_eq!((done["backend_type"].clone(), done["account_id"].clone()), (json!("claude"), json!(b)));
    let out = stdout(&done);
    assert!(
        out.find(&format!("account={a}")).unwrap() < out.find(&format!("account={b}")).unwrap(),
        "default first\n{out}"
    );
    assert_eq!(done["fallback_chain"], json!([]), "the trigger's chain stays empty");

    // With a still limited, the next run goes straight to b.
    let next = wait_for_end(&app, &run(&app, &trigger, "lines=1").await).await;
    assert_eq!(next["account_id"], json!(b));
    assert!(!stdout(&next).contains(&format!("account={a}")));
}

#[tokio::test]
async fn an_exhausted_chain_waits_with_backoff_across_a_restart_then_fails_after_five_attempts() {
    let (app, clock) = keyed_app("2026-11-22T10:00:00Z").await;
    let a =
        account(&app, "backend-claude", json!({ "name": "a", "api_key_env": "TEAM_A_KEY", "is_default": true })).await;
    let trigger = create_trigger(&app, json!({})).await;
    let id = run(&app, &trigger, "rate_limit retry_after=10").await;
    let waiting = wait_for_status(&app, &id, "rate_limited").await;
    assert_eq!(waiting["account_id"], json!(a), "the default account is used without a chain");
    assert_eq!(waiting["rate_limit_attempts"], 1);
    let next = time(&waiting["next_attempt_at"]);
    let now = clock.now();
    // Backoff 60 s plus up to a quarter of jitter, never before the account is free (10 s).
    assert!(next >= now + Duration::seconds(60) && next <= now + Duration::seconds(75), "{next}");
    assert!(waiting["error_message"].as_str().unwrap().contains("attempt 1 of 5"), "{waiting}");

    // The wait is in the database: a restarted server keeps it.
    let app = app.restart().await;
    assert_eq!(app.executions.requeue_due().await.unwrap(), 0, "not due yet");
    let mut expected_wait = 60;
    for attempt in 2..=5 {
        let due = time(&execution(&app, &id).await["next_attempt_at"]);
        clock.set(due);
        // Due now: queued by this call, or by the server's own one-second watcher if it came first.
        assert!(app.executions.requeue_due().await.unwrap() <= 1, "attempt {attempt} is queued once");
        if attempt < 5 {
            // Requeued, the run is no longer rate_limited: the next such status is this attempt's.
            let waiting = wait_for_status(&app, &id, "rate_limited").await;
            assert_eq!(waiting["rate_limit_attempts"], attempt, "attempt {attempt} ran and was limited again");
            expected_wait *= 2;
            let next = time(&waiting["next_attempt_at"]);
            let (low, high) = (due + Duration::seconds(expected_wait), due + Duration::seconds(expected_wait * 5 / 4));
            assert!(next >= low && next <= high, "attempt {attempt}: {next} not in [{low}, {high}]");
        }
    }
    let failed = wait_for_end(&app, &id).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert_eq!(failed["rate_limit_attempts"], 4, "four waits, then the fifth limited pass fails");
    assert!(failed["error_message"].as_str().unwrap().contains("rate-limited on all 5 attempts"), "{failed}");
    let tries = failed["stdout_log"].as_str().unwrap().matches(&format!("account={a}")).count();
    assert_eq!(tries, 5, "one process per attempt, one execution throughout");
}

#[tokio::test]
async fn a_waiting_run_can_be_tried_now_and_clearing_its_limit_wakes_it() {
    let (app, _clock) = keyed_app("2026-11-22T10:00:00Z").await;
    let a =
        account(&app, "backend-claude", json!({ "name": "a", "api_key_env": "TEAM_A_KEY", "is_default": true })).await;
    let trigger = create_trigger(&app, json!({})).await;
    let finished = wait_for_end(&app, &run(&app, &trigger, "lines=1").await).await;
    let id = run(&app, &trigger, "rate_limit_if=alpha retry_after=600 lines=1").await;
    let waiting = wait_for_status(&app, &id, "rate_limited").await;
    assert_eq!((waiting["account_id"].clone(), waiting["rate_limit_attempts"].clone()), (json!(a), json!(1)));

    // The list events say when it moves: queued again, running, waiting again.
    let res = app.get("/admin/events/stream").await;
    let mut events = agented_test_support::SseReader::new(res);
    assert_eq!(events.next().await.unwrap().name, "ready");
    async fn waits_again(events: &mut agented_test_support::SseReader, id: &str) -> Vec<String> {
        let seen = events.until(|e| e.data["execution_id"] == id && e.data["status"] == "rate_limited").await;
        seen.iter().filter(|e| e.data["execution_id"] == id).map(|e| e.data["status"].to_string()).collect()
    }

    // "Try now": queued at once, not in ten minutes; the key is still limited, so it waits again.
    let (status, tried) = send(&app, Method::POST, &format!("/admin/executions/{id}/try-now"), None).await;
    assert_eq!(status, 200, "{tried}");
    assert_eq!(waits_again(&mut events, &id).await, [r#""queued""#, r#""running""#, r#""rate_limited""#]);
    let again = execution(&app, &id).await;
    assert_eq!(again["rate_limit_attempts"], 2, "{again}");

    // Clearing the account's limit wakes it at once too.
    let (status, _) =
        send(&app, Method::POST, &format!("/admin/backends/backend-claude/accounts/{a}/clear-rate-limit"), None).await;
    assert_eq!(status, 200);
    assert_eq!(waits_again(&mut events, &id).await.len(), 3);
    assert_eq!(execution(&app, &id).await["rate_limit_attempts"], 3);

    // Only a waiting run can be tried now.
    let finished = finished["execution_id"].as_str().unwrap();
    let (status, body) = send(&app, Method::POST, &format!("/admin/executions/{finished}/try-now"), None).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("conflict")), "{body}");
    let (status, _) = send(&app, Method::POST, "/admin/executions/not-an-id/try-now", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_cancelled_waiting_run_ends_and_is_not_tried_again() {
    let (app, clock) = keyed_app("2026-11-22T10:00:00Z").await;
    let trigger = create_trigger(&app, json!({})).await;
    let id = run(&app, &trigger, "rate_limit").await;
    wait_for_status(&app, &id, "rate_limited").await;
    let (status, _) = send(&app, Method::POST, &format!("/admin/executions/{id}/cancel"), None).await;
    assert_eq!(status, 200);
    clock.advance(Duration::hours(2));
    assert_eq!(app.executions.requeue_due().await.unwrap(), 0);
    assert_eq!(execution(&app, &id).await["status"], "cancelled");
}
