//! A skill, command, hook or rule as stored: a name, a text, and what its kind
//! adds (a skill's files, a hook's event and matcher, a command's argument hint,
//! a rule's type). Every change makes a new version.

use crate::mcp::model::FieldErrors;
use agented_executions::tooling::{GivenToolingItem, HookEvent};
use agented_kernel::{ItemId, ItemKind};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Component, Path};

/// The longest name.
pub const MAX_NAME_CHARS: usize = 64;
/// The longest description (skills' standard allows 1024).
pub const MAX_DESCRIPTION_CHARS: usize = 1024;
/// The longest text: a `SKILL.md`, a command, a hook's command, a rule.
pub const MAX_CONTENT_BYTES: usize = 64 * 1024;
/// Most files of a skill besides `SKILL.md`.
pub const MAX_SKILL_FILES: usize = 50;
/// The most bytes of a skill's files together.
pub const MAX_SKILL_BYTES: usize = 1024 * 1024;
/// The longest matcher, argument hint or file path.
pub const MAX_SHORT_CHARS: usize = 200;
/// A rule's type when none is given (the original's).
pub const DEFAULT_RULE_TYPE: &str = "validation";

/// A stored skill, command, hook or rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolingItem {
    /// Its id; the prefix says its kind.
    pub id: ItemId,
    /// A skill's folder and a command's `/name`: unique within its kind.
    pub name: String,
    /// What it is for (required for skills: agents pick skills by it).
    pub description: Option<String>,
    /// A skill's `SKILL.md`, a command's template, a hook's shell command, a rule's instructions.
    pub content: String,
    /// A skill's other files, by relative path.
    pub files: BTreeMap<String, String>,
    /// A hook's event.
    pub event: Option<HookEvent>,
    /// A hook's matcher.
    pub matcher: Option<String>,
    /// A command's argument hint.
    pub arguments: Option<String>,
    /// A rule's type (`validation`, `style`, …).
    pub rule_type: Option<String>,
    /// Whether runs get it.
    pub enabled: bool,
    /// 1, then one more per change.
    pub version: u32,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl ToolingItem {
    /// Its kind.
    #[must_use]
    pub fn kind(&self) -> ItemKind {
        self.id.kind()
    }
}

impl From<&ToolingItem> for GivenToolingItem {
    fn from(i: &ToolingItem) -> Self {
        Self {
            id: i.id.clone(),
            name: i.name.clone(),
            version: i.version,
            description: i.description.clone(),
            content: i.content.clone(),
            files: i.files.clone(),
            event: i.event,
            matcher: i.matcher.clone(),
            arguments: i.arguments.clone(),
        }
    }
}

/// A requested item or change (`POST`, `PUT`). Absent keeps; `null` clears an optional field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ItemPatch {
    /// Required on create.
    pub name: Option<String>,
    /// What it is for.
    #[serde(deserialize_with = "nullable")]
    pub description: Option<Option<String>>,
    /// Required on create.
    pub content: Option<String>,
    /// Skills only.
    pub files: Option<BTreeMap<String, String>>,
    /// Hooks only; required for them.
    pub event: Option<String>,
    /// Hooks only.
    #[serde(deserialize_with = "nullable")]
    pub matcher: Option<Option<String>>,
    /// Commands only.
    #[serde(deserialize_with = "nullable")]
    pub arguments: Option<Option<String>>,
    /// Rules only.
    pub rule_type: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// `null` as `Some(None)`, apart from an absent field (`None`).
fn nullable<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

impl ItemPatch {
    /// `current` (or, with `None`, nothing yet) with this change applied: the fields of
    /// an item of `kind`, checked; `version` and times are left to the caller.
    ///
    /// # Errors
    /// Field → why, for every refused field.
    pub fn apply(self, kind: ItemKind, current: Option<&ToolingItem>) -> Result<ItemFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut next = current.map_or_else(ItemFields::default, ItemFields::of);
        let mut only = |field: &str, allowed: ItemKind, given: bool| {
            if given && kind != allowed {
                errors.insert(field.into(), format!("only {} have {field}", allowed.plural()));
            }
            given && kind == allowed
        };
        let (files, event, matcher, arguments, rule_type) = (
            only("files", ItemKind::Skill, self.files.is_some()),
            only("event", ItemKind::Hook, self.event.is_some()),
            only("matcher", ItemKind::Hook, self.matcher.is_some()),
            only("arguments", ItemKind::Command, self.arguments.is_some()),
            only("rule_type", ItemKind::Rule, self.rule_type.is_some()),
        );
        if let Some(name) = self.name {
            next.name = name.trim().to_owned();
        }
        if let Some(d) = self.description {
            next.description = d.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        }
        if let Some(c) = self.content {
            next.content = c;
        }
        if files {
            next.files = self.files.unwrap_or_default();
        }
        if event {
            match self.event.as_deref().map(HookEvent::parse).transpose() {
                Ok(e) => next.event = e,
                Err(why) => drop(errors.insert("event".into(), why)),
            }
        }
        if matcher {
            next.matcher = self.matcher.flatten().map(|m| m.trim().to_owned()).filter(|m| !m.is_empty());
        }
        if arguments {
            next.arguments = self.arguments.flatten().map(|a| a.trim().to_owned()).filter(|a| !a.is_empty());
        }
        if rule_type {
            next.rule_type = self.rule_type.map(|t| t.trim().to_owned());
        }
        if kind == ItemKind::Rule && next.rule_type.is_none() {
            next.rule_type = Some(DEFAULT_RULE_TYPE.into());
        }
        if let Some(e) = self.enabled {
            next.enabled = e;
        }
        next.check(kind, &mut errors);
        if errors.is_empty() { Ok(next) } else { Err(errors) }
    }
}

