//! `[database]`: the SQLite file and its connection pool.

use super::fields::{ConfigError, millis, path, within};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    path: Option<PathBuf>,
    pool_size: u32,
    busy_timeout_ms: u64,
    connection_timeout_ms: u64,
}

/// Database settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseSettings {
    /// The SQLite file.
    #[serde(serialize_with = "path")]
    pub path: PathBuf,
    /// Pool size.
    pub pool_size: u32,
    /// SQLite busy timeout.
    #[serde(rename = "busy_timeout_ms", serialize_with = "millis")]
    pub busy_timeout: Duration,
    /// Wait for a free pooled connection.
    #[serde(rename = "connection_timeout_ms", serialize_with = "millis")]
    pub connection_timeout: Duration,
}

/// The raw section and the data folder its file defaults into.
impl TryFrom<(RawDatabase, &Path)> for DatabaseSettings {
    type Error = ConfigError;

    fn try_from((raw, data_dir): (RawDatabase, &Path)) -> Result<Self, ConfigError> {
        Ok(Self {
            path: raw.path.filter(|p| !p.as_os_str().is_empty()).unwrap_or_else(|| data_dir.join("agented.db")),
            pool_size: within("database.pool_size", raw.pool_size, 1..=64, "")?,
            busy_timeout: Duration::from_millis(raw.busy_timeout_ms),
            connection_timeout: Duration::from_millis(raw.connection_timeout_ms.max(1)),
        })
    }
}
