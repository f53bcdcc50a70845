//! Run figures for `cargo xtask bench`, measured against the release server
//! with the fake bot standing in for the CLIs:
//! - trigger to first log line: from sending `POST …/run` to the moment the
//!   runner read the bot's first line (the line's own timestamp);
//! - SSE line latency: from the runner reading a line to a connected stream
//!   client receiving it (storing and publishing included);
//! - log lines stored per second with ten bots flooding at once.

use crate::bench_http::Api;
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::time::Instant;

/// Runs started one after another for the first-line figure.
const FIRST_LINE_RUNS: usize = 30;
/// Lines of the bot followed for the SSE figure, one every few milliseconds.
const SSE_LINES: usize = 400;
/// Bots flooding at once, and lines each.
const FLOOD_BOTS: usize = 10;
const FLOOD_LINES: usize = 20_000;
const FLOOD_ROUNDS: usize = 3;

fn ms_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0
}

fn timestamp(event: &Value) -> Result<DateTime<Utc>> {
    let text = event["timestamp"].as_str().context("a log event without timestamp")?;
    Ok(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc))
}

fn trigger(api: &Api, name: &str) -> Result<String> {
    let body = json!({ "name": name, "prompt_template": "{message}" });
    let created = api.expect("POST", "/admin/triggers", Some(&body), 201)?;
    Ok(created["trigger_id"].as_str().context("trigger_id")?.to_owned())
}

fn start(api: &Api, trigger: &str, message: &str) -> Result<String> {
    let started =
        api.expect("POST", &format!("/admin/triggers/{trigger}/run"), Some(&json!({ "message": message })), 202)?;
    Ok(started["execution_id"].as_str().context("execution_id")?.to_owned())
}

/// Sorted samples → p50, p99, min, max.
pub fn percentiles(mut samples: Vec<f64>) -> Value {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    let round = |v: f64| (v * 10.0).round() / 10.0;
    json!({
        "p50": round(at(0.5)),
        "p99": round(at(0.99)),
        "min": round(samples[0]),
        "max": round(samples[samples.len() - 1]),
        "samples": samples.len(),
    })
}

fn first_line(api: &Api) -> Result<Vec<f64>> {
    let trigger = trigger(api, "bench first line")?;
    let mut samples = Vec::with_capacity(FIRST_LINE_RUNS);
    for _ in 0..FIRST_LINE_RUNS {
        let sent = Utc::now();
        let id = start(api, &trigger, "lines=1")?;
        let mut events = api.events(&id)?;
        let mut first = None;
        while let Some(event) = events.next_event()? {
            match event.name.as_str() {
                "log" if first.is_none() => first = Some(timestamp(&event.data)?),
                "complete" => break,
                _ => {}
            }
        }
        let first = first.context("a run without output")?;
        samples.push(ms_between(sent, first));
    }
    Ok(samples)
}

fn sse_latency(api: &Api) -> Result<Vec<f64>> {
    let trigger = trigger(api, "bench sse")?;
    let id = start(api, &trigger, &format!("lines={SSE_LINES} delay_ms=5"))?;
    let mut events = api.events(&id)?;
    let connected = Utc::now();
    let mut samples = Vec::with_capacity(SSE_LINES);
    while let Some(event) = events.next_event()? {
        match event.name.as_str() {
            "log" => {
                let read = timestamp(&event.data)?;
                // Lines read before this client connected are replayed, not live.
                if read >= connected {
                    samples.push(ms_between(read, Utc::now()));
                }
            }
            "complete" => break,
            _ => {}
        }
    }
    if samples.len() < SSE_LINES / 2 {
        bail!("only {} live lines reached the stream", samples.len());
    }
    Ok(samples)
}

fn flood(api: &Api, round: usize) -> Result<f64> {
    let triggers: Vec<String> =
        (0..FLOOD_BOTS).map(|i| trigger(api, &format!("bench flood {round}.{i}"))).collect::<Result<_>>()?;
    let started = Instant::now();
    let ids: Vec<String> =
        triggers.iter().map(|t| start(api, t, &format!("lines=0 flood={FLOOD_LINES}"))).collect::<Result<_>>()?;
    let mut lines = 0;
    for id in &ids {
        // The stream ends with `complete` once every line is stored.
        let mut events = api.events(id)?;
        while let Some(event) = events.next_event()? {
            if event.name == "complete" {
                if event.data["status"] != "success" {
                    bail!("flood run {id} ended {}", event.data);
                }
                lines += event.data["log_lines"].as_i64().context("log_lines")?;
                break;
            }
        }
    }
    let expected = (FLOOD_BOTS * (FLOOD_LINES + 2)) as i64;
    if lines != expected {
        bail!("{lines} lines stored, {expected} expected");
    }
    Ok(lines as f64 / started.elapsed().as_secs_f64())
}

/// Measures the three run figures against a server with the fake bot on its runner's PATH.
pub fn measure(api: &Api) -> Result<Value> {
    let first = first_line(api)?;
    let sse = sse_latency(api)?;
    let mut rates = Vec::with_capacity(FLOOD_ROUNDS);
    for round in 0..FLOOD_ROUNDS {
        rates.push(flood(api, round)?);
    }
    Ok(json!({
        "run_to_first_log_ms": percentiles(first),
        "sse_line_latency_ms": percentiles(sse),
        "log_flood_lines_per_s": crate::bench::summary(rates),
        "method": {
            "first_line_runs": FIRST_LINE_RUNS,
            "sse_lines": SSE_LINES,
            "flood": format!("{FLOOD_BOTS} bots x {FLOOD_LINES} lines, {FLOOD_ROUNDS} rounds"),
        },
    }))
}
