//! The notifier service on fakes: who hears a notice, what is sent and signed, one
//! delivery per occurrence, retries with backoff, refusals, tests, redelivery and resume.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_auth::standard_webhooks::{SignedMessage, verify};
use agented_kernel::{Clock, ManualClock, Notice, NoticeEvent, NoticeValue, Notices, Page, TriggerId};
use agented_notifications::fakes::{MemoryNotifiers, ScriptedTransport};
use agented_notifications::{
    DeliveryStatus, Notifier, NotifierPatch, NotifierRepository, NotifierService, NotifyError, NotifyOptions, Post,
};
use agented_triggers::fakes::MemoryTriggers;
use agented_triggers::{TriggerPatch, TriggerRepository, TriggerSettings};
use std::sync::Arc;
use std::time::Duration;

struct World {
    service: NotifierService,
    store: Arc<MemoryNotifiers>,
    transport: Arc<ScriptedTransport>,
    triggers: Arc<MemoryTriggers>,
    clock: Arc<ManualClock>,
}

fn world(answers: Vec<Result<u16, String>>) -> World {
    let store = Arc::new(MemoryNotifiers::default());
    let transport = Arc::new(ScriptedTransport::answering(answers));
    let triggers = Arc::new(MemoryTriggers::default());
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let options = NotifyOptions {
        public_url: "https://agented.example".into(),
        attempts: 3,
        first_delay: Duration::from_secs(1),
        keep_deliveries: 3,
    };
    let service = NotifierService::new(store.clone(), triggers.clone(), transport.clone(), clock.clone(), options);
    World { service, store, transport, triggers, clock }
}

impl World {
    async fn trigger(&self, name: &str) -> TriggerId {
        let patch =
            TriggerPatch { name: Some(name.into()), prompt_template: Some("Do it".into()), ..TriggerPatch::default() };
        let settings = patch.apply(&TriggerSettings::default()).unwrap();
        self.triggers.insert(&TriggerId::generate(), &settings, None, &[], self.clock.now()).await.unwrap().id
    }

    async fn notifier(&self, json: &str) -> Notifier {
        self.service.create(serde_json::from_str::<NotifierPatch>(json).unwrap()).await.unwrap()
    }

    fn failed_run(&self, trigger: &TriggerId, execution: &str) -> Notice {
        let mut notice = Notice::new(
            NoticeEvent::RunFailed,
            format!("run.failed:{execution}"),
            format!("Run {execution} ended failed after 2 s: exited with code 1"),
            self.clock.now(),
        )
        .text("execution_id", execution)
        .fact("exit_code", Some(NoticeValue::Integer(1)));
        notice.trigger_id = Some(trigger.clone());
        notice.link = Some(format!("/executions/{execution}"));
        notice
    }
}

fn header<'a>(post: &'a Post, name: &str) -> &'a str {
    post.headers.iter().find(|(k, _)| *k == name).map(|(_, v)| v.as_str()).unwrap_or_default()
}

