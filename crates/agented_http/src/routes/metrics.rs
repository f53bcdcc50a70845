//! `GET /metrics`: this process's figures in the Prometheus text format, for a read key.

use crate::AppState;
use crate::error::ApiError;
use crate::metrics::{CONTENT_TYPE, Snapshot};
use crate::stream_slots::StreamSlots;
use actix_web::{HttpRequest, HttpResponse, get, web};

/// Queue depth, runs by status, run durations, log lines, open streams, webhook outcomes,
/// readiness, and this worker's capacity and runs in progress. Scrape with a read key
/// (`Authorization: Bearer <key>` or `X-API-Key`).
#[utoipa::path(
    tag = "health",
    responses(
        (status = 200, description = "The Prometheus text format (version 0.0.4)", content_type = "text/plain"),
        (status = 401, description = "No valid API key", body = crate::error::ErrorBody),
        (status = 503, description = "The store could not be read", body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
#[get("")]
pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snapshot = Snapshot {
        runs: state.runs.count_by_status().await?,
        readiness: Some(state.readiness.check().await),
        open_streams: req.app_data::<web::Data<StreamSlots>>().map_or(0, |slots| slots.open_streams()),
    };
    Ok(HttpResponse::Ok().content_type(CONTENT_TYPE).body(state.metrics.render(&snapshot)))
}
