//! Workflows and their versions over HTTP: graphs in the original's `graph_json`
//! format, checked before anything is stored, each problem named where it is.

use crate::support::send;
use agented_test_support::TestApp;
use reqwest::Method;
use serde_json::{Value, json};

/// The release-notes graph the Python platform stored (its fixture's version 2).
fn release_notes() -> Value {
    json!({
        "nodes": [
            {"id": "start", "type": "trigger", "label": "Start"},
            {"id": "echo", "type": "command", "config": {"command": "echo release-notes-ready"}},
            {"id": "upper", "type": "transform", "config": {"transform_type": "uppercase"}},
            {"id": "check", "type": "conditional", "config": {"condition": "contains", "value": "READY"}}
        ],
        "edges": [
            {"source": "start", "target": "echo"},
            {"source": "echo", "target": "upper"},
            {"source": "upper", "target": "check"}
        ],
        "settings": {"timeout_seconds": 120}
    })
}

#[tokio::test]
async fn a_workflow_keeps_numbered_versions_of_its_graph_as_written_and_publishes_them() {
    let app = TestApp::spawn().await;
    let body = json!({"name": "Release notes", "description": "tag → notes", "graph_json": release_notes()});
    let (status, created) = send(&app, Method::POST, "/admin/workflows", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("wf-"));
    assert_eq!((created["latest_version"].clone(), created["published_version"].clone()), (json!(1), Value::Null));
    // The original stored graph_json as a string: that is accepted too.
    let as_text = json!({"graph_json": release_notes().to_string(), "is_draft": false});
    let (status, second) = send(&app, Method::POST, &format!("/admin/workflows/{id}/versions"), Some(as_text)).await;
    assert_eq!(status, 201, "{second}");
    assert_eq!((second["version"].clone(), second["is_draft"].clone()), (json!(2), json!(false)));
    assert_eq!(second["graph_json"], release_notes(), "kept as written");
    let (status, published) =
        send(&app, Method::POST, &format!("/admin/workflows/{id}/versions/1/publish"), None).await;
    assert_eq!((status, published["is_draft"].clone()), (200, json!(false)), "{published}");
    let (_, versions) = send(&app, Method::GET, &format!("/admin/workflows/{id}/versions"), None).await;
    let numbers: Vec<i64> =
        versions["versions"].as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
    assert_eq!(numbers, [2, 1]);
    let (_, one) = send(&app, Method::GET, &format!("/admin/workflows/{id}/versions/1"), None).await;
    assert_eq!(one["graph_json"], release_notes());
    let (status, changed) =
        send(&app, Method::PUT, &format!("/admin/workflows/{id}"), Some(json!({"enabled": false}))).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (changed["name"].clone(), changed["enabled"].clone(), changed["published_version"].clone()),
        (json!("Release notes"), json!(false), json!(2))
    );
    // The original's spelling, with its trailing slash, reaches the same route.
    let (_, list) = send(&app, Method::GET, "/admin/workflows/", None).await;
    assert_eq!(list["workflows"].as_array().unwrap().len(), 1);
    let (_, audit) = send(&app, Method::GET, "/admin/audit?entity_type=workflows", None).await;
    assert!(audit["entries"].as_array().is_some_and(|e| e.len() >= 4), "every write is audited: {audit}");
    let (status, _) = send(&app, Method::DELETE, &format!("/admin/workflows/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = send(&app, Method::GET, &format!("/admin/workflows/{id}/versions/1"), None).await;
    assert_eq!(status, 404, "its versions went with it");
}

#[tokio::test]
async fn bad_workflows_and_graphs_get_a_json_error_naming_the_field_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let (_, ok) = send(&app, Method::POST, "/admin/workflows", Some(json!({"name": "ok"}))).await;
    let id = ok["id"].as_str().unwrap().to_owned();
    let cycle = json!({
        "nodes": [{"id": "a", "type": "trigger"}, {"id": "b", "type": "wait", "config": {"seconds": 5}}, {"id": "c", "type": "wait", "config": {"seconds": 5}}],
        "edges": [{"source": "a", "target": "b"}, {"source": "b", "target": "c"}, {"source": "c", "target": "b"}, {"source": "c", "target": "zz"}]
    });
    let versions = format!("/admin/workflows/{id}/versions");
    // Method, path, body, status, fields named in `details`.
    type Case = (Method, String, Option<Value>, u16, &'static [&'static str]);
    let cases: [Case; 9] = [
        (Method::POST, "/admin/workflows".into(), Some(json!({})), 422, &["name"]),
        (
            Method::POST,
            "/admin/workflows".into(),
            Some(json!({"name": "x", "graph_json": cycle})),
            422,
            &["graph_json.edges", "graph_json.edges[3].target"],
        ),
        (Method::POST, "/admin/workflows".into(), Some(json!({"name": "x", "color": "red"})), 422, &[]),
        (Method::POST, versions.clone(), Some(json!({"graph_json": "{not json"})), 422, &["graph_json"]),
        (Method::POST, versions.clone(), Some(json!({"graph_json": {"nodes": "many"}})), 422, &["graph_json"]),
        (
            Method::POST,
            versions.clone(),
            Some(json!({"graph_json": {"nodes": [{"id": "s", "type": "command", "config": {"argv": [""]}}]}})),
            422,
            &["graph_json.nodes[0].config.argv"],
        ),
        (Method::PUT, format!("/admin/workflows/{id}"), Some(json!({"graph_json": {}})), 422, &["graph_json"]),
        (
            Method::POST,
            "/admin/workflows/wf-nothere/versions".into(),
            Some(json!({"graph_json": release_notes()})),
            404,
            &[],
        ),
        (Method::POST, format!("/admin/workflows/{id}/versions/abc/publish"), None, 404, &[]),
    ];
    for (method, path, body, status, fields) in cases {
        let (got, answer) = send(&app, method.clone(), &path, body.clone()).await;
        assert_eq!(got, status, "{method} {path} {body:?}: {answer}");
        assert!(answer["error"].is_string() && answer["code"].is_string(), "one error envelope: {answer}");
        for field in fields {
            assert!(answer["details"][field].is_string(), "{method} {path}: {field} named in {answer}");
        }
    }
    let cycle_error = &send(&app, Method::POST, &versions, Some(json!({"graph_json": cycle}))).await.1;
    assert_eq!(cycle_error["details"]["graph_json.edges"], "the edges make a cycle: b → c → b");
    let (_, list) = send(&app, Method::GET, "/admin/workflows", None).await;
    assert_eq!(list["workflows"].as_array().unwrap().len(), 1, "only the valid workflow: {list}");
    let (_, stored) = send(&app, Method::GET, &versions, None).await;
    assert_eq!(stored["versions"], json!([]), "no version was stored");
}

