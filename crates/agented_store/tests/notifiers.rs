//! Notifiers and their delivery log against a real SQLite file or PostgreSQL database:
//! one delivery per notifier and key, the newest kept, attempts stored, and a trigger's
//! notifiers gone with it.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{NoticeEvent, NotifierId, Page, TriggerId};
use agented_notifications::{Attempted, DeliveryStatus, NewDelivery, Notifier, NotifierKind, NotifierRepository};
use agented_store::testing::Scratch;
use agented_store::{SqlNotifiers, SqlTriggers};
use agented_triggers::{TriggerPatch, TriggerRepository, TriggerSettings};
use chrono::{SubsecRound, Utc};

fn notifier(name: &str, trigger: Option<TriggerId>) -> Notifier {
    let now = Utc::now().trunc_subsecs(6);
    Notifier {
        id: NotifierId::generate(),
        name: name.into(),
        kind: NotifierKind::Webhook,
        url: "https://hooks.example/in".into(),
        secret: Some("whsec_c2VjcmV0".into()),
        trigger_id: trigger,
        events: vec![NoticeEvent::RunFinished, NoticeEvent::WorkerLost],
        enabled: true,
        created_at: now,
        updated_at: now,
    }
}

fn delivery(n: &Notifier, key: &str) -> NewDelivery {
    NewDelivery {
        notifier_id: n.id.clone(),
        event: "run.finished".into(),
        key: key.into(),
        message_id: format!("msg_{key}"),
        body: r#"{"type":"run.finished"}"#.into(),
        at: Utc::now().trunc_subsecs(6),
    }
}

#[tokio::test]
async fn notifiers_round_trip_and_go_with_their_trigger() {
    let dir = Scratch::new();
    let db = dir.database();
    let (store, triggers) = (SqlNotifiers::new(db.clone()), SqlTriggers::new(db));
    let patch = TriggerPatch { name: Some("T".into()), prompt_template: Some("p".into()), ..TriggerPatch::default() };
    let settings = patch.apply(&TriggerSettings::default()).unwrap();
    let trigger = triggers.insert(&TriggerId::generate(), &settings, None, &[], Utc::now()).await.unwrap();
    let (mine, global) = (notifier("b-mine", Some(trigger.id.clone())), notifier("a-all", None));
    store.insert(&mine).await.unwrap();
    store.insert(&global).await.unwrap();
    assert_eq!(store.list().await.unwrap(), vec![global.clone(), mine.clone()], "by name, as stored");
    let changed = Notifier { enabled: false, events: vec![NoticeEvent::RunFailed], ..global.clone() };
    assert!(store.update(&changed).await.unwrap());
    assert_eq!(store.get(&global.id).await.unwrap(), Some(changed));
    store.record(&delivery(&mine, "k1"), 10).await.unwrap().unwrap();

    triggers.delete(&trigger.id).await.unwrap();
    assert_eq!(store.get(&mine.id).await.unwrap(), None, "a trigger's notifier goes with it");
    assert!(store.pending().await.unwrap().is_empty(), "and its deliveries");
    assert!(!store.update(&mine).await.unwrap());
    assert!(store.delete(&global.id).await.unwrap());
    assert!(!store.delete(&global.id).await.unwrap());
}

#[tokio::test]
async fn a_delivery_is_recorded_once_per_key_attempted_and_the_log_keeps_the_newest() {
    let dir = Scratch::new();
    let store = SqlNotifiers::new(dir.database());
    let n = notifier("n", None);
    store.insert(&n).await.unwrap();
    let first = store.record(&delivery(&n, "k1"), 3).await.unwrap().unwrap();
    assert_eq!((first.status, first.attempts, first.key.as_str()), (DeliveryStatus::Pending, 0, "k1"));
    assert_eq!(store.record(&delivery(&n, "k1"), 3).await.unwrap(), None, "the same occurrence");
    assert!(store.record(&delivery(&notifier("ghost", None), "k1"), 3).await.is_err(), "no such notifier");

    let at = Utc::now().trunc_subsecs(6);
    let failed = Attempted {
        status: DeliveryStatus::Failed,
        attempts: 2,
        response_status: Some(503),
        error: Some("x".into()),
        at,
    };
    assert!(store.attempted(first.id, &failed).await.unwrap());
    let stored = store.delivery(first.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.attempts, stored.response_status, stored.updated_at),
        (DeliveryStatus::Failed, 2, Some(503), at)
    );
    assert!(!store.attempted(first.id + 1000, &failed).await.unwrap());

    for key in ["k2", "k3", "k4"] {
        store.record(&delivery(&n, key), 3).await.unwrap().unwrap();
    }
    let (log, total) = store.deliveries(&n.id, Page::default()).await.unwrap();
    assert_eq!(total, 3);
    assert_eq!(log.iter().map(|d| d.key.as_str()).collect::<Vec<_>>(), ["k4", "k3", "k2"], "newest first; k1 pruned");
    assert_eq!(store.pending().await.unwrap().iter().map(|d| d.key.as_str()).collect::<Vec<_>>(), ["k2", "k3", "k4"]);
}
