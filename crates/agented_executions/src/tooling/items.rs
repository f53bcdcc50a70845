//! Skills, commands, hooks and rules as runs are given them, and the pieces each
//! CLI reads them from. A definition's text is written as stored; where a CLI
//! needs frontmatter the definition lacks, it is made from the name and
//! description.

use agented_kernel::{ItemId, ItemKind};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// When a hook runs, in Claude Code's names (the original platform's too).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HookEvent {
    /// Before a tool runs (the matcher names tools).
    PreToolUse,
    /// After a tool ran.
    PostToolUse,
    /// When a prompt is submitted.
    UserPromptSubmit,
    /// When the agent finishes its answer.
    Stop,
    /// When a subagent finishes.
    SubagentStop,
    /// When a session starts.
    SessionStart,
    /// When a session ends.
    SessionEnd,
    /// When the CLI notifies.
    Notification,
    /// Before the context is compacted.
    PreCompact,
}

impl HookEvent {
    /// Every event.
    pub const ALL: [Self; 9] = [
        Self::PreToolUse,
        Self::PostToolUse,
        Self::UserPromptSubmit,
        Self::Stop,
        Self::SubagentStop,
        Self::SessionStart,
        Self::SessionEnd,
        Self::Notification,
        Self::PreCompact,
    ];

    /// Its name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::PreToolUse => "PreToolUse",
            Self::PostToolUse => "PostToolUse",
            Self::UserPromptSubmit => "UserPromptSubmit",
            Self::Stop => "Stop",
            Self::SubagentStop => "SubagentStop",
            Self::SessionStart => "SessionStart",
            Self::SessionEnd => "SessionEnd",
            Self::Notification => "Notification",
            Self::PreCompact => "PreCompact",
        }
    }

    /// The event named `name`.
    ///
    /// # Errors
    /// The message for an unknown name.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|e| e.as_str() == name).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|e| e.as_str()).collect();
            format!("unknown event '{name}': expected one of {}", names.join(", "))
        })
    }

    /// Gemini CLI's name for it (0.61), if gemini has one.
    #[must_use]
    pub const fn gemini(self) -> Option<&'static str> {
        match self {
            Self::PreToolUse => Some("BeforeTool"),
            Self::PostToolUse => Some("AfterTool"),
            Self::UserPromptSubmit => Some("BeforeAgent"),
            Self::Stop => Some("AfterAgent"),
            Self::SessionStart => Some("SessionStart"),
            Self::SessionEnd => Some("SessionEnd"),
            Self::Notification => Some("Notification"),
            Self::PreCompact => Some("PreCompress"),
            Self::SubagentStop => None,
        }
    }
}

/// A skill, command, hook or rule as a run was given it: its definition when the
/// run was queued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GivenToolingItem {
    /// Its id (the prefix says its kind).
    pub id: ItemId,
    /// Its name: a skill's folder, a command's `/name`.
    pub name: String,
    /// The definition's version (1, then one more per change).
    pub version: u32,
    /// What it is for (a skill's and a command's description).
    #[serde(default)]
    pub description: Option<String>,
    /// A skill's `SKILL.md`, a command's template, a hook's shell command, a rule's instructions.
    pub content: String,
    /// A skill's other files, by relative path.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
    /// A hook's event.
    #[serde(default)]
    pub event: Option<HookEvent>,
    /// A hook's matcher (tool names, in the CLI's own names).
    #[serde(default)]
    pub matcher: Option<String>,
    /// A command's argument hint.
    #[serde(default)]
    pub arguments: Option<String>,
}

impl GivenToolingItem {
    /// Its kind.
    #[must_use]
    pub fn kind(&self) -> ItemKind {
        self.id.kind()
    }

    /// `SKILL.md` or a command file: the text, with frontmatter made from the name,
    /// description (and a command's argument hint) when the text has none.
    #[must_use]
    pub fn markdown(&self) -> String {
        if split_frontmatter(&self.content).0.is_some() {
            return self.content.clone();
        }
        let quoted = |v: &str| serde_json::to_string(v).unwrap_or_default();
        let mut head = String::from("---\n");
        if self.kind() == ItemKind::Skill {
            head.push_str(&format!("name: {}\n", self.name));
        }
        if let Some(d) = &self.description {
            head.push_str(&format!("description: {}\n", quoted(d)));
        }
        if let Some(a) = &self.arguments {
            head.push_str(&format!("argument-hint: {}\n", quoted(a)));
        }
        format!("{head}---\n{}", self.content)
    }
}

