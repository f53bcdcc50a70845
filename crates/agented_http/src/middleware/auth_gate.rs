//! The one gate every request passes. Public routes (see
//! `agented_auth::public_routes`) need nothing; every other route needs an API
//! key (`X-API-Key` or `Authorization: Bearer`), or, for a stream, a token for
//! that stream in `?token=`. A `read` key may only GET/HEAD.

use crate::AppState;
use crate::error::ApiError;
use crate::rate_limit::AuthFailures;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, ResponseError, web};
use agented_auth::public_routes::is_public;
use agented_auth::{ApiKeyService, ApiScope, AuthError, Credential, Principal, StreamToken};

/// The key a request presents: `X-API-Key`, else `Authorization: Bearer`.
#[must_use]
pub fn presented_credential(req: &ServiceRequest) -> Option<&str> {
    let headers = req.headers();
    if let Some(key) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(key);
    }
    let auth = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = auth.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// A stream route: `GET …/stream`.
fn is_stream(req: &ServiceRequest) -> bool {
    req.method() == "GET" && req.path().ends_with("/stream")
}

fn query_token(req: &ServiceRequest) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct TokenQuery {
        token: Option<String>,
    }
    web::Query::<TokenQuery>::from_query(req.query_string()).ok().and_then(|q| q.into_inner().token)
}

fn too_many_failures(seconds: u64) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many failed authentications from this address: retry in {seconds} s"),
    )
    .with_retry_after(seconds)
}

/// Who is calling, or why the request is refused.
async fn check(req: &ServiceRequest) -> Result<Option<Principal>, ApiError> {
    let state =
        req.app_data::<web::Data<AppState>>().ok_or_else(|| ApiError::internal(&"application state missing"))?;
    let failures = req.app_data::<web::Data<AuthFailures>>();
    let (method, path) = (req.method().as_str(), req.path());
    let public = is_public(method, path);
    if let Some(key) = presented_credential(req) {
        if !public && let Some(seconds) = failures.and_then(|f| f.retry_after(req)) {
            return Err(too_many_failures(seconds));
        }
        return match state.keys.authenticate(Some(key)).await {
            Ok(principal) => {
                if !public {
                    ApiKeyService::authorize(&principal, method)?;
                }
                Ok(Some(principal))
            }
            // A public route stays public whatever headers arrive with it.
            Err(AuthError::Invalid | AuthError::Missing) if public => Ok(None),
            Err(AuthError::Invalid) => match failures.and_then(|f| f.failed(req)) {
                Some(seconds) => Err(too_many_failures(seconds)),
                None => Err(AuthError::Invalid.into()),
            },
            Err(e) => Err(e.into()),
        };
    }
    if is_stream(req)
        && let Some(token) = query_token(req)
    {
        StreamToken::verify(&state.secret_key, path, &token, state.clock.now())
            .map_err(|e| ApiError::unauthorized(e.to_string()))?;
        return Ok(Some(Principal {
            name: "stream token".into(),
            scope: ApiScope::Read,
            credential: Credential::StreamToken,
        }));
    }
    if public { Ok(None) } else { Err(AuthError::Missing.into()) }
}

/// Authenticates and authorises; the caller's [`Principal`] goes into the request's extensions.
///
/// # Errors
/// Passes on the inner service's error; refusals are responses (401/403/503), not errors,
/// so CORS headers still reach the browser.
pub async fn auth_gate<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    match check(&req).await {
        Ok(Some(principal)) => {
            req.extensions_mut().insert(principal);
        }
        Ok(None) => {}
        Err(refusal) => {
            tracing::info!(status = refusal.status().as_u16(), reason = %refusal, "request refused by the auth gate");
            return Ok(req.into_response(refusal.error_response()).map_into_right_body());
        }
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}
