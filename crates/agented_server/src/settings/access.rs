//! `[auth]` and `[cors]`: who may call the server, and from which browser origins.

use super::fields::{ConfigError, StringList, invalid};
use super::secret::Secret;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuth {
    api_key: Option<String>,
}

/// `[auth]`: an extra admin API key accepted as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Auth(pub Option<Secret>);

impl TryFrom<RawAuth> for Auth {
    type Error = ConfigError;

    fn try_from(raw: RawAuth) -> Result<Self, ConfigError> {
        let key = Secret::non_empty(raw.api_key);
        if let Some(key) = &key {
            agented_auth::check_configured_key(key).map_err(|e| invalid("auth.api_key", e.to_string()))?;
        }
        Ok(Self(key))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawCors {
    allowed_origins: StringList,
}

/// `[cors]`: browser origins allowed cross-origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cors(pub Vec<String>);

impl TryFrom<RawCors> for Cors {
    type Error = ConfigError;

    fn try_from(raw: RawCors) -> Result<Self, ConfigError> {
        let origins = raw.allowed_origins.into_vec();
        for origin in &origins {
            check_origin(origin).map_err(|problem| invalid("cors.allowed_origins", problem))?;
        }
        Ok(Self(origins))
    }
}

fn check_origin(origin: &str) -> Result<(), String> {
    if origin == "*" {
        return Err("'*' is not allowed: list each origin (e.g. https://agented.example.com)".into());
    }
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| format!("'{origin}' is not an origin: expected http(s)://host[:port]"))?;
    if rest.is_empty() || rest.contains('/') || rest.contains('?') || rest.contains('#') {
        return Err(format!("'{origin}' is not an origin: expected http(s)://host[:port] with no path"));
    }
    Ok(())
}
