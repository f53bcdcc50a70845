//! The `Orchestration` facade's rules on in-memory fakes: accounts, budgets and their
//! one warning per period, the budget check of a prospective run (one scope derivation),
//! the facts of a chain entry, the usage report's defaults, and the trigger settings check.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_executions::BackendEntry;
use agented_executions::fakes::{MemoryBackends, MemoryExecutions, new_execution};
use agented_executions::{Deferral, ExecutionRepository, Usage};
use agented_kernel::{BackendType, Clock, ExecutionId, ManualClock, TriggerId};
use agented_orchestration::fakes::{MemoryAccounts, MemoryBudgets, MemorySpend, RecordingAlerts};
use agented_orchestration::{
    AccountPatch, BudgetPatch, BudgetQuestion, Orchestration, OrchestrationError, OrchestrationOptions,
    OrchestrationPorts, RunScope, UsageRequest, UsageRow,
};
use agented_triggers::fakes::MemoryTriggers;
use agented_triggers::{FallbackEntry, SettingsCheck, TriggerRepository, TriggerSettings};
use chrono::{Duration, TimeZone, Utc};
use std::sync::Arc;

struct World {
    o: Orchestration,
    clock: Arc<ManualClock>,
    spend: Arc<MemorySpend>,
    alerts: Arc<RecordingAlerts>,
    triggers: Arc<MemoryTriggers>,
    executions: Arc<MemoryExecutions>,
}

fn builtin(id: &str, command: &str) -> BackendEntry {
    BackendEntry {
        id: id.into(),
        name: id.into(),
        backend_type: command.into(),
        command: command.into(),
        description: String::new(),
        is_builtin: true,
        custom: None,
        created_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
    }
}

fn world() -> World {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 7, 15, 10, 0, 0).unwrap()));
    let spend = Arc::new(MemorySpend::default());
    let alerts = Arc::new(RecordingAlerts::default());
    let triggers = Arc::new(MemoryTriggers::default());
    let executions = Arc::new(MemoryExecutions::default());
    let ports = OrchestrationPorts {
        accounts: Arc::new(MemoryAccounts::default()),
        budgets: Arc::new(MemoryBudgets::default()),
        spend: spend.clone(),
        alerts: alerts.clone(),
        triggers: triggers.clone(),
        backends: Arc::new(MemoryBackends::with(vec![
            builtin("backend-claude", "claude"),
            builtin("backend-codex", "codex"),
        ])),
        executions: executions.clone(),
        clock: clock.clone(),
    };
    let options = OrchestrationOptions {
        env: Arc::new(|name: &str| (name == "TEAM_KEY").then(|| "sk-test".to_owned())),
        ..OrchestrationOptions::default()
    };
    World { o: Orchestration::new(ports, options), clock, spend, alerts, triggers, executions }
}

fn account(name: &str, default: bool, key: Option<&str>) -> AccountPatch {
    AccountPatch {
        name: Some(name.into()),
        api_key_env: key.map(str::to_owned),
        is_default: Some(default),
        ..AccountPatch::default()
    }
}

fn spent(w: &World, backend: &str, account: Option<&str>, usd: f64) {
    w.spend.rows.lock().unwrap().push(UsageRow {
        queued_at: w.clock.now(),
        trigger_id: "trig-a".into(),
        backend_id: backend.into(),
        account_id: account.map(str::to_owned),
        status: "success".into(),
        input_tokens: 1,
        output_tokens: 1,
        cost_usd: usd,
    });
}

fn daily(scope: &str, entity: Option<&str>, soft: Option<f64>, hard: Option<f64>) -> BudgetPatch {
    BudgetPatch {
        scope: Some(scope.into()),
        entity_id: entity.map(str::to_owned),
        period: Some("daily".into()),
        soft_limit_usd: Some(soft),
        hard_limit_usd: Some(hard),
        ..BudgetPatch::default()
    }
}

#[tokio::test]
async fn accounts_belong_to_an_existing_backend_with_one_default_and_unique_names() {
    let w = world();
    assert!(matches!(
        w.o.create_account("backend-nope", account("a", true, None)).await,
        Err(OrchestrationError::NotFound("backend"))
    ));
    let first = w.o.create_account("backend-claude", account("team", true, None)).await.unwrap();
    let second = w.o.create_account("backend-claude", account("solo", true, None)).await.unwrap();
    assert_eq!(w.o.default_account("backend-claude").await.unwrap().unwrap().id, second.id);
    assert!(matches!(
        w.o.create_account("backend-claude", account("team", false, None)).await,
        Err(OrchestrationError::Duplicate(_))
    ));
    assert!(matches!(w.o.account("backend-codex", &first.id).await, Err(OrchestrationError::NotFound(_))));
}

