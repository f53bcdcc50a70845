//! Middleware. The order they run in is set in one place: [`crate::app::build_app`].

pub mod audit;
pub mod auth_gate;
pub mod body_deadline;
pub mod body_limit;
pub mod canonical_path;
pub mod error_envelope;
pub mod finish;
pub mod request_span;
pub mod require_principal;
