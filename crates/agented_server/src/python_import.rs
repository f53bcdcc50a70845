//! `agented import-python`: the Python Agented's database brought into this
//! installation's store, with a report on the terminal and, if asked, as JSON.

use crate::Settings;
use agented_migration::{ImportFailure, ImportReport, Progress, PythonImporter};
use agented_store::python_import::{ImportError, ImportOptions, import};
use agented_store::{Database, run_migrations, seed};
use std::io::Write;
use std::path::Path;

/// Imports `path` into the configured database (migrated and seeded first) and
/// answers the report as text; with `report_file`, writes it there as JSON too.
///
/// # Errors
/// A message for the operator; nothing was imported.
pub fn run(
    settings: &Settings,
    path: &Path,
    options: &ImportOptions,
    report_file: Option<&Path>,
) -> Result<String, String> {
    // Opened before importing, so an unwritable report stops the import rather than follow it.
    let mut out = report_file
        .map(|f| std::fs::File::create(f).map_err(|e| format!("cannot write the report to {}: {e}", f.display())))
        .transpose()?;
    let db =
        Database::connect(&settings.database.location, &settings.database.options(2)).map_err(|e| e.to_string())?;
    let mut conn = db.conn().map_err(|e| e.to_string())?;
    run_migrations(&mut conn).map_err(|e| e.to_string())?;
    seed(&mut conn).map_err(|e| e.to_string())?;
    drop(conn);
    let report = import(path, &db, options, chrono::Utc::now(), &|_| {}).map_err(|e| e.to_string())?;
    if let (Some(file), Some(name)) = (out.as_mut(), report_file) {
        let json = serde_json::to_vec_pretty(&report).map_err(|e| e.to_string())?;
        file.write_all(&json)
            .map_err(|e| format!("imported, but the report could not be written to {}: {e}", name.display()))?;
    }
    Ok(report.to_text())
}

/// How a report and an error name an upload.
const UPLOAD: &str = "the uploaded file";

/// The import port over this installation's store: the upload is read on the
/// blocking pool and removed when done, whatever the outcome.
#[derive(Debug, Clone)]
pub struct StoreImporter {
    db: Database,
}

impl StoreImporter {
    /// The importer writing into `db` (migrated and seeded).
    #[must_use]
    pub const fn new(db: Database) -> Self {
        Self { db }
    }
}

#[async_trait::async_trait]
impl PythonImporter for StoreImporter {
    async fn import(&self, upload: &Path, dry_run: bool, progress: Progress) -> Result<ImportReport, ImportFailure> {
        let (db, path) = (self.db.clone(), upload.to_owned());
        let options = ImportOptions { dry_run, timezone: None };
        let outcome = tokio::task::spawn_blocking(move || {
            let result = import(&path, &db, &options, chrono::Utc::now(), &|p| progress(p));
            if let Err(e) = std::fs::remove_file(&path) {
                tracing::warn!(path = %path.display(), error = %e, "could not remove an imported upload");
            }
            result
        })
        .await
        .map_err(|e| ImportFailure::Failed(format!("the import stopped: {e}")))?;
        // The uploader knows the file as "the uploaded file", not by the server's path for it.
        let said = |e: &ImportError| e.to_string().replace(&upload.display().to_string(), UPLOAD);
        outcome.map(|report| ImportReport { source: UPLOAD.into(), ..report }).map_err(|e| match e {
            ImportError::Store(_) => ImportFailure::Failed(said(&e)),
            ImportError::Unreadable(_) | ImportError::NotAgented(_) | ImportError::Schema { .. } => {
                ImportFailure::Refused(said(&e))
            }
        })
    }
}
