//! Skills, commands, hooks and rules: managed per kind with versions and clear
//! errors, attached to a trigger, and given to each CLI in its own form (fake-bot
//! reports what it found where its CLI reads it), recorded on the execution, with
//! what a CLI cannot take said in the run's log.

use crate::support::{create_trigger, git, run, send, wait_for_end};
use crate::tooling::{keys, said};
use agented_test_support::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

async fn make(app: &TestApp, kind: &str, body: Value) -> Value {
    let (status, made) = send(app, Method::POST, &format!("/admin/{kind}"), Some(body)).await;
    assert_eq!(status, 201, "{made}");
    made
}

#[tokio::test]
async fn each_kind_is_managed_with_versions_and_bad_requests_get_clear_errors() {
    let app = TestApp::spawn().await;
    let rule =
        make(&app, "rules", json!({ "name": "style", "content": "Use tabs.", "description": "House style" })).await;
    assert_eq!((rule["kind"].as_str(), rule["version"].as_u64()), (Some("rule"), Some(1)));
    assert_eq!(rule["rule_type"], "validation");
    let id = rule["id"].as_str().unwrap();
    assert!(id.starts_with("rule-"));
    let (status, changed) =
        send(&app, Method::PUT, &format!("/admin/rules/{id}"), Some(json!({ "content": "Use spaces." }))).await;
    assert_eq!((status, changed["version"].as_u64(), changed["content"].as_str()), (200, Some(2), Some("Use spaces.")));
    let (status, cleared) =
        send(&app, Method::PUT, &format!("/admin/rules/{id}"), Some(json!({ "description": null }))).await;
    assert_eq!((status, cleared["version"].as_u64(), &cleared["description"]), (200, Some(3), &Value::Null));
    let skill = make(
        &app,
        "skills",
        json!({ "name": "review", "description": "Reviews diffs", "content": "Review.", "files": { "scripts/check.sh": "echo ok" } }),
    )
    .await;
    assert_eq!(skill["files"]["scripts/check.sh"], "echo ok");
    let hook =
        make(&app, "hooks", json!({ "name": "guard", "event": "PreToolUse", "matcher": "Bash", "content": "./guard" }))
            .await;
    assert_eq!(hook["event"], "PreToolUse");
    make(&app, "commands", json!({ "name": "explain", "content": "Explain $ARGUMENTS", "arguments": "[file]" })).await;
    let (_, list) = send(&app, Method::GET, "/admin/rules", None).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "each kind lists its own: {list}");

    for (method, path, body, status, field) in [
        (Method::POST, "/admin/rules", json!({ "name": "style", "content": "x" }), 409, None),
        (Method::POST, "/admin/rules", json!({ "name": "r2" }), 422, Some("content")),
        (Method::POST, "/admin/rules", json!({ "name": "r3", "content": "x", "event": "Stop" }), 422, Some("event")),
        (Method::POST, "/admin/skills", json!({ "name": "Bad Name", "content": "x" }), 422, Some("name")),
        (Method::POST, "/admin/skills", json!({ "name": "s", "content": "x" }), 422, Some("description")),
        (
            Method::POST,
            "/admin/skills",
            json!({ "name": "s", "description": "d", "content": "x", "files": { "../../etc/cron.d/x": "y" } }),
            422,
            Some("files"),
        ),
        (Method::POST, "/admin/hooks", json!({ "name": "h", "content": "x", "event": "Whenever" }), 422, Some("event")),
        (Method::POST, "/admin/hooks", json!({ "name": "h", "content": "x" }), 422, Some("event")),
        (Method::POST, "/admin/commands", json!({ "name": "c", "content": "x", "unknown": 1 }), 422, None),
        (Method::GET, "/admin/skills/rule-abcdef", Value::Null, 404, None),
        (Method::GET, "/admin/hooks/not-an-id", Value::Null, 404, None),
        (Method::DELETE, "/admin/commands/cmd-nope00", Value::Null, 404, None),
        (Method::PUT, &format!("/admin/skills/{id}"), json!({ "content": "x" }), 404, None),
    ] {
        let body = (!body.is_null()).then_some(body);
        let (got, answer) = send(&app, method.clone(), path, body).await;
        assert_eq!(got, status, "{method} {path}: {answer}");
        assert!(answer["error"].is_string(), "{answer}");
        if let Some(field) = field {
            assert!(answer["details"][field].is_string(), "{field}: {answer}");
        }
    }
    let malformed = app
        .client
        .post(app.url("/admin/rules"))
        .header("content-type", "application/json")
        .body("{\"name\":")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400, "malformed JSON");
    let (status, _) = send(&app, Method::DELETE, &format!("/admin/rules/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = send(&app, Method::GET, &format!("/admin/rules/{id}"), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn attached_items_reach_each_cli_in_its_own_form_and_nothing_else() {
    let app = TestApp::spawn().await;
    let repo = tempfile::tempdir().unwrap();
    git(&["init", "-q", "-b", "main"], repo.path());
    std::fs::write(repo.path().join("README.md"), "hello\n").unwrap();
    git(&["add", "."], repo.path());
    git(&["-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "first"], repo.path());
    let skill = make(
        &app,
        "skills",
        json!({ "name": "review", "description": "Reviews diffs", "content": "Review the diff.\n", "files": { "scripts/check.sh": "echo ok\n" } }),
    )
    .await;
    let command = make(
        &app,
        "commands",
        json!({ "name": "explain", "description": "Explains", "content": "Explain $ARGUMENTS\n" }),
    )
    .await;
    let hook =
        make(&app, "hooks", json!({ "name": "guard", "event": "PreToolUse", "matcher": "Bash", "content": "./guard" }))
            .await;
    let rule = make(&app, "rules", json!({ "name": "style", "content": "Use tabs." })).await;
    let other = make(&app, "rules", json!({ "name": "elsewhere", "content": "Not for this trigger." })).await;
    let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
    let (status, _) = send(
        &app,
        Method::PUT,
        &format!("/admin/rules/{}", id(&rule)),
        Some(json!({ "content": "Use tabs, always." })),
    )
    .await;
    assert_eq!(status, 200);
    let trigger = create_trigger(
        &app,
        json!({
            "tooling": { "skills": [id(&skill)], "commands": [id(&command)], "hooks": [id(&hook)], "rules": [id(&rule)] },
            "paths": [{ "local_project_path": repo.path() }],
        }),
    )
    .await;
    create_trigger(&app, json!({ "tooling": { "rules": [id(&other)] } })).await;
    let (_, view) = send(&app, Method::GET, &format!("/admin/triggers/{trigger}"), None).await;
    assert_eq!(view["tooling"]["rules"], json!([id(&rule)]), "{view}");

    let rules = "## style\n\nUse tabs, always.\n";
    for backend in ["claude", "gemini", "opencode", "codex"] {
        let (status, _) =
            send(&app, Method::PUT, &format!("/admin/triggers/{trigger}"), Some(json!({ "backend_type": backend })))
                .await;
        assert_eq!(status, 200);
        let exec = run(&app, &trigger, "given").await;
        let done = wait_for_end(&app, &exec).await;
        assert_eq!(done["status"], "success", "{done}");
        let given: Value = serde_json::from_str(&said(&app, &exec, "given=").await.unwrap()).unwrap();
        assert!(!given.to_string().contains("Not for this trigger"), "{backend}: {given}");
        match backend {
            "claude" => {
                assert_eq!(
                    keys(&given["plugin"]),
                    [
                        ".claude-plugin/plugin.json",
                        "commands/explain.md",
                        "hooks/hooks.json",
                        "skills/review/SKILL.md",
                        "skills/review/scripts/check.sh"
                    ]
                );
                let hooks: Value = serde_json::from_str(given["plugin"]["hooks/hooks.json"].as_str().unwrap()).unwrap();
                assert_eq!(hooks["hooks"]["PreToolUse"][0]["hooks"][0]["command"], "./guard");
                assert_eq!(
                    given["plugin"]["skills/review/SKILL.md"],
                    "---\nname: review\ndescription: \"Reviews diffs\"\n---\nReview the diff.\n"
                );
                assert_eq!(given["rules"], rules);
            }
            "gemini" => {
                assert_eq!(given["rules"], json!([rules]));
                assert_eq!(keys(&given["hooks"]), ["BeforeTool"]);
            }
            "opencode" => {
                assert_eq!(given["rules"], json!([rules]));
                assert_eq!(
                    given["commands"],
                    json!({ "explain": { "template": "Explain $ARGUMENTS\n", "description": "Explains" } })
                );
                assert_eq!(keys(&given["skills"][0]), ["review/SKILL.md", "review/scripts/check.sh"]);
            }
            _ => {
                let toml: toml::Table = toml::from_str(&format!("x={}", given["rules"].as_str().unwrap())).unwrap();
                assert_eq!(toml["x"].as_str(), Some(rules));
            }
        }
        let recorded: Vec<(&str, &str, &str)> = done["tooling"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| (g["kind"].as_str().unwrap(), g["name"].as_str().unwrap(), g["version"].as_str().unwrap()))
            .collect();
        assert_eq!(
            recorded,
            [("skill", "review", "1"), ("command", "explain", "1"), ("hook", "guard", "1"), ("rule", "style", "2")]
        );
        let skipped = said(&app, &exec, "[agented] not given to this CLI: ").await;
        match backend {
            "claude" => assert_eq!(skipped, None),
            "codex" => assert!(skipped.is_some_and(|s| s.starts_with("skill 'review': codex")), "{backend}"),
            _ => assert!(skipped.is_some(), "{backend} says what it was not given"),
        }
        assert!(!app.data_dir.join("run-tooling").join(&exec).exists(), "the run's folder goes with it");
    }
    assert_eq!(git(&["status", "--porcelain", "--ignored"], repo.path()), "", "the repository is untouched");
    let preview =
        send(&app, Method::GET, &format!("/admin/triggers/{trigger}/tooling-preview?backend=codex"), None).await.1;
    assert_eq!(preview["left_out"].as_array().unwrap().len(), 3, "{preview}");
    assert_eq!(preview["given"].as_array().unwrap().len(), 4, "{preview}");
}

#[tokio::test]
async fn a_projects_tooling_goes_to_its_planning_runs() {
    let app = TestApp::spawn().await;
    let rule = make(&app, "rules", json!({ "name": "plan-style", "content": "Plan in small phases." })).await;
    let (status, created) = send(&app, Method::POST, "/api/projects", Some(json!({ "name": "Tooled" }))).await;
    assert_eq!(status, 201, "{created}");
    let project = created["project_id"].as_str().unwrap();
    let path = format!("/admin/projects/{project}/tooling");
    for (body, status, field) in [
        (json!({ "rules": ["not-a-rule"] }), 422, Some("tooling")),
        (json!({ "rules": [], "plugins": [] }), 422, None),
        (json!({ "rules": "rule-x" }), 422, None),
    ] {
        let (got, answer) = send(&app, Method::PUT, &path, Some(body)).await;
        assert_eq!(got, status, "{answer}");
        if let Some(field) = field {
            assert!(answer["details"][field].is_string(), "{answer}");
        }
    }
    let (status, _) = send(&app, Method::PUT, "/admin/projects/proj-nope00/tooling", Some(json!({}))).await;
    assert_eq!(status, 404);
    let (status, saved) = send(&app, Method::PUT, &path, Some(json!({ "rules": [rule["id"]] }))).await;
    assert_eq!((status, &saved["tooling"]["rules"], saved["version"].as_i64()), (200, &json!([rule["id"]]), Some(1)));
    let (_, read) = send(&app, Method::GET, &path, None).await;
    assert_eq!(read["rules"], json!([rule["id"]]));

    let (status, started) = send(
        &app,
        Method::POST,
        &format!("/api/projects/{project}/planning-sessions"),
        Some(json!({ "goal": "given", "backend": "claude" })),
    )
    .await;
    assert_eq!(status, 202, "{started}");
    let run = started["current_execution_id"].as_str().unwrap();
    let done = wait_for_end(&app, run).await;
    assert_eq!(done["tooling"][0]["name"], "plan-style", "{done}");
    let given: Value = serde_json::from_str(&said(&app, run, "given=").await.unwrap()).unwrap();
    assert_eq!(given["rules"], "## plan-style\n\nPlan in small phases.\n");
}
