//! Accounts of a backend: created, changed, listed with their usage, cleared.

use super::{Orchestration, OrchestrationError};
use crate::accounts::{Account, AccountDraft, AccountPatch, AccountUsage};
use agented_executions::{ExecutionStatus, RunSnapshot};
use agented_kernel::{AccountId, ExecutionId};
use agented_triggers::{FallbackEntry, FieldErrors, TriggerSettings, TriggerStoreError};

impl Orchestration {
    pub(super) async fn backend_exists(&self, backend_id: &str) -> Result<(), OrchestrationError> {
        match self.ports.backends.get(backend_id).await? {
            Some(_) => Ok(()),
            None => Err(OrchestrationError::NotFound("backend")),
        }
    }

    /// Accounts of `backend_id` (every account when `None`) with their usage.
    ///
    /// # Errors
    /// `NotFound` for an unknown backend; `Store`.
    pub async fn accounts(&self, backend_id: Option<&str>) -> Result<Vec<(Account, AccountUsage)>, OrchestrationError> {
        if let Some(backend) = backend_id {
            self.backend_exists(backend).await?;
        }
        let accounts = self.ports.accounts.list(backend_id).await?;
        let ids: Vec<AccountId> = accounts.iter().map(|a| a.id.clone()).collect();
        let mut usage = self.ports.accounts.usage(&ids).await?;
        Ok(accounts
            .into_iter()
            .map(|a| {
                let u = usage.remove(&a.id).unwrap_or_default();
                (a, u)
            })
            .collect())
    }

    /// One account of `backend_id` with its usage.
    ///
    /// # Errors
    /// `NotFound` when the backend or account is unknown, or the account is another backend's.
    pub async fn account(
        &self,
        backend_id: &str,
        id: &AccountId,
    ) -> Result<(Account, AccountUsage), OrchestrationError> {
        let account = self.owned(backend_id, id).await?;
        let usage = self.ports.accounts.usage(std::slice::from_ref(id)).await?.remove(id).unwrap_or_default();
        Ok((account, usage))
    }

    async fn owned(&self, backend_id: &str, id: &AccountId) -> Result<Account, OrchestrationError> {
        self.backend_exists(backend_id).await?;
        match self.ports.accounts.get(id).await? {
            Some(a) if a.backend_id == backend_id => Ok(a),
            _ => Err(OrchestrationError::NotFound("account")),
        }
    }

    /// Adds an account to `backend_id`.
    ///
    /// # Errors
    /// `NotFound` (backend), `Invalid`, `Duplicate` (name), `Store`.
    pub async fn create_account(&self, backend_id: &str, patch: AccountPatch) -> Result<Account, OrchestrationError> {
        self.backend_exists(backend_id).await?;
        let draft = patch.apply(AccountDraft::default()).map_err(OrchestrationError::Invalid)?;
        let id = AccountId::generate();
        self.ports
            .accounts
            .insert(&id, backend_id, &draft, self.ports.clock.now())
            .await
            .map_err(|e| OrchestrationError::from_write(e, "account"))
    }

    /// Changes an account.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`, `Duplicate` (name), `Store`.
    pub async fn update_account(
        &self,
        backend_id: &str,
        id: &AccountId,
        patch: AccountPatch,
    ) -> Result<Account, OrchestrationError> {
        let current = self.owned(backend_id, id).await?;
        let draft = patch.apply(AccountDraft::from(&current)).map_err(OrchestrationError::Invalid)?;
        self.ports
            .accounts
            .update(id, &draft, self.ports.clock.now())
            .await
            .map_err(|e| OrchestrationError::from_write(e, "account"))
    }

    /// Deletes an account (chains naming it skip that entry from then on).
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn delete_account(&self, backend_id: &str, id: &AccountId) -> Result<(), OrchestrationError> {
        self.owned(backend_id, id).await?;
        if self.ports.accounts.delete(id).await? { Ok(()) } else { Err(OrchestrationError::NotFound("account")) }
    }

