//! The live stream: replay from the store, resume without loss or duplicates.

use crate::support::{create_trigger, finished_run, run, wait_for_status};
use agented_test_support::{SseEvent as Event, SseReader, TestApp};
use serde_json::json;

/// Reads events from `res` until `complete` (or `stop_after_log` log events).
async fn read_events(res: reqwest::Response, stop_after_log: Option<usize>) -> Vec<Event> {
    let mut logs = 0;
    SseReader::new(res)
        .until(|e| {
            if e.name == "log" {
                logs += 1;
            }
            e.name == "complete" || stop_after_log.is_some_and(|n| logs >= n)
        })
        .await
}

fn log_ids(events: &[Event]) -> Vec<i64> {
    events.iter().filter(|e| e.name == "log").map(|e| e.id.unwrap()).collect()
}

#[tokio::test]
async fn a_client_connecting_after_the_end_gets_the_whole_log_and_complete() {
    let app = TestApp::spawn().await;
    let done = finished_run(&app, "lines=5 stderr=1").await;
    let id = done["execution_id"].as_str().unwrap();
    let res = app.get(&format!("/admin/executions/{id}/stream")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/event-stream");
    let events = read_events(res, None).await;
    assert_eq!(events[0].name, "status");
    assert_eq!(events[0].data["execution_id"], id);
    assert_eq!(log_ids(&events), (1..=8).collect::<Vec<_>>());
    let stderr: Vec<&Event> = events.iter().filter(|e| e.data["stream"] == "stderr").collect();
    assert_eq!(stderr.len(), 1);
    assert_eq!(stderr[0].data["content"], "warning 1");
    let complete = events.last().unwrap();
    assert_eq!(complete.name, "complete");
    assert_eq!(complete.data["status"], "success");
    assert_eq!(complete.data["exit_code"], 0);
    assert!(complete.data["duration_ms"].is_i64());
}

#[tokio::test]
async fn a_client_disconnected_mid_run_resumes_with_every_line_exactly_once() {
    let app = TestApp::spawn().await;
    let trigger = create_trigger(&app, json!({})).await;
    let id = run(&app, &trigger, "lines=300 delay_ms=5").await;
    wait_for_status(&app, &id, "running").await;
    let stream = format!("/admin/executions/{id}/stream");
    // First connection: read 40 lines, then drop the connection.
    let first = read_events(app.get(&stream).await, Some(40)).await;
    let first_ids = log_ids(&first);
    let last = *first_ids.last().unwrap();
    assert!(first.iter().all(|e| e.name != "complete"), "the run should still be going");
    // Resume with the header an EventSource sends on reconnect.
    let res = app.client.get(app.url(&stream)).header("Last-Event-ID", last.to_string()).send().await.unwrap();
    let second = read_events(res, Some(60)).await;
    let second_ids = log_ids(&second);
    assert_eq!(second_ids.first(), Some(&(last + 1)));
    // Resume once more with the query parameter a fresh page uses, to the end.
    let last = *second_ids.last().unwrap();
    let res = app.get(&format!("{stream}?last_event_id={last}")).await;
    let third = read_events(res, None).await;
    let mut all: Vec<i64> = first_ids.into_iter().chain(second_ids).chain(log_ids(&third)).collect();
    let total = third.last().unwrap().data["log_lines"].as_i64().unwrap();
    assert_eq!(third.last().unwrap().name, "complete");
    let received = all.len();
    all.dedup();
    assert_eq!(received, all.len(), "no line twice");
    assert_eq!(all, (1..=total).collect::<Vec<_>>(), "every line, in order");
    assert_eq!(total, 302);
}

#[tokio::test]
async fn a_live_client_sees_status_then_lines_as_they_arrive() {
    let app = TestApp::spawn().await;
    let trigger = create_trigger(&app, json!({})).await;
    let id = run(&app, &trigger, "lines=20 delay_ms=20").await;
    let res = app.get(&format!("/admin/executions/{id}/stream")).await;
    let events = read_events(res, None).await;
    assert_eq!(events.first().unwrap().name, "status");
    assert_eq!(log_ids(&events), (1..=22).collect::<Vec<_>>());
    assert_eq!(events.last().unwrap().data["status"], "success");
    assert_eq!(app.get("/admin/executions/exec-trig-abc123-20261121T000000-abcd/stream").await.status(), 404);
}

#[tokio::test]
async fn lines_of_a_steadily_writing_bot_reach_the_stream_while_it_writes() {
    // A line every 10 ms: the batch timer must start at a batch's first line,
    // not restart with each line, or nothing is written until 500 lines pile up.
    let app = TestApp::spawn().await;
    let trigger = create_trigger(&app, json!({})).await;
    let id = run(&app, &trigger, "lines=800 delay_ms=10").await;
    wait_for_status(&app, &id, "running").await;
    let res = app.get(&format!("/admin/executions/{id}/stream")).await;
    let events = read_events(res, Some(1)).await;
    let first = events.last().unwrap();
    assert_eq!(first.name, "log", "{:?}", first.data);
    let stored = crate::support::execution(&app, &id).await["log_lines"].as_i64().unwrap();
    assert!(stored < 400, "the first line was streamed only once {stored} of 802 lines were stored");
    let cancelled = app.client.post(app.url(&format!("/admin/executions/{id}/cancel"))).send().await.unwrap();
    assert_eq!(cancelled.status(), 200);
}
