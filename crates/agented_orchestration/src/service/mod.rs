//! Orchestration: the facade over accounts, budgets and chains. The HTTP
//! layer manages accounts and budgets through it; the runner asks it, entry
//! by entry, how a run may go on.

mod accounts;
mod budgets;
mod limits;
mod runs;

pub use budgets::{BudgetCheck, MAX_USAGE_SPAN_DAYS, UsageAnswer, UsageRequest};
pub use runs::{Attempt, BudgetAnswer, BudgetQuestion};

use crate::ports::{
    AccountRepository, BudgetAlerts, BudgetRepository, OrchestrationStoreError, SpendReader, WriteError,
};
use crate::rate_limit::{Backoff, RateLimitRules};
use agented_executions::{BUILTIN_BACKENDS, BackendDirectory, ExecStoreError};
use agented_kernel::{BackendType, Clock};
use agented_triggers::{FieldErrors, TriggerRepository, TriggerStoreError};
use chrono_tz::Tz;
use std::collections::HashMap;
use std::sync::Arc;

/// Why an orchestration request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrchestrationError {
    /// The named thing does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Field → message.
    #[error("invalid values")]
    Invalid(FieldErrors),
    /// A name, or a scope, entity and period, is taken.
    #[error("{0}")]
    Duplicate(String),
    /// Storage failed.
    #[error("{0}")]
    Store(#[source] agented_kernel::Cause),
}

impl From<OrchestrationStoreError> for OrchestrationError {
    fn from(e: OrchestrationStoreError) -> Self {
        Self::Store(agented_kernel::Cause::of(e))
    }
}

impl From<ExecStoreError> for OrchestrationError {
    fn from(e: ExecStoreError) -> Self {
        Self::Store(agented_kernel::Cause::of(e))
    }
}

impl From<TriggerStoreError> for OrchestrationError {
    fn from(e: TriggerStoreError) -> Self {
        Self::Store(agented_kernel::Cause::of(e))
    }
}

impl OrchestrationError {
    fn from_write(e: WriteError, what: &'static str) -> Self {
        match e {
            WriteError::Duplicate(m) => Self::Duplicate(m),
            WriteError::NotFound => Self::NotFound(what),
            WriteError::Store(s) => s.into(),
        }
    }
}

/// Reads a variable of the server's environment (an API key named by an account).
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How rotation and budgets behave (`orchestration.*` settings).
#[derive(Clone)]
pub struct OrchestrationOptions {
    /// Patterns of each backend id that has its own; the others use `default_rules`.
    pub backend_rules: HashMap<String, RateLimitRules>,
    /// Patterns of backends without their own.
    pub default_rules: RateLimitRules,
    /// Retries of a run whose whole chain was limited.
    pub backoff: Backoff,
    /// Time zone of budgets that name none, and of the usage page.
    pub timezone: Tz,
    /// Where account API keys are read from.
    pub env: EnvLookup,
    /// What a run of a trigger with no costed run yet reserves against hard limits (USD).
    pub default_reservation_usd: f64,
}

impl std::fmt::Debug for OrchestrationOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrchestrationOptions")
            .field("backend_rules", &self.backend_rules)
            .field("default_rules", &self.default_rules)
            .field("backoff", &self.backoff)
            .field("timezone", &self.timezone)
            .field("default_reservation_usd", &self.default_reservation_usd)
            .finish_non_exhaustive()
    }
}

impl Default for OrchestrationOptions {
    fn default() -> Self {
        Self {
            backend_rules: HashMap::new(),
            default_rules: RateLimitRules::defaults(),
            backoff: Backoff::default(),
            timezone: chrono_tz::UTC,
            env: Arc::new(|name: &str| std::env::var(name).ok()),
            default_reservation_usd: 1.0,
        }
    }
}

/// The ports orchestration works over.
#[derive(Clone)]
pub struct OrchestrationPorts {
    /// Accounts.
    pub accounts: Arc<dyn AccountRepository>,
    /// Budgets.
    pub budgets: Arc<dyn BudgetRepository>,
    /// Spend and usage of executions.
    pub spend: Arc<dyn SpendReader>,
    /// Soft-limit warnings.
    pub alerts: Arc<dyn BudgetAlerts>,
    /// Triggers (budget entities, chains).
    pub triggers: Arc<dyn TriggerRepository>,
    /// Backends (accounts' owners, chain entries).
    pub backends: Arc<dyn BackendDirectory>,
    /// Executions: runs waiting on a rate limit are woken when it is cleared.
    pub executions: Arc<dyn agented_executions::ExecutionRepository>,
    /// "Now".
    pub clock: Arc<dyn Clock>,
}

/// Accounts, budgets and chains.
#[derive(Clone)]
pub struct Orchestration {
    ports: OrchestrationPorts,
    options: Arc<OrchestrationOptions>,
}

impl std::fmt::Debug for Orchestration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Orchestration").field("options", &self.options).finish_non_exhaustive()
    }
}

impl Orchestration {
    /// The facade over `ports`.
    #[must_use]
    pub fn new(ports: OrchestrationPorts, options: OrchestrationOptions) -> Self {
        Self { ports, options: Arc::new(options) }
    }

    /// The settings in use.
    #[must_use]
    pub fn options(&self) -> &OrchestrationOptions {
        &self.options
    }

    /// The rate-limit rules of `backend_id`.
    #[must_use]
    pub fn rules(&self, backend_id: &str) -> &RateLimitRules {
        self.options.backend_rules.get(backend_id).unwrap_or(&self.options.default_rules)
    }
}

/// The built-in CLI family of a backend id, `None` for a custom command.
#[must_use]
pub fn builtin_type(backend_id: &str) -> Option<BackendType> {
    BUILTIN_BACKENDS.iter().find(|b| b.id == backend_id).map(|b| b.backend_type)
}

/// The backend id of a built-in CLI family.
#[must_use]
pub fn builtin_id(backend: BackendType) -> &'static str {
    BUILTIN_BACKENDS.iter().find(|b| b.backend_type == backend).map_or("backend-claude", |b| b.id)
}
