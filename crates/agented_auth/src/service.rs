//! `ApiKeyService`: authenticates callers and manages keys.

use crate::ports::{InsertKeyError, Revoked};
use crate::{
    ApiKey, ApiKeyId, ApiKeyName, ApiKeyRepository, ApiKeySecret, ApiScope, AuthError, Credential, KeyError, KeyHash,
    NewApiKey, Principal,
};
use agented_kernel::Clock;
use chrono::Duration;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The shortest key accepted: stored keys have 52 characters, a configured one must have this many.
pub const MIN_KEY_CHARS: usize = 32;

/// A configured key (`AGENTED_API_KEY`) is too short to withstand guessing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be at least {MIN_KEY_CHARS} characters (it has {0}); generate one with `openssl rand -hex 32`")]
pub struct WeakKey(pub usize);

/// Checks a key an operator configures.
///
/// # Errors
/// [`WeakKey`] when it is shorter than [`MIN_KEY_CHARS`].
pub fn check_configured_key(key: &str) -> Result<(), WeakKey> {
    let chars = key.trim().chars().count();
    if chars < MIN_KEY_CHARS { Err(WeakKey(chars)) } else { Ok(()) }
}

/// A key's `last_used_at` is written at most this often, so reads stay reads.
const TOUCH_INTERVAL_SECONDS: i64 = 60;

/// Authenticates presented keys and manages stored ones.
#[derive(Clone)]
pub struct ApiKeyService {
    repo: Arc<dyn ApiKeyRepository>,
    configured: Option<KeyHash>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ApiKeyService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeyService").field("configured_key", &self.configured.is_some()).finish_non_exhaustive()
    }
}

impl ApiKeyService {
    /// A service over `repo`; `configured_key` (`AGENTED_API_KEY`) is accepted as an admin key.
    #[must_use]
    pub fn new(repo: Arc<dyn ApiKeyRepository>, configured_key: Option<&str>, clock: Arc<dyn Clock>) -> Self {
        Self { repo, configured: configured_key.map(KeyHash::of), clock }
    }

    /// Who presented `key`. Revoked keys are refused at once: every call reads storage.
    ///
    /// # Errors
    /// [`AuthError::Missing`] without a key, [`AuthError::Invalid`] for an unknown or
    /// revoked one, [`AuthError::Store`] when keys cannot be read.
    pub async fn authenticate(&self, key: Option<&str>) -> Result<Principal, AuthError> {
        let key = key.map(str::trim).filter(|k| !k.is_empty()).ok_or(AuthError::Missing)?;
        if key.len() < MIN_KEY_CHARS {
            // No key this server accepts is that short: refused without a look-up.
            return Err(AuthError::Invalid);
        }
        let hash = KeyHash::of(key);
        let is_configured =
            self.configured.as_ref().is_some_and(|c| bool::from(c.as_str().as_bytes().ct_eq(hash.as_str().as_bytes())));
        if is_configured {
            return Ok(Principal {
                name: Principal::CONFIGURED_KEY_NAME.to_owned(),
                scope: ApiScope::Admin,
                credential: Credential::ConfiguredKey,
            });
        }
        let stored = self.repo.find_by_hash(&hash).await?.ok_or(AuthError::Invalid)?;
        if stored.revoked_at.is_some() {
            return Err(AuthError::Invalid);
        }
        let now = self.clock.now();
        if stored.last_used_at.is_none_or(|at| now - at >= Duration::seconds(TOUCH_INTERVAL_SECONDS)) {
            // Best effort: failing to record the use must not refuse a valid key.
            let _ = self.repo.touch(&stored.id, now).await;
        }
        Ok(Principal {
            name: stored.name.as_str().to_owned(),
            scope: stored.scope,
            credential: Credential::ApiKey(stored.id),
        })
    }

    /// Whether `principal` may use `method` on `path` (the decoded path the router matches).
    ///
    /// # Errors
    /// [`AuthError::Forbidden`] for a `read` key on anything but reading, or on an admin-only read.
    pub fn authorize(principal: &Principal, method: &str, path: &str) -> Result<(), AuthError> {
        // A stream token opens the one stream it was issued for (the gate checked the path), and
        // only an admin key can have a token issued for an admin-only stream.
        let token_stream = matches!(principal.credential, Credential::StreamToken(_)) && method == "GET";
        if token_stream || principal.scope.permits(method, path) {
            Ok(())
        } else {
            Err(AuthError::Forbidden { scope: principal.scope.as_str(), method: method.to_owned() })
        }
    }

