//! Innermost: a panicking handler becomes a JSON 500 (the worker keeps
//! serving) and inner errors become [`ApiError`]s; `finish` puts any remaining
//! non-JSON error body into the envelope.
//!
//! The request is not cloned before routing (actix needs sole ownership of it
//! to record route matches), so these are returned as an `Err`, which actix
//! renders through [`ApiError`]'s JSON response.

use crate::error::ApiError;
use actix_web::Error;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-text panic payload".to_owned())
}

/// Catches panics.
///
/// # Errors
/// An [`ApiError`] 500 for a panic; other inner errors pass through.
pub async fn error_envelope(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(result) => result.map(ServiceResponse::map_into_boxed_body),
        // The panic hook installed by the binary has already logged it with its request id.
        Err(panic) => Err(ApiError::from_status(StatusCode::INTERNAL_SERVER_ERROR)
            .with_cause(format!("handler panicked: {}", panic_message(panic.as_ref())))
            .into()),
    }
}
