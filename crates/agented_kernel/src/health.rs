//! The readiness port: can the service reach its database right now?

use std::future::Future;
use std::pin::Pin;

/// Why the database did not answer a health probe.
#[derive(Debug, thiserror::Error)]
#[error("database unavailable: {0}")]
pub struct HealthError(pub String);

/// A boxed future, so the port stays object-safe without an async-trait dependency.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Answers whether the database is usable.
pub trait DatabaseHealth: Send + Sync {
    /// Runs a trivial query against the database.
    ///
    /// # Errors
    /// MUST return [`HealthError`] when no connection can be had within the
    /// adapter's bounded wait or the query fails; MUST NOT block forever.
    fn ping(&self) -> BoxFuture<'_, Result<(), HealthError>>;
}

/// One part of the service as the detailed readiness view shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentState {
    /// Whether the part can do its work.
    pub ok: bool,
    /// Why not, when it cannot.
    pub error: Option<String>,
    /// Figures worth showing (queue depth, runs in progress, …).
    pub figures: Vec<(&'static str, i64)>,
}

/// A part of the service that can report its own state (the run queue, the runner).
pub trait ComponentHealth: Send + Sync {
    /// The name shown in the readiness view.
    fn name(&self) -> &'static str;

    /// The current state. Never fails: a broken part reports `ok: false`.
    /// MUST answer within the adapter's bounded wait.
    fn check(&self) -> BoxFuture<'_, ComponentState>;
}
