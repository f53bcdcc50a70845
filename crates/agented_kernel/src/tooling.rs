//! Which managed tooling something attaches for its runs' CLIs (the `tooling`
//! field of triggers, agents and teams). Only ids: the definitions live in
//! `agented_tooling`.

use crate::McpServerId;
use crate::ids::IdError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The kinds of tooling besides MCP servers: instructions and scripts a CLI reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A folder with `SKILL.md` and files, loaded when the task matches.
    Skill,
    /// A slash command: a markdown prompt template.
    Command,
    /// A shell command run on a CLI event.
    Hook,
    /// Instructions added to every run's system prompt.
    Rule,
}

impl ItemKind {
    /// Every kind, in the order the `tooling` field lists them.
    pub const ALL: [Self; 4] = [Self::Skill, Self::Command, Self::Hook, Self::Rule];

    /// `skill`, `command`, `hook`, `rule`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Skill => "skill",
            Self::Command => "command",
            Self::Hook => "hook",
            Self::Rule => "rule",
        }
    }

    /// The `tooling` field's key: `skills`, `commands`, `hooks`, `rules`.
    #[must_use]
    pub const fn plural(self) -> &'static str {
        match self {
            Self::Skill => "skills",
            Self::Command => "commands",
            Self::Hook => "hooks",
            Self::Rule => "rules",
        }
    }

    /// The prefix of its ids.
    #[must_use]
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Skill => "skill-",
            Self::Command => "cmd-",
            Self::Hook => "hook-",
            Self::Rule => "rule-",
        }
    }

    /// The kind named `name` (`skill` …).
    ///
    /// # Errors
    /// The message for an unknown name.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|k| k.as_str() == name).ok_or_else(|| format!("unknown tooling kind '{name}'"))
    }
}

impl fmt::Display for ItemKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A skill, command, hook or rule: its kind's prefix + 1–64 of `[a-z0-9_-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ItemId(String);

impl ItemId {
    /// A fresh random id of `kind`.
    #[must_use]
    pub fn generate(kind: ItemKind) -> Self {
        Self(format!("{}{}", kind.prefix(), crate::ids::random_suffix(6)))
    }

    /// Validates an id of `kind`.
    ///
    /// # Errors
    /// When the text is not `kind`'s prefix followed by 1–64 of `[a-z0-9_-]`.
    pub fn parse_of(kind: ItemKind, value: &str) -> Result<Self, IdError> {
        let id = Self::parse(value)?;
        if id.kind() == kind {
            Ok(id)
        } else {
            Err(IdError { kind: kind.as_str(), value: value.to_owned(), reason: "is the id of another kind" })
        }
    }

    /// Validates an id of any kind.
    ///
    /// # Errors
    /// When the text has no kind's prefix or its rest is not 1–64 of `[a-z0-9_-]`.
    pub fn parse(value: &str) -> Result<Self, IdError> {
        let err = |reason| IdError { kind: "tooling item", value: value.to_owned(), reason };
        let rest = ItemKind::ALL
            .into_iter()
            .find_map(|k| value.strip_prefix(k.prefix()))
            .ok_or_else(|| err("must start with 'skill-', 'cmd-', 'hook-' or 'rule-'"))?;
        if rest.is_empty() || rest.len() > 64 || !rest.chars().all(crate::ids::is_id_char) {
            return Err(err("must continue with 1 to 64 of a-z, 0-9, '-' or '_'"));
        }
        Ok(Self(value.to_owned()))
    }

