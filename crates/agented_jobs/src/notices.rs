//! PostgreSQL's notices of changed runs (`LISTEN agented_runs`): one listening
//! connection per process wakes the followers of runs that other processes
//! write. A notice lost while the connection is re-made costs only latency:
//! the followers' timer still reads the store.

use crate::queue::JobsError;
use agented_executions::{RUN_NOTICE_CHANNEL, SignalRegistry, StoreSignal};
use agented_kernel::ExecutionId;
use apalis_postgres::{PgListener, PgPool};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The listener task and the followers it wakes; the task ends with this.
#[derive(Debug)]
pub struct PgNotices {
    registry: Arc<SignalRegistry>,
    task: tokio::task::JoinHandle<()>,
}

impl PgNotices {
    /// Listens on the pool's database.
    ///
    /// # Errors
    /// [`JobsError`] when the listening connection cannot be made (`shown` names the database).
    pub async fn listen(pool: &PgPool, shown: &str) -> Result<Self, JobsError> {
        let fail = |e: sqlx::Error| JobsError { path: shown.to_owned(), reason: e.to_string() };
        let mut listener = PgListener::connect_with(pool).await.map_err(fail)?;
        listener.listen(RUN_NOTICE_CHANNEL).await.map_err(fail)?;
        let registry = Arc::new(SignalRegistry::default());
        let waking = registry.clone();
        let task = tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(notice) => waking.wake(notice.payload()),
                    Err(e) => {
                        // `recv` re-connects on the next call; wait a little so a database
                        // that is down is not hammered.
                        tracing::warn!(error = %e, "listening for run notices failed; followers fall back to reading");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Ok(Self { registry, task })
    }
}

impl StoreSignal for PgNotices {
    fn watch(&self, id: &ExecutionId) -> Arc<Notify> {
        self.registry.watch(id)
    }
}

impl Drop for PgNotices {
    fn drop(&mut self) {
        self.task.abort();
    }
}
