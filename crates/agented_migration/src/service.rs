//! `ImportService`: imports started in the background, one at a time, and kept
//! (in memory, for this process's life) with their progress and report.

use crate::job::{ImportJob, ImportProgress, ImportStatus};
use crate::ports::{ImportFailure, PythonImporter};
use agented_kernel::{Clock, ImportId};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Imports kept for their page (the oldest beyond this are forgotten).
const KEPT: usize = 20;

/// Why an import request failed.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Another import is running.
    #[error("import {0} is still running: wait for it to end")]
    Busy(ImportId),
    /// No such import.
    #[error("import not found")]
    NotFound,
}

/// Imports of the Python Agented's database.
#[derive(Clone)]
pub struct ImportService {
    importer: Arc<dyn PythonImporter>,
    clock: Arc<dyn Clock>,
    jobs: Arc<Mutex<BTreeMap<ImportId, ImportJob>>>,
}

impl ImportService {
    /// The service over `importer`.
    #[must_use]
    pub fn new(importer: Arc<dyn PythonImporter>, clock: Arc<dyn Clock>) -> Self {
        Self { importer, clock, jobs: Arc::default() }
    }

    fn jobs(&self) -> MutexGuard<'_, BTreeMap<ImportId, ImportJob>> {
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts importing `upload` in the background (on the caller's tokio runtime).
    ///
    /// # Errors
    /// `Busy` while another import runs (the upload is left to the caller).
    pub fn start(&self, id: ImportId, upload: PathBuf, dry_run: bool) -> Result<ImportJob, ImportError> {
        let job = {
            let mut jobs = self.jobs();
            if let Some(running) = jobs.values().find(|j| j.status == ImportStatus::Running) {
                return Err(ImportError::Busy(running.id.clone()));
            }
            let job = ImportJob {
                id: id.clone(),
                dry_run,
                status: ImportStatus::Running,
                progress: ImportProgress { step: "reading".into(), done: 0, total: 1 },
                report: None,
                error: None,
                started_at: self.clock.now(),
                finished_at: None,
            };
            jobs.insert(id.clone(), job.clone());
            while jobs.len() > KEPT {
                let oldest = jobs.values().filter(|j| j.status != ImportStatus::Running).min_by_key(|j| j.started_at);
                match oldest.map(|j| j.id.clone()) {
                    Some(old) => jobs.remove(&old),
                    None => break,
                };
            }
            job
        };
        let this = self.clone();
        tokio::spawn(async move {
            let tell = this.clone();
            let progress_id = id.clone();
            let progress = Arc::new(move |p: ImportProgress| {
                if let Some(job) = tell.jobs().get_mut(&progress_id) {
                    job.progress = p;
                }
            });
            let outcome = this.importer.import(&upload, dry_run, progress).await;
            let now = this.clock.now();
            if let Some(job) = this.jobs().get_mut(&id) {
                job.finished_at = Some(now);
                match outcome {
                    Ok(report) => {
                        job.status = ImportStatus::Succeeded;
                        job.progress.done = job.progress.total;
                        job.report = Some(report);
                    }
                    Err(ImportFailure::Refused(e) | ImportFailure::Failed(e)) => {
                        tracing::warn!(import = %id, error = %e, "import failed");
                        job.status = ImportStatus::Failed;
                        job.error = Some(e);
                    }
                }
            }
        });
        Ok(job)
    }

    /// One import as it stands.
    ///
    /// # Errors
    /// `NotFound`.
    pub fn get(&self, id: &str) -> Result<ImportJob, ImportError> {
        let id = ImportId::parse(id).map_err(|_| ImportError::NotFound)?;
        self.jobs().get(&id).cloned().ok_or(ImportError::NotFound)
    }

    /// Every import kept, newest first.
    #[must_use]
    pub fn list(&self) -> Vec<ImportJob> {
        let mut all: Vec<ImportJob> = self.jobs().values().cloned().collect();
        all.sort_by_key(|j| std::cmp::Reverse(j.started_at));
        all
    }
}
