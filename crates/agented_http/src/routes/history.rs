//! A roadmap's history: the roadmaps kept before each recorded change (an
//! accepted plan, a restore), and putting one back.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::roadmap_views::RoadmapView;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A kept roadmap.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoadmapVersionView {
    /// Pass to `restore`.
    pub id: i64,
    /// The change that replaced it (`accepting the plan “…”`).
    pub label: String,
    /// When it was replaced.
    pub created_at: DateTime<Utc>,
    /// Its phases then.
    pub phases: usize,
    /// Its requirements then.
    pub requirements: usize,
}

/// The kept roadmaps, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoadmapHistory {
    /// At most the last 50.
    pub versions: Vec<RoadmapVersionView>,
}

/// The roadmaps kept before each accepted plan and restore, newest first.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id")),
    responses((status = 200, body = RoadmapHistory), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/projects/{id}/history")]
pub async fn roadmap_history(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let versions = state.projects.history(&id).await?;
    Ok(HttpResponse::Ok().json(RoadmapHistory {
        versions: versions
            .into_iter()
            .map(|v| RoadmapVersionView {
                id: v.id,
                label: v.label,
                created_at: v.created_at,
                phases: v.roadmap.milestones.iter().map(|m| m.phases.len()).sum(),
                requirements: v.roadmap.requirements.len(),
            })
            .collect(),
    }))
}

/// Puts the kept roadmap back (undo); the roadmap it replaces is kept in turn.
#[utoipa::path(
    tag = "projects",
    params(("id" = String, Path, description = "Project id"), ("version" = i64, Path, description = "A kept roadmap's id")),
    responses((status = 200, body = RoadmapView), (status = 404, body = ErrorBody, description = "No such project or kept roadmap")),
    security(("api_key" = []))
)]
#[post("/projects/{id}/history/{version}/restore")]
pub async fn restore_roadmap(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, version) = path.into_inner();
    let version: i64 = version.parse().map_err(|_| ApiError::not_found(format!("kept roadmap {version} not found")))?;
    let project = state.projects.restore(&id, version).await?;
    Ok(HttpResponse::Ok().json(RoadmapView::from(&project)))
}
