//! A setting: a checked key and a bounded text value.

use chrono::{DateTime, Utc};

/// Longest key.
pub const MAX_KEY_CHARS: usize = 100;
/// Largest value (a setting is a preference, not a document).
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// A key: 1–100 of letters, digits, `.`, `_` and `-`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SettingKey(String);

impl SettingKey {
    /// Checks a key from a client or the store.
    ///
    /// # Errors
    /// A message naming the rule it breaks.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let valid = raw.len() <= MAX_KEY_CHARS
            && raw.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
            && raw.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(format!(
                "must be 1 to {MAX_KEY_CHARS} of letters, digits, '.', '_' and '-', starting with a letter or digit"
            ))
        }
    }

    /// The key.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A value: text of at most [`MAX_VALUE_BYTES`], without NUL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingValue(String);

impl SettingValue {
    /// Checks a value.
    ///
    /// # Errors
    /// A message naming the rule it breaks.
    pub fn parse(raw: String) -> Result<Self, String> {
        if raw.len() > MAX_VALUE_BYTES {
            Err(format!("must be at most {MAX_VALUE_BYTES} bytes"))
        } else if raw.contains('\0') {
            Err("must not contain NUL".into())
        } else {
            Ok(Self(raw))
        }
    }

    /// The value.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stored setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// Its key.
    pub key: SettingKey,
    /// Its value.
    pub value: SettingValue,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_plain_names_and_values_are_bounded_text() {
        assert!(SettingKey::parse("ui.theme").is_ok());
        assert!(SettingKey::parse("harness_plugin-id").is_ok());
        for bad in ["", ".hidden", "a b", "a/b", &"k".repeat(101)] {
            assert!(SettingKey::parse(bad).is_err(), "{bad}");
        }
        assert!(SettingValue::parse("dark".into()).is_ok());
        assert!(SettingValue::parse(String::new()).is_ok());
        assert!(SettingValue::parse("a\0b".into()).is_err());
        assert!(SettingValue::parse("x".repeat(MAX_VALUE_BYTES + 1)).is_err());
    }
}
