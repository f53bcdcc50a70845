//! Ports of the tooling domain: where MCP servers are kept, and how one is reached
//! to test it.

use crate::items::model::ToolingItem;
use crate::mcp::handshake::Handshake;
use crate::mcp::model::{McpServer, McpTransport};
use crate::plugins::model::Plugin;
use agented_kernel::{Cause, ItemId, ItemKind, McpServerId, PluginId};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::time::Duration;

/// Storage failed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("tooling storage failed: {0}")]
pub struct ToolingStoreError(#[source] pub Cause);

/// Why a definition could not be written.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    /// Another definition of its kind has the name.
    #[error("the name '{0}' is taken")]
    NameTaken(String),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] ToolingStoreError),
}

/// Stored MCP servers.
#[async_trait]
pub trait McpServerRepository: Send + Sync {
    /// Every server, by name.
    ///
    /// # Errors
    /// MUST return [`ToolingStoreError`] only when storage fails.
    async fn list(&self) -> Result<Vec<McpServer>, ToolingStoreError>;

    /// One server.
    ///
    /// # Errors
    /// MUST return [`ToolingStoreError`] only when storage fails.
    async fn get(&self, id: &McpServerId) -> Result<Option<McpServer>, ToolingStoreError>;

    /// Stores a new server.
    ///
    /// # Errors
    /// MUST return `NameTaken` when another server has its name, else `Store`.
    async fn insert(&self, server: &McpServer) -> Result<(), WriteError>;

    /// Writes `server` over its row; `false` when there is none.
    ///
    /// # Errors
    /// MUST return `NameTaken` when another server has its name, else `Store`.
    async fn update(&self, server: &McpServer) -> Result<bool, WriteError>;

    /// Removes a server; `false` when there is none.
    ///
    /// # Errors
    /// MUST return [`ToolingStoreError`] only when storage fails.
    async fn delete(&self, id: &McpServerId) -> Result<bool, ToolingStoreError>;
}

/// Stored skills, commands, hooks and rules.
#[async_trait]
pub trait ToolingItemRepository: Send + Sync {
    /// The items of `kind`, by name.
    ///
    /// # Errors
    /// MUST return [`ToolingStoreError`] only when storage fails.
    async fn list(&self, kind: ItemKind) -> Result<Vec<ToolingItem>, ToolingStoreError>;

    /// One item.
    ///
    /// # Errors
    /// MUST return [`ToolingStoreError`] only when storage fails.
    async fn get(&self, id: &ItemId) -> Result<Option<ToolingItem>, ToolingStoreError>;

    /// Stores a new item.
    ///
    /// # Errors
    /// MUST return `NameTaken` when another item of its kind has its name, else `Store`.
    async fn insert(&self, item: &ToolingItem) -> Result<(), WriteError>;

    /// Writes `item` over its row if the stored version is `item.version - 1`; `false`
    /// when there is no such row (deleted, or changed meanwhile).
    ///
    /// # Errors
    /// MUST return `NameTaken` when another item of its kind has its name, else `Store`.
    async fn update(&self, item: &ToolingItem) -> Result<bool, WriteError>;

    /// Removes an item; `false` when there is none.
    ///
    /// # Errors
    /// MUST return [`ToolingStoreError`] only when storage fails.
    async fn delete(&self, id: &ItemId) -> Result<bool, ToolingStoreError>;
}

/// Stored plugins.
#[async_trait]
pub trait PluginRepository: Send + Sync {
    /// Every plugin, by name.
    ///
    /// # Errors
    /// MUST return [`ToolingStoreError`] only when storage fails.
    async fn list(&self) -> Result<Vec<Plugin>, ToolingStoreError>;

    /// One plugin.
    ///
    /// # Errors
    /// MUST return [`ToolingStoreError`] only when storage fails.
    async fn get(&self, id: &PluginId) -> Result<Option<Plugin>, ToolingStoreError>;

    /// Stores a new plugin.
    ///
    /// # Errors
    /// MUST return `NameTaken` when another plugin has its name, else `Store`.
    async fn insert(&self, plugin: &Plugin) -> Result<(), WriteError>;

    /// Removes a plugin; `false` when there is none.
    ///
    /// # Errors
    /// MUST return [`ToolingStoreError`] only when storage fails.
    async fn delete(&self, id: &PluginId) -> Result<bool, ToolingStoreError>;
}

/// Reads the text files of a plugin or marketplace, by path relative to its root.
#[async_trait]
pub trait PluginFiles: Send + Sync {
    /// The files under the local folder `path`.
    ///
    /// # Errors
    /// MUST return why, in words for the person importing (not absolute, not a folder,
    /// too large).
    async fn folder(&self, path: &str) -> Result<BTreeMap<String, String>, String>;

    /// The files of the git repository at `url` (at `reference`, else its default branch).
    ///
    /// # Errors
    /// MUST return why, in words for the person importing (a URL that is not https or a
    /// local file URL, the clone failed or took too long, too large).
    async fn git(&self, url: &str, reference: Option<&str>) -> Result<BTreeMap<String, String>, String>;
}

/// A server to reach, its `${NAME}` references resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeTarget {
    /// How.
    pub transport: McpTransport,
    /// stdio: the program.
    pub command: Option<String>,
    /// stdio: its arguments.
    pub args: Vec<String>,
    /// stdio: its environment (besides the allowlisted base).
    pub env: BTreeMap<String, String>,
    /// http, sse: where.
    pub url: Option<String>,
    /// http, sse: headers.
    pub headers: BTreeMap<String, String>,
    /// The whole handshake's limit.
    pub timeout: Duration,
}

/// Reaches a server and performs the handshake.
#[async_trait]
pub trait McpProbe: Send + Sync {
    /// The handshake with `target`, within its timeout; a started process is stopped after.
    ///
    /// # Errors
    /// MUST return why it failed, in words for the person testing (the program is missing,
    /// it exited, it answered something that is not MCP, no answer in time).
    async fn handshake(&self, target: &ProbeTarget) -> Result<Handshake, String>;
}
