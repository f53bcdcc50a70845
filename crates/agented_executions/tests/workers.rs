//! The worker registry's rules on fakes: states by heartbeat age, and sweeps that find
//! gone workers and interrupt exactly their runs.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

mod support;

use agented_executions::fakes::MemoryWorkers;
use agented_executions::{
    ExecutionRepository, ExecutionStatus, LocalHost, RunRequest, WORKER_LOST, WorkerRegistry, WorkerService,
    WorkerState,
};
use agented_kernel::{Clock, ExecutionId, WorkerId};
use agented_triggers::TriggerPatch;
use chrono::Duration;
use std::sync::Arc;
use support::{World, world};

const HERE: &str = "host-a";
/// Process ids that exist on `HERE` in these tests.
const LIVE_PIDS: [i32; 2] = [100, 200];

fn service(w: &World, registry: &Arc<MemoryWorkers>) -> WorkerService {
    service_telling(w, registry, Arc::new(agented_kernel::NoNotices))
}

fn service_telling(
    w: &World,
    registry: &Arc<MemoryWorkers>,
    notices: Arc<dyn agented_kernel::Notices>,
) -> WorkerService {
    WorkerService::new(
        registry.clone(),
        w.executions.clone(),
        w.clock.clone(),
        Duration::seconds(30),
        LocalHost { name: HERE.to_owned(), alive: Arc::new(|pid| LIVE_PIDS.contains(&pid)) },
    )
    .with_notices(notices)
}

/// A running execution claimed by `worker`.
async fn running_on(w: &World, worker: &WorkerId) -> ExecutionId {
    let t = w.trigger(&format!("t{}", w.executions.all().len()), TriggerPatch::default()).await;
    let e = w.service.start(&t.id, RunRequest::manual(None).unwrap()).await.unwrap();
    w.executions.claim(&e.execution_id, worker, 1, w.clock.now()).await.unwrap().claimed().unwrap();
    e.execution_id
}

async fn status(w: &World, id: &ExecutionId) -> ExecutionStatus {
    w.executions.get(id).await.unwrap().unwrap().status
}

#[tokio::test]
async fn a_worker_is_active_while_it_beats_lost_when_it_stops_beating_and_stopped_when_it_says_so() {
    let w = world();
    let registry = Arc::new(MemoryWorkers::default());
    let workers = service(&w, &registry);
    let (a, b) = (WorkerId::generate(), WorkerId::generate());
    workers.register(&a, 100, vec!["claude".into(), "region=eu".into()], 4, "0.1.0").await.unwrap();
    workers.register(&b, 200, Vec::new(), 2, "0.1.0").await.unwrap();
    assert!(workers.register(&a, 100, Vec::new(), 4, "0.1.0").await.is_err(), "an id is registered once");

    w.clock.advance(Duration::seconds(20));
    assert!(workers.beat(&a, 3).await.unwrap());
    w.clock.advance(Duration::seconds(20));
    workers.stop(&b).await.unwrap();
    let states: Vec<(WorkerId, WorkerState, u32)> =
        workers.list().await.unwrap().into_iter().map(|(r, s)| (r.id, s, r.running)).collect();
    assert!(states.contains(&(a.clone(), WorkerState::Active, 3)), "{states:?}");
    assert!(states.contains(&(b.clone(), WorkerState::Stopped, 0)), "{states:?}");

    w.clock.advance(Duration::seconds(31));
    let listed = workers.list().await.unwrap();
    assert_eq!(listed.iter().find(|(r, _)| r.id == a).unwrap().1, WorkerState::Lost, "31 s without a beat");
}

