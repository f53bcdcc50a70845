//! Who Agented is on GitHub: a token from the environment, or a GitHub App.
//! An App signs a short JWT (RS256) to look up the repository's installation
//! and mint an installation token, cached until shortly before it expires.

use crate::api::ApiFailure;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::Mutex;

/// A GitHub App: its id and private key.
#[derive(Clone)]
pub struct AppCredentials {
    /// The App's id (the JWT's issuer).
    pub app_id: String,
    /// Its private key.
    pub key: EncodingKey,
}

impl AppCredentials {
    /// An App from its id and PEM private key.
    ///
    /// # Errors
    /// When the key is not an RSA private key in PEM.
    pub fn new(app_id: &str, pem: &[u8]) -> Result<Self, String> {
        let key = EncodingKey::from_rsa_pem(pem).map_err(|e| format!("not an RSA private key in PEM: {e}"))?;
        Ok(Self { app_id: app_id.to_owned(), key })
    }

    /// A JWT for the App, valid ten minutes (GitHub's limit), issued a minute back for clock drift.
    pub(crate) fn jwt(&self, now: DateTime<Utc>) -> Result<String, ApiFailure> {
        #[derive(serde::Serialize)]
        struct Claims<'a> {
            iat: i64,
            exp: i64,
            iss: &'a str,
        }
        let claims = Claims {
            iat: (now - Duration::seconds(60)).timestamp(),
            exp: (now + Duration::seconds(540)).timestamp(),
            iss: &self.app_id,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
            .map_err(|e| ApiFailure::fatal(format!("could not sign the GitHub App's JWT: {e}")))
    }
}

impl std::fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCredentials").field("app_id", &self.app_id).finish_non_exhaustive()
    }
}

/// How Agented authenticates to GitHub.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A token (a personal access token, or one a CI gives).
    Token(String),
    /// A GitHub App.
    App(AppCredentials),
}

/// An installation token and when it stops working.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct InstallationToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Installation tokens by repository, reused until five minutes before they expire.
#[derive(Debug, Default)]
pub(crate) struct TokenCache(Mutex<HashMap<String, InstallationToken>>);

impl TokenCache {
    pub(crate) fn get(&self, repository: &str, now: DateTime<Utc>) -> Option<String> {
        let cache = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.get(repository).filter(|t| t.expires_at - Duration::minutes(5) > now).map(|t| t.token.clone())
    }

    pub(crate) fn put(&self, repository: &str, token: InstallationToken) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(repository.to_owned(), token);
    }
}
