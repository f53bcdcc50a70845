//! Trigger storage against a real SQLite file or PostgreSQL database: schedules, the next run's
//! compare-and-set, and reading by source.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::TriggerId;
use agented_store::SqlTriggers;
use agented_store::testing::Scratch;
use agented_triggers::{TriggerRepository, TriggerSettings, TriggerSource};
use chrono::{DateTime, TimeZone, Utc};

fn store(dir: &Scratch) -> SqlTriggers {
    SqlTriggers::new(dir.database())
}

fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, hour, 0, 0).unwrap()
}

fn scheduled(name: &str, kind: &str) -> TriggerSettings {
    TriggerSettings {
        name: name.into(),
        prompt_template: "check".into(),
        trigger_source: TriggerSource::Scheduled,
        schedule_type: Some(kind.into()),
        schedule_time: Some("09:00".into()),
        schedule_cron: (kind == "cron").then(|| "*/5 * * * *".into()),
        schedule_timezone: Some("Europe/Berlin".into()),
        catch_up: true,
        ..TriggerSettings::default()
    }
}

#[tokio::test]
async fn a_cron_schedule_and_catch_up_are_stored_and_read_back() {
    let dir = Scratch::new();
    let store = store(&dir);
    for kind in ["cron", "daily"] {
        let id = TriggerId::generate();
        let stored = store.insert(&id, &scheduled(kind, kind), Some(at(9)), &[], at(8)).await.unwrap();
        assert_eq!(stored.settings, scheduled(kind, kind), "{kind}");
        assert_eq!(stored.next_run_at, Some(at(9)));
        assert_eq!(store.get(&id).await.unwrap().unwrap().settings.schedule_type.as_deref(), Some(kind));
        let moved = store.update(&id, &TriggerSettings { catch_up: false, ..stored.settings }, None).await.unwrap();
        assert!(!moved.settings.catch_up);
        assert_eq!(moved.next_run_at, None, "update writes the next run with the settings");
    }
}

#[tokio::test]
async fn the_next_run_moves_only_from_the_value_expected() {
    let dir = Scratch::new();
    let store = store(&dir);
    let id = TriggerId::generate();
    store.insert(&id, &scheduled("nightly", "daily"), None, &[], at(8)).await.unwrap();

    assert!(store.set_next_run(&id, None, Some(at(9))).await.unwrap(), "from none");
    assert!(!store.set_next_run(&id, None, Some(at(10))).await.unwrap(), "no longer none");
    assert!(!store.set_next_run(&id, Some(at(10)), Some(at(11))).await.unwrap(), "not 10:00");
    assert!(store.set_next_run(&id, Some(at(9)), Some(at(12))).await.unwrap());
    assert_eq!(store.get(&id).await.unwrap().unwrap().next_run_at, Some(at(12)));
    assert!(store.set_next_run(&id, Some(at(12)), None).await.unwrap(), "to none");
    assert!(!store.set_next_run(&TriggerId::generate(), None, Some(at(9))).await.unwrap(), "unknown trigger");

    // Two movers from the same value: one wins.
    store.set_next_run(&id, None, Some(at(9))).await.unwrap();
    let (a, b) = tokio::join!(
        store.set_next_run(&id, Some(at(9)), Some(at(10))),
        store.set_next_run(&id, Some(at(9)), Some(at(11)))
    );
    assert!(a.unwrap() ^ b.unwrap());
}

#[tokio::test]
async fn triggers_are_read_by_source() {
    let dir = Scratch::new();
    let store = store(&dir);
    store.insert(&TriggerId::generate(), &scheduled("b nightly", "daily"), None, &[], at(8)).await.unwrap();
    store.insert(&TriggerId::generate(), &scheduled("a hourly", "cron"), None, &[], at(8)).await.unwrap();
    let manual = TriggerSettings { name: "by hand".into(), prompt_template: "x".into(), ..TriggerSettings::default() };
    store.insert(&TriggerId::generate(), &manual, None, &[], at(8)).await.unwrap();

    let names = |ts: Vec<agented_triggers::Trigger>| ts.into_iter().map(|t| t.settings.name).collect::<Vec<_>>();
    assert_eq!(names(store.by_source(TriggerSource::Scheduled).await.unwrap()), ["a hourly", "b nightly"]);
    assert_eq!(names(store.by_source(TriggerSource::Manual).await.unwrap()), ["by hand"]);
    assert!(store.by_source(TriggerSource::Webhook).await.unwrap().is_empty());
}
