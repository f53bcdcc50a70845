//! Plugins on the in-memory fakes: a marketplace's plugin imported as items and kept
//! files, exported back byte for byte, edits showing in the export, a second import
//! refused whole, a deletion taking the items with it.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

use agented_kernel::{ItemKind, ManualClock};
use agented_tooling::fakes::{FakePluginFiles, MemoryPlugins, MemoryToolingItems};
use agented_tooling::{
    ItemPatch, PluginService, PluginSource, ToolingError, ToolingItemRepository, ToolingItemService,
};
use chrono::Utc;
use std::collections::BTreeMap;
use std::sync::Arc;

fn files(entries: &[(&str, &str)]) -> BTreeMap<String, String> {
    entries.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect()
}

const HOOKS: &str = r#"{
  "hooks": {
    "PreToolUse": [
      { "matcher": "Bash", "hooks": [ { "type": "command", "command": "${CLAUDE_PLUGIN_ROOT}/scripts/guard.sh", "timeout": 30 } ] }
    ],
    "Stop": [ { "hooks": [ { "type": "prompt", "prompt": "Did you finish?" } ] } ]
  }
}
"#;

/// A marketplace with one plugin inside it and one elsewhere.
fn marketplace() -> BTreeMap<String, String> {
    files(&[
        (
            ".claude-plugin/marketplace.json",
            r#"{"name": "team-tools", "owner": {"name": "Team"}, "plugins": [
                {"name": "review-kit", "source": "./plugins/review-kit", "description": "Reviews"},
                {"name": "remote", "source": {"source": "github", "repo": "acme/remote"}}
            ]}"#,
        ),
        ("README.md", "# Team tools\n"),
        (
            "plugins/review-kit/.claude-plugin/plugin.json",
            "{\n  \"name\": \"review-kit\",\n  \"version\": \"1.2.0\",\n  \"author\": {\"name\": \"Ada\"},\n  \"keywords\": [\"review\"]\n}\n",
        ),
        (
            "plugins/review-kit/commands/explain.md",
            "---\ndescription: Explain code\nargument-hint: \"[file]\"\n---\nExplain $ARGUMENTS\n",
        ),
        (
            "plugins/review-kit/skills/review/SKILL.md",
            "---\nname: review\ndescription: 'Reviews diffs: carefully'\nlicense: MIT\n---\nReview the diff.\n",
        ),
        ("plugins/review-kit/skills/review/scripts/check.sh", "#!/bin/sh\necho ok\n"),
        ("plugins/review-kit/hooks/hooks.json", HOOKS),
        ("plugins/review-kit/agents/helper.md", "---\nname: helper\n---\nHelp.\n"),
        ("plugins/review-kit/scripts/guard.sh", "#!/bin/sh\nexit 0\n"),
    ])
}

struct World {
    plugins: PluginService,
    items: ToolingItemService,
    store: Arc<MemoryToolingItems>,
}

fn world(sources: &[(&str, BTreeMap<String, String>)]) -> World {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let store = Arc::new(MemoryToolingItems::default());
    let fetch = FakePluginFiles(sources.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect());
    let plugins = PluginService::new(Arc::new(MemoryPlugins::default()), store.clone(), Arc::new(fetch), clock.clone());
    World { plugins, items: ToolingItemService::new(store.clone(), clock), store }
}

#[tokio::test]
async fn a_marketplace_round_trips_byte_for_byte_and_edits_show_in_the_export() {
    let w = world(&[("https://example.com/team-tools.git", marketplace())]);
    let source = PluginSource::Git { url: "https://example.com/team-tools.git".into(), reference: None };
    let imported = w.plugins.import(source).await.unwrap();
    assert_eq!(imported.plugins.len(), 1);
    let plugin = &imported.plugins[0];
    assert_eq!(
        (plugin.name.as_str(), plugin.version.as_deref(), plugin.author.as_deref()),
        ("review-kit", Some("1.2.0"), Some("Ada"))
    );
    assert_eq!(plugin.source, "https://example.com/team-tools.git");
    let kinds: Vec<(ItemKind, &str)> = plugin.components.iter().map(|c| (c.id.kind(), c.path.as_str())).collect();
    assert_eq!(
        kinds,
        [
            (ItemKind::Skill, "skills/review/SKILL.md"),
            (ItemKind::Command, "commands/explain.md"),
            (ItemKind::Hook, "hooks/hooks.json")
        ]
    );
    let skill = w.store.get(&plugin.components[0].id).await.unwrap().unwrap();
    assert_eq!((skill.description.as_deref(), skill.files.len()), (Some("Reviews diffs: carefully"), 1));
    let command = w.store.get(&plugin.components[1].id).await.unwrap().unwrap();
    assert_eq!((command.description.as_deref(), command.arguments.as_deref()), (Some("Explain code"), Some("[file]")));
    let hook = w.store.get(&plugin.components[2].id).await.unwrap().unwrap();
    assert_eq!(
        (hook.content.as_str(), hook.matcher.as_deref()),
        ("${CLAUDE_PLUGIN_ROOT}/scripts/guard.sh", Some("Bash"))
    );
    assert_eq!(imported.warnings, ["review-kit: hooks/hooks.json: Stop[0] handler 0 is not a command hook"]);
    assert_eq!(imported.skipped, ["plugin 'remote': its source is elsewhere (only folders inside are imported)"]);

    // Lossless: the marketplace and the plugin come back as they were.
    assert_eq!(w.plugins.export_marketplace("team-tools").await.unwrap(), marketplace());
    let own: BTreeMap<String, String> = marketplace()
        .into_iter()
        .filter_map(|(p, t)| Some((p.strip_prefix("plugins/review-kit/")?.to_owned(), t)))
        .collect();
    assert_eq!(w.plugins.export(&plugin.id).await.unwrap().1, own);

    // An edited command is exported as it is now; an edited hook rewrites hooks.json.
    let change = |json: serde_json::Value| serde_json::from_value::<ItemPatch>(json).unwrap();
    w.items
        .update(ItemKind::Command, &command.id, change(serde_json::json!({"content": "Explain it.\n"})))
        .await
        .unwrap();
    w.items.update(ItemKind::Hook, &hook.id, change(serde_json::json!({"content": "./guard.sh"}))).await.unwrap();
    let now = w.plugins.export(&plugin.id).await.unwrap().1;
    assert_eq!(now["commands/explain.md"], "Explain it.\n");
    let hooks: serde_json::Value = serde_json::from_str(&now["hooks/hooks.json"]).unwrap();
    assert_eq!(hooks["hooks"]["PreToolUse"][0]["hooks"][0]["command"], "./guard.sh");
}

