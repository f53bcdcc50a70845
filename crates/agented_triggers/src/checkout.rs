//! Which commit of a repository a GitHub-fired run works on: the pull
//! request's head, the pushed commit, or (without one) the default branch.
//! Every value comes from a delivery, so each is checked before git sees it.

use crate::webhook::{text_of, value_at};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The commit a run checks out, from the event that fired it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkout {
    /// `owner/name`, lower case: the repository the event concerns.
    pub repository: String,
    /// A ref fetched besides the branches and tags (`refs/pull/7/head`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch_ref: Option<String>,
    /// The commit, 40 or 64 hex digits; absent: the tip of `fetch_ref`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

fn is_commit(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit()) && s.bytes().any(|b| b != b'0')
}

impl Checkout {
    /// What an `event` delivery of `payload` on `repository` asks a run to check out, if anything.
    #[must_use]
    pub fn from_event(event: &str, payload: &Value, repository: Option<&str>) -> Option<Self> {
        let field = |path: &str| value_at(payload, path).and_then(text_of);
        let pull_ref = |number: Option<String>| {
            number.filter(|n| n.parse::<u64>().is_ok_and(|n| n > 0)).map(|n| format!("refs/pull/{n}/head"))
        };
        let commit = |path: &str| field(path).filter(|c| is_commit(c)).map(|c| c.to_lowercase());
        let (fetch_ref, commit) = match event {
            "pull_request" | "pull_request_review" | "pull_request_review_comment" => {
                (pull_ref(field("pull_request.number")), commit("pull_request.head.sha"))
            }
            "issue_comment" if value_at(payload, "issue.pull_request").is_some() => {
                (pull_ref(field("issue.number")), None)
            }
            "push" => (None, commit("after")),
            _ => (None, None),
        };
        if fetch_ref.is_none() && commit.is_none() {
            return None;
        }
        Some(Self { repository: repository?.to_lowercase(), fetch_ref, commit })
    }

    /// Whether this checkout is of the repository at `url` (`https://github.com/owner/name[.git]`).
    #[must_use]
    pub fn is_of(&self, url: &str) -> bool {
        let url = url.trim_end_matches('/').to_lowercase();
        let url = url.strip_suffix(".git").unwrap_or(&url);
        url.strip_suffix(&self.repository).is_some_and(|rest| rest.ends_with('/'))
    }

    /// Whether a stored checkout is still one `from_event` could have made (a
    /// snapshot read back must not hand git an option).
    #[must_use]
    pub fn is_well_formed(&self) -> bool {
        let ref_ok = self.fetch_ref.as_deref().is_none_or(|r| {
            r.strip_prefix("refs/pull/")
                .and_then(|r| r.strip_suffix("/head"))
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        });
        ref_ok && self.commit.as_deref().is_none_or(is_commit) && (self.fetch_ref.is_some() || self.commit.is_some())
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
        let c = Checkout::from_event("pull_request", &payload, Some("Acme/API")).unwrap();
        assert_eq!(c.repository, "acme/api");
        assert_eq!(c.fetch_ref.as_deref(), Some("refs/pull/7/head"));
        assert_eq!(c.commit.as_deref(), Some(SHA));
        assert!(c.is_well_formed());
        assert!(c.is_of("https://github.com/acme/api.git"));
        assert!(!c.is_of("https://github.com/acme/my-api"));
    }

    #[test]
    fn a_push_checks_out_the_pushed_commit_and_a_deleted_branch_nothing() {
        let push = Checkout::from_event("push", &json!({"after": SHA}), Some("a/b")).unwrap();
        assert_eq!((push.fetch_ref, push.commit.as_deref()), (None, Some(SHA)));
        let zeros = "0".repeat(40);
        assert_eq!(Checkout::from_event("push", &json!({"after": zeros}), Some("a/b")), None);
    }

    #[test]
    fn a_comment_on_a_pull_request_checks_out_its_head_ref_and_one_on_an_issue_nothing() {
        let on_pr = json!({"issue": {"number": 9, "pull_request": {"url": "x"}}});
        let c = Checkout::from_event("issue_comment", &on_pr, Some("a/b")).unwrap();
        assert_eq!((c.fetch_ref.as_deref(), c.commit), (Some("refs/pull/9/head"), None));
        assert_eq!(Checkout::from_event("issue_comment", &json!({"issue": {"number": 9}}), Some("a/b")), None);
    }

    #[test]
    fn hostile_values_never_reach_git() {
        let payload = json!({"pull_request": {"number": "7/../../x", "head": {"sha": "--upload-pack=evil"}}});
        assert_eq!(Checkout::from_event("pull_request", &payload, Some("a/b")), None);
        let forged = Checkout { repository: "a/b".into(), fetch_ref: Some("--exec=x".into()), commit: None };
        assert!(!forged.is_well_formed());
    }
}
