//! The worker registry and the worker recorded on a claimed run, against a real SQLite file or PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_executions::{Claim, ExecutionRepository, WorkerRecord, WorkerRegistry};
use agented_kernel::{BackendType, TriggerId, WorkerId};
use agented_store::testing::Scratch;
use agented_store::{SqlExecutions, SqlWorkers};
use chrono::{Duration, SubsecRound, Utc};

fn record(id: &WorkerId, minutes_ago: i64) -> WorkerRecord {
    let at = Utc::now().trunc_subsecs(6) - Duration::minutes(minutes_ago);
    WorkerRecord {
        id: id.clone(),
        host: "host-a".into(),
        pid: 4242,
        labels: vec!["claude".into(), "region=eu".into()],
        capacity: 4,
        running: 0,
        version: "0.1.0".into(),
        started_at: at,
        heartbeat_at: at,
        stopped_at: None,
        lost_at: None,
    }
}

#[tokio::test]
async fn workers_register_beat_stop_and_are_found_lost_once() {
    let dir = Scratch::new();
    let registry = SqlWorkers::new(dir.database());
    let (old, new) = (WorkerId::generate(), WorkerId::generate());
    registry.register(&record(&old, 10)).await.unwrap();
    registry.register(&record(&new, 1)).await.unwrap();
    assert!(registry.register(&record(&new, 1)).await.is_err(), "an id in use");

    let now = Utc::now().trunc_subsecs(6);
    assert!(registry.beat(&new, 3, now).await.unwrap());
    let listed = registry.list().await.unwrap();
    assert_eq!(listed.iter().map(|w| w.id.clone()).collect::<Vec<_>>(), vec![new.clone(), old.clone()], "newest first");
    assert_eq!((listed[0].running, listed[0].heartbeat_at), (3, now));
    assert_eq!(listed[0].labels, vec!["claude".to_owned(), "region=eu".to_owned()]);

    assert!(registry.mark_lost(&old, now).await.unwrap());
    assert!(!registry.mark_lost(&old, now).await.unwrap(), "found lost once");
    assert!(!registry.beat(&old, 1, now).await.unwrap(), "a lost worker's beats are refused");
    registry.stop(&new, now).await.unwrap();
    assert!(!registry.mark_lost(&new, now).await.unwrap(), "a stopped worker is not lost");
    assert!(!registry.beat(&new, 1, now).await.unwrap(), "nor does it beat again");
    let listed = registry.list().await.unwrap();
    assert_eq!((listed[0].stopped_at, listed[0].running), (Some(now), 0));
    assert_eq!(listed[1].lost_at, Some(now));
}

#[tokio::test]
async fn a_claimed_run_records_its_worker_and_a_second_claim_gets_nothing() {
    let dir = Scratch::new();
    let executions = SqlExecutions::new(dir.database());
    let new =
        agented_executions::fakes::new_execution(&TriggerId::generate(), Utc::now(), BackendType::Claude, Vec::new());
    let id = executions.insert(&new).await.unwrap().execution_id;
    assert_eq!(executions.get(&id).await.unwrap().unwrap().worker, None, "queued: no worker yet");
    let (a, b) = (WorkerId::generate(), WorkerId::generate());
    let claimed = executions.claim(&id, &a, 1, Utc::now()).await.unwrap().claimed().unwrap();
    assert_eq!(claimed.worker, Some(a.clone()));
    assert!(executions.claim(&id, &b, 1, Utc::now()).await.unwrap().claimed().is_none());
    assert_eq!(executions.get(&id).await.unwrap().unwrap().worker, Some(a));
}

#[tokio::test]
async fn a_triggers_limit_holds_across_workers_claims() {
    let dir = Scratch::new();
    let executions = SqlExecutions::new(dir.database());
    let trigger = TriggerId::generate();
    let mut ids = Vec::new();
    for n in 0..3 {
        let at = Utc::now() + Duration::milliseconds(n);
        let new = agented_executions::fakes::new_execution(&trigger, at, BackendType::Claude, Vec::new());
        ids.push(executions.insert(&new).await.unwrap().execution_id);
    }
    let (a, b) = (WorkerId::generate(), WorkerId::generate());
    assert!(matches!(executions.claim(&ids[0], &a, 2, Utc::now()).await.unwrap(), Claim::Claimed(_)));
    assert!(matches!(executions.claim(&ids[1], &b, 2, Utc::now()).await.unwrap(), Claim::Claimed(_)));
    assert_eq!(executions.claim(&ids[2], &a, 2, Utc::now()).await.unwrap(), Claim::Busy, "two of two are running");
    let first = executions.get(&ids[0]).await.unwrap().unwrap();
    let done =
        agented_executions::Outcome::closing(&first, agented_executions::ExecutionStatus::Success, "done", Utc::now());
    executions.finish(&ids[0], &done).await.unwrap();
    assert!(matches!(executions.claim(&ids[2], &b, 2, Utc::now()).await.unwrap(), Claim::Claimed(_)), "a slot freed");
    assert_eq!(executions.claim(&ids[2], &a, 2, Utc::now()).await.unwrap(), Claim::Gone, "claimed once");
}
