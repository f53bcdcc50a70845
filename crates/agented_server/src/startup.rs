//! Builds the running application from settings: secret key, database
//! (migrated and seeded), then the HTTP server on its listener.

use crate::Settings;
use crate::secret_key::{self, SecretKeyFileError};
use agented_auth::{ApiKey, ApiKeySecret, ApiKeyService, AuditEntry, AuditLog, KeyError, Outcome, SecretKey};
use agented_http::app::{ActixServiceConfig, Server, ServerHandle};
use agented_http::{AppState, HttpOptions};
use agented_kernel::{Clock, SystemClock};
use agented_store_sqlite::{Database, DatabaseOptions, SqliteApiKeys, SqliteAudit, StoreError, run_migrations, seed};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

/// Start-up failed; the server is not running.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The secret key could not be had.
    #[error(transparent)]
    SecretKey(#[from] SecretKeyFileError),
    /// The database could not be opened, migrated or seeded.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The first API key could not be created.
    #[error("cannot create the first API key: {0}")]
    Keys(#[from] KeyError),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// Opens the database and brings its schema and seed data up to date.
///
/// # Errors
/// [`StoreError`] when the file cannot be opened or a migration fails (then
/// nothing of the failed batch is applied).
pub async fn prepare_database(settings: &Settings) -> Result<Database, StoreError> {
    let database = Database::open(
        &settings.database.path,
        &DatabaseOptions {
            pool_size: settings.database.pool_size,
            busy_timeout: settings.database.busy_timeout,
            connection_timeout: settings.database.connection_timeout,
        },
    )?;
    database
        .run(|conn| {
            run_migrations(conn)?;
            seed(conn)?;
            Ok(())
        })
        .await?;
    Ok(database)
}

/// The key services over `database`.
#[must_use]
pub fn key_service(settings: &Settings, database: &Database, clock: Arc<dyn Clock>) -> ApiKeyService {
    ApiKeyService::new(Arc::new(SqliteApiKeys::new(database.clone())), settings.api_key.as_deref(), clock)
}

/// Things worth an operator's attention, shown by the detailed readiness view.
fn startup_warnings(settings: &Settings, bootstrapped: bool) -> Vec<String> {
    let mut warnings = Vec::new();
    if bootstrapped {
        warnings
            .push("no API key existed: an admin key was created and printed to the terminal at start-up".to_owned());
    }
    if !settings.rate_limits.enabled {
        warnings.push("rate limits are disabled (rate_limits.enabled = false)".to_owned());
    }
    if settings.github_webhook_secret.is_none() {
        warnings.push("GITHUB_WEBHOOK_SECRET is not set: GitHub webhook deliveries will be refused".to_owned());
    }
    if settings.api_key.is_some() {
        warnings.push("AGENTED_API_KEY is set: it cannot be revoked from Agented; prefer stored keys".to_owned());
    }
    warnings
}

/// A started Agented: the server runs once [`Application::run_until_stopped`] is awaited.
pub struct Application {
    server: Server,
    local_addr: SocketAddr,
    database: Database,
    secret_key: SecretKey,
    bootstrap_key: Option<(ApiKey, ApiKeySecret)>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application").field("local_addr", &self.local_addr).finish_non_exhaustive()
    }
}

impl Application {
    /// Builds everything and binds the listener (port 0 picks a free port).
    ///
    /// # Errors
    /// [`StartupError`] naming what failed.
    pub async fn build(
        settings: &Settings,
        extra_routes: Option<fn(&mut ActixServiceConfig)>,
    ) -> Result<Self, StartupError> {
        let secret_key = secret_key::load_or_create(settings.secret_key.as_deref(), &settings.data_dir)?;
        let database = prepare_database(settings).await?;
        let listener = TcpListener::bind(settings.server.bind)
            .map_err(|source| StartupError::Bind { addr: settings.server.bind, source })?;
        let local_addr =
            listener.local_addr().map_err(|source| StartupError::Bind { addr: settings.server.bind, source })?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let keys = key_service(settings, &database, clock.clone());
        let audit: Arc<dyn AuditLog> = Arc::new(SqliteAudit::new(database.clone()));
        let bootstrap_key = keys.bootstrap().await?;
        if let Some((key, _)) = &bootstrap_key {
            record_bootstrap(audit.as_ref(), key, clock.as_ref()).await;
        }
        let state = AppState {
            database: Arc::new(database.clone()),
            web_dist: settings.web_dist.clone(),
            keys,
            audit,
            secret_key: secret_key.clone(),
            clock,
            startup_warnings: startup_warnings(settings, bootstrap_key.is_some()),
        };
        let options = HttpOptions {
            shutdown_timeout: settings.server.shutdown_timeout,
            workers: settings.server.workers,
            extra_routes,
            cors_allowed_origins: settings.cors_allowed_origins.clone(),
            rate_limits: settings.rate_limits.clone(),
        };
        let server = agented_http::serve(listener, state, &options)
            .map_err(|source| StartupError::Bind { addr: local_addr, source })?;
        Ok(Self { server, local_addr, database, secret_key, bootstrap_key })
    }

    /// The address actually listened on.
    #[must_use]
    pub const fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The database the server uses.
    #[must_use]
    pub const fn database(&self) -> &Database {
        &self.database
    }

    /// The secret key in use.
    #[must_use]
    pub const fn secret_key(&self) -> &SecretKey {
        &self.secret_key
    }

    /// The admin key created because none existed, to be shown once.
    #[must_use]
    pub const fn bootstrap_key(&self) -> Option<&(ApiKey, ApiKeySecret)> {
        self.bootstrap_key.as_ref()
    }

    /// A handle to stop the server.
    #[must_use]
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (or [`ServerHandle::stop`]), then drains in-flight requests.
    ///
    /// # Errors
    /// When the server fails while running.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Audits the creation of the first key (the actor is the server itself).
async fn record_bootstrap(audit: &dyn AuditLog, key: &ApiKey, clock: &dyn Clock) {
    let entry = AuditEntry {
        at: clock.now(),
        actor: "agented (start-up)".into(),
        action: "api_key.create".into(),
        entity_type: "api_key".into(),
        entity_id: Some(key.id.as_str().to_owned()),
        outcome: Outcome::Success,
        status: 0,
        changes: Some(
            serde_json::json!({ "name": key.name.as_str(), "scope": key.scope.as_str(), "reason": "no API key existed" }),
        ),
        request_id: None,
    };
    if let Err(e) = audit.record(entry).await {
        tracing::error!(error = %e, "could not write the audit record");
    }
}
