//! Every error leaves as the JSON envelope: handler errors, actix's own bare
//! 404/405/413 responses, and panics (a JSON 500; the server keeps serving).
//!
//! The request is not cloned before routing (actix needs sole ownership of it
//! to record route matches), so failures without a response are returned as an
//! `Err` holding an [`ApiError`], which actix turns into the JSON response.

use crate::error::ApiError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;

fn is_json(res: &HttpResponse<impl MessageBody>) -> bool {
    res.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"))
}

fn is_error(res: &HttpResponse<impl MessageBody>) -> bool {
    res.status().is_client_error() || res.status().is_server_error()
}

/// Catches panics and rewrites non-JSON error responses into the envelope.
///
/// # Errors
/// An [`ApiError`] (rendered as JSON) for panics and inner errors without a JSON body.
pub async fn error_envelope(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(Ok(res)) if is_error(res.response()) && !is_json(res.response()) => {
            let status = res.status();
            let (req, _) = res.into_parts();
            Ok(ServiceResponse::new(req, ApiError::from_status(status).error_response_json()))
        }
        Ok(Ok(res)) => Ok(res.map_into_boxed_body()),
        Ok(Err(err)) => {
            let res = err.error_response();
            if is_json(&res) { Err(err) } else { Err(ApiError::from_status(res.status()).into()) }
        }
        // The panic hook installed by the binary has already logged the panic with its request id.
        Err(_panic) => Err(ApiError::from_status(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR).into()),
    }
}
