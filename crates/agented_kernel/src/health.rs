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

/// Readiness of the whole service: the database and every other part, checked together.
#[derive(Clone)]
pub struct Readiness {
    database: std::sync::Arc<dyn DatabaseHealth>,
    components: Vec<std::sync::Arc<dyn ComponentHealth>>,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readiness").field("components", &self.components.len()).finish_non_exhaustive()
    }
}

/// Every part's state, the database first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadinessReport {
    /// Part name → state.
    pub parts: Vec<(&'static str, ComponentState)>,
}

impl ReadinessReport {
    /// Every part can do its work.
    #[must_use]
    pub fn ready(&self) -> bool {
        self.parts.iter().all(|(_, s)| s.ok)
    }
}

impl Readiness {
    /// Readiness over the database and `components`.
    #[must_use]
    pub fn new(
        database: std::sync::Arc<dyn DatabaseHealth>,
        components: Vec<std::sync::Arc<dyn ComponentHealth>>,
    ) -> Self {
        Self { database, components }
    }

    /// Checks every part now.
    pub async fn check(&self) -> ReadinessReport {
        let database = self.database.ping().await;
        let mut parts = vec![(
            "database",
            ComponentState { ok: database.is_ok(), error: database.err().map(|e| e.to_string()), figures: Vec::new() },
        )];
        for part in &self.components {
            parts.push((part.name(), part.check().await));
        }
        ReadinessReport { parts }
    }
}

/// In-memory fakes of the health ports (feature `fakes`).
#[cfg(any(test, feature = "fakes"))]
pub mod fakes {
    use super::{BoxFuture, ComponentHealth, ComponentState, DatabaseHealth, HealthError};

    /// A database that answers, or fails with `down`'s message.
    #[derive(Debug, Default)]
    pub struct FixedDatabase {
        /// Why it is down, when it is.
        pub down: Option<String>,
    }

    impl DatabaseHealth for FixedDatabase {
        fn ping(&self) -> BoxFuture<'_, Result<(), HealthError>> {
            let answer = self.down.clone().map_or(Ok(()), |why| Err(HealthError(why)));
            Box::pin(async move { answer })
        }
    }

    /// A part that always reports `state`.
    #[derive(Debug)]
    pub struct FixedComponent {
        /// Its name.
        pub name: &'static str,
        /// What it reports.
        pub state: ComponentState,
    }

    impl ComponentHealth for FixedComponent {
        fn name(&self) -> &'static str {
            self.name
        }

        fn check(&self) -> BoxFuture<'_, ComponentState> {
            let state = self.state.clone();
            Box::pin(async move { state })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fakes::{FixedComponent, FixedDatabase};
    use super::{ComponentState, Readiness};
    use std::sync::Arc;

    fn block_on<F: Future>(future: F) -> F::Output {
        // The fakes answer at once: one poll with a no-op waker finishes them.
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match future.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(value) => value,
            std::task::Poll::Pending => panic!("a fake health check did not answer at once"),
        }
    }

    #[test]
    fn readiness_is_the_database_then_every_part_and_ready_only_when_all_are() {
        let queue = ComponentState { ok: true, error: None, figures: vec![("depth", 3)] };
        let runner = ComponentState { ok: false, error: Some("shutting down".into()), figures: Vec::new() };
        let parts = vec![
            Arc::new(FixedComponent { name: "queue", state: queue }) as Arc<dyn super::ComponentHealth>,
            Arc::new(FixedComponent { name: "runner", state: runner }),
        ];
        let report = block_on(Readiness::new(Arc::new(FixedDatabase::default()), parts.clone()).check());
        let names: Vec<&str> = report.parts.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["database", "queue", "runner"]);
        assert!(!report.ready());
        let down = FixedDatabase { down: Some("disk full".into()) };
        let report = block_on(Readiness::new(Arc::new(down), Vec::new()).check());
        assert_eq!(report.parts[0].1.error.as_deref(), Some("database unavailable: disk full"));
        assert!(!report.ready());
        assert!(block_on(Readiness::new(Arc::new(FixedDatabase::default()), Vec::new()).check()).ready());
    }
}
