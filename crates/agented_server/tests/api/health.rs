use agented_test_support::TestApp;

#[tokio::test]
async fn liveness_answers_200() {
    let app = TestApp::spawn().await;
    let res = app.get("/health/liveness").await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

#[tokio::test]
async fn readiness_without_a_key_reports_exactly_status_and_timestamp() {
    let app = TestApp::spawn().await;
    let res = app.anonymous.get(app.url("/health/readiness")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    let timestamp = body["timestamp"].as_str().unwrap();
    assert!(chrono_like(timestamp), "{timestamp}");
    assert_eq!(body.as_object().unwrap().len(), 2, "exactly status and timestamp: {body}");
}

fn chrono_like(ts: &str) -> bool {
    ts.len() == 20 && ts.ends_with('Z') && ts.as_bytes()[10] == b'T'
}

#[tokio::test]
async fn readiness_answers_503_when_no_database_connection_can_be_had() {
    let app = TestApp::builder()
        .env("AGENTED__DATABASE__POOL_SIZE", "1")
        .env("AGENTED__DATABASE__CONNECTION_TIMEOUT_MS", "200")
        .spawn()
        .await;
    let held = app.database.conn().unwrap();
    let res = app.anonymous.get(app.url("/health/readiness")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    drop(held);
    assert_eq!(app.get("/health/readiness").await.status(), 200);
}

#[tokio::test]
async fn api_paths_answer_with_or_without_a_trailing_slash() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/health/liveness/").await.status(), 200);
    assert_eq!(app.get("/health/readiness/?probe=1").await.status(), 200);
}

#[tokio::test]
async fn the_server_starts_on_a_fresh_data_folder_and_seeds_it() {
    let app = TestApp::spawn().await;
    assert!(app.sqlite_file().is_none_or(|file| file.exists()), "the SQLite file is made");
    assert!(app.data_dir.join("secret_key").exists());
    let count: i64 = app
        .database
        .run(|conn| {
            use agented_store::schema::backends;
            use diesel::prelude::*;
            backends::table.count().get_result(conn).map_err(Into::into)
        })
        .await
        .unwrap();
    assert_eq!(count, 4, "the four built-in backends");
}

#[tokio::test]
async fn readiness_with_a_key_shows_components_and_startup_warnings() {
    let app = TestApp::spawn().await;
    let body: serde_json::Value = app.get("/health/readiness").await.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["components"]["database"]["status"], "ok");
    let warnings = body["startup_warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| w.as_str().unwrap().contains("GITHUB_WEBHOOK_SECRET")), "{warnings:?}");
    // A bad key is refused even here, so readiness cannot tell a guess apart without counting it.
    let res = agented_test_support::client(Some("agd_wrong")).get(app.url("/health/readiness")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    // Without a key, the minimal view.
    let res = app.anonymous.get(app.url("/health/readiness")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap().as_object().unwrap().len(), 2);
}
