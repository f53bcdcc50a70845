//! How a run goes through its chain: the facts of each entry (its CLI, account,
//! budgets and environment), read through ports for [`ChainRun`] to decide on,
//! and the budget check of a prospective run, which derives its scope the same way.

use super::{BudgetCheck, Orchestration, OrchestrationError, builtin_id, builtin_type};
use crate::accounts::{Account, run_env};
use crate::budgets::RunScope;
use crate::chain::{ChainRun, EntryFacts};
use crate::rate_limit::RateLimitHit;
use agented_executions::{BackendSpec, RunSnapshot};
use agented_kernel::{AccountId, BackendType, TriggerId};
use agented_triggers::{FallbackEntry, FieldErrors};
use chrono::{DateTime, Utc};

/// One chain entry ready to run.
#[derive(Debug, Clone)]
pub struct Attempt {
    /// Where it stands for budgets.
    pub scope: RunScope,
    /// The CLI to run.
    pub spec: BackendSpec,
    /// The account, when the entry or the backend has one.
    pub account: Option<Account>,
    /// Variables the account adds (API key under the CLI's name, config directory).
    pub env: Vec<(String, String)>,
}

impl Attempt {
    /// `backend-claude` or `backend-claude under account 'team'`, for log lines.
    #[must_use]
    pub fn label(&self) -> String {
        match &self.account {
            Some(a) => format!("{} under account '{}'", self.scope.backend_id, a.name),
            None => self.scope.backend_id.clone(),
        }
    }
}

/// A prospective run to check against the budgets: any part left out is derived from the
/// trigger (its chain's first entry, else its own backend) and the backend's default account.
#[derive(Debug, Clone, Default)]
pub struct BudgetQuestion {
    /// The trigger.
    pub trigger_id: Option<String>,
    /// The backend.
    pub backend_id: Option<String>,
    /// The account.
    pub account_id: Option<String>,
    /// What the run is expected to cost, in US dollars (0 unless given).
    pub estimated_cost_usd: Option<f64>,
}

/// What the budgets say of a prospective run.
#[derive(Debug, Clone)]
pub struct BudgetAnswer {
    /// Where the run stands.
    pub scope: RunScope,
    /// The budgets covering it.
    pub check: BudgetCheck,
    /// The estimate the answer assumed.
    pub estimate: f64,
}

/// The entries a chain of `chain` tries: itself, or the trigger's own backend alone.
fn entries(chain: &[FallbackEntry], backend_id: Option<&String>, backend_type: BackendType) -> Vec<FallbackEntry> {
    if chain.is_empty() {
        let backend_id = backend_id.cloned().unwrap_or_else(|| builtin_id(backend_type).to_owned());
        vec![FallbackEntry { backend_id, account_id: None }]
    } else {
        chain.to_vec()
    }
}

impl Orchestration {
    /// The entries a run tries: its frozen chain, or its own backend alone.
    #[must_use]
    pub fn chain_of(snapshot: &RunSnapshot) -> Vec<FallbackEntry> {
        entries(&snapshot.chain, snapshot.backend_id.as_ref(), snapshot.backend_type)
    }

    /// A pass of `snapshot`'s run through its chain, deferred `prior_passes` times before.
    /// A run without a chain tries its backend's default account, then each other account
    /// of that backend: one limited account does not hold it while another is free.
    ///
    /// # Errors
    /// `Store` only.
    pub async fn chain_run(&self, snapshot: &RunSnapshot, prior_passes: u32) -> Result<ChainRun, OrchestrationError> {
        let mut entries = Self::chain_of(snapshot);
        if snapshot.chain.is_empty()
            && let Some(own) = entries.first().map(|e| e.backend_id.clone())
        {
            let others = self.ports.accounts.list(Some(&own)).await?.into_iter().filter(|a| !a.is_default);
            entries.extend(others.map(|a| FallbackEntry { backend_id: own.clone(), account_id: Some(a.id) }));
        }
        Ok(ChainRun::new(entries, prior_passes, self.options.backoff))
    }

