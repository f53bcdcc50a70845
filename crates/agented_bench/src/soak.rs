//! `agented-bench soak`: minutes of mixed traffic against one release server
//! (webhook deliveries, manual runs followed live, stream clients that hang up
//! early, list requests), sampling its memory and open file descriptors. The
//! server must end as it began: memory flat once warm, no descriptor kept.

use crate::server::{Binaries, Server};
use crate::{runs, webhooks};
use anyhow::{Context, Result, bail};
use futures::StreamExt;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How often memory and descriptors are read.
const SAMPLE_EVERY: Duration = Duration::from_secs(5);
/// Time for stream tasks of clients that hung up to notice (heartbeats are 15 s apart).
const IDLE_SETTLE: Duration = Duration::from_secs(20);
/// Memory may grow this much (MiB) between the first and last warm minute (allocator noise).
const RSS_SLACK_MIB: f64 = 8.0;

#[derive(Default)]
struct Counts {
    deliveries: AtomicUsize,
    runs: AtomicUsize,
    streams: AtomicUsize,
    lists: AtomicUsize,
}

async fn every(
    period: Duration,
    stop: Arc<AtomicBool>,
    mut tick: impl FnMut(usize) -> futures::future::BoxFuture<'static, Result<()>>,
) -> Result<()> {
    let mut interval = tokio::time::interval(period);
    let mut n = 0;
    while !stop.load(Ordering::SeqCst) {
        interval.tick().await;
        tick(n).await?;
        n += 1;
    }
    Ok(())
}

/// Follows a stream until `complete`, or hangs up after `hang_up` if given.
async fn follow(client: reqwest::Client, url: String, key: String, hang_up: Option<Duration>) -> Result<()> {
    let res = client.get(url).header("x-api-key", key).send().await?;
    if res.status() != 200 {
        bail!("stream: {}", res.status());
    }
    let mut body = res.bytes_stream();
    let started = Instant::now();
    let mut seen = String::new();
    while let Some(chunk) = body.next().await {
        seen.push_str(&String::from_utf8_lossy(&chunk?));
        if seen.contains("event: complete") || hang_up.is_some_and(|h| started.elapsed() > h) {
            return Ok(());
        }
        // Only the tail matters for spotting `complete`.
        if seen.len() > 4096 {
            seen.drain(..seen.len() - 64);
        }
    }
    Ok(())
}

async fn post_json(client: &reqwest::Client, url: &str, key: &str, body: &Value, expect: u16) -> Result<Value> {
    let res = client.post(url).header("x-api-key", key).json(body).send().await?;
    let status = res.status().as_u16();
    let answer: Value = res.json().await?;
    if status != expect {
        bail!("POST {url}: {status} {answer}");
    }
    Ok(answer)
}

