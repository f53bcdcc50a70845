//! The connection pool, with SQLite's pragmas applied on every connection.

use crate::StoreError;
use agented_kernel::health::BoxFuture;
use agented_kernel::{DatabaseHealth, HealthError};
use diesel::connection::{Connection, SimpleConnection};
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A pooled SQLite connection.
pub type Conn = PooledConnection<ConnectionManager<SqliteConnection>>;

/// How to open the database.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// Connections in the pool.
    pub pool_size: u32,
    /// How long SQLite waits on a lock before answering "database is locked".
    pub busy_timeout: Duration,
    /// How long a caller waits for a free connection.
    pub connection_timeout: Duration,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        Self { pool_size: 8, busy_timeout: Duration::from_secs(5), connection_timeout: Duration::from_secs(5) }
    }
}

/// Applies the pragmas every connection needs: they are per connection and
/// would silently reset otherwise. (`journal_mode` is stored in the file and is
/// set once in [`Database::open`]: switching to WAL takes an exclusive lock, and
/// the pool's connections opening at once would queue on it.)
#[derive(Debug)]
struct Pragmas {
    busy_timeout_ms: u128,
}

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for Pragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            self.busy_timeout_ms
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// The Agented database: a pool over one SQLite file.
#[derive(Clone)]
pub struct Database {
    pool: Pool<ConnectionManager<SqliteConnection>>,
    path: PathBuf,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Database {
    /// Opens (creating if needed) the database file and its folder.
    ///
    /// # Errors
    /// [`StoreError::Open`] when the folder cannot be created or the first
    /// connection cannot be opened (for example a file that is not a database).
    pub fn open(path: &Path, options: &DatabaseOptions) -> Result<Self, StoreError> {
        let open_err = |reason: String| StoreError::Open { path: path.display().to_string(), reason };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| open_err(e.to_string()))?;
        }
        let url = path.to_string_lossy();
        // WAL is a property of the file: set it once, on one connection, before the pool opens.
        let mut first = SqliteConnection::establish(&url).map_err(|e| open_err(e.to_string()))?;
        first
            .batch_execute(&format!(
                "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL;",
                options.busy_timeout.as_millis()
            ))
            .map_err(|e| open_err(e.to_string()))?;
        drop(first);
        let manager = ConnectionManager::<SqliteConnection>::new(url);
        let pool = Pool::builder()
            .max_size(options.pool_size.max(1))
            .connection_timeout(options.connection_timeout)
            .connection_customizer(Box::new(Pragmas { busy_timeout_ms: options.busy_timeout.as_millis() }))
            .build(manager)
            .map_err(|e| open_err(e.to_string()))?;
        Ok(Self { pool, path: path.to_owned() })
    }

    /// The database file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A connection for synchronous work (start-up, CLI commands, tests).
    ///
    /// # Errors
    /// [`StoreError::Pool`] when none is free within the connection timeout.
    pub fn conn(&self) -> Result<Conn, StoreError> {
        Ok(self.pool.get()?)
    }

    /// Runs blocking Diesel work on tokio's blocking pool, inside the caller's
    /// tracing span so its log lines keep the request id; a panic inside `work`
    /// is re-raised here rather than lost.
    ///
    /// # Errors
    /// Whatever `work` returns, [`StoreError::Pool`] when no connection is free,
    /// and [`StoreError::Task`] if the blocking task was cancelled.
    pub async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut SqliteConnection) -> Result<T, StoreError> + Send + 'static,
    {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        let joined = tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = pool.get()?;
            work(&mut conn)
        })
        .await;
        match joined {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(StoreError::Task(e.to_string())),
        }
    }
}

impl DatabaseHealth for Database {
    fn ping(&self) -> BoxFuture<'_, Result<(), HealthError>> {
        Box::pin(async move {
            self.run(|conn| conn.batch_execute("SELECT 1").map_err(StoreError::from))
                .await
                .map_err(|e| HealthError(e.to_string()))
        })
    }
}
