//! In-memory fakes of this crate's ports, for unit tests of [`crate::Orchestration`]
//! and of the services above it (feature `fakes`). Spend is a list of usage rows the
//! test writes; the fakes keep the ports' contracts (unique names, one default account
//! per backend, never shortening a rate limit, one warning per period).

use crate::accounts::{Account, AccountDraft, AccountUsage};
use crate::budgets::{Budget, BudgetDraft, BudgetState};
use crate::ports::{
    AccountRepository, BudgetAlerts, BudgetRepository, OrchestrationStoreError, Reservation, ReservationRule, Spend,
    SpendFilter, SpendReader, WriteError,
};
use crate::usage::UsageRow;
use agented_kernel::{AccountId, BudgetId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Accounts in memory.
#[derive(Debug, Default)]
pub struct MemoryAccounts {
    accounts: Mutex<Vec<Account>>,
}

impl MemoryAccounts {
    fn write(&self, account: Account) -> Result<Account, WriteError> {
        let mut all = lock(&self.accounts);
        if all.iter().any(|a| a.id != account.id && a.backend_id == account.backend_id && a.name == account.name) {
            return Err(WriteError::Duplicate(format!("an account named '{}' already exists", account.name)));
        }
        if account.is_default {
            for other in all.iter_mut().filter(|a| a.backend_id == account.backend_id) {
                other.is_default = false;
            }
        }
        all.retain(|a| a.id != account.id);
        all.push(account.clone());
        Ok(account)
    }
}

#[async_trait]
impl AccountRepository for MemoryAccounts {
    async fn list(&self, backend_id: Option<&str>) -> Result<Vec<Account>, OrchestrationStoreError> {
        let mut all: Vec<Account> =
            lock(&self.accounts).iter().filter(|a| backend_id.is_none_or(|b| a.backend_id == b)).cloned().collect();
        all.sort_by(|a, b| (&a.backend_id, &a.name).cmp(&(&b.backend_id, &b.name)));
        Ok(all)
    }

    async fn get(&self, id: &AccountId) -> Result<Option<Account>, OrchestrationStoreError> {
        Ok(lock(&self.accounts).iter().find(|a| &a.id == id).cloned())
    }

    async fn default_for(&self, backend_id: &str) -> Result<Option<Account>, OrchestrationStoreError> {
        Ok(lock(&self.accounts).iter().find(|a| a.backend_id == backend_id && a.is_default).cloned())
    }

    async fn insert(
        &self,
        id: &AccountId,
        backend_id: &str,
        draft: &AccountDraft,
        at: DateTime<Utc>,
    ) -> Result<Account, WriteError> {
        self.write(Account {
            id: id.clone(),
            backend_id: backend_id.to_owned(),
            name: draft.name.clone(),
            api_key_env: draft.api_key_env.clone(),
            config_dir: draft.config_dir.clone(),
            is_default: draft.is_default,
            plan: draft.plan.clone(),
            rate_limited_until: None,
            rate_limit_reason: None,
            rate_limit_hits: 0,
            created_at: at,
            updated_at: at,
        })
    }

    async fn update(&self, id: &AccountId, draft: &AccountDraft, at: DateTime<Utc>) -> Result<Account, WriteError> {
        let current = self.get(id).await?.ok_or(WriteError::NotFound)?;
        self.write(Account {
            name: draft.name.clone(),
            api_key_env: draft.api_key_env.clone(),
            config_dir: draft.config_dir.clone(),
            is_default: draft.is_default,
            plan: draft.plan.clone(),
            updated_at: at,
            ..current
        })
    }

    async fn delete(&self, id: &AccountId) -> Result<bool, OrchestrationStoreError> {
        let mut all = lock(&self.accounts);
        let before = all.len();
        all.retain(|a| &a.id != id);
        Ok(all.len() < before)
    }

    async fn mark_limited(
        &self,
        id: &AccountId,
        until: DateTime<Utc>,
        reason: &str,
    ) -> Result<(), OrchestrationStoreError> {
        if let Some(a) = lock(&self.accounts).iter_mut().find(|a| &a.id == id) {
            a.rate_limited_until = Some(a.rate_limited_until.map_or(until, |u| u.max(until)));
            a.rate_limit_reason = Some(reason.to_owned());
            a.rate_limit_hits += 1;
        }
        Ok(())
    }

    async fn clear_limit(&self, id: &AccountId, at: DateTime<Utc>) -> Result<Option<Account>, OrchestrationStoreError> {
        Ok(lock(&self.accounts).iter_mut().find(|a| &a.id == id).map(|a| {
            a.rate_limited_until = None;
            a.rate_limit_reason = None;
            a.updated_at = at;
            a.clone()
        }))
    }

    async fn usage(&self, _ids: &[AccountId]) -> Result<HashMap<AccountId, AccountUsage>, OrchestrationStoreError> {
        Ok(HashMap::new())
    }
}

/// Budgets in memory.
#[derive(Debug, Default)]
pub struct MemoryBudgets {
    budgets: Mutex<Vec<Budget>>,
}

impl MemoryBudgets {
    fn write(&self, budget: Budget) -> Result<Budget, WriteError> {
        let mut all = lock(&self.budgets);
        let same = |b: &Budget| {
            b.id != budget.id && b.scope == budget.scope && b.entity_id == budget.entity_id && b.period == budget.period
        };
        if all.iter().any(same) {
            return Err(WriteError::Duplicate(format!("{} exists", budget.describe())));
        }
        all.retain(|b| b.id != budget.id);
        all.push(budget.clone());
        Ok(budget)
    }
}

#[async_trait]
impl BudgetRepository for MemoryBudgets {
    async fn list(&self) -> Result<Vec<Budget>, OrchestrationStoreError> {
        Ok(lock(&self.budgets).clone())
    }

    async fn get(&self, id: &BudgetId) -> Result<Option<Budget>, OrchestrationStoreError> {
        Ok(lock(&self.budgets).iter().find(|b| &b.id == id).cloned())
    }

    async fn insert(&self, id: &BudgetId, draft: &BudgetDraft, at: DateTime<Utc>) -> Result<Budget, WriteError> {
        self.write(Budget {
            id: id.clone(),
            scope: draft.scope,
            entity_id: draft.entity_id.clone(),
            period: draft.period,
            timezone: draft.timezone,
            soft_limit_usd: draft.soft_limit_usd,
            hard_limit_usd: draft.hard_limit_usd,
            warned_period: None,
            created_at: at,
            updated_at: at,
        })
    }

    async fn update(&self, id: &BudgetId, draft: &BudgetDraft, at: DateTime<Utc>) -> Result<Budget, WriteError> {
        let current = self.get(id).await?.ok_or(WriteError::NotFound)?;
        self.write(Budget {
            scope: draft.scope,
            entity_id: draft.entity_id.clone(),
            period: draft.period,
            timezone: draft.timezone,
            soft_limit_usd: draft.soft_limit_usd,
            hard_limit_usd: draft.hard_limit_usd,
            warned_period: None,
            updated_at: at,
            ..current
        })
    }

    async fn delete(&self, id: &BudgetId) -> Result<bool, OrchestrationStoreError> {
        let mut all = lock(&self.budgets);
        let before = all.len();
        all.retain(|b| &b.id != id);
        Ok(all.len() < before)
    }

    async fn mark_warned(&self, id: &BudgetId, period_start: DateTime<Utc>) -> Result<bool, OrchestrationStoreError> {
        Ok(lock(&self.budgets).iter_mut().find(|b| &b.id == id).is_some_and(|b| {
            let first = b.warned_period != Some(period_start);
            b.warned_period = Some(period_start);
            first
        }))
    }
}

/// Spend read from usage rows the test writes, and reservations. A reservation counts
/// (within every window) until the test ends its run with [`MemorySpend::finish`].
#[derive(Debug, Default)]
pub struct MemorySpend {
    /// One row per execution.
    pub rows: Mutex<Vec<UsageRow>>,
    /// Reservations of running runs.
    pub reservations: Mutex<Vec<Reservation>>,
    /// Held over a reservation's read and write, as the store's write transaction.
    gate: Mutex<()>,
}

impl MemorySpend {
    /// The run ended: its reservation no longer counts.
    pub fn finish(&self, execution_id: &str) {
        lock(&self.reservations).retain(|r| r.execution_id != execution_id);
    }

    fn read(&self, f: &SpendFilter) -> Spend {
        let spent_usd = lock(&self.rows)
            .iter()
            .filter(|r| r.queued_at >= f.since && r.queued_at < f.until)
            .filter(|r| f.trigger_id.as_ref().is_none_or(|t| &r.trigger_id == t))
            .filter(|r| f.backend_id.as_ref().is_none_or(|b| &r.backend_id == b))
            .filter(|r| f.account_id.is_none() || r.account_id == f.account_id)
            .map(|r| r.cost_usd)
            .sum();
        let reserved_usd = lock(&self.reservations)
            .iter()
            .filter(|r| f.except.as_ref() != Some(&r.execution_id))
            .filter(|r| f.trigger_id.as_ref().is_none_or(|t| &r.trigger_id == t))
            .filter(|r| f.backend_id.as_ref().is_none_or(|b| &r.backend_id == b))
            .filter(|r| f.account_id.is_none() || r.account_id == f.account_id)
            .map(|r| r.estimate_usd)
            .sum();
        Spend { spent_usd, reserved_usd }
    }
}

#[async_trait]
impl SpendReader for MemorySpend {
    async fn spend(&self, f: &SpendFilter) -> Result<Spend, OrchestrationStoreError> {
        Ok(self.read(f))
    }

    async fn reserve(
        &self,
        reservation: &Reservation,
        rule: ReservationRule,
    ) -> Result<(Vec<Spend>, bool), OrchestrationStoreError> {
        let _gate = lock(&self.gate);
        let spends: Vec<Spend> = reservation.filters.iter().map(|f| self.read(f)).collect();
        let made = rule(&spends);
        if made {
            let mut held = lock(&self.reservations);
            held.retain(|r| r.execution_id != reservation.execution_id);
            held.push(reservation.clone());
        }
        Ok((spends, made))
    }

    async fn expected_cost(&self, trigger_id: &str) -> Result<Option<f64>, OrchestrationStoreError> {
        let costs: Vec<f64> = lock(&self.rows)
            .iter()
            .rev()
            .filter(|r| r.trigger_id == trigger_id && r.cost_usd > 0.0)
            .take(20)
            .map(|r| r.cost_usd)
            .collect();
        Ok((!costs.is_empty()).then(|| costs.iter().sum::<f64>() / costs.len() as f64))
    }

    async fn usage_rows(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<UsageRow>, OrchestrationStoreError> {
        Ok(lock(&self.rows).iter().filter(|r| r.queued_at >= since && r.queued_at < until).cloned().collect())
    }
}

/// Remembers each soft-limit warning given.
#[derive(Debug, Default)]
pub struct RecordingAlerts {
    /// The warned budgets' descriptions, in order.
    pub given: Mutex<Vec<String>>,
}

#[async_trait]
impl BudgetAlerts for RecordingAlerts {
    async fn soft_limit_reached(&self, state: &BudgetState) {
        lock(&self.given).push(state.budget.describe());
    }
}
