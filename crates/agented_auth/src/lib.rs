//! The auth domain: who may call Agented and what was done.
//! API keys (shown once, stored as hashes, scoped), the server's secret key,
//! short-lived stream tokens for clients that cannot send headers, the policy
//! of which routes are public, and the audit record of admin mutations.
//!
//! Architecture invariant: pure Rust over `agented_kernel` (plus hashing
//! crates). No Diesel, actix, apalis or adapter crate; storage is reached only
//! through the ports in `ports.rs`, each with an in-memory fake for tests.

pub mod api_key;
pub mod audit;
pub mod audit_trail;
pub mod errors;
pub mod memory;
pub mod ports;
pub mod principal;
pub mod public_routes;
pub mod request_path;
pub mod scope;
pub mod secret_key;
pub mod service;
pub mod signature;
pub mod standard_webhooks;
pub mod stream_token;

pub use api_key::{ApiKey, ApiKeyId, ApiKeyName, ApiKeySecret, KeyHash, NewApiKey};
pub use audit::{AuditEntry, AuditQuery, AuditRecord, Outcome};
pub use audit_trail::AuditTrail;
pub use errors::{AuthError, KeyError};
pub use ports::{ApiKeyRepository, AuditLog, RepoError};
pub use principal::{Credential, Principal};
pub use scope::{ApiScope, UnknownScope, is_read_operation};
pub use secret_key::{SecretKey, SecretKeyError};
pub use service::{ApiKeyService, MIN_KEY_CHARS, WeakKey, check_configured_key};
pub use signature::{body_digest, sign, signature_matches};
pub use stream_token::{StreamToken, TokenError};
