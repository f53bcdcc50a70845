//! Moving an installation from SQLite to PostgreSQL: every table, row for row,
//! into an empty, migrated PostgreSQL database, in one transaction. Rows travel
//! as JSON objects (SQLite's `json_object`, PostgreSQL's
//! `json_populate_recordset`), so one loop copies every table whatever its
//! columns, and each value is converted by the target column's own type.

use crate::database::{AnyConnection, Database};
use crate::{StoreError, run_migrations};
use diesel::connection::DefaultLoadingMode;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel::sqlite::SqliteConnection;

/// The tables, parents before children (foreign keys hold at every insert).
pub const TABLES: [&str; 36] = [
    "backends",
    "triggers",
    "trigger_paths",
    "api_keys",
    "audit_log",
    "executions",
    "execution_logs",
    "budget_reservations",
    "webhook_dedup",
    "webhook_deliveries",
    "projects",
    "planning_work",
    "roadmap_versions",
    "accounts",
    "budgets",
    "workers",
    "workflows",
    "workflow_versions",
    "workflow_executions",
    "workflow_node_executions",
    "agents",
    "teams",
    "pr_reviews",
    "notifiers",
    "notification_deliveries",
    "mcp_servers",
    "tooling_items",
    "plugins",
    "client_settings",
    "terminal_sessions",
    "terminal_output",
    "super_agents",
    "super_agent_documents",
    "super_agent_chats",
    "super_agent_chat_messages",
    "super_agent_messages",
];

/// Tables whose `id` PostgreSQL numbers itself: its counter must pass the copied ids.
const NUMBERED: [&str; 7] = [
    "audit_log",
    "trigger_paths",
    "webhook_deliveries",
    "roadmap_versions",
    "pr_reviews",
    "notification_deliveries",
    "super_agent_messages",
];

/// Rows per statement.
const BATCH: usize = 500;

/// How many rows each table received.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CopyReport {
    /// `(table, rows)` in copy order.
    pub tables: Vec<(&'static str, u64)>,
}

/// Why a copy did not happen; the target is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    /// The source must be SQLite and the target PostgreSQL.
    #[error("migrate-store copies a SQLite database into a PostgreSQL one ({0})")]
    Direction(String),
    /// The target already holds rows: copying would mix two installations.
    #[error("the target database is not empty ({table} has {rows} row(s)); copy into an empty database")]
    NotEmpty {
        /// The first table found with rows.
        table: &'static str,
        /// How many.
        rows: i64,
    },
    /// The source's schema is older than this binary: run `agented migrate` on it first.
    #[error("the source database has {0} pending migration(s): run `agented migrate` on it first")]
    SourceBehind(usize),
    /// A read or a write failed; nothing was committed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for CopyError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Store(e.into())
    }
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    row: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Column {
    #[diesel(sql_type = Text)]
    column_name: String,
}

/// Copies every row of `from` (SQLite, fully migrated) into `to` (PostgreSQL,
/// migrated here, and empty), all in one transaction on `to`.
///
/// # Errors
/// [`CopyError`]; on any error nothing is written to `to`.
pub fn copy_sqlite_to_postgres(from: &Database, to: &Database) -> Result<CopyReport, CopyError> {
    let direction = || CopyError::Direction(format!("from {} to {}", from.location(), to.location()));
    let mut source = from.conn()?;
    let AnyConnection::Sqlite(source) = &mut *source else { return Err(direction()) };
    if !to.location().is_postgres() {
        return Err(direction());
    }
    let pending = {
        use diesel_migrations::MigrationHarness;
        source.pending_migrations(crate::MIGRATIONS).map_err(|e| StoreError::Migration(e.to_string()))?.len()
    };
    if pending > 0 {
        return Err(CopyError::SourceBehind(pending));
    }
    run_migrations(&mut *to.conn()?)?;
    let mut target = to.conn()?;
    let AnyConnection::Pg(target) = &mut *target else { return Err(direction()) };
    target.transaction(|target| {
        // No server may write while the installation moves in.
        target.batch_execute("LOCK TABLE triggers, executions IN EXCLUSIVE MODE")?;
        for table in TABLES {
            let rows = diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}")).get_result::<Count>(target)?.n;
            if rows > 0 {
                return Err(CopyError::NotEmpty { table, rows });
            }
        }
        let mut report = CopyReport::default();
        for table in TABLES {
            report.tables.push((table, copy_table(source, target, table)?));
        }
        for table in NUMBERED {
            // The next id PostgreSQL gives must follow the copied ones.
            diesel::sql_query(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table}"
            ))
            .execute(target)?;
        }
        Ok(report)
    })
}

/// Streams `table` out of SQLite and into PostgreSQL in batches; returns the rows copied.
fn copy_table(source: &mut SqliteConnection, target: &mut PgConnection, table: &str) -> Result<u64, CopyError> {
    let columns: Vec<String> = diesel::sql_query(
        "SELECT column_name::TEXT AS column_name FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind::<Text, _>(table)
    .load::<Column>(target)?
    .into_iter()
    .map(|c| c.column_name)
    .collect();
    let pairs: Vec<String> = columns.iter().map(|c| format!("'{c}', {c}")).collect();
    let list = columns.join(", ");
    let insert =
        format!("INSERT INTO {table} ({list}) SELECT {list} FROM json_populate_recordset(NULL::{table}, $1::json)");
    let mut flush = |batch: &mut Vec<String>| -> Result<(), CopyError> {
        diesel::sql_query(&insert).bind::<Text, _>(format!("[{}]", batch.join(","))).execute(target)?;
        batch.clear();
        Ok(())
    };
    let (mut batch, mut copied) = (Vec::with_capacity(BATCH), 0_u64);
    let rows = diesel::sql_query(format!("SELECT json_object({}) AS row FROM {table}", pairs.join(", ")))
        .load_iter::<Row, DefaultLoadingMode>(source)?;
    for row in rows {
        batch.push(row?.row);
        copied += 1;
        if batch.len() == BATCH {
            flush(&mut batch)?;
        }
    }
    if !batch.is_empty() {
        flush(&mut batch)?;
    }
    Ok(copied)
}
