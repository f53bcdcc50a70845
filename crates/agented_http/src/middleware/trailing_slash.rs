//! API paths answer with or without a trailing slash (`/admin/triggers` ==
//! `/admin/triggers/`), as the original did. Only API prefixes are touched:
//! `/docs/` must keep its slash.

use actix_web::Error;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::uri::{PathAndQuery, Uri};
use actix_web::middleware::Next;

const PREFIXES: [&str; 3] = ["/admin/", "/api/", "/health/"];

/// The path without its trailing slashes, when it is an API path that has some.
fn trimmed(path: &str) -> Option<&str> {
    let trimmed = path.trim_end_matches('/');
    (trimmed.len() < path.len() && !trimmed.is_empty() && PREFIXES.iter().any(|p| path.starts_with(p)))
        .then_some(trimmed)
}

/// Strips the trailing slash of API paths before routing.
///
/// # Errors
/// Passes on the inner service's error untouched.
pub async fn trim_trailing_slash(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
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
    next.call(req).await
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
