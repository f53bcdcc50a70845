//! Storage errors.

/// Something went wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No connection could be had from the pool within its timeout.
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// A query failed.
    #[error("database query failed: {0}")]
    Query(diesel::result::Error),
    /// A value held text the database cannot store (PostgreSQL refuses NUL).
    #[error("database query refused: {0}")]
    Unstorable(#[source] agented_kernel::UnstorableText),
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

impl From<StoreError> for agented_workflows::WorkflowStoreError {
    fn from(e: StoreError) -> Self {
        Self(agented_kernel::Cause::of(e))
    }
}

/// Whether a unique violation is the one on `table.column`: SQLite names the
/// column in its message, PostgreSQL names the constraint (`table_column_key`
/// for an inline `UNIQUE`).
pub(crate) fn is_unique_column(
    info: &(dyn diesel::result::DatabaseErrorInformation + Send + Sync),
    table: &str,
    column: &str,
) -> bool {
    info.message().contains(&format!("{table}.{column}"))
        || info.constraint_name() == Some(format!("{table}_{column}_key").as_str())
}

/// `text` as both stores can hold it: PostgreSQL's text cannot contain NUL, so
/// a NUL from a webhook, a CLI's output or an error message becomes U+FFFD (on
/// both stores, so that they read back the same) instead of failing the write.
pub(crate) fn storable(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('\0') { std::borrow::Cow::Owned(text.replace('\0', "\u{FFFD}")) } else { text.into() }
}

/// PostgreSQL's refusal of a NUL in text (SQLSTATE 22021) is the caller's
/// fault, not the database's: it gets its own variant.
impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        match &e {
            diesel::result::Error::DatabaseError(_, info)
                if info.message().contains("invalid byte sequence for encoding \"UTF8\": 0x00") =>
            {
                Self::Unstorable(agented_kernel::UnstorableText)
            }
            _ => Self::Query(e),
        }
    }
}
