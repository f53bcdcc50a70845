//! Execution state changes against a real SQLite file or PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_executions::ports::NewExecution;
use agented_executions::{ExecutionRepository, ExecutionStatus, Outcome};
use agented_kernel::{BackendType, TriggerId};
use agented_store::SqlExecutions;
use agented_store::testing::Scratch;
use chrono::Utc;

fn store(dir: &Scratch) -> SqlExecutions {
    SqlExecutions::new(dir.database())
}

fn new_execution(trigger: &TriggerId) -> NewExecution {
    agented_executions::fakes::new_execution(trigger, Utc::now(), BackendType::Claude, Vec::new())
}

#[tokio::test]
async fn a_queued_run_claimed_meanwhile_is_not_closed_as_if_it_were_still_queued() {
    let dir = Scratch::new();
    let store = store(&dir);
    let trigger = TriggerId::generate();
    let execution = store.insert(&new_execution(&trigger)).await.unwrap();
    let id = execution.execution_id.clone();
    let cancel = Outcome::closing(&execution, ExecutionStatus::Cancelled, "cancelled by a user", Utc::now());

    // A worker claims it between the canceller's read and its write.
    let claimed = store.claim(&id, &agented_kernel::WorkerId::generate(), 1, Utc::now()).await.unwrap().claimed();
    assert!(claimed.is_some());
    assert!(!store.finish_if(&id, ExecutionStatus::Queued, &cancel).await.unwrap(), "no longer queued");
    assert_eq!(store.get(&id).await.unwrap().unwrap().status, ExecutionStatus::Running, "the live run is untouched");
    assert!(store.finish_if(&id, ExecutionStatus::Running, &cancel).await.unwrap());
    assert_eq!(store.get(&id).await.unwrap().unwrap().status, ExecutionStatus::Cancelled);

    // Still queued: closed at once, and a worker's claim then finds nothing.
    let queued = store.insert(&new_execution(&trigger)).await.unwrap();
    let cancel = Outcome::closing(&queued, ExecutionStatus::Cancelled, "cancelled by a user", Utc::now());
    assert!(store.finish_if(&queued.execution_id, ExecutionStatus::Queued, &cancel).await.unwrap());
    assert!(
        store
            .claim(&queued.execution_id, &agented_kernel::WorkerId::generate(), 1, Utc::now())
            .await
            .unwrap()
            .claimed()
            .is_none()
    );
}

#[tokio::test]
async fn a_run_and_its_dedup_claims_are_written_together_or_not_at_all() {
    use agented_executions::InsertError;
    use agented_executions::ports::{DedupClaim, ExecutionFilter};
    let dir = Scratch::new();
    let store = store(&dir);
    let trigger = TriggerId::generate();
    let claimed = |key: &str, seconds: i64| {
        let mut new = new_execution(&trigger);
        new.claims =
            vec![DedupClaim { key: key.into(), expires_at: new.queued_at + chrono::Duration::seconds(seconds) }];
        new
    };
    let count = || async {
        let filter = ExecutionFilter { trigger_id: Some(trigger.clone()), ..ExecutionFilter::default() };
        store.list(&filter, agented_kernel::Page::first()).await.unwrap().1
    };
    store.insert(&claimed("payload:abc", 60)).await.unwrap();
    // A second run wanting a key still held, among others: nothing of it is written.
    let mut second = claimed("payload:fresh", 60);
    second.claims.push(DedupClaim { key: "payload:abc".into(), expires_at: second.queued_at });
    assert!(matches!(store.insert(&second).await, Err(InsertError::Duplicate)));
    assert_eq!(count().await, 1);
    // Its other key was rolled back with it, so it is free.
    store.insert(&claimed("payload:fresh", 60)).await.unwrap();
    // Released (a run that could not be queued), a key can be claimed again; an expired one too.
    store.release_claims(&trigger, &["payload:abc".into()]).await.unwrap();
    store.insert(&claimed("payload:abc", -1)).await.unwrap();
    store.insert(&claimed("payload:abc", 60)).await.unwrap();
    assert_eq!(count().await, 4);
}

#[tokio::test]
async fn a_capped_insert_is_refused_naming_the_oldest_active_run_and_writes_nothing() {
    use agented_executions::InsertError;
    use agented_executions::ports::{DedupClaim, ExecutionFilter};
    let dir = Scratch::new();
    let store = store(&dir);
    let trigger = TriggerId::generate();
    let first = store.insert(&new_execution(&trigger)).await.unwrap();
    let capped = |key: &str| NewExecution {
        at_most_active: Some(1),
        claims: vec![DedupClaim { key: key.into(), expires_at: Utc::now() + chrono::Duration::minutes(1) }],
        ..new_execution(&trigger)
    };
    match store.insert(&capped("k1")).await {
        Err(InsertError::Busy(oldest)) => assert_eq!(oldest, first.execution_id),
        other => panic!("expected Busy, got {other:?}"),
    }
    let (_, total) = store.list(&ExecutionFilter::default(), agented_kernel::Page::first()).await.unwrap();
    assert_eq!(total, 1, "nothing was written");
    // Its key was not taken either: once the first run ends, the same delivery runs.
    let done = Outcome::closing(&first, ExecutionStatus::Success, "done", Utc::now());
    store.finish(&first.execution_id, &done).await.unwrap();
    store.insert(&capped("k1")).await.unwrap();
}

#[tokio::test]
async fn a_follow_ups_checkout_resume_and_session_are_kept() {
    let dir = Scratch::new();
    let store = store(&dir);
    let trigger = TriggerId::generate();
    let first = store.insert(&new_execution(&trigger)).await.unwrap();
    let session = agented_executions::SessionId::try_from("3f2c9a1e-7b1d".to_owned()).unwrap();
    store.set_session(&first.execution_id, &session).await.unwrap();
    assert_eq!(store.get(&first.execution_id).await.unwrap().unwrap().session_id, Some(session.clone()));

    let mut follow_up = new_execution(&trigger);
    follow_up.snapshot.github = Some(agented_triggers::GithubOrigin {
        repository: "acme/api".into(),
        number: Some(7),
        pull_request: true,
        commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
    });
    follow_up.snapshot.resume = Some(agented_executions::Resume {
        follow_up_of: first.execution_id.clone(),
        session_id: session,
        workspace_of: first.execution_id.clone(),
    });
    let stored = store.insert(&follow_up).await.unwrap();
    let read = store.get(&stored.execution_id).await.unwrap().unwrap();
    assert_eq!(read.snapshot, follow_up.snapshot);
    assert_eq!(read.session_id, None, "its own session is recorded when its CLI reports it");
}
