//! What orchestration needs from storage and from the audit trail.

use crate::accounts::{Account, AccountDraft, AccountUsage};
use crate::budgets::{Budget, BudgetDraft, BudgetState};
use crate::usage::UsageRow;
use agented_kernel::{AccountId, BudgetId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Storage failed; nothing the caller can fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("orchestration storage failed: {0}")]
pub struct OrchestrationStoreError(#[source] pub agented_kernel::Cause);

/// Why an account or budget was not written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// The name (account) or scope, entity and period (budget) is taken.
    #[error("{0}")]
    Duplicate(String),
    /// No such account or budget.
    #[error("not found")]
    NotFound,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] OrchestrationStoreError),
}

/// Stored accounts.
#[async_trait]
pub trait AccountRepository: Send + Sync {
    /// Accounts of `backend_id` (every account when `None`), by backend then name.
    ///
    /// # Errors
    /// MUST return [`OrchestrationStoreError`] only when storage fails.
    async fn list(&self, backend_id: Option<&str>) -> Result<Vec<Account>, OrchestrationStoreError>;

    /// One account, `None` when unknown.
    ///
    /// # Errors
    /// MUST return [`OrchestrationStoreError`] only when storage fails.
    async fn get(&self, id: &AccountId) -> Result<Option<Account>, OrchestrationStoreError>;

    /// The default account of `backend_id`, if it has one.
    ///
    /// # Errors
    /// MUST return [`OrchestrationStoreError`] only when storage fails.
    async fn default_for(&self, backend_id: &str) -> Result<Option<Account>, OrchestrationStoreError>;

    /// Stores a new account; a default one takes the flag from the backend's
    /// previous default in the same transaction.
    ///
    /// # Errors
    /// MUST return [`WriteError::Duplicate`] when the backend has an account of that name.
    async fn insert(
        &self,
        id: &AccountId,
        backend_id: &str,
        draft: &AccountDraft,
        at: DateTime<Utc>,
    ) -> Result<Account, WriteError>;

    /// Replaces an account's settings (the default flag moves as for `insert`).
    ///
    /// # Errors
    /// MUST return [`WriteError::NotFound`] for an unknown id and `Duplicate` for a taken name.
    async fn update(&self, id: &AccountId, draft: &AccountDraft, at: DateTime<Utc>) -> Result<Account, WriteError>;

    /// Deletes an account; `false` when unknown.
    ///
    /// # Errors
    /// MUST return [`OrchestrationStoreError`] only when storage fails.
    async fn delete(&self, id: &AccountId) -> Result<bool, OrchestrationStoreError>;

    /// Marks an account rate-limited until `until` (never shortening a later
    /// limit) and counts the hit.
    ///
    /// # Errors
    /// MUST return [`OrchestrationStoreError`] only when storage fails.
    async fn mark_limited(
        &self,
        id: &AccountId,
        until: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), OrchestrationStoreError>;

    /// Clears an account's rate limit; `None` when unknown.
    ///
    /// # Errors
    /// MUST return [`OrchestrationStoreError`] only when storage fails.
    async fn clear_limit(&self, id: &AccountId, at: DateTime<Utc>) -> Result<Option<Account>, OrchestrationStoreError>;

    /// What runs under each of `ids` used (absent ids have no runs).
    ///
    /// # Errors
    /// MUST return [`OrchestrationStoreError`] only when storage fails.
    async fn usage(&self, ids: &[AccountId]) -> Result<HashMap<AccountId, AccountUsage>, OrchestrationStoreError>;
}

/// Stored budgets.
#[async_trait]
pub trait BudgetRepository: Send + Sync {
    /// Every budget, oldest first.
    ///
    /// # Errors
    /// MUST return [`OrchestrationStoreError`] only when storage fails.
    async fn list(&self) -> Result<Vec<Budget>, OrchestrationStoreError>;

    /// One budget, `None` when unknown.
    ///
    /// # Errors
    /// MUST return [`OrchestrationStoreError`] only when storage fails.
    async fn get(&self, id: &BudgetId) -> Result<Option<Budget>, OrchestrationStoreError>;

    /// Stores a new budget.
    ///
    /// # Errors
    /// MUST return [`WriteError::Duplicate`] when a budget of that scope, entity and period exists.
    async fn insert(&self, id: &BudgetId, draft: &BudgetDraft, at: DateTime<Utc>) -> Result<Budget, WriteError>;

