//! GitHub events as triggers see them: which event and action, which
//! repository, and the placeholder values the event can fill. Whether a
//! trigger wants an event is decided here; signatures are checked elsewhere.

use crate::TriggerSettings;
use crate::webhook::{text_of, value_at};
use serde_json::Value;

/// Placeholders only GitHub events fill, each with the payload path it comes from per event.
const FIELDS: &[(&str, &str, &str)] = &[
    // (event, placeholder, path)
    ("pull_request", "pr_url", "pull_request.html_url"),
    ("pull_request", "pr_number", "pull_request.number"),
    ("pull_request", "pr_title", "pull_request.title"),
    ("pull_request", "pr_author", "pull_request.user.login"),
    ("pull_request", "pr_branch", "pull_request.head.ref"),
    ("pull_request", "message", "pull_request.body"),
    ("issues", "issue_url", "issue.html_url"),
    ("issues", "issue_number", "issue.number"),
    ("issues", "issue_title", "issue.title"),
    ("issues", "issue_author", "issue.user.login"),
    ("issues", "message", "issue.body"),
    ("issue_comment", "issue_url", "issue.html_url"),
    ("issue_comment", "issue_number", "issue.number"),
    ("issue_comment", "issue_title", "issue.title"),
    ("issue_comment", "comment_author", "comment.user.login"),
    ("issue_comment", "message", "comment.body"),
    ("push", "push_ref", "ref"),
    ("push", "pusher", "pusher.name"),
    ("push", "message", "head_commit.message"),
];

/// Placeholders every event with a repository fills.
const REPO_FIELDS: &[(&str, &str)] = &[("repo_url", "repository.html_url"), ("repo_full_name", "repository.full_name")];

/// Every placeholder a GitHub event may fill (`message` aside, which other sources fill too).
#[must_use]
pub fn github_placeholders() -> Vec<&'static str> {
    let mut names: Vec<&str> =
        FIELDS.iter().map(|(_, name, _)| *name).chain(REPO_FIELDS.iter().map(|(n, _)| *n)).collect();
    names.retain(|n| *n != "message");
    names.sort_unstable();
    names.dedup();
    names
}

/// One delivered GitHub event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubEvent {
    /// `X-GitHub-Event` (`pull_request`, `push`, …).
    pub event: String,
    /// The payload's `action`, when it has one (`opened`, `closed`, …).
    pub action: Option<String>,
    /// `owner/name`, lower case, when the event concerns a repository.
    pub repository: Option<String>,
    /// Placeholder values the payload has.
    pub values: Vec<(String, String)>,
    /// The repository, pull request or issue, and commit the event concerns.
    pub github: Option<crate::GithubOrigin>,
    /// A comment's author's standing in the repository (`OWNER`, `MEMBER`, `COLLABORATOR`, …).
    pub author_association: Option<String>,
    /// Whether a closed pull request was merged.
    pub merged: bool,
    /// A submitted review's state (`approved`, `changes_requested`, `commented`) and text.
    pub review: Option<(String, Option<String>)>,
}

impl GithubEvent {
    /// Reads `payload` as an `event` delivery.
    #[must_use]
    pub fn parse(event: &str, payload: &Value) -> Self {
        let field = |path: &str| value_at(payload, path).and_then(text_of);
        let values = FIELDS
            .iter()
            .filter(|(e, _, _)| *e == event)
            .map(|(_, name, path)| (*name, *path))
            .chain(REPO_FIELDS.iter().copied())
            .filter_map(|(name, path)| field(path).map(|v| (name.to_owned(), v)))
            .collect();
        let repository = field("repository.full_name").map(|r| r.to_lowercase());
        Self {
            event: event.to_owned(),
            action: field("action"),
            github: crate::GithubOrigin::from_event(event, payload, repository.as_deref()),
            author_association: field("comment.author_association"),
            merged: value_at(payload, "pull_request.merged").and_then(Value::as_bool) == Some(true),
            review: field("review.state").map(|state| (state, field("review.body"))),
            repository,
            values,
        }
    }

