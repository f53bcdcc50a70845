//! Projects and roadmaps over HTTP: import (files and a local path), the
//! roadmap's fixed shape, rule errors (cycle 422, dependents 409), export.

use crate::support::send;
use agented_test_support::{TestApp, workspace_root};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;

fn fixture(name: &str) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(relative, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let root = workspace_root().join("crates/agented_roadmaps/tests/fixtures").join(name);
    let mut out = BTreeMap::new();
    walk(&root, &root, &mut out);
    out
}

async fn import(app: &TestApp, name: &str, fixture_name: &str) -> (String, Value) {
    let (status, body) = send(
        app,
        reqwest::Method::POST,
        "/api/projects/import",
        Some(json!({ "name": name, "files": fixture(fixture_name) })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    (body["project_id"].as_str().unwrap().to_owned(), body)
}

#[tokio::test]
async fn an_imported_planning_folder_has_the_roadmap_shape_integrations_rely_on() {
    let app = TestApp::spawn().await;
    let (id, created) = import(&app, "Acme", "template").await;
    assert!(
        created["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("Owner") || w.as_str().unwrap().contains("Phase 2")),
        "{created}"
    );

    let (status, roadmap) = send(&app, reqwest::Method::GET, &format!("/api/projects/{id}/roadmap"), None).await;
    assert_eq!(status, 200);
    assert_eq!(roadmap["project"]["id"], id.as_str());
    assert_eq!(roadmap["project"]["name"], "Acme");
    let milestone = &roadmap["milestones"][0];
    assert_eq!((milestone["version"].as_str(), milestone["name"].as_str()), (Some("v1.0"), Some("Foundations")));
    let phases = milestone["phases"].as_array().unwrap();
    let numbers: Vec<&str> = phases.iter().map(|p| p["number"].as_str().unwrap()).collect();
    assert_eq!(numbers, ["1", "2", "2.1", "3", "4"]);
    let three = &phases[3];
    assert_eq!(three["depends_on"], json!(["1", "2"]));
    assert_eq!(three["requirements"], json!(["ALRT-01", "ALRT-02"]));
    assert_eq!(three["verification_level"], "full");
    assert_eq!(phases[0]["status"], "complete");
    assert_eq!(phases[0]["success_criteria"].as_array().unwrap().len(), 2);
    for key in [
        "id",
        "number",
        "name",
        "goal",
        "depends_on",
        "requirements",
        "success_criteria",
        "verification_level",
        "status",
    ] {
        assert!(!three[key].is_null(), "phase field {key}");
    }
    let sched = roadmap["requirements"].as_array().unwrap().iter().find(|r| r["id"] == "SCHED-01").unwrap().clone();
    assert_eq!(
        sched,
        json!({ "id": "SCHED-01", "category": "Scheduling", "text": "Daily, weekly and monthly schedules",
        "tier": "v1", "priority": null, "status": "in_progress", "phase": "2" })
    );
    assert_eq!(roadmap["coverage"], json!({ "mapped": 7, "total": 7, "unmapped": [], "multiply_mapped": [] }));
    assert_eq!(roadmap["layers"], json!([["1", "4"], ["2"], ["2.1", "3"]]));
    assert_eq!(roadmap["ready"], json!(["2", "4"]));
    assert_eq!(roadmap["progress"]["milestones"][0]["phases_complete"], 1);
    assert_eq!(roadmap["decisions"].as_array().unwrap().len(), 2);

    let (status, list) = send(&app, reqwest::Method::GET, "/api/projects", None).await;
    assert_eq!(status, 200);
    assert_eq!(list["projects"][0]["coverage_mapped"], 7);
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        "/api/projects/import",
        Some(json!({ "name": "Acme", "files": fixture("template") })),
    )
    .await;
    assert_eq!(status, 409, "the name is taken");
}

#[tokio::test]
async fn a_dependency_cycle_is_refused_naming_it_and_a_needed_phase_cannot_be_deleted() {
    let app = TestApp::spawn().await;
    let (id, _) = import(&app, "Acme", "template").await;
    let phase = |n: &str| format!("/api/projects/{id}/phases/{n}");

    let (status, body) = send(&app, reqwest::Method::PATCH, &phase("1"), Some(json!({ "depends_on": ["3"] }))).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["details"]["depends_on"], "dependencies would form a cycle: 1 → 3 → 1");
    let (status, body) = send(&app, reqwest::Method::PATCH, &phase("4"), Some(json!({ "depends_on": ["9"] }))).await;
    assert_eq!(
        (status, body["details"]["depends_on"].as_str()),
        (422, Some("phase 4 depends on phase 9, which does not exist"))
    );

    let (status, body) = send(&app, reqwest::Method::DELETE, &phase("1"), None).await;
    assert_eq!(status, 409);
    assert_eq!(body["error"], "phases 2, 3 depend on it");

    // Changes that keep the rules: status and dependencies, with derived figures in the answer.
    let (status, body) =
        send(&app, reqwest::Method::PATCH, &phase("2"), Some(json!({ "status": "complete", "depends_on": ["1"] })))
            .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ready"], json!(["2.1", "3", "4"]));
    assert_eq!(body["progress"]["milestones"][0]["phases_complete"], 2);
    let (status, body) = send(&app, reqwest::Method::DELETE, &phase("4"), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["milestones"][0]["phases"].as_array().unwrap().len(), 4);

    for (path, body, expected) in [
        (phase("2"), json!({ "status": "finished" }), 422),
        (phase("2"), json!({ "verification_level": "vibes" }), 422),
        (phase("2"), json!({ "requirements": ["lower-1"] }), 422),
        (phase("2"), json!({ "number": "7" }), 422),
        (phase("2"), json!({ "colour": "red" }), 422),
        (phase("9"), json!({ "status": "complete" }), 404),
        (phase("x"), json!({ "status": "complete" }), 404),
        (phase("2"), json!({ "milestone": "v9" }), 404),
        ("/api/projects/proj-nothere/phases/1".to_owned(), json!({ "status": "complete" }), 404),
    ] {
        let (status, answer) = send(&app, reqwest::Method::PATCH, &path, Some(body.clone())).await;
        assert_eq!(status, expected, "{path} {body} → {answer}");
        assert!(answer["error"].is_string(), "{answer}");
    }
    let res = app
        .client
        .patch(app.url(&phase("2")))
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn milestones_phases_and_requirements_can_be_built_from_an_empty_project() {
    let app = TestApp::spawn().await;
    let (status, body) = send(&app, reqwest::Method::POST, "/api/projects", Some(json!({ "name": "Fresh" }))).await;
    assert_eq!(status, 201);
    let id = body["project_id"].as_str().unwrap().to_owned();
    let url = |p: &str| format!("/api/projects/{id}{p}");
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        &url("/milestones"),
        Some(json!({ "version": "v1.0", "name": "First", "status": "active" })),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _) =
        send(&app, reqwest::Method::POST, &url("/milestones"), Some(json!({ "version": "v1.0", "name": "Again" })))
            .await;
    assert_eq!(status, 409);
    for (n, deps) in [("1", json!([])), ("2", json!(["1"]))] {
        let (status, body) = send(
            &app,
            reqwest::Method::POST,
            &url("/phases"),
            Some(json!({ "milestone": "v1.0", "number": n, "name": format!("Phase {n}"), "depends_on": deps, "phase_type": "implement" })),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        &url("/phases"),
        Some(json!({ "milestone": "v1.0", "number": "1", "name": "dup" })),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        &url("/phases"),
        Some(json!({ "milestone": "v2.0", "number": "3", "name": "x" })),
    )
    .await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = send(&app, reqwest::Method::POST, &url("/phases"), Some(json!({ "name": "x" }))).await;
    assert_eq!(status, 422);
    assert!(body["details"]["number"].is_string() && body["details"]["milestone"].is_string(), "{body}");

    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        &url("/requirements"),
        Some(json!({ "id": "CORE-01", "text": "It works", "phase": "1", "priority": "High" })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["coverage"]["mapped"], 1);
    let (status, _) =
        send(&app, reqwest::Method::POST, &url("/requirements"), Some(json!({ "id": "CORE-01", "text": "again" })))
            .await;
    assert_eq!(status, 409);
    let (status, body) =
        send(&app, reqwest::Method::POST, &url("/requirements"), Some(json!({ "id": "core1", "tier": "v3" }))).await;
    assert_eq!(status, 422);
    for field in ["id", "tier", "text"] {
        assert!(body["details"][field].is_string(), "{field}: {body}");
    }
    let (status, body) =
        send(&app, reqwest::Method::PATCH, &url("/requirements/CORE-01"), Some(json!({ "phase": "7" }))).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("phase 7 not found")));
    let (status, body) = send(
        &app,
        reqwest::Method::PATCH,
        &url("/requirements/CORE-01"),
        Some(json!({ "status": "done", "phase": "" })),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["coverage"]["unmapped"], json!(["CORE-01"]));
    let (status, _) = send(&app, reqwest::Method::DELETE, &url("/requirements/CORE-02"), None).await;
    assert_eq!(status, 404);
    let (status, body) = send(&app, reqwest::Method::DELETE, &url("/requirements/CORE-01"), None).await;
    assert_eq!((status, body["coverage"]["total"].as_u64()), (200, Some(0)));
    let (status, body) =
        send(&app, reqwest::Method::PATCH, &url("/milestones/v1.0"), Some(json!({ "status": "complete" }))).await;
    assert_eq!((status, body["milestones"][0]["status"].as_str()), (200, Some("complete")));
    let (status, _) = send(&app, reqwest::Method::PATCH, &url("/milestones/v9"), Some(json!({ "name": "x" }))).await;
    assert_eq!(status, 404);

    let (status, body) =
        send(&app, reqwest::Method::PUT, &url(""), Some(json!({ "name": "Renamed", "active_phase": "2" }))).await;
    assert_eq!((status, body["name"].as_str()), (200, Some("Renamed")));
    let (status, _) = send(&app, reqwest::Method::PUT, &url(""), Some(json!({ "active_phase": "8" }))).await;
    assert_eq!(status, 404);
    let (status, _) = send(&app, reqwest::Method::PUT, &url(""), Some(json!({ "name": "  " }))).await;
    assert_eq!(status, 422);
    let (status, _) = send(&app, reqwest::Method::DELETE, &url(""), None).await;
    assert_eq!(status, 200);
    let (status, _) = send(&app, reqwest::Method::GET, &url("/roadmap"), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn export_gives_the_files_back_as_json_or_zip_and_they_import_to_the_same_roadmap() {
    let app = TestApp::spawn().await;
    let (id, _) = import(&app, "Acme", "milestones").await;
    let (status, exported) = send(&app, reqwest::Method::GET, &format!("/api/projects/{id}/export"), None).await;
    assert_eq!(status, 200);
    let files = exported["files"].as_object().unwrap();
    for file in ["ROADMAP.md", "REQUIREMENTS.md", "STATE.md", "milestones/v1.0/ROADMAP.md"] {
        assert!(files.contains_key(file), "{file} missing: {:?}", files.keys());
    }
    let (status, again) = send(
        &app,
        reqwest::Method::POST,
        "/api/projects/import",
        Some(json!({ "name": "Acme copy", "files": exported["files"] })),
    )
    .await;
    assert_eq!(status, 201, "{again}");
    let copy = again["project_id"].as_str().unwrap();
    let (_, first) = send(&app, reqwest::Method::GET, &format!("/api/projects/{id}/roadmap"), None).await;
    let (_, second) = send(&app, reqwest::Method::GET, &format!("/api/projects/{copy}/roadmap"), None).await;
    for key in ["milestones", "requirements", "coverage", "layers", "progress", "decisions", "todos"] {
        assert_eq!(first[key], second[key], "{key}");
    }

    let res = app.get(&format!("/api/projects/{id}/export?format=zip")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..2], b"PK");
    let needle = b".planning/REQUIREMENTS.md";
    assert!(bytes.windows(needle.len()).any(|w| w == needle));
    let (status, body) = send(&app, reqwest::Method::GET, &format!("/api/projects/{id}/export?format=tar"), None).await;
    assert_eq!((status, body["code"].as_str()), (400, Some("invalid_format")));
}

#[tokio::test]
async fn a_local_planning_folder_imports_and_bad_imports_get_clear_errors() {
    let app = TestApp::spawn().await;
    let repo = tempfile::tempdir().unwrap();
    for (path, text) in fixture("template") {
        let target = repo.path().join(".planning").join(&path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, text).unwrap();
    }
    let path = repo.path().display().to_string();
    let (status, body) =
        send(&app, reqwest::Method::POST, "/api/projects/import", Some(json!({ "name": "From disk", "path": path })))
            .await;
    assert_eq!(status, 201, "{body}");
    let (_, roadmap) = send(
        &app,
        reqwest::Method::GET,
        &format!("/api/projects/{}/roadmap", body["project_id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(roadmap["coverage"]["mapped"], 7);

    for (body, field) in [
        (json!({ "name": "x", "path": "relative/path" }), "path"),
        (json!({ "name": "x", "path": "/definitely/not/here" }), "path"),
        (json!({ "name": "x" }), "files"),
        (json!({ "name": "x", "files": {}, "path": path }), "files"),
        (json!({ "name": "x", "files": {} }), "files"),
        (json!({ "name": "x", "files": { "../etc/passwd": "x" } }), "files"),
        (json!({ "name": "", "files": { "ROADMAP.md": "x" } }), "name"),
    ] {
        let (status, answer) = send(&app, reqwest::Method::POST, "/api/projects/import", Some(body.clone())).await;
        assert_eq!(status, 422, "{body} → {answer}");
        assert!(answer["details"][field].is_string(), "{body} → {answer}");
    }
    let (status, _) =
        send(&app, reqwest::Method::POST, "/api/projects/import", Some(json!({ "name": "x", "files": "no" }))).await;
    assert_eq!(status, 422, "wrong JSON types");

    // A cycle in the files does not fail the import: the dependencies are dropped, with a warning.
    let files =
        json!({ "ROADMAP.md": "### Phase 1: A\n**Depends on**: Phase 2\n### Phase 2: B\n**Depends on**: Phase 1\n" });
    let (status, body) =
        send(&app, reqwest::Method::POST, "/api/projects/import", Some(json!({ "name": "Loop", "files": files })))
            .await;
    assert_eq!(status, 201, "{body}");
    assert!(body["warnings"].as_array().unwrap().iter().any(|w| w.as_str().unwrap().contains("cycle")), "{body}");

    // A read key may look, not change.
    let read = app.create_key("viewer", "read").await;
    let viewer = agented_test_support::client(Some(&read));
    assert_eq!(viewer.get(app.url("/api/projects")).send().await.unwrap().status(), 200);
    let res = viewer.post(app.url("/api/projects")).json(&json!({ "name": "nope" })).send().await.unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn decisions_todos_and_research_documents_are_kept_with_the_roadmap() {
    let app = TestApp::spawn().await;
    let (id, _) = import(&app, "Acme", "template").await;
    let url = |p: &str| format!("/api/projects/{id}{p}");

    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        &url("/decisions"),
        Some(json!({ "text": "Use dagre", "rationale": "stable layouts" })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["decisions"][2], json!({ "text": "Use dagre", "rationale": "stable layouts", "phase": null }));
    let (status, body) = send(&app, reqwest::Method::DELETE, &url("/decisions/1"), None).await;
    assert_eq!((status, body["decisions"][0]["text"].as_str()), (200, Some("Claim slots in the database")));
    let (status, body) = send(&app, reqwest::Method::DELETE, &url("/decisions/9"), None).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("decision 9 not found")));
    let (status, _) = send(&app, reqwest::Method::POST, &url("/decisions"), Some(json!({ "text": " " }))).await;
    assert_eq!(status, 422);

    let (status, body) =
        send(&app, reqwest::Method::POST, &url("/todos"), Some(json!({ "text": "Write the runbook" }))).await;
    assert_eq!((status, body["todos"].as_array().unwrap().len()), (201, 3));
    let (status, body) = send(&app, reqwest::Method::PATCH, &url("/todos/3"), Some(json!({ "done": true }))).await;
    assert_eq!((status, body["todos"][2].clone()), (200, json!({ "text": "Write the runbook", "done": true })));
    let (status, _) = send(&app, reqwest::Method::PATCH, &url("/todos/3"), Some(json!({ "done": "yes" }))).await;
    assert_eq!(status, 422);
    let (status, _) = send(&app, reqwest::Method::PATCH, &url("/todos/0"), Some(json!({ "done": true }))).await;
    assert_eq!(status, 404);
    let (status, body) = send(&app, reqwest::Method::DELETE, &url("/todos/1"), None).await;
    assert_eq!((status, body["todos"].as_array().unwrap().len()), (200, 2));

    let doc = "# Pitfalls\n\n**Confidence:** MEDIUM\n\nDST.";
    let (status, body) =
        send(&app, reqwest::Method::PUT, &url("/milestones/v1.0/research/pitfalls"), Some(json!({ "markdown": doc })))
            .await;
    assert_eq!(status, 200, "{body}");
    let kinds: Vec<&str> = body["research"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["stack", "pitfalls"]);
    let (status, body) = send(
        &app,
        reqwest::Method::PUT,
        &url("/milestones/v1.0/research/pitfalls"),
        Some(json!({ "markdown": "# Pitfalls v2" })),
    )
    .await;
    assert_eq!((status, body["research"].as_array().unwrap().len()), (200, 2), "replaced, not added");
    for (path, expected) in [("/milestones/v9/research/stack", 404), ("/milestones/v1.0/research/gossip", 404)] {
        let (status, _) = send(&app, reqwest::Method::PUT, &url(path), Some(json!({ "markdown": "x" }))).await;
        assert_eq!(status, expected, "{path}");
    }
    let (status, _) =
        send(&app, reqwest::Method::PUT, &url("/milestones/v1.0/research/stack"), Some(json!({ "markdown": "" })))
            .await;
    assert_eq!(status, 422);
    let (status, _) = send(&app, reqwest::Method::DELETE, &url("/milestones/v1.0/research/pitfalls"), None).await;
    assert_eq!(status, 200);
    let (status, _) = send(&app, reqwest::Method::DELETE, &url("/milestones/v1.0/research/pitfalls"), None).await;
    assert_eq!(status, 404);

    // All of it survives export → import.
    let (_, exported) = send(&app, reqwest::Method::GET, &url("/export"), None).await;
    let (status, copy) = send(
        &app,
        reqwest::Method::POST,
        "/api/projects/import",
        Some(json!({ "name": "Copy", "files": exported["files"] })),
    )
    .await;
    assert_eq!(status, 201);
    let (_, first) = send(&app, reqwest::Method::GET, &url("/roadmap"), None).await;
    let (_, second) = send(
        &app,
        reqwest::Method::GET,
        &format!("/api/projects/{}/roadmap", copy["project_id"].as_str().unwrap()),
        None,
    )
    .await;
    for key in ["decisions", "todos", "research"] {
        assert_eq!(first[key], second[key], "{key}");
    }
}

#[tokio::test]
async fn a_milestone_version_can_never_name_a_zip_entry_outside_the_planning_folder() {
    let app = TestApp::spawn().await;
    let roadmap = "# Roadmap: Evil\n\n**Milestone:** ../../../../tmp/x — Escape\n### Phase 1: A\n**Goal**: a\n";
    let (status, body) = send(
        &app,
        reqwest::Method::POST,
        "/api/projects/import",
        Some(json!({ "name": "Evil", "files": { "ROADMAP.md": roadmap, "milestones/..hidden/ROADMAP.md": "# Roadmap: Evil\n" } })),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let warnings = body["warnings"].to_string();
    assert!(warnings.contains("imported as 'tmp-x'"), "{warnings}");
    let id = body["project_id"].as_str().unwrap();
    // The API's own rule: a version is one safe folder name.
    for version in ["..", "../x", ".hidden", "a/b"] {
        let (status, body) = send(
            &app,
            reqwest::Method::POST,
            &format!("/api/projects/{id}/milestones"),
            Some(json!({ "version": version, "name": "x" })),
        )
        .await;
        assert_eq!(status, 422, "{version}: {body}");
        assert!(body["details"]["version"].as_str().unwrap().contains("starting with a letter or digit"), "{body}");
    }
    let res = app.get(&format!("/api/projects/{id}/export?format=zip")).await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    assert!(archive.len() >= 3, "{}", archive.len());
    for i in 0..archive.len() {
        let entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().into_owned();
        let inside = entry.enclosed_name().is_some_and(|p| p.starts_with(".planning"));
        assert!(inside && !name.split('/').any(|s| s == ".." || s == "." || s.is_empty()), "entry {name}");
    }
}
