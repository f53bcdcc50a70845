//! Budgets: a soft and a hard limit on what runs in one scope spend per period.

use crate::period::{BudgetPeriod, Window};
use agented_kernel::BudgetId;
use agented_triggers::FieldErrors;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a budget covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetScope {
    /// Every run.
    Global,
    /// Runs of one trigger.
    Trigger,
    /// Runs on one backend.
    Backend,
    /// Runs under one account.
    Account,
}

impl BudgetScope {
    /// Every scope.
    pub const ALL: [Self; 4] = [Self::Global, Self::Trigger, Self::Backend, Self::Account];

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::Trigger => "trigger",
            Self::Backend => "backend",
            Self::Account => "account",
        }
    }

    /// Whether a limit of this scope stops the whole run (rather than one chain entry).
    #[must_use]
    pub const fn covers_every_entry(self) -> bool {
        matches!(self, Self::Global | Self::Trigger)
    }
}

impl fmt::Display for BudgetScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BudgetScope {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown scope '{s}': expected global, trigger, backend or account"))
    }
}

/// Where one run stands: its trigger, and the backend and account of the chain entry tried.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunScope {
    /// `trig-…` or `bot-…`.
    pub trigger_id: String,
    /// `backend-…`.
    pub backend_id: String,
    /// `acct-…`, when the entry has one.
    pub account_id: Option<String>,
}

/// A stored budget.
#[derive(Debug, Clone, PartialEq)]
pub struct Budget {
    /// `budget-…`.
    pub id: BudgetId,
    /// What it covers.
    pub scope: BudgetScope,
    /// The trigger, backend or account (none for `global`).
    pub entity_id: Option<String>,
    /// How long spend accumulates.
    pub period: BudgetPeriod,
    /// Where the period's days begin.
    pub timezone: Tz,
    /// Spend at which a warning is given.
    pub soft_limit_usd: Option<f64>,
    /// Spend at which runs are refused, and running ones stopped.
    pub hard_limit_usd: Option<f64>,
    /// The period whose warning was given (one per period).
    pub warned_period: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Budget {
    /// Whether runs in `run` count against it.
    #[must_use]
    pub fn applies(&self, run: &RunScope) -> bool {
        let entity = self.entity_id.as_deref();
        match self.scope {
            BudgetScope::Global => true,
            BudgetScope::Trigger => entity == Some(run.trigger_id.as_str()),
            BudgetScope::Backend => entity == Some(run.backend_id.as_str()),
            BudgetScope::Account => entity.is_some() && entity == run.account_id.as_deref(),
        }
    }

    /// A short name for messages: `the daily trigger trig-abc budget`.
    #[must_use]
    pub fn describe(&self) -> String {
        match &self.entity_id {
            Some(entity) => format!("the {} {} {entity} budget ({})", self.period, self.scope, self.id),
            None => format!("the {} global budget ({})", self.period, self.id),
        }
    }
}

/// How far a budget is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetLevel {
    /// Below both limits.
    Ok,
    /// At or over the soft limit.
    Warning,
    /// At or over the hard limit: runs are refused.
    Exceeded,
}

/// A budget with the spend of its current period.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetState {
    /// The budget.
    pub budget: Budget,
    /// The current period.
    pub window: Window,
    /// US dollars spent in it so far.
    pub spent_usd: f64,
    /// What running runs are still expected to spend in it (their reservations less
    /// what they have spent); see [`Self::blocks`].
    pub reserved_usd: f64,
    /// Where the spend leaves it.
    pub level: BudgetLevel,
}

impl BudgetState {
    /// The state of `budget` with `spent_usd` spent and `reserved_usd` reserved in `window`.
    #[must_use]
    pub fn new(budget: Budget, window: Window, spent_usd: f64, reserved_usd: f64) -> Self {
        let over = |limit: Option<f64>| limit.is_some_and(|l| spent_usd >= l);
        let level = if over(budget.hard_limit_usd) {
            BudgetLevel::Exceeded
        } else if over(budget.soft_limit_usd) {
            BudgetLevel::Warning
        } else {
            BudgetLevel::Ok
        };
        Self { budget, window, spent_usd, reserved_usd, level }
    }

