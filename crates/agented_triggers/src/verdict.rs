//! "Would this delivery run the trigger?": enablement, source, the match field
//! and keyword of a webhook trigger, the repository, event and prompt fields of
//! a GitHub one. Signatures and dedup aside; nothing is started.

use crate::github::GithubEvent;
use crate::source::SourceRule;
use crate::trigger::{FieldErrors, TriggerSettings};
use crate::webhook::WebhookMatch;
use serde_json::Value;

/// What a delivery would do to a trigger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchVerdict {
    /// It would start a run.
    pub matches: bool,
    /// Why not.
    pub reason: Option<String>,
    /// What would fill `{message}`.
    pub message: Option<String>,
    /// The delivery must also carry a valid signature.
    pub requires_signature: bool,
}

impl MatchVerdict {
    fn yes(message: Option<String>, requires_signature: bool) -> Self {
        Self { matches: true, reason: None, message, requires_signature }
    }

    fn no(reason: String, requires_signature: bool) -> Self {
        Self { matches: false, reason: Some(reason), message: None, requires_signature }
    }
}

/// Whether `payload` (with GitHub's `event` name) would run a trigger with settings `s`.
///
/// # Errors
/// Field → message: a payload that is not an object, a GitHub trigger asked without an event.
pub fn verdict(s: &TriggerSettings, payload: &Value, event: Option<&str>) -> Result<MatchVerdict, FieldErrors> {
    let invalid = |field: &str, why: &str| FieldErrors::from([(field.to_owned(), why.to_owned())]);
    if !payload.is_object() {
        return Err(invalid("payload", "must be a JSON object"));
    }
    Ok(match s.rule() {
        _ if !s.enabled => MatchVerdict::no("the trigger is disabled".into(), false),
        Ok(SourceRule::Webhook(rule)) => {
            let signed = rule.secret.is_some();
            match rule.matches(payload) {
                WebhookMatch::Matched { message } => MatchVerdict::yes(message, signed),
                WebhookMatch::NotMatched(why) => MatchVerdict::no(why, signed),
            }
        }
        Ok(SourceRule::Github(filter)) => {
            let Some(event) = event.map(str::trim).filter(|e| !e.is_empty()) else {
                return Err(invalid("event", "is required for a GitHub trigger (the X-GitHub-Event value)"));
            };
            let event = GithubEvent::parse(event, payload);
            let missing = event.missing_for(&s.prompt_template);
            if !filter.wants(&event.name(), &event.event, event.repository.as_deref()) {
                let repos = if filter.repos.is_empty() { "any repository".to_owned() } else { filter.repos.join(", ") };
                let why = format!(
                    "it wants {} from {repos}; this is {} from {}",
                    filter.events.join(", "),
                    event.name(),
                    event.repository.as_deref().unwrap_or("no repository")
                );
                MatchVerdict::no(why, true)
            } else if !missing.is_empty() {
                MatchVerdict::no(
                    format!("the prompt needs {} which this event does not have", missing.join(", ")),
                    true,
                )
            } else {
                let message = event.values.iter().find(|(n, _)| n == "message").map(|(_, v)| v.clone());
                MatchVerdict::yes(message, true)
            }
        }
        _ => MatchVerdict::no(format!("the trigger is started by {}, not by deliveries", s.trigger_source), false),
    })
}
