//! The outcomes a run can be stored with, built from how its process or its chain ended.

use crate::process::{Ending, StopReason};
use agented_executions::{ExecutionStatus, Outcome, OutputParser, Usage};
use agented_orchestration::ChainEnd;
use chrono::{DateTime, Utc};

/// An outcome with `status` and `message` and no process.
pub fn closed(status: ExecutionStatus, message: String, at: DateTime<Utc>, usage: Usage) -> Outcome {
    Outcome { status, exit_code: None, error_message: Some(message), finished_at: at, duration_ms: 0, usage }
}

/// `failed` with `message`.
pub fn failed(at: DateTime<Utc>, message: String, usage: Usage) -> Outcome {
    closed(ExecutionStatus::Failed, message, at, usage)
}

/// `interrupted` by a shutdown or a restart.
pub fn interrupted(at: DateTime<Utc>) -> Outcome {
    closed(ExecutionStatus::Interrupted, crate::recovery::INTERRUPTED.into(), at, Usage::default())
}

/// The end the chain decided.
pub fn chain_end(end: ChainEnd, message: String, at: DateTime<Utc>, usage: Usage) -> Outcome {
    let status = match end {
        ChainEnd::Failed => ExecutionStatus::Failed,
        ChainEnd::BudgetBlocked => ExecutionStatus::BudgetBlocked,
    };
    closed(status, message, at, usage)
}

/// A stop asked for between two chain entries.
pub fn stopped_between(reason: StopReason, at: DateTime<Utc>, usage: Usage) -> Outcome {
    let (status, message) = stop_status(reason);
    closed(status, message.into(), at, usage)
}

fn stop_status(reason: StopReason) -> (ExecutionStatus, &'static str) {
    match reason {
        StopReason::Cancelled => (ExecutionStatus::Cancelled, "cancelled by a user"),
        StopReason::Shutdown => (ExecutionStatus::Interrupted, crate::recovery::INTERRUPTED),
        // The attempt replaces the message with the budget's own explanation when it knows it.
        StopReason::Budget => (ExecutionStatus::BudgetBlocked, "stopped: a hard budget limit was reached"),
    }
}

/// How a CLI's process ended, read with what its output reported.
pub fn of_process(ending: Ending, parser: &OutputParser, timeout_seconds: u32, at: DateTime<Utc>) -> Outcome {
    let (status, error_message) = match ending {
        Ending::Exited(_) => match (ending.exit_code(), parser.failure()) {
            (Some(0), None) => (ExecutionStatus::Success, None),
            (_, Some(reported)) => (ExecutionStatus::Failed, Some(reported.to_owned())),
            (Some(code), None) => (ExecutionStatus::Failed, Some(format!("exited with code {code}"))),
            (None, None) => (
                ExecutionStatus::Failed,
                Some(format!("killed by signal {}", ending.signal().map_or_else(|| "?".to_owned(), |s| s.to_string()))),
            ),
        },
        Ending::TimedOut => (ExecutionStatus::Timeout, Some(format!("timed out after {timeout_seconds} s"))),
        Ending::Stalled(limit) => (ExecutionStatus::Timeout, Some(format!("no output for {} s", limit.as_secs()))),
        Ending::Stopped(reason) => {
            let (status, message) = stop_status(reason);
            (status, Some(message.to_owned()))
        }
    };
    Outcome {
        status,
        exit_code: ending.exit_code(),
        error_message,
        finished_at: at,
        duration_ms: 0,
        usage: parser.usage(),
    }
}

/// A number in `[0, 1)` that differs between calls, for backoff jitter.
pub fn jitter() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    #[allow(clippy::cast_precision_loss, reason = "any 53 bits of randomness will do")]
    let fraction = (random >> 11) as f64 / (1u64 << 53) as f64;
    fraction
}
