//! The definitions attachments name, frozen for a run: [`ToolingSource`] over the
//! stored MCP servers, skills, commands, hooks and rules.

use crate::{McpServer, McpServerRepository, ToolingItemRepository};
use agented_executions::tooling::{GivenMcpServer, GivenToolingItem, Resolved, ToolingRefs, ToolingSource};
use agented_kernel::ItemKind;
use async_trait::async_trait;
use std::sync::Arc;

impl From<&McpServer> for GivenMcpServer {
    fn from(s: &McpServer) -> Self {
        Self {
            id: s.id.clone(),
            name: s.name.clone(),
            version: s.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            server_type: s.server_type,
            command: s.command.clone(),
            args: s.args.clone(),
            env: s.env.clone(),
            url: s.url.clone(),
            headers: s.headers.clone(),
            timeout_ms: s.timeout_ms,
        }
    }
}

/// Reads attachments from the stores.
pub struct StoredTooling {
    /// MCP servers.
    pub servers: Arc<dyn McpServerRepository>,
    /// Skills, commands, hooks and rules.
    pub items: Arc<dyn ToolingItemRepository>,
}

#[async_trait]
impl ToolingSource for StoredTooling {
    async fn resolve(&self, refs: &ToolingRefs) -> Result<Resolved, String> {
        let mut resolved = Resolved::default();
        for id in &refs.mcp_servers {
            match self.servers.get(id).await.map_err(|e| e.to_string())? {
                Some(server) if server.enabled => resolved.tooling.mcp_servers.push(GivenMcpServer::from(&server)),
                Some(server) => resolved.left_out.push(format!("MCP server '{}' ({id}) is disabled", server.name)),
                None => resolved.left_out.push(format!("MCP server {id} no longer exists")),
            }
        }
        for id in ItemKind::ALL.into_iter().flat_map(|kind| refs.items(kind)) {
            match self.items.get(id).await.map_err(|e| e.to_string())? {
                Some(item) if item.enabled => resolved.tooling.items.push(GivenToolingItem::from(&item)),
                Some(item) => resolved.left_out.push(format!("{} '{}' ({id}) is disabled", id.kind(), item.name)),
                None => resolved.left_out.push(format!("{} {id} no longer exists", id.kind())),
            }
        }
        Ok(resolved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::{MemoryMcpServers, MemoryToolingItems};
    use crate::{ItemPatch, McpServerPatch, McpTransport};
    use agented_kernel::{ItemId, McpServerId};
    use chrono::Utc;

    fn stored(name: &str, enabled: bool) -> McpServer {
        let patch: McpServerPatch =
            serde_json::from_value(serde_json::json!({ "name": name, "command": "npx", "enabled": enabled })).unwrap();
        crate::service::built(McpServerId::generate(), patch.create().unwrap(), false, Utc::now())
    }

    #[tokio::test]
    async fn enabled_definitions_are_given_in_order_and_the_rest_said_why() {
        let store = Arc::new(MemoryMcpServers::default());
        let (a, off, b) = (stored("a", true), stored("off", false), stored("b", true));
        for s in [&a, &off, &b] {
            store.insert(s).await.unwrap();
        }
        let items = Arc::new(MemoryToolingItems::default());
        let item = |kind: ItemKind, name: &str, enabled: bool| {
            let patch: ItemPatch = serde_json::from_value(serde_json::json!({
                "name": name, "content": "x", "enabled": enabled, "description": "d",
            }))
            .unwrap();
            let now = Utc::now();
            patch.apply(kind, None).unwrap().build(ItemId::generate(kind), 4, now, now)
        };
        let (rule, quiet, skill) = (
            item(ItemKind::Rule, "style", true),
            item(ItemKind::Rule, "quiet", false),
            item(ItemKind::Skill, "s", true),
        );
        for i in [&rule, &quiet, &skill] {
            items.insert(i).await.unwrap();
        }
        let gone = McpServerId::generate();
        let gone_rule = ItemId::generate(ItemKind::Rule);
        let refs = ToolingRefs {
            mcp_servers: vec![b.id.clone(), off.id.clone(), gone.clone(), a.id.clone()],
            rules: vec![quiet.id.clone(), gone_rule.clone(), rule.id.clone()],
            skills: vec![skill.id.clone()],
            ..ToolingRefs::default()
        };
        let resolved = StoredTooling { servers: store, items }.resolve(&refs).await.unwrap();
        let names: Vec<&str> = resolved.tooling.mcp_servers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(resolved.tooling.mcp_servers[0].server_type, McpTransport::Stdio);
        let given: Vec<(&str, u32)> = resolved.tooling.items.iter().map(|i| (i.name.as_str(), i.version)).collect();
        assert_eq!(given, [("s", 4), ("style", 4)]);
        assert_eq!(
            resolved.left_out,
            [
                format!("MCP server 'off' ({}) is disabled", off.id),
                format!("MCP server {gone} no longer exists"),
                format!("rule 'quiet' ({}) is disabled", quiet.id),
                format!("rule {gone_rule} no longer exists"),
            ]
        );
    }
}
