//! Where settings are kept.

use crate::model::{Setting, SettingKey, SettingValue};
use agented_kernel::Cause;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// The store failed (unreachable, or a row it cannot read).
#[derive(Debug, thiserror::Error)]
#[error("settings store failed: {0}")]
pub struct SettingsStoreError(pub Cause);

/// Settings by key.
///
/// Errors: [`SettingsStoreError`] when the store fails; a missing key is not an error.
#[async_trait]
pub trait SettingsRepository: Send + Sync {
    /// Every setting, by key.
    async fn list(&self) -> Result<Vec<Setting>, SettingsStoreError>;
    /// One setting.
    async fn get(&self, key: &SettingKey) -> Result<Option<Setting>, SettingsStoreError>;
    /// Sets `key` to `value` (created or replaced), answering the stored setting.
    async fn put(
        &self,
        key: &SettingKey,
        value: &SettingValue,
        at: DateTime<Utc>,
    ) -> Result<Setting, SettingsStoreError>;
    /// Removes `key`; whether it existed.
    async fn delete(&self, key: &SettingKey) -> Result<bool, SettingsStoreError>;
}
