//! `PluginService`: import a plugin (or a marketplace's) as items and kept files,
//! export it to the same layout, delete it with its items. An import is all or
//! nothing: every name is checked before anything is written, and what was written
//! is removed again when a later write fails.

use crate::items::model::ToolingItem;
use crate::plugins::layout::{self, PluginDraft};
use crate::plugins::model::{Component, Plugin};
use crate::ports::{PluginFiles, PluginRepository, ToolingItemRepository};
use crate::service::ToolingError;
use agented_kernel::{Clock, ItemId, ItemKind, PluginId};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where an import reads from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginSource {
    /// The files themselves, by path relative to the plugin's (or marketplace's) root.
    Files(BTreeMap<String, String>),
    /// A local folder.
    Folder(String),
    /// A git repository, at a branch, tag or commit (else its default branch).
    Git {
        /// `https://…` or `file:///…`.
        url: String,
        /// What to check out.
        reference: Option<String>,
    },
}

/// What an import made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    /// The plugins stored.
    pub plugins: Vec<Plugin>,
    /// Files kept only as files, and why.
    pub warnings: Vec<String>,
    /// Marketplace entries not imported, and why.
    pub skipped: Vec<String>,
}

/// Plugins.
#[derive(Clone)]
pub struct PluginService {
    plugins: Arc<dyn PluginRepository>,
    items: Arc<dyn ToolingItemRepository>,
    files: Arc<dyn PluginFiles>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for PluginService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginService").finish_non_exhaustive()
    }
}

fn invalid(field: &str, why: String) -> ToolingError {
    ToolingError::Invalid([(field.to_owned(), why)].into())
}

impl PluginService {
    /// A service over its ports.
    #[must_use]
    pub fn new(
        plugins: Arc<dyn PluginRepository>,
        items: Arc<dyn ToolingItemRepository>,
        files: Arc<dyn PluginFiles>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { plugins, items, files, clock }
    }

    /// Every plugin, by name.
    ///
    /// # Errors
    /// `Store`.
    pub async fn list(&self) -> Result<Vec<Plugin>, ToolingError> {
        Ok(self.plugins.list().await?)
    }

