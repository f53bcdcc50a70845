//! What can go wrong authenticating and managing keys.

use crate::RepoError;

/// A request could not be authenticated or authorised.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No credentials were presented.
    #[error("an API key is required: send it as X-API-Key or Authorization: Bearer")]
    Missing,
    /// The credentials are unknown, revoked or malformed.
    #[error("invalid or revoked API key")]
    Invalid,
    /// The key is valid but its scope does not allow this.
    #[error("a {scope} key may not {method} here: an admin key is required")]
    Forbidden {
        /// The key's scope.
        scope: &'static str,
        /// The refused method.
        method: String,
    },
    /// Keys could not be checked.
    #[error(transparent)]
    Store(#[from] RepoError),
}

/// Managing a key failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The name is not valid.
    #[error("name {0}")]
    InvalidName(String),
    /// Another key has this name.
    #[error("an API key named '{0}' already exists")]
    DuplicateName(String),
    /// No key has this id.
    #[error("no API key with id '{0}'")]
    NotFound(String),
    /// The key was already revoked.
    #[error("the API key '{0}' is already revoked")]
    AlreadyRevoked(String),
    /// No randomness was available.
    #[error("cannot generate a key: {0}")]
    Random(String),
    /// Storage failed.
    #[error(transparent)]
    Store(RepoError),
}
