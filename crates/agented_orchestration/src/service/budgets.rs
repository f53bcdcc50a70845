//! Budgets: their current spend, checks before and during runs, one soft
//! warning per period, and usage reports.

use super::{Orchestration, OrchestrationError};
use crate::budgets::{Budget, BudgetDraft, BudgetLevel, BudgetPatch, BudgetScope, BudgetState, RunScope};
use crate::period::{BudgetPeriod, Window};
use crate::ports::{Reservation, Spend, SpendFilter};
use crate::usage::{UsageReport, aggregate};
use agented_kernel::{AccountId, BudgetId, TriggerId};
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

/// Longest span a usage report covers.
pub const MAX_USAGE_SPAN_DAYS: i64 = 800;

/// A usage report as asked; every part optional.
#[derive(Debug, Clone, Default)]
pub struct UsageRequest {
    /// `daily`, `weekly` or `monthly`.
    pub period: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// First instant.
    pub since: Option<DateTime<Utc>>,
    /// First instant not covered.
    pub until: Option<DateTime<Utc>>,
}

/// A usage report with what it covers and the budgets' states.
#[derive(Debug, Clone)]
pub struct UsageAnswer {
    /// Its periods.
    pub period: BudgetPeriod,
    /// Their time zone.
    pub timezone: Tz,
    /// First instant covered.
    pub since: DateTime<Utc>,
    /// First instant not covered.
    pub until: DateTime<Utc>,
    /// The groups and totals.
    pub report: UsageReport,
    /// Every budget with its current spend.
    pub budgets: Vec<BudgetState>,
}

/// The budgets covering one run, and what they allow.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BudgetCheck {
    /// Every budget covering the run, with its spend.
    pub states: Vec<BudgetState>,
}

impl BudgetCheck {
    /// Budgets whose hard limit refuses a run costing `estimate`.
    #[must_use]
    pub fn blocking(&self, estimate: f64) -> Vec<&BudgetState> {
        self.states.iter().filter(|s| s.blocks(estimate)).collect()
    }

    /// Budgets whose actual spend reached the hard limit: a running run stops.
    #[must_use]
    pub fn exhausted(&self) -> Vec<&BudgetState> {
        self.states.iter().filter(|s| s.exhausted()).collect()
    }

    /// Budgets at or over their soft limit that do not block.
    #[must_use]
    pub fn warnings(&self, estimate: f64) -> Vec<&BudgetState> {
        self.states.iter().filter(|s| s.level >= BudgetLevel::Warning && !s.blocks(estimate)).collect()
    }
}

/// The states of `covering`'s budgets given the spend read for each.
fn states_of(covering: &[(Budget, Window)], spends: &[Spend]) -> Vec<BudgetState> {
    covering
        .iter()
        .zip(spends)
        .map(|((b, w), s)| BudgetState::new(b.clone(), *w, s.spent_usd, s.reserved_usd))
        .collect()
}

impl Orchestration {
    /// The timezone of the usage page and of budgets that name none.
    #[must_use]
    pub fn timezone(&self) -> Tz {
        self.options.timezone
    }

    /// The executions `budget` counts in `window`; `except` is the run asking.
    fn filter_of(budget: &Budget, window: &Window, except: Option<&str>) -> SpendFilter {
        let entity = || budget.entity_id.clone();
        SpendFilter {
            since: window.start,
            until: window.end,
            trigger_id: (budget.scope == BudgetScope::Trigger).then(entity).flatten(),
            backend_id: (budget.scope == BudgetScope::Backend).then(entity).flatten(),
            account_id: (budget.scope == BudgetScope::Account).then(entity).flatten(),
            except: except.map(str::to_owned),
        }
    }

    /// `budget`'s state at `now`; `except`'s own reservation is not counted.
    async fn state_of(
        &self,
        budget: Budget,
        now: DateTime<Utc>,
        except: Option<&str>,
    ) -> Result<BudgetState, OrchestrationError> {
        let window = budget.period.window(now, budget.timezone);
        let Spend { spent_usd, reserved_usd } =
            self.ports.spend.spend(&Self::filter_of(&budget, &window, except)).await?;
        Ok(BudgetState::new(budget, window, spent_usd, reserved_usd))
    }

    /// Every budget with its current spend.
    ///
    /// # Errors
    /// `Store`.
    pub async fn budget_states(&self) -> Result<Vec<BudgetState>, OrchestrationError> {
        let now = self.ports.clock.now();
        let mut states = Vec::new();
        for budget in self.ports.budgets.list().await? {
            states.push(self.state_of(budget, now, None).await?);
        }
        Ok(states)
    }

