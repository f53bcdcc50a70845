//! `Secret`: a configured secret (a key, a webhook secret, a DSN). It reads as text
//! where the code needs it, and prints and serialises as `<redacted>`, so the
//! configuration can be shown or logged whole without leaking one.

use serde::{Serialize, Serializer};
use std::ops::Deref;

/// What a secret shows instead of itself.
pub const REDACTED: &str = "<redacted>";

/// A secret value from the configuration.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The value, or `None` for text that is empty once trimmed (`SENTRY_DSN=` in `.env`).
    #[must_use]
    pub fn non_empty(value: Option<String>) -> Option<Self> {
        value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).map(Self)
    }
}

impl Deref for Secret {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn a_secret_reads_as_text_but_never_prints_or_serialises() {
        let secret = Secret::non_empty(Some(" hunter2 ".into())).unwrap();
        assert_eq!(&*secret, "hunter2");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(
            toml::to_string(&[("k", &secret)].into_iter().collect::<std::collections::BTreeMap<_, _>>()).unwrap(),
            "k = \"<redacted>\"\n"
        );
        assert!(Secret::non_empty(Some("  ".into())).is_none());
    }
}