#[tokio::test]
async fn a_budget_names_an_existing_entity_and_warns_once_per_period() {
    let w = world();
    let Err(OrchestrationError::Invalid(errors)) =
        w.o.create_budget(daily("trigger", Some("trig-none"), None, Some(1.0))).await
    else {
        panic!("expected Invalid")
    };
    assert!(errors.contains_key("entity_id"));
    w.o.create_budget(daily("backend", Some("backend-claude"), Some(1.0), Some(5.0))).await.unwrap();
    spent(&w, "backend-claude", None, 2.0);
    let scope = RunScope { trigger_id: "trig-a".into(), backend_id: "backend-claude".into(), account_id: None };
    let check = w.o.check_budgets(&scope, None).await.unwrap();
    assert_eq!(check.warnings(0.0).len(), 1);
    assert!(check.blocking(0.0).is_empty());
    assert_eq!(check.blocking(3.5).len(), 1, "an estimate that would pass the hard limit blocks");
    w.o.check_budgets(&scope, None).await.unwrap();
    assert_eq!(w.alerts.given.lock().unwrap().len(), 1, "one warning per period");
    w.clock.advance(Duration::days(1));
    spent(&w, "backend-claude", None, 1.5);
    w.o.check_budgets(&scope, None).await.unwrap();
    assert_eq!(w.alerts.given.lock().unwrap().len(), 2, "a new period warns again");
}

#[tokio::test]
async fn the_budget_check_derives_a_runs_scope_from_its_trigger_chain_and_default_account() {
    let w = world();
    let team = w.o.create_account("backend-codex", account("team", true, None)).await.unwrap();
    let settings = TriggerSettings {
        name: "chained".into(),
        fallback_chain: vec![FallbackEntry { backend_id: "backend-codex".into(), account_id: None }],
        ..TriggerSettings::default()
    };
    let id = TriggerId::generate();
    w.triggers.insert(&id, &settings, None, &[], w.clock.now()).await.unwrap();
    let answer =
        w.o.check_run(BudgetQuestion { trigger_id: Some(id.to_string()), ..BudgetQuestion::default() }).await.unwrap();
    assert_eq!(answer.scope.backend_id, "backend-codex");
    assert_eq!(answer.scope.account_id, Some(team.id.to_string()));
    let plain = w.o.check_run(BudgetQuestion::default()).await.unwrap();
    assert_eq!((plain.scope.backend_id.as_str(), plain.scope.account_id), ("backend-claude", None));
    let bad = BudgetQuestion { estimated_cost_usd: Some(-1.0), ..BudgetQuestion::default() };
    assert!(matches!(w.o.check_run(bad).await, Err(OrchestrationError::Invalid(_))));
    let unknown = BudgetQuestion { trigger_id: Some("trig-nope".into()), ..BudgetQuestion::default() };
    assert!(matches!(w.o.check_run(unknown).await, Err(OrchestrationError::NotFound("trigger"))));
}

#[tokio::test]
async fn entry_facts_read_budgets_only_for_an_entry_that_could_run() {
    let w = world();
    let limited = w.o.create_account("backend-claude", account("team", true, Some("TEAM_KEY"))).await.unwrap();
    w.o.create_budget(daily("backend", Some("backend-claude"), Some(0.5), None)).await.unwrap();
    spent(&w, "backend-claude", Some(limited.id.as_str()), 1.0);
    let entry = FallbackEntry { backend_id: "backend-claude".into(), account_id: None };
    let facts = w.o.entry_facts("exec-1", "trig-a", &entry).await.unwrap();
    assert_eq!(facts.budgets.states.len(), 1);
    assert!(facts.env.unwrap().iter().any(|(_, v)| v == "sk-test"), "the account's key reaches the run");
    assert_eq!(w.alerts.given.lock().unwrap().len(), 1);
    let gone = FallbackEntry { backend_id: "backend-gone".into(), account_id: None };
    let facts = w.o.entry_facts("exec-1", "trig-a", &gone).await.unwrap();
    assert!(facts.spec.is_err() && facts.budgets.states.is_empty());
}

