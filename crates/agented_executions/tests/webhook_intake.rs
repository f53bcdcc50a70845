//! `WebhookIntake`'s decisions on in-memory fakes: challenges, pings, when a bad
//! signature refuses the delivery, repeats, and what the inspector records.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

mod support;

use agented_executions::{Arrival, Inspector, Reception, Refusal};
use agented_triggers::TriggerPatch;
use agented_triggers::fakes::MemoryDeliveries;
use std::sync::Arc;
use support::world;

fn unsigned(_secret: &str) -> Result<(), String> {
    Err("no signature".into())
}

fn signed(secret: &str) -> Result<(), String> {
    if secret == "s3cret" { Ok(()) } else { Err("signed with another secret".into()) }
}

fn webhook(path: &str, value: &str) -> TriggerPatch {
    TriggerPatch {
        trigger_source: Some("webhook".into()),
        match_field_path: Some(path.into()),
        match_field_value: Some(value.into()),
        ..TriggerPatch::default()
    }
}

fn delivered(reception: Reception) -> agented_executions::DeliverySummary {
    match reception {
        Reception::Delivered(summary) => summary,
        other => panic!("expected a delivery summary, got {other:?}"),
    }
}

#[tokio::test]
async fn a_url_verification_gets_its_challenge_and_starts_nothing() {
    let w = world();
    w.trigger("any", webhook("type", "url_verification")).await;
    let body = br#"{"type":"url_verification","challenge":"abc"}"#;
    let arrival = Arrival { headers: &[], body };
    let Reception::Challenge(c) = w.intake().receive(&arrival, &unsigned, None).await.unwrap() else { panic!() };
    assert_eq!(c, "abc");
    assert!(w.queue.queued().is_empty());
}

