//! Schema migrations, embedded from the workspace's `migrations/` folder.

use crate::StoreError;
use diesel::migration::MigrationSource;
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The migrations compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// Applies every pending embedded migration; returns how many were applied.
///
/// # Errors
/// [`StoreError::Migration`] when one fails; then none of the pending ones is applied.
pub fn run_migrations(conn: &mut SqliteConnection) -> Result<usize, StoreError> {
    run_migrations_from(conn, MIGRATIONS)
}

/// Applies the pending migrations of `source` all together or not at all:
/// the whole batch runs in one immediate transaction (each migration's own
/// transaction becomes a savepoint), so a failure leaves the file as it was.
///
/// # Errors
/// [`StoreError::Migration`] naming the failure.
pub fn run_migrations_from<S: MigrationSource<Sqlite>>(
    conn: &mut SqliteConnection,
    source: S,
) -> Result<usize, StoreError> {
    let applied = conn.immediate_transaction::<_, StoreError, _>(|conn| {
        conn.run_pending_migrations(source).map(|v| v.len()).map_err(|e| StoreError::Migration(e.to_string()))
    })?;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    Ok(applied)
}