#[tokio::test]
async fn runs_starting_together_reserve_so_only_one_takes_a_budgets_last_dollar() {
    let w = world();
    w.o.create_budget(daily("global", None, None, Some(10.0))).await.unwrap();
    // The trigger's runs cost $1 on average: that is what each reserves.
    spent(&w, "backend-claude", None, 0.5);
    spent(&w, "backend-claude", None, 1.5);
    spent(&w, "backend-claude", None, 7.0);
    let entry = FallbackEntry { backend_id: "backend-claude".into(), account_id: None };
    let (first, second) =
        tokio::join!(w.o.entry_facts("exec-1", "trig-a", &entry), w.o.entry_facts("exec-2", "trig-a", &entry));
    let blocked: Vec<bool> =
        [first.unwrap(), second.unwrap()].iter().map(|f| !f.budgets.blocking(0.0).is_empty()).collect();
    assert_eq!(blocked.iter().filter(|b| **b).count(), 1, "exactly one of the two starts: {blocked:?}");
    let held = w.spend.reservations.lock().unwrap().clone();
    assert_eq!(held.len(), 1);
    assert!((held[0].estimate_usd - 3.0).abs() < 1e-9, "the mean of the trigger's costed runs: {held:?}");
    // The winner's own reservation does not count against its next attempt.
    let winner = held[0].execution_id.clone();
    let again = w.o.entry_facts(&winner, "trig-a", &entry).await.unwrap();
    assert!(again.budgets.blocking(0.0).is_empty(), "{:?}", again.budgets);
    // Once it ends, its reservation is released and a new run may start.
    w.spend.finish(&winner);
    let next = w.o.entry_facts("exec-3", "trig-a", &entry).await.unwrap();
    assert!(next.budgets.blocking(0.0).is_empty());
    // Soft-only budgets reserve nothing.
    let w = world();
    w.o.create_budget(daily("global", None, Some(1.0), None)).await.unwrap();
    w.o.entry_facts("exec-1", "trig-a", &entry).await.unwrap();
    assert!(w.spend.reservations.lock().unwrap().is_empty());
}

#[tokio::test]
async fn the_usage_report_covers_whole_periods_by_default_and_refuses_bad_spans() {
    let w = world();
    spent(&w, "backend-claude", None, 0.25);
    let answer = w.o.usage_report(UsageRequest::default()).await.unwrap();
    assert_eq!(answer.until, Utc.with_ymd_and_hms(2026, 7, 16, 0, 0, 0).unwrap());
    assert_eq!(answer.until - answer.since, Duration::days(30));
    assert!((answer.report.totals.cost_usd - 0.25).abs() < f64::EPSILON);
    let Err(OrchestrationError::Invalid(errors)) =
        w.o.usage_report(UsageRequest {
            period: Some("hourly".into()),
            timezone: Some("Mars/Base".into()),
            ..UsageRequest::default()
        })
        .await
    else {
        panic!("expected Invalid")
    };
    assert!(errors.contains_key("period") && errors.contains_key("timezone"), "{errors:?}");
    let backwards = UsageRequest { since: Some(w.clock.now()), until: Some(w.clock.now()), ..UsageRequest::default() };
    assert!(matches!(w.o.usage_report(backwards).await, Err(OrchestrationError::Invalid(_))));
}

#[tokio::test]
async fn trigger_settings_name_only_custom_backends_and_known_chain_entries() {
    let w = world();
    let settings = TriggerSettings {
        backend_id: Some("backend-claude".into()),
        fallback_chain: vec![FallbackEntry { backend_id: "backend-gone".into(), account_id: None }],
        ..TriggerSettings::default()
    };
    let problems = w.o.problems(&settings).await.unwrap();
    assert_eq!(problems["backend_id"], "'backend-claude' is not a custom backend");
    assert_eq!(problems["fallback_chain.0.backend_id"], "unknown backend 'backend-gone'");
}

/// A run of `backend` (with `chain`) waiting on a rate limit until an hour from now.
async fn waiting_run(w: &World, backend: BackendType, chain: Vec<FallbackEntry>) -> ExecutionId {
    let trigger = TriggerId::parse("trig-abc123").unwrap();
    let now = w.clock.now();
    let at = now + Duration::milliseconds(i64::try_from(w.executions.all().len()).unwrap());
    let new = new_execution(&trigger, at, backend, chain);
    let id = w.executions.insert(&new).await.unwrap().execution_id;
    w.executions.claim(&id, &agented_kernel::WorkerId::generate(), 1, now).await.unwrap().claimed().unwrap();
    let deferral = Deferral {
        next_attempt_at: now + Duration::hours(1),
        attempts: 1,
        message: "limited".into(),
        usage: Usage::NONE,
    };
    assert!(w.executions.defer(&id, &deferral).await.unwrap());
    id
}

