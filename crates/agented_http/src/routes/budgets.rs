//! `/admin/budgets`: soft and hard spending limits with their current spend,
//! and the check a run passes before it starts. The usage report: `usage.rs`.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use actix_web::{HttpResponse, delete, get, post, put, web};
use agented_kernel::BudgetId;
use agented_orchestration::{BudgetAnswer, BudgetPatch, BudgetQuestion, BudgetState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A budget and where its current period stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetView {
    /// `budget-…`.
    pub id: String,
    /// `global`, `trigger`, `backend` or `account`.
    pub scope: String,
    /// The trigger, backend or account (none for `global`).
    pub entity_id: Option<String>,
    /// `daily`, `weekly` (from Monday) or `monthly`.
    pub period: String,
    /// IANA time zone the period's days begin in.
    pub timezone: String,
    /// A warning (audit entry, dashboard banner) at this spend.
    pub soft_limit_usd: Option<f64>,
    /// Runs are refused, and running ones stopped, at this spend.
    pub hard_limit_usd: Option<f64>,
    /// Spent in the current period, live cost of running executions included.
    pub spent_usd: f64,
    /// What running executions reserved against the hard limit and have not spent yet
    /// (a run reserves its trigger's average cost at its start); new runs are refused
    /// when spent plus reserved reaches the hard limit.
    pub reserved_usd: f64,
    /// `ok`, `warning` or `exceeded` (by what was spent).
    pub level: String,
    /// The current period's first instant.
    pub period_start: DateTime<Utc>,
    /// The next period's first instant.
    pub period_end: DateTime<Utc>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<BudgetState> for BudgetView {
    fn from(s: BudgetState) -> Self {
        let b = s.budget;
        Self {
            id: b.id.to_string(),
            scope: b.scope.to_string(),
            entity_id: b.entity_id,
            period: b.period.to_string(),
            timezone: b.timezone.name().to_owned(),
            soft_limit_usd: b.soft_limit_usd,
            hard_limit_usd: b.hard_limit_usd,
            spent_usd: s.spent_usd,
            reserved_usd: s.reserved_usd,
            level: serde_json::to_value(s.level).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default(),
            period_start: s.window.start,
            period_end: s.window.end,
            created_at: b.created_at,
            updated_at: b.updated_at,
        }
    }
}

/// Every budget.
#[derive(Debug, Serialize, ToSchema)]
pub struct BudgetList {
    /// Oldest first.
    pub budgets: Vec<BudgetView>,
}

/// A budget's settings (create: `scope`, `period` and a limit required; update: any subset;
/// a limit set to `null` is removed).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetInput {
    /// `global`, `trigger`, `backend` or `account`.
    pub scope: Option<String>,
    /// The trigger, backend or account id (not for `global`).
    pub entity_id: Option<String>,
    /// `daily`, `weekly` or `monthly`.
    pub period: Option<String>,
    /// IANA time zone; `orchestration.timezone` unless set.
    pub timezone: Option<String>,
    /// US dollars.
    #[serde(deserialize_with = "agented_orchestration::budgets::present")]
    #[schema(value_type = Option<f64>)]
    pub soft_limit_usd: Option<Option<f64>>,
    /// US dollars.
    #[serde(deserialize_with = "agented_orchestration::budgets::present")]
    #[schema(value_type = Option<f64>)]
    pub hard_limit_usd: Option<Option<f64>>,
}

impl From<BudgetInput> for BudgetPatch {
    fn from(i: BudgetInput) -> Self {
        Self {
            scope: i.scope,
            entity_id: i.entity_id,
            period: i.period,
            timezone: i.timezone,
            soft_limit_usd: i.soft_limit_usd,
            hard_limit_usd: i.hard_limit_usd,
        }
    }
}

fn budget_id(raw: &str) -> Result<BudgetId, ApiError> {
    BudgetId::parse(raw).map_err(|_| ApiError::not_found("budget not found"))
}

/// Every budget with its current spend.
#[utoipa::path(
    tag = "budgets",
    responses((status = 200, body = BudgetList), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/budgets")]
pub async fn list_budgets(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let states = state.orchestration.budget_states().await?;
    Ok(HttpResponse::Ok().json(BudgetList { budgets: states.into_iter().map(BudgetView::from).collect() }))
}

/// Creates a budget.
#[utoipa::path(
    tag = "budgets",
    request_body = BudgetInput,
    responses(
        (status = 201, body = BudgetView),
        (status = 409, description = "A budget of that scope, entity and period exists", body = ErrorBody),
        (status = 422, description = "Invalid values or an unknown entity", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/budgets")]
pub async fn create_budget(
    state: web::Data<AppState>,
    input: web::Json<BudgetInput>,
) -> Result<HttpResponse, ApiError> {
    let created = state.orchestration.create_budget(input.into_inner().into()).await?;
    Ok(HttpResponse::Created().json(BudgetView::from(created)))
}

/// One budget with its current spend.
#[utoipa::path(
    tag = "budgets",
    params(("id" = String, Path, description = "Budget id")),
    responses((status = 200, body = BudgetView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/budgets/{id}")]
pub async fn get_budget(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let budget = state.orchestration.budget(&budget_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(BudgetView::from(budget)))
}

/// Changes a budget (its warning is given again in the current period if still due).
#[utoipa::path(
    tag = "budgets",
    params(("id" = String, Path, description = "Budget id")),
    request_body = BudgetInput,
    responses(
        (status = 200, body = BudgetView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "A budget of that scope, entity and period exists", body = ErrorBody),
        (status = 422, description = "Invalid values", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[put("/budgets/{id}")]
pub async fn update_budget(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<BudgetInput>,
) -> Result<HttpResponse, ApiError> {
    let updated = state.orchestration.update_budget(&budget_id(&id)?, input.into_inner().into()).await?;
    Ok(HttpResponse::Ok().json(BudgetView::from(updated)))
}

/// Deletes a budget.
#[utoipa::path(
    tag = "budgets",
    params(("id" = String, Path, description = "Budget id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/budgets/{id}")]
pub async fn delete_budget(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.orchestration.delete_budget(&budget_id(&id)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What a run would be checked against.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CheckInput {
    /// The trigger (its first chain entry gives the backend and account unless named).
    pub trigger_id: Option<String>,
    /// The backend (`backend-…`).
    pub backend_id: Option<String>,
    /// The account; the backend's default account unless named.
    pub account_id: Option<String>,
    /// What the run is expected to cost (US dollars, default 0).
    pub estimated_cost_usd: Option<f64>,
}

/// Whether a run may start.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckResult {
    /// No hard limit refuses it.
    pub allowed: bool,
    /// Budgets whose hard limit refuses it.
    pub blocked_by: Vec<BudgetView>,
    /// Budgets at or over their soft limit.
    pub warnings: Vec<BudgetView>,
    /// Every budget covering it.
    pub budgets: Vec<BudgetView>,
    /// The trigger, backend and account checked.
    pub trigger_id: Option<String>,
    /// See `trigger_id`.
    pub backend_id: String,
    /// See `trigger_id`.
    pub account_id: Option<String>,
}

/// Checks a run against the budgets covering it, without starting it.
#[utoipa::path(
    tag = "budgets",
    request_body = CheckInput,
    responses(
        (status = 200, body = CheckResult),
        (status = 404, description = "Unknown trigger, backend or account", body = ErrorBody),
        (status = 422, description = "Invalid values", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/budgets/check")]
pub async fn check_budget(state: web::Data<AppState>, input: web::Json<CheckInput>) -> Result<HttpResponse, ApiError> {
    let input = input.into_inner();
    let question = BudgetQuestion {
        trigger_id: input.trigger_id.clone(),
        backend_id: input.backend_id,
        account_id: input.account_id,
        estimated_cost_usd: input.estimated_cost_usd,
    };
    let BudgetAnswer { scope, check, estimate } = state.orchestration.check_run(question).await?;
    let blocked_by: Vec<BudgetView> = check.blocking(estimate).into_iter().cloned().map(BudgetView::from).collect();
    let warnings = check.warnings(estimate).into_iter().cloned().map(BudgetView::from).collect();
    Ok(HttpResponse::Ok().json(CheckResult {
        allowed: blocked_by.is_empty(),
        blocked_by,
        warnings,
        budgets: check.states.into_iter().map(BudgetView::from).collect(),
        trigger_id: input.trigger_id,
        backend_id: scope.backend_id,
        account_id: scope.account_id,
    }))
}
