//! A notifier: where notices go (an outgoing webhook or a Slack incoming webhook),
//! which events it hears, and whether it hears one trigger or all.

use agented_kernel::{NoticeEvent, NotifierId, TriggerId};
use agented_triggers::FieldErrors;
use agented_triggers::patch::nullable;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// The longest name.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest URL.
pub const MAX_URL_CHARS: usize = 2000;

/// How a notice is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifierKind {
    /// A JSON POST signed the Standard Webhooks way.
    Webhook,
    /// A Slack incoming webhook: a readable message with a link.
    Slack,
}

impl NotifierKind {
    /// `webhook` or `slack`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Slack => "slack",
        }
    }

    /// The kind named `name`.
    ///
    /// # Errors
    /// The message for an unknown name.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name {
            "webhook" => Ok(Self::Webhook),
            "slack" => Ok(Self::Slack),
            other => Err(format!("unknown kind '{other}': expected webhook or slack")),
        }
    }
}

/// A stored notifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notifier {
    /// `ntf-…`.
    pub id: NotifierId,
    /// Shown in lists.
    pub name: String,
    /// How it sends.
    pub kind: NotifierKind,
    /// Where it sends. A Slack URL is itself a credential: views mask it.
    pub url: String,
    /// A webhook's signing secret (`whsec_…`); Slack has none.
    pub secret: Option<String>,
    /// The one trigger it hears; `None`: every trigger, and the notices of no trigger.
    pub trigger_id: Option<TriggerId>,
    /// What it hears.
    pub events: Vec<NoticeEvent>,
    /// Whether it sends at all.
    pub enabled: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Notifier {
    /// Whether it sends a notice of `event` about `trigger`.
    #[must_use]
    pub fn hears(&self, event: NoticeEvent, trigger: Option<&TriggerId>) -> bool {
        self.enabled
            && self.events.contains(&event)
            && self.trigger_id.as_ref().is_none_or(|mine| trigger == Some(mine))
    }

    /// The URL as views show it: a Slack webhook's path and any query are credentials.
    #[must_use]
    pub fn url_shown(&self) -> String {
        let without_query = self.url.split(['?', '#']).next().unwrap_or_default();
        match self.kind {
            NotifierKind::Webhook if without_query.len() == self.url.len() => self.url.clone(),
            NotifierKind::Webhook => format!("{without_query}?…"),
            NotifierKind::Slack => {
                let origin_end = without_query.find("://").map_or(0, |i| i + 3);
                let host_end = without_query[origin_end..].find('/').map_or(without_query.len(), |i| origin_end + i);
                format!("{}/…", &without_query[..host_end])
            }
        }
    }

    /// The first characters of the signing secret, to tell secrets apart.
    #[must_use]
    pub fn secret_hint(&self) -> Option<String> {
        self.secret.as_ref().map(|s| format!("{}…", s.chars().take(10).collect::<String>()))
    }
}

/// A requested notifier or change (`POST`, `PUT`). Absent keeps; `trigger_id: null` makes
/// it hear every trigger.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NotifierPatch {
    /// Shown in lists.
    pub name: Option<String>,
    /// `webhook` or `slack` (fixed once created).
    pub kind: Option<String>,
    /// An `http(s)` URL.
    pub url: Option<String>,
    /// One trigger, or `null` for all.
    #[serde(deserialize_with = "nullable")]
    pub trigger_id: Option<Option<String>>,
    /// Event names (`run.finished`, `run.failed`, `budget.warning`, `approval.needed`, `worker.lost`).
    pub events: Option<Vec<String>>,
    /// Whether it sends.
    pub enabled: Option<bool>,
}

/// A notifier's settings, checked (all but whether its trigger exists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifierDraft {
    /// See [`Notifier`].
    pub name: String,
    /// See [`Notifier`].
    pub kind: NotifierKind,
    /// See [`Notifier`].
    pub url: String,
    /// See [`Notifier`].
    pub trigger_id: Option<TriggerId>,
    /// See [`Notifier`].
    pub events: Vec<NoticeEvent>,
    /// See [`Notifier`].
    pub enabled: bool,
}

