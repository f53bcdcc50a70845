//! `/admin/backends/{id}/accounts`: the accounts a backend's runs use, their
//! usage and rate-limit state; `/admin/triggers/{id}/fallback-chain`.

use super::views::FallbackEntryView;
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use actix_web::{HttpResponse, delete, get, post, put, web};
use agented_kernel::AccountId;
use agented_orchestration::{Account, AccountPatch, AccountUsage};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An account of a backend.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    /// `acct-…`.
    pub id: String,
    /// Its backend.
    pub backend_id: String,
    /// Unique within the backend.
    pub name: String,
    /// The name of the server's environment variable that holds its API key (never the key).
    pub api_key_env: Option<String>,
    /// Whether that variable is set in the server's environment.
    pub api_key_present: Option<bool>,
    /// Config directory, given to the CLI as `CLAUDE_CONFIG_DIR`, `CODEX_HOME`, `GEMINI_CLI_HOME` or (opencode, whose login is `opencode/auth.json` in it) `XDG_DATA_HOME`.
    pub config_dir: Option<String>,
    /// Used when a chain entry (or a trigger without a chain) names no account.
    pub is_default: bool,
    /// Subscription or tier.
    pub plan: Option<String>,
    /// Rate-limited now.
    pub is_rate_limited: bool,
    /// Until when (kept after it passes, for history).
    pub rate_limited_until: Option<DateTime<Utc>>,
    /// The output line that limited it.
    pub rate_limit_reason: Option<String>,
    /// Rate limits hit so far.
    pub rate_limit_hits: i64,
    /// Runs, tokens and cost of runs under it.
    pub usage: AccountUsageView,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Usage counters of an account.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountUsageView {
    /// Runs.
    pub runs: i64,
    /// Tokens in.
    pub input_tokens: i64,
    /// Tokens out.
    pub output_tokens: i64,
    /// US dollars.
    pub total_cost_usd: f64,
    /// The last run's queue time.
    pub last_used_at: Option<DateTime<Utc>>,
}

fn view(state: &AppState, account: Account, usage: AccountUsage) -> AccountView {
    let now = state.clock.now();
    let env = &state.orchestration.options().env;
    AccountView {
        is_rate_limited: account.is_limited(now),
        api_key_present: account.api_key_env.as_deref().map(|name| env(name).is_some_and(|v| !v.is_empty())),
        id: account.id.to_string(),
        backend_id: account.backend_id,
        name: account.name,
        api_key_env: account.api_key_env,
        config_dir: account.config_dir,
        is_default: account.is_default,
        plan: account.plan,
        rate_limited_until: account.rate_limited_until,
        rate_limit_reason: account.rate_limit_reason,
        rate_limit_hits: account.rate_limit_hits,
        usage: AccountUsageView {
            runs: usage.runs,
            input_tokens: usage.input_tokens,
            output_tokens: usage.output_tokens,
            total_cost_usd: usage.total_cost_usd,
            last_used_at: usage.last_used_at,
        },
        created_at: account.created_at,
        updated_at: account.updated_at,
    }
}

/// Accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    /// By backend, then name.
    pub accounts: Vec<AccountView>,
}

/// An account's settings (create: `name` required; update: any subset; `""` clears an optional one).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AccountInput {
    /// 1–100 characters, unique within the backend.
    pub name: Option<String>,
    /// The *name* of an environment variable holding the API key, e.g. `ANTHROPIC_KEY_TEAM_A`.
    pub api_key_env: Option<String>,
    /// An absolute directory for the CLI's own config.
    pub config_dir: Option<String>,
    /// Make it the backend's default account.
    pub is_default: Option<bool>,
    /// Subscription or tier (free text).
    pub plan: Option<String>,
}

impl From<AccountInput> for AccountPatch {
    fn from(i: AccountInput) -> Self {
        Self {
            name: i.name,
            api_key_env: i.api_key_env,
            config_dir: i.config_dir,
            is_default: i.is_default,
            plan: i.plan,
        }
    }
}

