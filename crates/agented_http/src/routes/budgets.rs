//! `/admin/budgets`: soft and hard spending limits with their current spend,
//! the check a run passes before it starts, and the usage report.

use super::accounts::api_error;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use actix_web::web::Query;
use actix_web::{HttpResponse, delete, get, post, put, web};
use agented_kernel::{AccountId, BudgetId, TriggerId};
use agented_orchestration::{BudgetPatch, BudgetPeriod, BudgetState, RunScope, Tally, builtin_id};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

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
    /// `ok`, `warning` or `exceeded`.
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
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<f64>)]
    pub soft_limit_usd: Option<Option<f64>>,
    /// US dollars.
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<f64>)]
    pub hard_limit_usd: Option<Option<f64>>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<f64>>, D::Error> {
    Option::<f64>::deserialize(d).map(Some)
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
#[get("/admin/budgets")]
pub async fn list_budgets(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let states = state.orchestration.budget_states().await.map_err(api_error)?;
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
#[post("/admin/budgets")]
pub async fn create_budget(
    state: web::Data<AppState>,
    input: web::Json<BudgetInput>,
) -> Result<HttpResponse, ApiError> {
    let created = state.orchestration.create_budget(input.into_inner().into()).await.map_err(api_error)?;
    Ok(HttpResponse::Created().json(BudgetView::from(created)))
}

/// One budget with its current spend.
#[utoipa::path(
    tag = "budgets",
    params(("id" = String, Path, description = "Budget id")),
    responses((status = 200, body = BudgetView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/admin/budgets/{id}")]
pub async fn get_budget(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let budget = state.orchestration.budget(&budget_id(&id)?).await.map_err(api_error)?;
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
#[put("/admin/budgets/{id}")]
pub async fn update_budget(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<BudgetInput>,
) -> Result<HttpResponse, ApiError> {
    let updated =
        state.orchestration.update_budget(&budget_id(&id)?, input.into_inner().into()).await.map_err(api_error)?;
    Ok(HttpResponse::Ok().json(BudgetView::from(updated)))
}

/// Deletes a budget.
#[utoipa::path(
    tag = "budgets",
    params(("id" = String, Path, description = "Budget id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/admin/budgets/{id}")]
pub async fn delete_budget(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    state.orchestration.delete_budget(&budget_id(&id)?).await.map_err(api_error)?;
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
#[post("/admin/budgets/check")]
pub async fn check_budget(state: web::Data<AppState>, input: web::Json<CheckInput>) -> Result<HttpResponse, ApiError> {
    let input = input.into_inner();
    let estimate = input.estimated_cost_usd.unwrap_or(0.0);
    if !estimate.is_finite() || estimate < 0.0 {
        return Err(ApiError::invalid_fields(BTreeMap::from([(
            "estimated_cost_usd".to_owned(),
            "must be 0 or more US dollars".to_owned(),
        )])));
    }
    let trigger = match &input.trigger_id {
        Some(raw) => {
            let id = TriggerId::try_from(raw.clone()).map_err(|_| ApiError::not_found("trigger not found"))?;
            Some(
                state
                    .triggers
                    .get(&id)
                    .await
                    .map_err(|e| ApiError::unavailable(&e))?
                    .ok_or_else(|| ApiError::not_found("trigger not found"))?,
            )
        }
        None => None,
    };
    let first = trigger.as_ref().and_then(|t| t.settings.fallback_chain.first().cloned());
    let backend_id = input
        .backend_id
        .or_else(|| first.as_ref().map(|e| e.backend_id.clone()))
        .or_else(|| {
            trigger.as_ref().map(|t| {
                t.settings.backend_id.clone().unwrap_or_else(|| builtin_id(t.settings.backend_type).to_owned())
            })
        })
        .unwrap_or_else(|| builtin_id(agented_kernel::BackendType::Claude).to_owned());
    if state.backends.get(&backend_id).await.map_err(|e| ApiError::unavailable(&e))?.is_none() {
        return Err(ApiError::not_found("backend not found"));
    }
    let account_id = match input.account_id.or_else(|| first.and_then(|e| e.account_id).map(|a| a.to_string())) {
        Some(raw) => {
            let id = AccountId::parse(&raw).map_err(|_| ApiError::not_found("account not found"))?;
            state.orchestration.account(&backend_id, &id).await.map_err(api_error)?;
            Some(raw)
        }
        None => state.orchestration.default_account(&backend_id).await.map_err(api_error)?.map(|a| a.id.to_string()),
    };
    let scope = RunScope {
        trigger_id: input.trigger_id.clone().unwrap_or_default(),
        backend_id: backend_id.clone(),
        account_id: account_id.clone(),
    };
    let check = state.orchestration.check_budgets(&scope).await.map_err(api_error)?;
    let blocked_by: Vec<BudgetView> = check.blocking(estimate).into_iter().cloned().map(BudgetView::from).collect();
    let warnings = check.warnings(estimate).into_iter().cloned().map(BudgetView::from).collect();
    Ok(HttpResponse::Ok().json(CheckResult {
        allowed: blocked_by.is_empty(),
        blocked_by,
        warnings,
        budgets: check.states.into_iter().map(BudgetView::from).collect(),
        trigger_id: input.trigger_id,
        backend_id,
        account_id,
    }))
}

/// Which runs the usage report covers.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default, deny_unknown_fields)]
pub struct UsageQuery {
    /// `daily` (default), `weekly` or `monthly` groups.
    pub period: Option<String>,
    /// First instant (RFC 3339); default 30 days, 12 weeks or 12 months before `until`.
    pub since: Option<DateTime<Utc>>,
    /// First instant not covered (RFC 3339); default the end of the current period.
    pub until: Option<DateTime<Utc>>,
    /// IANA time zone of the periods; `orchestration.timezone` unless set.
    pub timezone: Option<String>,
}

/// Runs, tokens and cost added up.
#[derive(Debug, Serialize, ToSchema)]
pub struct TallyView {
    /// Runs.
    pub runs: u64,
    /// Runs per status.
    pub by_status: BTreeMap<String, u64>,
    /// Tokens in.
    pub input_tokens: i64,
    /// Tokens out.
    pub output_tokens: i64,
    /// US dollars.
    pub cost_usd: f64,
}

impl From<Tally> for TallyView {
    fn from(t: Tally) -> Self {
        Self {
            runs: t.runs,
            by_status: t.by_status,
            input_tokens: t.input_tokens,
            output_tokens: t.output_tokens,
            cost_usd: t.cost_usd,
        }
    }
}

/// One period, trigger, backend and account with runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageGroupView {
    /// Local date the period starts on (`YYYY-MM-DD`).
    pub period_start: String,
    /// The trigger.
    pub trigger_id: String,
    /// The backend run on.
    pub backend_id: String,
    /// The account, if any.
    pub account_id: Option<String>,
    /// What the runs added up to.
    #[serde(flatten)]
    pub tally: TallyView,
}

/// The usage report.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageView {
    /// `daily`, `weekly` or `monthly`.
    pub period: String,
    /// Time zone of the periods.
    pub timezone: String,
    /// First instant covered.
    pub since: DateTime<Utc>,
    /// First instant not covered.
    pub until: DateTime<Utc>,
    /// Each group with runs, in period order.
    pub groups: Vec<UsageGroupView>,
    /// Everything covered.
    pub totals: TallyView,
    /// Every budget with its current spend.
    pub budgets: Vec<BudgetView>,
}

/// Longest span a report covers.
const MAX_SPAN_DAYS: i64 = 800;

/// Usage by period, trigger, backend and account, with the budgets.
#[utoipa::path(
    tag = "budgets",
    responses((status = 200, body = UsageView), (status = 422, description = "Invalid values", body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/admin/budgets/usage")]
pub async fn usage_report(state: web::Data<AppState>, params: Query<UsageQuery>) -> Result<HttpResponse, ApiError> {
    let q = params.into_inner();
    let mut errors = BTreeMap::new();
    let period = match q.period.as_deref().unwrap_or("daily").parse::<BudgetPeriod>() {
        Ok(p) => p,
        Err(e) => {
            errors.insert("period".to_owned(), e);
            BudgetPeriod::Daily
        }
    };
    let tz = match q.timezone.as_deref().map(str::parse::<Tz>) {
        None => state.orchestration.timezone(),
        Some(Ok(tz)) => tz,
        Some(Err(_)) => {
            errors
                .insert("timezone".to_owned(), "unknown time zone: use an IANA name such as Europe/Berlin".to_owned());
            chrono_tz::UTC
        }
    };
    // By default the report covers whole periods, the current one included.
    let until = q.until.unwrap_or_else(|| period.window(state.clock.now(), tz).end);
    let since = q.since.unwrap_or_else(|| {
        until
            - match period {
                BudgetPeriod::Daily => Duration::days(30),
                BudgetPeriod::Weekly => Duration::weeks(12),
                BudgetPeriod::Monthly => Duration::days(366),
            }
    });
    if since >= until {
        errors.insert("since".to_owned(), "must be before until".to_owned());
    } else if until - since > Duration::days(MAX_SPAN_DAYS) {
        errors.insert("since".to_owned(), format!("a report covers at most {MAX_SPAN_DAYS} days"));
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid_fields(errors));
    }
    let report = state.orchestration.usage(since, until, period, tz).await.map_err(api_error)?;
    let budgets = state.orchestration.budget_states().await.map_err(api_error)?;
    Ok(HttpResponse::Ok().json(UsageView {
        period: period.to_string(),
        timezone: tz.name().to_owned(),
        since,
        until,
        groups: report
            .groups
            .into_iter()
            .map(|(k, t)| UsageGroupView {
                period_start: k.period_start.to_string(),
                trigger_id: k.trigger_id,
                backend_id: k.backend_id,
                account_id: k.account_id,
                tally: t.into(),
            })
            .collect(),
        totals: report.totals.into(),
        budgets: budgets.into_iter().map(BudgetView::from).collect(),
    }))
}
