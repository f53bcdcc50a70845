//! Every response leaves through here, success or error: `X-Request-Id`, the
//! security headers, the JSON envelope for any error body that is not JSON
//! yet, one "request finished" log line, and one error report per 5xx.

use crate::error::{ApiError, ErrorCause};
use crate::middleware::request_span::REQUEST_ID_HEADER;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use std::time::Instant;
use tracing_actix_web::RequestId;

/// The dashboard and API: scripts, images, fonts and connections from this origin only. Inline
/// styles are allowed: the terminal (xterm.js) and Swagger UI set them, and with every fetch
/// limited to this origin an injected style can neither load nor send anything.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

fn apply_headers(headers: &mut HeaderMap, request_id: Option<&HeaderValue>) {
    if let Some(id) = request_id {
        headers.insert(REQUEST_ID_HEADER, id.clone());
    }
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    headers.insert(HeaderName::from_static("x-accel-buffering"), HeaderValue::from_static("no"));
}

fn is_json(res: &HttpResponse<impl MessageBody>) -> bool {
    res.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"))
}

/// An error body that is not JSON yet (actix's own 404/405, a CORS refusal) becomes the envelope.
fn enveloped(res: HttpResponse<BoxBody>) -> HttpResponse<BoxBody> {
    let status = res.status();
    if (status.is_client_error() || status.is_server_error()) && !is_json(&res) {
        let mut envelope = ApiError::from_status(status).error_response_json();
        for (name, value) in res.headers() {
            if name != CONTENT_TYPE && name != header::CONTENT_LENGTH {
                envelope.headers_mut().insert(name.clone(), value.clone());
            }
        }
        return envelope;
    }
    res
}

/// What `finish` knows about the request once it has been handed on.
struct Facts {
    started: Instant,
    request_id: Option<HeaderValue>,
    method: String,
    path: String,
}

impl Facts {
    fn finished(&self, status: StatusCode, cause: Option<&str>) {
        let latency_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let status = status.as_u16();
        if status >= 500 {
            tracing::warn!(status, latency_ms, "request finished");
            self.report(status, cause);
        } else {
            tracing::info!(status, latency_ms, "request finished");
        }
    }

    /// One error report per 5xx, tagged with the request id (a no-op without a Sentry DSN).
    fn report(&self, status: u16, cause: Option<&str>) {
        let message = cause.map_or_else(|| format!("HTTP {status} on {} {}", self.method, self.path), str::to_owned);
        let request_id = self.request_id.as_ref().and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        sentry::with_scope(
            |scope| {
                scope.set_tag("request_id", &request_id);
                scope.set_tag("http.method", &self.method);
                scope.set_tag("http.path", &self.path);
                scope.set_tag("http.status", status);
            },
            || sentry::capture_message(&message, sentry::Level::Error),
        );
    }
}

/// An error on its way out, carrying what its response needs.
#[derive(Debug)]
struct Finished {
    inner: Error,
    request_id: Option<HeaderValue>,
}

impl std::fmt::Display for Finished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl ResponseError for Finished {
    fn status_code(&self) -> StatusCode {
        self.inner.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let mut res = enveloped(self.inner.error_response());
        apply_headers(res.headers_mut(), self.request_id.as_ref());
        res
    }
}

/// Finishes every response.
///
/// # Errors
/// The inner error, answering with the same headers and body rules.
pub async fn finish(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    crate::sentry_scrub::scrub_transaction(&req);
    let facts = Facts {
        started: Instant::now(),
        request_id: req.extensions().get::<RequestId>().and_then(|id| HeaderValue::from_str(&id.to_string()).ok()),
        method: req.method().to_string(),
        path: req.path().to_owned(),
    };
    match next.call(req).await {
        Ok(res) => {
            let (req, res) = res.map_into_boxed_body().into_parts();
            let cause = res.extensions().get::<ErrorCause>().map(|c| c.0.clone());
            let mut res = enveloped(res);
            apply_headers(res.headers_mut(), facts.request_id.as_ref());
            facts.finished(res.status(), cause.as_deref());
            Ok(ServiceResponse::new(req, res))
        }
        Err(inner) => {
            let cause = inner.as_error::<ApiError>().and_then(ApiError::cause).map(str::to_owned);
            facts.finished(inner.as_response_error().status_code(), cause.as_deref());
            Err(Finished { inner, request_id: facts.request_id }.into())
        }
    }
}
