//! `[notifications]`: how notifiers' deliveries are sent and kept, and where their
//! links point.

use super::fields::{ConfigError, public_url, within};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNotifications {
    public_url: Option<String>,
    retry_attempts: u32,
    retry_delay_ms: u64,
    timeout_seconds: u64,
    keep_deliveries: u32,
}

/// `[notifications]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotificationSettings {
    /// Where people open Agented, for links (default: `github.public_url`, else the bind address).
    pub public_url: Option<String>,
    /// Attempts per delivery (a 5xx, 408, 429 or no answer is tried again).
    pub retry_attempts: u32,
    /// The pause after the first failed attempt, doubled after each further one.
    pub retry_delay_ms: u64,
    /// How long one attempt may take.
    pub timeout_seconds: u64,
    /// Deliveries kept in each notifier's log.
    pub keep_deliveries: u32,
}

impl TryFrom<RawNotifications> for NotificationSettings {
    type Error = ConfigError;

    fn try_from(raw: RawNotifications) -> Result<Self, ConfigError> {
        Ok(Self {
            public_url: public_url("notifications.public_url", raw.public_url)?,
            retry_attempts: within("notifications.retry_attempts", raw.retry_attempts, 1..=20, "")?,
            retry_delay_ms: within("notifications.retry_delay_ms", raw.retry_delay_ms, 10..=600_000, "")?,
            timeout_seconds: within("notifications.timeout_seconds", raw.timeout_seconds, 1..=120, "")?,
            keep_deliveries: within("notifications.keep_deliveries", raw.keep_deliveries, 10..=100_000, "")?,
        })
    }
}
