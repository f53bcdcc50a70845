//! Storage errors.

/// Something went wrong talking to SQLite.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No connection could be had from the pool within its timeout.
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    /// A migration failed; nothing of the batch was applied.
    #[error("migration failed, database left unchanged: {0}")]
    Migration(String),
    /// The database file or its folder could not be opened or created.
    #[error("cannot open database at {path}: {reason}")]
    Open {
        /// The database file.
        path: String,
        /// Why.
        reason: String,
    },
    /// A blocking database task panicked or was cancelled.
    #[error("database task failed: {0}")]
    Task(String),
}
