//! `BackendService` on in-memory fakes: ids made from names, validation, probing.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_executions::fakes::{FixedProbe, MemoryBackends};
use agented_executions::{
    BackendEntry, BackendError, BackendService, BackendWriteError, CustomBackendRequest, custom_backend_id,
};
use agented_kernel::ManualClock;
use chrono::{TimeZone, Utc};
use std::collections::HashMap;
use std::sync::Arc;

fn service() -> (BackendService, Arc<FixedProbe>) {
    let at = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
    let claude = BackendEntry {
        id: "backend-claude".into(),
        name: "Claude Code".into(),
        backend_type: "claude".into(),
        command: "claude".into(),
        description: String::new(),
        is_builtin: true,
        custom: None,
        created_at: at,
    };
    let probe = Arc::new(FixedProbe {
        installed: HashMap::from([("claude".into(), "2.0.1".into())]),
        at,
        ..FixedProbe::default()
    });
    let service = BackendService::new(
        Arc::new(MemoryBackends::with(vec![claude])),
        probe.clone(),
        Arc::new(ManualClock::new(at)),
    );
    (service, probe)
}

fn request(name: &str, command: &str) -> CustomBackendRequest {
    CustomBackendRequest {
        name: name.into(),
        command: command.into(),
        args: vec!["{prompt}".into()],
        ..CustomBackendRequest::default()
    }
}

#[test]
fn custom_ids_are_slugs_of_the_name() {
    assert_eq!(custom_backend_id("My Lint  Bot!"), "backend-custom-my-lint-bot");
    assert_eq!(custom_backend_id("!!!"), "backend-custom-x");
    assert_eq!(custom_backend_id(&"a".repeat(60)).len(), "backend-custom-".len() + 40);
}

#[tokio::test]
async fn built_ins_are_listed_with_their_detection_and_models() {
    let (service, _) = service();
    let all = service.list().await.unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].detection.is_installed);
    assert!(!all[0].models.is_empty(), "Claude's models come from the built-in table");
}

#[tokio::test]
async fn a_custom_backend_is_validated_stored_and_probed_and_built_ins_stay() {
    let (service, probe) = service();
    assert!(matches!(service.create(request("lint", "")).await, Err(BackendError::Invalid(_))));
    let created = service.create(request(" Lint Bot ", "eslint")).await.unwrap();
    assert_eq!(created.entry.id, "backend-custom-lint-bot");
    assert_eq!(created.entry.name, "Lint Bot");
    assert!(!created.detection.is_installed);
    assert_eq!(*probe.probes.lock().unwrap(), ["eslint"]);
    assert!(matches!(
        service.create(request("Lint Bot", "x")).await,
        Err(BackendError::Write(BackendWriteError::DuplicateName(_)))
    ));
    assert!(matches!(service.delete("backend-claude").await, Err(BackendWriteError::Builtin)));
    service.delete("backend-custom-lint-bot").await.unwrap();
    assert!(matches!(service.check("backend-custom-lint-bot").await, Err(BackendWriteError::NotFound)));
}

#[tokio::test]
async fn one_backend_is_found_by_id_with_its_detection_and_an_unknown_one_is_not_found() {
    let (service, _) = service();
    let claude = service.get("backend-claude").await.unwrap();
    assert_eq!(claude.entry.name, "Claude Code");
    assert_eq!(claude.detection.version.as_deref(), Some("2.0.1"));
    assert!(matches!(service.get("backend-nope").await, Err(BackendWriteError::NotFound)));
}