    /// `event.action`, or `event` for events without an action.
    #[must_use]
    pub fn name(&self) -> String {
        self.action.as_ref().map_or_else(|| self.event.clone(), |a| format!("{}.{a}", self.event))
    }

    /// Whether a trigger with `settings` fires for this event (source and enablement aside).
    #[must_use]
    pub fn wanted_by(&self, settings: &TriggerSettings) -> bool {
        settings.github_filter().wants(&self.name(), &self.event, self.repository.as_deref())
    }

    /// GitHub placeholders `template` uses that this event does not fill.
    #[must_use]
    pub fn missing_for(&self, template: &str) -> Vec<String> {
        github_placeholders()
            .into_iter()
            .filter(|name| template.contains(&format!("{{{name}}}")) && !self.values.iter().any(|(n, _)| n == name))
            .map(str::to_owned)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pr(action: &str, repo: &str) -> Value {
        json!({
            "action": action,
            "number": 7,
            "pull_request": { "html_url": "https://github.com/o/r/pull/7", "number": 7, "title": "Fix it",
                              "user": { "login": "ann" }, "head": { "ref": "fix/it" }, "body": "Please review" },
            "repository": { "full_name": repo, "html_url": format!("https://github.com/{repo}") }
        })
    }

    fn settings(repos: &[&str], events: &[&str]) -> TriggerSettings {
        TriggerSettings {
            github_repos: repos.iter().map(|r| (*r).to_owned()).collect(),
            github_events: events.iter().map(|e| (*e).to_owned()).collect(),
            ..TriggerSettings::default()
        }
    }

    #[test]
    fn a_pull_request_fills_the_pr_placeholders() {
        let event = GithubEvent::parse("pull_request", &pr("opened", "Acme/Web"));
        assert_eq!(event.name(), "pull_request.opened");
        assert_eq!(event.repository.as_deref(), Some("acme/web"));
        let get = |n: &str| event.values.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        assert_eq!(get("pr_url"), Some("https://github.com/o/r/pull/7"));
        assert_eq!(get("pr_number"), Some("7"));
        assert_eq!(get("pr_title"), Some("Fix it"));
        assert_eq!(get("pr_author"), Some("ann"));
        assert_eq!(get("pr_branch"), Some("fix/it"));
        assert_eq!(get("message"), Some("Please review"));
        assert_eq!(get("repo_full_name"), Some("Acme/Web"));
    }

    #[test]
    fn repository_and_event_filters() {
        let opened = GithubEvent::parse("pull_request", &pr("opened", "acme/web"));
        let closed = GithubEvent::parse("pull_request", &pr("closed", "acme/web"));
        let push =
            GithubEvent::parse("push", &json!({ "ref": "refs/heads/main", "repository": { "full_name": "acme/api" } }));
        let defaults = TriggerSettings::default();
        assert!(opened.wanted_by(&defaults), "defaults: any repository, opened PRs");
        assert!(!closed.wanted_by(&defaults), "closed is not a default event");
        assert!(!push.wanted_by(&defaults));
        assert!(opened.wanted_by(&settings(&["acme/web"], &["pull_request.opened"])));
        assert!(!opened.wanted_by(&settings(&["acme/api"], &["pull_request.opened"])), "another repository");
        assert!(closed.wanted_by(&settings(&[], &["pull_request"])), "an event without action takes every action");
        assert!(push.wanted_by(&settings(&["acme/api"], &["push"])));
        assert!(!push.wanted_by(&settings(&["acme/web"], &["push"])));
    }

    #[test]
    fn missing_fields_are_named_for_the_template() {
        let issue = GithubEvent::parse(
            "issues",
            &json!({ "action": "opened", "issue": { "title": "Bug" }, "repository": { "full_name": "a/b" } }),
        );
        assert_eq!(issue.missing_for("Triage {issue_title} ({issue_url}) in {repo_full_name}"), vec!["issue_url"]);
        assert_eq!(issue.missing_for("PR {pr_title}"), vec!["pr_title"]);
        assert!(issue.missing_for("{message} {trigger_id}").is_empty(), "not GitHub placeholders");
    }
}
