//! In-memory fakes of the ports: servers in a list (names unique), and a probe that
//! answers from a script and keeps each target it was given.

use crate::items::model::ToolingItem;
use crate::mcp::handshake::Handshake;
use crate::mcp::model::McpServer;
use crate::plugins::model::Plugin;
use crate::ports::{
    McpProbe, McpServerRepository, PluginFiles, PluginRepository, ProbeTarget, ToolingItemRepository,
    ToolingStoreError, WriteError,
};
use agented_kernel::{ItemId, ItemKind, McpServerId, PluginId};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// MCP servers in memory.
#[derive(Debug, Default)]
pub struct MemoryMcpServers(Mutex<Vec<McpServer>>);

#[async_trait]
impl McpServerRepository for MemoryMcpServers {
    async fn list(&self) -> Result<Vec<McpServer>, ToolingStoreError> {
        let mut all = lock(&self.0).clone();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    async fn get(&self, id: &McpServerId) -> Result<Option<McpServer>, ToolingStoreError> {
        Ok(lock(&self.0).iter().find(|s| &s.id == id).cloned())
    }

    async fn insert(&self, server: &McpServer) -> Result<(), WriteError> {
        let mut all = lock(&self.0);
        if all.iter().any(|s| s.name == server.name) {
            return Err(WriteError::NameTaken(server.name.clone()));
        }
        all.push(server.clone());
        Ok(())
    }

    async fn update(&self, server: &McpServer) -> Result<bool, WriteError> {
        let mut all = lock(&self.0);
        if all.iter().any(|s| s.name == server.name && s.id != server.id) {
            return Err(WriteError::NameTaken(server.name.clone()));
        }
        let Some(row) = all.iter_mut().find(|s| s.id == server.id) else { return Ok(false) };
        *row = server.clone();
        Ok(true)
    }

    async fn delete(&self, id: &McpServerId) -> Result<bool, ToolingStoreError> {
        let mut all = lock(&self.0);
        let before = all.len();
        all.retain(|s| &s.id != id);
        Ok(all.len() < before)
    }
}

/// Answers every handshake with `answer` and keeps the targets.
#[derive(Debug)]
pub struct ScriptedProbe {
    answer: Result<Handshake, String>,
    targets: Mutex<Vec<ProbeTarget>>,
}

impl ScriptedProbe {
    /// A probe that always answers `answer`.
    #[must_use]
    pub fn answering(answer: Result<Handshake, String>) -> Self {
        Self { answer, targets: Mutex::default() }
    }

    /// The targets it was given, in order.
    #[must_use]
    pub fn targets(&self) -> Vec<ProbeTarget> {
        lock(&self.targets).clone()
    }
}

#[async_trait]
impl McpProbe for ScriptedProbe {
    async fn handshake(&self, target: &ProbeTarget) -> Result<Handshake, String> {
        lock(&self.targets).push(target.clone());
        self.answer.clone()
    }
}

/// Skills, commands, hooks and rules in memory; names unique within a kind.
#[derive(Debug, Default)]
pub struct MemoryToolingItems {
    items: Mutex<Vec<ToolingItem>>,
    race: AtomicBool,
}

impl MemoryToolingItems {
    /// The next `get` is followed by another writer's change of that item (its version goes up).
    pub fn change_after_next_read(&self) {
        self.race.store(true, Ordering::SeqCst);
    }
}

#[async_trait]
impl ToolingItemRepository for MemoryToolingItems {
    async fn list(&self, kind: ItemKind) -> Result<Vec<ToolingItem>, ToolingStoreError> {
        let mut all: Vec<ToolingItem> = lock(&self.items).iter().filter(|i| i.kind() == kind).cloned().collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    async fn get(&self, id: &ItemId) -> Result<Option<ToolingItem>, ToolingStoreError> {
        let mut all = lock(&self.items);
        let found = all.iter().find(|i| &i.id == id).cloned();
        if self.race.swap(false, Ordering::SeqCst)
            && let Some(row) = all.iter_mut().find(|i| &i.id == id)
        {
            row.version += 1;
        }
        Ok(found)
    }

    async fn insert(&self, item: &ToolingItem) -> Result<(), WriteError> {
        let mut all = lock(&self.items);
        if all.iter().any(|i| i.kind() == item.kind() && i.name == item.name) {
            return Err(WriteError::NameTaken(item.name.clone()));
        }
        all.push(item.clone());
        Ok(())
    }

    async fn update(&self, item: &ToolingItem) -> Result<bool, WriteError> {
        let mut all = lock(&self.items);
        if all.iter().any(|i| i.kind() == item.kind() && i.name == item.name && i.id != item.id) {
            return Err(WriteError::NameTaken(item.name.clone()));
        }
        let Some(row) = all.iter_mut().find(|i| i.id == item.id && i.version + 1 == item.version) else {
            return Ok(false);
        };
        *row = item.clone();
        Ok(true)
    }

    async fn delete(&self, id: &ItemId) -> Result<bool, ToolingStoreError> {
        let mut all = lock(&self.items);
        let before = all.len();
        all.retain(|i| &i.id != id);
        Ok(all.len() < before)
    }
}

/// Plugins in memory; names unique.
#[derive(Debug, Default)]
pub struct MemoryPlugins(Mutex<Vec<Plugin>>);

#[async_trait]
impl PluginRepository for MemoryPlugins {
    async fn list(&self) -> Result<Vec<Plugin>, ToolingStoreError> {
        let mut all = lock(&self.0).clone();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }

    async fn get(&self, id: &PluginId) -> Result<Option<Plugin>, ToolingStoreError> {
        Ok(lock(&self.0).iter().find(|p| &p.id == id).cloned())
    }

    async fn insert(&self, plugin: &Plugin) -> Result<(), WriteError> {
        let mut all = lock(&self.0);
        if all.iter().any(|p| p.name == plugin.name) {
            return Err(WriteError::NameTaken(plugin.name.clone()));
        }
        all.push(plugin.clone());
        Ok(())
    }

    async fn delete(&self, id: &PluginId) -> Result<bool, ToolingStoreError> {
        let mut all = lock(&self.0);
        let before = all.len();
        all.retain(|p| &p.id != id);
        Ok(all.len() < before)
    }
}

/// Folders and repositories as file maps, by path or URL.
#[derive(Debug, Default)]
pub struct FakePluginFiles(pub BTreeMap<String, BTreeMap<String, String>>);

#[async_trait]
impl PluginFiles for FakePluginFiles {
    async fn folder(&self, path: &str) -> Result<BTreeMap<String, String>, String> {
        self.0.get(path).cloned().ok_or_else(|| format!("{path} is not a folder"))
    }

    async fn git(&self, url: &str, _reference: Option<&str>) -> Result<BTreeMap<String, String>, String> {
        self.0.get(url).cloned().ok_or_else(|| format!("{url} could not be cloned"))
    }
}
