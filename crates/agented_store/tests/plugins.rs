//! Plugins against a real SQLite file or PostgreSQL database: every field round trips
//! (components, kept files, the marketplace), names are unique.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{ItemId, ItemKind, PluginId};
use agented_store::SqlPlugins;
use agented_store::testing::Scratch;
use agented_tooling::{Component, MarketplaceRef, Plugin, PluginRepository, WriteError};
use chrono::{SubsecRound, Utc};
use std::collections::BTreeMap;

fn plugin(name: &str) -> Plugin {
    Plugin {
        id: PluginId::generate(),
        name: name.into(),
        description: Some("Reviews".into()),
        version: Some("1.2.0".into()),
        author: None,
        manifest: format!("{{\"name\": \"{name}\"}}\n"),
        components: vec![Component { id: ItemId::generate(ItemKind::Skill), path: "skills/review/SKILL.md".into() }],
        files: BTreeMap::from([("agents/helper.md".into(), "Help.\n".into())]),
        marketplace: Some(MarketplaceRef {
            name: "team".into(),
            manifest: "{}".into(),
            path: format!("plugins/{name}"),
            files: BTreeMap::from([("README.md".into(), "# Team\n".into())]),
        }),
        source: "https://example.com/team.git".into(),
        created_at: Utc::now().trunc_subsecs(6),
    }
}

#[tokio::test]
async fn plugins_round_trip_with_unique_names() {
    let dir = Scratch::new();
    let store = SqlPlugins::new(dir.database());
    let kit = plugin("review-kit");
    store.insert(&kit).await.unwrap();
    assert_eq!(store.get(&kit.id).await.unwrap(), Some(kit.clone()));
    assert!(matches!(store.insert(&plugin("review-kit")).await, Err(WriteError::NameTaken(_))));
    let bare = Plugin { marketplace: None, components: Vec::new(), ..plugin("bare") };
    store.insert(&bare).await.unwrap();
    assert_eq!(store.list().await.unwrap(), vec![bare.clone(), kit.clone()]);
    assert!(store.delete(&kit.id).await.unwrap());
    assert!(!store.delete(&kit.id).await.unwrap());
    assert_eq!(store.get(&kit.id).await.unwrap(), None);
}
