//! `agented-bench bench`: every published figure, each the median of several
//! rounds with their min and max, written to `results.json` and `results.md`.

use crate::server::{Binaries, Server};
use crate::stats::{figure, quantile};
use crate::{api, runs, sse_clients, startup, webhooks};
use anyhow::{Context, Result};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::path::Path;

/// The figures in the order they are published, with their units.
pub const KEYS: [(&str, &str); 20] = [
    ("startup_ms", "ms"),
    ("idle_rss_mb", "MiB"),
    ("api_list_triggers_rps", "req/s"),
    ("api_list_triggers_p99_ms", "ms"),
    ("webhook_ingest_rps", "req/s"),
    ("webhook_ingest_p99_ms", "ms"),
    ("webhook_unmatched_rps", "req/s"),
    ("webhook_unmatched_p99_ms", "ms"),
    ("run_to_first_log_p50_ms", "ms"),
    ("run_to_first_log_p99_ms", "ms"),
    ("sse_line_latency_p50_ms", "ms"),
    ("sse_line_latency_p99_ms", "ms"),
    ("sse_line_latency_flood_p50_ms", "ms"),
    ("sse_line_latency_flood_p99_ms", "ms"),
    ("sequential_40_runs_s", "s"),
    ("sse_10k_clients_rss_mb", "MiB"),
    ("sse_stream_kib", "KiB"),
    ("log_flood_lines_per_s", "lines/s"),
    ("startup_fresh_ms", "ms"),
    ("webhook_ingest_503_per_round", "answers"),
];

