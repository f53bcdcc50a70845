//! How a run goes through its chain: which entry may run now, under which
//! account and environment, what a rate limit does, and when a run whose
//! whole chain was limited tries again.

use super::{Orchestration, OrchestrationError, builtin_id, builtin_type};
use crate::accounts::{Account, run_env};
use crate::budgets::RunScope;
use crate::rate_limit::RateLimitHit;
use agented_executions::{BackendSpec, RunSnapshot};
use agented_triggers::FallbackEntry;
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

/// Why an entry was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipCause {
    /// Its account is rate-limited until then.
    RateLimited(DateTime<Utc>),
    /// A backend or account budget's hard limit is reached.
    Budget,
    /// It cannot run at all (backend or account gone, API key variable unset).
    Unusable,
}

/// What to do with one chain entry now.
#[derive(Debug, Clone)]
pub enum EntryPlan {
    /// Run it.
    Run(Box<Attempt>),
    /// Go on to the next entry.
    Skip {
        /// Why, for the run's log.
        reason: String,
        /// What kind of reason.
        cause: SkipCause,
    },
    /// A global or trigger budget refuses the whole run.
    Block(String),
}

impl Orchestration {
    /// The entries a run tries: its frozen chain, or its own backend alone.
    #[must_use]
    pub fn chain_of(snapshot: &RunSnapshot) -> Vec<FallbackEntry> {
        if snapshot.chain.is_empty() {
            let backend_id =
                snapshot.backend_id.clone().unwrap_or_else(|| builtin_id(snapshot.backend_type).to_owned());
            vec![FallbackEntry { backend_id, account_id: None }]
        } else {
            snapshot.chain.clone()
        }
    }

    /// Decides whether `entry` of a run of `trigger_id` may run now.
    ///
    /// # Errors
    /// `Store` only; unusable entries are `Skip`s.
    pub async fn plan_entry(&self, trigger_id: &str, entry: &FallbackEntry) -> Result<EntryPlan, OrchestrationError> {
        let now = self.ports.clock.now();
        let skip = |reason: String| Ok(EntryPlan::Skip { reason, cause: SkipCause::Unusable });
        let spec = match builtin_type(&entry.backend_id) {
            Some(t) => BackendSpec::Builtin(t),
            None => match self.ports.backends.get(&entry.backend_id).await?.and_then(|b| b.custom) {
                Some(custom) => BackendSpec::Custom(custom),
                None => return skip(format!("backend '{}' no longer exists", entry.backend_id)),
            },
        };
        let account = match &entry.account_id {
            Some(id) => match self.ports.accounts.get(id).await? {
                Some(a) if a.backend_id == entry.backend_id => Some(a),
                _ => return skip(format!("account '{id}' of {} no longer exists", entry.backend_id)),
            },
            None => self.ports.accounts.default_for(&entry.backend_id).await?,
        };
        let scope = RunScope {
            trigger_id: trigger_id.to_owned(),
            backend_id: entry.backend_id.clone(),
            account_id: account.as_ref().map(|a| a.id.as_str().to_owned()),
        };
        if let Some(a) = account.as_ref().filter(|a| a.is_limited(now)) {
            let until = a.rate_limited_until.unwrap_or(now);
            return Ok(EntryPlan::Skip {
                reason: format!("{} is rate-limited until {}", label(&scope.backend_id, a), until.to_rfc3339()),
                cause: SkipCause::RateLimited(until),
            });
        }
        let check = self.check_budgets(&scope).await?;
        let blocking = check.blocking(0.0);
        if let Some(whole) = blocking.iter().find(|s| s.budget.scope.covers_every_entry()) {
            return Ok(EntryPlan::Block(whole.explain()));
        }
        if let Some(state) = blocking.first() {
            return Ok(EntryPlan::Skip { reason: state.explain(), cause: SkipCause::Budget });
        }
        let backend = match &spec {
            BackendSpec::Builtin(t) => Some(*t),
            BackendSpec::Custom(_) => None,
        };
        let env = match &account {
            Some(a) => match run_env(backend, a, self.options.env.as_ref()) {
                Ok(env) => env,
                Err(reason) => return skip(reason),
            },
            None => Vec::new(),
        };
        Ok(EntryPlan::Run(Box::new(Attempt { scope, spec, account, env })))
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

    /// When a run whose chain was all limited on attempt `attempt` (1 = its
    /// first run) tries again: the backoff, but never before an account of its
    /// chain is free again. `None` when it has no attempts left.
    #[must_use]
    pub fn next_attempt(&self, attempt: u32, free_at: Option<DateTime<Utc>>, jitter: f64) -> Option<DateTime<Utc>> {
        let backoff = self.options.backoff.delay(attempt, jitter)?;
        let at = self.ports.clock.now() + backoff;
        Some(free_at.map_or(at, |free| free.max(at)))
    }
}

fn label(backend_id: &str, account: &Account) -> String {
    format!("{backend_id} under account '{}'", account.name)
}
