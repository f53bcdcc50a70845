//! Schema migrations, embedded: `migrations/` for SQLite and
//! `migrations-postgres/` for PostgreSQL, the same tables in each dialect.

use crate::StoreError;
use crate::database::AnyConnection;
use diesel::connection::{Connection, SimpleConnection};
use diesel::migration::MigrationSource;
use diesel::sqlite::{Sqlite, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// The SQLite migrations compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

/// The PostgreSQL migrations compiled into the binary.
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations-postgres");

/// The advisory lock that keeps two processes starting at once from migrating together.
const MIGRATION_LOCK: i64 = 0x0061_6765_6e74_6d69;

/// Applies every pending embedded migration, all together or not at all;
/// returns how many were applied.
///
/// # Errors
/// [`StoreError::Migration`] when one fails; then none of the pending ones is applied.
pub fn run_migrations(conn: &mut AnyConnection) -> Result<usize, StoreError> {
    let applied = match conn {
        AnyConnection::Sqlite(c) => run_migrations_from(c, MIGRATIONS)?,
        // PostgreSQL's DDL is transactional: the batch commits whole or not at all.
        AnyConnection::Pg(c) => c.transaction::<_, StoreError, _>(|c| {
            c.batch_execute(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"))?;
            c.run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|v| v.len())
                .map_err(|e| StoreError::Migration(e.to_string()))
        })?,
    };
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }
    Ok(applied)
}

/// Applies the pending SQLite migrations of `source` all together or not at
/// all: the whole batch runs in one immediate transaction (each migration's own
/// transaction becomes a savepoint), so a failure leaves the file as it was.
///
/// # Errors
/// [`StoreError::Migration`] naming the failure.
pub fn run_migrations_from<S: MigrationSource<Sqlite>>(
    conn: &mut SqliteConnection,
    source: S,
) -> Result<usize, StoreError> {
    conn.immediate_transaction::<_, StoreError, _>(|conn| {
        conn.run_pending_migrations(source).map(|v| v.len()).map_err(|e| StoreError::Migration(e.to_string()))
    })
}
