//! `SettingsService` on the in-memory fake: set, read, replace, delete, and refusals.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::ManualClock;
use agented_settings::fakes::MemorySettings;
use agented_settings::{SettingsError, SettingsService};
use chrono::{TimeZone, Utc};
use std::sync::Arc;

fn service() -> SettingsService {
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap()));
    SettingsService::new(Arc::new(MemorySettings::default()), clock)
}

#[tokio::test]
async fn a_value_is_set_read_replaced_listed_and_deleted() {
    let s = service();
    s.put("ui.theme", "dark".into()).await.unwrap();
    s.put("ui.theme", "light".into()).await.unwrap();
    s.put("workspace_root", "/srv/ws".into()).await.unwrap();
    assert_eq!(s.get("ui.theme").await.unwrap().value.as_str(), "light");
    let keys: Vec<String> = s.list().await.unwrap().iter().map(|x| x.key.as_str().to_owned()).collect();
    assert_eq!(keys, ["ui.theme", "workspace_root"]);
    s.delete("ui.theme").await.unwrap();
    assert!(matches!(s.get("ui.theme").await, Err(SettingsError::NotFound)));
    assert!(matches!(s.delete("ui.theme").await, Err(SettingsError::NotFound)));
}

#[tokio::test]
async fn bad_keys_and_values_are_refused_naming_the_field_and_nothing_is_stored() {
    let s = service();
    assert!(matches!(s.put("../etc", "x".into()).await, Err(SettingsError::Invalid("key", _))));
    assert!(matches!(s.put("ok", "a\0b".into()).await, Err(SettingsError::Invalid("value", _))));
    assert!(matches!(s.get("a b").await, Err(SettingsError::Invalid("key", _))));
    assert!(s.list().await.unwrap().is_empty());
}
