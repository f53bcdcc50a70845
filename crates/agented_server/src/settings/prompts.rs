//! `[prompts]`: how much of each untrusted value (a webhook's text, a PR's body) reaches a prompt.

use super::fields::{ConfigError, within};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrompts {
    max_untrusted_chars: usize,
}

/// Untrusted values in prompts are cut to this many characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UntrustedLimit(pub usize);

impl TryFrom<RawPrompts> for UntrustedLimit {
    type Error = ConfigError;

    fn try_from(raw: RawPrompts) -> Result<Self, ConfigError> {
        within("prompts.max_untrusted_chars", raw.max_untrusted_chars, 100..=1_000_000, "").map(Self)
    }
}
