//! `GET /admin/workers`, the worker on each run, and `serve --no-worker`.

use crate::support::{create_trigger, execution, run, wait_for_end};
use agented_test_support::TestApp;
use serde_json::{Value, json};

async fn workers(app: &TestApp) -> Value {
    let res = app.get("/admin/workers").await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_registry_shows_this_servers_worker_and_every_run_names_its_worker() {
    let app = TestApp::builder()
        .env("AGENTED__RUNNER__LABELS", "claude, region=eu")
        .env("AGENTED__RUNNER__MAX_PARALLEL_RUNS", "3")
        .spawn()
        .await;
    let listed = workers(&app).await;
    assert_eq!(listed["lost_after_seconds"], 30);
    let list = listed["workers"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{listed}");
    let me = &list[0];
    assert_eq!(me["status"], "active");
    assert_eq!(me["labels"], json!(["claude", "region=eu"]));
    assert_eq!(me["capacity"], 3);
    assert_eq!(me["pid"], std::process::id());
    assert_eq!(me["version"], env!("CARGO_PKG_VERSION"));
    assert!(me["id"].as_str().unwrap().starts_with("wrk-"), "{me}");
    assert!(me["ended_at"].is_null());

    let trigger = create_trigger(&app, json!({})).await;
    let id = run(&app, &trigger, "lines=1").await;
    let done = wait_for_end(&app, &id).await;
    assert_eq!(done["status"], "success");
    assert_eq!(done["worker"], me["id"], "{done}");

    // A read key may look; no key may not.
    let reader = app.create_key("reader", "read").await;
    let res = app.anonymous.get(app.url("/admin/workers")).header("x-api-key", reader).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let res = app.anonymous.get(app.url("/admin/workers")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let post = app.client.post(app.url("/admin/workers")).send().await.unwrap();
    assert_eq!(post.status(), 405);
}

#[tokio::test]
async fn without_a_worker_runs_wait_in_the_queue_until_a_worker_on_the_database_takes_them() {
    let app = TestApp::builder().no_worker().spawn().await;
    assert_eq!(workers(&app).await["workers"], json!([]), "serve --no-worker registers no worker");
    let trigger = create_trigger(&app, json!({})).await;
    let id = run(&app, &trigger, "lines=2").await;
    let readiness: Value = app.get("/health/readiness").await.json().await.unwrap();
    assert_eq!(readiness["status"], "ok", "an API node without a worker is ready: {readiness}");
    assert_eq!(execution(&app, &id).await["status"], "queued");

    // A process that runs jobs, on the same database: it takes the waiting run.
    let worker = app.worker_peer().await;
    let done = wait_for_end(&app, &id).await;
    assert_eq!(done["status"], "success", "{done}");
    assert_eq!(done["log_lines"], 4, "the two lines and the bot's own two");
    let listed = workers(&app).await;
    let ids: Vec<&str> = listed["workers"].as_array().unwrap().iter().map(|w| w["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![done["worker"].as_str().unwrap()], "{listed}");
    drop(worker);
}
