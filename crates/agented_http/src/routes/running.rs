//! What is running now, in the original's two shapes: every running execution,
//! and a trigger's running execution if any.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::routes::executions::ExecutionList;
use crate::routes::views::ExecutionView;
use actix_web::{HttpResponse, get, web};
use agented_executions::{ExecutionFilter, ExecutionStatus};
use agented_kernel::Page;
use serde::Serialize;
use utoipa::ToSchema;

/// The most running executions listed (far above what one installation runs at once).
const MAX_RUNNING: u32 = 500;

/// A trigger's running execution (the original's shape).
#[derive(Debug, Serialize, ToSchema)]
pub struct TriggerRunning {
    /// Whether one is running.
    pub running: bool,
    /// It, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution: Option<ExecutionView>,
}

/// Every running execution, newest first.
#[utoipa::path(
    tag = "executions",
    responses((status = 200, body = ExecutionList), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/executions/running")]
pub async fn running_executions(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let filter = ExecutionFilter { status: Some(ExecutionStatus::Running), ..ExecutionFilter::default() };
    let page = Page::new(Some(MAX_RUNNING), None).map_err(|e| ApiError::bad_request("invalid_page", e.to_string()))?;
    let (items, total) = state.runs.list(&filter, page).await?;
    Ok(HttpResponse::Ok().json(ExecutionList::of(items, total)))
}

/// The trigger's running execution: `{running: false}` or `{running: true, execution}`.
#[utoipa::path(
    tag = "triggers",
    params(("id" = String, Path, description = "Trigger id")),
    responses((status = 200, body = TriggerRunning), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/triggers/{id}/executions/running")]
pub async fn trigger_running(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let trigger = state.triggers.get(&id).await?;
    let execution = state.runs.running_of(&trigger.id).await?.map(ExecutionView::from);
    Ok(HttpResponse::Ok().json(TriggerRunning { running: execution.is_some(), execution }))
}
