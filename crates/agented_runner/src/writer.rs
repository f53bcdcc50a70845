//! Log lines by group commit, with no timer: one writer task commits whatever
//! lines have accumulated, of every run, as soon as its previous commit
//! ends, and publishes each run's lines to the live bus once they are stored.
//! A line alone costs one commit; a flood shares them. Each commit takes at
//! most [`PER_RUN_COMMIT`] lines of each run, so one flooding run never
//! delays another's lines by more than a commit, and each run may have at most
//! [`PER_RUN_PENDING`] lines waiting: past that its reader waits, and so,
//! through the pipe, does its process.

use agented_executions::{BusEvent, LogBus, LogLine, LogStore};
use agented_kernel::ExecutionId;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore, watch};

/// Lines of one run taken into one commit at most.
pub const PER_RUN_COMMIT: usize = 2_000;

/// Lines of one run waiting for a commit at most.
pub const PER_RUN_PENDING: usize = 20_000;

/// Tries of a commit before its lines are given up (a locked database usually recovers).
const COMMIT_TRIES: u64 = 5;

struct RunQueue {
    id: ExecutionId,
    lines: VecDeque<LogLine>,
    room: Arc<Semaphore>,
    committed: watch::Sender<i64>,
}

struct Inner {
    runs: Mutex<HashMap<String, RunQueue>>,
    wake: Notify,
    logs: Arc<dyn LogStore>,
    bus: Arc<dyn LogBus>,
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, RunQueue>> {
        self.runs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What the next commit stores: up to [`PER_RUN_COMMIT`] lines of every run that has some.
    fn take(&self) -> Vec<(ExecutionId, Vec<LogLine>)> {
        let mut runs = self.lock();
        runs.values_mut()
            .filter(|run| !run.lines.is_empty())
            .map(|run| {
                let n = run.lines.len().min(PER_RUN_COMMIT);
                (run.id.clone(), run.lines.drain(..n).collect())
            })
            .collect()
    }

    async fn commit(&self, batch: Vec<(ExecutionId, Vec<LogLine>)>) {
        let mut stored = false;
        for attempt in 1..=COMMIT_TRIES {
            match self.logs.append_many(&batch).await {
                Ok(()) => {
                    stored = true;
                    break;
                }
                Err(e) => {
                    tracing::warn!(attempt, runs = batch.len(), error = %e, "storing log lines failed; retrying");
                    tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
                }
            }
        }
        for (id, lines) in batch {
            let (Some(last), count) = (lines.last().map(|l| l.seq), lines.len()) else { continue };
            if stored {
                self.bus.publish(&id, BusEvent::Lines(lines));
            } else {
                tracing::error!(execution_id = %id, lines = count, "log lines could not be stored and were dropped");
            }
            if let Some(run) = self.lock().get(id.as_str()) {
                // Waiters learn the lines are done with, stored or given up.
                run.committed.send_replace(last);
                run.room.add_permits(count);
            }
        }
    }
}

/// The group-commit log writer; cheap to clone.
#[derive(Clone)]
pub struct LogWriter {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogWriter").finish_non_exhaustive()
    }
}

impl LogWriter {
    /// Starts the writer task (on the current tokio runtime).
    #[must_use]
    pub fn start(logs: Arc<dyn LogStore>, bus: Arc<dyn LogBus>) -> Self {
        let inner = Arc::new(Inner { runs: Mutex::default(), wake: Notify::new(), logs, bus });
        let task = inner.clone();
        tokio::spawn(async move {
            loop {
                task.wake.notified().await;
                loop {
                    let batch = task.take();
                    if batch.is_empty() {
                        break;
                    }
                    task.commit(batch).await;
                }
            }
        });
        Self { inner }
    }

    /// The log of run `id`, whose stored lines end at `seq`.
    #[must_use]
    pub fn open(&self, id: &ExecutionId, seq: i64) -> RunLog {
        let mut runs = self.inner.lock();
        let run = runs.entry(id.as_str().to_owned()).or_insert_with(|| RunQueue {
            id: id.clone(),
            lines: VecDeque::new(),
            room: Arc::new(Semaphore::new(PER_RUN_PENDING)),
            committed: watch::channel(seq).0,
        });
        RunLog {
            inner: self.inner.clone(),
            key: id.as_str().to_owned(),
            room: run.room.clone(),
            committed: run.committed.subscribe(),
            pushed: seq,
        }
    }

    /// Forgets run `id` once its lines are all committed (it has ended).
    pub fn close(&self, id: &ExecutionId) {
        self.inner.lock().remove(id.as_str());
    }
}

/// One run's way into the writer.
pub struct RunLog {
    inner: Arc<Inner>,
    key: String,
    room: Arc<Semaphore>,
    committed: watch::Receiver<i64>,
    pushed: i64,
}

impl RunLog {
    /// Queues `line` for the next commit; waits only while the run already has
    /// [`PER_RUN_PENDING`] lines waiting.
    pub async fn push(&mut self, line: LogLine) {
        if let Ok(permit) = self.room.acquire().await {
            // Given back by the writer once the line is committed.
            permit.forget();
        }
        self.pushed = line.seq;
        if let Some(run) = self.inner.lock().get_mut(&self.key) {
            run.lines.push_back(line);
        }
        self.inner.wake.notify_one();
    }

    /// Waits until every line pushed so far is committed (or given up).
    pub async fn flushed(&mut self) {
        let pushed = self.pushed;
        // The sender lives in the writer's map until `close`, after this returns.
        let _ = self.committed.wait_for(|committed| *committed >= pushed).await;
    }
}
