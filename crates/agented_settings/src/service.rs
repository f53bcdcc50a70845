//! `SettingsService`: keys and values checked, then stored.

use crate::model::{Setting, SettingKey, SettingValue};
use crate::ports::{SettingsRepository, SettingsStoreError};
use agented_kernel::Clock;
use std::sync::Arc;

/// Why a settings request failed.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A key or value breaks its rule: (field, message).
    #[error("{0} {1}")]
    Invalid(&'static str, String),
    /// No such key.
    #[error("setting not found")]
    NotFound,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] SettingsStoreError),
}

/// Settings, checked.
#[derive(Clone)]
pub struct SettingsService {
    repo: Arc<dyn SettingsRepository>,
    clock: Arc<dyn Clock>,
}

fn key(raw: &str) -> Result<SettingKey, SettingsError> {
    SettingKey::parse(raw).map_err(|e| SettingsError::Invalid("key", e))
}

impl SettingsService {
    /// The service over `repo`.
    #[must_use]
    pub fn new(repo: Arc<dyn SettingsRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { repo, clock }
    }

    /// Every setting.
    ///
    /// # Errors
    /// `Store`.
    pub async fn list(&self) -> Result<Vec<Setting>, SettingsError> {
        Ok(self.repo.list().await?)
    }

    /// One setting.
    ///
    /// # Errors
    /// `Invalid` (key), `NotFound`, `Store`.
    pub async fn get(&self, raw_key: &str) -> Result<Setting, SettingsError> {
        self.repo.get(&key(raw_key)?).await?.ok_or(SettingsError::NotFound)
    }

    /// Sets a value.
    ///
    /// # Errors
    /// `Invalid` (key or value), `Store`.
    pub async fn put(&self, raw_key: &str, value: String) -> Result<Setting, SettingsError> {
        let key = key(raw_key)?;
        let value = SettingValue::parse(value).map_err(|e| SettingsError::Invalid("value", e))?;
        Ok(self.repo.put(&key, &value, self.clock.now()).await?)
    }

    /// Removes a setting.
    ///
    /// # Errors
    /// `Invalid` (key), `NotFound`, `Store`.
    pub async fn delete(&self, raw_key: &str) -> Result<(), SettingsError> {
        if self.repo.delete(&key(raw_key)?).await? { Ok(()) } else { Err(SettingsError::NotFound) }
    }
}
