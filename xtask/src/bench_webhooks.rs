//! Webhook ingest for `cargo xtask bench`: `POST /` deliveries that match a
//! trigger, each a new payload, so every one is matched, deduplicated (a new
//! record), stored as an execution and queued before it is answered.

use crate::bench_http::Api;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::time::Instant;

/// Deliveries timed one at a time for the latency figures.
const LATENCY_DELIVERIES: usize = 300;
/// Clients sending at once, and deliveries each, for the throughput figure.
const CLIENTS: usize = 4;
const PER_CLIENT: usize = 150;

fn deliver(api: &Api, n: usize) -> Result<()> {
    let payload = json!({ "text": format!("lines=0 delivery {n}"), "source": "bench" });
    let (status, answer) = api.call("POST", "/", Some(&payload))?;
    if status != 200 || answer["executions"].as_array().map_or(0, Vec::len) != 1 {
        bail!("delivery {n}: {status} {answer}");
    }
    Ok(())
}

/// Measures webhook latency (one client) and throughput (several at once).
pub fn measure(api: &Api) -> Result<Value> {
    let trigger = json!({ "name": "bench webhook", "trigger_source": "webhook", "prompt_template": "{message}", "max_concurrent": 20 });
    api.expect("POST", "/admin/triggers", Some(&trigger), 201).context("creating the webhook trigger")?;
    let mut latencies = Vec::with_capacity(LATENCY_DELIVERIES);
    for n in 0..LATENCY_DELIVERIES {
        let sent = Instant::now();
        deliver(api, n)?;
        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
    }
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let api = api.clone();
            std::thread::spawn(move || -> Result<()> {
                for i in 0..PER_CLIENT {
                    deliver(&api, 100_000 * (c + 1) + i)?;
                }
                Ok(())
            })
        })
        .collect();
    for client in clients {
        client.join().map_err(|_| anyhow::anyhow!("a bench client panicked"))??;
    }
    let rps = (CLIENTS * PER_CLIENT) as f64 / started.elapsed().as_secs_f64();
    Ok(json!({
        "webhook_ingest_ms": crate::bench_runs::percentiles(latencies),
        "webhook_ingest_rps": (rps * 10.0).round() / 10.0,
        "method": { "latency_deliveries": LATENCY_DELIVERIES, "throughput": format!("{CLIENTS} clients x {PER_CLIENT} deliveries") },
    }))
}
