//! Where a GitHub-fired run comes from: the repository, the pull request or
//! issue, and the commit to check out (the pull request's head, the pushed
//! commit; none: the default branch). Results are posted back to it. Every
//! value comes from a delivery, so each is checked before git or GitHub sees it.

use crate::webhook::{text_of, value_at};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The GitHub event a run answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GithubOrigin {
    /// `owner/name`, lower case.
    pub repository: String,
    /// The pull request's or issue's number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
    /// Whether `number` is a pull request.
    #[serde(default)]
    pub pull_request: bool,
    /// The commit to check out, 40 or 64 hex digits (a pull request's head, a pushed commit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

fn is_commit(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit()) && s.bytes().any(|b| b != b'0')
}

fn is_repository(s: &str) -> bool {
    let mut parts = s.split('/');
    let part_ok = |p: Option<&str>| {
        p.is_some_and(|p| {
            !p.is_empty() && !p.starts_with('.') && p.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        })
    };
    part_ok(parts.next()) && part_ok(parts.next()) && parts.next().is_none()
}

impl GithubOrigin {
    /// The origin of an `event` delivery of `payload` on `repository`, if it concerns one.
    #[must_use]
    pub fn from_event(event: &str, payload: &Value, repository: Option<&str>) -> Option<Self> {
        let repository = repository.map(str::to_lowercase).filter(|r| is_repository(r))?;
        let field = |path: &str| value_at(payload, path).and_then(text_of);
        let number = |path: &str| field(path).and_then(|n| n.parse::<u64>().ok()).filter(|n| *n > 0);
        let commit = |path: &str| field(path).filter(|c| is_commit(c)).map(|c| c.to_lowercase());
        let (number, pull_request, commit) = match event {
            "pull_request" | "pull_request_review" | "pull_request_review_comment" => {
                (number("pull_request.number"), true, commit("pull_request.head.sha"))
            }
            "issue_comment" | "issues" => {
                (number("issue.number"), value_at(payload, "issue.pull_request").is_some(), None)
            }
            "push" => (None, false, commit("after")),
            _ => (None, false, None),
        };
        Some(Self { repository, number, pull_request: pull_request && number.is_some(), commit })
    }

    /// The ref fetched for a pull request's head (`refs/pull/7/head`), as GitHub keeps it.
    #[must_use]
    pub fn fetch_ref(&self) -> Option<String> {
        self.number.filter(|_| self.pull_request).map(|n| format!("refs/pull/{n}/head"))
    }

    /// Whether a run checks out something other than the default branch.
    #[must_use]
    pub const fn has_checkout(&self) -> bool {
        self.commit.is_some() || (self.pull_request && self.number.is_some())
    }

    /// Whether this is the repository at `url` (`https://github.com/owner/name[.git]`).
    #[must_use]
    pub fn is_of(&self, url: &str) -> bool {
        let url = url.trim_end_matches('/').to_lowercase();
        let url = url.strip_suffix(".git").unwrap_or(&url);
        url.strip_suffix(&self.repository).is_some_and(|rest| rest.ends_with('/'))
    }

    /// Whether a stored origin is still one `from_event` could have made (a
    /// snapshot read back must not hand git or GitHub anything else).
    #[must_use]
    pub fn is_well_formed(&self) -> bool {
        is_repository(&self.repository)
            && self.commit.as_deref().is_none_or(is_commit)
            && self.number.is_none_or(|n| n > 0)
            && (!self.pull_request || self.number.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn a_pull_request_checks_out_its_head() {
        let payload = json!({"pull_request": {"number": 7, "head": {"sha": SHA.to_uppercase()}}});
        let o = GithubOrigin::from_event("pull_request", &payload, Some("Acme/API")).unwrap();
        assert_eq!((o.repository.as_str(), o.number, o.pull_request), ("acme/api", Some(7), true));
        assert_eq!(o.fetch_ref().as_deref(), Some("refs/pull/7/head"));
        assert_eq!(o.commit.as_deref(), Some(SHA));
        assert!(o.is_well_formed() && o.has_checkout());
        assert!(o.is_of("https://github.com/acme/api.git"));
        assert!(!o.is_of("https://github.com/acme/my-api"));
    }

    #[test]
    fn a_push_checks_out_the_pushed_commit_and_a_deleted_branch_nothing() {
        let push = GithubOrigin::from_event("push", &json!({"after": SHA}), Some("a/b")).unwrap();
        assert_eq!((push.fetch_ref(), push.commit.as_deref()), (None, Some(SHA)));
        let deleted = GithubOrigin::from_event("push", &json!({"after": "0".repeat(40)}), Some("a/b")).unwrap();
        assert!(!deleted.has_checkout());
    }

    #[test]
    fn a_comment_on_a_pull_request_checks_out_its_head_and_an_issue_nothing() {
        let on_pr = json!({"issue": {"number": 9, "pull_request": {"url": "x"}}});
        let o = GithubOrigin::from_event("issue_comment", &on_pr, Some("a/b")).unwrap();
        assert_eq!((o.fetch_ref().as_deref(), o.commit), (Some("refs/pull/9/head"), None));
        let issue = GithubOrigin::from_event("issues", &json!({"issue": {"number": 9}}), Some("a/b")).unwrap();
        assert_eq!((issue.number, issue.pull_request, issue.has_checkout()), (Some(9), false, false));
    }

    #[test]
    fn hostile_values_never_reach_git_or_github() {
        let payload = json!({"pull_request": {"number": "7/../../x", "head": {"sha": "--upload-pack=evil"}}});
        let o = GithubOrigin::from_event("pull_request", &payload, Some("a/b")).unwrap();
        assert_eq!((o.number, o.pull_request, o.commit), (None, false, None));
        assert_eq!(GithubOrigin::from_event("push", &json!({}), Some("../../etc")), None);
        let forged = GithubOrigin { repository: "a/b/../c".into(), number: None, pull_request: false, commit: None };
        assert!(!forged.is_well_formed());
    }
}
