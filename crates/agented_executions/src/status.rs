//! Execution statuses and which of them are final.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExecutionStatus {
    /// Recorded and waiting for a worker.
    Queued,
    /// The CLI process is running.
    Running,
    /// Exited with code 0.
    Success,
    /// Exited non-zero or could not start.
    Failed,
    /// Killed after its timeout.
    Timeout,
    /// Stopped by a user.
    Cancelled,
    /// The server stopped while it ran.
    Interrupted,
    /// Refused because a hard budget was reached.
    BudgetBlocked,
    /// Every account of its chain was rate-limited.
    RateLimited,
}

impl ExecutionStatus {
    /// Every status.
    pub const ALL: [Self; 9] = [
        Self::Queued,
        Self::Running,
        Self::Success,
        Self::Failed,
        Self::Timeout,
        Self::Cancelled,
        Self::Interrupted,
        Self::BudgetBlocked,
        Self::RateLimited,
    ];

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Success => "success",
            Self::Failed => "failed",
            Self::Timeout => "timeout",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
            Self::BudgetBlocked => "budget_blocked",
            Self::RateLimited => "rate_limited",
        }
    }

    /// A final status never changes again. A `rate_limited` run is waiting
    /// for its next attempt, so it is not final.
    #[must_use]
    pub const fn is_terminal(self) -> bool {
        !matches!(self, Self::Queued | Self::Running | Self::RateLimited)
    }
}

impl fmt::Display for ExecutionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not an execution status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown execution status '{0}'")]
pub struct UnknownStatus(pub String);

impl FromStr for ExecutionStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|v| v.as_str() == s).ok_or_else(|| UnknownStatus(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_queued_running_and_rate_limited_are_not_final() {
        let open: Vec<_> = ExecutionStatus::ALL.into_iter().filter(|s| !s.is_terminal()).collect();
        assert_eq!(open, [ExecutionStatus::Queued, ExecutionStatus::Running, ExecutionStatus::RateLimited]);
    }

    #[test]
    fn statuses_round_trip_through_their_wire_names() {
        for status in ExecutionStatus::ALL {
            assert_eq!(status.as_str().parse(), Ok(status));
        }
        assert!("done".parse::<ExecutionStatus>().is_err());
    }
}
