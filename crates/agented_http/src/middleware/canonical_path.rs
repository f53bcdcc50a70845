//! The first thing every request meets. A path spelled so that it could mean
//! something else (`/%61dmin`, `;x`, `..`, `//`; see
//! `agented_auth::request_path`) is refused with 400, so the router and every
//! middleware that decides by path read it the same way; those middleware use
//! [`routed_path`], the decoded path the router matches. API paths then lose
//! their trailing slashes (`/admin/triggers/` == `/admin/triggers`), as in the
//! original; `/docs/` keeps its slash.

use crate::error::ApiError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::uri::{PathAndQuery, Uri};
use actix_web::middleware::Next;
use actix_web::{Error, ResponseError};
use agented_auth::request_path;

const PREFIXES: [&str; 3] = ["/admin/", "/api/", "/health/"];

/// The percent-decoded path the router matches: what every decision by path must use.
#[must_use]
pub fn routed_path(req: &ServiceRequest) -> &str {
    req.match_info().as_str()
}

/// The path without its trailing slashes, when it is an API path that has some.
fn trimmed(path: &str) -> Option<&str> {
    let trimmed = path.trim_end_matches('/');
    (trimmed.len() < path.len() && !trimmed.is_empty() && PREFIXES.iter().any(|p| path.starts_with(p)))
        .then_some(trimmed)
}

/// Refuses ambiguous paths and strips the trailing slash of API paths before routing.
///
/// # Errors
/// Passes on the inner service's error untouched; a refused path is a 400 response.
pub async fn canonical_path<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    if let Err(problem) = request_path::check(req.path()) {
        tracing::info!(reason = %problem, "request path refused");
        let refusal = ApiError::bad_request("invalid_path", problem.to_string());
        return Ok(req.into_response(refusal.error_response()).map_into_right_body());
    }
    if let Some(path) = trimmed(req.path()) {
        let new_pq = match req.query_string() {
            "" => path.to_owned(),
            q => format!("{path}?{q}"),
        };
        let mut parts = req.head().uri.clone().into_parts();
        if let Ok(pq) = new_pq.parse::<PathAndQuery>() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                req.match_info_mut().get_mut().update(&uri);
                req.head_mut().uri = uri;
            }
        }
    }
    next.call(req).await.map(ServiceResponse::map_into_left_body)
}

#[cfg(test)]
mod tests {
    use super::trimmed;

    #[test]
    fn only_api_paths_lose_their_trailing_slash() {
        assert_eq!(trimmed("/admin/triggers/"), Some("/admin/triggers"));
        assert_eq!(trimmed("/api/webhooks/github/"), Some("/api/webhooks/github"));
        assert_eq!(trimmed("/health/liveness//"), Some("/health/liveness"));
        assert_eq!(trimmed("/admin/triggers"), None);
        assert_eq!(trimmed("/docs/"), None);
        assert_eq!(trimmed("/"), None);
    }
}
