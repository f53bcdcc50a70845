use agented_test_support::TestApp;

#[tokio::test]
async fn page_paths_get_the_dashboard_html() {
    let app = TestApp::spawn().await;
    for path in ["/", "/triggers", "/executions/exec-x", "/roadmaps"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        assert_eq!(res.headers()["cache-control"], "no-cache", "{path}");
        assert!(res.text().await.unwrap().contains("<div id=\"app\">"), "{path}");
    }
}

#[tokio::test]
async fn built_assets_are_served_with_a_long_cache() {
    let app = TestApp::spawn().await;
    let res = app.get("/assets/app-1a2b3c.js").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert_eq!(res.text().await.unwrap(), "console.log('agented')");
}

#[tokio::test]
async fn a_missing_asset_is_a_json_404_not_the_dashboard() {
    let app = TestApp::spawn().await;
    let res = app.get("/assets/missing.js").await;
    assert_eq!(res.status(), 404);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], "not_found");
}

#[tokio::test]
async fn paths_that_try_to_leave_the_dashboard_folder_are_refused() {
    let app = TestApp::spawn().await;
    // Encoded separators are refused before anything reads the path; a dot-file is simply not there.
    for (path, status) in [("/..%2f..%2fetc%2fpasswd", 400), ("/assets/..%2f..%2fsecret_key", 400), ("/.env", 404)] {
        let res = app.get(path).await;
        assert_eq!(res.status(), status, "{path}");
    }
}

#[tokio::test]
async fn a_write_to_a_page_path_is_a_json_405() {
    let app = TestApp::spawn().await;
    let res = app.client.put(app.url("/triggers")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["code"], "method_not_allowed");
}

#[tokio::test]
async fn without_a_built_dashboard_pages_explain_how_to_build_it() {
    let empty = tempfile::tempdir().unwrap();
    let app = TestApp::builder().web_dist(empty.path()).spawn().await;
    let res = app.get("/triggers").await;
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "dashboard_not_built");
    assert!(body["error"].as_str().unwrap().contains("cargo xtask web"));
}
