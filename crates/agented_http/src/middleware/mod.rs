//! Middleware. The order they run in is set in one place: [`crate::app::build_app`].

pub mod audit;
pub mod auth_gate;
pub mod body_limit;
pub mod error_envelope;
pub mod finish;
pub mod request_span;
pub mod trailing_slash;
