//! The AI CLI families Agented knows how to drive.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A built-in CLI backend (`backend_type` in the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendType {
    /// Anthropic's Claude Code (`claude`).
    Claude,
    /// OpenCode (`opencode`).
    Opencode,
    /// Google's Gemini CLI (`gemini`).
    Gemini,
    /// OpenAI's Codex CLI (`codex`).
    Codex,
}

impl BackendType {
    /// Every built-in backend, in display order.
    pub const ALL: [Self; 4] = [Self::Claude, Self::Opencode, Self::Gemini, Self::Codex];

    /// The wire name, as stored and as sent in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Claude => "claude",
            Self::Opencode => "opencode",
            Self::Gemini => "gemini",
            Self::Codex => "codex",
        }
    }
}

impl fmt::Display for BackendType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not one of the built-in backend names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown backend type '{0}': expected one of claude, opencode, gemini, codex")]
pub struct UnknownBackend(pub String);

impl FromStr for BackendType {
    type Err = UnknownBackend;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|b| b.as_str() == s).ok_or_else(|| UnknownBackend(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_backend_round_trips_through_its_wire_name() {
        for backend in BackendType::ALL {
            assert_eq!(backend.as_str().parse::<BackendType>(), Ok(backend));
        }
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_valid_choices() {
        let err = "gpt".parse::<BackendType>().unwrap_err();
        assert!(err.to_string().contains("claude, opencode, gemini, codex"));
    }
}