    /// Replaces a budget's settings (and forgets its warning, so a changed limit warns again).
    ///
    /// # Errors
    /// MUST return [`WriteError::NotFound`] for an unknown id and `Duplicate` as for `insert`.
    async fn update(&self, id: &BudgetId, draft: &BudgetDraft, at: DateTime<Utc>) -> Result<Budget, WriteError>;

    /// Deletes a budget; `false` when unknown.
    ///
    /// # Errors
    /// MUST return [`OrchestrationStoreError`] only when storage fails.
    async fn delete(&self, id: &BudgetId) -> Result<bool, OrchestrationStoreError>;

    /// Records that the warning of the period starting `period_start` was
    /// given; `false` when it already was (compare and set: one warning each).
    ///
    /// # Errors
    /// MUST return [`OrchestrationStoreError`] only when storage fails.
    async fn mark_warned(&self, id: &BudgetId, period_start: DateTime<Utc>) -> Result<bool, OrchestrationStoreError>;
}

/// Which executions' cost to add up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendFilter {
    /// Queued at or after.
    pub since: DateTime<Utc>,
    /// Queued before.
    pub until: DateTime<Utc>,
    /// Only this trigger's runs.
    pub trigger_id: Option<String>,
    /// Only runs on this backend (`backend-…`).
    pub backend_id: Option<String>,
    /// Only runs under this account.
    pub account_id: Option<String>,
    /// The run asking, whose own reservation is not counted against it.
    pub except: Option<String>,
}

/// What the runs a [`SpendFilter`] selects have spent, and hold.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Spend {
    /// US dollars spent, live cost of running runs included.
    pub spent_usd: f64,
    /// What running runs (other than the filter's `except`) reserved and have not spent yet.
    pub reserved_usd: f64,
}

/// A running run's claim on the budgets covering its attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    /// `exec-…`: the run, running; one reservation each, replaced by its next attempt's.
    pub execution_id: String,
    /// Its trigger.
    pub trigger_id: String,
    /// The attempt's backend (`backend-…`), for backend budgets.
    pub backend_id: String,
    /// The attempt's account, for account budgets.
    pub account_id: Option<String>,
    /// What the attempt is expected to cost on top of what the run spent so far.
    pub estimate_usd: f64,
    /// The spend to read, one per budget covering the attempt (each with `except` = the run).
    pub filters: Vec<SpendFilter>,
    /// When it is made.
    pub at: DateTime<Utc>,
}

/// Decides from the spend of each filter whether a reservation is made.
pub type ReservationRule = Box<dyn FnOnce(&[Spend]) -> bool + Send>;

/// Cost and usage read from executions.
#[async_trait]
pub trait SpendReader: Send + Sync {
    /// What the runs `filter` selects spent (live cost of running ones included) and
    /// hold reserved. A reservation counts while its run is `running`.
    ///
    /// # Errors
    /// MUST return [`OrchestrationStoreError`] only when storage fails.
    async fn spend(&self, filter: &SpendFilter) -> Result<Spend, OrchestrationStoreError>;

    /// Reads the spend of each of `reservation`'s filters and, when `rule` allows it,
    /// stores the reservation, as one step: no other process's reservation or spend
    /// lands between the read and the write (this is what keeps two workers from both
    /// starting on a budget's last dollar). Returns the spends read and whether the
    /// reservation was made.
    ///
    /// # Errors
    /// MUST return [`OrchestrationStoreError`] only when storage fails; nothing is reserved then.
    async fn reserve(
        &self,
        reservation: &Reservation,
        rule: ReservationRule,
    ) -> Result<(Vec<Spend>, bool), OrchestrationStoreError>;

    /// The mean cost of the trigger's last finished runs that had one (at most 20),
    /// `None` when it has none.
    ///
    /// # Errors
    /// MUST return [`OrchestrationStoreError`] only when storage fails.
    async fn expected_cost(&self, trigger_id: &str) -> Result<Option<f64>, OrchestrationStoreError>;

    /// One row per execution queued in `[since, until)`.
    ///
    /// # Errors
    /// MUST return [`OrchestrationStoreError`] only when storage fails.
    async fn usage_rows(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<UsageRow>, OrchestrationStoreError>;
}

/// Where a soft limit's warning goes (the audit trail, the log).
#[async_trait]
pub trait BudgetAlerts: Send + Sync {
    /// A budget reached its soft limit for the first time this period. Never fails:
    /// an alert that cannot be recorded is logged.
    async fn soft_limit_reached(&self, state: &BudgetState);
}