/// An item's settings, checked (all but whether its name is free).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFields {
    /// See [`ToolingItem`].
    pub name: String,
    /// See [`ToolingItem`].
    pub description: Option<String>,
    /// See [`ToolingItem`].
    pub content: String,
    /// See [`ToolingItem`].
    pub files: BTreeMap<String, String>,
    /// See [`ToolingItem`].
    pub event: Option<HookEvent>,
    /// See [`ToolingItem`].
    pub matcher: Option<String>,
    /// See [`ToolingItem`].
    pub arguments: Option<String>,
    /// See [`ToolingItem`].
    pub rule_type: Option<String>,
    /// See [`ToolingItem`].
    pub enabled: bool,
}

impl Default for ItemFields {
    fn default() -> Self {
        Self {
            name: String::new(),
            description: None,
            content: String::new(),
            files: BTreeMap::new(),
            event: None,
            matcher: None,
            arguments: None,
            rule_type: None,
            enabled: true,
        }
    }
}

impl ItemFields {
    fn of(i: &ToolingItem) -> Self {
        Self {
            name: i.name.clone(),
            description: i.description.clone(),
            content: i.content.clone(),
            files: i.files.clone(),
            event: i.event,
            matcher: i.matcher.clone(),
            arguments: i.arguments.clone(),
            rule_type: i.rule_type.clone(),
            enabled: i.enabled,
        }
    }

    /// The stored item: these fields under `id`, at `version`.
    #[must_use]
    pub fn build(self, id: ItemId, version: u32, created_at: DateTime<Utc>, now: DateTime<Utc>) -> ToolingItem {
        ToolingItem {
            id,
            name: self.name,
            description: self.description,
            content: self.content,
            files: self.files,
            event: self.event,
            matcher: self.matcher,
            arguments: self.arguments,
            rule_type: self.rule_type,
            enabled: self.enabled,
            version,
            created_at,
            updated_at: now,
        }
    }

    fn check(&self, kind: ItemKind, errors: &mut FieldErrors) {
        let mut refuse = |field: &str, why: String| {
            errors.entry(field.into()).or_insert(why);
        };
        // Skills' and commands' names become folder and file names and `/name`s.
        let name_ok = |c: char| match kind {
            ItemKind::Skill => c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
            _ => c.is_ascii_alphanumeric() || c == '-' || c == '_',
        };
        if self.name.is_empty() {
            refuse("name", "required".into());
        } else if self.name.chars().count() > MAX_NAME_CHARS || !self.name.chars().all(name_ok) {
            let allowed =
                if kind == ItemKind::Skill { "lowercase letters, digits and -" } else { "letters, digits, - and _" };
            refuse("name", format!("1 to {MAX_NAME_CHARS} of {allowed}"));
        }
        if self.description.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS) {
            refuse("description", format!("at most {MAX_DESCRIPTION_CHARS} characters"));
        }
        if kind == ItemKind::Skill && self.description.is_none() {
            refuse("description", "required for a skill: agents choose skills by their description".into());
        }
        if self.content.trim().is_empty() {
            refuse("content", "required".into());
        } else if self.content.len() > MAX_CONTENT_BYTES || self.content.contains('\0') {
            refuse("content", format!("at most {MAX_CONTENT_BYTES} bytes of text"));
        }
        if kind == ItemKind::Hook {
            if self.event.is_none() {
                refuse("event", "required for a hook".into());
            }
            if self.content.contains('\n') {
                refuse("content", "a hook's command is one line".into());
            }
        }
        let too_long = |v: &Option<String>| v.as_ref().is_some_and(|v| v.chars().count() > MAX_SHORT_CHARS);
        if too_long(&self.matcher) {
            refuse("matcher", format!("at most {MAX_SHORT_CHARS} characters"));
        }
        if too_long(&self.arguments) {
            refuse("arguments", format!("at most {MAX_SHORT_CHARS} characters"));
        }
        if let Some(t) = &self.rule_type
            && (t.is_empty() || t.len() > 32 || !t.chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '-'))
        {
            refuse("rule_type", "1 to 32 of lowercase letters, _ and -".into());
        }
        if let Some(why) = files_problem(&self.files) {
            refuse("files", why);
        }
    }
}

