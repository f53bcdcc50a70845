//! `/admin/budgets/limits`: the Python Agented's per-entity budget limits
//! (one per trigger, backend or account, set by upsert), kept for its clients;
//! each is an ordinary budget of `/admin/budgets`.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use actix_web::{HttpResponse, delete, get, put, web};
use agented_orchestration::{BudgetPatch, BudgetScope, BudgetState};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One limit, in the original's fields.
#[derive(Debug, Serialize, ToSchema)]
pub struct LimitView {
    /// The budget behind it (`/admin/budgets/{id}`).
    pub id: String,
    /// `trigger`, `backend` or `account`.
    pub entity_type: String,
    /// The trigger, backend or account.
    pub entity_id: String,
    /// `daily`, `weekly` or `monthly`.
    pub period: String,
    /// US dollars.
    pub soft_limit_usd: Option<f64>,
    /// US dollars.
    pub hard_limit_usd: Option<f64>,
    /// Spent this period.
    pub current_spend_usd: f64,
}

impl From<BudgetState> for LimitView {
    fn from(s: BudgetState) -> Self {
        let b = s.budget;
        Self {
            id: b.id.to_string(),
            entity_type: b.scope.to_string(),
            entity_id: b.entity_id.unwrap_or_default(),
            period: b.period.to_string(),
            soft_limit_usd: b.soft_limit_usd,
            hard_limit_usd: b.hard_limit_usd,
            current_spend_usd: s.spent_usd,
        }
    }
}

/// Every limit.
#[derive(Debug, Serialize, ToSchema)]
pub struct LimitList {
    /// Budgets of a trigger, backend or account.
    pub limits: Vec<LimitView>,
}

/// A limit to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitInput {
    /// `trigger`, `backend` or `account` (the original's `agent` and `team` have no counterpart).
    pub entity_type: Option<String>,
    /// Its id.
    pub entity_id: Option<String>,
    /// `daily`, `weekly` or `monthly` (default `monthly`).
    pub period: Option<String>,
    /// US dollars.
    pub soft_limit_usd: Option<f64>,
    /// US dollars.
    pub hard_limit_usd: Option<f64>,
}

/// Every budget of a trigger, backend or account, with this period's spend.
#[utoipa::path(
    tag = "budgets",
    responses((status = 200, body = LimitList), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/budgets/limits")]
pub async fn list_limits(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let states = state.orchestration.budget_states().await?;
    let limits = states.into_iter().filter(|s| s.budget.scope != BudgetScope::Global).map(LimitView::from).collect();
    Ok(HttpResponse::Ok().json(LimitList { limits }))
}

/// Sets the limit on one entity: changes its budget, or creates one.
#[utoipa::path(
    tag = "budgets",
    request_body = LimitInput,
    responses((status = 200, body = LimitView), (status = 422, description = "Invalid values", body = ErrorBody)),
    security(("api_key" = []))
)]
#[put("/budgets/limits")]
pub async fn set_limit(state: web::Data<AppState>, input: web::Json<LimitInput>) -> Result<HttpResponse, ApiError> {
    let LimitInput { entity_type, entity_id, period, soft_limit_usd, hard_limit_usd } = input.into_inner();
    let patch = BudgetPatch {
        scope: entity_type,
        entity_id,
        period,
        soft_limit_usd: Some(soft_limit_usd),
        hard_limit_usd: Some(hard_limit_usd),
        ..BudgetPatch::default()
    };
    Ok(HttpResponse::Ok().json(LimitView::from(state.orchestration.set_limit(patch).await?)))
}

/// The limit on one entity.
#[utoipa::path(
    tag = "budgets",
    params(("entity_type" = String, Path, description = "trigger, backend or account"), ("entity_id" = String, Path, description = "Its id")),
    responses((status = 200, body = LimitView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/budgets/limits/{entity_type}/{entity_id}")]
pub async fn get_limit(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (entity_type, entity_id) = path.into_inner();
    Ok(HttpResponse::Ok().json(LimitView::from(state.orchestration.limit_of(&entity_type, &entity_id).await?)))
}

/// Removes the limit on one entity.
#[utoipa::path(
    tag = "budgets",
    params(("entity_type" = String, Path, description = "trigger, backend or account"), ("entity_id" = String, Path, description = "Its id")),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/budgets/limits/{entity_type}/{entity_id}")]
pub async fn delete_limit(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (entity_type, entity_id) = path.into_inner();
    state.orchestration.delete_limit(&entity_type, &entity_id).await?;
    Ok(HttpResponse::NoContent().finish())
}
