//! Which managed tooling something attaches for its runs' CLIs (the `tooling`
//! field of triggers and agents). Only ids: the definitions live in
//! `agented_tooling`. MCP servers exist so far; skills, commands, hooks and rules
//! are refused by name until they do, so a request never seems to attach
//! something it did not.

use crate::McpServerId;
use serde::{Deserialize, Serialize};

/// Attached tooling, each kind in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolingRefs {
    /// MCP servers.
    #[serde(default)]
    pub mcp_servers: Vec<McpServerId>,
}

impl ToolingRefs {
    /// Whether nothing is attached.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.mcp_servers.is_empty()
    }
}

/// Most items of one kind that may be attached.
pub const MAX_ATTACHED: usize = 50;

/// `tooling` as requested: ids per kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ToolingInput {
    /// MCP server ids (`mcp-…`).
    pub mcp_servers: Vec<String>,
    /// Not attachable yet.
    pub skills: Vec<String>,
    /// Not attachable yet.
    pub commands: Vec<String>,
    /// Not attachable yet.
    pub hooks: Vec<String>,
    /// Not attachable yet.
    pub rules: Vec<String>,
}

impl ToolingInput {
    /// The attachments asked for, each id once in its first place.
    ///
    /// # Errors
    /// Why the request is refused (for the `tooling` field).
    pub fn refs(self) -> Result<ToolingRefs, String> {
        let unbuilt: Vec<&str> =
            [("skills", &self.skills), ("commands", &self.commands), ("hooks", &self.hooks), ("rules", &self.rules)]
                .into_iter()
                .filter(|(_, ids)| !ids.is_empty())
                .map(|(kind, _)| kind)
                .collect();
        if !unbuilt.is_empty() {
            return Err(format!("{} cannot be attached yet: only MCP servers can be, so far", unbuilt.join(", ")));
        }
        if self.mcp_servers.len() > MAX_ATTACHED {
            return Err(format!("at most {MAX_ATTACHED} MCP servers"));
        }
        let mut refs = ToolingRefs::default();
        for raw in self.mcp_servers {
            let id = McpServerId::parse(raw.trim()).map_err(|_| format!("'{raw}' is not an MCP server id (mcp-…)"))?;
            if !refs.mcp_servers.contains(&id) {
                refs.mcp_servers.push(id);
            }
        }
        Ok(refs)
    }
}

impl ToolingRefs {
    /// These attachments, then `more`'s not already among them.
    #[must_use]
    pub fn and(mut self, more: &Self) -> Self {
        for id in &more.mcp_servers {
            if !self.mcp_servers.contains(id) {
                self.mcp_servers.push(id.clone());
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> ToolingInput {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn server_ids_are_kept_in_order_once_and_other_kinds_or_bad_ids_are_refused() {
        let refs = input(r#"{"mcp_servers": ["mcp-bbbbbb", "mcp-aaaaaa", "mcp-bbbbbb"]}"#).refs().unwrap();
        let ids: Vec<&str> = refs.mcp_servers.iter().map(McpServerId::as_str).collect();
        assert_eq!(ids, ["mcp-bbbbbb", "mcp-aaaaaa"]);
        let more = input(r#"{"mcp_servers": ["mcp-aaaaaa", "mcp-cccccc"]}"#).refs().unwrap();
        let joined: Vec<String> = refs.and(&more).mcp_servers.iter().map(ToString::to_string).collect();
        assert_eq!(joined, ["mcp-bbbbbb", "mcp-aaaaaa", "mcp-cccccc"]);
        let unbuilt = input(r#"{"skills": ["s"], "rules": ["r"]}"#).refs().unwrap_err();
        assert_eq!(unbuilt, "skills, rules cannot be attached yet: only MCP servers can be, so far");
        assert_eq!(
            input(r#"{"mcp_servers": ["../etc"]}"#).refs().unwrap_err(),
            "'../etc' is not an MCP server id (mcp-…)"
        );
        assert!(serde_json::from_str::<ToolingInput>(r#"{"mcp": []}"#).is_err());
    }
}
