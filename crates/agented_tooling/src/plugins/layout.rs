//! Claude Code's plugin and marketplace layouts, read and written. A plugin folder
//! holds `.claude-plugin/plugin.json`, `commands/NAME.md`, `skills/NAME/SKILL.md`
//! with the skill's files, and `hooks/hooks.json`; a marketplace holds
//! `.claude-plugin/marketplace.json`, listing plugins by folder.

use crate::items::model::{ItemFields, ItemPatch, ToolingItem};
use crate::plugins::model::{HOOKS, MANIFEST, MARKETPLACE, MarketplaceRef, Plugin};
use agented_executions::tooling::{HookEvent, split_frontmatter};
use agented_kernel::ItemKind;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// A plugin read from its files, not stored yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginDraft {
    /// Its manifest's `name`.
    pub name: String,
    /// Its manifest's `description`.
    pub description: Option<String>,
    /// Its manifest's `version`.
    pub version: Option<String>,
    /// Its manifest's `author.name`.
    pub author: Option<String>,
    /// The manifest as it was.
    pub manifest: String,
    /// The items to make: kind, the file they come from, their fields.
    pub items: Vec<(ItemKind, String, ItemFields)>,
    /// Every other file, as it was.
    pub files: BTreeMap<String, String>,
    /// The marketplace it came with.
    pub marketplace: Option<MarketplaceRef>,
    /// What was kept only as a file, and why.
    pub warnings: Vec<String>,
}

