//! What an import needs from outside: a reader of the original's file and a
//! writer of this installation's store, in one.

use crate::job::ImportProgress;
use crate::report::ImportReport;
use async_trait::async_trait;
use std::path::Path;
use std::sync::Arc;

/// Told each step as an import goes.
pub type Progress = Arc<dyn Fn(ImportProgress) + Send + Sync>;

/// Why an import did not happen; nothing was written.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ImportFailure {
    /// The file is not the original's database, or not a version this reads: the uploader's to fix.
    #[error("{0}")]
    Refused(String),
    /// Writing failed and was rolled back.
    #[error("{0}")]
    Failed(String),
}

/// Imports the Python Agented's database into this installation.
///
/// Errors: [`ImportFailure::Refused`] for a file it will not read, [`ImportFailure::Failed`]
/// when the store failed; either way nothing was written.
#[async_trait]
pub trait PythonImporter: Send + Sync {
    /// Imports the uploaded file at `upload` (a dry run writes nothing), telling
    /// `progress` each step. The upload is the importer's: it removes it when done.
    async fn import(&self, upload: &Path, dry_run: bool, progress: Progress) -> Result<ImportReport, ImportFailure>;
}
