//! `McpServerService`: MCP servers' CRUD, presets, and the test handshake.

use crate::mcp::handshake::Handshake;
use crate::mcp::model::{FieldErrors, McpDraft, McpServer, McpServerPatch, resolve};
use crate::mcp::presets::{Preset, preset, presets};
use crate::ports::{McpProbe, McpServerRepository, ProbeTarget, ToolingStoreError, WriteError};
use agented_kernel::{Clock, McpServerId};
use std::sync::Arc;
use std::time::Duration;

/// Why a request about tooling failed.
#[derive(Debug, thiserror::Error)]
pub enum ToolingError {
    /// No such definition or preset.
    #[error("{0} not found")]
    NotFound(String),
    /// Another definition of the kind has the name: "an MCP server named 'x'".
    #[error("{0} exists")]
    Duplicate(String),
    /// Another request changed the definition meanwhile.
    #[error("{0} was changed by another request: read it again")]
    Conflict(String),
    /// Field → message.
    #[error("invalid tooling definition")]
    Invalid(FieldErrors),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] ToolingStoreError),
}

impl ToolingError {
    /// `e`, about a definition described as `what` ("an MCP server").
    pub(crate) fn writing(what: &str, e: WriteError) -> Self {
        match e {
            WriteError::NameTaken(name) => Self::Duplicate(format!("{what} named '{name}'")),
            WriteError::Store(e) => Self::Store(e),
        }
    }
}

/// How a test went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestOutcome {
    /// The handshake succeeded.
    Passed(Handshake),
    /// Why it did not.
    Failed(String),
}

/// Reads the server's environment variables (for `${NAME}` references).
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// MCP servers.
#[derive(Clone)]
pub struct McpServerService {
    store: Arc<dyn McpServerRepository>,
    probe: Arc<dyn McpProbe>,
    env: EnvLookup,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for McpServerService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpServerService").finish_non_exhaustive()
    }
}

impl McpServerService {
    /// A service over its ports; `env` reads the server's variables.
    #[must_use]
    pub fn new(
        store: Arc<dyn McpServerRepository>,
        probe: Arc<dyn McpProbe>,
        env: EnvLookup,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { store, probe, env, clock }
    }

    /// Every server, by name.
    ///
    /// # Errors
    /// `Store`.
    pub async fn list(&self) -> Result<Vec<McpServer>, ToolingError> {
        Ok(self.store.list().await?)
    }

    /// One server.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn get(&self, id: &McpServerId) -> Result<McpServer, ToolingError> {
        self.store.get(id).await?.ok_or_else(|| ToolingError::NotFound("MCP server".into()))
    }

    /// The presets.
    #[must_use]
    pub fn presets(&self) -> Vec<Preset> {
        presets()
    }

    /// Creates a server.
    ///
    /// # Errors
    /// `Invalid`, `Duplicate`, `Store`.
    pub async fn create(&self, request: McpServerPatch) -> Result<McpServer, ToolingError> {
        let draft = request.create().map_err(ToolingError::Invalid)?;
        self.insert(draft, false).await
    }

    /// Creates the server of preset `key`, with `changes` (a name, the variables it needs) applied.
    ///
    /// # Errors
    /// `NotFound` (no such preset), `Invalid`, `Duplicate`, `Store`.
    pub async fn create_from_preset(&self, key: &str, changes: McpServerPatch) -> Result<McpServer, ToolingError> {
        let found = preset(key).ok_or_else(|| ToolingError::NotFound(format!("preset '{key}'")))?;
        let base = found.server.create().map_err(ToolingError::Invalid)?;
        let now = self.clock.now();
        let draft = changes.apply(&built(McpServerId::generate(), base, true, now)).map_err(ToolingError::Invalid)?;
        self.insert(draft, true).await
    }

    /// Changes a server.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`, `Duplicate`, `Store`.
    pub async fn update(&self, id: &McpServerId, request: McpServerPatch) -> Result<McpServer, ToolingError> {
        let current = self.get(id).await?;
        let draft = request.apply(&current).map_err(ToolingError::Invalid)?;
        let changed = McpServer {
            created_at: current.created_at,
            ..built(current.id, draft, current.is_preset, self.clock.now())
        };
        if self.store.update(&changed).await.map_err(|e| ToolingError::writing("an MCP server", e))? {
            Ok(changed)
        } else {
            Err(ToolingError::NotFound("MCP server".into()))
        }
    }

    /// Removes a server.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn delete(&self, id: &McpServerId) -> Result<(), ToolingError> {
        if self.store.delete(id).await? { Ok(()) } else { Err(ToolingError::NotFound("MCP server".into())) }
    }

    /// Starts or reaches the server and performs the MCP handshake, within its timeout.
    ///
    /// # Errors
    /// `NotFound`, `Store`. A server that fails the test is an outcome, not an error.
    pub async fn test(&self, id: &McpServerId) -> Result<TestOutcome, ToolingError> {
        let server = self.get(id).await?;
        let target = match self.target(&server) {
            Ok(t) => t,
            Err(why) => return Ok(TestOutcome::Failed(why)),
        };
        Ok(match self.probe.handshake(&target).await {
            Ok(done) => TestOutcome::Passed(done),
            Err(why) => TestOutcome::Failed(why),
        })
    }

    /// `server` with its `${NAME}` references read from the server's environment.
    fn target(&self, server: &McpServer) -> Result<ProbeTarget, String> {
        let lookup = |name: &str| (self.env)(name);
        let resolved = |map: &std::collections::BTreeMap<String, String>| {
            map.iter().map(|(k, v)| Ok((k.clone(), resolve(v, &lookup)?))).collect::<Result<_, String>>()
        };
        Ok(ProbeTarget {
            transport: server.server_type,
            command: server.command.clone(),
            args: server.args.iter().map(|a| resolve(a, &lookup)).collect::<Result<_, _>>()?,
            env: resolved(&server.env)?,
            url: server.url.clone(),
            headers: resolved(&server.headers)?,
            timeout: Duration::from_millis(server.timeout_ms.into()),
        })
    }

    async fn insert(&self, draft: McpDraft, is_preset: bool) -> Result<McpServer, ToolingError> {
        let server = built(McpServerId::generate(), draft, is_preset, self.clock.now());
        self.store.insert(&server).await.map_err(|e| ToolingError::writing("an MCP server", e))?;
        Ok(server)
    }
}

/// The server `d` describes, stored under `id` at `now`.
#[must_use]
pub fn built(id: McpServerId, d: McpDraft, is_preset: bool, now: chrono::DateTime<chrono::Utc>) -> McpServer {
    McpServer {
        id,
        name: d.name,
        display_name: d.display_name,
        description: d.description,
        server_type: d.server_type,
        command: d.command,
        args: d.args,
        env: d.env,
        url: d.url,
        headers: d.headers,
        timeout_ms: d.timeout_ms,
        enabled: d.enabled,
        category: d.category,
        is_preset,
        documentation_url: d.documentation_url,
        npm_package: d.npm_package,
        created_at: now,
        updated_at: now,
    }
}
