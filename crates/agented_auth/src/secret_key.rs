//! The server's secret key: signs stream tokens and other short-lived proofs.

use std::fmt;

/// A secret key shorter than [`SecretKey::MIN_LEN`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("secret key is too short: {len} characters, at least {min} are required", min = SecretKey::MIN_LEN)]
pub struct SecretKeyError {
    /// The rejected key's length.
    pub len: usize,
}

/// The secret key. Its `Debug` and `Display` never show the value.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    /// The shortest key accepted: 32 characters (a 64-hex-digit generated key is the norm).
    pub const MIN_LEN: usize = 32;

    /// Validates a key given by the operator or read from the key file.
    /// Surrounding white space (a trailing newline in a file) is not part of the key.
    ///
    /// # Errors
    /// [`SecretKeyError`] when the trimmed key is shorter than [`SecretKey::MIN_LEN`].
    pub fn parse(value: &str) -> Result<Self, SecretKeyError> {
        let value = value.trim();
        if value.chars().count() < Self::MIN_LEN {
            return Err(SecretKeyError { len: value.chars().count() });
        }
        Ok(Self(value.to_owned()))
    }

    /// The key's bytes, for keyed hashing.
    #[must_use]
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_are_refused() {
        assert_eq!(SecretKey::parse("short"), Err(SecretKeyError { len: 5 }));
    }

    #[test]
    fn the_key_is_trimmed_and_never_printed() {
        let key = SecretKey::parse(&format!("{}\n", "k".repeat(40))).unwrap();
        assert_eq!(key.expose().len(), 40);
        assert_eq!(format!("{key:?}"), "SecretKey(<redacted>)");
    }
}
