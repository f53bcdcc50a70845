//! A plugin as stored: Claude Code's plugin layout, its skills, commands and hooks
//! made ordinary items (attachable one by one), and every other file kept as it
//! was, so an export gives back what was imported.

use agented_kernel::{ItemId, PluginId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a plugin's manifest is, in its folder.
pub const MANIFEST: &str = ".claude-plugin/plugin.json";
/// Where a marketplace's manifest is, in its repository.
pub const MARKETPLACE: &str = ".claude-plugin/marketplace.json";
/// Where a plugin's hooks are.
pub const HOOKS: &str = "hooks/hooks.json";

/// An item made from one of the plugin's files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// The item.
    pub id: ItemId,
    /// The file it came from (`commands/x.md`, `skills/x/SKILL.md`, `hooks/hooks.json`).
    pub path: String,
}

/// The marketplace a plugin came with: enough to export the marketplace again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketplaceRef {
    /// Its `name`.
    pub name: String,
    /// `.claude-plugin/marketplace.json` as it was.
    pub manifest: String,
    /// The plugin's folder in it (`plugins/x`).
    pub path: String,
    /// The marketplace's files outside every plugin's folder, as they were.
    pub files: BTreeMap<String, String>,
}

/// A stored plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plugin {
    /// `plugin-…`.
    pub id: PluginId,
    /// Its manifest's `name`; unique.
    pub name: String,
    /// Its manifest's `description`.
    pub description: Option<String>,
    /// Its manifest's `version`.
    pub version: Option<String>,
    /// Its manifest's `author.name`.
    pub author: Option<String>,
    /// `.claude-plugin/plugin.json` as it was.
    pub manifest: String,
    /// The items made from it, in file order.
    pub components: Vec<Component>,
    /// Every other file, as it was (with `hooks/hooks.json`, also made items).
    pub files: BTreeMap<String, String>,
    /// The marketplace it came with.
    pub marketplace: Option<MarketplaceRef>,
    /// Where it was imported from (`files`, a folder, a repository).
    pub source: String,
    /// Import time.
    pub created_at: DateTime<Utc>,
}
