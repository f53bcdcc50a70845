//! Execution state changes against a real SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_executions::ports::NewExecution;
use agented_executions::{ExecutionRepository, ExecutionStatus, Outcome, RunSnapshot, TriggerType};
use agented_kernel::{BackendType, ExecutionId, TriggerId};
use agented_store_sqlite::{Database, DatabaseOptions, SqliteExecutions, run_migrations};
use chrono::Utc;

fn store(dir: &tempfile::TempDir) -> SqliteExecutions {
    let db = Database::open(&dir.path().join("agented.db"), &DatabaseOptions::default()).unwrap();
    run_migrations(&mut db.conn().unwrap()).unwrap();
    SqliteExecutions::new(db)
}

fn new_execution(trigger: &TriggerId) -> NewExecution {
    let now = Utc::now();
    NewExecution {
        execution_id: ExecutionId::generate(trigger, now),
        trigger_id: trigger.clone(),
        trigger_type: TriggerType::Manual,
        snapshot: RunSnapshot {
            prompt: "hi".into(),
            backend_type: BackendType::Claude,
            backend_id: None,
            model: None,
            allowed_tools: None,
            local_paths: Vec::new(),
            repositories: Vec::new(),
            timeout_seconds: 600,
            sigterm_grace_seconds: 10,
            stall_timeout_seconds: None,
            inputs: Vec::new(),
            chain: Vec::new(),
        },
        message: None,
        retry_of: None,
        queued_at: now,
    }
}

#[tokio::test]
async fn a_queued_run_claimed_meanwhile_is_not_closed_as_if_it_were_still_queued() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir);
    let trigger = TriggerId::generate();
    let execution = store.insert(&new_execution(&trigger)).await.unwrap();
    let id = execution.execution_id.clone();
    let cancel = Outcome::closing(&execution, ExecutionStatus::Cancelled, "cancelled by a user", Utc::now());

    // A worker claims it between the canceller's read and its write.
    let claimed = store.claim(&id, Utc::now()).await.unwrap();
    assert!(claimed.is_some());
    assert!(!store.finish_if(&id, ExecutionStatus::Queued, &cancel).await.unwrap(), "no longer queued");
    assert_eq!(store.get(&id).await.unwrap().unwrap().status, ExecutionStatus::Running, "the live run is untouched");
    assert!(store.finish_if(&id, ExecutionStatus::Running, &cancel).await.unwrap());
    assert_eq!(store.get(&id).await.unwrap().unwrap().status, ExecutionStatus::Cancelled);

    // Still queued: closed at once, and a worker's claim then finds nothing.
    let queued = store.insert(&new_execution(&trigger)).await.unwrap();
    let cancel = Outcome::closing(&queued, ExecutionStatus::Cancelled, "cancelled by a user", Utc::now());
    assert!(store.finish_if(&queued.execution_id, ExecutionStatus::Queued, &cancel).await.unwrap());
    assert!(store.claim(&queued.execution_id, Utc::now()).await.unwrap().is_none());
}
