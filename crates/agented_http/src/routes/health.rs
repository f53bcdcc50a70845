//! `GET /health/liveness`, `GET /health/readiness` and `GET /api/version`.

use crate::AppState;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, get, web};
use agented_auth::Principal;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// The process is up.
#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    /// Always `ok`.
    pub status: &'static str,
}

/// Whether the service can do its work: `ok` or `unavailable`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ok` when the database, the run queue and the runner all work, else `unavailable`.
    pub status: &'static str,
    /// When the check ran (UTC, RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: String,
}

/// One component's state in the detailed readiness view.
#[derive(Debug, Serialize, ToSchema)]
pub struct Component {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// Why it is unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Figures: `pending_jobs` and `oldest_pending_seconds` (queue), `running` (runner).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub figures: std::collections::BTreeMap<&'static str, i64>,
}

/// The detailed readiness view, for callers with a valid API key.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessDetail {
    /// `ok` or `unavailable`.
    pub status: &'static str,
    /// When the check ran.
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: String,
    /// Each component: `database`, `queue`, `runner`.
    pub components: std::collections::BTreeMap<&'static str, Component>,
    /// Problems noticed at start-up.
    pub startup_warnings: Vec<String>,
}

fn now() -> String {
    let now: DateTime<Utc> = Utc::now();
    now.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Liveness: 200 while the process serves requests.
#[utoipa::path(tag = "health", responses((status = 200, description = "The process is alive", body = Liveness)))]
#[get("/health/liveness")]
pub async fn liveness() -> HttpResponse {
    HttpResponse::Ok().json(Liveness { status: "ok" })
}

/// Readiness: 200 when the database, the run queue and the runner work, 503
/// when one does not (the runner stops being ready once shutdown begins). Without a
/// key the body is exactly `{status, timestamp}`; with a valid key it also has
/// the components and start-up warnings.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Ready to serve (with a key: ReadinessDetail)", body = Readiness),
        (status = 503, description = "A component does not work", body = Readiness),
    )
)]
#[get("/health/readiness")]
pub async fn readiness(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let report = state.readiness.check().await;
    let mut components = std::collections::BTreeMap::new();
    for (name, part) in report.parts {
        if let Some(error) = &part.error {
            tracing::warn!(component = name, error = %error, "readiness check failed");
        }
        let status = if part.ok { "ok" } else { "unavailable" };
        components.insert(name, Component { status, error: part.error, figures: part.figures.into_iter().collect() });
    }
    let ready = components.values().all(|c| c.status == "ok");
    let status = if ready { "ok" } else { "unavailable" };
    let mut res = if ready { HttpResponse::Ok() } else { HttpResponse::ServiceUnavailable() };
    if req.extensions().get::<Principal>().is_none() {
        return res.json(Readiness { status, timestamp: now() });
    }
    res.json(ReadinessDetail { status, timestamp: now(), components, startup_warnings: state.startup_warnings.clone() })
}

/// The running version.
#[derive(Debug, Serialize, ToSchema)]
pub struct Version {
    /// This build's package version (the original answered its git tag).
    pub version: &'static str,
}

/// The running version (the original's `GET /api/version`).
#[utoipa::path(tag = "health", responses((status = 200, body = Version)), security(("api_key" = [])))]
#[get("/version")]
pub async fn version() -> HttpResponse {
    HttpResponse::Ok().json(Version { version: env!("CARGO_PKG_VERSION") })
}
