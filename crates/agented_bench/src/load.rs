//! Closed-loop HTTP load: `clients` connections (kept alive), each sending its
//! next request as soon as the last is answered, for a fixed time. Gives the
//! throughput and every request's latency.

use anyhow::{Result, bail};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one round of load produced.
pub struct Round {
    /// Answered requests per second.
    pub rps: f64,
    /// Each request's latency, in ms.
    pub latencies_ms: Vec<f64>,
}

/// Runs `request(client, n)` from `clients` tasks for `duration`; every request must succeed.
///
/// # Errors
/// The first failed request.
pub async fn closed_loop<F, Fut>(clients: usize, duration: Duration, request: F) -> Result<Round>
where
    F: Fn(reqwest::Client, usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    let request = Arc::new(request);
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let request = request.clone();
            tokio::spawn(async move {
                // One client per task: its own kept-alive connection.
                let client = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
                let mut latencies = Vec::new();
                let mut n = c * 1_000_000;
                while started.elapsed() < duration {
                    let sent = Instant::now();
                    request(client.clone(), n).await?;
                    latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                    n += 1;
                }
                anyhow::Ok(latencies)
            })
        })
        .collect();
    let mut latencies_ms = Vec::new();
    for task in tasks {
        latencies_ms.extend(task.await??);
    }
    let elapsed = started.elapsed().as_secs_f64();
    if latencies_ms.is_empty() {
        bail!("no request was answered in {elapsed:.1} s");
    }
    Ok(Round { rps: latencies_ms.len() as f64 / elapsed, latencies_ms })
}
