//! `LogFollower`: a run's log read a page at a time, and followed live as a
//! typed stream of run events. Following subscribes before replaying the store
//! (a line is published only after it is stored), follows the bus, replays the
//! store again when it lagged, and drops lines already sent by their `seq`, so
//! a client sees every line once, in order, then the final status.

use crate::model::{Execution, LogLine};
use crate::ports::{BusEvent, ExecStoreError, ExecutionRepository, LogBus, LogStore, StoreSignal};
use crate::status::ExecutionStatus;
use agented_kernel::ExecutionId;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Lines read per store call while replaying.
const REPLAY_PAGE: u32 = 1000;
/// How often a follower checks a run that is not live in this process: soon at
/// first (a queued run usually starts within milliseconds, and its first lines
/// should not wait), then less often, up to `POLL_MAX`. With a [`StoreSignal`]
/// the follower is woken as soon as the run changes, and the timer is a safety net.
const POLL_FIRST: Duration = Duration::from_millis(20);
const POLL_MAX: Duration = Duration::from_millis(250);

/// One event of a followed run. The states are boxed: a stream's channel holds
/// slots of this size, and thousands of streams may be open.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEvent {
    /// The run's state (sent first, then on each change).
    Status(Box<Execution>),
    /// A stored line, each once and in order.
    Line(LogLine),
    /// Nothing was sent for the heartbeat interval.
    Quiet,
    /// The run ended: its final state (the last event).
    Complete(Box<Execution>),
}

/// The follower went away (its receiver was dropped).
#[derive(Debug)]
struct Gone;

/// Reads and follows runs' logs.
#[derive(Clone)]
pub struct LogFollower {
    executions: Arc<dyn ExecutionRepository>,
    logs: Arc<dyn LogStore>,
    bus: Arc<dyn LogBus>,
    heartbeat: Duration,
    signal: Option<Arc<dyn StoreSignal>>,
}

impl std::fmt::Debug for LogFollower {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogFollower").field("heartbeat", &self.heartbeat).finish_non_exhaustive()
    }
}

impl LogFollower {
    /// A follower over the stores and the bus; `heartbeat` is the longest silence before a `Quiet`.
    #[must_use]
    pub fn new(
        executions: Arc<dyn ExecutionRepository>,
        logs: Arc<dyn LogStore>,
        bus: Arc<dyn LogBus>,
        heartbeat: Duration,
    ) -> Self {
        Self { executions, logs, bus, heartbeat, signal: None }
    }

    /// Wakes followers of runs in other processes when the store says they changed.
    #[must_use]
    pub fn with_signal(mut self, signal: Arc<dyn StoreSignal>) -> Self {
        self.signal = Some(signal);
        self
    }

    /// Up to `limit` lines of `id` after `after`, in order.
    ///
    /// # Errors
    /// Storage failed.
    pub async fn page(&self, id: &ExecutionId, after: i64, limit: u32) -> Result<Vec<LogLine>, ExecStoreError> {
        self.logs.read_after(id, after, limit).await
    }

    /// Sends `execution`'s events after line `after` into `tx` until the run is complete
    /// or the receiver is dropped.
    pub async fn follow(&self, execution: Execution, after: i64, tx: mpsc::Sender<RunEvent>) {
        let mut out = Out { tx, last_sent: Instant::now(), seq: after, heartbeat: self.heartbeat };
        if self.run(execution, &mut out).await.is_err() {
            tracing::debug!("a followed run's client went away");
        }
    }

    async fn run(&self, execution: Execution, out: &mut Out) -> Result<(), Gone> {
        let id = execution.execution_id.clone();
        let mut last_status = execution.status;
        out.send(RunEvent::Status(Box::new(execution))).await?;
        let mut poll = POLL_FIRST;
        let woken = self.signal.as_ref().map(|s| s.watch(&id));
        let last = loop {
            // Subscribe before reading the store: a line is published only after it is stored.
            let subscription = self.bus.subscribe(&id);
            self.replay(&id, out).await?;
            if let Some(mut subscription) = subscription {
                // The bus opens when a run is claimed: announce `running` if this client has not seen it.
                if last_status != ExecutionStatus::Running
                    && let Ok(Some(current)) = self.executions.get(&id).await
                    && current.status == ExecutionStatus::Running
                {
                    last_status = current.status;
                    out.send(RunEvent::Status(Box::new(current))).await?;
                }
                loop {
                    tokio::select! {
                        event = subscription.next() => match event {
                            Some(BusEvent::Lines(lines)) => out.lines(lines).await?,
                            Some(BusEvent::Lagged) => self.replay(&id, out).await?,
                            Some(BusEvent::Started) => {}
                            None => break,
                        },
                        () = tokio::time::sleep(self.heartbeat) => out.quiet().await?,
                    }
                }
            }
            let current = match self.executions.get(&id).await {
                Ok(Some(current)) => current,
                _ => return Ok(()),
            };
            if current.status.is_terminal() {
                break current;
            }
            if current.status != last_status {
                last_status = current.status;
                out.send(RunEvent::Status(Box::new(current))).await?;
            }
            out.quiet().await?;
            match &woken {
                Some(woken) => {
                    let _ = tokio::time::timeout(poll, woken.notified()).await;
                }
                None => tokio::time::sleep(poll).await,
            }
            poll = (poll * 2).min(POLL_MAX);
        };
        self.replay(&id, out).await?;
        out.send(RunEvent::Complete(Box::new(last))).await
    }

    async fn replay(&self, id: &ExecutionId, out: &mut Out) -> Result<(), Gone> {
        loop {
            let page = match self.logs.read_after(id, out.seq, REPLAY_PAGE).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(execution_id = %id, error = %e, "replaying a run's log from the store failed");
                    return Ok(());
                }
            };
            let full = page.len() == REPLAY_PAGE as usize;
            out.lines(page).await?;
            if !full {
                return Ok(());
            }
        }
    }
}

/// The follower's side of the channel: what was sent last, and when.
struct Out {
    tx: mpsc::Sender<RunEvent>,
    last_sent: Instant,
    seq: i64,
    heartbeat: Duration,
}

impl Out {
    async fn send(&mut self, event: RunEvent) -> Result<(), Gone> {
        self.tx.send(event).await.map_err(|_| Gone)?;
        self.last_sent = Instant::now();
        Ok(())
    }

    async fn lines(&mut self, lines: Vec<LogLine>) -> Result<(), Gone> {
        for line in lines {
            if line.seq <= self.seq {
                continue;
            }
            let seq = line.seq;
            self.send(RunEvent::Line(line)).await?;
            self.seq = seq;
        }
        Ok(())
    }

    async fn quiet(&mut self) -> Result<(), Gone> {
        if self.last_sent.elapsed() >= self.heartbeat {
            self.send(RunEvent::Quiet).await?;
        }
        Ok(())
    }
}
