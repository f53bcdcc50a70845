//! API tests: the real server on port 0, a fresh SQLite file per test.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "a test fails loudly on the first broken expectation")]

mod accounts;
mod agents;
mod api_keys;
mod audit;
mod auth;
mod backends;
mod budgets;
mod connection_limits;
mod dashboard;
mod errors;
mod github;
mod github_writeback;
mod health;
mod logging;
mod mcp_servers;
mod metrics;
mod migration;
mod notifications;
mod openapi;
mod original_requests;
mod path_variants;
mod planning;
mod plugins;
mod pr_reviews;
mod probes;
mod projects;
mod rate_limits;
mod response_headers;
mod run_environment;
mod runs;
mod schedules;
mod sessions;
mod sse;
mod streams;
mod support;
mod teams;
mod tooling;
mod tooling_items;
mod triggers;
mod webhooks;
mod workers;
mod workflow_runs;
mod workflows;
mod workspaces;
