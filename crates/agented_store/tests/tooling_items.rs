//! Skills, commands, hooks and rules against a real SQLite file or PostgreSQL
//! database: every field round trips, names are unique within a kind, an update
//! lands only over the version it follows.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_executions::tooling::HookEvent;
use agented_kernel::{ItemId, ItemKind};
use agented_store::SqlToolingItems;
use agented_store::testing::Scratch;
use agented_tooling::{ToolingItem, ToolingItemRepository, WriteError};
use chrono::{SubsecRound, Utc};
use std::collections::BTreeMap;

fn item(kind: ItemKind, name: &str) -> ToolingItem {
    let now = Utc::now().trunc_subsecs(6);
    ToolingItem {
        id: ItemId::generate(kind),
        name: name.into(),
        description: Some("What it is for".into()),
        content: "---\nname: x\n---\nDo the thing.\n".into(),
        files: BTreeMap::new(),
        event: None,
        matcher: None,
        arguments: None,
        rule_type: None,
        enabled: true,
        version: 1,
        created_at: now,
        updated_at: now,
    }
}

#[tokio::test]
async fn items_round_trip_by_kind_with_names_unique_within_one() {
    let dir = Scratch::new();
    let store = SqlToolingItems::new(dir.database());
    let skill = ToolingItem {
        files: BTreeMap::from([("scripts/check.sh".into(), "#!/bin/sh\necho ok\n".into())]),
        ..item(ItemKind::Skill, "review")
    };
    let hook = ToolingItem {
        event: Some(HookEvent::PreToolUse),
        matcher: Some("Bash|Write".into()),
        content: "./guard.sh".into(),
        ..item(ItemKind::Hook, "review")
    };
    let command = ToolingItem { arguments: Some("[file]".into()), ..item(ItemKind::Command, "explain") };
    let rule = ToolingItem { rule_type: Some("style".into()), ..item(ItemKind::Rule, "tabs") };
    for i in [&skill, &hook, &command, &rule] {
        store.insert(i).await.unwrap();
        assert_eq!(store.get(&i.id).await.unwrap().as_ref(), Some(i));
        assert_eq!(store.list(i.kind()).await.unwrap(), vec![i.clone()]);
    }
    let twin = item(ItemKind::Skill, "review");
    assert!(matches!(store.insert(&twin).await, Err(WriteError::NameTaken(name)) if name == "review"));
    assert!(store.get(&ItemId::generate(ItemKind::Rule)).await.unwrap().is_none());
}

#[tokio::test]
async fn an_update_lands_only_over_the_version_it_follows() {
    let dir = Scratch::new();
    let store = SqlToolingItems::new(dir.database());
    let rule = item(ItemKind::Rule, "tabs");
    store.insert(&rule).await.unwrap();
    store.insert(&item(ItemKind::Rule, "spaces")).await.unwrap();
    let second = ToolingItem { version: 2, content: "Use tabs.".into(), ..rule.clone() };
    assert!(store.update(&second).await.unwrap());
    assert_eq!(store.get(&rule.id).await.unwrap(), Some(second.clone()));
    // A second edit of the first read follows version 1, which is gone.
    let stale = ToolingItem { version: 2, content: "Use spaces.".into(), ..rule.clone() };
    assert!(!store.update(&stale).await.unwrap());
    assert_eq!(store.get(&rule.id).await.unwrap(), Some(second.clone()));
    let renamed = ToolingItem { version: 3, name: "spaces".into(), ..second };
    assert!(matches!(store.update(&renamed).await, Err(WriteError::NameTaken(_))));
    assert!(store.delete(&rule.id).await.unwrap());
    assert!(!store.delete(&rule.id).await.unwrap());
}