/// Collects rounds per key.
#[derive(Default)]
struct Rounds(HashMap<&'static str, Vec<f64>>);

impl Rounds {
    fn push(&mut self, key: &'static str, value: f64) {
        self.0.entry(key).or_default().push(value);
    }

    fn figures(&self) -> Map<String, Value> {
        KEYS.iter().filter_map(|(key, unit)| Some(((*key).to_owned(), figure(self.0.get(key)?, unit)))).collect()
    }
}

pub fn progress(what: &str) {
    eprintln!("  - {what}");
}

/// Measures everything on the binaries in `bins`; `rounds` per figure (the
/// 10,000-stream one does at most three).
///
/// # Errors
/// The first measurement that fails.
pub fn run(bins: &Binaries, rounds: usize, out_dir: &Path) -> Result<Value> {
    let mut r = Rounds::default();
    progress("start-up and idle memory");
    let s = startup::measure(bins, rounds.max(5))?;
    s.restart_ms.iter().for_each(|v| r.push("startup_ms", *v));
    s.fresh_ms.iter().for_each(|v| r.push("startup_fresh_ms", *v));
    s.idle_rss_mib.iter().for_each(|v| r.push("idle_rss_mb", *v));

    let dir = tempfile::tempdir()?;
    let server = Server::start(bins, dir.path(), &[])?;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let result = measure_server(&server, &runtime, rounds, &mut r);
    server.stop()?;
    result?;

    let figures = r.figures();
    let results = json!({
        "generated_at": chrono::Utc::now().to_rfc3339(),
        "git_rev": git_rev(),
        "machine": machine(),
        "rounds": rounds,
        "figures": figures,
        "method": method(),
    });
    std::fs::create_dir_all(out_dir)?;
    std::fs::write(out_dir.join("results.json"), serde_json::to_string_pretty(&results)? + "\n")?;
    std::fs::write(out_dir.join("results.md"), table(&figures))?;
    Ok(results)
}

fn measure_server(server: &Server, runtime: &tokio::runtime::Runtime, rounds: usize, r: &mut Rounds) -> Result<()> {
    let api = &server.api;
    api::seed(api)?;
    webhooks::seed(api)?;
    progress("GET /admin/triggers under load");
    for _ in 0..rounds {
        let round = runtime.block_on(api::round(api))?;
        r.push("api_list_triggers_rps", round.rps);
        r.push("api_list_triggers_p99_ms", quantile(&round.latencies_ms, 0.99));
    }
    progress("webhook ingest");
    for n in 0..rounds {
        let (round, unavailable) = runtime.block_on(webhooks::round(api, n))?;
        r.push("webhook_ingest_503_per_round", unavailable as f64);
        r.push("webhook_ingest_rps", round.rps);
        r.push("webhook_ingest_p99_ms", quantile(&round.latencies_ms, 0.99));
        webhooks::drain(api)?;
    }
    progress("unmatched webhooks");
    for n in 0..rounds {
        let round = runtime.block_on(webhooks::unmatched_round(api, n))?;
        r.push("webhook_unmatched_rps", round.rps);
        r.push("webhook_unmatched_p99_ms", quantile(&round.latencies_ms, 0.99));
    }
    progress("trigger to first log line");
    let first = runs::trigger(api, "bench first line")?;
    for _ in 0..rounds {
        let samples = runs::first_line(api, &first)?;
        r.push("run_to_first_log_p50_ms", quantile(&samples, 0.5));
        r.push("run_to_first_log_p99_ms", quantile(&samples, 0.99));
    }
    progress("SSE line latency");
    let sse = runs::trigger(api, "bench sse")?;
    for _ in 0..rounds {
        let samples = runs::sse_latency(api, &sse)?;
        r.push("sse_line_latency_p50_ms", quantile(&samples, 0.5));
        r.push("sse_line_latency_p99_ms", quantile(&samples, 0.99));
    }
    progress("SSE line latency while ten bots flood");
    for n in 0..rounds {
        let samples = runs::sse_latency_under_flood(api, &sse, n)?;
        r.push("sse_line_latency_flood_p50_ms", quantile(&samples, 0.5));
        r.push("sse_line_latency_flood_p99_ms", quantile(&samples, 0.99));
    }
    progress("40 sequential runs");
    let sequential = runs::trigger(api, "bench sequential")?;
    for _ in 0..rounds {
        r.push("sequential_40_runs_s", runs::sequential(api, &sequential)?);
    }
    progress("log flood");
    for n in 0..rounds {
        r.push("log_flood_lines_per_s", runs::flood(api, n)?);
    }
    progress("10,000 open streams");
    let long = runs::trigger(api, "bench many streams")?;
    // Before any stream was ever open: memory freed by one round's streams stays with the
    // process and would hide the next round's cost.
    let before = server.rss_mib()?;
    for _ in 0..rounds.min(3) {
        let id = runs::start(api, &long, "lines=1 sleep_ms=600000")?;
        let rss = runtime.block_on(sse_clients::hold_open(api, &id, || server.rss_mib()))?;
        r.push("sse_10k_clients_rss_mb", rss);
        r.push("sse_stream_kib", sse_clients::per_stream_kib(before, rss));
        api.expect("POST", &format!("/admin/executions/{id}/cancel"), None, 200)
            .with_context(|| format!("cancelling {id}"))?;
        webhooks::drain(api)?;
    }
    Ok(())
}

pub fn git_rev() -> String {
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(|| "unknown".into(), |o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
}

pub fn machine() -> Value {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model =
        cpuinfo.lines().find_map(|l| l.strip_prefix("model name")).map(|l| l.trim_start_matches([' ', '\t', ':']));
    let mem_kib = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse::<u64>().ok());
    json!({
        "cpus": std::thread::available_parallelism().map(std::num::NonZero::get).unwrap_or(1),
        "cpu_model": model.unwrap_or("unknown"),
        "memory_gib": mem_kib.map(|k| (k as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0),
        "kernel": read("/proc/sys/kernel/osrelease").trim(),
    })
}

fn method() -> Value {
    json!({
        "startup_ms": "spawn to /health/readiness 200, restart on an existing data folder (startup_fresh_ms: first start, migrations and seeding included)",
        "idle_rss_mb": "VmRSS one second after a restart, no requests",
        "api_list_triggers": format!("{} kept-alive clients, closed loop, {} s per round, {} triggers stored", api::CLIENTS, api::ROUND.as_secs(), api::TRIGGERS),
        "webhook_unmatched": format!("{} kept-alive clients POST / with a payload no trigger matches, {} s per round; answered once nothing matched (the inspector's record is written behind the answer)", webhooks::UNMATCHED_CLIENTS, webhooks::ROUND.as_secs()),
        "sse_line_latency_flood": format!("as sse_line_latency, while {} other bots each print {} lines at {}/s", runs::FLOOD_BOTS, runs::FLOOD_WHILE_TIMED, runs::FLOOD_RATE),
        "sse_stream_kib": "(VmRSS with the 10,000 streams open - VmRSS before the first round's streams) / 10,000, in KiB",
        "webhook_ingest": format!("{} kept-alive clients POST / with a new matching payload each, {} s per round; answered after match, dedup, store and enqueue", webhooks::CLIENTS, webhooks::ROUND.as_secs()),
        "run_to_first_log": format!("{} runs one after another per round: POST …/run to the first line's stored timestamp", runs::FIRST_LINE_RUNS),
        "sse_line_latency": format!("{} lines 5 ms apart: runner reading the line to a stream client receiving it", runs::SSE_LINES),
        "sequential_40_runs_s": format!("{} runs of the fake bot sleeping 10 ms, each started when the last one's stream said complete", runs::SEQUENTIAL_RUNS),
        "sse_10k_clients_rss_mb": format!("VmRSS with {} streams of one running execution open (each had its first event)", sse_clients::CLIENTS),
        "log_flood_lines_per_s": format!("{} bots x {} lines at once, lines stored (log_lines of each complete event) per second", runs::FLOOD_BOTS, runs::FLOOD_LINES),
    })
}

fn table(figures: &Map<String, Value>) -> String {
    let mut out = String::from("| figure | median | min | max | unit | rounds |\n|---|---:|---:|---:|---|---:|\n");
    for (key, _) in KEYS {
        if let Some(f) = figures.get(key) {
            let rounds = f["rounds"].as_array().map_or(0, Vec::len);
            out.push_str(&format!(
                "| `{key}` | {} | {} | {} | {} | {rounds} |\n",
                f["median"],
                f["min"],
                f["max"],
                f["unit"].as_str().unwrap_or_default()
            ));
        }
    }
    out
}
