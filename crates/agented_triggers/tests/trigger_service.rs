//! `TriggerService`'s rules on in-memory fakes: ids, `next_run_at`, the
//! predefined rule, validation reported all at once, and the cross-domain checks.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{Clock, ManualClock, TriggerId};
use agented_triggers::fakes::{KnownBackends, MemoryTriggers};
use agented_triggers::{
    FallbackEntry, PathRequest, Trigger, TriggerChange, TriggerError, TriggerPatch, TriggerRepository, TriggerService,
    TriggerSettings,
};
use chrono::{TimeZone, Utc};
use std::sync::Arc;

struct World {
    service: TriggerService,
    store: Arc<MemoryTriggers>,
    clock: Arc<ManualClock>,
}

fn world() -> World {
    let store = Arc::new(MemoryTriggers::default());
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 5, 4, 8, 30, 0).unwrap()));
    let checks = Arc::new(KnownBackends {
        custom: vec!["backend-custom-lint".into()],
        all: vec!["backend-claude".into(), "backend-codex".into(), "backend-custom-lint".into()],
    });
    World { service: TriggerService::new(store.clone(), checks, clock.clone()), store, clock }
}

fn named(name: &str) -> TriggerChange {
    let patch = TriggerPatch {
        name: Some(name.into()),
        prompt_template: Some("Review {message}".into()),
        ..TriggerPatch::default()
    };
    TriggerChange { patch, ..TriggerChange::default() }
}

#[tokio::test]
async fn a_created_trigger_gets_an_id_and_its_schedule_its_first_slot() {
    let w = world();
    let mut change = named("nightly");
    change.patch.trigger_source = Some("scheduled".into());
    change.patch.schedule_type = Some("daily".into());
    change.patch.schedule_time = Some("09:00".into());
    let created = w.service.create(change).await.unwrap();
    assert!(TriggerId::parse(created.id.as_str()).is_ok());
    assert_eq!(created.next_run_at, Some(Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap()));
    assert_eq!(created.created_at, w.clock.now());
    let manual = w.service.create(named("by hand")).await.unwrap();
    assert_eq!(manual.next_run_at, None, "only scheduled triggers have a next run");
}

