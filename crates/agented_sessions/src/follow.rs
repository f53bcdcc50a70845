//! Following a session: its state, then every chunk of output after the one a
//! client last saw, read from the store, so a reconnecting terminal gets
//! exactly what it missed, then `Complete` once the session has ended and its
//! last output was sent. Waits on the service's change signal, with a poll as
//! the safety net for a session another server runs.

use crate::model::{OutputChunk, Session};
use crate::service::{SessionError, SessionRef, SessionService};
use std::time::Duration;
use tokio::sync::mpsc;

/// Chunks read per store call.
const PAGE: u32 = 500;
/// The longest wait between two looks at the store.
const POLL: Duration = Duration::from_millis(250);

/// One event of a followed session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionEvent {
    /// The session's state (first, then on each change).
    Status(Box<Session>),
    /// Output, each chunk once and in order.
    Output(OutputChunk),
    /// Nothing happened for the heartbeat interval.
    Quiet,
    /// The session ended: its final state, the last event.
    Complete(Box<Session>),
}

impl SessionService {
    /// Follows the session from output `after` (0: from the start), until it ends or the
    /// receiver is dropped; a `Quiet` event after each `heartbeat` of silence.
    ///
    /// # Errors
    /// `NotFound`, `Store` (before anything was sent).
    pub async fn follow(
        &self,
        r: &SessionRef,
        after: i64,
        heartbeat: Duration,
    ) -> Result<mpsc::Receiver<SessionEvent>, SessionError> {
        let first = self.get(r).await?;
        let (tx, rx) = mpsc::channel(64);
        let service = self.clone();
        tokio::spawn(async move {
            if let Err(Stop::Failed(e)) = service.feed(first, after, heartbeat, &tx).await {
                tracing::warn!(error = %e, "a session stream ended early");
            }
        });
        Ok(rx)
    }

    async fn feed(
        &self,
        first: Session,
        mut after: i64,
        heartbeat: Duration,
        tx: &mpsc::Sender<SessionEvent>,
    ) -> Result<(), Stop> {
        let repo = &self.inner.repo;
        let mut changes = self.inner.changes.subscribe();
        let id = SessionRef::from(first.id.clone());
        let mut last = first.clone();
        send(tx, SessionEvent::Status(Box::new(first))).await?;
        let mut quiet_since = tokio::time::Instant::now();
        loop {
            changes.borrow_and_update();
            let session = self.get(&id).await?;
            let chunks = repo.output_after(&id.id, after, PAGE).await?;
            let full = chunks.len() == PAGE as usize;
            for chunk in chunks {
                after = chunk.seq;
                quiet_since = tokio::time::Instant::now();
                send(tx, SessionEvent::Output(chunk)).await?;
            }
            if full {
                continue;
            }
            // The state was read before the output: an end seen here came after all its output.
            if !session.status.is_open() {
                send(tx, SessionEvent::Complete(Box::new(session))).await?;
                return Ok(());
            }
            if session != last && (session.status != last.status || session.size != last.size) {
                send(tx, SessionEvent::Status(Box::new(session.clone()))).await?;
            }
            last = session;
            tokio::select! {
                _ = changes.changed() => {}
                () = tokio::time::sleep(POLL) => {}
                () = tx.closed() => return Ok(()),
            }
            if quiet_since.elapsed() >= heartbeat {
                quiet_since = tokio::time::Instant::now();
                send(tx, SessionEvent::Quiet).await?;
            }
        }
    }
}

/// Why following stopped early.
enum Stop {
    /// The client left.
    Gone,
    /// The store failed.
    Failed(SessionError),
}

impl<E: Into<SessionError>> From<E> for Stop {
    fn from(e: E) -> Self {
        Self::Failed(e.into())
    }
}

async fn send(tx: &mpsc::Sender<SessionEvent>, event: SessionEvent) -> Result<(), Stop> {
    tx.send(event).await.map_err(|_| Stop::Gone)
}
