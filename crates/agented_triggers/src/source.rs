//! `SourceRule`: what fires a trigger, with the settings of that source alone —
//! a manual Run, a webhook match rule, a GitHub filter, or a schedule. Every
//! decision that depends on the source (does a delivery match, does GitHub's
//! event concern the trigger, which slot is due, would a test payload run it)
//! goes through it. The stored settings stay flat, so a trigger switched to
//! another source and back keeps what it had; the rule of the source in force
//! is what counts, and it is validated for that source.

use crate::models::TriggerSource;
use crate::schedule::Schedule;
use crate::trigger::{FieldErrors, TriggerSettings};
use crate::webhook::{WebhookMatch, text_of, value_at};
use serde_json::Value;

/// A generic webhook trigger's rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookRule<'a> {
    /// The dot path compared, and the value expected there (`None`: any value).
    pub match_field: Option<(&'a str, Option<&'a str>)>,
    /// Where the text for `{message}` (and the keyword) lives.
    pub text_field_path: &'a str,
    /// A word the text must contain (case-insensitive).
    pub detection_keyword: Option<&'a str>,
    /// The secret deliveries must be signed with.
    pub secret: Option<&'a str>,
}

/// A GitHub trigger's filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GithubFilter<'a> {
    /// `owner/name` repositories, lower case; empty: any.
    pub repos: &'a [String],
    /// `event` or `event.action` names.
    pub events: &'a [String],
}

/// What fires a trigger, with its source's settings.
#[derive(Debug, Clone)]
pub enum SourceRule<'a> {
    /// Only a person pressing Run.
    Manual,
    /// Generic deliveries matching the rule.
    Webhook(WebhookRule<'a>),
    /// GitHub events passing the filter.
    Github(GithubFilter<'a>),
    /// The schedule's slots.
    Scheduled(Box<Schedule>),
}

fn non_empty(value: Option<&String>) -> Option<&str> {
    value.map(String::as_str).filter(|v| !v.is_empty())
}

impl TriggerSettings {
    /// The webhook rule its settings hold (what counts when the source is `webhook`).
    #[must_use]
    pub fn webhook_rule(&self) -> WebhookRule<'_> {
        WebhookRule {
            match_field: non_empty(self.match_field_path.as_ref())
                .map(|path| (path, non_empty(self.match_field_value.as_ref()))),
            text_field_path: &self.text_field_path,
            detection_keyword: non_empty(self.detection_keyword.as_ref()),
            secret: non_empty(self.webhook_secret.as_ref()),
        }
    }

    /// The GitHub filter its settings hold (what counts when the source is `github`).
    #[must_use]
    pub fn github_filter(&self) -> GithubFilter<'_> {
        GithubFilter { repos: &self.github_repos, events: &self.github_events }
    }

    /// The rule of the source in force.
    ///
    /// # Errors
    /// What the source needs and lacks (a schedule's kind, time or day), one message per field.
    pub fn rule(&self) -> Result<SourceRule<'_>, FieldErrors> {
        Ok(match self.trigger_source {
            TriggerSource::Manual => SourceRule::Manual,
            TriggerSource::Webhook => SourceRule::Webhook(self.webhook_rule()),
            TriggerSource::Github => SourceRule::Github(self.github_filter()),
            TriggerSource::Scheduled => match Schedule::of(self)? {
                Some(schedule) => SourceRule::Scheduled(Box::new(schedule)),
                None => {
                    let why = "is required for a scheduled trigger";
                    return Err(FieldErrors::from([("schedule_type".to_owned(), why.to_owned())]));
                }
            },
        })
    }
}

impl WebhookRule<'_> {
    /// Whether `payload` is for the trigger (its signature is checked elsewhere).
    #[must_use]
    pub fn matches(&self, payload: &Value) -> WebhookMatch {
        if let Some((path, expected)) = self.match_field {
            match (expected, value_at(payload, path).and_then(text_of)) {
                (_, None) => return WebhookMatch::NotMatched(format!("no value at '{path}'")),
                (Some(expected), Some(found)) if found != expected => {
                    return WebhookMatch::NotMatched(format!("'{path}' is '{found}', not '{expected}'"));
                }
                _ => {}
            }
        }
        let message = value_at(payload, self.text_field_path).and_then(text_of);
        if let Some(keyword) = self.detection_keyword {
            let Some(text) = &message else {
                return WebhookMatch::NotMatched(format!("no text at '{}'", self.text_field_path));
            };
            if !text.to_lowercase().contains(&keyword.to_lowercase()) {
                return WebhookMatch::NotMatched(format!("the text does not contain '{keyword}'"));
            }
        }
        WebhookMatch::Matched { message }
    }
}

impl GithubFilter<'_> {
    /// Whether an event named `name` (`event.action`) of `event` in `repository` passes.
    #[must_use]
    pub fn wants(&self, name: &str, event: &str, repository: Option<&str>) -> bool {
        let event_ok = self.events.iter().any(|e| e == name || e == event);
        let repo_ok = self.repos.is_empty() || repository.is_some_and(|r| self.repos.iter().any(|want| want == r));
        event_ok && repo_ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(source: TriggerSource) -> TriggerSettings {
        TriggerSettings { trigger_source: source, ..TriggerSettings::default() }
    }

    #[test]
    fn each_source_has_its_own_rule_and_the_others_settings_do_not_count() {
        let mut webhook = settings(TriggerSource::Webhook);
        webhook.match_field_path = Some("kind".into());
        webhook.schedule_type = Some("daily".into());
        let SourceRule::Webhook(rule) = webhook.rule().unwrap() else { panic!("a webhook rule") };
        assert_eq!(rule.match_field, Some(("kind", None)));
        assert!(matches!(settings(TriggerSource::Manual).rule().unwrap(), SourceRule::Manual));
        let github = settings(TriggerSource::Github);
        let SourceRule::Github(filter) = github.rule().unwrap() else { panic!("a GitHub filter") };
        assert!(filter.wants("pull_request.opened", "pull_request", Some("any/repo")));
        assert!(!filter.wants("issues.opened", "issues", None));
    }

    #[test]
    fn a_scheduled_trigger_needs_a_schedule() {
        let errors = settings(TriggerSource::Scheduled).rule().unwrap_err();
        assert!(errors.contains_key("schedule_type"), "{errors:?}");
        let mut daily = settings(TriggerSource::Scheduled);
        daily.schedule_type = Some("daily".into());
        daily.schedule_time = Some("09:00".into());
        assert!(matches!(daily.rule().unwrap(), SourceRule::Scheduled(_)));
    }
}