#[tokio::test]
async fn a_second_import_is_refused_whole_and_a_deletion_takes_the_items_along() {
    let plugin: BTreeMap<String, String> = marketplace()
        .into_iter()
        .filter_map(|(p, t)| Some((p.strip_prefix("plugins/review-kit/")?.to_owned(), t)))
        .collect();
    let w = world(&[("/srv/review-kit", plugin.clone())]);
    let first = w.plugins.import(PluginSource::Folder("/srv/review-kit".into())).await.unwrap();
    assert_eq!(first.plugins[0].source, "/srv/review-kit");
    let again = w.plugins.import(PluginSource::Files(plugin.clone())).await.unwrap_err();
    assert_eq!(again.to_string(), "a plugin named 'review-kit' exists");
    let mut renamed = plugin.clone();
    renamed.insert(".claude-plugin/plugin.json".into(), r#"{"name": "other-kit"}"#.into());
    let clash = w.plugins.import(PluginSource::Files(renamed)).await.unwrap_err();
    assert_eq!(clash.to_string(), "a skill named 'review' exists", "checked before anything is written");
    assert_eq!(w.items.list(ItemKind::Command).await.unwrap().len(), 1);

    for (files, field, message) in [
        (files(&[("README.md", "x")]), "source", "not a Claude Code plugin: .claude-plugin/plugin.json is missing"),
        (files(&[(".claude-plugin/plugin.json", "{")]), "source", ".claude-plugin/plugin.json is not JSON"),
        (
            files(&[(".claude-plugin/marketplace.json", "{\"plugins\": []}")]),
            "source",
            ".claude-plugin/marketplace.json has no name",
        ),
    ] {
        let Err(ToolingError::Invalid(errors)) = w.plugins.import(PluginSource::Files(files)).await else {
            panic!("refused")
        };
        assert!(errors[field].starts_with(message), "{errors:?}");
    }
    let Err(ToolingError::Invalid(errors)) = w.plugins.import(PluginSource::Folder("/nowhere".into())).await else {
        panic!("refused")
    };
    assert_eq!(errors["path"], "/nowhere is not a folder");

    w.plugins.delete(&first.plugins[0].id).await.unwrap();
    for kind in [ItemKind::Skill, ItemKind::Command, ItemKind::Hook] {
        assert!(w.items.list(kind).await.unwrap().is_empty(), "{kind} left behind");
    }
    assert!(matches!(w.plugins.delete(&first.plugins[0].id).await, Err(ToolingError::NotFound(_))));
}

#[tokio::test]
async fn a_file_that_cannot_be_an_item_is_kept_as_a_file_and_said() {
    let w = world(&[]);
    let odd = files(&[
        (".claude-plugin/plugin.json", r#"{"name": "odd"}"#),
        ("commands/Has Space.md", "x"),
        ("skills/NoDescription/SKILL.md", "Do it."),
    ]);
    let imported = w.plugins.import(PluginSource::Files(odd.clone())).await.unwrap();
    assert!(imported.plugins[0].components.is_empty());
    assert_eq!(imported.warnings.len(), 2, "{:?}", imported.warnings);
    assert!(imported.warnings[0].contains("skills/NoDescription/SKILL.md is kept as a file, not made a skill"));
    assert_eq!(w.plugins.export(&imported.plugins[0].id).await.unwrap().1, odd);
}
