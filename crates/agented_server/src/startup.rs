//! Builds the running application from settings: secret key, database
//! (migrated and seeded), then the HTTP server on its listener.

use crate::Settings;
use crate::secret_key::{self, SecretKeyFileError};
use agented_auth::SecretKey;
use agented_http::app::{ActixServiceConfig, Server, ServerHandle};
use agented_http::{AppState, HttpOptions};
use agented_store_sqlite::{Database, DatabaseOptions, StoreError, run_migrations, seed};
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

/// A started Agented: the server runs once [`Application::run_until_stopped`] is awaited.
pub struct Application {
    server: Server,
    local_addr: SocketAddr,
    database: Database,
    secret_key: SecretKey,
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
        let state = AppState { database: Arc::new(database.clone()), web_dist: settings.web_dist.clone() };
        let options = HttpOptions {
            shutdown_timeout: settings.server.shutdown_timeout,
            workers: settings.server.workers,
            extra_routes,
        };
        let server = agented_http::serve(listener, state, &options)
            .map_err(|source| StartupError::Bind { addr: local_addr, source })?;
        Ok(Self { server, local_addr, database, secret_key })
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