    /// One budget with its current spend.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn budget(&self, id: &BudgetId) -> Result<BudgetState, OrchestrationError> {
        let budget = self.ports.budgets.get(id).await?.ok_or(OrchestrationError::NotFound("budget"))?;
        self.state_of(budget, self.ports.clock.now(), None).await
    }

    /// The budgets covering `run`, asked by running `execution` (whose own reservation
    /// is not counted) or by no run. Any of them at its soft limit for the first time
    /// this period gives its warning (once).
    ///
    /// # Errors
    /// `Store`.
    pub async fn check_budgets(
        &self,
        run: &RunScope,
        execution: Option<&str>,
    ) -> Result<BudgetCheck, OrchestrationError> {
        let covering = self.ports.budgets.list().await?.into_iter().filter(|b| b.applies(run)).collect();
        self.check_covering(covering, execution).await
    }

    /// The states of `covering` (budgets already read), each warning once when due.
    async fn check_covering(
        &self,
        covering: Vec<Budget>,
        execution: Option<&str>,
    ) -> Result<BudgetCheck, OrchestrationError> {
        let now = self.ports.clock.now();
        let mut check = BudgetCheck::default();
        for budget in covering {
            let state = self.state_of(budget, now, execution).await?;
            self.warn_once(&state).await?;
            check.states.push(state);
        }
        Ok(check)
    }

    /// The budgets covering an attempt of running `execution_id` in `run`, read as
    /// one step with its reservation: when none of them blocks a start, the attempt
    /// reserves what the trigger's runs cost on average (or the configured default),
    /// so runs starting at once on other workers count it. Without a hard limit
    /// covering the attempt nothing is reserved.
    ///
    /// # Errors
    /// `Store`.
    pub async fn reserve_budgets(&self, execution_id: &str, run: &RunScope) -> Result<BudgetCheck, OrchestrationError> {
        let budgets: Vec<Budget> = self.ports.budgets.list().await?.into_iter().filter(|b| b.applies(run)).collect();
        if budgets.iter().all(|b| b.hard_limit_usd.is_none()) {
            return self.check_covering(budgets, Some(execution_id)).await;
        }
        let estimate_usd =
            self.ports.spend.expected_cost(&run.trigger_id).await?.unwrap_or(self.options.default_reservation_usd);
        let now = self.ports.clock.now();
        let covering: Vec<(Budget, Window)> = budgets
            .into_iter()
            .map(|b| {
                let window = b.period.window(now, b.timezone);
                (b, window)
            })
            .collect();
        let reservation = Reservation {
            execution_id: execution_id.to_owned(),
            trigger_id: run.trigger_id.clone(),
            backend_id: run.backend_id.clone(),
            account_id: run.account_id.clone(),
            estimate_usd,
            filters: covering.iter().map(|(b, w)| Self::filter_of(b, w, Some(execution_id))).collect(),
            at: now,
        };
        let judged = covering.clone();
        let rule = Box::new(move |spends: &[Spend]| !states_of(&judged, spends).iter().any(|s| s.blocks(0.0)));
        let (spends, _) = self.ports.spend.reserve(&reservation, rule).await?;
        let check = BudgetCheck { states: states_of(&covering, &spends) };
        for state in &check.states {
            self.warn_once(state).await?;
        }
        Ok(check)
    }

    async fn warn_once(&self, state: &BudgetState) -> Result<(), OrchestrationError> {
        let due = state.level >= BudgetLevel::Warning
            && state.budget.soft_limit_usd.is_some()
            && state.budget.warned_period != Some(state.window.start);
        if due && self.ports.budgets.mark_warned(&state.budget.id, state.window.start).await? {
            self.ports.alerts.soft_limit_reached(state).await;
        }
        Ok(())
    }

    async fn check_entity(&self, draft: &BudgetDraft) -> Result<(), OrchestrationError> {
        let Some(entity) = &draft.entity_id else { return Ok(()) };
        let exists = match draft.scope {
            BudgetScope::Global => true,
            BudgetScope::Trigger => match TriggerId::try_from(entity.clone()) {
                Ok(id) => self.ports.triggers.get(&id).await?.is_some(),
                Err(_) => false,
            },
            BudgetScope::Backend => self.ports.backends.get(entity).await?.is_some(),
            BudgetScope::Account => match AccountId::parse(entity) {
                Ok(id) => self.ports.accounts.get(&id).await?.is_some(),
                Err(_) => false,
            },
        };
        if exists {
            Ok(())
        } else {
            let mut errors = agented_triggers::FieldErrors::new();
            errors.insert("entity_id".into(), format!("unknown {} '{entity}'", draft.scope));
            Err(OrchestrationError::Invalid(errors))
        }
    }

    /// Creates a budget.
    ///
    /// # Errors
    /// `Invalid` (fields, unknown entity), `Duplicate`, `Store`.
    pub async fn create_budget(&self, request: BudgetPatch) -> Result<BudgetState, OrchestrationError> {
        let draft = request.create(self.options.timezone).map_err(OrchestrationError::Invalid)?;
        self.check_entity(&draft).await?;
        let budget = self
            .ports
            .budgets
            .insert(&BudgetId::generate(), &draft, self.ports.clock.now())
            .await
            .map_err(|e| OrchestrationError::from_write(e, "budget"))?;
        self.state_of(budget, self.ports.clock.now(), None).await
    }

    /// Changes a budget.
    ///
    /// # Errors
    /// `NotFound`, `Invalid`, `Duplicate`, `Store`.
    pub async fn update_budget(&self, id: &BudgetId, patch: BudgetPatch) -> Result<BudgetState, OrchestrationError> {
        let current = self.ports.budgets.get(id).await?.ok_or(OrchestrationError::NotFound("budget"))?;
        let draft = patch.apply(BudgetDraft::from(&current)).map_err(OrchestrationError::Invalid)?;
        self.check_entity(&draft).await?;
        let budget = self
            .ports
            .budgets
            .update(id, &draft, self.ports.clock.now())
            .await
            .map_err(|e| OrchestrationError::from_write(e, "budget"))?;
        self.state_of(budget, self.ports.clock.now(), None).await
    }

    /// Deletes a budget.
    ///
    /// # Errors
    /// `NotFound`, `Store`.
    pub async fn delete_budget(&self, id: &BudgetId) -> Result<(), OrchestrationError> {
        if self.ports.budgets.delete(id).await? { Ok(()) } else { Err(OrchestrationError::NotFound("budget")) }
    }

    /// The usage report asked for: `period` (`daily` unless named), `timezone` (the
    /// configured one unless named) and `[since, until)`, by default whole periods up to
    /// the current one included; with every budget's current state.
    ///
    /// # Errors
    /// `Invalid` (period, time zone, span), `Store`.
    pub async fn usage_report(&self, ask: UsageRequest) -> Result<UsageAnswer, OrchestrationError> {
        let mut errors = agented_triggers::FieldErrors::new();
        let period = match ask.period.as_deref().unwrap_or("daily").parse::<BudgetPeriod>() {
            Ok(p) => p,
            Err(e) => {
                errors.insert("period".to_owned(), e);
                BudgetPeriod::Daily
            }
        };
        let tz = match ask.timezone.as_deref().map(str::parse::<Tz>) {
            None => self.options.timezone,
            Some(Ok(tz)) => tz,
            Some(Err(_)) => {
                let why = "unknown time zone: use an IANA name such as Europe/Berlin";
                errors.insert("timezone".to_owned(), why.to_owned());
                chrono_tz::UTC
            }
        };
        let until = ask.until.unwrap_or_else(|| period.window(self.ports.clock.now(), tz).end);
        let since = ask.since.unwrap_or_else(|| {
            until
                - match period {
                    BudgetPeriod::Daily => Duration::days(30),
                    BudgetPeriod::Weekly => Duration::weeks(12),
                    BudgetPeriod::Monthly => Duration::days(366),
                }
        });
        if since >= until {
            errors.insert("since".to_owned(), "must be before until".to_owned());
        } else if until - since > Duration::days(MAX_USAGE_SPAN_DAYS) {
            errors.insert("since".to_owned(), format!("a report covers at most {MAX_USAGE_SPAN_DAYS} days"));
        }
        if !errors.is_empty() {
            return Err(OrchestrationError::Invalid(errors));
        }
        let report = self.usage(since, until, period, tz).await?;
        let budgets = self.budget_states().await?;
        Ok(UsageAnswer { period, timezone: tz, since, until, report, budgets })
    }

    /// Usage of runs queued in `[since, until)`, per `period` in `tz`.
    ///
    /// # Errors
    /// `Store`.
    pub async fn usage(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        period: BudgetPeriod,
        tz: Tz,
    ) -> Result<UsageReport, OrchestrationError> {
        let rows = self.ports.spend.usage_rows(since, until).await?;
        Ok(aggregate(&rows, period, tz))
    }

    /// "Now", as orchestration sees it.
    #[must_use]
    pub fn now(&self) -> DateTime<Utc> {
        self.ports.clock.now()
    }
}
