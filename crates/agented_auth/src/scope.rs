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

    /// Whether a key of this scope may call `method` on `path` (the decoded path the router matches).
    #[must_use]
    pub fn permits(self, method: &str, path: &str) -> bool {
        match self {
            Self::Admin => true,
            Self::Read => is_read_operation(method, path) && !is_admin_only(path),
        }
    }
}

/// Paths only admin keys may call, reads included: interactive sessions, whose
/// output may show anything a terminal shows, and persistent agents' chats and memory.
#[must_use]
pub fn is_admin_only(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    matches!(
        segments.as_slice(),
        ["", "admin", "sessions" | "super-agents", ..] | ["", "api", "projects", _, "sessions", ..]
    )
}

/// Whether a request only reads: GET and HEAD, and minting a stream token,
/// which opens a read-only stream (a POST only because it creates a token).
#[must_use]
pub fn is_read_operation(method: &str, path: &str) -> bool {
    match method {
        "GET" | "HEAD" => true,
        "POST" => {
            let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
            matches!(segments.as_slice(), ["", "admin", "executions", id, "stream-token"] if !id.is_empty())
                || segments.as_slice() == ["", "admin", "events", "stream-token"]
        }
        _ => false,
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
    fn a_read_key_may_only_read_and_mint_stream_tokens() {
        assert!(ApiScope::Read.permits("GET", "/admin/triggers"));
        assert!(ApiScope::Read.permits("HEAD", "/admin/triggers"));
        assert!(ApiScope::Read.permits("POST", "/admin/executions/exec-x/stream-token"));
        assert!(ApiScope::Read.permits("POST", "/admin/events/stream-token"));
        for method in ["POST", "PUT", "PATCH", "DELETE"] {
            assert!(!ApiScope::Read.permits(method, "/admin/triggers"), "{method}");
            assert!(ApiScope::Admin.permits(method, "/admin/triggers"), "{method}");
        }
        for path in [
            "/admin/executions//stream-token",
            "/admin/executions/x/cancel",
            "/admin/executions/x/y/stream-token",
            "/admin/events/x/stream-token",
        ] {
            assert!(!ApiScope::Read.permits("POST", path), "{path}");
        }
        assert!(!ApiScope::Read.permits("DELETE", "/admin/executions/exec-x/stream-token"));
        for path in [
            "/admin/sessions",
            "/admin/sessions/sess-1/output",
            "/api/projects/proj-1/sessions/",
            "/admin/super-agents",
        ] {
            assert!(!ApiScope::Read.permits("GET", path), "{path}");
            assert!(ApiScope::Admin.permits("GET", path), "{path}");
        }
        assert!(ApiScope::Read.permits("GET", "/api/projects/proj-1/planning-sessions"));
    }

    #[test]
    fn scopes_parse_from_their_names_only() {
        assert_eq!("admin".parse(), Ok(ApiScope::Admin));
        assert_eq!("read".parse(), Ok(ApiScope::Read));
        assert!("root".parse::<ApiScope>().is_err());
    }
}
