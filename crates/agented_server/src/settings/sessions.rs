//! `[sessions]`: what interactive terminal sessions may run, how many a key may
//! keep open, and when an idle one ends.

use super::fields::{ConfigError, StringList, invalid, seconds, within};
use serde::{Deserialize, Serialize, Serializer};
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSessions {
    commands: StringList,
    max_open_per_key: usize,
    idle_timeout_seconds: u64,
    max_output_mb: u64,
}

/// `[sessions]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionSettings {
    /// Programs besides the four CLIs a session may run (plain names found on the runner's PATH).
    #[serde(serialize_with = "names")]
    pub commands: agented_sessions::Programs,
    /// Open sessions one API key may have.
    pub max_open_per_key: usize,
    /// A session with no input or output for this long is ended.
    #[serde(rename = "idle_timeout_seconds", serialize_with = "seconds")]
    pub idle_timeout: Duration,
    /// Output one session may store (MiB); past it the session is stopped.
    pub max_output_mb: u64,
}

fn names<S: Serializer>(programs: &agented_sessions::Programs, s: S) -> Result<S::Ok, S::Error> {
    // The CLIs are always allowed; only the configured commands are written back.
    let clis = agented_sessions::Programs::default().names();
    s.collect_seq(programs.names().into_iter().filter(|n| !clis.contains(n)))
}

impl TryFrom<RawSessions> for SessionSettings {
    type Error = ConfigError;

    fn try_from(raw: RawSessions) -> Result<Self, ConfigError> {
        Ok(Self {
            commands: agented_sessions::Programs::new(raw.commands.into_vec())
                .map_err(|e| invalid("sessions.commands", e))?,
            max_open_per_key: within("sessions.max_open_per_key", raw.max_open_per_key, 1..=100, "")?,
            idle_timeout: Duration::from_secs(within(
                "sessions.idle_timeout_seconds",
                raw.idle_timeout_seconds,
                1..=7 * 24 * 3600,
                "",
            )?),
            max_output_mb: within("sessions.max_output_mb", raw.max_output_mb, 1..=100_000, "")?,
        })
    }
}
