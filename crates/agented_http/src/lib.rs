//! The HTTP adapter: actix-web routes, middleware, the one JSON error body,
//! request-scoped logging, the OpenAPI spec and the dashboard's static files.
//!
//! Architecture invariant: an adapter. Handlers translate HTTP into calls on
//! domain services and ports and domain errors into [`ApiError`]; no business
//! rule and no SQL lives here. Every route is registered through utoipa so it
//! appears in `/openapi.json`.

pub mod app;
pub mod error;
pub mod middleware;
pub mod openapi;
pub mod planning_files;
pub mod rate_limit;
pub mod routes;
pub mod sentry_scrub;
pub mod state;
pub mod static_files;
pub mod stream_slots;
pub mod telemetry;

pub use app::{HttpOptions, build_app, serve};
pub use error::ApiError;
pub use state::AppState;