/// `files` (paths relative to the repository or folder) as plugins: one, or each one a
/// marketplace lists by a folder inside it. Entries elsewhere are said in the second list.
///
/// # Errors
/// Why the files are neither a plugin nor a marketplace.
pub fn read(files: &BTreeMap<String, String>) -> Result<(Vec<PluginDraft>, Vec<String>), String> {
    let Some(listing) = files.get(MARKETPLACE) else { return Ok((vec![plugin(files.clone(), None)?], Vec::new())) };
    let market: Value = serde_json::from_str(listing).map_err(|e| format!("{MARKETPLACE} is not JSON: {e}"))?;
    let name = market["name"].as_str().ok_or(format!("{MARKETPLACE} has no name"))?.to_owned();
    let entries = market["plugins"].as_array().ok_or(format!("{MARKETPLACE} lists no plugins"))?;
    let root = market["metadata"]["pluginRoot"].as_str().unwrap_or("").trim_matches(['.', '/']).to_owned();
    let mut folders = Vec::new();
    let mut skipped = Vec::new();
    for entry in entries {
        let label = entry["name"].as_str().unwrap_or("?");
        match entry["source"].as_str().map(|s| folder(&root, s)) {
            Some(Some(dir)) if files.keys().any(|p| p.starts_with(&format!("{dir}/"))) => folders.push(dir),
            Some(Some(dir)) => skipped.push(format!("plugin '{label}': its folder {dir} is not in the marketplace")),
            _ => skipped.push(format!("plugin '{label}': its source is elsewhere (only folders inside are imported)")),
        }
    }
    let outside: BTreeMap<String, String> = files
        .iter()
        .filter(|(p, _)| p.as_str() != MARKETPLACE && !folders.iter().any(|d| p.starts_with(&format!("{d}/"))))
        .map(|(p, t)| (p.clone(), t.clone()))
        .collect();
    let plugins = folders
        .iter()
        .map(|dir| {
            let prefix = format!("{dir}/");
            let own = files.iter().filter_map(|(p, t)| Some((p.strip_prefix(&prefix)?.to_owned(), t.clone())));
            let at = MarketplaceRef {
                name: name.clone(),
                manifest: listing.clone(),
                path: dir.clone(),
                files: outside.clone(),
            };
            plugin(own.collect(), Some(at)).map_err(|why| format!("{dir}: {why}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((plugins, skipped))
}

/// The folder a marketplace entry's `source` names, when it is one inside it.
fn folder(root: &str, source: &str) -> Option<String> {
    let relative = source.strip_prefix("./").unwrap_or(source).trim_end_matches('/');
    let joined =
        if root.is_empty() || source.starts_with("./") { relative.to_owned() } else { format!("{root}/{relative}") };
    let inside = !joined.is_empty() && !source.contains("://") && joined.split('/').all(|p| !p.is_empty() && p != "..");
    inside.then_some(joined)
}

/// One plugin's folder.
fn plugin(mut files: BTreeMap<String, String>, marketplace: Option<MarketplaceRef>) -> Result<PluginDraft, String> {
    let manifest = files.remove(MANIFEST).ok_or(format!("not a Claude Code plugin: {MANIFEST} is missing"))?;
    let meta: Value = serde_json::from_str(&manifest).map_err(|e| format!("{MANIFEST} is not JSON: {e}"))?;
    let name = meta["name"].as_str().filter(|n| !n.is_empty()).ok_or(format!("{MANIFEST} has no name"))?.to_owned();
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let mut draft = PluginDraft {
        name,
        description: text(&meta["description"]),
        version: text(&meta["version"]),
        author: text(&meta["author"]["name"]).or_else(|| text(&meta["author"])),
        manifest,
        items: Vec::new(),
        files: BTreeMap::new(),
        marketplace,
        warnings: Vec::new(),
    };
    let skills: Vec<String> = files
        .keys()
        .filter_map(|p| p.strip_prefix("skills/")?.strip_suffix("/SKILL.md").filter(|d| !d.contains('/')))
        .map(str::to_owned)
        .collect();
    for dir in skills {
        let prefix = format!("skills/{dir}/");
        let own: BTreeMap<String, String> =
            files.iter().filter_map(|(p, t)| Some((p.strip_prefix(&prefix)?.to_owned(), t.clone()))).collect();
        let mut rest = own.clone();
        let content = rest.remove("SKILL.md").unwrap_or_default();
        let fields = item(ItemKind::Skill, &dir, &content, Some(rest));
        if draft.add(ItemKind::Skill, format!("{prefix}SKILL.md"), fields) {
            files.retain(|p, _| !p.starts_with(&prefix));
        }
    }
    let commands: Vec<String> = files
        .keys()
        .filter(|p| p.strip_prefix("commands/").is_some_and(|n| !n.contains('/') && n.ends_with(".md")))
        .cloned()
        .collect();
    for path in commands {
        let name = path.trim_start_matches("commands/").trim_end_matches(".md").to_owned();
        let content = files.get(&path).cloned().unwrap_or_default();
        if draft.add(ItemKind::Command, path.clone(), item(ItemKind::Command, &name, &content, None)) {
            files.remove(&path);
        }
    }
    if let Some(hooks) = files.get(HOOKS) {
        draft.hooks(hooks);
    }
    draft.files = files;
    Ok(draft)
}

/// A skill's or command's fields from its file: frontmatter gives the description (and a
/// command's argument hint).
fn item(
    kind: ItemKind,
    name: &str,
    content: &str,
    files: Option<BTreeMap<String, String>>,
) -> Result<ItemFields, String> {
    let front = frontmatter(content);
    let patch = ItemPatch {
        name: Some(name.to_owned()),
        content: Some(content.to_owned()),
        description: Some(front.get("description").cloned()),
        arguments: (kind == ItemKind::Command).then(|| front.get("argument-hint").cloned()),
        files,
        ..ItemPatch::default()
    };
    patch
        .apply(kind, None)
        .map_err(|errors| errors.iter().map(|(field, why)| format!("{field} {why}")).collect::<Vec<_>>().join(", "))
}

/// The top-level `key: value` lines of `text`'s frontmatter, quotes taken off.
fn frontmatter(text: &str) -> BTreeMap<String, String> {
    let Some(yaml) = split_frontmatter(text).0 else { return BTreeMap::new() };
    yaml.lines()
        .filter(|l| !l.starts_with([' ', '\t', '#']))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| {
            let v = v.trim();
            let unquoted = serde_json::from_str::<String>(v)
                .ok()
                .or_else(|| v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')).map(|v| v.replace("''", "'")));
            (k.trim().to_owned(), unquoted.unwrap_or_else(|| v.to_owned()))
        })
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

impl PluginDraft {
    /// Adds the item `fields` describe, or says why the file stays only a file.
    fn add(&mut self, kind: ItemKind, path: String, fields: Result<ItemFields, String>) -> bool {
        match fields {
            Ok(fields) => {
                self.items.push((kind, path, fields));
                true
            }
            Err(why) => {
                self.warnings.push(format!("{path} is kept as a file, not made a {kind}: {why}"));
                false
            }
        }
    }

    /// A hook item per command handler of `hooks/hooks.json` (which stays a file as well).
    fn hooks(&mut self, text: &str) {
        let Ok(config) = serde_json::from_str::<Value>(text) else {
            self.warnings.push(format!("{HOOKS} is not JSON: kept as a file"));
            return;
        };
        let Some(events) = config["hooks"].as_object() else { return };
        for (event, groups) in events {
            let Ok(known) = HookEvent::parse(event) else {
                self.warnings.push(format!("{HOOKS}: event {event} is kept in the file only"));
                continue;
            };
            for (g, group) in groups.as_array().into_iter().flatten().enumerate() {
                for (h, handler) in group["hooks"].as_array().into_iter().flatten().enumerate() {
                    let (Some("command"), Some(command)) = (handler["type"].as_str(), handler["command"].as_str())
                    else {
                        self.warnings.push(format!("{HOOKS}: {event}[{g}] handler {h} is not a command hook"));
                        continue;
                    };
                    let patch = ItemPatch {
                        name: Some(format!("{}-{}-{}-{}", self.name, event, g + 1, h + 1)),
                        content: Some(command.to_owned()),
                        event: Some(known.as_str().to_owned()),
                        matcher: Some(group["matcher"].as_str().map(str::to_owned)),
                        ..ItemPatch::default()
                    };
                    let fields = patch.apply(ItemKind::Hook, None).map_err(|errors| {
                        errors.iter().map(|(field, why)| format!("{field} {why}")).collect::<Vec<_>>().join(", ")
                    });
                    self.add(ItemKind::Hook, HOOKS.to_owned(), fields);
                }
            }
        }
    }
}

/// `plugin`'s folder: its kept files, its manifest, and each component from its item as
/// it is now (`items`: the components that still exist). `hooks/hooks.json` is kept as
/// it was unless a hook component changed or went; then it is written from the hooks.
#[must_use]
pub fn write(plugin: &Plugin, items: &[ToolingItem]) -> BTreeMap<String, String> {
    let mut files = plugin.files.clone();
    files.insert(MANIFEST.to_owned(), plugin.manifest.clone());
    let hooks: Vec<&ToolingItem> = items.iter().filter(|i| i.kind() == ItemKind::Hook).collect();
    let imported_hooks = plugin.components.iter().filter(|c| c.id.kind() == ItemKind::Hook).count();
    if hooks.len() != imported_hooks || hooks.iter().any(|h| h.version > 1) {
        let mut events = Map::new();
        for h in &hooks {
            let mut group = Map::new();
            if let Some(m) = &h.matcher {
                group.insert("matcher".into(), m.clone().into());
            }
            group.insert("hooks".into(), json!([{ "type": "command", "command": h.content }]));
            let event = h.event.map_or("Stop", HookEvent::as_str);
            if let Value::Array(list) = events.entry(event).or_insert_with(|| Value::Array(Vec::new())) {
                list.push(Value::Object(group));
            }
        }
        let text = serde_json::to_string_pretty(&json!({ "hooks": events })).unwrap_or_default();
        files.insert(HOOKS.to_owned(), format!("{text}\n"));
    }
    for item in items {
        match item.kind() {
            ItemKind::Command => {
                files.insert(format!("commands/{}.md", item.name), item.content.clone());
            }
            ItemKind::Skill => {
                let dir = format!("skills/{}", item.name);
                files.insert(format!("{dir}/SKILL.md"), item.content.clone());
                files.extend(item.files.iter().map(|(p, t)| (format!("{dir}/{p}"), t.clone())));
            }
            ItemKind::Hook | ItemKind::Rule => {}
        }
    }
    files
}

/// A marketplace's files: its manifest and other files as they were, each plugin's folder in its place.
#[must_use]
pub fn write_marketplace(
    market: &MarketplaceRef,
    plugins: &[BTreeMap<String, String>],
    paths: &[String],
) -> BTreeMap<String, String> {
    let mut files = market.files.clone();
    files.insert(MARKETPLACE.to_owned(), market.manifest.clone());
    for (folder, own) in paths.iter().zip(plugins) {
        files.extend(own.iter().map(|(p, t)| (format!("{folder}/{p}"), t.clone())));
    }
    files
}
