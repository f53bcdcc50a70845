//! Middleware. The order they run in is set in one place: [`crate::app::build_app`].

pub mod error_envelope;
pub mod request_span;
pub mod trailing_slash;
