//! The group-commit `LogWriter` on a gated store and the in-memory bus: no
//! timer (a line alone is one commit), what arrives during a commit shares the
//! next, lines are published only once stored, one flooding run holds another
//! back by one commit at most, and a store that keeps failing never leaves a
//! waiter hanging.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_executions::fakes::MemoryBus;
use agented_executions::{BusEvent, ExecStoreError, LogBus, LogLine, LogStore, LogStream, LogSubscription};
use agented_kernel::{Cause, ExecutionId, TriggerId};
use agented_runner::writer::{LogWriter, PER_RUN_COMMIT};
use async_trait::async_trait;
use chrono::Utc;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// One commit: each run's line numbers.
type Commit = Vec<(ExecutionId, Vec<i64>)>;

/// Each commit waits for a permit; the commits' contents are kept.
struct GatedStore {
    gate: Semaphore,
    commits: Mutex<Vec<Commit>>,
    failing: AtomicBool,
}

#[async_trait]
impl LogStore for GatedStore {
    async fn append(&self, id: &ExecutionId, lines: &[LogLine]) -> Result<(), ExecStoreError> {
        self.append_many(&[(id.clone(), lines.to_vec())]).await
    }

    async fn append_many(&self, batches: &[(ExecutionId, Vec<LogLine>)]) -> Result<(), ExecStoreError> {
        if self.failing.load(Ordering::SeqCst) {
            return Err(ExecStoreError(Cause::new("the disk is full")));
        }
        self.gate.acquire().await.unwrap().forget();
        let commit = batches.iter().map(|(id, lines)| (id.clone(), lines.iter().map(|l| l.seq).collect())).collect();
        self.commits.lock().unwrap().push(commit);
        Ok(())
    }

    async fn read_after(&self, _: &ExecutionId, _: i64, _: u32) -> Result<Vec<LogLine>, ExecStoreError> {
        Ok(Vec::new())
    }
}

fn line(seq: i64) -> LogLine {
    LogLine { seq, timestamp: Utc::now(), stream: LogStream::Stdout, content: format!("line {seq}") }
}

fn run() -> ExecutionId {
    ExecutionId::generate(&TriggerId::generate(), Utc::now())
}

fn setup() -> (Arc<GatedStore>, Arc<MemoryBus>, LogWriter) {
    let store =
        Arc::new(GatedStore { gate: Semaphore::new(0), commits: Mutex::default(), failing: AtomicBool::new(false) });
    let bus = Arc::new(MemoryBus::default());
    let writer = LogWriter::start(store.clone(), bus.clone());
    (store, bus, writer)
}

/// The seqs of every `Lines` event published so far, without waiting for more.
fn published(sub: &mut Box<dyn LogSubscription>) -> Vec<Vec<i64>> {
    let mut out = Vec::new();
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        let next = std::pin::pin!(sub.next()).poll(&mut cx);
        match next {
            std::task::Poll::Ready(Some(BusEvent::Lines(lines))) => out.push(lines.iter().map(|l| l.seq).collect()),
            _ => return out,
        }
    }
}

#[tokio::test]
async fn a_line_alone_is_one_commit_and_what_arrives_meanwhile_shares_the_next_published_once_stored() {
    let (store, bus, writer) = setup();
    let (a, b) = (run(), run());
    bus.open(&a);
    let mut watching = bus.subscribe(&a).unwrap();
    let mut log_a = writer.open(&a, 0);
    let mut log_b = writer.open(&b, 0);
    log_a.push(line(1)).await;
    // The writer takes the line at once and waits at the gate: no timer holds it.
    tokio::task::yield_now().await;
    for seq in 2..=4 {
        log_a.push(line(seq)).await;
    }
    log_b.push(line(1)).await;
    tokio::task::yield_now().await;
    assert!(published(&mut watching).is_empty(), "nothing is published before it is stored");
    store.gate.add_permits(2);
    log_a.flushed().await;
    log_b.flushed().await;
    let commits = store.commits.lock().unwrap().clone();
    assert_eq!(commits.len(), 2, "{commits:?}");
    assert_eq!(commits[0], [(a.clone(), vec![1])]);
    let mut second = commits[1].clone();
    second.sort_by_key(|(id, _)| id != &a);
    assert_eq!(second, [(a.clone(), vec![2, 3, 4]), (b, vec![1])]);
    assert_eq!(published(&mut watching), [vec![1], vec![2, 3, 4]]);
}

#[tokio::test]
async fn a_flooding_run_holds_another_back_by_one_commit_at_most() {
    let (store, _bus, writer) = setup();
    let (flood, quiet) = (run(), run());
    let mut flooding = writer.open(&flood, 0);
    let mut talking = writer.open(&quiet, 0);
    flooding.push(line(1)).await;
    tokio::task::yield_now().await;
    let lines = i64::try_from(PER_RUN_COMMIT * 3).unwrap();
    for seq in 2..=lines {
        flooding.push(line(seq)).await;
    }
    talking.push(line(1)).await;
    store.gate.add_permits(10);
    talking.flushed().await;
    flooding.flushed().await;
    let commits = store.commits.lock().unwrap().clone();
    let first_with_quiet = commits.iter().position(|c| c.iter().any(|(id, _)| id == &quiet)).unwrap();
    assert_eq!(first_with_quiet, 1, "the quiet run's line went into the first commit after it arrived");
    assert!(commits.iter().flatten().all(|(_, seqs)| seqs.len() <= PER_RUN_COMMIT));
    let stored: Vec<i64> =
        commits.iter().flatten().filter(|(id, _)| id == &flood).flat_map(|(_, seqs)| seqs.clone()).collect();
    assert_eq!(stored, (1..=lines).collect::<Vec<_>>(), "every line once, in order");
}

#[tokio::test]
async fn lines_a_failing_store_never_takes_are_given_up_and_nobody_waits_forever() {
    let (store, bus, writer) = setup();
    let id = run();
    bus.open(&id);
    let mut watching = bus.subscribe(&id).unwrap();
    store.failing.store(true, Ordering::SeqCst);
    let mut log = writer.open(&id, 0);
    log.push(line(1)).await;
    // Five tries with a growing pause (1.5 s in all), then the lines are dropped.
    log.flushed().await;
    assert!(store.commits.lock().unwrap().is_empty());
    assert!(published(&mut watching).is_empty(), "lines that were not stored are never shown");
    store.failing.store(false, Ordering::SeqCst);
    store.gate.add_permits(1);
    log.push(line(2)).await;
    log.flushed().await;
    assert_eq!(published(&mut watching), [vec![2]]);
}
