//! A CLI's own conversation id, read from its output, and the link a
//! follow-up keeps to the run it continues.

use agented_kernel::ExecutionId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A CLI session id (claude's and gemini's UUID, codex's thread id, opencode's
/// `ses_…`). It comes from a run's output, which the run controls, and goes
/// back on a command line: only letters, digits, `-` and `_`, never a leading `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SessionId(String);

impl SessionId {
    /// The longest id accepted.
    pub const MAX_LEN: usize = 128;

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for SessionId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && !s.starts_with('-')
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if ok { Ok(Self(s)) } else { Err(format!("'{s}' is not a CLI session id")) }
    }
}

impl From<SessionId> for String {
    fn from(id: SessionId) -> Self {
        id.0
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a follow-up continues: the run it follows, the session it resumes,
/// and whose workspace it works in (the first run of the thread), so the CLI
/// finds its session where it left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resume {
    /// The execution it follows.
    pub follow_up_of: ExecutionId,
    /// The session its CLI resumes.
    pub session_id: SessionId,
    /// The execution whose workspace it runs in.
    pub workspace_of: ExecutionId,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_cannot_carry_options_or_paths() {
        for good in ["3f2c9a1e-7b1d-4c55-9d0e-2a7c1f5b8e90", "ses_494719016ffe85dkDMj0FPRbHK", "fake_1"] {
            assert!(SessionId::try_from(good.to_owned()).is_ok(), "{good}");
        }
        for bad in ["", "--dangerously-skip-permissions", "../x", "a b", "a;b", &"x".repeat(129)] {
            assert!(SessionId::try_from(bad.to_owned()).is_err(), "{bad}");
        }
    }
}