/// `acct-…`, or the original's integer id of an imported account.
pub(crate) fn account_id(raw: &str) -> Result<AccountId, ApiError> {
    agented_orchestration::account_ref(raw).map_err(|_| ApiError::not_found("account not found"))
}

/// Every account of every backend (the accounts page).
#[utoipa::path(
    tag = "accounts",
    responses((status = 200, body = AccountList), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/accounts")]
pub async fn all_accounts(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let accounts = state.orchestration.accounts(None).await?;
    let accounts = accounts.into_iter().map(|(a, u)| view(&state, a, u)).collect();
    Ok(HttpResponse::Ok().json(AccountList { accounts }))
}

/// The accounts of one backend.
#[utoipa::path(
    tag = "accounts",
    params(("id" = String, Path, description = "Backend id")),
    responses((status = 200, body = AccountList), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/backends/{id}/accounts")]
pub async fn list_accounts(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let accounts = state.orchestration.accounts(Some(&id)).await?;
    let accounts = accounts.into_iter().map(|(a, u)| view(&state, a, u)).collect();
    Ok(HttpResponse::Ok().json(AccountList { accounts }))
}

/// Adds an account to a backend.
#[utoipa::path(
    tag = "accounts",
    params(("id" = String, Path, description = "Backend id")),
    request_body = AccountInput,
    responses(
        (status = 201, body = AccountView),
        (status = 404, description = "Unknown backend", body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, description = "Invalid values", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[post("/backends/{id}/accounts")]
pub async fn create_account(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<AccountInput>,
) -> Result<HttpResponse, ApiError> {
    let account = state.orchestration.create_account(&id, input.into_inner().into()).await?;
    Ok(HttpResponse::Created().json(view(&state, account, AccountUsage::default())))
}

/// One account with its usage.
#[utoipa::path(
    tag = "accounts",
    params(("id" = String, Path, description = "Backend id"), ("account_id" = String, Path, description = "Account id")),
    responses((status = 200, body = AccountView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/backends/{id}/accounts/{account_id}")]
pub async fn get_account(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (backend, account) = path.into_inner();
    let (account, usage) = state.orchestration.account(&backend, &account_id(&account)?).await?;
    Ok(HttpResponse::Ok().json(view(&state, account, usage)))
}

/// Changes an account.
#[utoipa::path(
    tag = "accounts",
    params(("id" = String, Path, description = "Backend id"), ("account_id" = String, Path, description = "Account id")),
    request_body = AccountInput,
    responses(
        (status = 200, body = AccountView),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The name is taken", body = ErrorBody),
        (status = 422, description = "Invalid values", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[put("/backends/{id}/accounts/{account_id}")]
pub async fn update_account(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    input: web::Json<AccountInput>,
) -> Result<HttpResponse, ApiError> {
    let (backend, account) = path.into_inner();
    let id = account_id(&account)?;
    state.orchestration.update_account(&backend, &id, input.into_inner().into()).await?;
    let (account, usage) = state.orchestration.account(&backend, &id).await?;
    Ok(HttpResponse::Ok().json(view(&state, account, usage)))
}

/// Deletes an account; chain entries naming it are skipped from then on.
#[utoipa::path(
    tag = "accounts",
    params(("id" = String, Path, description = "Backend id"), ("account_id" = String, Path, description = "Account id")),
    responses((status = 204, description = "Deleted"), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[delete("/backends/{id}/accounts/{account_id}")]
pub async fn delete_account(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (backend, account) = path.into_inner();
    state.orchestration.delete_account(&backend, &account_id(&account)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lifts an account's rate limit now (the "clear" action).
#[utoipa::path(
    tag = "accounts",
    params(("id" = String, Path, description = "Backend id"), ("account_id" = String, Path, description = "Account id")),
    responses((status = 200, body = AccountView), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/backends/{id}/accounts/{account_id}/clear-rate-limit")]
pub async fn clear_rate_limit(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (backend, account) = path.into_inner();
    let id = account_id(&account)?;
    state.orchestration.clear_rate_limit(&backend, &id).await?;
    let (account, usage) = state.orchestration.account(&backend, &id).await?;
    Ok(HttpResponse::Ok().json(view(&state, account, usage)))
}

/// A trigger's fallback chain.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FallbackChain {
    /// In order; empty: the trigger's own backend under its default account.
    pub entries: Vec<FallbackEntryView>,
}

/// The backends and accounts a trigger's runs try, in order.
#[utoipa::path(
    tag = "accounts",
    params(("id" = String, Path, description = "Trigger id")),
    responses((status = 200, body = FallbackChain), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/triggers/{id}/fallback-chain")]
pub async fn get_chain(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let trigger = state.triggers.get(&id).await?;
    let entries = trigger.settings.fallback_chain.into_iter().map(FallbackEntryView::from).collect();
    Ok(HttpResponse::Ok().json(FallbackChain { entries }))
}

/// Replaces a trigger's fallback chain; runs queued from then on use it.
#[utoipa::path(
    tag = "accounts",
    params(("id" = String, Path, description = "Trigger id")),
    request_body = FallbackChain,
    responses(
        (status = 200, body = FallbackChain),
        (status = 404, body = ErrorBody),
        (status = 422, description = "An unknown backend or account, a repeated entry", body = ErrorBody),
    ),
    security(("api_key" = []))
)]
#[put("/triggers/{id}/fallback-chain")]
pub async fn put_chain(
    state: web::Data<AppState>,
    id: web::Path<String>,
    input: web::Json<FallbackChain>,
) -> Result<HttpResponse, ApiError> {
    let chain = FallbackEntryView::into_chain(input.into_inner().entries).map_err(ApiError::invalid_fields)?;
    let updated = state.triggers.set_chain(&id, chain).await?;
    let entries = updated.settings.fallback_chain.into_iter().map(FallbackEntryView::from).collect();
    Ok(HttpResponse::Ok().json(FallbackChain { entries }))
}

/// Every account's rate-limit state (the original's `/admin/orchestration/health`).
#[utoipa::path(
    tag = "accounts",
    responses((status = 200, body = AccountList), (status = 401, body = ErrorBody)),
    security(("api_key" = []))
)]
#[get("/orchestration/health")]
pub async fn account_health(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let accounts = state.orchestration.accounts(None).await?;
    let accounts = accounts.into_iter().map(|(a, u)| view(&state, a, u)).collect();
    Ok(HttpResponse::Ok().json(AccountList { accounts }))
}

/// What clearing a rate limit by account alone answers (the original's shape, with the account).
#[derive(Debug, Serialize, ToSchema)]
pub struct ClearedLimit {
    /// `Rate limit cleared`.
    pub message: &'static str,
    /// The account now.
    pub account: AccountView,
}

/// Lifts an account's rate limit, named by its id alone (`acct-…`, or the original's integer).
#[utoipa::path(
    tag = "accounts",
    params(("account_id" = String, Path, description = "Account id, or the original's integer id")),
    responses((status = 200, body = ClearedLimit), (status = 404, body = ErrorBody)),
    security(("api_key" = []))
)]
#[post("/orchestration/accounts/{account_id}/clear-rate-limit")]
pub async fn clear_rate_limit_of(
    state: web::Data<AppState>,
    account: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let cleared = state.orchestration.clear_rate_limit_of(&account_id(&account)?).await?;
    let (account, usage) = state.orchestration.account(&cleared.backend_id, &cleared.id).await?;
    Ok(HttpResponse::Ok().json(ClearedLimit { message: "Rate limit cleared", account: view(&state, account, usage) }))
}
