//! Who is calling.

use crate::{ApiKeyId, ApiScope};

/// How the caller proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A stored API key.
    ApiKey(ApiKeyId),
    /// The key configured as `AGENTED_API_KEY`.
    ConfiguredKey,
    /// A stream token for one path, known by its signature's first characters.
    StreamToken(String),
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Name recorded in the audit log.
    pub name: String,
    /// What it may do.
    pub scope: ApiScope,
    /// How it authenticated.
    pub credential: Credential,
}

impl Principal {
    /// The name used for `AGENTED_API_KEY`.
    pub const CONFIGURED_KEY_NAME: &'static str = "AGENTED_API_KEY";

    /// What per-credential limits count against: one stored key, the configured key, or one token.
    #[must_use]
    pub fn credential_key(&self) -> String {
        match &self.credential {
            Credential::ApiKey(id) => format!("key:{id}"),
            Credential::ConfiguredKey => "configured".to_owned(),
            Credential::StreamToken(id) => format!("token:{id}"),
        }
    }
}
