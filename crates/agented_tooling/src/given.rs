//! The definitions attachments name, frozen for a run: [`ToolingSource`] over the
//! stored MCP servers.

use crate::{McpServer, McpServerRepository};
use agented_executions::tooling::{GivenMcpServer, Resolved, ToolingRefs, ToolingSource};
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

/// Reads attachments from the MCP server store.
pub struct StoredTooling(pub Arc<dyn McpServerRepository>);

#[async_trait]
impl ToolingSource for StoredTooling {
    async fn resolve(&self, refs: &ToolingRefs) -> Result<Resolved, String> {
        let mut resolved = Resolved::default();
        for id in &refs.mcp_servers {
            match self.0.get(id).await.map_err(|e| e.to_string())? {
                Some(server) if server.enabled => resolved.tooling.mcp_servers.push(GivenMcpServer::from(&server)),
                Some(server) => resolved.left_out.push(format!("MCP server '{}' ({id}) is disabled", server.name)),
                None => resolved.left_out.push(format!("MCP server {id} no longer exists")),
            }
        }
        Ok(resolved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::MemoryMcpServers;
    use crate::{McpServerPatch, McpTransport};
    use agented_kernel::McpServerId;
    use chrono::Utc;

    fn stored(name: &str, enabled: bool) -> McpServer {
        let patch: McpServerPatch =
            serde_json::from_value(serde_json::json!({ "name": name, "command": "npx", "enabled": enabled })).unwrap();
        crate::service::built(McpServerId::generate(), patch.create().unwrap(), false, Utc::now())
    }

    #[tokio::test]
    async fn enabled_servers_are_given_in_order_and_the_rest_said_why() {
        let store = Arc::new(MemoryMcpServers::default());
        let (a, off, b) = (stored("a", true), stored("off", false), stored("b", true));
        for s in [&a, &off, &b] {
            store.insert(s).await.unwrap();
        }
        let gone = McpServerId::generate();
        let refs = ToolingRefs { mcp_servers: vec![b.id.clone(), off.id.clone(), gone.clone(), a.id.clone()] };
        let resolved = StoredTooling(store).resolve(&refs).await.unwrap();
        let names: Vec<&str> = resolved.tooling.mcp_servers.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(resolved.tooling.mcp_servers[0].server_type, McpTransport::Stdio);
        assert_eq!(
            resolved.left_out,
            [format!("MCP server 'off' ({}) is disabled", off.id), format!("MCP server {gone} no longer exists")]
        );
    }
}