/// `text`'s YAML frontmatter (between `---` lines at its start) and the rest.
#[must_use]
pub fn split_frontmatter(text: &str) -> (Option<&str>, &str) {
    let Some(after) = text.strip_prefix("---\n").or_else(|| text.strip_prefix("---\r\n")) else {
        return (None, text);
    };
    let mut at = 0;
    for line in after.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return (Some(&after[..at]), &after[at + line.len()..]);
        }
        at += line.len();
    }
    (None, text)
}

/// The rules, as one markdown document: each under its name.
#[must_use]
pub fn rules_document(rules: &[&GivenToolingItem]) -> String {
    rules.iter().map(|r| format!("## {}\n\n{}\n", r.name, r.content.trim_end())).collect::<Vec<_>>().join("\n")
}

/// Hooks as Claude Code's and Gemini CLI's settings hold them:
/// `{EVENT: [{"matcher", "hooks": [{"type": "command", "command"}]}]}`, events named by `name`.
#[must_use]
pub fn hooks_config(hooks: &[&GivenToolingItem], name: fn(HookEvent) -> Option<&'static str>) -> Value {
    let mut by_event = Map::new();
    for hook in hooks {
        let Some(event) = hook.event.and_then(name) else { continue };
        let mut group = Map::new();
        if let Some(m) = &hook.matcher {
            group.insert("matcher".into(), Value::String(m.clone()));
        }
        group.insert("hooks".into(), json!([{ "type": "command", "command": hook.content, "name": hook.name }]));
        if let Value::Array(groups) = by_event.entry(event.to_owned()).or_insert_with(|| Value::Array(Vec::new())) {
            groups.push(Value::Object(group));
        }
    }
    Value::Object(by_event)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: ItemKind, name: &str, content: &str) -> GivenToolingItem {
        GivenToolingItem {
            id: ItemId::generate(kind),
            name: name.into(),
            version: 1,
            description: None,
            content: content.into(),
            files: BTreeMap::new(),
            event: None,
            matcher: None,
            arguments: None,
        }
    }

    #[test]
    fn frontmatter_is_kept_when_written_and_made_when_not() {
        assert_eq!(split_frontmatter("---\nname: a\n---\nbody\n"), (Some("name: a\n"), "body\n"));
        assert_eq!(split_frontmatter("---\nno end\n"), (None, "---\nno end\n"));
        assert_eq!(split_frontmatter("plain"), (None, "plain"));
        let own = item(ItemKind::Skill, "review", "---\nname: review\nlicense: MIT\n---\nDo it.\n");
        assert_eq!(own.markdown(), own.content);
        let made = GivenToolingItem {
            description: Some("Review: \"carefully\"".into()),
            ..item(ItemKind::Skill, "review", "Do it.\n")
        };
        assert_eq!(made.markdown(), "---\nname: review\ndescription: \"Review: \\\"carefully\\\"\"\n---\nDo it.\n");
        let command = GivenToolingItem {
            description: Some("Greets".into()),
            arguments: Some("[name]".into()),
            ..item(ItemKind::Command, "hello", "Say hello to $ARGUMENTS\n")
        };
        assert_eq!(
            command.markdown(),
            "---\ndescription: \"Greets\"\nargument-hint: \"[name]\"\n---\nSay hello to $ARGUMENTS\n"
        );
    }

    #[test]
    fn hooks_are_grouped_by_event_in_each_clis_names_and_rules_joined_under_their_names() {
        let hook = |name: &str, event, matcher: Option<&str>| GivenToolingItem {
            event: Some(event),
            matcher: matcher.map(Into::into),
            ..item(ItemKind::Hook, name, &format!("echo {name}"))
        };
        let (a, b, c) = (
            hook("a", HookEvent::PreToolUse, Some("Bash")),
            hook("b", HookEvent::PreToolUse, None),
            hook("c", HookEvent::SubagentStop, None),
        );
        let hooks = [&a, &b, &c];
        let claude = hooks_config(&hooks, |e| Some(e.as_str()));
        assert_eq!(claude["PreToolUse"][0]["matcher"], "Bash");
        assert_eq!(claude["PreToolUse"][1]["hooks"][0], json!({"type": "command", "command": "echo b", "name": "b"}));
        assert_eq!(claude["SubagentStop"][0]["hooks"][0]["command"], "echo c");
        let gemini = hooks_config(&hooks, HookEvent::gemini);
        assert_eq!(gemini.as_object().unwrap().keys().collect::<Vec<_>>(), ["BeforeTool"]);
        let rules = [&item(ItemKind::Rule, "style", "Use tabs.\n"), &item(ItemKind::Rule, "tests", "Test it.")];
        assert_eq!(rules_document(&rules), "## style\n\nUse tabs.\n\n## tests\n\nTest it.\n");
        assert!(HookEvent::parse("BeforeTool").unwrap_err().contains("expected one of PreToolUse"));
    }
}
