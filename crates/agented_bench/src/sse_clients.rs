//! Many open streams: `CLIENTS` clients follow one long run's event stream at
//! once. A client counts as open once its first event has arrived; the
//! server's resident memory is read while all are open.

use crate::http::Api;
use anyhow::{Context, Result, bail};
use futures::StreamExt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::{Semaphore, watch};

/// Streams held open at once.
pub const CLIENTS: usize = 10_000;
/// Connections being set up at once (the listen backlog is finite).
const CONNECTING: usize = 200;

/// Opens the streams of `execution`, calls `measure` once all are open, then closes them
/// (`measure` gives resident memory in MiB: [`per_stream_kib`] compares it with the figure before).
///
/// # Errors
/// A stream that cannot be opened, or `measure`'s error.
pub async fn hold_open(api: &Api, execution: &str, measure: impl FnOnce() -> Result<f64>) -> Result<f64> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build()?;
    let url = api.url(&format!("/admin/executions/{execution}/stream"));
    let connecting = Arc::new(Semaphore::new(CONNECTING));
    let opened = Arc::new(AtomicUsize::new(0));
    let all_open = Arc::new(tokio::sync::Notify::new());
    let failed = Arc::new(tokio::sync::Notify::new());
    let (close, closed) = watch::channel(false);
    let mut tasks = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        let (client, url, key) = (client.clone(), url.clone(), api.key.clone());
        let (connecting, opened, all_open, failed, mut closed) =
            (connecting.clone(), opened.clone(), all_open.clone(), failed.clone(), closed.clone());
        let stream = async move {
            let permit = connecting.acquire_owned().await?;
            let res = client.get(&url).header("x-api-key", key).send().await?;
            if res.status() != 200 {
                bail!("stream: {}", res.status());
            }
            let mut body = res.bytes_stream();
            body.next().await.context("the stream ended before its first event")??;
            drop(permit);
            if opened.fetch_add(1, Ordering::SeqCst) + 1 == CLIENTS {
                all_open.notify_one();
            }
            // Hold the stream (reading keeps its buffer drained) until told to close.
            loop {
                tokio::select! {
                    _ = closed.changed() => return Ok(()),
                    chunk = body.next() => if chunk.is_none() { bail!("the server closed a stream") },
                }
            }
        };
        tasks.push(tokio::spawn(async move {
            let outcome = stream.await;
            if outcome.is_err() {
                // Stop waiting for all to open: the task's own error is reported below.
                failed.notify_one();
            }
            outcome
        }));
    }
    let figure = tokio::select! {
        () = all_open.notified() => measure(),
        () = failed.notified() => Err(anyhow::anyhow!("a stream failed before all were open")),
        () = tokio::time::sleep(Duration::from_secs(300)) => {
            Err(anyhow::anyhow!("only {} of {CLIENTS} streams opened in 5 minutes", opened.load(Ordering::SeqCst)))
        }
    };
    close.send(true)?;
    for task in tasks {
        task.await??;
    }
    figure
}

/// Memory per open stream, in KiB, from the resident memory before and with [`CLIENTS`] open.
#[must_use]
pub fn per_stream_kib(before_mib: f64, with_mib: f64) -> f64 {
    (with_mib - before_mib) * 1024.0 / CLIENTS as f64
}
