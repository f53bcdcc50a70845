//! The connection pool over SQLite or PostgreSQL, one connection type for both
//! (Diesel's `MultiConnection`), and the write transaction both need.

use crate::StoreError;
use crate::location::Location;
use agented_kernel::health::BoxFuture;
use agented_kernel::{DatabaseHealth, HealthError};
use diesel::connection::{AnsiTransactionManager, Connection, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use std::time::Duration;

pub use any::AnyConnection;

mod any {
    use diesel::pg::PgConnection;
    use diesel::sqlite::SqliteConnection;

    /// One connection to either store: queries written once in Diesel's DSL run on
    /// both; the few that need a backend's own SQL match on the variant.
    #[derive(diesel::MultiConnection)]
    pub enum AnyConnection {
        /// The embedded default.
        Sqlite(SqliteConnection),
        /// The scale-out store.
        Pg(PgConnection),
    }
}

/// The backend of [`AnyConnection`] (for boxed queries).
pub type AnyBackend = <AnyConnection as Connection>::Backend;

/// A pooled connection.
pub type Conn = PooledConnection<Connector>;

/// Runs `$body` with `$c` bound to the concrete connection inside `$conn`, for
/// the statements `MultiConnection` cannot express (upserts, backend SQL).
#[macro_export]
macro_rules! per_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::database::AnyConnection::Sqlite($c) => $body,
            $crate::database::AnyConnection::Pg($c) => $body,
        }
    };
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct DatabaseOptions {
    /// Connections in the pool.
    pub pool_size: u32,
    /// How long SQLite waits on a lock before answering "database is locked"
    /// (PostgreSQL waits on locks without a limit).
    pub busy_timeout: Duration,
    /// How long a caller waits for a free connection.
    pub connection_timeout: Duration,
}

impl Default for DatabaseOptions {
    fn default() -> Self {
        Self { pool_size: 8, busy_timeout: Duration::from_secs(5), connection_timeout: Duration::from_secs(5) }
    }
}

/// Opens connections of the configured kind. (Diesel's own manager tries each
/// backend in turn, and SQLite accepts any string as a file name: a mistyped
/// PostgreSQL address would become a file.)
#[derive(Debug)]
pub struct Connector {
    location: Location,
    busy_timeout_ms: u128,
}

impl ManageConnection for Connector {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        match &self.location {
            Location::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                // Pragmas are per connection and would silently reset otherwise. (`journal_mode`
                // is stored in the file and set once in `Database::open`.)
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                    self.busy_timeout_ms
                ))
                .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
            Location::Postgres(url) => {
                PgConnection::establish(url).map(AnyConnection::Pg).map_err(diesel::r2d2::Error::ConnectionError)
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        std::thread::panicking() || conn.is_broken()
    }
}

/// The key of the advisory lock every PostgreSQL write transaction takes
/// (ASCII "agented").
const WRITE_LOCK: i64 = 0x0061_6765_6e74_6564;

/// Runs `work` in a transaction that holds the database's write lock from its
/// first statement, so a read-then-write inside it sees every earlier write and
/// no other writer interleaves: `BEGIN IMMEDIATE` on SQLite, a transaction-scoped
/// advisory lock on PostgreSQL (shared by every process on the database, which is
/// what makes per-trigger limits, dedup and budgets hold across processes).
/// Nested calls become savepoints of the outer transaction.
///
/// # Errors
/// Whatever `work` returns (the transaction is rolled back), or the failure to
/// begin or commit.
pub fn write<T, E, F>(conn: &mut AnyConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let nested = per_backend!(&mut *conn, |c| AnsiTransactionManager::transaction_manager_status_mut(c)
        .transaction_depth()
        .map_err(E::from)?
        .is_some());
    if nested {
        return conn.transaction(work);
    }
    match &mut *conn {
        AnyConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        AnyConnection::Pg(c) => {
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN")?;
            if let Err(e) = c.batch_execute(&format!("SELECT pg_advisory_xact_lock({WRITE_LOCK})")) {
                let _ = AnsiTransactionManager::rollback_transaction(c);
                return Err(e.into());
            }
        }
    }
    type Manager = <AnyConnection as Connection>::TransactionManager;
    match work(conn) {
        Ok(value) => match Manager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = Manager::rollback_transaction(conn);
                Err(e.into())
            }
        },
        Err(e) => {
            // A failed rollback leaves the connection broken; the pool discards it.
            let _ = Manager::rollback_transaction(conn);
            Err(e)
        }
    }
}

/// The Agented database: a pool over one SQLite file or one PostgreSQL database.
#[derive(Clone)]
pub struct Database {
    pool: Pool<Connector>,
    location: Location,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database").field("location", &self.location.to_string()).finish_non_exhaustive()
    }
}

impl Database {
    /// Opens (creating if needed) a SQLite database file and its folder.
    ///
    /// # Errors
    /// As [`Database::connect`].
    pub fn open(path: &std::path::Path, options: &DatabaseOptions) -> Result<Self, StoreError> {
        Self::connect(&Location::Sqlite(path.to_owned()), options)
    }

    /// Opens the database at `location`: for SQLite the file (created with its
    /// folder if needed), for PostgreSQL a pool on an existing database.
    ///
    /// # Errors
    /// [`StoreError::Open`] when the folder cannot be created or the first
    /// connection cannot be opened (a file that is not a database, a server that
    /// does not answer or refuses the credentials).
    pub fn connect(location: &Location, options: &DatabaseOptions) -> Result<Self, StoreError> {
        let open_err = |reason: String| StoreError::Open { path: location.to_string(), reason };
        if let Location::Sqlite(path) = location {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| open_err(e.to_string()))?;
            }
            // WAL is a property of the file: set it once, on one connection, before
            // the pool opens (switching takes an exclusive lock the pool would queue on).
            let mut first =
                SqliteConnection::establish(&path.to_string_lossy()).map_err(|e| open_err(e.to_string()))?;
            first
                .batch_execute(&format!(
                    "PRAGMA busy_timeout = {}; PRAGMA journal_mode = WAL;",
                    options.busy_timeout.as_millis()
                ))
                .map_err(|e| open_err(e.to_string()))?;
        }
        let connector = Connector { location: location.clone(), busy_timeout_ms: options.busy_timeout.as_millis() };
        // Fail now, with the server's own words, rather than at the first request.
        drop(connector.connect().map_err(|e| open_err(e.to_string()))?);
        let pool = Pool::builder()
            .max_size(options.pool_size.max(1))
            .connection_timeout(options.connection_timeout)
            .build(connector)
            .map_err(|e| open_err(e.to_string()))?;
        Ok(Self { pool, location: location.clone() })
    }

    /// Where the database is.
    #[must_use]
    pub const fn location(&self) -> &Location {
        &self.location
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
        F: FnOnce(&mut AnyConnection) -> Result<T, StoreError> + Send + 'static,
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
