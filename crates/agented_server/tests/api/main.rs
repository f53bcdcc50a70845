//! API tests: the real server on port 0, a fresh SQLite file per test.

mod dashboard;
mod errors;
mod health;
mod logging;
mod openapi;
mod probes;
