//! One tracing span per request carrying its `request_id`, the `X-Request-Id`
//! response header with the same value, and one "request finished" line.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use std::time::Instant;
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};

/// The response header carrying the request id.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// Builds the request span. Only the path is recorded, never the query
/// string: it may carry tokens.
#[derive(Debug)]
pub struct AgentedRootSpan;

impl RootSpanBuilder for AgentedRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request.extensions().get::<RequestId>().map(ToString::to_string).unwrap_or_default();
        tracing::info_span!(
            "http_request",
            request_id = %request_id,
            method = %request.method(),
            path = %request.path(),
        )
    }

    fn on_request_end<B: MessageBody>(_span: Span, _outcome: &Result<ServiceResponse<B>, Error>) {}
}

fn log_finished(status: StatusCode, started: Instant) {
    let status = status.as_u16();
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if status >= 500 {
        tracing::error!(status, latency_ms, "request finished");
    } else {
        tracing::info!(status, latency_ms, "request finished");
    }
}

/// An error on its way out, carrying the request id so its response gets the header too.
#[derive(Debug)]
struct WithRequestId {
    inner: Error,
    request_id: Option<HeaderValue>,
}

impl std::fmt::Display for WithRequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl ResponseError for WithRequestId {
    fn status_code(&self) -> StatusCode {
        self.inner.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = self.inner.error_response();
        if let Some(value) = &self.request_id {
            res.headers_mut().insert(REQUEST_ID_HEADER, value.clone());
        }
        res
    }
}

/// Sets `X-Request-Id` and logs the outcome, inside the request span.
///
/// # Errors
/// The inner service's error, answering with the same request id header.
pub async fn request_id_header(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let request_id = req.extensions().get::<RequestId>().and_then(|id| HeaderValue::from_str(&id.to_string()).ok());
    match next.call(req).await {
        Ok(mut res) => {
            log_finished(res.status(), started);
            if let Some(value) = request_id {
                res.headers_mut().insert(REQUEST_ID_HEADER, value);
            }
            Ok(res)
        }
        Err(inner) => {
            log_finished(inner.as_response_error().status_code(), started);
            Err(WithRequestId { inner, request_id }.into())
        }
    }
}
