//! `ToolingItemService`: skills', commands', hooks' and rules' CRUD. Each change is
//! a new version; runs record the version they were given.

use crate::items::model::{ItemPatch, ToolingItem};
use crate::ports::ToolingItemRepository;
use crate::service::ToolingError;
use agented_kernel::{Clock, ItemId, ItemKind};
use std::sync::Arc;

/// Skills, commands, hooks and rules.
#[derive(Clone)]
pub struct ToolingItemService {
    store: Arc<dyn ToolingItemRepository>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for ToolingItemService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolingItemService").finish_non_exhaustive()
    }
}

fn article(kind: ItemKind) -> String {
    format!("a {kind}")
}

impl ToolingItemService {
    /// A service over its ports.
    #[must_use]
    pub fn new(store: Arc<dyn ToolingItemRepository>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }

    /// The items of `kind`, by name.
    ///
    /// # Errors
    /// `Store`.
    pub async fn list(&self, kind: ItemKind) -> Result<Vec<ToolingItem>, ToolingError> {
        Ok(self.store.list(kind).await?)
    }

    /// One item of `kind` (an id of another kind is not found).
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn get(&self, kind: ItemKind, id: &ItemId) -> Result<ToolingItem, ToolingError> {
        let found = if id.kind() == kind { self.store.get(id).await? } else { None };
        found.ok_or_else(|| ToolingError::NotFound(kind.to_string()))
    }

    /// Creates an item of `kind`, at version 1.
    ///
    /// # Errors
    /// `Invalid`, `Duplicate`, `Store`.
    pub async fn create(&self, kind: ItemKind, request: ItemPatch) -> Result<ToolingItem, ToolingError> {
        let fields = request.apply(kind, None).map_err(ToolingError::Invalid)?;
        let now = self.clock.now();
        let item = fields.build(ItemId::generate(kind), 1, now, now);
        self.store.insert(&item).await.map_err(|e| ToolingError::writing(&article(kind), e))?;
        Ok(item)
    }

    /// Changes an item: its next version.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`, `Duplicate`, `Conflict` (changed meanwhile), `Store`.
    pub async fn update(&self, kind: ItemKind, id: &ItemId, request: ItemPatch) -> Result<ToolingItem, ToolingError> {
        let current = self.get(kind, id).await?;
        let fields = request.apply(kind, Some(&current)).map_err(ToolingError::Invalid)?;
        let changed = fields.build(current.id, current.version + 1, current.created_at, self.clock.now());
        if self.store.update(&changed).await.map_err(|e| ToolingError::writing(&article(kind), e))? {
            Ok(changed)
        } else {
            Err(ToolingError::Conflict(format!("{kind} '{}'", changed.name)))
        }
    }

    /// Removes an item.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn delete(&self, kind: ItemKind, id: &ItemId) -> Result<(), ToolingError> {
        if id.kind() == kind && self.store.delete(id).await? {
            Ok(())
        } else {
            Err(ToolingError::NotFound(kind.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fakes::MemoryToolingItems;
    use agented_kernel::ManualClock;
    use serde_json::json;

    fn service() -> (ToolingItemService, Arc<MemoryToolingItems>) {
        let store = Arc::new(MemoryToolingItems::default());
        let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
        (ToolingItemService::new(store.clone(), clock), store)
    }

    fn patch(v: serde_json::Value) -> ItemPatch {
        serde_json::from_value(v).unwrap()
    }

    #[tokio::test]
    async fn each_change_is_a_new_version_and_names_are_unique_within_a_kind() {
        let (svc, _) = service();
        let rule = svc.create(ItemKind::Rule, patch(json!({"name": "style", "content": "Tabs."}))).await.unwrap();
        assert_eq!(rule.version, 1);
        let hook = patch(json!({"name": "style", "content": "true", "event": "Stop"}));
        assert_eq!(svc.create(ItemKind::Hook, hook).await.unwrap().name, "style");
        let again = svc.create(ItemKind::Rule, patch(json!({"name": "style", "content": "x"}))).await.unwrap_err();
        assert_eq!(again.to_string(), "a rule named 'style' exists");
        let changed = svc.update(ItemKind::Rule, &rule.id, patch(json!({"content": "Spaces."}))).await.unwrap();
        assert_eq!((changed.version, changed.content.as_str(), changed.created_at), (2, "Spaces.", rule.created_at));
        let third = svc.update(ItemKind::Rule, &rule.id, patch(json!({"enabled": false}))).await.unwrap();
        assert_eq!((third.version, third.enabled), (3, false));
        assert_eq!(svc.list(ItemKind::Rule).await.unwrap(), [third]);
    }

    #[tokio::test]
    async fn another_kinds_id_is_not_found_and_a_stale_write_is_a_conflict() {
        let (svc, store) = service();
        let rule = svc.create(ItemKind::Rule, patch(json!({"name": "r", "content": "x"}))).await.unwrap();
        assert!(matches!(svc.get(ItemKind::Skill, &rule.id).await, Err(ToolingError::NotFound(_))));
        assert!(matches!(svc.delete(ItemKind::Hook, &rule.id).await, Err(ToolingError::NotFound(_))));
        // Another request writes version 2 between this one's read and its write.
        store.change_after_next_read();
        let stale = svc.update(ItemKind::Rule, &rule.id, patch(json!({"content": "y"}))).await.unwrap_err();
        assert!(matches!(stale, ToolingError::Conflict(_)), "{stale}");
        svc.delete(ItemKind::Rule, &rule.id).await.unwrap();
        assert!(matches!(svc.get(ItemKind::Rule, &rule.id).await, Err(ToolingError::NotFound(_))));
    }
}