    /// Its kind, from its prefix.
    #[must_use]
    pub fn kind(&self) -> ItemKind {
        ItemKind::ALL.into_iter().find(|k| self.0.starts_with(k.prefix())).unwrap_or(ItemKind::Rule)
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ItemId {
    type Error = IdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<ItemId> for String {
    fn from(id: ItemId) -> Self {
        id.0
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Attached tooling, each kind in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolingRefs {
    /// MCP servers.
    #[serde(default)]
    pub mcp_servers: Vec<McpServerId>,
    /// Skills.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skills: Vec<ItemId>,
    /// Slash commands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<ItemId>,
    /// Hooks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<ItemId>,
    /// Rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<ItemId>,
}

impl ToolingRefs {
    /// Whether nothing is attached.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.mcp_servers.is_empty() && ItemKind::ALL.iter().all(|k| self.items(*k).is_empty())
    }

    /// The attached items of `kind`.
    #[must_use]
    pub fn items(&self, kind: ItemKind) -> &[ItemId] {
        match kind {
            ItemKind::Skill => &self.skills,
            ItemKind::Command => &self.commands,
            ItemKind::Hook => &self.hooks,
            ItemKind::Rule => &self.rules,
        }
    }

    fn items_mut(&mut self, kind: ItemKind) -> &mut Vec<ItemId> {
        match kind {
            ItemKind::Skill => &mut self.skills,
            ItemKind::Command => &mut self.commands,
            ItemKind::Hook => &mut self.hooks,
            ItemKind::Rule => &mut self.rules,
        }
    }

    /// These attachments, then `more`'s not already among them.
    #[must_use]
    pub fn and(mut self, more: &Self) -> Self {
        push_new(&mut self.mcp_servers, &more.mcp_servers);
        for kind in ItemKind::ALL {
            push_new(self.items_mut(kind), more.items(kind));
        }
        self
    }
}

fn push_new<T: PartialEq + Clone>(to: &mut Vec<T>, from: &[T]) {
    for item in from {
        if !to.contains(item) {
            to.push(item.clone());
        }
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
    /// Skill ids (`skill-…`).
    pub skills: Vec<String>,
    /// Command ids (`cmd-…`).
    pub commands: Vec<String>,
    /// Hook ids (`hook-…`).
    pub hooks: Vec<String>,
    /// Rule ids (`rule-…`).
    pub rules: Vec<String>,
}

impl ToolingInput {
    /// The attachments asked for, each id once in its first place.
    ///
    /// # Errors
    /// Why the request is refused (for the `tooling` field).
    pub fn refs(self) -> Result<ToolingRefs, String> {
        let mut refs = ToolingRefs::default();
        let servers = ids(&self.mcp_servers, "MCP servers", |raw| {
            McpServerId::parse(raw).map_err(|_| format!("'{raw}' is not an MCP server id (mcp-…)"))
        })?;
        push_new(&mut refs.mcp_servers, &servers);
        for (kind, raw) in [
            (ItemKind::Skill, &self.skills),
            (ItemKind::Command, &self.commands),
            (ItemKind::Hook, &self.hooks),
            (ItemKind::Rule, &self.rules),
        ] {
            let parsed = ids(raw, kind.plural(), |raw| {
                ItemId::parse_of(kind, raw).map_err(|_| format!("'{raw}' is not a {kind} id ({}…)", kind.prefix()))
            })?;
            push_new(refs.items_mut(kind), &parsed);
        }
        Ok(refs)
    }
}

fn ids<T>(raw: &[String], what: &str, parse: impl Fn(&str) -> Result<T, String>) -> Result<Vec<T>, String> {
    if raw.len() > MAX_ATTACHED {
        return Err(format!("at most {MAX_ATTACHED} {what}"));
    }
    raw.iter().map(|r| parse(r.trim())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(json: &str) -> ToolingInput {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn ids_are_kept_in_order_once_and_bad_or_foreign_ids_are_refused() {
        let refs =
            input(r#"{"mcp_servers": ["mcp-bbbbbb", "mcp-aaaaaa", "mcp-bbbbbb"], "rules": ["rule-b", "rule-b"]}"#)
                .refs()
                .unwrap();
        let ids: Vec<&str> = refs.mcp_servers.iter().map(McpServerId::as_str).collect();
        assert_eq!(ids, ["mcp-bbbbbb", "mcp-aaaaaa"]);
        assert_eq!(refs.rules.len(), 1);
        let more =
            input(r#"{"mcp_servers": ["mcp-aaaaaa", "mcp-cccccc"], "rules": ["rule-a", "rule-b"]}"#).refs().unwrap();
        let joined = refs.and(&more);
        let servers: Vec<String> = joined.mcp_servers.iter().map(ToString::to_string).collect();
        assert_eq!(servers, ["mcp-bbbbbb", "mcp-aaaaaa", "mcp-cccccc"]);
        let rules: Vec<&str> = joined.rules.iter().map(ItemId::as_str).collect();
        assert_eq!(rules, ["rule-b", "rule-a"]);
        assert_eq!(input(r#"{"skills": ["rule-x"]}"#).refs().unwrap_err(), "'rule-x' is not a skill id (skill-…)");
        assert_eq!(input(r#"{"hooks": ["../etc"]}"#).refs().unwrap_err(), "'../etc' is not a hook id (hook-…)");
        assert_eq!(
            input(r#"{"mcp_servers": ["../etc"]}"#).refs().unwrap_err(),
            "'../etc' is not an MCP server id (mcp-…)"
        );
        let many: Vec<String> = (0..51).map(|i| format!("cmd-{i}")).collect();
        let too_many = ToolingInput { commands: many, ..ToolingInput::default() };
        assert_eq!(too_many.refs().unwrap_err(), "at most 50 commands");
        assert!(serde_json::from_str::<ToolingInput>(r#"{"mcp": []}"#).is_err());
    }

    #[test]
    fn item_ids_carry_their_kind_and_refs_without_items_keep_their_stored_form() {
        for kind in ItemKind::ALL {
            let id = ItemId::generate(kind);
            assert_eq!((id.kind(), ItemId::parse_of(kind, id.as_str()).unwrap()), (kind, id.clone()));
            assert_eq!(ItemKind::parse(kind.as_str()).unwrap(), kind);
        }
        assert!(ItemId::parse("skill-").is_err() && ItemId::parse("tool-abc").is_err());
        let old: ToolingRefs = serde_json::from_str(r#"{"mcp_servers": ["mcp-aaaaaa"]}"#).unwrap();
        assert_eq!(serde_json::to_string(&old).unwrap(), r#"{"mcp_servers":["mcp-aaaaaa"]}"#);
        assert!(!old.is_empty() && ToolingRefs::default().is_empty());
    }
}