#[tokio::test]
async fn only_json_objects_are_deliveries() {
    let w = world();
    for (body, code) in [(&b"not json"[..], "invalid_json"), (&b"[1,2]"[..], "invalid_payload")] {
        let arrival = Arrival { headers: &[], body };
        match w.intake().receive(&arrival, &unsigned, None).await {
            Err(Refusal::Malformed { code: got, .. }) => assert_eq!(got, code),
            other => panic!("expected a malformed refusal, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_matching_delivery_runs_once_within_the_dedup_window() {
    let w = world();
    w.trigger("alerts", webhook("kind", "alert")).await;
    let body = br#"{"kind":"alert","text":"disk full"}"#;
    let arrival = Arrival { headers: &[], body };
    let first = delivered(w.intake().receive(&arrival, &unsigned, None).await.unwrap());
    assert_eq!((first.message.as_str(), first.started.len()), ("1 run started", 1));
    let again = delivered(w.intake().receive(&arrival, &unsigned, None).await.unwrap());
    assert!(again.duplicate && again.started.is_empty(), "{again:?}");
    w.clock.advance(chrono::Duration::seconds(11));
    let later = delivered(w.intake().receive(&arrival, &unsigned, None).await.unwrap());
    assert_eq!(later.started.len(), 1);
}

#[tokio::test]
async fn a_delivery_only_signed_triggers_wanted_and_that_is_unsigned_is_refused() {
    let w = world();
    let secret = TriggerPatch { webhook_secret: Some("s3cret".into()), ..webhook("kind", "alert") };
    w.trigger("guarded", secret).await;
    let arrival = Arrival { headers: &[], body: br#"{"kind":"alert"}"# };
    assert!(matches!(w.intake().receive(&arrival, &unsigned, None).await, Err(Refusal::Unsigned(_))));
    let ok = delivered(w.intake().receive(&arrival, &signed, None).await.unwrap());
    assert_eq!(ok.started.len(), 1);
    // An open trigger that matched makes the delivery a success for the sender.
    w.trigger("open", webhook("kind", "alert")).await;
    w.clock.advance(chrono::Duration::seconds(11));
    let mixed = delivered(w.intake().receive(&arrival, &unsigned, None).await.unwrap());
    assert_eq!(mixed.started.len(), 1);
}

#[tokio::test]
async fn a_run_that_cannot_be_stored_asks_the_sender_to_retry_and_is_not_a_duplicate_then() {
    let w = world();
    w.trigger("alerts", webhook("kind", "alert")).await;
    let arrival = Arrival { headers: &[], body: br#"{"kind":"alert"}"# };
    w.executions.broken.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(matches!(w.intake().receive(&arrival, &unsigned, None).await, Err(Refusal::Retry(_))));
    w.executions.broken.store(false, std::sync::atomic::Ordering::SeqCst);
    let resent = delivered(w.intake().receive(&arrival, &unsigned, None).await.unwrap());
    assert_eq!(resent.started.len(), 1);
}

#[tokio::test]
async fn a_run_that_cannot_be_queued_is_failed_and_its_keys_freed_so_the_resend_runs() {
    let w = world();
    w.trigger("alerts", webhook("kind", "alert")).await;
    let arrival = Arrival { headers: &[], body: br#"{"kind":"alert"}"# };
    w.queue.broken.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(matches!(w.intake().receive(&arrival, &unsigned, None).await, Err(Refusal::Retry(_))));
    w.queue.broken.store(false, std::sync::atomic::Ordering::SeqCst);
    let resent = delivered(w.intake().receive(&arrival, &unsigned, None).await.unwrap());
    assert_eq!(resent.started.len(), 1, "{resent:?}");
    let statuses: Vec<_> = w.executions.all().iter().map(|e| e.status.as_str()).collect();
    assert_eq!(statuses, ["failed", "queued"], "the unqueued run is marked failed, the resend is a new run");
}

#[tokio::test]
async fn the_inspector_records_each_decision_with_secret_headers_redacted() {
    let w = world();
    let t = w.trigger("alerts", webhook("kind", "alert")).await;
    let log = Arc::new(MemoryDeliveries::default());
    let intake = w.intake().with_inspector(Inspector { log: log.clone(), keep: 2 });
    let headers = [("content-type", "application/json"), ("authorization", "Bearer hunter2")];
    for body in [
        &br#"{"kind":"alert","n":1}"#[..],
        br#"{"kind":"alert","n":2}"#,
        br#"{"kind":"alert","n":3}"#,
        br#"{"kind":"other"}"#,
    ] {
        intake.receive(&Arrival { headers: &headers, body }, &unsigned, None).await.unwrap();
    }
    let mine = intake.deliveries_of(t.id.as_str()).await.unwrap();
    assert_eq!(mine.len(), 2, "kept per trigger");
    assert!(mine.iter().all(|r| r.decision == "started"));
    assert!(!format!("{:?}", mine[0].headers).contains("hunter2"), "{:?}", mine[0].headers);
    let unmatched = intake.recent_deliveries(true, 10).await.unwrap();
    assert_eq!(unmatched.len(), 1);
    assert_eq!(unmatched[0].decision, "not_matched");
    assert!(matches!(intake.deliveries_of("trig-missing").await, Err(agented_triggers::TriggerError::NotFound)));
}

fn github(event: &str, delivery: &str) -> [(&'static str, String); 2] {
    [("x-github-event", event.to_owned()), ("x-github-delivery", delivery.to_owned())]
}

#[tokio::test]
async fn github_deliveries_need_a_configured_secret_and_its_signature() {
    let w = world();
    let body = br#"{"zen":"hi"}"#;
    let headers = github("ping", "d-1");
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let arrival = Arrival { headers: &pairs, body };
    let no_secret = w.intake();
    assert!(matches!(no_secret.receive_github(&arrival, &|_| true, "digest").await, Err(Refusal::Unsigned(_))));
    let log = Arc::new(MemoryDeliveries::default());
    let intake =
        w.intake().with_github_secret(Some("gh".into())).with_inspector(Inspector { log: log.clone(), keep: 5 });
    assert!(matches!(intake.receive_github(&arrival, &|s| s == "other", "digest").await, Err(Refusal::Unsigned(_))));
    assert_eq!(log.all()[0].decision, "bad_signature");
    assert!(matches!(intake.receive_github(&arrival, &|s| s == "gh", "digest").await.unwrap(), Reception::Pong));
    let no_event = Arrival { headers: &[], body };
    match intake.receive_github(&no_event, &|_| true, "digest").await {
        Err(Refusal::Malformed { code, .. }) => assert_eq!(code, "missing_event"),
        other => panic!("expected missing_event, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wanted_github_event_runs_once_and_one_a_prompt_cannot_use_is_refused_whole() {
    let w = world();
    let review = TriggerPatch {
        trigger_source: Some("github".into()),
        prompt_template: Some("Review {pr_url}".into()),
        ..TriggerPatch::default()
    };
    w.trigger("review", review).await;
    let intake = w.intake().with_github_secret(Some("gh".into()));
    let body = br#"{"action":"opened","pull_request":{"html_url":"https://github.com/a/b/pull/1","number":1,"title":"t","body":"","user":{"login":"u"},"head":{"ref":"f"},"base":{"ref":"main"}},"repository":{"full_name":"a/b"}}"#;
    let headers = github("pull_request", "d-2");
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let arrival = Arrival { headers: &pairs, body };
    let first = delivered(intake.receive_github(&arrival, &|_| true, "digest-2").await.unwrap());
    assert_eq!(first.started.len(), 1, "{first:?}");
    let again = delivered(intake.receive_github(&arrival, &|_| true, "digest-2").await.unwrap());
    assert!(again.duplicate);
    let bare = br#"{"action":"opened","repository":{"full_name":"a/b"}}"#;
    let headers = github("pull_request", "d-3");
    let pairs: Vec<(&str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    match intake.receive_github(&Arrival { headers: &pairs, body: bare }, &|_| true, "digest-3").await {
        Err(Refusal::Malformed { code, message }) => {
            assert_eq!(code, "missing_fields");
            assert!(message.contains("pr_url"), "{message}");
        }
        other => panic!("expected missing_fields, got {other:?}"),
    }
}

#[tokio::test]
async fn a_delivery_to_a_trigger_that_runs_a_team_starts_a_workflow_run_holding_its_keys() {
    let w = world();
    let team = TriggerPatch {
        execution_mode: Some("team".into()),
        team_id: Some(Some("team-crew01".into())),
        ..webhook("kind", "alert")
    };
    let t = w.trigger("to the crew", team).await;
    let arrival = Arrival { headers: &[], body: br#"{"kind":"alert","text":"disk full"}"# };
    let first = delivered(w.intake().receive(&arrival, &unsigned, None).await.unwrap());
    assert!(matches!(first.started[0].1, agented_executions::RunRef::Workflow(_)), "{first:?}");
    assert!(w.executions.all().is_empty(), "no execution of the trigger's CLI");
    let again = delivered(w.intake().receive(&arrival, &unsigned, None).await.unwrap());
    assert!(again.duplicate && again.started.is_empty(), "the run holds the delivery's keys: {again:?}");
    let started = w.starter.started.lock().unwrap().clone();
    let [(trigger, mode, input, keys)] = started.as_slice() else { panic!("one start: {started:?}") };
    assert_eq!((trigger, mode.as_str(), keys.len()), (&t.id, "team", 1));
    assert_eq!((input["message"].as_str(), input["trigger_type"].as_str()), (Some("disk full"), Some("webhook")));
    assert!(input["text"].as_str().unwrap().starts_with("Handle <untrusted-input-"), "the prompt, fenced: {input}");
}