impl NotifierPatch {
    /// The settings of a new notifier: `name`, `kind`, `url` and `events` are required.
    ///
    /// # Errors
    /// Field → why, for every bad or missing field.
    pub fn create(self) -> Result<NotifierDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        for (field, absent) in [
            ("name", self.name.is_none()),
            ("kind", self.kind.is_none()),
            ("url", self.url.is_none()),
            ("events", self.events.is_none()),
        ] {
            if absent {
                errors.insert(field.into(), "is required".into());
            }
        }
        let kind = self.kind.as_deref().map(NotifierKind::parse).transpose().unwrap_or_else(|e| {
            errors.insert("kind".into(), e);
            None
        });
        let base = NotifierDraft {
            name: String::new(),
            kind: kind.unwrap_or(NotifierKind::Webhook),
            url: String::new(),
            trigger_id: None,
            events: Vec::new(),
            enabled: true,
        };
        let draft = self.apply_to(base, &mut errors);
        if errors.is_empty() { Ok(draft) } else { Err(errors) }
    }

    /// `current` changed by this patch. A `url` equal to the masked one views show keeps
    /// the stored URL, so a client may send back what it fetched.
    ///
    /// # Errors
    /// Field → why, for every bad field.
    pub fn apply(self, current: &Notifier) -> Result<NotifierDraft, FieldErrors> {
        let mut errors = FieldErrors::new();
        if let Some(kind) = &self.kind
            && kind != current.kind.as_str()
        {
            errors.insert("kind".into(), "cannot change: create a new notifier".into());
        }
        let url = self.url.clone().filter(|u| *u != current.url_shown());
        let base = NotifierDraft {
            name: current.name.clone(),
            kind: current.kind,
            url: current.url.clone(),
            trigger_id: current.trigger_id.clone(),
            events: current.events.clone(),
            enabled: current.enabled,
        };
        let draft = Self { url, ..self }.apply_to(base, &mut errors);
        if errors.is_empty() { Ok(draft) } else { Err(errors) }
    }

    fn apply_to(self, mut draft: NotifierDraft, errors: &mut FieldErrors) -> NotifierDraft {
        if let Some(name) = self.name {
            let name = name.trim();
            if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
                errors.insert("name".into(), format!("must be 1 to {MAX_NAME_CHARS} characters"));
            }
            name.clone_into(&mut draft.name);
        }
        if let Some(url) = self.url {
            let url = url.trim().to_owned();
            if let Err(why) = check_url(&url) {
                errors.insert("url".into(), why);
            }
            draft.url = url;
        }
        if let Some(trigger) = self.trigger_id {
            draft.trigger_id = match trigger.map(TriggerId::try_from).transpose() {
                Ok(t) => t,
                Err(e) => {
                    errors.insert("trigger_id".into(), e.to_string());
                    None
                }
            };
        }
        if let Some(names) = self.events {
            let mut events = Vec::new();
            for name in &names {
                match NoticeEvent::parse(name) {
                    Some(e) if !events.contains(&e) => events.push(e),
                    Some(_) => {}
                    None => {
                        let known: Vec<&str> = NoticeEvent::ALL.iter().map(|e| e.as_str()).collect();
                        errors
                            .insert("events".into(), format!("unknown event '{name}': expected {}", known.join(", ")));
                    }
                }
            }
            if names.is_empty() {
                errors.insert("events".into(), "name at least one event".into());
            }
            events.sort();
            draft.events = events;
        }
        if let Some(enabled) = self.enabled {
            draft.enabled = enabled;
        }
        draft
    }
}

