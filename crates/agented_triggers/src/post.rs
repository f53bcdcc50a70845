//! What a trigger posts back to GitHub when a run a GitHub event fired ends.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a GitHub-fired run's final answer goes (`post_result`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PostResult {
    /// Nothing is posted (a pull request still gets its check run).
    #[default]
    None,
    /// One comment on the pull request or issue, edited in place by later runs.
    Comment,
    /// A pull request review (`COMMENT`) with the answer; an issue gets the comment.
    Review,
    /// The answer goes into the check run's summary only.
    Check,
}

impl PostResult {
    /// Every choice.
    pub const ALL: [Self; 4] = [Self::None, Self::Comment, Self::Review, Self::Check];

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Comment => "comment",
            Self::Review => "review",
            Self::Check => "check",
        }
    }
}

impl fmt::Display for PostResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PostResult {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s.trim())
            .ok_or_else(|| format!("must be none, comment, review or check, not '{s}'"))
    }
}
