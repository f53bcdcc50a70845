//! `ImportService` on a scripted importer: one import at a time, progress while
//! it runs, the report or the error when it ends.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{ImportId, ManualClock};
use agented_migration::fakes::ScriptedImporter;
use agented_migration::{ImportError, ImportFailure, ImportReport, ImportService, ImportStatus};
use chrono::{TimeZone, Utc};
use std::sync::Arc;
use std::time::Duration;

fn service(importer: Arc<ScriptedImporter>) -> ImportService {
    ImportService::new(importer, Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap())))
}

async fn ended(s: &ImportService, id: &ImportId) -> agented_migration::ImportJob {
    for _ in 0..500 {
        let job = s.get(id.as_str()).unwrap();
        if job.status != ImportStatus::Running {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("import {id} never ended")
}

#[tokio::test]
async fn an_import_runs_alone_shows_its_progress_and_ends_with_its_report() {
    let report = ImportReport { source: "old.db".into(), ..ImportReport::default() };
    let importer = Arc::new(ScriptedImporter::new(Ok(report.clone()), true));
    let s = service(importer.clone());
    let first = s.start(ImportId::generate(), "/uploads/a.db".into(), false).unwrap();
    assert_eq!(first.status, ImportStatus::Running);
    // Told progress while held.
    for _ in 0..500 {
        if s.get(first.id.as_str()).unwrap().progress.step == "triggers" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(s.get(first.id.as_str()).unwrap().progress.done, 1);
    match s.start(ImportId::generate(), "/uploads/b.db".into(), false) {
        Err(ImportError::Busy(running)) => assert_eq!(running, first.id),
        other => panic!("a second import started beside the first: {other:?}"),
    }
    importer.release();
    let done = ended(&s, &first.id).await;
    assert_eq!(done.status, ImportStatus::Succeeded);
    assert_eq!(done.report, Some(report));
    assert_eq!(done.progress.done, done.progress.total);
    assert!(done.finished_at.is_some());
    assert_eq!(importer.uploads.lock().unwrap().len(), 1);
    assert!(s.start(ImportId::generate(), "/uploads/c.db".into(), true).is_ok(), "the next may start");
}

#[tokio::test]
async fn a_refused_file_ends_the_import_failed_with_the_reason_and_unknown_ids_are_not_found() {
    let importer =
        Arc::new(ScriptedImporter::new(Err(ImportFailure::Refused("not a Python Agented database".into())), false));
    let s = service(importer);
    let job = s.start(ImportId::generate(), "/uploads/x.db".into(), false).unwrap();
    let done = ended(&s, &job.id).await;
    assert_eq!(done.status, ImportStatus::Failed);
    assert_eq!(done.error.as_deref(), Some("not a Python Agented database"));
    assert!(done.report.is_none());
    assert!(matches!(s.get("imp-nothere"), Err(ImportError::NotFound)));
    assert!(matches!(s.get("../etc"), Err(ImportError::NotFound)));
    assert_eq!(s.list().len(), 1);
}
