//! The `Scheduler` (each due slot runs once, missed slots skipped or caught up) and the
//! `LogFollower` (replay, then live lines, each once, then the end) on in-memory fakes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

mod support;

use agented_executions::fakes::MemoryBus;
use agented_executions::{
    BusEvent, ExecutionRepository, ExecutionStatus, LogBus, LogFollower, LogLine, LogStore, LogStream, Outcome,
    RunEvent, RunRequest, Scheduler, Usage,
};
use agented_kernel::Clock;
use agented_triggers::{TriggerPatch, TriggerRepository};
use chrono::Duration;
use std::sync::Arc;
use support::world;

fn daily(time: &str, catch_up: bool) -> TriggerPatch {
    TriggerPatch {
        trigger_source: Some("scheduled".into()),
        schedule_type: Some("daily".into()),
        schedule_time: Some(time.into()),
        catch_up: Some(catch_up),
        ..TriggerPatch::default()
    }
}

#[tokio::test]
async fn a_due_slot_runs_once_even_when_two_schedulers_tick() {
    let w = world();
    let t = w.trigger("nightly", daily("12:30", false)).await;
    let scheduler = Scheduler::new(w.triggers.clone(), w.service.clone(), w.dedup.clone(), w.clock.clone());
    let other = Scheduler::new(w.triggers.clone(), w.service.clone(), w.dedup.clone(), w.clock.clone());
    scheduler.tick().await.unwrap();
    let planned = w.triggers.get(&t.id).await.unwrap().unwrap().next_run_at.unwrap();
    assert_eq!(planned, w.clock.now() + Duration::minutes(30));
    w.clock.advance(Duration::minutes(31));
    let report = scheduler.tick().await.unwrap();
    assert_eq!(report.started.len(), 1);
    // The other scheduler read the trigger before the first moved it on: the slot's claim stops it.
    w.triggers
        .set_next_run(&t.id, w.triggers.get(&t.id).await.unwrap().unwrap().next_run_at, Some(planned))
        .await
        .unwrap();
    let second = other.tick().await.unwrap();
    assert!(second.started.is_empty() && second.taken.len() == 1, "{second:?}");
    assert_eq!(w.queue.queued().len(), 1);
}

#[tokio::test]
async fn a_due_slot_of_a_trigger_that_runs_a_workflow_starts_a_workflow_run() {
    let w = world();
    let workflow = TriggerPatch { workflow_id: Some(Some("wf-nightly".into())), ..daily("12:30", false) };
    let t = w.trigger("nightly report", workflow).await;
    assert_eq!(t.settings.execution_mode.name(), "workflow", "a workflow_id alone selects the mode");
    let scheduler = Scheduler::new(w.triggers.clone(), w.service.clone(), w.dedup.clone(), w.clock.clone());
    scheduler.tick().await.unwrap();
    w.clock.advance(Duration::minutes(31));
    let report = scheduler.tick().await.unwrap();
    assert!(matches!(report.started.as_slice(), [(_, _, agented_executions::RunRef::Workflow(_))]), "{report:?}");
    let started = w.starter.started.lock().unwrap().clone();
    assert_eq!(started[0].2["trigger_type"], "scheduled");
    assert!(w.queue.queued().is_empty(), "no execution was queued");
}

#[tokio::test]
async fn missed_slots_are_skipped_unless_the_trigger_catches_up() {
    let w = world();
    w.trigger("skipper", daily("12:30", false)).await;
    w.trigger("catcher", daily("12:30", true)).await;
    let scheduler = Scheduler::new(w.triggers.clone(), w.service.clone(), w.dedup.clone(), w.clock.clone());
    scheduler.tick().await.unwrap();
    // Three days of downtime.
    w.clock.advance(Duration::days(3));
    let report = scheduler.tick().await.unwrap();
    assert_eq!(report.missed.len(), 2, "{report:?}");
    let started: Vec<&str> = report.started.iter().map(|(t, _, _)| t.name.as_str()).collect();
    assert_eq!(started, ["catcher"]);
}

fn line(seq: i64, at: chrono::DateTime<chrono::Utc>) -> LogLine {
    LogLine { seq, timestamp: at, stream: LogStream::Stdout, content: format!("line {seq}") }
}

