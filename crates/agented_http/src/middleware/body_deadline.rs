//! A request body must arrive within `server.body_read_timeout_seconds` of the
//! request head. A client trickling a byte every few seconds would otherwise
//! hold a connection (and a webhook handler) open for as long as it likes.
//! Past the deadline the body stream ends with an error, and whatever the
//! handler made of that is replaced by a 408 that closes the connection.

use crate::error::ApiError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, ResponseError, web};
use futures_util::Stream;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

/// How long a body may take to arrive.
#[derive(Debug, Clone, Copy)]
pub struct BodyReadTimeout(pub Duration);

/// The payload, cut off with an error once `sleep` fires.
struct Deadline {
    inner: Payload,
    sleep: Pin<Box<tokio::time::Sleep>>,
    expired: Arc<AtomicBool>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.expired.load(Ordering::Relaxed) {
            return Poll::Ready(None);
        }
        if let Poll::Ready(item) = Pin::new(&mut self.inner).poll_next(cx) {
            return Poll::Ready(item);
        }
        if self.sleep.as_mut().poll(cx).is_ready() {
            self.expired.store(true, Ordering::Relaxed);
            let timed_out = std::io::Error::new(std::io::ErrorKind::TimedOut, "the request body took too long");
            return Poll::Ready(Some(Err(PayloadError::Io(timed_out))));
        }
        Poll::Pending
    }
}

fn has_body(req: &ServiceRequest) -> bool {
    let declared = req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    declared.is_some_and(|n| n > 0) || req.headers().contains_key(TRANSFER_ENCODING)
}

fn too_slow(limit: Duration) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        format!("the request body did not arrive within {} s", limit.as_secs()),
    )
}

/// Puts the deadline on the request's body.
///
/// # Errors
/// Passes on the inner service's error, unless the deadline passed (then a 408).
pub async fn body_deadline<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let limit = req.app_data::<web::Data<BodyReadTimeout>>().map(|t| t.0);
    let Some(limit) = limit.filter(|_| has_body(&req)) else {
        return next.call(req).await.map(ServiceResponse::map_into_left_body);
    };
    let expired = Arc::new(AtomicBool::new(false));
    let deadline =
        Deadline { inner: req.take_payload(), sleep: Box::pin(tokio::time::sleep(limit)), expired: expired.clone() };
    req.set_payload(Payload::Stream { payload: Box::pin(deadline) });
    let result = next.call(req).await;
    if !expired.load(Ordering::Relaxed) {
        return result.map(ServiceResponse::map_into_left_body);
    }
    tracing::info!(limit_s = limit.as_secs(), "request body too slow: answered 408");
    match result {
        Ok(res) => {
            let mut res = res.into_response(too_slow(limit).error_response()).map_into_right_body();
            res.response_mut().head_mut().set_connection_type(ConnectionType::Close);
            Ok(res)
        }
        Err(_) => Err(too_slow(limit).into()),
    }
}
