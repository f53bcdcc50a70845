//! `[database]`: where the database is (a SQLite file or a PostgreSQL URL) and its connection pool.

use super::fields::{ConfigError, invalid, millis, within};
use agented_store::{DatabaseOptions, Location};
use serde::{Deserialize, Serialize, Serializer};
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    url: Option<String>,
    path: Option<PathBuf>,
    pool_size: u32,
    busy_timeout_ms: u64,
    connection_timeout_ms: u64,
}

/// Database settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DatabaseSettings {
    /// The SQLite file or the PostgreSQL database (shown with its password hidden).
    #[serde(rename = "url", serialize_with = "shown")]
    pub location: Location,
    /// Pool size.
    pub pool_size: u32,
    /// SQLite busy timeout.
    #[serde(rename = "busy_timeout_ms", serialize_with = "millis")]
    pub busy_timeout: Duration,
    /// Wait for a free pooled connection.
    #[serde(rename = "connection_timeout_ms", serialize_with = "millis")]
    pub connection_timeout: Duration,
}

fn shown<S: Serializer>(location: &Location, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&location.to_string())
}

/// The raw section and the data folder its file defaults into.
impl TryFrom<(RawDatabase, &Path)> for DatabaseSettings {
    type Error = ConfigError;

    fn try_from((raw, data_dir): (RawDatabase, &Path)) -> Result<Self, ConfigError> {
        let url = raw.url.filter(|u| !u.is_empty());
        let path = raw.path.filter(|p| !p.as_os_str().is_empty());
        let location = match (url, path) {
            (Some(_), Some(_)) => {
                return Err(invalid("database.url", "set database.url or database.path (AGENTED_DB_PATH), not both"));
            }
            (Some(url), None) => Location::parse(&url).map_err(|e| invalid("database.url", e.to_string()))?,
            (None, path) => Location::Sqlite(path.unwrap_or_else(|| data_dir.join("agented.db"))),
        };
        Ok(Self {
            location,
            pool_size: within("database.pool_size", raw.pool_size, 1..=64, "")?,
            busy_timeout: Duration::from_millis(raw.busy_timeout_ms),
            connection_timeout: Duration::from_millis(raw.connection_timeout_ms.max(1)),
        })
    }
}

impl DatabaseSettings {
    /// The pool options, with `pool_size` connections.
    #[must_use]
    pub const fn options(&self, pool_size: u32) -> DatabaseOptions {
        DatabaseOptions { pool_size, busy_timeout: self.busy_timeout, connection_timeout: self.connection_timeout }
    }

    /// The SQLite file, when the database is one.
    #[must_use]
    pub const fn sqlite_path(&self) -> Option<&PathBuf> {
        match &self.location {
            Location::Sqlite(path) => Some(path),
            Location::Postgres(_) => None,
        }
    }
}
