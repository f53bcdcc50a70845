//! Webhook ingest: `POST /` deliveries that match a trigger, each a new
//! payload, so every one is matched, deduplicated (a new record), stored as an
//! execution and queued before it is answered; and deliveries that match
//! nothing, answered once no trigger wants them.

use crate::http::Api;
use crate::load::{Round, closed_loop};
use anyhow::{Context, Result, bail};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Senders at once.
pub const CLIENTS: usize = 4;
/// Senders of unmatched deliveries at once.
pub const UNMATCHED_CLIENTS: usize = 8;
/// Length of each round.
pub const ROUND: Duration = Duration::from_secs(3);

/// Creates the webhook trigger the deliveries match.
///
/// # Errors
/// When it cannot be created.
pub fn seed(api: &Api) -> Result<()> {
    let trigger = json!({
        "name": "bench webhook", "trigger_source": "webhook", "prompt_template": "{message}", "max_concurrent": 10,
        "match_field_path": "source", "match_field_value": "bench",
    });
    api.expect("POST", "/admin/triggers", Some(&trigger), 201).context("creating the webhook trigger")?;
    Ok(())
}

/// One round of deliveries (`round` keeps payloads unique across rounds) and
/// how many were answered 503 (the store was busy for longer than its timeout):
/// counted and published, since a sender retries those.
///
/// # Errors
/// A delivery answered otherwise than 200 with exactly one execution, or 503.
pub async fn round(api: &Api, round: usize) -> Result<(Round, usize)> {
    let url = api.url("/");
    let unavailable = Arc::new(AtomicUsize::new(0));
    let counted = unavailable.clone();
    let load = closed_loop(CLIENTS, ROUND, move |client, n| {
        let unavailable = counted.clone();
        // `lines=0`: the run the delivery starts prints nothing and ends at once.
        let payload = json!({ "text": format!("lines=0 delivery {round}.{n}"), "source": "bench" });
        let request = client.post(&url).json(&payload);
        async move {
            let res = request.send().await?;
            let status = res.status();
            let answer: serde_json::Value = res.json().await?;
            if status == 503 {
                unavailable.fetch_add(1, Ordering::SeqCst);
                return Ok(());
            }
            if status != 200 || answer["executions"].as_array().map_or(0, Vec::len) != 1 {
                bail!("delivery {round}.{n}: {status} {answer}");
            }
            Ok(())
        }
    })
    .await?;
    Ok((load, unavailable.load(Ordering::SeqCst)))
}

/// One round of deliveries no trigger matches (`source` is not `bench`).
///
/// # Errors
/// A delivery answered otherwise than 200 with no execution.
pub async fn unmatched_round(api: &Api, round: usize) -> Result<Round> {
    let url = api.url("/");
    closed_loop(UNMATCHED_CLIENTS, ROUND, move |client, n| {
        let payload = json!({ "text": format!("unmatched {round}.{n}"), "source": "elsewhere" });
        let request = client.post(&url).json(&payload);
        async move {
            let res = request.send().await?;
            let status = res.status();
            let answer: serde_json::Value = res.json().await?;
            if status != 200 || answer["executions"].as_array().map_or(0, Vec::len) != 0 {
                bail!("unmatched delivery {round}.{n}: {status} {answer}");
            }
            Ok(())
        }
    })
    .await
}

/// Waits until no run is queued or running, so the next figure starts on a quiet server.
///
/// # Errors
/// When runs are still pending after ten minutes.
pub fn drain(api: &Api) -> Result<()> {
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    loop {
        let mut pending = 0;
        for status in ["queued", "running"] {
            let page = api.expect("GET", &format!("/admin/executions?status={status}&limit=1"), None, 200)?;
            pending += page["total"].as_i64().context("total")?;
        }
        if pending == 0 {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!("{pending} runs still pending after ten minutes");
        }
        // No event says "the queue is empty": look again shortly.
        std::thread::sleep(Duration::from_millis(100));
    }
}
