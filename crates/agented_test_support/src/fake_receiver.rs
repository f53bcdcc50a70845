//! A fake receiver of outgoing webhooks (a team's endpoint, Slack) on port 0: real
//! HTTP, recording every request whole, answering 200 unless told to answer
//! otherwise for the next requests.

use crate::fake_http::{Request, read_whole};
use std::collections::VecDeque;
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

#[derive(Default)]
struct State {
    answers: VecDeque<u16>,
    received: Vec<Request>,
}

/// The fake receiver; it stops with the test process.
#[derive(Clone)]
pub struct FakeReceiver {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl FakeReceiver {
    /// Starts listening on a free port.
    ///
    /// # Panics
    /// When no port can be bound.
    #[must_use]
    pub fn start() -> Self {
        #[allow(clippy::expect_used, reason = "a fake that cannot listen makes its test meaningless")]
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a port for the fake receiver");
        #[allow(clippy::expect_used, reason = "a bound listener has an address")]
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let Ok(request) = read_whole(&stream) else { continue };
                let status = {
                    let mut s = shared.lock().unwrap_or_else(PoisonError::into_inner);
                    s.received.push(request);
                    s.answers.pop_front().unwrap_or(200)
                };
                let _ = (&stream).write_all(
                    format!("HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok").as_bytes(),
                );
            }
        });
        Self { url, state }
    }

    /// Answers the next requests with `statuses`, in order.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.lock().answers.extend(statuses);
    }

    /// Every request received, in order.
    #[must_use]
    pub fn received(&self) -> Vec<Request> {
        self.lock().received.clone()
    }

    /// The requests received once there are at least `n`, waiting up to `within` (without
    /// blocking the runtime the server under test may share).
    #[must_use]
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Request> {
        let deadline = Instant::now() + within;
        loop {
            let received = self.received();
            if received.len() >= n || Instant::now() >= deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
