//! Webhook deliveries may carry up to 10 MB; anything declaring more is refused
//! with 413 before a byte of it is read. (Other JSON is capped at 1 MB by the
//! JSON extractor; the webhook handlers' own extractors enforce 10 MB on bodies
//! sent without a length.)

use crate::error::ApiError;
use crate::middleware::canonical_path::routed_path;
use crate::rate_limit::is_webhook;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};

/// The largest webhook body accepted.
pub const WEBHOOK_LIMIT_BYTES: u64 = 10 * 1024 * 1024;

/// Refuses webhook deliveries that declare more than [`WEBHOOK_LIMIT_BYTES`].
///
/// # Errors
/// Passes on the inner service's error; the refusal is a 413 response.
pub async fn webhook_body_limit<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    if is_webhook(req.method().as_str(), routed_path(&req)) {
        let declared =
            req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
        if let Some(length) = declared.filter(|l| *l > WEBHOOK_LIMIT_BYTES) {
            let refusal = ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("webhook body is {length} bytes; the limit is {WEBHOOK_LIMIT_BYTES}"),
            );
            return Ok(req.into_response(refusal.error_response()).map_into_right_body());
        }
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}
