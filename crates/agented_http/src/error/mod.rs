//! The one error body every failing response carries: `{"error", "code"}`,
//! plus `details` (field → message) for validation errors.

mod from_domain;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The JSON body of every error response.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Human-readable message.
    pub error: String,
    /// Machine-readable code, stable across releases.
    pub code: String,
    /// Per-field messages, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<BTreeMap<String, String>>,
}

/// An error returned by a handler: a status, a code and a message safe to show,
/// plus a cause for logs and error reports that is never sent to the client.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status}: {message}")]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Option<BTreeMap<String, String>>,
    cause: Option<String>,
    retry_after: Option<u64>,
}

/// The private cause of an error response, kept in the response's extensions
/// for the error reporter.
#[derive(Debug, Clone)]
pub struct ErrorCause(pub String);

impl ApiError {
    /// An error with an explicit status and code.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), details: None, cause: None, retry_after: None }
    }

    /// 401: no or bad credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: valid credentials without the right.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 422 with one message per invalid field.
    pub fn invalid_fields(details: BTreeMap<String, String>) -> Self {
        let fields: Vec<&str> = details.keys().map(String::as_str).collect();
        let message = format!("invalid value for {}", fields.join(", "));
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message).with_details(details)
    }

    /// 503: a dependency (the database) is unavailable; the cause is kept private.
    pub fn unavailable(cause: &dyn std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "dependency unavailable");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "service temporarily unavailable, try again")
            .with_cause(cause.to_string())
    }

    /// 503 for a domain error, logged once with its whole cause chain (`a: b: c`).
    /// (A cause that is text the store cannot hold is the request's fault: 422.)
    pub fn unavailable_error(error: &(dyn std::error::Error + 'static)) -> Self {
        let mut link = Some(error);
        while let Some(e) = link {
            if let Some(refusal) = e.downcast_ref::<agented_kernel::UnstorableText>() {
                return Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_text", refusal.to_string());
            }
            link = e.source();
        }
        Self::unavailable(&cause_chain(error))
    }

    /// Tells the client when to try again (`Retry-After`, seconds).
    #[must_use]
    pub const fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// Attaches the private cause.
    #[must_use]
    pub fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.cause = Some(cause.into());
        self
    }

    /// The private cause, if any.
    #[must_use]
    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    /// The status.
    #[must_use]
    pub const fn status(&self) -> StatusCode {
        self.status
    }

    /// 400: the request is malformed.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 404: nothing at this path.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 500 with an opaque message; the cause is logged here, once, and never sent.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal server error").with_cause(cause.to_string())
    }

    /// Attaches per-field messages.
    #[must_use]
    pub fn with_details(mut self, details: BTreeMap<String, String>) -> Self {
        self.details = Some(details);
        self
    }

    /// The code for a status when nothing more specific is known.
    #[must_use]
    pub fn code_for(status: StatusCode) -> &'static str {
        match status.as_u16() {
            400 => "bad_request",
            401 => "unauthorized",
            403 => "forbidden",
            404 => "not_found",
            405 => "method_not_allowed",
            409 => "conflict",
            413 => "payload_too_large",
            415 => "unsupported_media_type",
            422 => "invalid",
            429 => "rate_limited",
            503 => "unavailable",
            s if s >= 500 => "internal",
            _ => "error",
        }
    }

    /// An error for a bare status (for example one produced by actix itself).
    #[must_use]
    pub fn from_status(status: StatusCode) -> Self {
        let message = if status.is_server_error() {
            "internal server error".to_owned()
        } else {
            status.canonical_reason().unwrap_or("error").to_lowercase()
        };
        Self::new(status, Self::code_for(status), message)
    }

    /// The body this error is sent as.
    #[must_use]
    pub fn body(&self) -> ErrorBody {
        ErrorBody { error: self.message.clone(), code: self.code.to_owned(), details: self.details.clone() }
    }
}

impl ApiError {
    /// The JSON response for this error.
    #[must_use]
    pub fn error_response_json(&self) -> HttpResponse {
        let mut res = HttpResponse::build(self.status).json(self.body());
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Bearer realm=\"agented\""),
            );
        }
        if let Some(seconds) = self.retry_after {
            res.headers_mut().insert(actix_web::http::header::RETRY_AFTER, seconds.into());
        }
        if let Some(cause) = &self.cause {
            res.extensions_mut().insert(ErrorCause(cause.clone()));
        }
        res
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.error_response_json()
    }
}

/// Turns actix's JSON extractor errors into the envelope (400 malformed, 413 too large, 415 wrong type).
pub fn json_error(err: actix_web::error::JsonPayloadError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let api = match &err {
        E::OverflowKnownLength { length, limit } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request body is {length} bytes; the limit is {limit}"),
        ),
        E::Overflow { limit } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("request body exceeds the limit of {limit} bytes"),
        ),
        E::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "expected Content-Type: application/json",
        ),
        E::Deserialize(e) if e.is_data() => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", format!("invalid request body: {e}"))
        }
        E::Deserialize(e) => ApiError::bad_request("invalid_json", format!("malformed JSON: {e}")),
        other => ApiError::bad_request("invalid_json", format!("cannot read request body: {other}")),
    };
    api.into()
}

/// Turns query-string extractor errors into the envelope.
pub fn query_error(err: actix_web::error::QueryPayloadError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::bad_request("invalid_query", format!("invalid query string: {err}")).into()
}

/// Turns path extractor errors into the envelope.
pub fn path_error(err: actix_web::error::PathError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::not_found(format!("invalid path parameter: {err}")).into()
}

/// `error: its source: its source…`, each message once (a `transparent` wrapper repeats its source's).
#[must_use]
pub fn cause_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !text.ends_with(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = cause.source();
    }
    text
}

/// Refuses callers without the admin scope (for reads that reveal security data).
///
/// # Errors
/// 403 for a `read` key.
pub fn require_admin(principal: &agented_auth::Principal) -> Result<(), ApiError> {
    if principal.scope == agented_auth::ApiScope::Admin {
        Ok(())
    } else {
        Err(ApiError::forbidden("an admin key is required"))
    }
}
