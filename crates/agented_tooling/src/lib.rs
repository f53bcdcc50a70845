//! Agent tooling, managed once and given to runs: MCP servers (stdio, http, sse)
//! with the original platform's fields, presets, and a test that performs the MCP
//! handshake and lists the server's tools; and skills, commands, hooks and rules,
//! versioned; and plugins, which bundle them in Claude Code's layout.
//!
//! Architecture invariant: a domain crate. It knows no framework, database, process
//! or HTTP client: storage and reaching a server are ports ([`McpServerRepository`],
//! [`ToolingItemRepository`], [`McpProbe`]), and secrets are only ever names (`${NAME}`), read from the server's
//! environment when a test or a run needs them, never stored.

#[cfg(feature = "fakes")]
pub mod fakes;
pub mod given;
pub mod items;
pub mod mcp;
pub mod plugins;
pub mod ports;
pub mod service;

pub use given::StoredTooling;
pub use items::model::{ItemFields, ItemPatch, ToolingItem};
pub use items::service::ToolingItemService;
pub use mcp::handshake::{Exchange, Handshake, McpTool, PROTOCOL_VERSION, handshake};
pub use mcp::model::{FieldErrors, McpDraft, McpServer, McpServerPatch, McpTransport, references, resolve};
pub use mcp::presets::{Preset, preset, presets};
pub use plugins::model::{Component, MarketplaceRef, Plugin};
pub use plugins::service::{Imported, PluginService, PluginSource};
pub use ports::{
    McpProbe, McpServerRepository, PluginFiles, PluginRepository, ProbeTarget, ToolingItemRepository,
    ToolingStoreError, WriteError,
};
pub use service::{EnvLookup, McpServerService, TestOutcome, ToolingError};
