//! A [`PythonImporter`] that answers what it was told to, after telling two steps.

use crate::job::ImportProgress;
use crate::ports::{ImportFailure, Progress, PythonImporter};
use crate::report::ImportReport;
use async_trait::async_trait;
use std::path::Path;
use std::sync::Mutex;
use tokio::sync::Notify;

/// Answers `answer` for every import; holds each one until [`ScriptedImporter::release`] when `hold` is set.
#[derive(Debug)]
pub struct ScriptedImporter {
    /// What every import answers.
    pub answer: Result<ImportReport, ImportFailure>,
    /// Wait for a release before answering.
    pub hold: bool,
    release: Notify,
    /// The uploads it was given, in order.
    pub uploads: Mutex<Vec<std::path::PathBuf>>,
}

impl ScriptedImporter {
    /// An importer answering `answer`.
    #[must_use]
    pub fn new(answer: Result<ImportReport, ImportFailure>, hold: bool) -> Self {
        Self { answer, hold, release: Notify::new(), uploads: Mutex::default() }
    }

    /// Lets a held import answer.
    pub fn release(&self) {
        self.release.notify_one();
    }
}

#[async_trait]
impl PythonImporter for ScriptedImporter {
    async fn import(&self, upload: &Path, _dry_run: bool, progress: Progress) -> Result<ImportReport, ImportFailure> {
        self.uploads.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(upload.to_owned());
        progress(ImportProgress { step: "triggers".into(), done: 1, total: 2 });
        if self.hold {
            self.release.notified().await;
        }
        self.answer.clone()
    }
}