#[tokio::test]
async fn a_follower_replays_then_follows_each_line_once_and_ends_with_the_final_state() {
    let w = world();
    let t = w.trigger("t", TriggerPatch::default()).await;
    let e = w.service.start(&t.id, RunRequest::manual(None).unwrap()).await.unwrap();
    let id = e.execution_id.clone();
    let now = w.clock.now();
    w.executions.claim(&id, &agented_kernel::WorkerId::generate(), 1, now).await.unwrap();
    let bus = Arc::new(MemoryBus::default());
    bus.open(&id);
    w.executions.append(&id, &[line(1, now), line(2, now)]).await.unwrap();
    let follower =
        LogFollower::new(w.executions.clone(), w.executions.clone(), bus.clone(), std::time::Duration::from_secs(60));
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let task = tokio::spawn({
        let follower = follower.clone();
        let e = w.service.get(id.as_str()).await.unwrap();
        async move { follower.follow(e, 1, tx).await }
    });
    let mut seen = Vec::new();
    // The initial status and the stored line after `after` come first.
    while seen.len() < 2 {
        seen.push(rx.recv().await.unwrap());
    }
    assert!(matches!(&seen[0], RunEvent::Status(s) if s.status == ExecutionStatus::Running));
    assert!(matches!(&seen[1], RunEvent::Line(l) if l.seq == 2));
    // A live batch that repeats line 2 (stored, then published) sends only line 3.
    w.executions.append(&id, &[line(3, now)]).await.unwrap();
    bus.publish(&id, BusEvent::Lines(vec![line(2, now), line(3, now)]));
    let next = rx.recv().await.unwrap();
    assert!(matches!(&next, RunEvent::Line(l) if l.seq == 3), "{next:?}");
    let outcome = Outcome::closing(&w.service.get(id.as_str()).await.unwrap(), ExecutionStatus::Success, "done", now);
    w.executions.finish(&id, &Outcome { error_message: None, usage: Usage::default(), ..outcome }).await.unwrap();
    bus.close(&id);
    let last = rx.recv().await.unwrap();
    assert!(matches!(&last, RunEvent::Complete(e) if e.status == ExecutionStatus::Success), "{last:?}");
    assert!(rx.recv().await.is_none());
    task.await.unwrap();
    assert_eq!(follower.page(&id, 0, 10).await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_client_arriving_after_the_end_gets_the_whole_log_and_the_end() {
    let w = world();
    let t = w.trigger("t", TriggerPatch::default()).await;
    let e = w.service.start(&t.id, RunRequest::manual(None).unwrap()).await.unwrap();
    let now = w.clock.now();
    w.executions.append(&e.execution_id, &[line(1, now)]).await.unwrap();
    w.service.cancel(&e.execution_id).await.unwrap();
    let follower = LogFollower::new(
        w.executions.clone(),
        w.executions.clone(),
        Arc::new(MemoryBus::default()),
        std::time::Duration::from_secs(60),
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    follower.follow(w.service.get(e.execution_id.as_str()).await.unwrap(), 0, tx).await;
    let events: Vec<RunEvent> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(matches!(&events[1], RunEvent::Line(l) if l.seq == 1));
    assert!(matches!(&events[2], RunEvent::Complete(e) if e.status == ExecutionStatus::Cancelled));
}

/// Follows a run claimed by another process (no live channel here), appends a
/// line to the store at virtual time 1 ms and, when `signal` is given, wakes it as
/// the store's notice would; returns the virtual time the line reached the client.
async fn line_arrives_after(signal: Option<Arc<agented_executions::SignalRegistry>>) -> std::time::Duration {
    let w = world();
    let t = w.trigger("t", TriggerPatch::default()).await;
    let e = w.service.start(&t.id, RunRequest::manual(None).unwrap()).await.unwrap();
    let id = e.execution_id.clone();
    let now = w.clock.now();
    w.executions.claim(&id, &agented_kernel::WorkerId::generate(), 1, now).await.unwrap();
    let mut follower = LogFollower::new(
        w.executions.clone(),
        w.executions.clone(),
        Arc::new(MemoryBus::default()),
        std::time::Duration::from_secs(60),
    );
    if let Some(signal) = &signal {
        follower = follower.with_signal(signal.clone());
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let start = tokio::time::Instant::now();
    let e = w.service.get(id.as_str()).await.unwrap();
    let task = tokio::spawn(async move { follower.follow(e, 0, tx).await });
    assert!(matches!(rx.recv().await.unwrap(), RunEvent::Status(s) if s.status == ExecutionStatus::Running));
    // Time stands still until every task waits: then the follower waits on its timer.
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    w.executions.append(&id, &[line(1, now)]).await.unwrap();
    if let Some(signal) = &signal {
        signal.wake(id.as_str());
    }
    let event = loop {
        match rx.recv().await.unwrap() {
            RunEvent::Quiet => {}
            event => break event,
        }
    };
    assert!(matches!(&event, RunEvent::Line(l) if l.seq == 1), "{event:?}");
    let arrived = start.elapsed();
    task.abort();
    arrived
}

#[tokio::test(start_paused = true)]
async fn a_follower_of_a_run_in_another_process_is_woken_by_the_store_signal_before_its_timer() {
    let timer = line_arrives_after(None).await;
    let woken = line_arrives_after(Some(Arc::new(agented_executions::SignalRegistry::default()))).await;
    // Virtual time: without a signal the line waits for the follower's first timer (20 ms).
    assert!(timer >= std::time::Duration::from_millis(20), "{timer:?}");
    assert!(woken < std::time::Duration::from_millis(20), "{woken:?}");
}