    /// Lifts an account's rate limit now.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn clear_rate_limit(&self, backend_id: &str, id: &AccountId) -> Result<Account, OrchestrationError> {
        self.owned(backend_id, id).await?;
        let now = self.ports.clock.now();
        let account = self.ports.accounts.clear_limit(id, now).await?.ok_or(OrchestrationError::NotFound("account"))?;
        // Runs waiting on a limit that could use this account need not wait any longer.
        let waiting = self.ports.executions.with_status(ExecutionStatus::RateLimited).await?;
        let freed: Vec<ExecutionId> =
            waiting.iter().filter(|e| Self::may_use(&e.snapshot, &account)).map(|e| e.execution_id.clone()).collect();
        if !freed.is_empty() {
            let woken = self.ports.executions.wake(&freed, now).await?;
            tracing::info!(account_id = %id, runs = woken.len(), "a cleared rate limit woke waiting runs");
        }
        Ok(account)
    }

    /// Lifts the rate limit of account `id`, whichever backend it belongs to.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn clear_rate_limit_of(&self, id: &AccountId) -> Result<Account, OrchestrationError> {
        let account = self.ports.accounts.get(id).await?.ok_or(OrchestrationError::NotFound("account"))?;
        self.clear_rate_limit(&account.backend_id, id).await
    }

    /// Whether a run of `snapshot` may run under `account`: an entry of its chain names it,
    /// or, without a chain, it is an account of the run's own backend.
    fn may_use(snapshot: &RunSnapshot, account: &Account) -> bool {
        Self::chain_of(snapshot).iter().any(|entry| {
            entry.backend_id == account.backend_id
                && entry.account_id.as_ref().is_none_or(|a| a == &account.id)
                && (entry.account_id.is_some() || snapshot.chain.is_empty() || account.is_default)
        })
    }

    /// Checks that every entry of a chain names an existing backend and, if
    /// any, an account of that backend; errors keyed `fallback_chain.<i>.…`.
    ///
    /// # Errors
    /// `Store` only.
    pub async fn check_chain(&self, chain: &[FallbackEntry]) -> Result<FieldErrors, OrchestrationError> {
        let mut errors = FieldErrors::new();
        agented_triggers::check_chain(&mut errors, chain);
        for (i, entry) in chain.iter().enumerate() {
            if errors.contains_key(&format!("fallback_chain.{i}.backend_id")) {
                continue;
            }
            if self.ports.backends.get(&entry.backend_id).await?.is_none() {
                errors.insert(
                    format!("fallback_chain.{i}.backend_id"),
                    format!("unknown backend '{}'", entry.backend_id),
                );
                continue;
            }
            if let Some(account) = &entry.account_id {
                match self.ports.accounts.get(account).await? {
                    Some(a) if a.backend_id == entry.backend_id => {}
                    Some(a) => {
                        errors.insert(
                            format!("fallback_chain.{i}.account_id"),
                            format!("account '{account}' belongs to {}, not {}", a.backend_id, entry.backend_id),
                        );
                    }
                    None => {
                        errors.insert(format!("fallback_chain.{i}.account_id"), format!("unknown account '{account}'"));
                    }
                }
            }
        }
        Ok(errors)
    }
}

impl Orchestration {
    /// The default account of `backend_id`, if it has one.
    ///
    /// # Errors
    /// `Store` only.
    pub async fn default_account(&self, backend_id: &str) -> Result<Option<Account>, OrchestrationError> {
        Ok(self.ports.accounts.default_for(backend_id).await?)
    }
}

#[async_trait::async_trait]
impl agented_triggers::SettingsCheck for Orchestration {
    /// The trigger's custom backend must exist, and its chain name existing backends and accounts.
    async fn problems(&self, settings: &TriggerSettings) -> Result<FieldErrors, TriggerStoreError> {
        let store = |e: OrchestrationError| TriggerStoreError(agented_kernel::Cause::of(e));
        let mut errors = FieldErrors::new();
        if let Some(id) = &settings.backend_id {
            let found = self.ports.backends.get(id).await.map_err(|e| store(e.into()))?;
            if found.is_none_or(|b| b.custom.is_none()) {
                errors.insert("backend_id".into(), format!("'{id}' is not a custom backend"));
            }
        }
        errors.extend(self.chain_problems(&settings.fallback_chain).await?);
        Ok(errors)
    }

    async fn chain_problems(&self, chain: &[FallbackEntry]) -> Result<FieldErrors, TriggerStoreError> {
        self.check_chain(chain).await.map_err(|e| TriggerStoreError(agented_kernel::Cause::of(e)))
    }
}
