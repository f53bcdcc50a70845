//! Budget periods: a day, a week from Monday, a calendar month, each in an
//! IANA time zone, as a half-open window of UTC instants.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How long a budget's spend accumulates before it starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetPeriod {
    /// From local midnight to the next.
    Daily,
    /// From Monday's local midnight to the next Monday's.
    Weekly,
    /// From the first of the month to the first of the next.
    Monthly,
}

/// `[start, end)` in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    /// First instant in the period.
    pub start: DateTime<Utc>,
    /// First instant after it.
    pub end: DateTime<Utc>,
}

impl Window {
    /// Whether `at` falls inside.
    #[must_use]
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.start <= at && at < self.end
    }
}

impl BudgetPeriod {
    /// Every period.
    pub const ALL: [Self; 3] = [Self::Daily, Self::Weekly, Self::Monthly];

    /// The wire name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "daily",
            Self::Weekly => "weekly",
            Self::Monthly => "monthly",
        }
    }

    /// The local date the period holding `date` starts on.
    #[must_use]
    pub fn first_day(self, date: NaiveDate) -> NaiveDate {
        match self {
            Self::Daily => date,
            Self::Weekly => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
            Self::Monthly => date.with_day(1).unwrap_or(date),
        }
    }

    fn next_first_day(self, first: NaiveDate) -> NaiveDate {
        match self {
            Self::Daily => first + Duration::days(1),
            Self::Weekly => first + Duration::days(7),
            Self::Monthly => first.checked_add_months(chrono::Months::new(1)).unwrap_or(first + Duration::days(31)),
        }
    }

    /// The period holding `at`, in `tz`.
    #[must_use]
    pub fn window(self, at: DateTime<Utc>, tz: Tz) -> Window {
        let first = self.first_day(at.with_timezone(&tz).date_naive());
        Window { start: local_midnight(tz, first), end: local_midnight(tz, self.next_first_day(first)) }
    }
}

/// The instant a local date begins in `tz`. Where a clock change skips
/// midnight, the day begins at the first local time that exists.
#[must_use]
pub fn local_midnight(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    for minutes in (0..=180).step_by(15) {
        if let Some(t) = tz.from_local_datetime(&(midnight + Duration::minutes(minutes))).earliest() {
            return t.with_timezone(&Utc);
        }
    }
    midnight.and_utc()
}

impl fmt::Display for BudgetPeriod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for BudgetPeriod {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown period '{s}': expected daily, weekly or monthly"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn a_day_begins_at_local_midnight() {
        let w = BudgetPeriod::Daily.window(utc("2026-11-22T23:30:00Z"), chrono_tz::UTC);
        assert_eq!((w.start, w.end), (utc("2026-11-22T00:00:00Z"), utc("2026-11-23T00:00:00Z")));
        // 23:30 UTC is already the 23rd in Seoul (UTC+9).
        let w = BudgetPeriod::Daily.window(utc("2026-11-22T23:30:00Z"), chrono_tz::Asia::Seoul);
        assert_eq!((w.start, w.end), (utc("2026-11-22T15:00:00Z"), utc("2026-11-23T15:00:00Z")));
        // And still the 22nd in Los Angeles (UTC-8).
        let w = BudgetPeriod::Daily.window(utc("2026-11-23T07:59:59Z"), chrono_tz::America::Los_Angeles);
        assert_eq!(w.start, utc("2026-11-22T08:00:00Z"));
        assert!(!w.contains(utc("2026-11-23T08:00:00Z")), "the end is the next period's start");
    }

    #[test]
    fn a_week_runs_from_monday() {
        // 2026-11-22 is a Sunday; its week began Monday the 16th.
        let w = BudgetPeriod::Weekly.window(utc("2026-11-22T12:00:00Z"), chrono_tz::UTC);
        assert_eq!((w.start, w.end), (utc("2026-11-16T00:00:00Z"), utc("2026-11-23T00:00:00Z")));
        // Sunday 20:00 in New York is Monday 01:00 UTC: the UTC week has turned, New York's has not.
        let at = utc("2026-11-23T01:00:00Z");
        assert_eq!(BudgetPeriod::Weekly.window(at, chrono_tz::UTC).start, utc("2026-11-23T00:00:00Z"));
        assert_eq!(BudgetPeriod::Weekly.window(at, chrono_tz::America::New_York).start, utc("2026-11-16T05:00:00Z"));
    }

    #[test]
    fn a_month_runs_to_the_first_of_the_next_across_the_year_and_clock_changes() {
        let w = BudgetPeriod::Monthly.window(utc("2026-12-31T23:00:00Z"), chrono_tz::UTC);
        assert_eq!((w.start, w.end), (utc("2026-12-01T00:00:00Z"), utc("2027-01-01T00:00:00Z")));
        // Berlin leaves summer time in October: the month starts at UTC+2 and ends at UTC+1.
        let w = BudgetPeriod::Monthly.window(utc("2026-10-15T12:00:00Z"), chrono_tz::Europe::Berlin);
        assert_eq!((w.start, w.end), (utc("2026-09-30T22:00:00Z"), utc("2026-10-31T23:00:00Z")));
    }

    #[test]
    fn a_skipped_midnight_starts_the_day_at_the_first_real_minute() {
        // Santiago moved its clocks from 00:00 to 01:00 on 2026-09-06.
        let start = local_midnight(chrono_tz::America::Santiago, NaiveDate::from_ymd_opt(2026, 9, 6).expect("date"));
        assert_eq!(start, utc("2026-09-06T04:00:00Z"));
    }

    #[test]
    fn periods_round_trip_through_their_names() {
        for p in BudgetPeriod::ALL {
            assert_eq!(p.as_str().parse(), Ok(p));
        }
        assert!("yearly".parse::<BudgetPeriod>().is_err());
    }
}