#[tokio::test]
async fn clearing_a_limit_wakes_the_waiting_runs_that_may_use_the_account_and_no_others() {
    let w = world();
    let team = w.o.create_account("backend-claude", account("team", true, None)).await.unwrap();
    let other = w.o.create_account("backend-claude", account("other", false, None)).await.unwrap();
    let own_backend = waiting_run(&w, BackendType::Claude, Vec::new()).await;
    let named = waiting_run(
        &w,
        BackendType::Codex,
        vec![FallbackEntry { backend_id: "backend-claude".into(), account_id: Some(team.id.clone()) }],
    )
    .await;
    let other_account = waiting_run(
        &w,
        BackendType::Codex,
        vec![FallbackEntry { backend_id: "backend-claude".into(), account_id: Some(other.id.clone()) }],
    )
    .await;
    let other_backend = waiting_run(&w, BackendType::Codex, Vec::new()).await;

    w.o.clear_rate_limit("backend-claude", &team.id).await.unwrap();
    let now = w.clock.now();
    let due = |id: &ExecutionId| w.executions.all().iter().find(|e| &e.execution_id == id).unwrap().next_attempt_at;
    assert_eq!(due(&own_backend), Some(now), "no chain: any account of its backend");
    assert_eq!(due(&named), Some(now), "its chain names the account");
    assert_eq!(due(&other_account), Some(now + Duration::hours(1)), "its chain names another account");
    assert_eq!(due(&other_backend), Some(now + Duration::hours(1)), "another backend");
}

/// The original's limit request: `scope` carries its `entity_type`.
fn limit(entity_type: &str, entity: &str, period: Option<&str>, soft: Option<f64>, hard: Option<f64>) -> BudgetPatch {
    BudgetPatch {
        scope: Some(entity_type.into()),
        entity_id: Some(entity.into()),
        period: period.map(str::to_owned),
        soft_limit_usd: Some(soft),
        hard_limit_usd: Some(hard),
        ..BudgetPatch::default()
    }
}

#[tokio::test]
async fn the_originals_limits_are_one_budget_per_entity_set_by_upsert() {
    let w = world();
    let set = w.o.set_limit(limit("backend", "backend-claude", None, Some(1.0), None)).await.unwrap();
    assert_eq!(set.budget.period.as_str(), "monthly", "the original's default period");
    let changed = w.o.set_limit(limit("backend", "backend-claude", Some("daily"), None, Some(2.0))).await.unwrap();
    assert_eq!(changed.budget.id, set.budget.id, "a second set changes the same budget");
    assert_eq!((changed.budget.period.as_str(), changed.budget.hard_limit_usd), ("daily", Some(2.0)));
    assert_eq!(w.o.budget_states().await.unwrap().len(), 1);
    assert_eq!(w.o.limit_of("backend", "backend-claude").await.unwrap().budget.id, set.budget.id);

    for (entity_type, field) in [("agent", "entity_type"), ("team", "entity_type"), ("global", "entity_type")] {
        match w.o.set_limit(limit(entity_type, "x", None, Some(1.0), None)).await {
            Err(OrchestrationError::Invalid(e)) => assert!(e[field].contains("no counterpart"), "{e:?}"),
            other => panic!("{entity_type}: {other:?}"),
        }
    }
    match w.o.set_limit(limit("backend", "backend-claude", None, None, None)).await {
        Err(OrchestrationError::Invalid(e)) => assert!(e.contains_key("soft_limit_usd"), "{e:?}"),
        other => panic!("{other:?}"),
    }
    match w.o.set_limit(limit("backend", "backend-nope", None, Some(1.0), None)).await {
        Err(OrchestrationError::Invalid(e)) => assert!(e["entity_id"].contains("unknown"), "{e:?}"),
        other => panic!("{other:?}"),
    }

    w.o.delete_limit("backend", "backend-claude").await.unwrap();
    assert!(matches!(w.o.limit_of("backend", "backend-claude").await, Err(OrchestrationError::NotFound(_))));
    assert!(matches!(w.o.delete_limit("backend", "backend-claude").await, Err(OrchestrationError::NotFound(_))));
}

#[tokio::test]
async fn a_rate_limit_is_cleared_by_the_account_alone_and_an_unknown_account_is_not_found() {
    let w = world();
    let acct = w.o.create_account("backend-claude", account("team", true, None)).await.unwrap();
    let cleared = w.o.clear_rate_limit_of(&acct.id).await.unwrap();
    assert_eq!(cleared.id, acct.id);
    let unknown = agented_orchestration::imported_account_id(99).unwrap();
    assert!(matches!(w.o.clear_rate_limit_of(&unknown).await, Err(OrchestrationError::NotFound(_))));
}
