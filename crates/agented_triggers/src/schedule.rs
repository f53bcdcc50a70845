//! When a `scheduled` trigger runs. A daily, weekly or monthly setting is
//! turned into the equivalent cron pattern, so one engine (croner, following
//! the Open Cron Pattern Specification) decides every slot, in the trigger's
//! IANA time zone and across DST changes:
//!
//! - a fixed time that does not exist that day (clocks go forward) runs at the
//!   first instant after the gap;
//! - a fixed time that happens twice (clocks go back) runs once, at the first;
//! - an interval pattern (`*/15 * * * *`) runs at every real instant it matches.
//!
//! [`Schedule::plan`] is the rule for a slot that is due: run it when it is on
//! time, otherwise skip it (or, with `catch_up`, run once for everything missed).

use crate::models::TriggerSource;
use crate::trigger::{FieldErrors, Trigger, TriggerSettings};
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

/// Every `schedule_type`.
pub const SCHEDULE_KINDS: [&str; 4] = ["daily", "weekly", "monthly", "cron"];

/// A slot seen later than this after its time was missed (the server was down
/// or stalled): it is skipped, or run once as a catch-up when `catch_up` is set.
pub const ON_TIME: TimeDelta = TimeDelta::minutes(2);

/// Missed slots counted for the log line, at most (an every-minute pattern
/// after a month down would otherwise be counted one by one).
pub const MAX_COUNTED_MISSES: u32 = 10_000;

/// The zone of a schedule without `schedule_timezone`.
pub const DEFAULT_TIMEZONE: &str = "UTC";

/// A valid schedule: a cron pattern in a time zone.
#[derive(Debug, Clone)]
pub struct Schedule {
    cron: Cron,
    zone: Tz,
}

/// What to do about a due slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotPlan {
    /// The slot to run now, if any: the latest one due.
    pub run: Option<DateTime<Utc>>,
    /// `run` is a catch-up of a slot seen too late to be on time.
    pub catching_up: bool,
    /// Slots passed over without a run (at most [`MAX_COUNTED_MISSES`]).
    pub missed: u32,
    /// The earliest of them.
    pub first_missed: Option<DateTime<Utc>>,
    /// The first slot after now (`None`: the pattern never matches again).
    pub next: Option<DateTime<Utc>>,
}

fn parser() -> CronParser {
    CronParser::builder().seconds(Seconds::Disallowed).year(Year::Disallowed).build()
}

/// `HH:MM` as (hour, minute).
fn hour_minute(value: &str) -> Option<(u8, u8)> {
    let (h, m) = value.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m) = (h.parse::<u8>().ok()?, m.parse::<u8>().ok()?);
    (h < 24 && m < 60).then_some((h, m))
}

impl Schedule {
    /// The schedule `settings` describe: `None` when it has no `schedule_type`.
    /// Shape rules (a known kind, `HH:MM`, the day's range, a known zone, a cron
    /// pattern that parses and matches some time) are checked whatever the
    /// source; the fields a kind needs are required only of a `scheduled` trigger.
    ///
    /// # Errors
    /// One message per invalid field.
    pub fn of(settings: &TriggerSettings) -> Result<Option<Self>, FieldErrors> {
        let mut errors = FieldErrors::new();
        let required = settings.trigger_source == TriggerSource::Scheduled;
        let zone = match settings.schedule_timezone.as_deref() {
            None => Some(Tz::UTC),
            Some(name) => name.parse::<Tz>().map_or_else(
                |_| {
                    errors.insert(
                        "schedule_timezone".into(),
                        format!("unknown time zone '{name}': use an IANA name such as Europe/Berlin"),
                    );
                    None
                },
                Some,
            ),
        };
        if settings.schedule_time.as_deref().is_some_and(|t| hour_minute(t).is_none()) {
            errors.insert("schedule_time".into(), "must be HH:MM (24-hour)".into());
        }
        let Some(kind) = settings.schedule_type.as_deref() else {
            if required {
                errors.insert("schedule_type".into(), "is required for a scheduled trigger".into());
            }
            return if errors.is_empty() { Ok(None) } else { Err(errors) };
        };
        let pattern = match kind {
            "cron" => Self::cron_pattern(settings, required, &mut errors),
            "daily" | "weekly" | "monthly" => Self::calendar_pattern(kind, settings, required, &mut errors),
            other => {
                errors.insert(
                    "schedule_type".into(),
                    format!("unknown schedule '{other}': expected daily, weekly, monthly or cron"),
                );
                None
            }
        };
        let (Some(zone), Some(pattern), true) = (zone, pattern, errors.is_empty()) else {
            return if errors.is_empty() { Ok(None) } else { Err(errors) };
        };
        let field = if kind == "cron" { "schedule_cron" } else { "schedule_time" };
        let cron = parser().parse(&pattern).map_err(|e| FieldErrors::from([(field.into(), e.to_string())]))?;
        let schedule = Self { cron, zone };
        // A pattern such as `0 0 30 2 *` parses but never matches.
        if schedule.next_after(DateTime::UNIX_EPOCH).is_none() {
            return Err(FieldErrors::from([(field.into(), "never matches a real date".into())]));
        }
        Ok(Some(schedule))
    }

