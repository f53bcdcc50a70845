//! The HTTP adapter: actix-web routes, middleware, the one JSON error body,
//! request-scoped logging, the OpenAPI spec and the dashboard's static files.
//!
//! Architecture invariant: an adapter. Handlers translate HTTP into one call
//! on a domain service and its answer back; domain errors become [`ApiError`]
//! in `error/from_domain.rs` only. No business rule, no port and no SQL is
//! reached from a route (`tests/architecture.rs` in `agented_test_support`
//! checks). Every route is registered through utoipa so it appears in
//! `/openapi.json`.

pub mod app;
pub mod error;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod planning_files;
pub mod rate_limit;
pub mod route_table;
pub mod routes;
pub mod sentry_scrub;
pub mod state;
pub mod static_files;
pub mod stream_slots;
pub mod telemetry;

pub use app::{HttpOptions, build_app, serve};
pub use error::ApiError;
pub use state::AppState;