/// Why `url` cannot be a notifier's URL (Slack's are https, but a relay or a test may not be).
fn check_url(url: &str) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")) else {
        return Err("must be an http or https URL".into());
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) || host.contains('@') {
        return Err("must name a host (and no user or password)".into());
    }
    if url.chars().count() > MAX_URL_CHARS || url.chars().any(char::is_control) {
        return Err(format!("must be at most {MAX_URL_CHARS} characters, without control characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(json: &str) -> NotifierPatch {
        serde_json::from_str(json).expect("json")
    }

    fn stored(kind: NotifierKind, url: &str) -> Notifier {
        Notifier {
            id: NotifierId::parse("ntf-test").expect("id"),
            name: "n".into(),
            kind,
            url: url.into(),
            secret: None,
            trigger_id: None,
            events: vec![NoticeEvent::RunFailed],
            enabled: true,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            updated_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_full_request_makes_a_draft_with_events_in_order_and_once() {
        let draft = patch(
            r#"{"name":" Ops ","kind":"slack","url":"https://hooks.slack.com/services/T1/B2/x","events":["run.failed","budget.warning","run.failed"]}"#,
        )
        .create()
        .expect("valid");
        assert_eq!(draft.name, "Ops");
        assert_eq!(draft.kind, NotifierKind::Slack);
        assert_eq!(draft.events, vec![NoticeEvent::RunFailed, NoticeEvent::BudgetWarning]);
        assert!(draft.enabled);
        assert_eq!(draft.trigger_id, None);
    }

    #[test]
    fn every_bad_or_missing_field_is_named() {
        let errors = patch("{}").create().expect_err("empty");
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["events", "kind", "name", "url"]);
        let errors =
            patch(r#"{"name":"","kind":"pager","url":"ftp://x","events":["run.started"],"trigger_id":"nope"}"#)
                .create()
                .expect_err("bad");
        assert_eq!(errors.keys().collect::<Vec<_>>(), ["events", "kind", "name", "trigger_id", "url"]);
        assert!(errors["events"].contains("unknown event 'run.started'"), "{errors:?}");
        for url in ["https://", "https://user:pw@host/x", "https://ho st/x"] {
            let p = NotifierPatch { url: Some(url.into()), ..NotifierPatch::default() };
            assert!(p.apply(&stored(NotifierKind::Webhook, "https://a/b")).is_err(), "{url}");
        }
        let none = patch(r#"{"events":[]}"#).apply(&stored(NotifierKind::Webhook, "https://a/b"));
        assert!(none.expect_err("no events").contains_key("events"));
    }

    #[test]
    fn views_mask_credentials_in_urls_and_the_masked_url_sent_back_keeps_the_stored_one() {
        let slack = stored(NotifierKind::Slack, "https://hooks.slack.com/services/T1/B2/secret");
        assert_eq!(slack.url_shown(), "https://hooks.slack.com/…");
        let hook = stored(NotifierKind::Webhook, "https://example.com/in?token=abc");
        assert_eq!(hook.url_shown(), "https://example.com/in?…");
        assert_eq!(stored(NotifierKind::Webhook, "https://e.com/in").url_shown(), "https://e.com/in");
        let echoed = NotifierPatch { url: Some(slack.url_shown()), ..NotifierPatch::default() };
        assert_eq!(echoed.apply(&slack).expect("valid").url, slack.url);
        let kind = patch(r#"{"kind":"webhook"}"#).apply(&slack).expect_err("fixed");
        assert!(kind["kind"].contains("cannot change"));
    }

    #[test]
    fn a_notifier_hears_its_events_of_its_trigger_or_of_all_while_enabled() {
        let t = TriggerId::try_from("trig-a".to_owned()).expect("id");
        let other = TriggerId::try_from("trig-b".to_owned()).expect("id");
        let mut n = stored(NotifierKind::Webhook, "https://a/b");
        assert!(n.hears(NoticeEvent::RunFailed, Some(&t)));
        assert!(n.hears(NoticeEvent::RunFailed, None));
        assert!(!n.hears(NoticeEvent::RunFinished, Some(&t)));
        n.trigger_id = Some(t.clone());
        assert!(n.hears(NoticeEvent::RunFailed, Some(&t)));
        assert!(!n.hears(NoticeEvent::RunFailed, Some(&other)));
        assert!(!n.hears(NoticeEvent::RunFailed, None), "a trigger's notifier hears only that trigger");
        n.enabled = false;
        assert!(!n.hears(NoticeEvent::RunFailed, Some(&t)));
    }
}
