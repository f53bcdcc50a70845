//! `GET /admin/workspaces`: the run workspaces and repository mirrors this
//! server keeps on disk, against the retention settings.

use crate::AppState;
use actix_web::{HttpResponse, get, web};
use agented_executions::WorkspaceReport;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A kept workspace.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceView {
    /// Its folder: the first run of its thread (follow-ups share it).
    pub key: String,
    /// The latest run that used it.
    pub execution_id: Option<String>,
    /// That run's status (`null`: not in the store).
    pub status: Option<&'static str>,
    /// When that run ended (`null`: active).
    pub ended_at: Option<DateTime<Utc>>,
    /// Bytes on disk.
    pub bytes: u64,
}

/// A repository's mirror.
#[derive(Debug, Serialize, ToSchema)]
pub struct MirrorView {
    /// `<name>-<hash>.git`.
    pub name: String,
    /// Bytes on disk.
    pub bytes: u64,
}

/// What is kept, and the limits.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspacesView {
    /// Kept workspaces: active ones first, then the latest ended first.
    pub workspaces: Vec<WorkspaceView>,
    /// Repository mirrors.
    pub mirrors: Vec<MirrorView>,
    /// Bytes of both.
    pub total_bytes: u64,
    /// `runner.workspace_max_mb` in bytes: the oldest workspaces go beyond it.
    pub max_bytes: u64,
    /// `runner.keep_succeeded_workspaces`.
    pub keep_succeeded: usize,
    /// `runner.keep_failed_workspaces`.
    pub keep_failed: usize,
}

impl From<WorkspaceReport> for WorkspacesView {
    fn from(r: WorkspaceReport) -> Self {
        Self {
            workspaces: r
                .workspaces
                .into_iter()
                .map(|w| WorkspaceView {
                    key: w.key,
                    execution_id: w.latest.map(String::from),
                    status: w.status.map(|s| s.as_str()),
                    ended_at: w.ended_at,
                    bytes: w.bytes,
                })
                .collect(),
            mirrors: r.mirrors.into_iter().map(|m| MirrorView { name: m.name, bytes: m.bytes }).collect(),
            total_bytes: r.total_bytes,
            max_bytes: r.max_bytes,
            keep_succeeded: r.keep_succeeded,
            keep_failed: r.keep_failed,
        }
    }
}

/// The run workspaces (git worktrees) and mirrors on this server's disk, and the retention limits.
#[utoipa::path(tag = "workers", responses((status = 200, body = WorkspacesView)), security(("api_key" = [])))]
#[get("/workspaces")]
pub async fn list_workspaces(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(WorkspacesView::from(state.workspaces.report().await))
}
