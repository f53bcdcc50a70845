//! The one gate every request passes. Public routes (see
//! `agented_auth::public_routes`) need nothing; every other route needs an API
//! key (`X-API-Key` or `Authorization: Bearer`), or, for a stream, a token for
//! that stream in `?token=`. A `read` key may only GET/HEAD.

use crate::AppState;
use crate::error::ApiError;
use crate::middleware::canonical_path::routed_path;
use crate::rate_limit::{AuthFailures, is_webhook};
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
fn is_stream(method: &str, path: &str) -> bool {
    method == "GET" && path.ends_with("/stream")
}

fn query_token(req: &ServiceRequest) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct TokenQuery {
        token: Option<String>,
    }
    web::Query::<TokenQuery>::from_query(req.query_string()).ok().and_then(|q| q.into_inner().token)
}

/// Counts a failed credential against the client's address; past the limit the answer is a 429.
fn failed(req: &ServiceRequest, refusal: ApiError) -> ApiError {
    match req.app_data::<web::Data<AuthFailures>>().and_then(|f| f.failed(req)) {
        Some(seconds) => ApiError::new(
            actix_web::http::StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many failed authentications from this address: retry in {seconds} s"),
        )
        .with_retry_after(seconds),
        None => refusal,
    }
}

/// Who is calling, or why the request is refused. A presented credential is
/// checked on every route but the webhooks (whose senders prove themselves by
/// signature and may carry headers of their own), and a bad one is refused and
/// counted even where no key is needed: the answer never depends on an
/// unverified key.
async fn check(req: &ServiceRequest) -> Result<Option<Principal>, ApiError> {
    let state =
        req.app_data::<web::Data<AppState>>().ok_or_else(|| ApiError::internal(&"application state missing"))?;
    let (method, path) = (req.method().as_str(), routed_path(req));
    let public = is_public(method, path);
    if is_webhook(method, path) {
        return Ok(None);
    }
    if let Some(key) = presented_credential(req).filter(|k| !k.is_empty()) {
        return match state.keys.authenticate(Some(key)).await {
            Ok(principal) => {
                if !public {
                    ApiKeyService::authorize(&principal, method, path)?;
                }
                Ok(Some(principal))
            }
            Err(e @ (AuthError::Invalid | AuthError::Missing)) => Err(failed(req, e.into())),
            Err(e) => Err(e.into()),
        };
    }
    if is_stream(method, path)
        && let Some(token) = query_token(req)
    {
        return match StreamToken::verify(&state.secret_key, path, &token, state.clock.now()) {
            Ok(()) => Ok(Some(Principal {
                name: "stream token".into(),
                scope: ApiScope::Read,
                credential: Credential::StreamToken(StreamToken::id_of(&token)),
            })),
            Err(e) => Err(failed(req, ApiError::unauthorized(e.to_string()))),
        };
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
