//! Which requests need no API key. Everything not listed here does.

/// Path prefixes that belong to the API (and so are never dashboard pages).
pub const API_PREFIXES: [&str; 7] = ["/admin", "/api", "/health", "/docs", "/openapi", "/metrics", "/schemas"];

/// Whether `path` is `prefix` or below it; letter case is ignored, so `/ADMIN/x` is
/// never taken for a dashboard page.
fn under(path: &str, prefix: &str) -> bool {
    path.get(..prefix.len()).is_some_and(|head| head.eq_ignore_ascii_case(prefix))
        && path
            .get(prefix.len()..)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || rest.starts_with('.'))
}

/// Whether `path` (the decoded path the router matches) belongs to the API rather than the dashboard.
#[must_use]
pub fn is_api_path(path: &str) -> bool {
    API_PREFIXES.iter().any(|p| under(path, p))
}

/// Whether a request may pass without credentials (`path`: the decoded path the router matches). Exactly: the generic
/// webhook (`GET`/`POST /`), the GitHub webhook, the two health probes, the
/// API documentation and schemas (`/schemas/workflow.json`), and the dashboard's pages and
/// static files.
#[must_use]
pub fn is_public(method: &str, path: &str) -> bool {
    // Dot segments could make a public-looking path reach an API route: never public.
    let lowered = path.to_ascii_lowercase();
    if path.split('/').any(|seg| seg == ".." || seg == ".") || lowered.contains("%2e") || lowered.contains("%2f") {
        return false;
    }
    let path = match path.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    };
    let read = matches!(method, "GET" | "HEAD");
    match path {
        "/" => read || method == "POST",
        "/api/webhooks/github" => method == "POST",
        "/health/liveness" | "/health/readiness" | "/openapi.json" => read,
        p if under(p, "/docs") || under(p, "/schemas") => read,
        p => read && !is_api_path(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_routes_are_exactly_the_documented_ones() {
        for (method, path) in [
            ("POST", "/"),
            ("GET", "/"),
            ("POST", "/api/webhooks/github/"),
            ("POST", "/api/webhooks/github"),
            ("GET", "/health/liveness"),
            ("GET", "/health/readiness/"),
            ("GET", "/docs"),
            ("GET", "/docs/swagger-ui.css"),
            ("GET", "/openapi.json"),
            ("GET", "/schemas/workflow.json"),
            ("GET", "/triggers"),
            ("GET", "/assets/index-abc.js"),
            ("HEAD", "/favicon.svg"),
        ] {
            assert!(is_public(method, path), "{method} {path} should be public");
        }
    }

    #[test]
    fn everything_else_needs_a_key() {
        for (method, path) in [
            ("GET", "/admin/triggers"),
            ("GET", "/admin"),
            ("POST", "/admin/api-keys"),
            ("GET", "/api/projects"),
            ("GET", "/api/webhooks/github"),
            ("DELETE", "/"),
            ("PUT", "/triggers"),
            ("POST", "/health/liveness"),
            ("GET", "/health/other"),
            ("POST", "/docs/"),
            ("POST", "/schemas/workflow.json"),
            ("GET", "/openapi.yaml"),
            ("GET", "/administration/../admin/triggers"),
            ("GET", "/x/%2e%2e/admin/triggers"),
            ("GET", "/./admin"),
            ("GET", "/ADMIN/triggers"),
            ("GET", "/Api/projects"),
        ] {
            assert!(!is_public(method, path), "{method} {path} must need a key");
        }
    }
}
