//! The fallback-chain policy as a pure state machine: which entry of a run's
//! chain runs next, which are skipped and why, when a run whose whole chain
//! was rate-limited waits, and when it gives up. The runner gathers the facts
//! of each entry through ports ([`crate::Orchestration::entry_facts`]) and
//! does what [`ChainRun::next`] says; this file reads no port and no clock.

use crate::accounts::Account;
use crate::budgets::RunScope;
use crate::rate_limit::Backoff;
use crate::service::{Attempt, BudgetCheck};
use agented_executions::BackendSpec;
use agented_triggers::FallbackEntry;
use chrono::{DateTime, Utc};

/// What was found out about one chain entry when it came up.
#[derive(Debug, Clone)]
pub struct EntryFacts {
    /// The CLI, or why the backend cannot be used.
    pub spec: Result<BackendSpec, String>,
    /// The entry's account (its own or the backend's default), or why the named one cannot be used.
    pub account: Result<Option<Account>, String>,
    /// Where a run on it stands for budgets.
    pub scope: RunScope,
    /// The budgets covering it (not read for an entry that cannot run anyway).
    pub budgets: BudgetCheck,
    /// The variables its account adds, or why they cannot be made (an API key variable unset).
    pub env: Result<Vec<(String, String)>, String>,
}

/// The status a run ends with when its chain decides the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainEnd {
    /// Nothing could run, or every attempt was rate-limited.
    Failed,
    /// A budget refused the run.
    BudgetBlocked,
}

/// What the runner does next.
#[derive(Debug, Clone)]
pub enum ChainStep {
    /// Run the CLI of this attempt; `note` announces it in the run's log when the chain has a choice.
    Run {
        /// What to run.
        attempt: Box<Attempt>,
        /// `running on …`, when worth a log line.
        note: Option<String>,
    },
    /// Go on to the next entry, after writing `note` into the run's log.
    Skip {
        /// `skipping …: why`.
        note: String,
    },
    /// Every entry was rate-limited: the run waits until `at`.
    Defer {
        /// When it tries again.
        at: DateTime<Utc>,
        /// Limited passes so far, this one included.
        attempts: u32,
        /// Why, for the run's log and its `error_message`.
        message: String,
    },
    /// The run is over.
    Finish {
        /// Its status.
        end: ChainEnd,
        /// Its `error_message`.
        message: String,
        /// A line for the run's log, if the end deserves one.
        note: Option<String>,
    },
}

/// How an attempt's CLI ended, as far as the chain cares.
#[derive(Debug, Clone)]
pub enum AttemptEnd {
    /// The attempt's outcome is the run's.
    Done,
    /// It failed on a rate limit, recorded until `until`: the chain goes on.
    RateLimited {
        /// When the account is free again.
        until: DateTime<Utc>,
        /// The pattern that matched.
        pattern: String,
    },
}

/// One pass of a run through its fallback chain.
#[derive(Debug, Clone)]
pub struct ChainRun {
    entries: Vec<FallbackEntry>,
    position: usize,
    prior_passes: u32,
    backoff: Backoff,
    free_at: Option<DateTime<Utc>>,
    budget_skips: Vec<String>,
    unusable: Vec<String>,
    current: Option<String>,
}

impl ChainRun {
    /// A pass over `entries` (never empty: see `Orchestration::chain_of`) of a run already
    /// deferred `prior_passes` times.
    #[must_use]
    pub fn new(entries: Vec<FallbackEntry>, prior_passes: u32, backoff: Backoff) -> Self {
        Self {
            entries,
            position: 0,
            prior_passes,
            backoff,
            free_at: None,
            budget_skips: Vec::new(),
            unusable: Vec::new(),
            current: None,
        }
    }

    /// The entry whose facts [`next`](Self::next) needs, `None` once every entry came up.
    #[must_use]
    pub fn upcoming(&self) -> Option<&FallbackEntry> {
        self.entries.get(self.position)
    }