#[tokio::test]
async fn every_problem_is_reported_at_once_and_nothing_is_stored() {
    let w = world();
    let mut change = named("");
    change.patch.timeout_seconds = Some(5);
    change.paths = vec![PathRequest { local_project_path: Some("relative/dir".into()), github_repo_url: None }];
    change.invalid.insert("fallback_chain.0.account_id".into(), "not an account id".into());
    let Err(TriggerError::Invalid(errors)) = w.service.create(change).await else { panic!("expected Invalid") };
    let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
    assert!(fields.contains(&"name"), "{fields:?}");
    assert!(fields.contains(&"paths.0.local_project_path"), "{fields:?}");
    assert!(fields.contains(&"fallback_chain.0.account_id"), "{fields:?}");
    assert!(w.store.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn other_domains_are_asked_only_about_otherwise_valid_settings() {
    let w = world();
    let mut change = named("chained");
    change.patch.backend_id = Some("backend-custom-gone".into());
    change.patch.fallback_chain = Some(vec![FallbackEntry { backend_id: "backend-nope".into(), account_id: None }]);
    let Err(TriggerError::Invalid(errors)) = w.service.create(change).await else { panic!("expected Invalid") };
    assert_eq!(errors["backend_id"], "'backend-custom-gone' is not a custom backend");
    assert_eq!(errors["fallback_chain.0.backend_id"], "unknown backend 'backend-nope'");
}

#[tokio::test]
async fn names_are_unique_and_a_taken_name_is_a_conflict() {
    let w = world();
    w.service.create(named("reviewer")).await.unwrap();
    let Err(TriggerError::DuplicateName(name)) = w.service.create(named("reviewer")).await else {
        panic!("expected DuplicateName")
    };
    assert_eq!(name, "reviewer");
}

#[tokio::test]
async fn predefined_triggers_cannot_be_deleted_but_others_can() {
    let w = world();
    let predefined = Trigger {
        id: TriggerId::parse("bot-pr-review").unwrap(),
        is_predefined: true,
        settings: TriggerSettings { name: "PR Review".into(), ..TriggerSettings::default() },
        next_run_at: None,
        last_run_at: None,
        created_at: w.clock.now(),
    };
    w.store.put(predefined);
    assert!(matches!(w.service.delete("bot-pr-review").await, Err(TriggerError::Predefined)));
    let own = w.service.create(named("mine")).await.unwrap();
    assert_eq!(w.service.delete(own.id.as_str()).await.unwrap().id, own.id);
    assert!(matches!(w.service.get(own.id.as_str()).await, Err(TriggerError::NotFound)));
    assert!(matches!(w.service.get("not an id").await, Err(TriggerError::NotFound)));
}

#[tokio::test]
async fn updates_keep_paths_to_their_own_calls_and_recompute_the_schedule() {
    let w = world();
    let created = w.service.create(named("later")).await.unwrap();
    let with_paths = TriggerChange { paths: vec![PathRequest::default()], ..TriggerChange::default() };
    let Err(TriggerError::Invalid(errors)) = w.service.update(created.id.as_str(), with_paths).await else {
        panic!("expected Invalid")
    };
    assert!(errors.contains_key("paths"));
    let mut scheduled = TriggerChange::default();
    scheduled.patch.trigger_source = Some("scheduled".into());
    scheduled.patch.schedule_type = Some("daily".into());
    scheduled.patch.schedule_time = Some("07:00".into());
    let updated = w.service.update(created.id.as_str(), scheduled).await.unwrap();
    assert_eq!(updated.next_run_at, Some(Utc.with_ymd_and_hms(2026, 5, 5, 7, 0, 0).unwrap()));
}

#[tokio::test]
async fn paths_are_added_once_and_removed_by_value() {
    let w = world();
    let created = w.service.create(named("repo")).await.unwrap();
    let repo = PathRequest { local_project_path: None, github_repo_url: Some("https://github.com/acme/app".into()) };
    let first = w.service.add_path(created.id.as_str(), &repo).await.unwrap();
    let again = w.service.add_path(created.id.as_str(), &repo).await.unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(w.service.paths(&created.id).await.unwrap().len(), 1);
    w.service.remove_path(created.id.as_str(), &repo).await.unwrap();
    assert!(matches!(w.service.remove_path(created.id.as_str(), &repo).await, Err(TriggerError::NoSuchPath)));
    let both = PathRequest { local_project_path: Some("/tmp".into()), github_repo_url: Some("x".into()) };
    assert!(matches!(w.service.add_path(created.id.as_str(), &both).await, Err(TriggerError::Invalid(_))));
}

#[tokio::test]
async fn a_chain_is_replaced_only_when_the_other_domains_know_every_entry() {
    let w = world();
    let created = w.service.create(named("rotating")).await.unwrap();
    let good = vec![
        FallbackEntry { backend_id: "backend-claude".into(), account_id: None },
        FallbackEntry { backend_id: "backend-codex".into(), account_id: None },
    ];
    let updated = w.service.set_chain(created.id.as_str(), good.clone()).await.unwrap();
    assert_eq!(updated.settings.fallback_chain, good);
    let bad = vec![FallbackEntry { backend_id: "backend-gone".into(), account_id: None }];
    assert!(matches!(w.service.set_chain(created.id.as_str(), bad).await, Err(TriggerError::Invalid(_))));
}

#[tokio::test]
async fn a_test_match_tells_why_a_payload_would_not_run_the_trigger() {
    let w = world();
    let mut change = named("alerts");
    change.patch.trigger_source = Some("webhook".into());
    change.patch.match_field_path = Some("event.kind".into());
    change.patch.match_field_value = Some("alert".into());
    let created = w.service.create(change).await.unwrap();
    let id = created.id.as_str();
    let yes = w.service.test_match(id, &serde_json::json!({"event": {"kind": "alert"}}), None).await.unwrap();
    assert!(yes.matches && !yes.requires_signature);
    let no = w.service.test_match(id, &serde_json::json!({"event": {"kind": "info"}}), None).await.unwrap();
    assert!(!no.matches && no.reason.is_some());
    assert!(matches!(w.service.test_match(id, &serde_json::json!([1]), None).await, Err(TriggerError::Invalid(_))));
}

#[tokio::test]
async fn an_update_may_carry_the_triggers_current_paths_as_a_fetched_trigger_does_but_no_new_one() {
    let w = world();
    let created = w.service.create(named("echoed")).await.unwrap();
    let repo = |url: &str| PathRequest { local_project_path: None, github_repo_url: Some(url.into()) };
    w.service.add_path(created.id.as_str(), &repo("https://github.com/acme/app")).await.unwrap();
    let mut echo = TriggerChange { paths: vec![repo("https://github.com/acme/app/")], ..TriggerChange::default() };
    echo.patch.model = Some("opus".into());
    let updated = w.service.update(created.id.as_str(), echo).await.unwrap();
    assert_eq!(updated.settings.model.as_deref(), Some("opus"));
    let added = TriggerChange { paths: vec![repo("https://github.com/acme/other")], ..TriggerChange::default() };
    let Err(TriggerError::Invalid(errors)) = w.service.update(created.id.as_str(), added).await else {
        panic!("a new path was taken by an update")
    };
    assert!(errors["paths"].contains("/paths"), "{errors:?}");
    assert_eq!(w.service.paths(&created.id).await.unwrap().len(), 1);
}
