//! `[orchestration]`: the budgets' time zone, rate-limit patterns per backend,
//! and how a run whose whole chain is limited backs off.

use super::fields::{ConfigError, StringList, invalid, seconds, within};
use serde::{Deserialize, Serialize, Serializer};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOrchestration {
    timezone: String,
    default_retry_after_seconds: u64,
    max_rate_limit_attempts: u32,
    backoff_base_seconds: u64,
    backoff_cap_seconds: u64,
    default_reservation_usd: f64,
    rate_limit_patterns: BTreeMap<String, StringList>,
}

/// Rotation and budget settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrchestrationSettings {
    /// Time zone of budgets that name none, and of the usage page.
    #[serde(serialize_with = "zone")]
    pub timezone: chrono_tz::Tz,
    /// How long a limit lasts when the output does not say.
    #[serde(rename = "default_retry_after_seconds", serialize_with = "seconds")]
    pub default_retry_after: Duration,
    /// Rate-limited passes before a run fails.
    pub max_rate_limit_attempts: u32,
    /// The first wait between passes; it doubles.
    #[serde(rename = "backoff_base_seconds", serialize_with = "seconds")]
    pub backoff_base: Duration,
    /// The longest wait between passes.
    #[serde(rename = "backoff_cap_seconds", serialize_with = "seconds")]
    pub backoff_cap: Duration,
    /// What a run of a trigger without a costed run reserves against hard budget limits.
    pub default_reservation_usd: f64,
    /// Rate-limit patterns: `default`, and per backend id (`backend-…`).
    #[serde(serialize_with = "patterns")]
    pub rate_limit_patterns: BTreeMap<String, Vec<String>>,
}

fn zone<S: Serializer>(tz: &chrono_tz::Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

/// Written as configured: backend ids without their `backend-` prefix.
fn patterns<S: Serializer>(patterns: &BTreeMap<String, Vec<String>>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_map(patterns.iter().map(|(k, v)| (k.strip_prefix("backend-").unwrap_or(k), v)))
}

impl TryFrom<RawOrchestration> for OrchestrationSettings {
    type Error = ConfigError;

    fn try_from(raw: RawOrchestration) -> Result<Self, ConfigError> {
        let timezone = raw.timezone.trim().parse::<chrono_tz::Tz>().map_err(|_| {
            invalid(
                "orchestration.timezone",
                format!("'{}' is not an IANA time zone such as Europe/Berlin", raw.timezone),
            )
        })?;
        let retry =
            within("orchestration.default_retry_after_seconds", raw.default_retry_after_seconds, 1..=86_400, "")?;
        let attempts = within("orchestration.max_rate_limit_attempts", raw.max_rate_limit_attempts, 1..=20, "")?;
        let base = within("orchestration.backoff_base_seconds", raw.backoff_base_seconds, 1..=86_400, "")?;
        if raw.backoff_cap_seconds < base || raw.backoff_cap_seconds > 604_800 {
            return Err(invalid(
                "orchestration.backoff_cap_seconds",
                format!("{} must be between backoff_base_seconds and 604800", raw.backoff_cap_seconds),
            ));
        }
        if !raw.default_reservation_usd.is_finite() || !(0.0..=10_000.0).contains(&raw.default_reservation_usd) {
            return Err(invalid(
                "orchestration.default_reservation_usd",
                format!("{} must be between 0 and 10000 US dollars", raw.default_reservation_usd),
            ));
        }
        let rate_limit_patterns = raw
            .rate_limit_patterns
            .into_iter()
            .map(|(key, list)| {
                let key = key.trim().to_lowercase();
                let key = if key == "default" || key.starts_with("backend-") { key } else { format!("backend-{key}") };
                (key, list.into_vec())
            })
            .collect();
        Ok(Self {
            timezone,
            rate_limit_patterns,
            default_retry_after: Duration::from_secs(retry),
            max_rate_limit_attempts: attempts,
            backoff_base: Duration::from_secs(base),
            backoff_cap: Duration::from_secs(raw.backoff_cap_seconds),
            default_reservation_usd: raw.default_reservation_usd,
        })
    }
}