    /// Decides on the upcoming entry given its `facts`, or, with `None` after the last
    /// entry, how the pass ends. `jitter` in `[0, 1)` spreads retries.
    pub fn next(&mut self, facts: Option<EntryFacts>, now: DateTime<Utc>, jitter: f64) -> ChainStep {
        match (facts, self.upcoming().cloned()) {
            (Some(facts), Some(entry)) => {
                self.position += 1;
                self.decide(&entry, facts, now)
            }
            _ => {
                self.position = self.entries.len();
                self.end(now, jitter)
            }
        }
    }

    /// Records how the attempt [`next`](Self::next) last started ended; returns the log
    /// line to write when the chain goes on, `None` when the run is over.
    pub fn on_attempt_end(&mut self, end: &AttemptEnd) -> Option<String> {
        match end {
            AttemptEnd::Done => {
                self.position = self.entries.len();
                None
            }
            AttemptEnd::RateLimited { until, pattern } => {
                self.limited_until(*until);
                let label = self.current.take().unwrap_or_default();
                Some(format!("rate limit on {label} (matched '{pattern}'); limited until {}", until.to_rfc3339()))
            }
        }
    }

    fn limited_until(&mut self, until: DateTime<Utc>) {
        self.free_at = Some(self.free_at.map_or(until, |f| f.min(until)));
    }

    fn decide(&mut self, entry: &FallbackEntry, facts: EntryFacts, now: DateTime<Utc>) -> ChainStep {
        let skip = |reason: &str| ChainStep::Skip { note: format!("skipping {}: {reason}", entry.backend_id) };
        let (spec, account, env) = match (facts.spec, facts.account, facts.env) {
            (Ok(spec), Ok(account), env) => (spec, account, env),
            (Err(reason), _, _) | (_, Err(reason), _) => {
                self.unusable.push(reason.clone());
                return skip(&reason);
            }
        };
        if let Some(a) = account.as_ref().filter(|a| a.is_limited(now)) {
            let until = a.rate_limited_until.unwrap_or(now);
            self.limited_until(until);
            let reason =
                format!("{} under account '{}' is rate-limited until {}", entry.backend_id, a.name, until.to_rfc3339());
            return skip(&reason);
        }
        let blocking = facts.budgets.blocking(0.0);
        if let Some(whole) = blocking.iter().find(|s| s.budget.scope.covers_every_entry()) {
            let reason = whole.refusal();
            return ChainStep::Finish {
                end: ChainEnd::BudgetBlocked,
                note: Some(format!("budget: {reason}; the run is not started")),
                message: reason,
            };
        }
        if let Some(state) = blocking.first() {
            let reason = state.refusal();
            self.budget_skips.push(reason.clone());
            return skip(&reason);
        }
        // An API key variable that is unset makes the entry unusable, after limits and budgets.
        let env = match env {
            Ok(env) => env,
            Err(reason) => {
                self.unusable.push(reason.clone());
                return skip(&reason);
            }
        };
        let attempt = Attempt { scope: facts.scope, spec, account, env };
        let note =
            (self.entries.len() > 1 || attempt.account.is_some()).then(|| format!("running on {}", attempt.label()));
        self.current = Some(attempt.label());
        ChainStep::Run { attempt: Box::new(attempt), note }
    }

    fn end(&self, now: DateTime<Utc>, jitter: f64) -> ChainStep {
        if self.free_at.is_some() {
            let attempts = self.prior_passes + 1;
            let max = self.backoff.max_attempts;
            return match self.backoff.delay(attempts, jitter) {
                Some(delay) => {
                    let at = self.free_at.map_or(now + delay, |free| free.max(now + delay));
                    let message = format!(
                        "every entry of the chain is rate-limited (attempt {attempts} of {max}); next attempt at {}",
                        at.to_rfc3339()
                    );
                    ChainStep::Defer { at, attempts, message }
                }
                None => {
                    let message = format!("every entry of the chain was rate-limited on all {max} attempts; giving up");
                    ChainStep::Finish { end: ChainEnd::Failed, note: Some(message.clone()), message }
                }
            };
        }
        if self.budget_skips.is_empty() {
            let message = format!("no entry of the chain could run: {}", self.unusable.join("; "));
            ChainStep::Finish { end: ChainEnd::Failed, message, note: None }
        } else {
            ChainStep::Finish { end: ChainEnd::BudgetBlocked, message: self.budget_skips.join("; "), note: None }
        }
    }
}
