//! Notices: events worth telling people outside Agented about (a run ended, a
//! budget nears its limit, a workflow waits for a person). Domains emit them
//! through the [`Notices`] port; the notifications domain decides who hears.

use crate::TriggerId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Mutex;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoticeEvent {
    /// A run ended without failing (succeeded or was cancelled).
    RunFinished,
    /// A run failed, timed out or was interrupted.
    RunFailed,
    /// A budget reached its soft limit (once per period).
    BudgetWarning,
    /// A workflow waits for a person's approval.
    ApprovalNeeded,
    /// A worker stopped sending heartbeats; its run was interrupted.
    WorkerLost,
}

impl NoticeEvent {
    /// Every event, in the order shown to users.
    pub const ALL: [Self; 5] =
        [Self::RunFinished, Self::RunFailed, Self::BudgetWarning, Self::ApprovalNeeded, Self::WorkerLost];

    /// The name used in the API and in a webhook's `type`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::RunFinished => "run.finished",
            Self::RunFailed => "run.failed",
            Self::BudgetWarning => "budget.warning",
            Self::ApprovalNeeded => "approval.needed",
            Self::WorkerLost => "worker.lost",
        }
    }

    /// The event named `name`, if any.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == name)
    }
}

impl std::fmt::Display for NoticeEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One fact of a notice, as it appears in a webhook's JSON `data`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum NoticeValue {
    /// Text.
    Text(String),
    /// A whole number.
    Integer(i64),
    /// A number (dollars).
    Number(f64),
}

impl std::fmt::Display for NoticeValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Text(t) => f.write_str(t),
            Self::Integer(n) => write!(f, "{n}"),
            Self::Number(n) => write!(f, "{n:.4}"),
        }
    }
}

/// One event to tell.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    /// What happened.
    pub event: NoticeEvent,
    /// Names this occurrence: the same occurrence told twice (a retry, a second
    /// process) has the same key, so it is delivered once.
    pub key: String,
    /// The trigger it concerns, for notifiers attached to one trigger.
    pub trigger_id: Option<TriggerId>,
    /// One readable sentence, without the trigger's name (the notifier adds it).
    pub summary: String,
    /// The dashboard page that shows it (`/executions/…`), when there is one.
    pub link: Option<String>,
    /// The facts, by name (`execution_id`, `status`, `cost_usd`, …).
    pub data: BTreeMap<&'static str, NoticeValue>,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl Notice {
    /// A notice with no facts yet.
    #[must_use]
    pub fn new(event: NoticeEvent, key: String, summary: String, at: DateTime<Utc>) -> Self {
        Self { event, key, trigger_id: None, summary, link: None, data: BTreeMap::new(), at }
    }

    /// Adds a text fact.
    #[must_use]
    pub fn text(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.data.insert(name, NoticeValue::Text(value.into()));
        self
    }

    /// Adds a fact when there is one.
    #[must_use]
    pub fn fact(mut self, name: &'static str, value: Option<NoticeValue>) -> Self {
        if let Some(value) = value {
            self.data.insert(name, value);
        }
        self
    }
}

/// Where notices go. Never blocks and never fails: delivery is the receiver's
/// work, done apart from the caller (a run's end must not wait on a webhook).
pub trait Notices: Send + Sync {
    /// Tells `notice`.
    fn notify(&self, notice: Notice);
}

/// Tells no one (no notifications wired, and in tests that do not look).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoNotices;

impl Notices for NoNotices {
    fn notify(&self, _: Notice) {}
}

/// Keeps every notice told, for tests.
#[derive(Debug, Default)]
pub struct RecordedNotices(Mutex<Vec<Notice>>);

impl RecordedNotices {
    /// The notices told so far, in order.
    #[must_use]
    pub fn all(&self) -> Vec<Notice> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

impl Notices for RecordedNotices {
    fn notify(&self, notice: Notice) {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(notice);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names_round_trip_and_unknown_names_are_refused() {
        for event in NoticeEvent::ALL {
            assert_eq!(NoticeEvent::parse(event.as_str()), Some(event));
        }
        assert_eq!(NoticeEvent::parse("run.started"), None);
    }

    #[test]
    fn facts_serialise_as_plain_json_values() {
        let notice = Notice::new(NoticeEvent::RunFailed, "k".into(), "s".into(), Utc::now())
            .text("status", "failed")
            .fact("exit_code", Some(NoticeValue::Integer(2)))
            .fact("cost_usd", Some(NoticeValue::Number(0.25)))
            .fact("absent", None);
        let json = serde_json::to_string(&notice.data).unwrap();
        assert_eq!(json, r#"{"cost_usd":0.25,"exit_code":2,"status":"failed"}"#);
        assert_eq!(notice.data["cost_usd"].to_string(), "0.2500");
    }
}
