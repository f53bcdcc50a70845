//! Reading a `text/event-stream` response event by event, so tests wait for
//! what the server announces instead of polling.

use serde_json::Value;
use std::time::Duration;

/// One event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    /// `event:` (default `message`).
    pub name: String,
    /// `id:`, when numeric.
    pub id: Option<i64>,
    /// `data:` parsed as JSON.
    pub data: Value,
}

/// Events of one open stream.
#[derive(Debug)]
pub struct SseReader {
    res: reqwest::Response,
    buffer: String,
}

impl SseReader {
    /// Reads the events of `res`.
    #[must_use]
    pub const fn new(res: reqwest::Response) -> Self {
        Self { res, buffer: String::new() }
    }

    /// The next event with data (comments are skipped); `None` when the stream ends.
    ///
    /// # Panics
    /// When nothing arrives for 120 s or the data is not JSON.
    pub async fn next(&mut self) -> Option<SseEvent> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let (mut name, mut id, mut data) = (String::from("message"), None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event: ") {
                        name = v.to_owned();
                    } else if let Some(v) = line.strip_prefix("id: ") {
                        id = v.parse().ok();
                    } else if let Some(v) = line.strip_prefix("data: ") {
                        data.push_str(v);
                    }
                }
                if !data.is_empty() {
                    return Some(SseEvent { name, id, data: serde_json::from_str(&data).expect("JSON event data") });
                }
            }
            let chunk = tokio::time::timeout(Duration::from_secs(120), self.res.chunk())
                .await
                .expect("the stream stalled")
                .expect("the stream broke")?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Events up to and including the first for which `stop` is true (or to the end).
    pub async fn until(&mut self, mut stop: impl FnMut(&SseEvent) -> bool) -> Vec<SseEvent> {
        let mut events = Vec::new();
        while let Some(event) = self.next().await {
            let done = stop(&event);
            events.push(event);
            if done {
                break;
            }
        }
        events
    }
}