    fn cron_pattern(settings: &TriggerSettings, required: bool, errors: &mut FieldErrors) -> Option<String> {
        let Some(pattern) = settings.schedule_cron.as_deref() else {
            if required {
                errors.insert("schedule_cron".into(), "is required for a cron schedule".into());
            }
            return None;
        };
        if pattern.split_whitespace().count() != 5 && !pattern.starts_with('@') {
            errors.insert(
                "schedule_cron".into(),
                "must have five fields (minute hour day-of-month month day-of-week) or be an alias such as @daily"
                    .into(),
            );
            return None;
        }
        if let Err(e) = parser().parse(pattern) {
            errors.insert(
                "schedule_cron".into(),
                format!(
                    "not a valid cron pattern ({e}); the fields are minute 0–59, hour 0–23, day of month 1–31, \
                     month 1–12, day of week 0–7 (Sunday = 0 or 7)"
                ),
            );
            return None;
        }
        Some(pattern.to_owned())
    }

    fn calendar_pattern(
        kind: &str,
        settings: &TriggerSettings,
        required: bool,
        errors: &mut FieldErrors,
    ) -> Option<String> {
        let time = match settings.schedule_time.as_deref() {
            None => {
                if required {
                    errors.insert("schedule_time".into(), "is required for a daily, weekly or monthly schedule".into());
                }
                None
            }
            // A malformed time was reported by `of`.
            Some(t) => hour_minute(t),
        };
        let day = match (kind, settings.schedule_day) {
            ("daily", _) => Some("*".to_owned()),
            (_, None) => {
                if required {
                    errors.insert("schedule_day".into(), "is required for a weekly or monthly schedule".into());
                }
                None
            }
            // Agented counts Monday = 0 (as the original); cron counts Sunday = 0.
            ("weekly", Some(d @ 0..=6)) => Some(((d + 1) % 7).to_string()),
            ("weekly", Some(_)) => {
                errors.insert("schedule_day".into(), "must be 0–6 (Monday = 0) for a weekly schedule".into());
                None
            }
            (_, Some(d @ 1..=28)) => Some(d.to_string()),
            (_, Some(_)) => {
                errors.insert("schedule_day".into(), "must be 1–28 for a monthly schedule".into());
                None
            }
        };
        let ((h, m), day) = (time?, day?);
        Some(match kind {
            "weekly" => format!("{m} {h} * * {day}"),
            "monthly" => format!("{m} {h} {day} * *"),
            _ => format!("{m} {h} * * *"),
        })
    }

    /// The first slot strictly after `t`.
    #[must_use]
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let from = t.trunc_subsecs(0).with_timezone(&self.zone);
        self.cron.find_next_occurrence(&from, false).ok().map(|d| d.with_timezone(&Utc))
    }

    /// The latest slot at or before `t`.
    #[must_use]
    pub fn latest_until(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let from = t.trunc_subsecs(0).with_timezone(&self.zone);
        self.cron.find_previous_occurrence(&from, true).ok().map(|d| d.with_timezone(&Utc))
    }

    /// What to do at `now` about the slot stored as due at `due`: `None` while
    /// it is not due yet. Of several slots due at once (the server was down),
    /// only the latest can run; the others are missed.
    #[must_use]
    pub fn plan(&self, due: DateTime<Utc>, now: DateTime<Utc>, catch_up: bool) -> Option<SlotPlan> {
        if now < due {
            return None;
        }
        let latest = self.latest_until(now).filter(|l| *l >= due).unwrap_or(due);
        let on_time = now - latest <= ON_TIME;
        let run = (on_time || catch_up).then_some(latest);
        let mut plan =
            SlotPlan { run, catching_up: run.is_some() && !on_time, missed: 0, first_missed: None, next: None };
        let mut slot = Some(due);
        while let Some(s) = slot {
            if (s >= latest && run.is_some()) || s > latest || plan.missed >= MAX_COUNTED_MISSES {
                break;
            }
            plan.missed += 1;
            plan.first_missed.get_or_insert(s);
            slot = self.next_after(s);
        }
        plan.next = self.next_after(now);
        Some(plan)
    }
}

