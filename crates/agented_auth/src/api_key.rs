//! API key values: the secret shown once, its hash, its recognisable prefix.

use crate::ApiScope;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

/// Every key starts with this, so a leaked one is recognisable (secret scanners, logs).
pub const KEY_PREFIX: &str = "agd_";
/// Characters of the key kept in clear for listings: `agd_` + 8.
pub const SHOWN_PREFIX_LEN: usize = 12;

/// A key's stable id (`key_` + 10 lowercase alphanumerics).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiKeyId(String);

impl ApiKeyId {
    /// A fresh random id.
    ///
    /// # Errors
    /// When the system has no randomness.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0_u8; 10];
        getrandom::fill(&mut bytes)?;
        let alphabet = b"abcdefghijklmnopqrstuvwxyz0123456789";
        Ok(Self(format!(
            "key_{}",
            bytes.iter().map(|b| char::from(alphabet[usize::from(*b) % 36])).collect::<String>()
        )))
    }

    /// An id read back from storage or a client; any text is looked up as is.
    #[must_use]
    pub fn from_raw(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ApiKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A key's display name: 1–64 characters, no control characters, unique among keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ApiKeyName(String);

impl ApiKeyName {
    /// Validates a name given by an operator.
    ///
    /// # Errors
    /// A message saying what is wrong.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.is_empty() {
            return Err("must not be empty".into());
        }
        if value.chars().count() > 64 {
            return Err("must be at most 64 characters".into());
        }
        if value.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Self(value.to_owned()))
    }

    /// The name as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The SHA-256 of a key, hex encoded: what is stored. Keys are 192 random
/// bits, so a fast hash is enough; nothing can be guessed from it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeyHash(String);

impl KeyHash {
    /// Hashes presented key text.
    #[must_use]
    pub fn of(key: &str) -> Self {
        Self(hex::encode(Sha256::digest(key.as_bytes())))
    }

    /// A stored hash.
    #[must_use]
    pub fn from_hex(hex: impl Into<String>) -> Self {
        Self(hex.into())
    }

    /// Hex text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key itself, as shown once at creation. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKeySecret(String);

impl ApiKeySecret {
    /// A fresh key: `agd_` + 48 hex digits (192 random bits).
    ///
    /// # Errors
    /// When the system has no randomness.
    pub fn generate() -> Result<Self, getrandom::Error> {
        let mut bytes = [0_u8; 24];
        getrandom::fill(&mut bytes)?;
        Ok(Self(format!("{KEY_PREFIX}{}", hex::encode(bytes))))
    }

    /// The key text, to show the operator once.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What is stored.
    #[must_use]
    pub fn hash(&self) -> KeyHash {
        KeyHash::of(&self.0)
    }

    /// The recognisable start kept in clear.
    #[must_use]
    pub fn shown_prefix(&self) -> String {
        self.0.chars().take(SHOWN_PREFIX_LEN).collect()
    }
}

impl fmt::Debug for ApiKeySecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeySecret({}…)", self.shown_prefix())
    }
}

/// A stored key (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    /// Stable id.
    pub id: ApiKeyId,
    /// Display name.
    pub name: ApiKeyName,
    /// What it may do.
    pub scope: ApiScope,
    /// The key's first characters, to recognise it.
    pub prefix: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last used (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; a revoked key is refused.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key about to be stored.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// Stable id.
    pub id: ApiKeyId,
    /// Display name.
    pub name: ApiKeyName,
    /// What it may do.
    pub scope: ApiScope,
    /// Shown prefix.
    pub prefix: String,
    /// Hash of the secret.
    pub hash: KeyHash,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_recognisable_long_and_distinct() {
        let a = ApiKeySecret::generate().unwrap();
        let b = ApiKeySecret::generate().unwrap();
        assert!(a.expose().starts_with("agd_"));
        assert_eq!(a.expose().len(), 4 + 48);
        assert_ne!(a, b);
        assert_eq!(a.shown_prefix().len(), 12);
        assert!(!format!("{a:?}").contains(&a.expose()[12..]), "Debug must not show the key");
    }

    #[test]
    fn the_hash_is_stable_and_does_not_contain_the_key() {
        let key = ApiKeySecret::generate().unwrap();
        assert_eq!(key.hash(), KeyHash::of(key.expose()));
        assert_eq!(key.hash().as_str().len(), 64);
        assert!(!key.hash().as_str().contains(&key.expose()[4..]));
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(ApiKeyName::parse("  ci  ").unwrap().as_str(), "ci");
        assert!(ApiKeyName::parse(" ").is_err());
        assert!(ApiKeyName::parse(&"x".repeat(65)).is_err());
        assert!(ApiKeyName::parse("a\nb").is_err());
    }
}
