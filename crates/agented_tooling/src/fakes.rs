//! In-memory fakes of the ports: servers in a list (names unique), and a probe that
//! answers from a script and keeps each target it was given.

use crate::mcp::handshake::Handshake;
use crate::mcp::model::McpServer;
use crate::ports::{McpProbe, McpServerRepository, McpWriteError, ProbeTarget, ToolingStoreError};
use agented_kernel::McpServerId;
use async_trait::async_trait;
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

    async fn insert(&self, server: &McpServer) -> Result<(), McpWriteError> {
        let mut all = lock(&self.0);
        if all.iter().any(|s| s.name == server.name) {
            return Err(McpWriteError::NameTaken(server.name.clone()));
        }
        all.push(server.clone());
        Ok(())
    }

    async fn update(&self, server: &McpServer) -> Result<bool, McpWriteError> {
        let mut all = lock(&self.0);
        if all.iter().any(|s| s.name == server.name && s.id != server.id) {
            return Err(McpWriteError::NameTaken(server.name.clone()));
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
