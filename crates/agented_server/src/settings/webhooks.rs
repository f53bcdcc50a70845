//! `[webhooks]`: how long repeats are recognised, how much the inspector keeps,
//! and what generic deliveries must show of their time of sending.

use super::fields::{ConfigError, seconds, within};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhooks {
    dedup_window_seconds: u64,
    keep_deliveries: usize,
    github_replay_window_seconds: u64,
    timestamp_tolerance_seconds: u64,
    require_signed_timestamp: bool,
}

/// Webhook deliveries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WebhookSettings {
    /// A delivery repeating one that started runs within this long starts nothing.
    #[serde(rename = "dedup_window_seconds", serialize_with = "seconds")]
    pub dedup_window: Duration,
    /// Deliveries kept per trigger (and unmatched ones) for the inspector.
    pub keep_deliveries: usize,
    /// A signed GitHub body seen within this long starts nothing, whatever its delivery id.
    #[serde(rename = "github_replay_window_seconds", serialize_with = "seconds")]
    pub github_replay_window: Duration,
    /// How far a Standard Webhooks `webhook-timestamp` may be from now.
    #[serde(rename = "timestamp_tolerance_seconds", serialize_with = "seconds")]
    pub timestamp_tolerance: Duration,
    /// Whether generic deliveries to triggers with a secret must carry a signed timestamp.
    pub require_signed_timestamp: bool,
}

impl TryFrom<RawWebhooks> for WebhookSettings {
    type Error = ConfigError;

    fn try_from(raw: RawWebhooks) -> Result<Self, ConfigError> {
        let secs = |key, value, range, note| within(key, value, range, note).map(Duration::from_secs);
        Ok(Self {
            dedup_window: secs("webhooks.dedup_window_seconds", raw.dedup_window_seconds, 1..=604_800, " (one week)")?,
            github_replay_window: secs(
                "webhooks.github_replay_window_seconds",
                raw.github_replay_window_seconds,
                60..=2_592_000,
                " (30 days)",
            )?,
            timestamp_tolerance: secs(
                "webhooks.timestamp_tolerance_seconds",
                raw.timestamp_tolerance_seconds,
                10..=86_400,
                "",
            )?,
            keep_deliveries: within("webhooks.keep_deliveries", raw.keep_deliveries, 1..=1000, "")?,
            require_signed_timestamp: raw.require_signed_timestamp,
        })
    }
}
