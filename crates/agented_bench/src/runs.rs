//! Run figures, measured against the release server with the fake bot
//! standing in for the CLIs:
//! - trigger to first log line: from sending `POST …/run` to the moment the
//!   runner read the bot's first line (the line's own timestamp);
//! - SSE line latency: from the runner reading a line to a connected stream
//!   client receiving it (storing and publishing included);
//! - forty 10 ms runs one after another, each started when the last completed;
//! - log lines stored per second with ten bots flooding at once.

use crate::http::Api;
use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::time::Instant;

/// Runs started one after another for the first-line figure, per round.
pub const FIRST_LINE_RUNS: usize = 100;
/// Runs in the sequential figure.
pub const SEQUENTIAL_RUNS: usize = 40;
/// Lines of the bot followed for the SSE figure, one every few milliseconds.
pub const SSE_LINES: usize = 400;
/// Bots flooding at once, and lines each.
pub const FLOOD_BOTS: usize = 10;
pub const FLOOD_LINES: usize = 20_000;

fn ms_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().unwrap_or(i64::MAX) as f64 / 1000.0
}

fn timestamp(event: &Value) -> Result<DateTime<Utc>> {
    let text = event["timestamp"].as_str().context("a log event without timestamp")?;
    Ok(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc))
}

/// Creates a manual trigger whose prompt is the run message (fake-bot words).
///
/// # Errors
/// When it cannot be created.
pub fn trigger(api: &Api, name: &str) -> Result<String> {
    let body = json!({ "name": name, "prompt_template": "{message}" });
    let created = api.expect("POST", "/admin/triggers", Some(&body), 201)?;
    Ok(created["trigger_id"].as_str().context("trigger_id")?.to_owned())
}

/// Starts a run of `trigger`.
///
/// # Errors
/// When it is not accepted.
pub fn start(api: &Api, trigger: &str, message: &str) -> Result<String> {
    let started =
        api.expect("POST", &format!("/admin/triggers/{trigger}/run"), Some(&json!({ "message": message })), 202)?;
    Ok(started["execution_id"].as_str().context("execution_id")?.to_owned())
}

/// One round of runs, each timed from request to its first stored line (ms).
///
/// # Errors
/// A run that fails to start or prints nothing.
pub fn first_line(api: &Api, trigger: &str) -> Result<Vec<f64>> {
    let mut samples = Vec::with_capacity(FIRST_LINE_RUNS);
    for _ in 0..FIRST_LINE_RUNS {
        let sent = Utc::now();
        let id = start(api, trigger, "lines=1")?;
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

/// One run's lines, each timed from being read by the runner to reaching a stream client (ms).
///
/// # Errors
/// When too few lines arrive live.
pub fn sse_latency(api: &Api, trigger: &str) -> Result<Vec<f64>> {
    let id = start(api, trigger, &format!("lines={SSE_LINES} delay_ms=5"))?;
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

/// Lines each flooding bot prints, at [`FLOOD_RATE`] a second, while one bot's stream is timed.
pub const FLOOD_WHILE_TIMED: usize = 40_000;
/// Lines a second of each flooding bot while one bot's stream is timed.
pub const FLOOD_RATE: usize = 10_000;

/// [`sse_latency`] of one bot while [`FLOOD_BOTS`] others flood.
///
/// # Errors
/// As [`sse_latency`], or a flood run that does not succeed.
pub fn sse_latency_under_flood(api: &Api, trigger: &str, round: usize) -> Result<Vec<f64>> {
    let floods: Vec<String> = (0..FLOOD_BOTS)
        .map(|i| {
            let t = self::trigger(api, &format!("bench sse flood {round}.{i}"))?;
            start(api, &t, &format!("lines=0 flood={FLOOD_WHILE_TIMED} rate={FLOOD_RATE}"))
        })
        .collect::<Result<_>>()?;
    let samples = sse_latency(api, trigger)?;
    for id in &floods {
        let done = until_complete(api, id)?;
        if done["status"] != "success" {
            bail!("flood run {id} ended {done}");
        }
    }
    Ok(samples)
}

/// Runs to completion, following its stream; returns the `complete` event's data.
pub fn until_complete(api: &Api, id: &str) -> Result<Value> {
    let mut events = api.events(id)?;
    while let Some(event) = events.next_event()? {
        if event.name == "complete" {
            return Ok(event.data);
        }
    }
    bail!("the stream of {id} ended without complete")
}

/// Seconds for forty runs of a 10 ms command, each started when the last completed.
///
/// # Errors
/// A run that does not succeed.
pub fn sequential(api: &Api, trigger: &str) -> Result<f64> {
    let started = Instant::now();
    for _ in 0..SEQUENTIAL_RUNS {
        let id = start(api, trigger, "lines=1 sleep_ms=10")?;
        let done = until_complete(api, &id)?;
        if done["status"] != "success" {
            bail!("sequential run {id} ended {done}");
        }
    }
    Ok(started.elapsed().as_secs_f64())
}

/// Lines stored per second while ten bots flood at once; every line is counted as stored.
///
/// # Errors
/// A failed run, or fewer lines stored than printed.
pub fn flood(api: &Api, round: usize) -> Result<f64> {
    let triggers: Vec<String> =
        (0..FLOOD_BOTS).map(|i| trigger(api, &format!("bench flood {round}.{i}"))).collect::<Result<_>>()?;
    let started = Instant::now();
    let ids: Vec<String> =
        triggers.iter().map(|t| start(api, t, &format!("lines=0 flood={FLOOD_LINES}"))).collect::<Result<_>>()?;
    let mut lines = 0;
    for id in &ids {
        // `complete` comes once every line is stored.
        let done = until_complete(api, id)?;
        if done["status"] != "success" {
            bail!("flood run {id} ended {done}");
        }
        lines += done["log_lines"].as_i64().context("log_lines")?;
    }
    let expected = (FLOOD_BOTS * (FLOOD_LINES + 2)) as i64;
    if lines != expected {
        bail!("{lines} lines stored, {expected} expected");
    }
    Ok(lines as f64 / started.elapsed().as_secs_f64())
}
