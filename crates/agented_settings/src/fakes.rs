//! An in-memory [`SettingsRepository`].

use crate::model::{Setting, SettingKey, SettingValue};
use crate::ports::{SettingsRepository, SettingsStoreError};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Settings in a map.
#[derive(Debug, Default)]
pub struct MemorySettings(Mutex<BTreeMap<SettingKey, Setting>>);

impl MemorySettings {
    fn map(&self) -> std::sync::MutexGuard<'_, BTreeMap<SettingKey, Setting>> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[async_trait]
impl SettingsRepository for MemorySettings {
    async fn list(&self) -> Result<Vec<Setting>, SettingsStoreError> {
        Ok(self.map().values().cloned().collect())
    }

    async fn get(&self, key: &SettingKey) -> Result<Option<Setting>, SettingsStoreError> {
        Ok(self.map().get(key).cloned())
    }

    async fn put(
        &self,
        key: &SettingKey,
        value: &SettingValue,
        at: DateTime<Utc>,
    ) -> Result<Setting, SettingsStoreError> {
        let setting = Setting { key: key.clone(), value: value.clone(), updated_at: at };
        self.map().insert(key.clone(), setting.clone());
        Ok(setting)
    }

    async fn delete(&self, key: &SettingKey) -> Result<bool, SettingsStoreError> {
        Ok(self.map().remove(key).is_some())
    }
}