    /// Creates a key; the secret is returned once and never stored.
    ///
    /// # Errors
    /// [`KeyError::InvalidName`], [`KeyError::DuplicateName`], or storage errors.
    pub async fn create(&self, name: &str, scope: ApiScope) -> Result<(ApiKey, ApiKeySecret), KeyError> {
        let name = ApiKeyName::parse(name).map_err(KeyError::InvalidName)?;
        let secret = ApiKeySecret::generate().map_err(|e| KeyError::Random(e.to_string()))?;
        let id = ApiKeyId::generate().map_err(|e| KeyError::Random(e.to_string()))?;
        let new = NewApiKey {
            id,
            name: name.clone(),
            scope,
            prefix: secret.shown_prefix(),
            hash: secret.hash(),
            created_at: self.clock.now(),
        };
        match self.repo.insert(new).await {
            Ok(key) => Ok((key, secret)),
            Err(InsertKeyError::DuplicateName) => Err(KeyError::DuplicateName(name.as_str().to_owned())),
            Err(InsertKeyError::Store(e)) => Err(KeyError::Store(e)),
        }
    }

    /// Every key, newest first.
    ///
    /// # Errors
    /// [`KeyError::Store`] when keys cannot be read.
    pub async fn list(&self) -> Result<Vec<ApiKey>, KeyError> {
        self.repo.list().await.map_err(KeyError::Store)
    }

    /// Revokes a key; it is refused from the next request on.
    ///
    /// # Errors
    /// [`KeyError::NotFound`], [`KeyError::AlreadyRevoked`], or storage errors.
    pub async fn revoke(&self, id: &str) -> Result<ApiKey, KeyError> {
        match self.repo.revoke(&ApiKeyId::from_raw(id), self.clock.now()).await.map_err(KeyError::Store)? {
            Revoked::Now(key) => Ok(key),
            Revoked::Already(_) => Err(KeyError::AlreadyRevoked(id.to_owned())),
            Revoked::NotFound => Err(KeyError::NotFound(id.to_owned())),
        }
    }