#[tokio::test]
async fn a_notice_reaches_the_global_notifiers_and_its_triggers_signed_and_readable() {
    let w = world(Vec::new());
    let (nightly, other) = (w.trigger("Nightly").await, w.trigger("Other").await);
    let global =
        w.notifier(r#"{"name":"all","kind":"webhook","url":"https://hooks.example/in","events":["run.failed"]}"#).await;
    let slack = w
        .notifier(&format!(
            r#"{{"name":"ops","kind":"slack","url":"https://hooks.slack.com/services/T/B/x","events":["run.failed"],"trigger_id":"{nightly}"}}"#
        ))
        .await;
    w.notifier(r#"{"name":"ends","kind":"webhook","url":"https://hooks.example/ok","events":["run.finished"]}"#).await;
    w.notifier(
        r#"{"name":"off","kind":"webhook","url":"https://hooks.example/off","events":["run.failed"],"enabled":false}"#,
    )
    .await;
    assert!(global.secret.as_deref().unwrap().starts_with("whsec_"), "a webhook gets a signing secret");
    assert_eq!(slack.secret, None);

    let delivered = w.service.tell(&w.failed_run(&nightly, "exec-1")).await;
    assert_eq!(delivered.len(), 2, "the global webhook and the trigger's Slack");
    assert!(delivered.iter().all(|d| d.status == DeliveryStatus::Delivered && d.attempts == 1), "{delivered:?}");
    let posts = w.transport.posts();
    let hook = posts.iter().find(|p| p.url == global.url).unwrap();
    let message = SignedMessage {
        id: header(hook, "webhook-id"),
        timestamp: header(hook, "webhook-timestamp"),
        signatures: header(hook, "webhook-signature"),
    };
    assert!(message.id.starts_with("msg_"));
    let secret = global.secret.as_deref().unwrap();
    assert_eq!(verify(secret, &message, hook.body.as_bytes(), w.clock.now(), Duration::from_secs(300)), Ok(()));
    let body: serde_json::Value = serde_json::from_str(&hook.body).unwrap();
    assert_eq!(body["type"], "run.failed");
    assert_eq!(body["data"]["trigger_name"], "Nightly");
    assert_eq!(body["data"]["url"], "https://agented.example/executions/exec-1");
    let chat = posts.iter().find(|p| p.url == slack.url).unwrap();
    assert_eq!(header(chat, "webhook-signature"), "", "Slack is not signed");
    let text = serde_json::from_str::<serde_json::Value>(&chat.body).unwrap()["text"].as_str().unwrap().to_owned();
    assert!(text.starts_with(&format!("*Run failed* · Nightly ({nightly})\n")), "{text}");
    assert!(text.ends_with("<https://agented.example/executions/exec-1|Open in Agented>"), "{text}");

    let again = w.service.tell(&w.failed_run(&nightly, "exec-1")).await;
    assert!(again.is_empty(), "an occurrence is delivered once: {again:?}");
    let elsewhere = w.service.tell(&w.failed_run(&other, "exec-2")).await;
    assert_eq!(elsewhere.iter().map(|d| d.notifier_id.clone()).collect::<Vec<_>>(), vec![global.id.clone()]);
    assert_eq!(w.transport.posts().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn failures_that_may_pass_are_retried_with_backoff_and_a_refusal_is_final() {
    let w = world(vec![Ok(503), Err("connection refused".into()), Ok(204)]);
    let t = w.trigger("T").await;
    let n =
        w.notifier(r#"{"name":"n","kind":"webhook","url":"https://hooks.example/in","events":["run.failed"]}"#).await;
    let started = tokio::time::Instant::now();
    let ended = w.service.tell(&w.failed_run(&t, "exec-1")).await;
    assert_eq!(
        (ended[0].status, ended[0].attempts, ended[0].response_status),
        (DeliveryStatus::Delivered, 3, Some(204))
    );
    assert_eq!(started.elapsed(), Duration::from_secs(3), "1 s, then 2 s");
    let ids: Vec<String> = w.transport.posts().iter().map(|p| header(p, "webhook-id").to_owned()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one message id across attempts: {ids:?}");

    let w = world(vec![Ok(500), Ok(429), Ok(502)]);
    let t = w.trigger("T").await;
    w.notifier(r#"{"name":"n","kind":"webhook","url":"https://hooks.example/in","events":["run.failed"]}"#).await;
    let ended = w.service.tell(&w.failed_run(&t, "exec-1")).await;
    assert_eq!((ended[0].status, ended[0].attempts), (DeliveryStatus::Failed, 3), "out of attempts");
    assert_eq!(ended[0].error.as_deref(), Some("the receiver answered HTTP 502"));

    let w = world(vec![Ok(410)]);
    let t = w.trigger("T").await;
    w.notifier(r#"{"name":"n","kind":"webhook","url":"https://hooks.example/in","events":["run.failed"]}"#).await;
    let ended = w.service.tell(&w.failed_run(&t, "exec-1")).await;
    assert_eq!((ended[0].status, ended[0].attempts), (DeliveryStatus::Failed, 1), "a 4xx is not retried");
    assert_eq!(ended[0].error.as_deref(), Some("the receiver refused it: HTTP 410"));
    let logged = w.service.deliveries(&n.id, Page::default()).await;
    assert!(matches!(logged, Err(NotifyError::NotFound("notifier"))), "another world's notifier");
}

#[tokio::test]
async fn test_redeliver_and_the_log_keep_the_newest() {
    let w = world(vec![Ok(500)]);
    let n = w
        .notifier(
            r#"{"name":"n","kind":"webhook","url":"https://hooks.example/in","events":["run.failed"],"enabled":false}"#,
        )
        .await;
    let tested = w.service.test(&n.id).await.unwrap();
    assert_eq!((tested.event.as_str(), tested.status, tested.attempts), ("test", DeliveryStatus::Failed, 1));
    let again = w.service.redeliver(&n.id, tested.id).await.unwrap();
    assert_eq!((again.status, again.attempts, again.message_id), (DeliveryStatus::Delivered, 2, tested.message_id));
    for _ in 0..3 {
        w.service.test(&n.id).await.unwrap();
    }
    let (log, total) = w.service.deliveries(&n.id, Page::default()).await.unwrap();
    assert_eq!(total, 3, "keep_deliveries = 3");
    assert!(log.iter().all(|d| d.id != tested.id), "the oldest went first");
    let other =
        w.notifier(r#"{"name":"o","kind":"slack","url":"https://hooks.slack.com/x","events":["run.failed"]}"#).await;
    assert!(matches!(w.service.redeliver(&other.id, log[0].id).await, Err(NotifyError::NotFound("delivery"))));
    assert!(matches!(w.service.rotate_secret(&other.id).await, Err(NotifyError::Invalid(_))), "Slack has no secret");
    let rotated = w.service.rotate_secret(&n.id).await.unwrap();
    assert_ne!(rotated.secret, n.secret);
}

#[tokio::test]
async fn pending_deliveries_are_taken_up_after_a_restart() {
    let w = world(Vec::new());
    let t = w.trigger("T").await;
    let n =
        w.notifier(r#"{"name":"n","kind":"webhook","url":"https://hooks.example/in","events":["run.failed"]}"#).await;
    let new = agented_notifications::NewDelivery {
        notifier_id: n.id.clone(),
        event: "run.failed".into(),
        key: "run.failed:exec-9".into(),
        message_id: "msg_left".into(),
        body: "{}".into(),
        at: w.clock.now(),
    };
    w.store.record(&new, 10).await.unwrap().unwrap();
    assert_eq!(w.service.resume().await.unwrap(), 1);
    for _ in 0..100 {
        if w.store.all_deliveries()[0].status == DeliveryStatus::Delivered {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(w.store.all_deliveries()[0].status, DeliveryStatus::Delivered);
    assert_eq!(header(&w.transport.posts()[0], "webhook-id"), "msg_left");
    // The background port: told, then delivered without the caller waiting.
    w.service.notify(w.failed_run(&t, "exec-10"));
    for _ in 0..100 {
        if w.store.all_deliveries().len() == 2 && w.store.all_deliveries()[1].status == DeliveryStatus::Delivered {
            break;
        }
        tokio::task::yield_now().await;
    }
    assert_eq!(w.store.all_deliveries()[1].key, "run.failed:exec-10");
    assert_eq!(w.store.all_deliveries()[1].status, DeliveryStatus::Delivered);
}

#[tokio::test]
async fn bad_requests_are_refused_field_by_field() {
    let w = world(Vec::new());
    let unknown =
        r#"{"name":"n","kind":"webhook","url":"https://h/in","events":["run.failed"],"trigger_id":"trig-nope"}"#;
    match w.service.create(serde_json::from_str(unknown).unwrap()).await {
        Err(NotifyError::Invalid(e)) => assert_eq!(e["trigger_id"], "unknown trigger 'trig-nope'"),
        other => panic!("{other:?}"),
    }
    let n = w.notifier(r#"{"name":"n","kind":"webhook","url":"https://h/in","events":["run.failed"]}"#).await;
    let bad = NotifierPatch { events: Some(vec!["nope".into()]), ..NotifierPatch::default() };
    assert!(matches!(w.service.update(&n.id, bad).await, Err(NotifyError::Invalid(_))));
    let moved = NotifierPatch { url: Some("https://h/other".into()), ..NotifierPatch::default() };
    assert_eq!(w.service.update(&n.id, moved).await.unwrap().url, "https://h/other");
    w.service.delete(&n.id).await.unwrap();
    assert!(matches!(w.service.delete(&n.id).await, Err(NotifyError::NotFound(_))));
}
