//! Usage reports: executions added up per period (a day, week or month in a
//! time zone), trigger, backend and account, for the usage page's charts.

use crate::period::BudgetPeriod;
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use std::collections::BTreeMap;

/// One execution as the report sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct UsageRow {
    /// Queue time: the run counts in the period it was queued in.
    pub queued_at: DateTime<Utc>,
    /// Its trigger.
    pub trigger_id: String,
    /// The backend it ran on (`backend-…`).
    pub backend_id: String,
    /// The account it ran under.
    pub account_id: Option<String>,
    /// Its status.
    pub status: String,
    /// Tokens in.
    pub input_tokens: i64,
    /// Tokens out.
    pub output_tokens: i64,
    /// US dollars.
    pub cost_usd: f64,
}

/// Runs, tokens and cost added up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    /// Runs.
    pub runs: u64,
    /// Runs per status.
    pub by_status: BTreeMap<String, u64>,
    /// Tokens in.
    pub input_tokens: i64,
    /// Tokens out.
    pub output_tokens: i64,
    /// US dollars.
    pub cost_usd: f64,
}

impl Tally {
    fn add(&mut self, row: &UsageRow) {
        self.runs += 1;
        *self.by_status.entry(row.status.clone()).or_default() += 1;
        self.input_tokens += row.input_tokens;
        self.output_tokens += row.output_tokens;
        self.cost_usd += row.cost_usd;
    }
}

/// The key a group is added up under.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupKey {
    /// The local date the period starts on.
    pub period_start: NaiveDate,
    /// The trigger.
    pub trigger_id: String,
    /// The backend.
    pub backend_id: String,
    /// The account.
    pub account_id: Option<String>,
}

/// The report: groups in period order, and the totals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageReport {
    /// Each (period, trigger, backend, account) with runs.
    pub groups: Vec<(GroupKey, Tally)>,
    /// Everything.
    pub totals: Tally,
}

/// Adds `rows` up per `period` in `tz`.
#[must_use]
pub fn aggregate(rows: &[UsageRow], period: BudgetPeriod, tz: Tz) -> UsageReport {
    let mut groups: BTreeMap<GroupKey, Tally> = BTreeMap::new();
    let mut totals = Tally::default();
    for row in rows {
        let key = GroupKey {
            period_start: period.first_day(row.queued_at.with_timezone(&tz).date_naive()),
            trigger_id: row.trigger_id.clone(),
            backend_id: row.backend_id.clone(),
            account_id: row.account_id.clone(),
        };
        groups.entry(key).or_default().add(row);
        totals.add(row);
    }
    UsageReport { groups: groups.into_iter().collect(), totals }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(at: &str, trigger: &str, backend: &str, status: &str, cost: f64) -> UsageRow {
        UsageRow {
            queued_at: DateTime::parse_from_rfc3339(at).expect("time").with_timezone(&Utc),
            trigger_id: trigger.into(),
            backend_id: backend.into(),
            account_id: None,
            status: status.into(),
            input_tokens: 10,
            output_tokens: 5,
            cost_usd: cost,
        }
    }

    #[test]
    fn runs_are_added_up_per_local_day_trigger_and_backend() {
        let rows = [
            row("2026-11-21T10:00:00Z", "trig-a", "backend-claude", "success", 0.5),
            row("2026-11-21T11:00:00Z", "trig-a", "backend-claude", "failed", 0.25),
            row("2026-11-21T16:00:00Z", "trig-a", "backend-claude", "success", 1.0),
            row("2026-11-21T12:00:00Z", "trig-b", "backend-codex", "success", 0.0),
        ];
        // In Seoul (UTC+9) 16:00 UTC is already the 22nd.
        let report = aggregate(&rows, BudgetPeriod::Daily, chrono_tz::Asia::Seoul);
        let summary: Vec<_> = report
            .groups
            .iter()
            .map(|(k, t)| (k.period_start.to_string(), k.trigger_id.as_str(), t.runs, t.cost_usd))
            .collect();
        assert_eq!(
            summary,
            [
                ("2026-11-21".into(), "trig-a", 2, 0.75),
                ("2026-11-21".into(), "trig-b", 1, 0.0),
                ("2026-11-22".into(), "trig-a", 1, 1.0)
            ]
        );
        assert_eq!(report.totals.runs, 4);
        assert_eq!(report.totals.by_status["success"], 3);
        assert_eq!(report.totals.input_tokens, 40);
        // In UTC all four are on the 21st; by week all in the week of Monday the 16th.
        assert_eq!(aggregate(&rows, BudgetPeriod::Daily, chrono_tz::UTC).groups.len(), 2);
        let weekly = aggregate(&rows, BudgetPeriod::Weekly, chrono_tz::UTC);
        assert!(weekly.groups.iter().all(|(k, _)| k.period_start.to_string() == "2026-11-16"));
    }
}
