//! Captures every JSON log line of the test process, so tests can assert on
//! what a request logged. One global subscriber per test binary.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use tracing_subscriber::fmt::MakeWriter;

/// The shared buffer all log lines of this process are written to.
#[derive(Clone, Default)]
pub struct CapturedLogs {
    buffer: Arc<Mutex<Vec<u8>>>,
}

impl std::fmt::Debug for CapturedLogs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CapturedLogs")
    }
}

/// A writer appending to the shared buffer.
pub struct BufferWriter(Arc<Mutex<Vec<u8>>>);

impl Write for BufferWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for CapturedLogs {
    type Writer = BufferWriter;
    fn make_writer(&'a self) -> Self::Writer {
        BufferWriter(self.buffer.clone())
    }
}

impl CapturedLogs {
    /// The process-wide capture, installed on first use (JSON, `info` and up).
    pub fn global() -> Self {
        static LOGS: OnceLock<CapturedLogs> = OnceLock::new();
        LOGS.get_or_init(|| {
            let logs = Self::default();
            // Another subscriber may be installed by a test that wants its own; then nothing is captured.
            let _ = agented_http::telemetry::init(
                "info",
                agented_http::telemetry::LogFormat::Json,
                logs.clone(),
                None::<tracing_subscriber::layer::Identity>,
            );
            agented_http::telemetry::log_panics();
            logs
        })
        .clone()
    }

    /// Every captured line parsed as JSON (lines that are not JSON are skipped).
    #[must_use]
    pub fn lines(&self) -> Vec<serde_json::Value> {
        let bytes = self.buffer.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        String::from_utf8_lossy(&bytes).lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }

    /// The lines that carry `request_id == id`.
    #[must_use]
    pub fn for_request(&self, id: &str) -> Vec<serde_json::Value> {
        self.lines().into_iter().filter(|l| l["request_id"] == id).collect()
    }
}