#[tokio::test]
async fn a_sweep_interrupts_the_runs_of_gone_workers_and_nothing_else() {
    let w = world();
    let registry = Arc::new(MemoryWorkers::default());
    let notices = Arc::new(agented_kernel::RecordedNotices::default());
    let workers = service_telling(&w, &registry, notices.clone());
    let (live, silent, elsewhere, me) =
        (WorkerId::generate(), WorkerId::generate(), WorkerId::generate(), WorkerId::generate());
    workers.register(&live, 100, Vec::new(), 1, "0.1.0").await.unwrap();
    workers.register(&silent, 200, Vec::new(), 1, "0.1.0").await.unwrap();
    workers.register(&me, 999, Vec::new(), 1, "0.1.0").await.unwrap();
    // A worker of another host registers there, with that host's name.
    let mut other = workers.list().await.unwrap()[0].0.clone();
    (other.id, other.host, other.pid) = (elsewhere.clone(), "host-b".into(), 12345);
    registry.register(&other).await.unwrap();

    let on_live = running_on(&w, &live).await;
    let on_silent = running_on(&w, &silent).await;
    let on_elsewhere = running_on(&w, &elsewhere).await;
    let on_me = running_on(&w, &me).await;
    let on_unknown = running_on(&w, &WorkerId::generate()).await;

    // 20 s on: everyone but `silent` beats. Nobody is lost yet.
    w.clock.advance(Duration::seconds(20));
    for id in [&live, &elsewhere] {
        assert!(workers.beat(id, 1).await.unwrap());
    }
    let sweep = workers.sweep(Some(&me)).await.unwrap();
    assert!(sweep.lost.is_empty(), "{sweep:?}");
    assert_eq!(sweep.interrupted, vec![on_unknown.clone()], "a run of a worker nobody registered");

    // 15 s more: `silent` is 35 s quiet and lost; `me` (pid 999, not alive here) is never swept by itself.
    w.clock.advance(Duration::seconds(15));
    let sweep = workers.sweep(Some(&me)).await.unwrap();
    assert_eq!(sweep.lost, vec![silent.clone()]);
    assert_eq!(sweep.interrupted, vec![on_silent.clone()]);
    let stored = w.executions.get(&on_silent).await.unwrap().unwrap();
    assert_eq!(stored.status, ExecutionStatus::Interrupted);
    assert_eq!(stored.error_message.as_deref(), Some(WORKER_LOST));
    let told: Vec<(agented_kernel::NoticeEvent, String)> =
        notices.all().into_iter().map(|n| (n.event, n.data["execution_id"].to_string())).collect();
    assert_eq!(
        told,
        vec![
            (agented_kernel::NoticeEvent::WorkerLost, on_unknown.to_string()),
            (agented_kernel::NoticeEvent::WorkerLost, on_silent.to_string()),
        ],
        "each interrupted run is told once, as `worker.lost`"
    );
    for (id, why) in [(&on_live, "beating"), (&on_elsewhere, "beating, on another host"), (&on_me, "the sweeper's own")]
    {
        assert_eq!(status(&w, id).await, ExecutionStatus::Running, "{why}");
    }
    assert!(!workers.beat(&silent, 0).await.unwrap(), "a lost worker's beats are refused");
    assert!(workers.sweep(Some(&me)).await.unwrap().lost.is_empty(), "found lost once");
}

#[tokio::test]
async fn a_worker_of_this_host_whose_process_is_gone_is_lost_at_once() {
    let w = world();
    let registry = Arc::new(MemoryWorkers::default());
    let workers = service(&w, &registry);
    let crashed = WorkerId::generate();
    // pid 300 does not exist on this host: the process was killed a moment ago.
    workers.register(&crashed, 300, Vec::new(), 1, "0.1.0").await.unwrap();
    let run = running_on(&w, &crashed).await;
    w.clock.advance(Duration::seconds(1));
    let sweep = workers.sweep(None).await.unwrap();
    assert_eq!((sweep.lost, sweep.interrupted), (vec![crashed], vec![run.clone()]));
    assert_eq!(status(&w, &run).await, ExecutionStatus::Interrupted);
}

#[tokio::test]
async fn a_stopped_workers_leftover_run_is_interrupted_and_a_finished_one_is_left_alone() {
    let w = world();
    let registry = Arc::new(MemoryWorkers::default());
    let workers = service(&w, &registry);
    let worker = WorkerId::generate();
    workers.register(&worker, 100, Vec::new(), 2, "0.1.0").await.unwrap();
    let left = running_on(&w, &worker).await;
    let done = running_on(&w, &worker).await;
    let finished = agented_executions::Outcome::closing(
        &w.executions.get(&done).await.unwrap().unwrap(),
        ExecutionStatus::Cancelled,
        "cancelled by a user",
        w.clock.now(),
    );
    w.executions.finish(&done, &finished).await.unwrap();
    workers.stop(&worker).await.unwrap();
    let sweep = workers.sweep(None).await.unwrap();
    assert!(sweep.lost.is_empty(), "a clean stop is not a loss");
    assert_eq!(sweep.interrupted, vec![left]);
    assert_eq!(status(&w, &done).await, ExecutionStatus::Cancelled);
}