    /// Whether a run expected to cost `estimate` more may start: refused when the
    /// hard limit is already taken by spend and running runs' reservations, or the
    /// estimate would pass it. Reservations make runs that start together behave as
    /// if they had run one after another.
    #[must_use]
    pub fn blocks(&self, estimate: f64) -> bool {
        let taken = self.spent_usd + self.reserved_usd;
        self.budget.hard_limit_usd.is_some_and(|hard| taken >= hard || taken + estimate > hard)
    }

    /// Whether what was actually spent reached the hard limit: a running run stops.
    #[must_use]
    pub fn exhausted(&self) -> bool {
        self.budget.hard_limit_usd.is_some_and(|hard| self.spent_usd >= hard)
    }

    /// One line for a warning or a listing: what was spent against the limit its level names.
    #[must_use]
    pub fn explain(&self) -> String {
        match self.level {
            BudgetLevel::Exceeded => self.refusal(),
            _ => self.against(&format!("soft limit ${:.2}", self.budget.soft_limit_usd.unwrap_or_default())),
        }
    }

    /// One line for a run refused or stopped by the hard limit: what was spent, and what
    /// running runs hold, against it.
    #[must_use]
    pub fn refusal(&self) -> String {
        self.against(&format!("hard limit ${:.2}", self.budget.hard_limit_usd.unwrap_or_default()))
    }

    /// The notice of this budget reaching its soft limit, told at `at` (one per period).
    #[must_use]
    pub fn warning_notice(&self, at: DateTime<Utc>) -> agented_kernel::Notice {
        use agented_kernel::{NoticeEvent, NoticeValue};
        let b = &self.budget;
        let key = format!("{}:{}:{}", NoticeEvent::BudgetWarning, b.id, self.window.start.timestamp());
        let mut notice = agented_kernel::Notice::new(NoticeEvent::BudgetWarning, key, self.explain(), at)
            .text("budget_id", b.id.as_str())
            .text("scope", b.scope.as_str())
            .text("period", b.period.as_str())
            .text("period_start", self.window.start.to_rfc3339())
            .fact("entity_id", b.entity_id.clone().map(NoticeValue::Text))
            .fact("spent_usd", Some(NoticeValue::Number(self.spent_usd)))
            .fact("soft_limit_usd", b.soft_limit_usd.map(NoticeValue::Number))
            .fact("hard_limit_usd", b.hard_limit_usd.map(NoticeValue::Number));
        if b.scope == BudgetScope::Trigger {
            notice.trigger_id = b.entity_id.clone().and_then(|t| agented_kernel::TriggerId::try_from(t).ok());
        }
        notice.link = Some("/budgets".into());
        notice
    }

    fn against(&self, limit: &str) -> String {
        let reserved = if self.reserved_usd > 0.0 {
            format!(" and running runs hold ${:.4} more", self.reserved_usd)
        } else {
            String::new()
        };
        format!("{} has spent ${:.4}{reserved} of its {limit} this period", self.budget.describe(), self.spent_usd)
    }
}

/// A budget's settings, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetDraft {
    /// See [`Budget`].
    pub scope: BudgetScope,
    /// See [`Budget`].
    pub entity_id: Option<String>,
    /// See [`Budget`].
    pub period: BudgetPeriod,
    /// See [`Budget`].
    pub timezone: Tz,
    /// See [`Budget`].
    pub soft_limit_usd: Option<f64>,
    /// See [`Budget`].
    pub hard_limit_usd: Option<f64>,
}

impl From<&Budget> for BudgetDraft {
    fn from(b: &Budget) -> Self {
        Self {
            scope: b.scope,
            entity_id: b.entity_id.clone(),
            period: b.period,
            timezone: b.timezone,
            soft_limit_usd: b.soft_limit_usd,
            hard_limit_usd: b.hard_limit_usd,
        }
    }
}

