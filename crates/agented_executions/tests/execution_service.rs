//! `ExecutionService`'s rules on in-memory fakes: what may start, the concurrency
//! policy, a queue failure, retries, cancels and the rate-limited requeue.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

mod support;

use agented_executions::{
    CancelError, Cancelled, Deferral, ExecutionRepository, ExecutionStatus, FindError, RunRequest, StartError, Usage,
};
use agented_kernel::{Clock, TriggerId};
use agented_triggers::TriggerPatch;
use std::sync::atomic::Ordering;
use support::world;

fn manual(message: &str) -> RunRequest {
    RunRequest::manual(Some(message.into())).unwrap()
}

#[tokio::test]
async fn a_run_is_stored_queued_then_its_job_is_queued() {
    let w = world();
    let t = w.trigger("reviewer", TriggerPatch::default()).await;
    let e = w.service.start(&t.id, manual("the diff")).await.unwrap();
    assert_eq!(e.status, ExecutionStatus::Queued);
    assert!(e.snapshot.prompt.contains("the diff"), "{}", e.snapshot.prompt);
    assert_eq!(w.queue.queued(), vec![e.execution_id.clone()]);
    assert_eq!(w.service.get(e.execution_id.as_str()).await.unwrap(), e);
    assert_eq!(w.service.latest_of(&t.id).await.unwrap(), Some(e));
}

#[tokio::test]
async fn unknown_and_disabled_triggers_do_not_start() {
    let w = world();
    assert!(matches!(w.service.start(&TriggerId::generate(), manual("x")).await, Err(StartError::NotFound(_))));
    let off = w.trigger("off", TriggerPatch { enabled: Some(false), ..TriggerPatch::default() }).await;
    assert!(matches!(w.service.start(&off.id, manual("x")).await, Err(StartError::Disabled(name)) if name == "off"));
    assert!(w.queue.queued().is_empty());
}

#[tokio::test]
async fn reject_refuses_a_second_run_while_one_is_active_and_queue_does_not() {
    let w = world();
    let strict = w
        .trigger("strict", TriggerPatch { concurrency_policy: Some("reject".into()), ..TriggerPatch::default() })
        .await;
    let first = w.service.start(&strict.id, manual("1")).await.unwrap();
    let Err(StartError::Busy(running)) = w.service.start(&strict.id, manual("2")).await else {
        panic!("expected Busy")
    };
    assert_eq!(running, first.execution_id);
    let queued = w.trigger("queued", TriggerPatch::default()).await;
    w.service.start(&queued.id, manual("1")).await.unwrap();
    w.service.start(&queued.id, manual("2")).await.unwrap();
    assert_eq!(w.queue.queued().len(), 3);
}

#[tokio::test]
async fn reject_is_checked_again_by_the_insert_so_a_start_that_raced_the_check_writes_nothing() {
    let w = world();
    let strict = w
        .trigger("strict", TriggerPatch { concurrency_policy: Some("reject".into()), ..TriggerPatch::default() })
        .await;
    let first = w.service.start(&strict.id, manual("1")).await.unwrap();
    // A second server's check ran before `first` was written: only the insert can refuse.
    w.executions.stale_reads.store(true, Ordering::SeqCst);
    let Err(StartError::Busy(oldest)) = w.service.start(&strict.id, manual("2")).await else {
        panic!("expected Busy from the insert")
    };
    assert_eq!(oldest, first.execution_id);
    assert_eq!(w.executions.all().len(), 1, "nothing was written");
    assert_eq!(w.queue.queued().len(), 1);
    // The queue policy has no cap: its second run is written.
    let relaxed = w.trigger("relaxed", TriggerPatch::default()).await;
    w.service.start(&relaxed.id, manual("1")).await.unwrap();
    w.service.start(&relaxed.id, manual("2")).await.unwrap();
    assert_eq!(w.executions.all().len(), 3);
}

#[tokio::test]
async fn a_run_whose_job_cannot_be_queued_is_marked_failed() {
    let w = world();
    let t = w.trigger("t", TriggerPatch::default()).await;
    w.queue.broken.store(true, Ordering::SeqCst);
    assert!(matches!(w.service.start(&t.id, manual("x")).await, Err(StartError::Queue(_))));
    let stored = w.executions.all();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].status, ExecutionStatus::Failed);
}

#[tokio::test]
async fn a_manual_message_is_capped() {
    let long = "x".repeat(agented_executions::MAX_MESSAGE_CHARS + 1);
    let errors = RunRequest::manual(Some(long)).unwrap_err();
    assert!(errors.contains_key("message"));
}