    /// When no usable key exists (none stored and active, none configured),
    /// creates an admin key so the operator is never locked out, and returns it
    /// to be shown once.
    ///
    /// # Errors
    /// Storage errors.
    pub async fn bootstrap(&self) -> Result<Option<(ApiKey, ApiKeySecret)>, KeyError> {
        if self.configured.is_some() || self.repo.count_active().await.map_err(KeyError::Store)? > 0 {
            return Ok(None);
        }
        let base = format!("admin (created at start-up {})", self.clock.now().format("%Y-%m-%d %H:%M:%S UTC"));
        let mut name = base.clone();
        for attempt in 2..=10 {
            match self.create(&name, ApiScope::Admin).await {
                // A revoked bootstrap key may hold the name already.
                Err(KeyError::DuplicateName(_)) => name = format!("{base} #{attempt}"),
                other => return other.map(Some),
            }
        }
        self.create(&name, ApiScope::Admin).await.map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory::MemoryApiKeys;
    use agented_kernel::ManualClock;
    use chrono::Utc;

    const OPERATOR_KEY: &str = "operator-key-of-at-least-32-characters";

    fn service(configured: Option<&str>) -> (ApiKeyService, Arc<MemoryApiKeys>, Arc<ManualClock>) {
        let repo = Arc::new(MemoryApiKeys::default());
        let clock = Arc::new(ManualClock::new(Utc::now()));
        (ApiKeyService::new(repo.clone(), configured, clock.clone()), repo, clock)
    }

    #[tokio::test]
    async fn a_created_key_authenticates_with_its_name_and_scope() {
        let (svc, _, _) = service(None);
        let (key, secret) = svc.create("ci", ApiScope::Read).await.unwrap();
        let who = svc.authenticate(Some(secret.expose())).await.unwrap();
        assert_eq!((who.name.as_str(), who.scope), ("ci", ApiScope::Read));
        assert_eq!(who.credential, Credential::ApiKey(key.id));
    }

    #[tokio::test]
    async fn missing_unknown_and_revoked_keys_are_refused() {
        let (svc, _, _) = service(None);
        assert!(matches!(svc.authenticate(None).await, Err(AuthError::Missing)));
        assert!(matches!(svc.authenticate(Some("  ")).await, Err(AuthError::Missing)));
        assert!(matches!(svc.authenticate(Some("agd_nope")).await, Err(AuthError::Invalid)));
        let (key, secret) = svc.create("ci", ApiScope::Admin).await.unwrap();
        svc.revoke(key.id.as_str()).await.unwrap();
        assert!(matches!(svc.authenticate(Some(secret.expose())).await, Err(AuthError::Invalid)));
        assert!(matches!(svc.revoke(key.id.as_str()).await, Err(KeyError::AlreadyRevoked(_))));
        assert!(matches!(svc.revoke("key_missing").await, Err(KeyError::NotFound(_))));
    }

    #[tokio::test]
    async fn the_configured_key_is_an_admin_key() {
        let (svc, _, _) = service(Some(OPERATOR_KEY));
        let who = svc.authenticate(Some(OPERATOR_KEY)).await.unwrap();
        assert_eq!((who.scope, who.credential), (ApiScope::Admin, Credential::ConfiguredKey));
    }

    #[tokio::test]
    async fn keys_shorter_than_32_characters_are_never_accepted() {
        let short = "operator-key-31-characters-long";
        assert_eq!(short.len(), 31);
        assert_eq!(check_configured_key(short), Err(WeakKey(31)));
        assert_eq!(check_configured_key(OPERATOR_KEY), Ok(()));
        // Even configured by hand (start-up refuses it), a short key never authenticates.
        let (svc, _, _) = service(Some(short));
        assert!(matches!(svc.authenticate(Some(short)).await, Err(AuthError::Invalid)));
    }

    #[tokio::test]
    async fn read_keys_may_only_read() {
        let (svc, _, _) = service(None);
        let (_, secret) = svc.create("viewer", ApiScope::Read).await.unwrap();
        let who = svc.authenticate(Some(secret.expose())).await.unwrap();
        assert!(ApiKeyService::authorize(&who, "GET", "/admin/triggers").is_ok());
        assert!(ApiKeyService::authorize(&who, "POST", "/admin/executions/exec-1/stream-token").is_ok());
        assert!(matches!(ApiKeyService::authorize(&who, "POST", "/admin/triggers"), Err(AuthError::Forbidden { .. })));
    }

    #[tokio::test]
    async fn duplicate_and_invalid_names_are_refused() {
        let (svc, _, _) = service(None);
        svc.create("ci", ApiScope::Read).await.unwrap();
        assert!(matches!(svc.create("ci", ApiScope::Admin).await, Err(KeyError::DuplicateName(_))));
        assert!(matches!(svc.create("", ApiScope::Admin).await, Err(KeyError::InvalidName(_))));
    }

    #[tokio::test]
    async fn last_use_is_recorded_at_most_once_a_minute() {
        let (svc, repo, clock) = service(None);
        let (_, secret) = svc.create("ci", ApiScope::Read).await.unwrap();
        svc.authenticate(Some(secret.expose())).await.unwrap();
        svc.authenticate(Some(secret.expose())).await.unwrap();
        assert_eq!(repo.touches(), 1);
        clock.advance(Duration::seconds(61));
        svc.authenticate(Some(secret.expose())).await.unwrap();
        assert_eq!(repo.touches(), 2);
    }

    #[tokio::test]
    async fn a_key_is_bootstrapped_only_when_none_is_usable() {
        let (svc, _, _) = service(None);
        let (key, secret) = svc.bootstrap().await.unwrap().expect("a first key");
        assert_eq!(key.scope, ApiScope::Admin);
        assert!(svc.authenticate(Some(secret.expose())).await.is_ok());
        assert!(svc.bootstrap().await.unwrap().is_none(), "not while a key is active");
        svc.revoke(key.id.as_str()).await.unwrap();
        assert!(svc.bootstrap().await.unwrap().is_some(), "again once every key is revoked");
        let (configured, _, _) = service(Some(OPERATOR_KEY));
        assert!(configured.bootstrap().await.unwrap().is_none(), "not with AGENTED_API_KEY set");
    }
}
