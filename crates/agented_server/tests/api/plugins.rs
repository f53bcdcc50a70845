//! Plugins over HTTP, from a real local git repository holding a marketplace: imported
//! as items and kept files, exported back unchanged (JSON and zip), a component attached
//! to a trigger like any item, bad sources refused clearly, a deletion taking its items.

use crate::support::{create_trigger, git, send};
use agented_test_support::TestApp;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

fn marketplace() -> BTreeMap<String, String> {
    [
        (
            ".claude-plugin/marketplace.json",
            "{\"name\": \"team-tools\", \"owner\": {\"name\": \"Team\"}, \"plugins\": [{\"name\": \"review-kit\", \"source\": \"./plugins/review-kit\"}]}\n",
        ),
        ("README.md", "# Team tools\n"),
        ("plugins/review-kit/.claude-plugin/plugin.json", "{\n  \"name\": \"review-kit\",\n  \"version\": \"1.0.0\"\n}\n"),
        ("plugins/review-kit/commands/explain.md", "---\ndescription: Explain code\n---\nExplain $ARGUMENTS\n"),
        ("plugins/review-kit/skills/review/SKILL.md", "---\nname: review\ndescription: Reviews diffs\n---\nReview.\n"),
        ("plugins/review-kit/skills/review/scripts/check.sh", "#!/bin/sh\necho ok\n"),
        (
            "plugins/review-kit/hooks/hooks.json",
            "{\"hooks\": {\"PreToolUse\": [{\"matcher\": \"Bash\", \"hooks\": [{\"type\": \"command\", \"command\": \"./guard.sh\"}]}]}}\n",
        ),
    ]
    .into_iter()
    .map(|(p, t)| (p.to_owned(), t.to_owned()))
    .collect()
}

fn repository(dir: &Path, files: &BTreeMap<String, String>) {
    git(&["init", "-q", "-b", "main"], dir);
    for (path, text) in files {
        let at = dir.join(path);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(at, text).unwrap();
    }
    git(&["add", "."], dir);
    git(&["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "tools"], dir);
}

#[tokio::test]
async fn a_marketplace_from_git_round_trips_and_its_components_attach_like_items() {
    let app = TestApp::spawn().await;
    let repo = tempfile::tempdir().unwrap();
    repository(repo.path(), &marketplace());
    let url = format!("file://{}", repo.path().display());
    let (status, imported) =
        send(&app, Method::POST, "/admin/plugins/import", Some(json!({ "git": url, "ref": "main" }))).await;
    assert_eq!(status, 201, "{imported}");
    let plugin = &imported["plugins"][0];
    assert_eq!((plugin["name"].as_str(), plugin["marketplace"].as_str()), (Some("review-kit"), Some("team-tools")));
    let kinds: Vec<&str> =
        plugin["components"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["skill", "command", "hook"]);
    assert_eq!(imported["warnings"], json!([]));

    let (_, exported) = send(&app, Method::GET, "/admin/plugins/marketplaces/team-tools/export", None).await;
    let files: BTreeMap<String, String> = serde_json::from_value(exported["files"].clone()).unwrap();
    assert_eq!(files, marketplace(), "the marketplace comes back as it was");
    let id = plugin["id"].as_str().unwrap();
    let zip = app.get(&format!("/admin/plugins/{id}/export?format=zip")).await;
    assert_eq!(zip.headers()["content-type"], "application/zip");
    assert!(zip.bytes().await.unwrap().starts_with(b"PK"));
    let (status, bad) = send(&app, Method::GET, &format!("/admin/plugins/{id}/export?format=tar"), None).await;
    assert_eq!((status, bad["code"].as_str()), (400, Some("invalid_format")));

    // Its skill is an ordinary skill: a trigger attaches it and claude gets it in its plugin folder.
    let skill = plugin["components"][0]["id"].as_str().unwrap();
    let trigger = create_trigger(&app, json!({ "tooling": { "skills": [skill] } })).await;
    let (_, preview) = send(&app, Method::GET, &format!("/admin/triggers/{trigger}/tooling-preview"), None).await;
    let paths: Vec<&str> = preview["files"].as_array().unwrap().iter().map(|f| f["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"<run>/claude-plugin/skills/review/scripts/check.sh"), "{preview}");

    // Importing it again stores nothing; deleting it takes its items along.
    let (status, again) = send(&app, Method::POST, "/admin/plugins/import", Some(json!({ "path": repo.path() }))).await;
    assert_eq!(status, 409, "{again}");
    let (status, _) = send(&app, Method::DELETE, &format!("/admin/plugins/{id}"), None).await;
    assert_eq!(status, 204);
    let (_, skills) = send(&app, Method::GET, "/admin/skills", None).await;
    assert_eq!(skills["items"], json!([]));
    let (_, listed) = send(&app, Method::GET, "/admin/plugins", None).await;
    assert_eq!(listed["plugins"], json!([]));
}

#[tokio::test]
async fn bad_plugin_sources_are_refused_clearly_and_store_nothing() {
    let app = TestApp::spawn().await;
    let not_a_plugin = tempfile::tempdir().unwrap();
    std::fs::write(not_a_plugin.path().join("README.md"), "hi").unwrap();
    for (body, status, field, message) in [
        (json!({}), 422, "source", "give exactly one of files, path or git"),
        (json!({ "path": "/x", "git": "https://example.com/x.git" }), 422, "source", "give exactly one"),
        (json!({ "path": "relative/dir" }), 422, "path", "must be an absolute path"),
        (json!({ "path": not_a_plugin.path() }), 422, "source", "not a Claude Code plugin"),
        (json!({ "git": "ssh://example.com/x.git" }), 422, "git", "must be an https:// URL or a file:// URL"),
        (json!({ "git": "file:///nowhere/at/all" }), 422, "git", "git clone failed"),
        (json!({ "git": "file:///tmp", "ref": "--upload-pack=x" }), 422, "git", "must be a branch or tag"),
        (json!({ "files": { ".claude-plugin/plugin.json": "{}" } }), 422, "source", "has no name"),
    ] {
        let (got, answer) = send(&app, Method::POST, "/admin/plugins/import", Some(body.clone())).await;
        assert_eq!(got, status, "{body}: {answer}");
        let said = answer["details"][field].as_str().unwrap_or_default();
        assert!(said.contains(message), "{body}: {answer}");
    }
    let (status, answer) =
        send(&app, Method::POST, "/admin/plugins/import", Some(json!({ "files": {}, "extra": 1 }))).await;
    assert_eq!((status, answer["code"].as_str()), (422, Some("invalid")), "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("unknown field `extra`"), "{answer}");
    for path in
        ["/admin/plugins/plugin-nope00", "/admin/plugins/not-an-id/export", "/admin/plugins/marketplaces/none/export"]
    {
        let (status, answer) = send(&app, Method::GET, path, None).await;
        assert_eq!(status, 404, "{path}: {answer}");
    }
    let (_, listed) = send(&app, Method::GET, "/admin/plugins", None).await;
    assert_eq!(listed["plugins"], json!([]));
    let (_, value) = send(&app, Method::GET, "/admin/skills", None).await;
    assert_eq!(value["items"], Value::Array(Vec::new()));
}
