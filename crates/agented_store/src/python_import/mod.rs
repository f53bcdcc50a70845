//! Importing the Python Agented's SQLite database into this installation's
//! store (SQLite or PostgreSQL): triggers (paths, schedules, webhook secrets,
//! fallback chains), executions with their logs, backend accounts, budget
//! limits, settings, agents, MCP servers, PR reviews, workflows and teams.
//!
//! The source is opened read-only and immutable, read whole and checked first:
//! a file that is not the original's database, or another schema version, is
//! refused before anything is written. The rows are then written in one
//! transaction, so an import lands whole or not at all; a dry run rolls it
//! back. Ids are kept where Agented's forms take them (`trig-…`, `exec-…`) and
//! mapped otherwise (account `3` → `acct-py3`), the same way every time, and a
//! row whose id is already here is left as it is: a second import changes
//! nothing. Every row left out, and every table not imported, is in the report
//! with the reason.

mod plan;
mod source;
mod write;

pub use agented_migration::{ImportProgress, ImportReport};
pub use plan::Zone;
pub use source::SCHEMA_VERSION;

use crate::{Database, StoreError};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use std::path::Path;

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// Check and count everything, write nothing.
    pub dry_run: bool,
    /// The original server's zone, for its naive local times; read from the
    /// file when absent.
    pub timezone: Option<Tz>,
}

/// Why nothing was imported; the target is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file is missing, not SQLite, or damaged.
    #[error("cannot read {0}")]
    Unreadable(String),
    /// A SQLite database, but not the Python Agented's.
    #[error("not a Python Agented database: {0}")]
    NotAgented(String),
    /// The original's database at a schema version this importer does not read.
    #[error(
        "the database is at schema version {found}; this importer reads version {expected} (Python Agented v0.1.0): \
         upgrade the original to v0.1.0 and import again"
    )]
    Schema {
        /// The file's version.
        found: i64,
        /// The one read here.
        expected: i64,
    },
    /// Writing to this installation failed; the transaction was rolled back.
    #[error("the import was rolled back: {0}")]
    Store(#[from] StoreError),
}

/// Imports the Python Agented database at `path` into `target` (migrated and seeded).
///
/// # Errors
/// [`ImportError`]; whatever it is, nothing was written.
pub fn import(
    path: &Path,
    target: &Database,
    options: &ImportOptions,
    now: DateTime<Utc>,
    progress: &dyn Fn(ImportProgress),
) -> Result<ImportReport, ImportError> {
    progress(ImportProgress { step: "reading".into(), done: 0, total: write::STEPS + 1 });
    let source = source::read(path)?;
    let (zone, how) = match (options.timezone, plan::inferred_offset(&source.clock_pairs)) {
        (Some(tz), _) => (Zone::Named(tz), "given"),
        (None, Some(offset)) => {
            (Zone::Offset(offset), "read from the file: runs' local end times against their UTC usage records")
        }
        (None, None) => (Zone::Named(Tz::UTC), "assumed: the file has no runs to read the zone from; pass --timezone"),
    };
    let mut report = ImportReport {
        source: path.display().to_string(),
        dry_run: options.dry_run,
        schema_version: source.schema_version,
        timezone: format!("{zone} ({how})"),
        ..ImportReport::default()
    };
    let mut conn = target.conn()?;
    write::write(&mut conn, &source, zone, now, options.dry_run, &mut report, progress)?;
    report.not_imported = write::not_imported(&source);
    Ok(report)
}
