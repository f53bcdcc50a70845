//! `cargo xtask bench`: the release binary's start-up time to readiness, its
//! idle memory, and the run figures of `bench_runs`, written to
//! `target/bench/results.json`. Measured, never asserted.

use crate::{root, step};
use anyhow::{Context, Result, bail};
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use xshell::{Shell, cmd};

const RUNS: usize = 7;

/// Starts the binary on a free port; returns the child, its address and when it was spawned.
fn spawn(bin: &Path, data_dir: &Path, extra_env: &[(&str, &std::ffi::OsStr)]) -> Result<(Child, String, Instant)> {
    let started = Instant::now();
    let mut child = Command::new(bin)
        .arg("serve")
        .env_clear()
        .envs(extra_env.iter().copied())
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AGENTED_ENV", "production")
        .env("AGENTED__LOG__LEVEL", "warn")
        .env("AGENTED_CONFIG_DIR", root().join("config"))
        .env("AGENTED__DATA_DIR", data_dir)
        .env("AGENTED__SERVER__BIND", "127.0.0.1:0")
        .env("AGENTED__WEB__DIST_DIR", root().join("web/dist"))
        .current_dir(data_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting the release binary")?;
    let stderr = child.stderr.take().context("stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let addr = loop {
        let Some(line) = lines.next() else { bail!("the server exited before printing its address") };
        if let Some(rest) = line?.strip_prefix("agented listening on http://") {
            break rest.split('/').next().unwrap_or_default().to_owned();
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    Ok((child, addr, started))
}

fn ready(addr: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else { return false };
    let request = format!("GET /health/readiness HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0_u8; 12];
    stream.read_exact(&mut head).is_ok() && head.ends_with(b"200")
}

/// Milliseconds from spawn until `/health/readiness` answers 200.
fn time_to_ready(child: &mut Child, addr: &str, started: Instant) -> Result<f64> {
    let deadline = started + Duration::from_secs(30);
    while !ready(addr) {
        if Instant::now() > deadline {
            bail!("not ready within 30 s");
        }
        if let Some(status) = child.try_wait()? {
            bail!("the server exited with {status}");
        }
        // Readiness has no push signal: poll every millisecond, the measurement's resolution.
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0)
}

fn stop(child: &mut Child) -> Result<()> {
    Command::new("kill").arg("-TERM").arg(child.id().to_string()).status()?;
    child.wait()?;
    Ok(())
}

fn rss_kib(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line =
        status.lines().find(|l| l.starts_with(field)).with_context(|| format!("{field} in /proc/{pid}/status"))?;
    Ok(line.split_whitespace().nth(1).unwrap_or("0").parse()?)
}

pub fn summary(mut samples: Vec<f64>) -> serde_json::Value {
    samples.sort_by(f64::total_cmp);
    let median = samples[samples.len() / 2];
    let round = |v: f64| (v * 10.0).round() / 10.0;
    json!({
        "median": round(median),
        "min": round(samples[0]),
        "max": round(samples[samples.len() - 1]),
        "samples": samples.iter().map(|v| round(*v)).collect::<Vec<_>>(),
    })
}

/// Builds the release binary, measures, writes `target/bench/results.json`.
pub fn run(sh: &Shell) -> Result<()> {
    step("release build", "cargo build --release -p agented_server -p agented_test_support", || {
        Ok(cmd!(
            sh,
            "cargo build --release --quiet -p agented_server --bin agented -p agented_test_support --bin fake-bot"
        )
        .run()?)
    })?;
    let bin = root().join("target/release/agented");
    let mut fresh = Vec::new();
    let mut existing = Vec::new();
    let mut idle_rss = Vec::new();
    step("start-up and idle memory", "cargo xtask bench", || {
        for _ in 0..RUNS {
            let dir = sh.create_temp_dir()?;
            // A fresh data folder: creates the database, runs migrations and seeds.
            let (mut child, addr, started) = spawn(&bin, dir.path(), &[])?;
            fresh.push(time_to_ready(&mut child, &addr, started)?);
            stop(&mut child)?;
            // The same folder again: the usual restart.
            let (mut child, addr, started) = spawn(&bin, dir.path(), &[])?;
            existing.push(time_to_ready(&mut child, &addr, started)?);
            // Idle means after start-up has settled: a second with no requests
            // (a deliberate wait, since there is no event for "nothing is happening").
            std::thread::sleep(Duration::from_secs(1));
            idle_rss.push(rss_kib(child.id(), "VmRSS:")? as f64);
            stop(&mut child)?;
        }
        Ok(())
    })?;
    let mut runs = serde_json::Value::Null;
    step("runs: first line, SSE latency, log flood", "cargo xtask bench", || {
        runs = run_figures(sh, &bin)?;
        Ok(())
    })?;
    let binary_bytes = std::fs::metadata(&bin)?.len();
    let git_rev = cmd!(sh, "git rev-parse --short HEAD").ignore_stderr().read().unwrap_or_else(|_| "unknown".into());
    let results = json!({
        "generated_at_unix": std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs(),
        "git_rev": git_rev,
        "machine": { "cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1) },
        "binary": { "profile": "release", "bytes": binary_bytes },
        "startup_runs": RUNS,
        "startup_to_ready_ms": { "fresh_data_dir": summary(fresh), "existing_data_dir": summary(existing) },
        "idle_rss_kib": summary(idle_rss),
        "runs": runs,
    });
    let out_dir = root().join("target/bench");
    std::fs::create_dir_all(&out_dir)?;
    let path = out_dir.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results)? + "\n")?;
    eprintln!("{}", serde_json::to_string_pretty(&results)?);
    eprintln!("written to {}", path.display());
    Ok(())
}

/// The key the bench server is started with (`AGENTED_API_KEY`).
const BENCH_KEY: &str = "agd_be0c4e5a11fe0000000000000000000000000000000000be";

/// Starts a server whose runner finds the fake bot under the CLI names, and measures runs.
fn run_figures(sh: &Shell, bin: &Path) -> Result<serde_json::Value> {
    let dir = sh.create_temp_dir()?;
    let fake_bin = dir.path().join("fake-bin");
    std::fs::create_dir_all(&fake_bin)?;
    let bot = root().join("target/release/fake-bot");
    for name in ["claude", "codex", "gemini", "opencode"] {
        std::os::unix::fs::symlink(&bot, fake_bin.join(name))?;
    }
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data)?;
    let env: [(&str, &std::ffi::OsStr); 3] = [
        ("AGENTED__RUNNER__EXTRA_PATH", fake_bin.as_os_str()),
        ("AGENTED_API_KEY", BENCH_KEY.as_ref()),
        // The figures are about runs, not the request limits.
        ("AGENTED__RATE_LIMITS__ENABLED", "false".as_ref()),
    ];
    let (mut child, addr, started) = spawn(bin, &data, &env)?;
    time_to_ready(&mut child, &addr, started)?;
    let api = crate::bench_http::Api { addr, key: BENCH_KEY.to_owned() };
    let figures = crate::bench_runs::measure(&api).and_then(|mut runs| {
        runs["webhooks"] = crate::bench_webhooks::measure(&api)?;
        Ok(runs)
    });
    stop(&mut child)?;
    figures
}