/// Why a skill's files are refused, if they are.
fn files_problem(files: &BTreeMap<String, String>) -> Option<String> {
    if files.len() > MAX_SKILL_FILES {
        return Some(format!("at most {MAX_SKILL_FILES} files"));
    }
    if files.values().map(String::len).sum::<usize>() > MAX_SKILL_BYTES {
        return Some(format!("at most {MAX_SKILL_BYTES} bytes together"));
    }
    files.keys().find_map(|path| {
        let parts: Vec<Component<'_>> = Path::new(path).components().collect();
        let plain = !parts.is_empty()
            && parts.iter().all(|c| matches!(c, Component::Normal(p) if !p.to_string_lossy().starts_with('.')));
        let fits = path.chars().count() <= MAX_SHORT_CHARS && !path.contains('\\') && path != "SKILL.md";
        (!plain || !fits)
            .then(|| format!("'{path}' is not a relative path inside the skill's folder (SKILL.md is the content)"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn patch(v: serde_json::Value) -> ItemPatch {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn each_kind_is_checked_for_its_own_fields() {
        let skill = patch(
            json!({"name": "review", "description": "Reviews", "content": "Do it", "files": {"scripts/a.sh": "x"}}),
        )
        .apply(ItemKind::Skill, None)
        .unwrap();
        assert_eq!((skill.files.len(), skill.enabled, skill.rule_type), (1, true, None));
        let rule = patch(json!({"name": "style", "content": "Tabs"})).apply(ItemKind::Rule, None).unwrap();
        assert_eq!(rule.rule_type.as_deref(), Some("validation"));
        let hook = patch(json!({"name": "guard", "content": "./check", "event": "PreToolUse", "matcher": "Bash"}))
            .apply(ItemKind::Hook, None)
            .unwrap();
        assert_eq!((hook.event, hook.matcher.as_deref()), (Some(HookEvent::PreToolUse), Some("Bash")));

        let errors = patch(json!({"name": "Bad Name", "content": " ", "event": "PreToolUse", "files": {}}))
            .apply(ItemKind::Skill, None)
            .unwrap_err();
        let fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(fields, ["content", "description", "event", "name"]);
        assert_eq!(errors["event"], "only hooks have event");
        assert_eq!(errors["name"], "1 to 64 of lowercase letters, digits and -");
        let hook =
            patch(json!({"name": "h", "content": "a\nb", "event": "Later"})).apply(ItemKind::Hook, None).unwrap_err();
        assert!(hook["event"].starts_with("unknown event 'Later'"));
        assert_eq!(hook["content"], "a hook's command is one line");
        let rule =
            patch(json!({"name": "r", "content": "x", "rule_type": "Not OK"})).apply(ItemKind::Rule, None).unwrap_err();
        assert!(rule.contains_key("rule_type"));
    }

    #[test]
    fn a_skills_files_stay_inside_its_folder() {
        for bad in ["../x", "/etc/passwd", "a/../../b", ".hidden", "a/.git/config", "SKILL.md", "a\\b", ""] {
            let files = BTreeMap::from([(bad.to_owned(), "x".to_owned())]);
            assert!(files_problem(&files).is_some(), "{bad} passed");
        }
        let ok = BTreeMap::from([("scripts/run.sh".to_owned(), "x".to_owned()), ("ref.md".to_owned(), "y".to_owned())]);
        assert_eq!(files_problem(&ok), None);
        let many: BTreeMap<String, String> = (0..51).map(|i| (format!("f{i}"), String::new())).collect();
        assert_eq!(files_problem(&many).unwrap(), "at most 50 files");
    }

    #[test]
    fn a_change_keeps_what_it_does_not_name_and_null_clears() {
        let now = Utc::now();
        let first =
            patch(json!({"name": "hello", "content": "Hi $ARGUMENTS", "arguments": "[who]", "description": "Greets"}))
                .apply(ItemKind::Command, None)
                .unwrap()
                .build(ItemId::generate(ItemKind::Command), 1, now, now);
        let next = patch(json!({"arguments": null, "enabled": false})).apply(ItemKind::Command, Some(&first)).unwrap();
        assert_eq!((next.content.as_str(), next.arguments, next.enabled), ("Hi $ARGUMENTS", None, false));
        assert_eq!(next.description.as_deref(), Some("Greets"));
    }
}
