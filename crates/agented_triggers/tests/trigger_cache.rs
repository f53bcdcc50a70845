//! `CachedTriggers` on the in-memory store: reads come from memory after the
//! first, every write through it is seen at once, and run times are amended in place.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::TriggerId;
use agented_triggers::fakes::MemoryTriggers;
use agented_triggers::{CachedTriggers, Trigger, TriggerRepository, TriggerSettings, TriggerSource};
use chrono::{TimeZone, Utc};
use std::sync::Arc;

fn trigger(name: &str, source: TriggerSource) -> (TriggerId, TriggerSettings) {
    let settings = TriggerSettings {
        name: name.into(),
        prompt_template: "p".into(),
        trigger_source: source,
        ..TriggerSettings::default()
    };
    (TriggerId::generate(), settings)
}

#[tokio::test]
async fn reads_come_from_memory_until_a_write_through_the_cache() {
    let store = Arc::new(MemoryTriggers::default());
    let cache = CachedTriggers::new(store.clone());
    let at = Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap();
    let (hook, settings) = trigger("hook", TriggerSource::Webhook);
    cache.insert(&hook, &settings, None, &[], at).await.unwrap();
    assert_eq!(cache.by_source(TriggerSource::Webhook).await.unwrap().len(), 1);

    // A change behind the cache's back is not seen: the copy in memory answers.
    let (hidden, hidden_settings) = trigger("hidden", TriggerSource::Webhook);
    store.insert(&hidden, &hidden_settings, None, &[], at).await.unwrap();
    assert_eq!(cache.by_source(TriggerSource::Webhook).await.unwrap().len(), 1, "served from memory");
    assert!(cache.get(&hidden).await.unwrap().is_none());

    // Any write through the cache drops the copy, so both are seen now.
    let mut changed = settings.clone();
    changed.enabled = false;
    cache.update(&hook, &changed, None).await.unwrap();
    let webhooks = cache.by_source(TriggerSource::Webhook).await.unwrap();
    assert_eq!(webhooks.iter().map(|t| t.settings.name.as_str()).collect::<Vec<_>>(), ["hidden", "hook"]);
    assert!(!cache.get(&hook).await.unwrap().unwrap().settings.enabled);
    assert_eq!(cache.by_source(TriggerSource::Manual).await.unwrap(), Vec::<Trigger>::new());

    cache.delete(&hidden).await.unwrap();
    assert!(cache.get(&hidden).await.unwrap().is_none());

    // Scheduled triggers are always read from the store: the scheduler claims slots
    // against what every process wrote.
    let (nightly, nightly_settings) = trigger("nightly", TriggerSource::Scheduled);
    store.insert(&nightly, &nightly_settings, None, &[], at).await.unwrap();
    assert_eq!(cache.by_source(TriggerSource::Scheduled).await.unwrap().len(), 1);
}

#[tokio::test]
async fn run_and_schedule_times_are_amended_in_the_copy_without_a_read() {
    let store = Arc::new(MemoryTriggers::default());
    let cache = CachedTriggers::new(store.clone());
    let at = Utc.with_ymd_and_hms(2026, 12, 6, 9, 0, 0).unwrap();
    let (id, settings) = trigger("nightly", TriggerSource::Scheduled);
    cache.insert(&id, &settings, Some(at), &[], at).await.unwrap();
    assert_eq!(cache.get(&id).await.unwrap().unwrap().next_run_at, Some(at));
    let later = at + chrono::Duration::days(1);
    assert!(cache.set_next_run(&id, Some(at), Some(later)).await.unwrap());
    cache.touch_last_run(&id, at).await.unwrap();
    // A rename behind the cache's back stays unseen: the copy was amended, not read again.
    let mut renamed = store.get(&id).await.unwrap().unwrap();
    renamed.settings.name = "renamed".into();
    store.put(renamed);
    let cached = cache.get(&id).await.unwrap().unwrap();
    assert_eq!(cached.settings.name, "nightly");
    assert_eq!((cached.next_run_at, cached.last_run_at), (Some(later), Some(at)));
    // A compare-and-set that lost drops the copy: the store's value is read again.
    assert!(!cache.set_next_run(&id, Some(at), None).await.unwrap());
    assert_eq!(cache.get(&id).await.unwrap().unwrap().next_run_at, store.get(&id).await.unwrap().unwrap().next_run_at);
}
