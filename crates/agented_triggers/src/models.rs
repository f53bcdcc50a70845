//! Trigger value types and their rules.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What fires a trigger (`trigger_source` in the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TriggerSource {
    /// A generic JSON webhook to `POST /`.
    Webhook,
    /// A GitHub event to `POST /api/webhooks/github/`.
    Github,
    /// Only the Run button or `POST /admin/triggers/{id}/run`.
    Manual,
    /// A daily/weekly/monthly or cron schedule.
    Scheduled,
}

impl TriggerSource {
    /// Every source, in display order.
    pub const ALL: [Self; 4] = [Self::Webhook, Self::Github, Self::Manual, Self::Scheduled];

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Github => "github",
            Self::Manual => "manual",
            Self::Scheduled => "scheduled",
        }
    }
}

impl fmt::Display for TriggerSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not a trigger source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown trigger source '{0}': expected one of webhook, github, manual, scheduled")]
pub struct UnknownSource(pub String);

impl FromStr for TriggerSource {
    type Err = UnknownSource;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| UnknownSource(s.to_owned()))
    }
}

/// How long a run may take before it is stopped: 600 s unless set, always within 60–3600 s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "i64", into = "i64")]
pub struct TimeoutSeconds(u16);

impl TimeoutSeconds {
    /// Used when a trigger sets no timeout.
    pub const DEFAULT: Self = Self(600);
    /// The shortest allowed timeout.
    pub const MIN: u16 = 60;
    /// The longest allowed timeout.
    pub const MAX: u16 = 3600;

    /// Clamps any requested value into the allowed range, as the original API did.
    #[must_use]
    pub fn clamped(requested: i64) -> Self {
        let value = requested.clamp(i64::from(Self::MIN), i64::from(Self::MAX));
        // The clamp above keeps the value within u16.
        Self(u16::try_from(value).unwrap_or(Self::MAX))
    }

    /// The timeout in seconds.
    #[must_use]
    pub const fn get(self) -> u16 {
        self.0
    }
}

impl Default for TimeoutSeconds {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl From<i64> for TimeoutSeconds {
    fn from(value: i64) -> Self {
        Self::clamped(value)
    }
}

impl From<TimeoutSeconds> for i64 {
    fn from(value: TimeoutSeconds) -> Self {
        Self::from(value.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_clamped_between_one_minute_and_one_hour() {
        assert_eq!(TimeoutSeconds::clamped(5).get(), 60);
        assert_eq!(TimeoutSeconds::clamped(-1).get(), 60);
        assert_eq!(TimeoutSeconds::clamped(900).get(), 900);
        assert_eq!(TimeoutSeconds::clamped(99_999).get(), 3600);
        assert_eq!(TimeoutSeconds::default().get(), 600);
    }

    #[test]
    fn sources_round_trip_and_unknown_ones_are_named() {
        for source in TriggerSource::ALL {
            assert_eq!(source.as_str().parse(), Ok(source));
        }
        assert_eq!("cron".parse::<TriggerSource>(), Err(UnknownSource("cron".into())));
    }
}
