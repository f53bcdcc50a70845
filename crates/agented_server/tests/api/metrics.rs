//! `GET /metrics`: the Prometheus text format, scraped and parsed as Prometheus would.

use crate::support::{create_trigger, finished_run};
use agented_test_support::TestApp;
use prometheus_parse::{Scrape, Value as Sample};
use serde_json::json;

async fn scrape_once(app: &TestApp, key: &str) -> Scrape {
    let res = app.anonymous.get(app.url("/metrics")).bearer_auth(key).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = res.text().await.unwrap();
    Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap()
}

/// The value of the sample `name` whose labels include `labels`, if there is one.
fn find(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let found =
        scrape.samples.iter().find(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))?;
    match &found.value {
        Sample::Counter(v) | Sample::Gauge(v) | Sample::Untyped(v) => Some(*v),
        Sample::Histogram(_) | Sample::Summary(_) => panic!("{name} is not a single value"),
    }
}

fn value(scrape: &Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    find(scrape, name, labels).unwrap_or_else(|| panic!("no sample {name} {labels:?}"))
}

#[tokio::test]
async fn a_read_key_scrapes_runs_durations_lines_webhooks_and_capacity() {
    let app = TestApp::builder().env("AGENTED__RUNNER__MAX_PARALLEL_RUNS", "3").spawn().await;
    let reader = app.create_key("prometheus", "read").await;
    finished_run(&app, "lines=3").await;
    create_trigger(
        &app,
        json!({ "trigger_source": "webhook", "match_field_path": "kind", "match_field_value": "metrics-test" }),
    )
    .await;
    let delivered = app.anonymous.post(app.url("/")).json(&json!({ "kind": "metrics-test" })).send().await.unwrap();
    assert_eq!(delivered.status(), 200);
    let delivered: serde_json::Value = delivered.json().await.unwrap();
    let run = delivered["executions"][0]["execution_id"].as_str().unwrap().to_owned();
    let ignored = app.anonymous.post(app.url("/")).json(&json!({ "kind": "nothing" })).send().await.unwrap();
    assert_eq!(ignored.status(), 200);
    let refused = app.anonymous.post(app.url("/")).body("[1]").send().await.unwrap();
    assert_eq!(refused.status(), 400);
    crate::support::wait_for_end(&app, &run).await;

    // A run's duration is observed just after its final status is stored: wait for both.
    let mut scrape = scrape_once(&app, &reader).await;
    for _ in 0..100 {
        if find(&scrape, "agented_run_duration_seconds_count", &[("status", "success")]) == Some(2.0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        scrape = scrape_once(&app, &reader).await;
    }
    assert_eq!(value(&scrape, "agented_runs", &[("status", "success")]), 2.0);
    assert_eq!(value(&scrape, "agented_runs", &[("status", "failed")]), 0.0, "every status is listed");
    assert_eq!(value(&scrape, "agented_queue_depth", &[]), 0.0);
    assert!(value(&scrape, "agented_log_lines_total", &[]) >= 3.0);
    let webhook =
        |outcome| value(&scrape, "agented_webhook_deliveries_total", &[("source", "generic"), ("outcome", outcome)]);
    assert_eq!(webhook("started"), 1.0);
    assert_eq!(webhook("not_matched"), 1.0);
    assert_eq!(webhook("refused"), 1.0);
    assert_eq!(value(&scrape, "agented_run_duration_seconds_count", &[("status", "success")]), 2.0);
    let durations = scrape.samples.iter().find(|s| s.metric == "agented_run_duration_seconds").unwrap();
    assert!(matches!(durations.value, Sample::Histogram(_)), "{durations:?}");
    assert_eq!(value(&scrape, "agented_worker_capacity", &[]), 3.0);
    assert_eq!(value(&scrape, "agented_worker_running", &[]), 0.0);
    assert_eq!(value(&scrape, "agented_ready", &[("part", "database")]), 1.0);
    assert_eq!(value(&scrape, "agented_open_streams", &[]), 0.0);
}

#[tokio::test]
async fn metrics_need_a_key_and_take_only_get() {
    let app = TestApp::spawn().await;
    let res = app.anonymous.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "unauthorized", "{body}");
    let wrong = app.anonymous.get(app.url("/metrics")).bearer_auth("ak_nope").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let post = app.client.post(app.url("/metrics")).send().await.unwrap();
    assert_eq!(post.status(), 405);
}