#[tokio::test]
async fn workflows_go_out_and_come_back_as_yaml_and_bad_files_name_line_and_field() {
    let app = TestApp::spawn().await;
    let mut graph = release_notes();
    graph["nodes"][0]["position"] = json!({"x": 120, "y": 40});
    let body = json!({"name": "Release notes", "description": "tag → notes", "graph_json": graph, "is_draft": false});
    let (_, created) = send(&app, Method::POST, "/admin/workflows", Some(body)).await;
    let id = created["id"].as_str().unwrap();
    let res = app.get(&format!("/admin/workflows/{id}/export")).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/yaml"));
    let yaml = res.text().await.unwrap();
    assert!(yaml.starts_with("kind: workflow\nname: Release notes\n"), "{yaml}");

    let post = |path: String, text: String| {
        let req = app.client.post(app.url(&path)).header("content-type", "application/yaml").body(text);
        async move {
            let res = req.send().await.unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, checked) = post("/admin/workflows/validate".into(), yaml.clone()).await;
    assert_eq!((status, checked["valid"].clone(), checked["nodes"].clone()), (200, json!(true), json!(4)));
    let (status, imported) = post("/admin/workflows/import?publish=true".into(), yaml.clone()).await;
    assert_eq!(status, 201, "{imported}");
    assert_ne!(imported["id"], created["id"]);
    assert_eq!(
        (imported["published_version"].clone(), imported["description"].clone()),
        (json!(1), json!("tag → notes"))
    );
    let copy = imported["id"].as_str().unwrap();
    let (_, version) = send(&app, Method::GET, &format!("/admin/workflows/{copy}/versions/1"), None).await;
    assert_eq!(version["graph_json"], graph, "the editor's graph round-trips through YAML unchanged");

    let broken = yaml.replacen("target: echo", "target: ghost", 1);
    let (status, refused) = post("/admin/workflows/import".into(), broken).await;
    assert_eq!(status, 422, "{refused}");
    let (field, why) = refused["details"].as_object().unwrap().iter().next().unwrap();
    assert_eq!(field, "graph.edges[0].target");
    assert!(
        why.as_str().unwrap().starts_with("line ")
            && why.as_str().unwrap().ends_with("'ghost' is not a node of this workflow"),
        "{why}"
    );
    let (status, refused) = post("/admin/workflows/validate".into(), "kind: [".into()).await;
    assert_eq!(status, 422, "{refused}");
    let (_, list) = send(&app, Method::GET, "/admin/workflows", None).await;
    assert_eq!(list["workflows"].as_array().unwrap().len(), 2, "nothing was stored for the broken files");
    let (status, _) = send(&app, Method::GET, &format!("/admin/workflows/{id}/export?version=9"), None).await;
    assert_eq!(status, 404);

    // The schema is public, at a stable address.
    let schema = reqwest::get(app.url("/schemas/workflow.json")).await.unwrap();
    assert_eq!(schema.status(), 200);
    let schema: Value = schema.json().await.unwrap();
    let kinds = ["workflow_file", "team_file"].map(|d| schema["$defs"][d]["properties"]["kind"]["const"].clone());
    assert_eq!(kinds, [json!("workflow"), json!("team")], "one schema for both kinds of file");
}
