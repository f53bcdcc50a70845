//! `SqlSettings` against a real SQLite file or PostgreSQL database.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_settings::{SettingKey, SettingValue, SettingsRepository};
use agented_store::SqlSettings;
use agented_store::testing::Scratch;
use chrono::{TimeZone, Utc};

#[tokio::test]
async fn a_setting_is_upserted_read_listed_by_key_and_deleted() {
    let scratch = Scratch::new();
    let repo = SqlSettings::new(scratch.database());
    let at = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
    let key = |k: &str| SettingKey::parse(k).unwrap();
    let value = |v: &str| SettingValue::parse(v.into()).unwrap();
    repo.put(&key("ui.theme"), &value("dark"), at).await.unwrap();
    let replaced = repo.put(&key("ui.theme"), &value("light"), at + chrono::Duration::hours(1)).await.unwrap();
    repo.put(&key("a.first"), &value(""), at).await.unwrap();
    assert_eq!(replaced.value.as_str(), "light");
    let got = repo.get(&key("ui.theme")).await.unwrap().unwrap();
    assert_eq!((got.value.as_str(), got.updated_at), ("light", at + chrono::Duration::hours(1)));
    let keys: Vec<String> = repo.list().await.unwrap().into_iter().map(|s| s.key.as_str().to_owned()).collect();
    assert_eq!(keys, ["a.first", "ui.theme"]);
    assert!(repo.delete(&key("ui.theme")).await.unwrap());
    assert!(!repo.delete(&key("ui.theme")).await.unwrap());
    assert!(repo.get(&key("ui.theme")).await.unwrap().is_none());
}
