//! Test helpers: the real Agented server on port 0 with a fresh data folder
//! (and so a fresh SQLite file) per test, and captured JSON logs.
//!
//! Architecture invariant: a dev-only crate. Nothing in production depends on
//! it; it drives the same `Application::build` the binary uses.

#![allow(clippy::expect_used, reason = "test helpers fail the test loudly when the server cannot start")]

pub mod fake_github;
pub mod fake_http;
pub mod fake_receiver;
pub mod logs;
pub mod sse;
pub mod test_app;

pub use fake_github::FakeGithub;
pub use fake_receiver::FakeReceiver;
pub use logs::CapturedLogs;
pub use sse::{SseEvent, SseReader};
pub use test_app::{TestApp, TestAppBuilder, client, fake_bot, fake_mcp, install_fake_clis, workspace_root};