    /// One plugin.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn get(&self, id: &PluginId) -> Result<Plugin, ToolingError> {
        self.plugins.get(id).await?.ok_or_else(|| ToolingError::NotFound("plugin".into()))
    }

    /// Imports the plugin at `source`, or every plugin of the marketplace there.
    ///
    /// # Errors
    /// `Invalid` (under `source`: unreadable, not a plugin), `Duplicate` (a plugin or item
    /// name is taken: nothing is stored), `Store`.
    pub async fn import(&self, source: PluginSource) -> Result<Imported, ToolingError> {
        let (files, label) = match source {
            PluginSource::Files(files) => (files, "files".to_owned()),
            PluginSource::Folder(path) => (self.files.folder(&path).await.map_err(|e| invalid("path", e))?, path),
            PluginSource::Git { url, reference } => {
                let files = self.files.git(&url, reference.as_deref()).await.map_err(|e| invalid("git", e))?;
                (files, reference.map_or_else(|| url.clone(), |r| format!("{url}@{r}")))
            }
        };
        let (drafts, skipped) = layout::read(&files).map_err(|e| invalid("source", e))?;
        self.check_names(&drafts).await?;
        let mut imported = Imported { plugins: Vec::new(), warnings: Vec::new(), skipped };
        let mut written = Vec::new();
        for draft in drafts {
            imported.warnings.extend(draft.warnings.iter().map(|w| format!("{}: {w}", draft.name)));
            match self.store(draft, &label, &mut written).await {
                Ok(plugin) => imported.plugins.push(plugin),
                Err(e) => {
                    self.undo(&written, &imported.plugins).await;
                    return Err(e);
                }
            }
        }
        Ok(imported)
    }

    /// Every name the drafts would take, checked free (and distinct) before anything is written.
    async fn check_names(&self, drafts: &[PluginDraft]) -> Result<(), ToolingError> {
        let plugins = self.plugins.list().await?;
        let mut taken: Vec<(Option<ItemKind>, String)> = plugins.into_iter().map(|p| (None, p.name)).collect();
        for kind in [ItemKind::Skill, ItemKind::Command, ItemKind::Hook] {
            taken.extend(self.items.list(kind).await?.into_iter().map(|i| (Some(kind), i.name)));
        }
        for draft in drafts {
            let names = std::iter::once((None, draft.name.clone()))
                .chain(draft.items.iter().map(|(kind, _, f)| (Some(*kind), f.name.clone())));
            for (kind, name) in names {
                if taken.contains(&(kind, name.clone())) {
                    let what = kind.map_or_else(|| "a plugin".to_owned(), |k| format!("a {k}"));
                    return Err(ToolingError::Duplicate(format!("{what} named '{name}'")));
                }
                taken.push((kind, name));
            }
        }
        Ok(())
    }

    async fn store(&self, draft: PluginDraft, source: &str, written: &mut Vec<ItemId>) -> Result<Plugin, ToolingError> {
        let now = self.clock.now();
        let mut components = Vec::new();
        for (kind, path, fields) in draft.items {
            let item = fields.build(ItemId::generate(kind), 1, now, now);
            self.items.insert(&item).await.map_err(|e| ToolingError::writing(&format!("a {kind}"), e))?;
            written.push(item.id.clone());
            components.push(Component { id: item.id, path });
        }
        let plugin = Plugin {
            id: PluginId::generate(),
            name: draft.name,
            description: draft.description,
            version: draft.version,
            author: draft.author,
            manifest: draft.manifest,
            components,
            files: draft.files,
            marketplace: draft.marketplace,
            source: source.to_owned(),
            created_at: now,
        };
        self.plugins.insert(&plugin).await.map_err(|e| ToolingError::writing("a plugin", e))?;
        Ok(plugin)
    }

    /// Removes what a failed import wrote (best effort: a failure here is logged by the store).
    async fn undo(&self, items: &[ItemId], plugins: &[Plugin]) {
        for id in items {
            let _ = self.items.delete(id).await;
        }
        for plugin in plugins {
            let _ = self.plugins.delete(&plugin.id).await;
        }
    }

    /// The plugin's folder, each component as its item is now.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn export(&self, id: &PluginId) -> Result<(Plugin, BTreeMap<String, String>), ToolingError> {
        let plugin = self.get(id).await?;
        let files = layout::write(&plugin, &self.components(&plugin).await?);
        Ok((plugin, files))
    }

    /// The marketplace `name`'s files, with every imported plugin of it in its folder.
    ///
    /// # Errors
    /// `NotFound` (no plugin came with it), `Store`.
    pub async fn export_marketplace(&self, name: &str) -> Result<BTreeMap<String, String>, ToolingError> {
        let plugins: Vec<Plugin> =
            self.list().await?.into_iter().filter(|p| p.marketplace.as_ref().is_some_and(|m| m.name == name)).collect();
        let Some(market) = plugins.first().and_then(|p| p.marketplace.clone()) else {
            return Err(ToolingError::NotFound(format!("marketplace '{name}'")));
        };
        let (mut folders, mut paths) = (Vec::new(), Vec::new());
        for plugin in &plugins {
            folders.push(layout::write(plugin, &self.components(plugin).await?));
            paths.push(plugin.marketplace.as_ref().map(|m| m.path.clone()).unwrap_or_default());
        }
        Ok(layout::write_marketplace(&market, &folders, &paths))
    }

    async fn components(&self, plugin: &Plugin) -> Result<Vec<ToolingItem>, ToolingError> {
        let mut items = Vec::new();
        for component in &plugin.components {
            if let Some(item) = self.items.get(&component.id).await?
                && !items.iter().any(|i: &ToolingItem| i.id == item.id)
            {
                items.push(item);
            }
        }
        Ok(items)
    }

    /// Removes a plugin and the items it made.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn delete(&self, id: &PluginId) -> Result<(), ToolingError> {
        let plugin = self.get(id).await?;
        for component in &plugin.components {
            self.items.delete(&component.id).await?;
        }
        if self.plugins.delete(id).await? { Ok(()) } else { Err(ToolingError::NotFound("plugin".into())) }
    }
}
