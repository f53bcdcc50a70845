//! One import, as it runs and as it ended.

use crate::report::ImportReport;
use agented_kernel::ImportId;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Where an import stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Reading or writing.
    Running,
    /// Done; the report says what it did.
    Succeeded,
    /// Refused or failed; nothing was written.
    Failed,
}

/// How far an import has come.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportProgress {
    /// What it is doing (`reading`, or the source table being written).
    pub step: String,
    /// Steps done.
    pub done: usize,
    /// Steps in all.
    pub total: usize,
}

/// An import.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportJob {
    /// `imp-…`.
    pub id: ImportId,
    /// Check and count only.
    pub dry_run: bool,
    /// Where it stands.
    pub status: ImportStatus,
    /// How far it has come.
    pub progress: ImportProgress,
    /// What it did, once it succeeded.
    pub report: Option<ImportReport>,
    /// Why it failed.
    pub error: Option<String>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
}
