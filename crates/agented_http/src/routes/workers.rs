//! `GET /admin/workers`: the worker registry.

use crate::AppState;
use crate::error::ApiError;
use actix_web::{HttpResponse, get, web};
use agented_executions::{WorkerRecord, WorkerState};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A worker process as the registry shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkerView {
    /// `wrk-…`, new for every process.
    pub id: String,
    /// `active` (beating), `lost` (its beats stopped: its runs were interrupted) or `stopped` (cleanly).
    pub status: &'static str,
    /// The host it runs on.
    pub host: String,
    /// Its process id there.
    pub pid: i32,
    /// What it offers (`runner.labels`).
    pub labels: Vec<String>,
    /// Runs it takes at once (`runner.max_parallel_runs`).
    pub capacity: u32,
    /// Runs in progress at its last heartbeat.
    pub running: u32,
    /// Its last heartbeat.
    pub last_heartbeat_at: DateTime<Utc>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it stopped cleanly, or was found lost.
    pub ended_at: Option<DateTime<Utc>>,
    /// The Agented version it runs.
    pub version: String,
}

impl WorkerView {
    fn of(w: WorkerRecord, state: WorkerState) -> Self {
        Self {
            id: w.id.into(),
            status: state.as_str(),
            host: w.host,
            pid: w.pid,
            labels: w.labels,
            capacity: w.capacity,
            running: if state == WorkerState::Active { w.running } else { 0 },
            last_heartbeat_at: w.heartbeat_at,
            started_at: w.started_at,
            ended_at: w.stopped_at.or(w.lost_at),
            version: w.version,
        }
    }
}

/// The worker list.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkerList {
    /// Every worker that registered, the most recently started first.
    pub workers: Vec<WorkerView>,
    /// Seconds without a heartbeat after which a worker is `lost`.
    pub lost_after_seconds: i64,
}

/// Every worker process: id, host, labels, capacity, runs in progress, last heartbeat, version.
#[utoipa::path(
    tag = "workers",
    responses(
        (status = 200, description = "The registry", body = WorkerList),
        (status = 503, description = "The store could not be read", body = crate::error::ErrorBody),
    ),
    security(("api_key" = []))
)]
#[get("/workers")]
pub async fn list_workers(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let workers = state.workers.list().await?;
    Ok(HttpResponse::Ok().json(WorkerList {
        workers: workers.into_iter().map(|(w, s)| WorkerView::of(w, s)).collect(),
        lost_after_seconds: state.workers.lost_after().num_seconds(),
    }))
}