#[tokio::test]
async fn only_finished_runs_are_retried_and_the_retry_links_back() {
    let w = world();
    let t = w.trigger("t", TriggerPatch::default()).await;
    let first = w.service.start(&t.id, manual("x")).await.unwrap();
    assert!(matches!(w.service.retry(&first.execution_id).await, Err(StartError::Busy(_))));
    w.service.cancel(&first.execution_id).await.unwrap();
    let again = w.service.retry(&first.execution_id).await.unwrap();
    assert_eq!(again.retry_of, Some(first.execution_id.clone()));
    assert_eq!(again.snapshot, first.snapshot);
}

#[tokio::test]
async fn cancel_ends_a_waiting_run_at_once_and_signals_a_live_one() {
    let w = world();
    let t = w.trigger("t", TriggerPatch::default()).await;
    let waiting = w.service.start(&t.id, manual("x")).await.unwrap();
    assert_eq!(w.service.cancel(&waiting.execution_id).await.unwrap(), Cancelled::Immediately);
    assert!(matches!(
        w.service.cancel(&waiting.execution_id).await,
        Err(CancelError::NotRunning(ExecutionStatus::Cancelled))
    ));
    let live = w.service.start(&t.id, manual("y")).await.unwrap();
    w.executions
        .claim(&live.execution_id, &agented_kernel::WorkerId::generate(), u16::MAX, w.clock.now())
        .await
        .unwrap();
    w.control.live.lock().unwrap().push(live.execution_id.clone());
    assert_eq!(w.service.cancel(&live.execution_id).await.unwrap(), Cancelled::Signalled);
    // Running, but supervised by no process here: ended in the store.
    let orphan = w.service.start(&t.id, manual("z")).await.unwrap();
    w.executions
        .claim(&orphan.execution_id, &agented_kernel::WorkerId::generate(), u16::MAX, w.clock.now())
        .await
        .unwrap();
    assert_eq!(w.service.cancel(&orphan.execution_id).await.unwrap(), Cancelled::Immediately);
    assert_eq!(w.service.get(orphan.execution_id.as_str()).await.unwrap().status, ExecutionStatus::Cancelled);
}

#[tokio::test]
async fn due_rate_limited_runs_are_queued_again_once() {
    let w = world();
    let t = w.trigger("t", TriggerPatch::default()).await;
    let e = w.service.start(&t.id, manual("x")).await.unwrap();
    w.executions.claim(&e.execution_id, &agented_kernel::WorkerId::generate(), u16::MAX, w.clock.now()).await.unwrap();
    let at = w.clock.now() + chrono::Duration::minutes(5);
    let deferral = Deferral { next_attempt_at: at, attempts: 1, message: "limited".into(), usage: Usage::default() };
    assert!(w.executions.defer(&e.execution_id, &deferral).await.unwrap());
    assert_eq!(w.service.requeue_due().await.unwrap(), 0);
    w.clock.advance(chrono::Duration::minutes(5));
    assert_eq!(w.service.requeue_due().await.unwrap(), 1);
    assert_eq!(w.service.requeue_due().await.unwrap(), 0);
    assert_eq!(w.queue.queued().iter().filter(|id| **id == e.execution_id).count(), 2);
}

#[tokio::test]
async fn reads_tell_not_found_from_a_broken_store() {
    let w = world();
    assert!(matches!(w.service.get("not-an-id").await, Err(FindError::NotFound)));
    w.executions.broken.store(true, Ordering::SeqCst);
    let id = agented_kernel::ExecutionId::generate(&TriggerId::generate(), w.clock.now());
    assert!(matches!(w.service.get(id.as_str()).await, Err(FindError::Store(_))));
}

#[tokio::test]
async fn a_trigger_that_runs_a_team_needs_a_process_that_can_start_workflow_runs() {
    let w = world();
    let team = TriggerPatch {
        execution_mode: Some("team".into()),
        team_id: Some(Some("team-crew01".into())),
        ..TriggerPatch::default()
    };
    let t = w.trigger("crew", team).await;
    let bare = agented_executions::ExecutionService::new(
        w.triggers.clone(),
        w.executions.clone(),
        w.queue.clone(),
        w.control.clone(),
        w.clock.clone(),
    );
    let Err(StartError::Refused(why)) = bare.fire(&t.id, manual("x")).await else { panic!("refused") };
    assert!(why.contains("cannot start runs of a team"), "{why}");
    let fired = w.service.fire(&t.id, manual("x")).await.unwrap();
    assert!(matches!(fired, agented_executions::Fired::Workflow(_)));
    let direct = w.trigger("direct", TriggerPatch::default()).await;
    let fired = w.service.fire(&direct.id, manual("y")).await.unwrap();
    assert!(matches!(fired, agented_executions::Fired::Execution(_)), "a direct trigger runs its CLI");
}
