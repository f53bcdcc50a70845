//! The dashboard: files of the built `web/dist`, `index.html` for page paths
//! (the Vue router takes over in the browser), and JSON 404s for unknown API paths.
//!
//! A release binary carries `web/dist` inside it (rust-embed), so one file and a
//! database run a node; a debug build reads the same folder at run time. A folder
//! given by `web.dist_dir` replaces the embedded files (dashboard development, tests).

use crate::AppState;
use crate::error::ApiError;
use actix_files::NamedFile;
use actix_web::http::header::{self, CacheControl, CacheDirective};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use std::borrow::Cow;
use std::path::PathBuf;

use agented_auth::public_routes::is_api_path;

/// `web/dist` as built when this crate was compiled.
#[derive(rust_embed::RustEmbed)]
#[folder = "../../web/dist/"]
#[allow_missing = true]
struct Embedded;

/// Where the dashboard's files come from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Dashboard {
    /// The files built into the binary.
    #[default]
    Embedded,
    /// A folder on disk (`web.dist_dir`).
    Folder(PathBuf),
}

impl Dashboard {
    /// Whether the dashboard has an `index.html` to serve.
    #[must_use]
    pub fn is_built(&self) -> bool {
        match self {
            Self::Embedded => Embedded::get("index.html").is_some(),
            Self::Folder(dir) => dir.join("index.html").is_file(),
        }
    }

    /// Answers `relative` from wherever the files are; `None` when there is no such file.
    async fn respond(&self, req: &HttpRequest, relative: &str) -> Result<Option<HttpResponse>, ApiError> {
        match self {
            Self::Folder(dir) => {
                let file = dir.join(relative);
                if !file.is_file() {
                    return Ok(None);
                }
                Ok(Some(open(file).await?.into_response(req)))
            }
            Self::Embedded => Ok(Embedded::get(relative).map(|file| embedded_response(req, &file))),
        }
    }
}

/// An embedded file, with its type and an ETag from its content hash (304 when it matches).
fn embedded_response(req: &HttpRequest, file: &rust_embed::EmbeddedFile) -> HttpResponse {
    use std::fmt::Write as _;
    let etag = file.metadata.sha256_hash().iter().fold(String::from("\""), |mut tag, b| {
        let _ = write!(tag, "{b:02x}");
        tag
    }) + "\"";
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|candidate| candidate.trim().trim_start_matches("W/") == etag));
    let mut res = if matches { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    res.insert_header((header::ETAG, etag)).insert_header((header::CONTENT_TYPE, file.metadata.mimetype()));
    if matches || req.method() == Method::HEAD {
        return res.finish();
    }
    let body: Cow<'static, [u8]> = file.data.clone();
    res.body(body.into_owned())
}

/// The file under `dist` a path names, if every segment is a plain file name.
/// Anything else (`..`, dot-files, odd characters) is never read from disk.
fn asset_path(path: &str) -> Option<PathBuf> {
    let relative = path.trim_start_matches('/');
    if relative.is_empty() {
        return None;
    }
    let safe = relative.split('/').all(|seg| {
        !seg.is_empty()
            && !seg.starts_with('.')
            && seg.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    });
    safe.then(|| PathBuf::from(relative))
}

/// A path whose last segment has no extension is a dashboard page.
fn is_page_path(path: &str) -> bool {
    !path.rsplit('/').next().unwrap_or_default().contains('.')
}

/// Opens a file off the async threads (opening and `stat` can block).
async fn open(path: PathBuf) -> Result<NamedFile, ApiError> {
    match web::block(move || NamedFile::open(path)).await {
        Ok(result) => result.map_err(|e| ApiError::not_found(format!("cannot open file: {e}"))),
        Err(e) => Err(ApiError::internal(&e)),
    }
}

/// The default service: dashboard files and pages, or the JSON error.
///
/// # Errors
/// 404 for unknown API paths and missing files, 405 for a method a route or
/// page path does not take,
/// 503 when the dashboard has not been built.
pub async fn fallback(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    // The decoded path the router matched, as every other decision by path uses.
    let path = req.match_info().as_str();
    let page_read = (req.method() == Method::GET || req.method() == Method::HEAD) && !is_api_path(path);
    // `/` takes webhook POSTs and is the dashboard for readers.
    if req.resource_map().has_resource(path) && !page_read {
        // A route exists here, but its guard refused this method.
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{} is not allowed on {path}", req.method()),
        ));
    }
    if is_api_path(path) {
        return Err(ApiError::not_found(format!("no route for {} {path}", req.method())));
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("{} is not allowed on {path}", req.method()),
        ));
    }
    if let Some(relative) = asset_path(path)
        && let Some(mut res) = state.dashboard.respond(&req, &relative.to_string_lossy()).await?
    {
        if relative.starts_with("assets") {
            // Vite puts a content hash in every asset name: cache for a year.
            res.headers_mut()
                .insert(header::CACHE_CONTROL, header::HeaderValue::from_static("public, max-age=31536000, immutable"));
        }
        return Ok(res);
    }
    if !is_page_path(path) {
        return Err(ApiError::not_found(format!("no file at {path}")));
    }
    match state.dashboard.respond(&req, "index.html").await? {
        Some(mut res) => {
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                CacheControl(vec![CacheDirective::NoCache]).to_string().parse().map_err(|e| ApiError::internal(&e))?,
            );
            Ok(res)
        }
        None => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "dashboard_not_built",
            match &state.dashboard {
                Dashboard::Folder(dir) => {
                    format!(
                        "the dashboard is not built ({} is missing): run `cargo xtask web`",
                        dir.join("index.html").display()
                    )
                }
                Dashboard::Embedded => {
                    "this binary was built without the dashboard: run `cargo xtask web`, then build it again".to_owned()
                }
            },
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_prefixes_are_recognised_without_swallowing_pages() {
        for api in ["/admin", "/admin/x", "/api/projects", "/health/x", "/docs/", "/openapi.yaml"] {
            assert!(is_api_path(api), "{api}");
        }
        for page in ["/", "/triggers", "/administration", "/apis", "/roadmaps/3"] {
            assert!(!is_api_path(page), "{page}");
        }
    }

    #[test]
    fn only_plain_file_names_are_looked_up_on_disk() {
        assert_eq!(asset_path("/assets/index-Ab1_x.js"), Some(PathBuf::from("assets/index-Ab1_x.js")));
        for bad in ["/", "/../secret", "/assets/../../etc/passwd", "/.env", "/a//b", "/a%2e%2e/b", "/a\\b"] {
            assert_eq!(asset_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn pages_are_paths_without_an_extension() {
        assert!(is_page_path("/triggers"));
        assert!(is_page_path("/"));
        assert!(!is_page_path("/favicon.ico"));
    }
}