/// When `settings` next run: the first slot after `now` of an enabled
/// `scheduled` trigger with a valid schedule, else `None`.
#[must_use]
pub fn next_run_at(settings: &TriggerSettings, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if !settings.enabled || settings.trigger_source != TriggerSource::Scheduled {
        return None;
    }
    Schedule::of(settings).ok().flatten().and_then(|s| s.next_after(now))
}

/// `next_run_at` after `before` (the stored trigger, if any) became `after`:
/// kept while nothing that decides the slots changed (so a rename cannot skip
/// a slot about to run), recomputed from `now` otherwise.
#[must_use]
pub fn next_run_after_change(
    before: Option<&Trigger>,
    after: &TriggerSettings,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let same = |b: &TriggerSettings| {
        b.enabled == after.enabled
            && b.trigger_source == after.trigger_source
            && b.schedule_type == after.schedule_type
            && b.schedule_time == after.schedule_time
            && b.schedule_day == after.schedule_day
            && b.schedule_cron == after.schedule_cron
            && b.schedule_timezone == after.schedule_timezone
    };
    match before {
        Some(b) if same(&b.settings) && b.next_run_at.is_some() => b.next_run_at,
        _ => next_run_at(after, now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn settings(kind: &str, time: Option<&str>, day: Option<i32>, cron: Option<&str>, zone: &str) -> TriggerSettings {
        TriggerSettings {
            trigger_source: TriggerSource::Scheduled,
            schedule_type: Some(kind.into()),
            schedule_time: time.map(Into::into),
            schedule_day: day,
            schedule_cron: cron.map(Into::into),
            schedule_timezone: Some(zone.into()),
            ..TriggerSettings::default()
        }
    }

    fn schedule(kind: &str, time: Option<&str>, day: Option<i32>, cron: Option<&str>, zone: &str) -> Schedule {
        Schedule::of(&settings(kind, time, day, cron, zone)).unwrap().unwrap()
    }

    /// The next `n` slots after `from`.
    fn slots(s: &Schedule, from: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        std::iter::successors(s.next_after(from), |t| s.next_after(*t)).take(n).collect()
    }

    #[test]
    fn each_kind_finds_its_slots() {
        // 2026-03-02 is a Monday.
        let start = utc(2026, 3, 2, 10, 0);
        let cases = [
            (schedule("daily", Some("09:30"), None, None, "UTC"), [utc(2026, 3, 3, 9, 30), utc(2026, 3, 4, 9, 30)]),
            // Wednesday = 2 (Monday = 0).
            (schedule("weekly", Some("08:00"), Some(2), None, "UTC"), [utc(2026, 3, 4, 8, 0), utc(2026, 3, 11, 8, 0)]),
            // Sunday = 6.
            (schedule("weekly", Some("08:00"), Some(6), None, "UTC"), [utc(2026, 3, 8, 8, 0), utc(2026, 3, 15, 8, 0)]),
            (schedule("monthly", Some("00:05"), Some(1), None, "UTC"), [utc(2026, 4, 1, 0, 5), utc(2026, 5, 1, 0, 5)]),
            (
                schedule("cron", None, None, Some("*/20 9-10 * * 1-5"), "UTC"),
                [utc(2026, 3, 2, 10, 20), utc(2026, 3, 2, 10, 40)],
            ),
            (schedule("cron", None, None, Some("@daily"), "UTC"), [utc(2026, 3, 3, 0, 0), utc(2026, 3, 4, 0, 0)]),
            // 09:00 in Tokyo (UTC+9, no DST) is midnight UTC.
            (
                schedule("daily", Some("09:00"), None, None, "Asia/Tokyo"),
                [utc(2026, 3, 3, 0, 0), utc(2026, 3, 4, 0, 0)],
            ),
        ];
        for (i, (s, expected)) in cases.iter().enumerate() {
            assert_eq!(slots(s, start, 2), expected.to_vec(), "case {i}");
        }
    }

    #[test]
    fn a_slot_is_strictly_after_the_instant_even_within_its_second() {
        let s = schedule("daily", Some("09:00"), None, None, "UTC");
        let at_slot = utc(2026, 3, 2, 9, 0) + TimeDelta::milliseconds(300);
        assert_eq!(s.next_after(at_slot), Some(utc(2026, 3, 3, 9, 0)));
        assert_eq!(s.latest_until(at_slot), Some(utc(2026, 3, 2, 9, 0)));
        assert_eq!(s.next_after(utc(2026, 3, 2, 9, 0) - TimeDelta::milliseconds(1)), Some(utc(2026, 3, 2, 9, 0)));
    }

    #[test]
    fn a_time_skipped_by_the_spring_change_runs_right_after_the_gap() {
        // Berlin, 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00 UTC).
        let s = schedule("daily", Some("02:30"), None, None, "Europe/Berlin");
        assert_eq!(
            slots(&s, utc(2026, 3, 27, 12, 0), 3),
            vec![utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30)]
        );
        // A time outside the gap keeps its wall-clock hour: UTC moves by one.
        let nine = schedule("daily", Some("09:00"), None, None, "Europe/Berlin");
        assert_eq!(slots(&nine, utc(2026, 3, 28, 0, 0), 2), vec![utc(2026, 3, 28, 8, 0), utc(2026, 3, 29, 7, 0)]);
    }

    #[test]
    fn a_time_repeated_by_the_autumn_change_runs_once() {
        // Berlin, 2026-10-25: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
        let s = schedule("daily", Some("02:30"), None, None, "Europe/Berlin");
        assert_eq!(
            slots(&s, utc(2026, 10, 24, 12, 0), 2),
            vec![utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)],
            "the first 02:30 (CEST) only"
        );
        // An hourly pattern runs in each real hour, both 02:00s included.
        let hourly = schedule("cron", None, None, Some("0 * * * *"), "Europe/Berlin");
        assert_eq!(
            slots(&hourly, utc(2026, 10, 24, 23, 30), 4),
            vec![utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 1, 0), utc(2026, 10, 25, 2, 0), utc(2026, 10, 25, 3, 0)]
        );
    }

    #[test]
    fn new_york_changes_on_its_own_dates() {
        // 2026-03-08: New York moves to EDT while Europe is still on winter time.
        let s = schedule("weekly", Some("07:00"), Some(6), None, "America/New_York");
        assert_eq!(slots(&s, utc(2026, 3, 1, 13, 0), 2), vec![utc(2026, 3, 8, 11, 0), utc(2026, 3, 15, 11, 0)]);
    }

    #[test]
    fn an_on_time_slot_runs() {
        let s = schedule("daily", Some("09:00"), None, None, "UTC");
        let due = utc(2026, 3, 2, 9, 0);
        assert_eq!(s.plan(due, due - TimeDelta::seconds(1), false), None, "not yet due");
        let plan = s.plan(due, due + TimeDelta::seconds(30), false).unwrap();
        assert_eq!(
            plan,
            SlotPlan {
                run: Some(due),
                catching_up: false,
                missed: 0,
                first_missed: None,
                next: Some(utc(2026, 3, 3, 9, 0))
            }
        );
    }

    #[test]
    fn a_slot_missed_while_down_is_skipped_unless_catch_up() {
        let s = schedule("daily", Some("09:00"), None, None, "UTC");
        let due = utc(2026, 3, 2, 9, 0);
        let back = utc(2026, 3, 4, 12, 0);
        let skipped = s.plan(due, back, false).unwrap();
        assert_eq!(skipped.run, None);
        assert_eq!((skipped.missed, skipped.first_missed), (3, Some(due)));
        assert_eq!(skipped.next, Some(utc(2026, 3, 5, 9, 0)));
        let caught = s.plan(due, back, true).unwrap();
        assert_eq!(caught.run, Some(utc(2026, 3, 4, 9, 0)), "once, for the latest slot");
        assert!(caught.catching_up);
        assert_eq!(caught.missed, 2);
        assert_eq!(caught.next, Some(utc(2026, 3, 5, 9, 0)));
    }

    #[test]
    fn when_down_across_a_slot_that_is_now_on_time_the_earlier_ones_are_missed() {
        let s = schedule("cron", None, None, Some("*/10 * * * *"), "UTC");
        let plan = s.plan(utc(2026, 3, 2, 9, 0), utc(2026, 3, 2, 9, 30) + TimeDelta::seconds(5), false).unwrap();
        assert_eq!(plan.run, Some(utc(2026, 3, 2, 9, 30)));
        assert!(!plan.catching_up);
        assert_eq!((plan.missed, plan.first_missed), (3, Some(utc(2026, 3, 2, 9, 0))));
        assert_eq!(plan.next, Some(utc(2026, 3, 2, 9, 40)));
    }

    #[test]
    fn counting_missed_slots_is_bounded() {
        let s = schedule("cron", None, None, Some("* * * * *"), "UTC");
        let plan = s.plan(utc(2026, 1, 1, 0, 0), utc(2026, 3, 1, 0, 0), false).unwrap();
        assert_eq!(plan.missed, MAX_COUNTED_MISSES);
    }

    #[test]
    fn invalid_schedules_name_the_field() {
        let cases: [(TriggerSettings, &str, &str); 10] = [
            (settings("hourly", Some("09:00"), None, None, "UTC"), "schedule_type", "unknown schedule"),
            (settings("daily", Some("9:00"), None, None, "UTC"), "schedule_time", "HH:MM"),
            (settings("daily", None, None, None, "UTC"), "schedule_time", "required"),
            (settings("weekly", Some("09:00"), Some(7), None, "UTC"), "schedule_day", "0–6"),
            (settings("weekly", Some("09:00"), None, None, "UTC"), "schedule_day", "required"),
            (settings("monthly", Some("09:00"), Some(31), None, "UTC"), "schedule_day", "1–28"),
            (settings("daily", Some("09:00"), None, None, "Mars/Olympus"), "schedule_timezone", "unknown time zone"),
            (settings("cron", None, None, Some("61 * * * *"), "UTC"), "schedule_cron", ""),
            (settings("cron", None, None, Some("0 0 30 2 *"), "UTC"), "schedule_cron", "never matches"),
            (settings("cron", None, None, Some("0 0 * * * *"), "UTC"), "schedule_cron", "five fields"),
        ];
        for (i, (s, field, words)) in cases.iter().enumerate() {
            let errors = Schedule::of(s).unwrap_err();
            let message = errors.get(*field).unwrap_or_else(|| panic!("case {i}: {errors:?}"));
            assert!(message.contains(words), "case {i}: {message}");
        }
        let no_schedule = TriggerSettings { trigger_source: TriggerSource::Scheduled, ..TriggerSettings::default() };
        assert!(Schedule::of(&no_schedule).unwrap_err().contains_key("schedule_type"));
        // Shape rules only, for another source: a manual trigger may keep an unfinished schedule.
        let manual = TriggerSettings { schedule_type: Some("weekly".into()), ..TriggerSettings::default() };
        assert!(Schedule::of(&manual).unwrap().is_none());
    }

    #[test]
    fn next_run_at_is_kept_unless_the_schedule_changes() {
        let now = utc(2026, 3, 2, 8, 0);
        let s = settings("daily", Some("09:00"), None, None, "UTC");
        assert_eq!(next_run_at(&s, now), Some(utc(2026, 3, 2, 9, 0)));
        assert_eq!(next_run_at(&TriggerSettings { enabled: false, ..s.clone() }, now), None);
        let stored = Trigger {
            id: agented_kernel::TriggerId::generate(),
            is_predefined: false,
            settings: s.clone(),
            next_run_at: Some(utc(2026, 3, 2, 9, 0)),
            last_run_at: None,
            created_at: now,
        };
        let later = utc(2026, 3, 2, 9, 0) + TimeDelta::milliseconds(500);
        let renamed = TriggerSettings { name: "renamed".into(), ..s.clone() };
        assert_eq!(next_run_after_change(Some(&stored), &renamed, later), Some(utc(2026, 3, 2, 9, 0)));
        let moved = TriggerSettings { schedule_time: Some("10:00".into()), ..s };
        assert_eq!(next_run_after_change(Some(&stored), &moved, later), Some(utc(2026, 3, 2, 10, 0)));
    }
}
