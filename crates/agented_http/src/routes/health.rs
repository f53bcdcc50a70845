//! `GET /health/liveness` and `GET /health/readiness`.

use crate::AppState;
use actix_web::{HttpResponse, get, web};
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
    /// `ok` when the database answers, `unavailable` when it does not.
    pub status: &'static str,
    /// When the check ran (UTC, RFC 3339).
    #[schema(value_type = String, format = DateTime)]
    pub timestamp: String,
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

/// Readiness: 200 when the database answers, 503 when it does not.
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "The database does not answer", body = Readiness),
    )
)]
#[get("/health/readiness")]
pub async fn readiness(state: web::Data<AppState>) -> HttpResponse {
    match state.database.ping().await {
        Ok(()) => HttpResponse::Ok().json(Readiness { status: "ok", timestamp: now() }),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().json(Readiness { status: "unavailable", timestamp: now() })
        }
    }
}