async fn load(server_api: crate::http::Api, manual: String, stop: Arc<AtomicBool>, counts: Arc<Counts>) -> Result<()> {
    let client = reqwest::Client::new();
    let key = server_api.key.clone();
    let api = Arc::new(server_api);
    let last_run = Arc::new(tokio::sync::Mutex::new(None::<String>));
    // Five webhook deliveries a second.
    let deliveries = every(Duration::from_millis(200), stop.clone(), {
        let (client, api, counts) = (client.clone(), api.clone(), counts.clone());
        move |n| {
            let (client, api, counts) = (client.clone(), api.clone(), counts.clone());
            Box::pin(async move {
                let payload = json!({ "text": format!("lines=3 delay_ms=20 soak {n}"), "source": "soak" });
                post_json(&client, &api.url("/"), "", &payload, 200).await?;
                counts.deliveries.fetch_add(1, Ordering::Relaxed);
                Ok(())
            })
        }
    });
    // A manual run a second, followed live to its end.
    let manual_runs = every(Duration::from_secs(1), stop.clone(), {
        let (client, api, counts, key, last_run) =
            (client.clone(), api.clone(), counts.clone(), key.clone(), last_run.clone());
        move |_| {
            let (client, api, counts, key, last_run, manual) =
                (client.clone(), api.clone(), counts.clone(), key.clone(), last_run.clone(), manual.clone());
            Box::pin(async move {
                let url = api.url(&format!("/admin/triggers/{manual}/run"));
                let started = post_json(&client, &url, &key, &json!({ "message": "lines=50 delay_ms=5" }), 202).await?;
                let id = started["execution_id"].as_str().context("execution_id")?.to_owned();
                *last_run.lock().await = Some(id.clone());
                tokio::spawn(follow(client, api.url(&format!("/admin/executions/{id}/stream")), key, None));
                counts.runs.fetch_add(1, Ordering::Relaxed);
                Ok(())
            })
        }
    });
    // Twenty stream clients every two seconds that hang up after half a second.
    let hang_ups = every(Duration::from_secs(2), stop.clone(), {
        let (client, api, counts, key, last_run) =
            (client.clone(), api.clone(), counts.clone(), key.clone(), last_run.clone());
        move |_| {
            let (client, api, counts, key, last_run) =
                (client.clone(), api.clone(), counts.clone(), key.clone(), last_run.clone());
            Box::pin(async move {
                if let Some(id) = last_run.lock().await.clone() {
                    for _ in 0..20 {
                        let url = api.url(&format!("/admin/executions/{id}/stream"));
                        tokio::spawn(follow(client.clone(), url, key.clone(), Some(Duration::from_millis(500))));
                        counts.streams.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(())
            })
        }
    });
    // Ten list requests a second, as dashboards polling.
    let lists = every(Duration::from_millis(100), stop.clone(), {
        let (client, api, counts, key) = (client.clone(), api.clone(), counts.clone(), key.clone());
        move |n| {
            let (client, api, counts, key) = (client.clone(), api.clone(), counts.clone(), key.clone());
            Box::pin(async move {
                let path = if n % 2 == 0 { "/admin/triggers" } else { "/admin/executions?limit=50" };
                let res = client.get(api.url(path)).header("x-api-key", key).send().await?;
                if res.status() != 200 {
                    bail!("GET {path}: {}", res.status());
                }
                res.bytes().await?;
                counts.lists.fetch_add(1, Ordering::Relaxed);
                Ok(())
            })
        }
    });
    tokio::try_join!(deliveries, manual_runs, hang_ups, lists)?;
    Ok(())
}

fn median(values: &[f64]) -> f64 {
    crate::stats::quantile(values, 0.5)
}

/// Traffic for `duration`, sampling every few seconds; then waits until the server is idle again.
fn traffic(
    server: &Server,
    manual: &str,
    duration: Duration,
    counts: &Arc<Counts>,
    samples: &mut Vec<Value>,
) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let stop = Arc::new(AtomicBool::new(false));
    let load = runtime.spawn(load(server.api.clone(), manual.to_owned(), stop.clone(), counts.clone()));
    let started = Instant::now();
    while started.elapsed() < duration && !load.is_finished() {
        std::thread::sleep(SAMPLE_EVERY);
        let (rss, fds) = (server.rss_mib()?, server.open_fds()?);
        eprintln!("  {:>4.0} s  rss {rss:.1} MiB  fds {fds}", started.elapsed().as_secs_f64());
        samples.push(json!({ "t_s": started.elapsed().as_secs(), "rss_mib": rss, "fds": fds }));
    }
    stop.store(true, Ordering::SeqCst);
    runtime.block_on(load)??;
    webhooks::drain(&server.api)?;
    // Stream tasks notice a client that hung up at their next write (a heartbeat at most).
    std::thread::sleep(IDLE_SETTLE);
    Ok(())
}

/// Runs the soak for `duration` after a warm-up (a fifth of it); fails when
/// memory or descriptors grew between the warm, idle server and the end.
///
/// # Errors
/// A failed request, or growth beyond the slack.
pub fn run(bins: &Binaries, duration: Duration, out_dir: &Path) -> Result<Value> {
    let dir = tempfile::tempdir()?;
    let server = Server::start(bins, dir.path(), &[])?;
    webhooks::seed(&server.api)?;
    let manual = runs::trigger(&server.api, "soak manual")?;
    let counts = Arc::new(Counts::default());
    let mut warm_up = Vec::new();
    eprintln!("  warm-up");
    traffic(&server, &manual, duration / 5, &counts, &mut warm_up)?;
    let (fds_before, rss_before) = (server.open_fds()?, server.rss_mib()?);
    let mut samples = Vec::new();
    eprintln!("  soak (warm and idle: rss {rss_before:.1} MiB, fds {fds_before})");
    let started = Instant::now();
    traffic(&server, &manual, duration, &counts, &mut samples)?;
    let (fds_after, rss_after) = (server.open_fds()?, server.rss_mib()?);
    server.stop()?;

    let rss: Vec<f64> = samples.iter().filter_map(|s| s["rss_mib"].as_f64()).collect();
    let part = (rss.len() / 5).max(1).min(rss.len());
    let (early, late) = (median(&rss[..part]), median(&rss[rss.len() - part..]));
    let report = json!({
        "duration_s": started.elapsed().as_secs(),
        "traffic": {
            "webhook_deliveries": counts.deliveries.load(Ordering::Relaxed),
            "manual_runs_followed": counts.runs.load(Ordering::Relaxed),
            "streams_hung_up_early": counts.streams.load(Ordering::Relaxed),
            "list_requests": counts.lists.load(Ordering::Relaxed),
        },
        "rss_mib": { "idle_before": rss_before, "first_fifth_median": early, "last_fifth_median": late, "idle_after": rss_after },
        "fds": { "idle_before": fds_before, "max_during": samples.iter().filter_map(|s| s["fds"].as_u64()).max(), "idle_after": fds_after },
        "samples": samples,
    });
    std::fs::create_dir_all(out_dir)?;
    std::fs::write(out_dir.join("soak.json"), serde_json::to_string_pretty(&report)? + "\n")?;
    if fds_after > fds_before {
        bail!("open descriptors grew from {fds_before} to {fds_after} (idle, before and after)");
    }
    if late > early + RSS_SLACK_MIB {
        bail!("memory grew from {early:.1} MiB to {late:.1} MiB under the same load");
    }
    Ok(report)
}
