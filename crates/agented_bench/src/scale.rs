//! `agented-bench scale`: one API server (`serve --no-worker`) and N workers
//! (`agented worker --max-parallel-runs P`) run R runs of a one-second bot.
//! Ideal time: ceil(R / (N·P)) s; efficiency: ideal / measured. Also the
//! cross-process line latency: a run on a worker, followed live through the API
//! server. On SQLite every process shares one data folder (the API server reads
//! the worker's lines from the store on a timer); with a PostgreSQL cluster
//! named by `AGENTED_TEST_POSTGRES_URL`, every process also gets a data folder
//! of its own, as on separate hosts, and the figures are taken again on a fresh
//! database (the API server is woken by the store's `NOTIFY`).

use crate::bench::{git_rev, machine, progress};
use crate::runs::{sse_latency, start, until_complete};
use crate::server::{Binaries, Server, Worker};
use crate::stats::quantile;
use agented_store::Location;
use agented_store::testing::Scratch;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where the processes of one measurement keep their data.
struct Place {
    dir: tempfile::TempDir,
    /// On PostgreSQL: the database's URL (the scratch drops it at the end).
    postgres: Option<(Scratch, String)>,
}

impl Place {
    fn new(postgres: bool) -> Result<Self> {
        let postgres = postgres.then(|| {
            let scratch = Scratch::postgres();
            let Location::Postgres(url) = scratch.location().clone() else { unreachable!("a PostgreSQL scratch") };
            (scratch, url)
        });
        Ok(Self { dir: tempfile::tempdir()?, postgres })
    }

    /// Process `n`'s data folder: the shared one on SQLite, its own on PostgreSQL.
    fn folder(&self, n: usize) -> PathBuf {
        match self.postgres {
            Some(_) => self.dir.path().join(format!("host-{n}")),
            None => self.dir.path().to_owned(),
        }
    }

    fn env(&self) -> Vec<(&str, &str)> {
        self.postgres.iter().map(|(_, url)| ("AGENTED__DATABASE__URL", url.as_str())).collect()
    }
}

/// What the scaling figure is run with.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Runs per measurement.
    pub runs: usize,
    /// Run slots per worker.
    pub parallel: usize,
    /// Worker counts measured.
    pub workers: Vec<usize>,
}

/// The most runs one trigger may have running at once.
const MAX_CONCURRENT: usize = 20;
/// What each run's bot does: one line, then a second of sleep.
const ONE_SECOND_BOT: &str = "lines=1 sleep_ms=1000";

/// Measures every worker count of `plan`, then the cross-process line latency; writes
/// `scale.json` and `scale.md` to `out_dir`.
///
/// # Errors
/// A process that does not start, or a run that does not succeed.
pub fn run(bins: &Binaries, plan: &Plan, out_dir: &Path) -> Result<Value> {
    let mut stores = vec![false];
    if std::env::var_os(agented_store::testing::POSTGRES_URL_VAR).is_some() {
        stores.push(true);
    }
    let mut figures = Vec::new();
    for postgres in stores {
        let store = if postgres { "postgres" } else { "sqlite" };
        let mut rows = Vec::new();
        for &n in &plan.workers {
            progress(&format!("{store}: {} runs on {n} worker(s) of {} slots", plan.runs, plan.parallel));
            rows.push(measure(bins, plan, n, postgres)?);
        }
        progress(&format!("{store}: cross-process line latency"));
        let latency = cross_process_latency(bins, postgres)?;
        figures.push(json!({
            "store": if postgres { "postgres (a data folder per process, as on separate hosts)" } else { "sqlite (one data folder, one host)" },
            "scaling": rows,
            "cross_process_line_latency_ms": latency,
        }));
    }
    let results = json!({
        "generated_at": chrono::Utc::now().to_rfc3339(),
        "git_rev": git_rev(),
        "machine": machine(),
        "runs": plan.runs,
        "parallel": plan.parallel,
        "stores": figures,
    });
    std::fs::create_dir_all(out_dir)?;
    std::fs::write(out_dir.join("scale.json"), serde_json::to_string_pretty(&results)? + "\n")?;
    std::fs::write(out_dir.join("scale.md"), table(&results))?;
    Ok(results)
}

fn measure(bins: &Binaries, plan: &Plan, workers: usize, postgres: bool) -> Result<Value> {
    let place = Place::new(postgres)?;
    let server = Server::start_with(bins, &place.folder(0), &place.env(), &["--no-worker"])?;
    let _workers: Vec<Worker> = (1..=workers)
        .map(|n| Worker::start(bins, &place.folder(n), plan.parallel, &place.env()))
        .collect::<Result<_>>()?;
    let slots = workers * plan.parallel;
    let triggers: Vec<String> = (0..slots.div_ceil(MAX_CONCURRENT))
        .map(|i| {
            let body = json!({ "name": format!("scale {i}"), "prompt_template": "{message}", "max_concurrent": MAX_CONCURRENT });
            let created = server.api.expect("POST", "/admin/triggers", Some(&body), 201)?;
            Ok(created["trigger_id"].as_str().context("trigger_id")?.to_owned())
        })
        .collect::<Result<_>>()?;
    let started = Instant::now();
    let ids: Vec<String> = (0..plan.runs)
        .map(|i| start(&server.api, &triggers[i % triggers.len()], ONE_SECOND_BOT))
        .collect::<Result<_>>()?;
    let mut used = BTreeSet::new();
    for id in &ids {
        let done = until_complete(&server.api, id)?;
        if done["status"] != "success" {
            bail!("run {id} ended {done}");
        }
        used.insert(done["worker"].as_str().unwrap_or_default().to_owned());
    }
    let seconds = started.elapsed().as_secs_f64();
    server.stop()?;
    let ideal = plan.runs.div_ceil(slots) as f64;
    Ok(json!({
        "workers": workers,
        "seconds": round2(seconds),
        "ideal_seconds": ideal,
        "efficiency": round2(ideal / seconds),
        "workers_used": used.len(),
    }))
}

fn cross_process_latency(bins: &Binaries, postgres: bool) -> Result<Value> {
    let place = Place::new(postgres)?;
    let server = Server::start_with(bins, &place.folder(0), &place.env(), &["--no-worker"])?;
    let _worker = Worker::start(bins, &place.folder(1), 1, &place.env())?;
    let trigger = crate::runs::trigger(&server.api, "scale latency")?;
    let samples = sse_latency(&server.api, &trigger)?;
    server.stop()?;
    Ok(json!({
        "p50": round2(quantile(&samples, 0.5)),
        "p99": round2(quantile(&samples, 0.99)),
        "lines": samples.len(),
    }))
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn table(results: &Value) -> String {
    let mut md = String::new();
    for store in results["stores"].as_array().into_iter().flatten() {
        md += &format!(
            "Store: {}\n\n| workers × slots | runs | seconds | ideal | efficiency | workers used |\n|---|---|---|---|---|---|\n",
            store["store"].as_str().unwrap_or_default()
        );
        for row in store["scaling"].as_array().into_iter().flatten() {
            md += &format!(
                "| {} × {} | {} | {} | {} | {} | {} |\n",
                row["workers"],
                results["parallel"],
                results["runs"],
                row["seconds"],
                row["ideal_seconds"],
                row["efficiency"],
                row["workers_used"]
            );
        }
        let l = &store["cross_process_line_latency_ms"];
        md += &format!(
            "\nCross-process line latency (worker → store → API server → stream): p50 {} ms, p99 {} ms over {} lines.\n\n",
            l["p50"], l["p99"], l["lines"]
        );
    }
    md
}
