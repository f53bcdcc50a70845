//! What every section's validation shares: the one-line error naming a key, range
//! checks, lists given as arrays or comma-separated text, and durations written as
//! whole seconds or milliseconds.

use serde::{Deserialize, Serializer};
use std::time::Duration;

/// Configuration that cannot be used. The message is one line naming the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A key holds a value of the wrong shape.
    #[error("invalid configuration: {key} ({env}): {problem}")]
    Invalid {
        /// Dotted key, e.g. `server.bind`.
        key: &'static str,
        /// Its environment spelling, e.g. `AGENTED__SERVER__BIND`.
        env: String,
        /// What is wrong.
        problem: String,
    },
    /// A file or value could not be read at all (bad TOML, wrong type, unknown key).
    #[error("invalid configuration: {0}")]
    Unreadable(String),
}

/// The error for `key` (dotted), naming its environment spelling too.
pub fn invalid(key: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        env: format!("AGENTED__{}", key.replace('.', "__").to_uppercase()),
        problem: problem.into(),
    }
}

/// `value` when it lies in `range`, else the error naming `key` (`note` follows the range).
pub fn within<T: PartialOrd + std::fmt::Display>(
    key: &'static str,
    value: T,
    range: std::ops::RangeInclusive<T>,
    note: &str,
) -> Result<T, ConfigError> {
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(invalid(key, format!("{value} is outside {}–{}{note}", range.start(), range.end())))
    }
}

/// A URL people open Agented at (trimmed, without a trailing `/`; empty is none), else the
/// error naming `key`.
pub fn public_url(key: &'static str, raw: Option<String>) -> Result<Option<String>, ConfigError> {
    let url = raw.map(|u| u.trim().trim_end_matches('/').to_owned()).filter(|u| !u.is_empty());
    match url {
        Some(u) if !u.starts_with("https://") && !u.starts_with("http://") => {
            Err(invalid(key, format!("'{u}' is not an http(s) URL")))
        }
        url => Ok(url),
    }
}

/// `value` when it is at most `max`, else the error naming `key`.
pub fn at_most(key: &'static str, value: u64, max: u64) -> Result<u64, ConfigError> {
    if value > max { Err(invalid(key, format!("{value} is above {max}"))) } else { Ok(value) }
}

/// A list given either as a TOML array or as comma-separated text (environment).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StringList {
    /// `["a", "b"]`.
    List(Vec<String>),
    /// `a, b`.
    Text(String),
}

impl StringList {
    /// The items, trimmed, empty ones dropped from text.
    #[must_use]
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Self::List(items) => items,
            Self::Text(text) => text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        }
    }
}

/// Writes a duration as whole seconds (the keys are named `…_seconds`).
///
/// # Errors
/// The serializer's.
pub fn seconds<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}

/// Writes a duration as whole milliseconds (the keys are named `…_ms`).
///
/// # Errors
/// The serializer's.
pub fn millis<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Writes a path as text.
///
/// # Errors
/// The serializer's.
pub fn path<S: Serializer>(p: &std::path::Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&p.display().to_string())
}
