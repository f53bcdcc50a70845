//! `[server]`: where to listen and how long requests may take.

use super::fields::{ConfigError, at_most, invalid, seconds, within};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    bind: String,
    shutdown_timeout_seconds: u64,
    workers: usize,
    body_read_timeout_seconds: u64,
}

/// HTTP server settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServerSettings {
    /// Listen address.
    pub bind: SocketAddr,
    /// Grace period for in-flight requests on shutdown.
    #[serde(rename = "shutdown_timeout_seconds", serialize_with = "seconds")]
    pub shutdown_timeout: Duration,
    /// Worker threads (0: one per core).
    pub workers: usize,
    /// How long a request body may take to arrive.
    #[serde(rename = "body_read_timeout_seconds", serialize_with = "seconds")]
    pub body_read_timeout: Duration,
}

impl TryFrom<RawServer> for ServerSettings {
    type Error = ConfigError;

    fn try_from(raw: RawServer) -> Result<Self, ConfigError> {
        let bind = raw.bind.trim().parse().map_err(|_| {
            invalid("server.bind", format!("'{}' is not a socket address such as 127.0.0.1:20000", raw.bind))
        })?;
        let body = within("server.body_read_timeout_seconds", raw.body_read_timeout_seconds, 1..=3600, "")?;
        let shutdown = at_most("server.shutdown_timeout_seconds", raw.shutdown_timeout_seconds, 300)?;
        Ok(Self {
            bind,
            shutdown_timeout: Duration::from_secs(shutdown),
            workers: raw.workers,
            body_read_timeout: Duration::from_secs(body),
        })
    }
}