/// A requested budget or change. For a limit, absent keeps it and `null` removes it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetPatch {
    /// `global`, `trigger`, `backend` or `account`.
    pub scope: Option<String>,
    /// The trigger, backend or account id.
    pub entity_id: Option<String>,
    /// `daily`, `weekly` or `monthly`.
    pub period: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// US dollars.
    #[serde(deserialize_with = "present")]
    pub soft_limit_usd: Option<Option<f64>>,
    /// US dollars.
    #[serde(deserialize_with = "present")]
    pub hard_limit_usd: Option<Option<f64>>,
}

/// Serde helper for an optional limit: a present key (even `null`) becomes `Some`,
/// so "remove the limit" (`null`) differs from "leave it" (absent).
///
/// # Errors
/// When the value is neither a number nor `null`.
pub fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<f64>>, D::Error> {
    Option::<f64>::deserialize(d).map(Some)
}

/// Largest limit accepted (a typo guard, not a policy).
const MAX_LIMIT_USD: f64 = 1_000_000.0;

impl BudgetPatch {
    /// A new budget from this request; `default_tz` when it names none.
    ///
    /// # Errors
    /// Field → message for each missing or invalid value.
    pub fn create(self, default_tz: Tz) -> Result<BudgetDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        if self.scope.is_none() {
            errors.insert("scope".into(), "is required: global, trigger, backend or account".into());
        }
        if self.period.is_none() {
            errors.insert("period".into(), "is required: daily, weekly or monthly".into());
        }
        let base = BudgetDraft {
            scope: BudgetScope::Global,
            entity_id: None,
            period: BudgetPeriod::Monthly,
            timezone: default_tz,
            soft_limit_usd: None,
            hard_limit_usd: None,
        };
        match self.apply(base) {
            Ok(draft) if errors.is_empty() => Ok(draft),
            Ok(_) => Err(errors),
            Err(more) => {
                errors.extend(more);
                Err(errors)
            }
        }
    }

    /// `base` with this change.
    ///
    /// # Errors
    /// Field → message for each invalid value.
    pub fn apply(self, base: BudgetDraft) -> Result<BudgetDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut next = base;
        if let Some(scope) = self.scope {
            match scope.parse() {
                Ok(s) => next.scope = s,
                Err(e) => {
                    errors.insert("scope".into(), e);
                }
            }
        }
        if let Some(entity) = self.entity_id {
            next.entity_id = Some(entity.trim().to_owned()).filter(|e| !e.is_empty());
        }
        if next.scope == BudgetScope::Global {
            if next.entity_id.is_some() {
                errors.insert("entity_id".into(), "a global budget covers every run and names no entity".into());
            }
        } else if next.entity_id.is_none() {
            errors.insert("entity_id".into(), format!("names the {} the budget covers", next.scope));
        } else if next.entity_id.as_ref().is_some_and(|e| e.len() > 200) {
            errors.insert("entity_id".into(), "must be at most 200 characters".into());
        }
        if let Some(period) = self.period {
            match period.parse() {
                Ok(p) => next.period = p,
                Err(e) => {
                    errors.insert("period".into(), e);
                }
            }
        }
        if let Some(tz) = self.timezone {
            match tz.trim().parse::<Tz>() {
                Ok(tz) => next.timezone = tz,
                Err(_) => {
                    errors.insert(
                        "timezone".into(),
                        format!("unknown time zone '{tz}': use an IANA name such as Europe/Berlin"),
                    );
                }
            }
        }
        for (field, value, slot) in [
            ("soft_limit_usd", self.soft_limit_usd, &mut next.soft_limit_usd),
            ("hard_limit_usd", self.hard_limit_usd, &mut next.hard_limit_usd),
        ] {
            if let Some(value) = value {
                if value.is_some_and(|v| !v.is_finite() || v <= 0.0 || v > MAX_LIMIT_USD) {
                    errors.insert(field.into(), "must be more than 0 and at most 1000000 US dollars".into());
                }
                *slot = value;
            }
        }
        if next.soft_limit_usd.is_none() && next.hard_limit_usd.is_none() {
            errors.insert("hard_limit_usd".into(), "set a soft limit, a hard limit, or both".into());
        }
        if let (Some(soft), Some(hard)) = (next.soft_limit_usd, next.hard_limit_usd)
            && soft > hard
        {
            errors.insert("soft_limit_usd".into(), "must not be above the hard limit".into());
        }
        if errors.is_empty() { Ok(next) } else { Err(errors) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(scope: BudgetScope, entity: Option<&str>, soft: Option<f64>, hard: Option<f64>) -> Budget {
        let at = DateTime::<Utc>::UNIX_EPOCH;
        Budget {
            id: BudgetId::parse("budget-test").expect("id"),
            scope,
            entity_id: entity.map(str::to_owned),
            period: BudgetPeriod::Daily,
            timezone: chrono_tz::UTC,
            soft_limit_usd: soft,
            hard_limit_usd: hard,
            warned_period: None,
            created_at: at,
            updated_at: at,
        }
    }

    fn window() -> Window {
        BudgetPeriod::Daily.window(DateTime::<Utc>::UNIX_EPOCH, chrono_tz::UTC)
    }

    #[test]
    fn each_scope_covers_its_runs() {
        let run = RunScope {
            trigger_id: "trig-a".into(),
            backend_id: "backend-claude".into(),
            account_id: Some("acct-x".into()),
        };
        let other = RunScope { account_id: None, ..run.clone() };
        assert!(budget(BudgetScope::Global, None, None, Some(1.0)).applies(&run));
        assert!(budget(BudgetScope::Trigger, Some("trig-a"), None, Some(1.0)).applies(&run));
        assert!(!budget(BudgetScope::Trigger, Some("trig-b"), None, Some(1.0)).applies(&run));
        assert!(budget(BudgetScope::Backend, Some("backend-claude"), None, Some(1.0)).applies(&run));
        assert!(budget(BudgetScope::Account, Some("acct-x"), None, Some(1.0)).applies(&run));
        assert!(!budget(BudgetScope::Account, Some("acct-x"), None, Some(1.0)).applies(&other));
    }

    #[test]
    fn a_warning_notice_names_the_budget_its_period_and_a_trigger_budgets_trigger() {
        use agented_kernel::{NoticeEvent, NoticeValue};
        let at = DateTime::<Utc>::UNIX_EPOCH;
        let trigger =
            BudgetState::new(budget(BudgetScope::Trigger, Some("trig-a"), Some(1.0), None), window(), 1.5, 0.0);
        let notice = trigger.warning_notice(at);
        assert_eq!(notice.event, NoticeEvent::BudgetWarning);
        assert_eq!(notice.key, "budget.warning:budget-test:0", "one key per budget and period");
        assert_eq!(notice.trigger_id.map(|t| t.to_string()).as_deref(), Some("trig-a"));
        assert_eq!(notice.data["spent_usd"], NoticeValue::Number(1.5));
        assert!(notice.summary.contains("has spent $1.5000"), "{}", notice.summary);
        let global = BudgetState::new(budget(BudgetScope::Global, None, Some(1.0), None), window(), 1.5, 0.0);
        assert_eq!(global.warning_notice(at).trigger_id, None);
    }

    #[test]
    fn levels_follow_the_limits_and_the_hard_one_blocks() {
        let b = budget(BudgetScope::Global, None, Some(1.0), Some(2.0));
        assert_eq!(BudgetState::new(b.clone(), window(), 0.99, 0.0).level, BudgetLevel::Ok);
        let warned = BudgetState::new(b.clone(), window(), 1.0, 0.0);
        assert_eq!(warned.level, BudgetLevel::Warning);
        assert!(!warned.blocks(0.0));
        assert!(warned.blocks(1.5), "an estimate that would pass the hard limit is refused");
        let over = BudgetState::new(b, window(), 2.0, 0.0);
        assert_eq!(over.level, BudgetLevel::Exceeded);
        assert!(over.blocks(0.0), "reaching the hard limit refuses the next run");
        assert!(over.explain().contains("hard limit $2.00"), "{}", over.explain());
        assert!(!BudgetState::new(budget(BudgetScope::Global, None, Some(1.0), None), window(), 50.0, 0.0).blocks(0.0));
    }

    #[test]
    fn running_runs_reservations_refuse_a_start_but_stop_no_one() {
        let b = budget(BudgetScope::Global, None, None, Some(10.0));
        let held = BudgetState::new(b.clone(), window(), 9.0, 1.0);
        assert_eq!(held.level, BudgetLevel::Ok, "the level is what was spent");
        assert!(held.blocks(0.0), "the last dollar is held by a running run");
        assert!(!held.exhausted(), "the running run itself goes on");
        assert!(
            held.refusal().contains("running runs hold $1.0000 more of its hard limit $10.00"),
            "{}",
            held.refusal()
        );
        let room = BudgetState::new(b, window(), 9.0, 0.5);
        assert!(!room.blocks(0.0));
        assert!(room.blocks(0.6), "an estimate past what is left after reservations");
    }

    #[test]
    fn a_new_budget_needs_a_scope_a_period_and_a_limit() {
        let errors = BudgetPatch::default().create(chrono_tz::UTC).expect_err("empty");
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["hard_limit_usd", "period", "scope"]);
        let request: BudgetPatch = serde_json::from_str(
            r#"{"scope":"trigger","entity_id":"trig-a","period":"weekly","timezone":"Asia/Seoul","soft_limit_usd":5,"hard_limit_usd":10}"#,
        )
        .expect("json");
        let draft = request.create(chrono_tz::UTC).expect("valid");
        assert_eq!(
            (draft.scope, draft.period, draft.timezone),
            (BudgetScope::Trigger, BudgetPeriod::Weekly, chrono_tz::Asia::Seoul)
        );
    }

    #[test]
    fn bad_values_are_named_field_by_field() {
        let request: BudgetPatch = serde_json::from_str(
            r#"{"scope":"galaxy","period":"hourly","timezone":"Mars/Olympus","soft_limit_usd":-1,"hard_limit_usd":0}"#,
        )
        .expect("json");
        let errors = request.create(chrono_tz::UTC).expect_err("invalid");
        assert_eq!(
            errors.keys().collect::<Vec<_>>(),
            ["hard_limit_usd", "period", "scope", "soft_limit_usd", "timezone"]
        );
        let global_with_entity: BudgetPatch =
            serde_json::from_str(r#"{"scope":"global","entity_id":"trig-a","period":"daily","hard_limit_usd":1}"#)
                .expect("json");
        assert!(global_with_entity.create(chrono_tz::UTC).expect_err("invalid").contains_key("entity_id"));
        let inverted: BudgetPatch =
            serde_json::from_str(r#"{"scope":"global","period":"daily","soft_limit_usd":3,"hard_limit_usd":1}"#)
                .expect("json");
        assert!(inverted.create(chrono_tz::UTC).expect_err("invalid").contains_key("soft_limit_usd"));
    }

    #[test]
    fn null_removes_a_limit_and_absence_keeps_it() {
        let base = BudgetDraft::from(&budget(BudgetScope::Global, None, Some(1.0), Some(2.0)));
        let keep: BudgetPatch = serde_json::from_str(r#"{"hard_limit_usd":3}"#).expect("json");
        assert_eq!(keep.apply(base.clone()).map(|d| (d.soft_limit_usd, d.hard_limit_usd)), Ok((Some(1.0), Some(3.0))));
        let remove: BudgetPatch = serde_json::from_str(r#"{"soft_limit_usd":null}"#).expect("json");
        assert_eq!(remove.apply(base).map(|d| d.soft_limit_usd), Ok(None));
    }
}