    /// Reads what [`ChainRun`] needs to decide on `entry` of running `execution_id`, a run
    /// of `trigger_id`; an entry that could run reserves its budgets
    /// ([`Orchestration::reserve_budgets`]).
    ///
    /// # Errors
    /// `Store` only; an unusable entry is described in the facts.
    pub async fn entry_facts(
        &self,
        execution_id: &str,
        trigger_id: &str,
        entry: &FallbackEntry,
    ) -> Result<EntryFacts, OrchestrationError> {
        let spec = match builtin_type(&entry.backend_id) {
            Some(t) => Ok(BackendSpec::Builtin(t)),
            None => match self.ports.backends.get(&entry.backend_id).await?.and_then(|b| b.custom) {
                Some(custom) => Ok(BackendSpec::Custom(custom)),
                None => Err(format!("backend '{}' no longer exists", entry.backend_id)),
            },
        };
        let account = match (&spec, &entry.account_id) {
            (Err(_), _) => Ok(None),
            (Ok(_), Some(id)) => match self.ports.accounts.get(id).await? {
                Some(a) if a.backend_id == entry.backend_id => Ok(Some(a)),
                _ => Err(format!("account '{id}' of {} no longer exists", entry.backend_id)),
            },
            (Ok(_), None) => Ok(self.ports.accounts.default_for(&entry.backend_id).await?),
        };
        let chosen = account.as_ref().ok().and_then(Option::as_ref);
        let scope = RunScope {
            trigger_id: trigger_id.to_owned(),
            backend_id: entry.backend_id.clone(),
            account_id: chosen.map(|a| a.id.as_str().to_owned()),
        };
        // Budgets are read (and warn, and reserve) only for an entry that could run otherwise.
        let usable = spec.is_ok() && account.is_ok() && !chosen.is_some_and(|a| a.is_limited(self.ports.clock.now()));
        let budgets = if usable { self.reserve_budgets(execution_id, &scope).await? } else { BudgetCheck::default() };
        let env = match (&spec, chosen) {
            (Ok(spec), Some(a)) => {
                let backend = match spec {
                    BackendSpec::Builtin(t) => Some(*t),
                    BackendSpec::Custom(_) => None,
                };
                run_env(backend, a, self.options.env.as_ref())
            }
            _ => Ok(Vec::new()),
        };
        Ok(EntryFacts { spec, account, scope, budgets, env })
    }

    /// Records a rate limit of `attempt`'s account; returns until when it lasts.
    ///
    /// # Errors
    /// `Store` only.
    pub async fn record_rate_limit(
        &self,
        attempt: &Attempt,
        hit: &RateLimitHit,
    ) -> Result<DateTime<Utc>, OrchestrationError> {
        let until = self.ports.clock.now() + self.rules(&attempt.scope.backend_id).limit_for(hit);
        if let Some(account) = &attempt.account {
            self.ports.accounts.mark_limited(&account.id, until, &hit.line).await?;
        }
        Ok(until)
    }

    /// Where a prospective run stands for budgets, and what they say of it.
    ///
    /// # Errors
    /// `Invalid` estimate, `NotFound` (trigger, backend or account), `Store`.
    pub async fn check_run(&self, question: BudgetQuestion) -> Result<BudgetAnswer, OrchestrationError> {
        let estimate = question.estimated_cost_usd.unwrap_or(0.0);
        if !estimate.is_finite() || estimate < 0.0 {
            let why = "must be 0 or more US dollars".to_owned();
            return Err(OrchestrationError::Invalid(FieldErrors::from([("estimated_cost_usd".to_owned(), why)])));
        }
        let trigger = match &question.trigger_id {
            Some(raw) => {
                let id = TriggerId::try_from(raw.clone()).map_err(|_| OrchestrationError::NotFound("trigger"))?;
                Some(self.ports.triggers.get(&id).await?.ok_or(OrchestrationError::NotFound("trigger"))?)
            }
            None => None,
        };
        let first = trigger.as_ref().map(|t| {
            let s = &t.settings;
            entries(&s.fallback_chain, s.backend_id.as_ref(), s.backend_type).swap_remove(0)
        });
        let backend_id = question
            .backend_id
            .or_else(|| first.as_ref().map(|e| e.backend_id.clone()))
            .unwrap_or_else(|| builtin_id(BackendType::Claude).to_owned());
        self.backend_exists(&backend_id).await?;
        let account_id = match question.account_id.or_else(|| first.and_then(|e| e.account_id).map(|a| a.to_string())) {
            Some(raw) => {
                let id = AccountId::parse(&raw).map_err(|_| OrchestrationError::NotFound("account"))?;
                self.account(&backend_id, &id).await?;
                Some(raw)
            }
            None => self.default_account(&backend_id).await?.map(|a| a.id.to_string()),
        };
        let scope = RunScope { trigger_id: question.trigger_id.unwrap_or_default(), backend_id, account_id };
        let check = self.check_budgets(&scope, None).await?;
        Ok(BudgetAnswer { scope, check, estimate })
    }
}
