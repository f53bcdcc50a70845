//! What an API key may do.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The scope of an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApiScope {
    /// Everything.
    Admin,
    /// Reading only: `GET` and `HEAD`.
    Read,
}

impl ApiScope {
    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Read => "read",
        }
    }

    /// Whether a key of this scope may call a route with this HTTP method.
    #[must_use]
    pub fn permits(self, method: &str) -> bool {
        match self {
            Self::Admin => true,
            Self::Read => matches!(method, "GET" | "HEAD"),
        }
    }
}

/// The text is not a scope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope '{0}': expected admin or read")]
pub struct UnknownScope(pub String);

impl FromStr for ApiScope {
    type Err = UnknownScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Self::Admin),
            "read" => Ok(Self::Read),
            other => Err(UnknownScope(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_read_key_may_only_get_and_head() {
        assert!(ApiScope::Read.permits("GET"));
        assert!(ApiScope::Read.permits("HEAD"));
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            assert!(!ApiScope::Read.permits(method), "{method}");
            assert!(ApiScope::Admin.permits(method), "{method}");
        }
    }

    #[test]
    fn scopes_parse_from_their_names_only() {
        assert_eq!("admin".parse(), Ok(ApiScope::Admin));
        assert_eq!("read".parse(), Ok(ApiScope::Read));
        assert!("root".parse::<ApiScope>().is_err());
    }
}
