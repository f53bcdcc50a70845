//! A comment that mentions the bot (`@agented …`, the handle configurable) on
//! a pull request or issue continues the newest run there: a follow-up with
//! its CLI session resumed, the comment as the (fenced, untrusted) request.
//! Only the repository's owner, members and collaborators can ask; anyone
//! else's mention is reported as skipped.

use crate::intake::{DeliveryReport, TriggerRef, WebhookIntake};
use crate::{DedupClaim, FollowUp, RunRef, StartError, TriggerType};
use agented_triggers::{GithubEvent, TriggerStoreError};

/// Who may ask the bot to go on (GitHub's `author_association`).
const TRUSTED: [&str; 3] = ["OWNER", "MEMBER", "COLLABORATOR"];

/// Whether `body` mentions `@handle` (a whole handle, in any case).
#[must_use]
pub fn mentions(body: &str, handle: &str) -> bool {
    let (body, wanted) = (body.to_lowercase(), format!("@{}", handle.to_lowercase()));
    body.match_indices(&wanted).any(|(at, _)| {
        let before_ok = body[..at].chars().next_back().is_none_or(|c| !c.is_alphanumeric() && c != '@');
        let after_ok = body[at + wanted.len()..].chars().next().is_none_or(|c| !c.is_alphanumeric() && c != '-');
        before_ok && after_ok
    })
}

impl WebhookIntake {
    /// Starts the follow-up a new comment mentioning the bot asks for, claiming `claims`.
    pub(crate) async fn follow_mention(
        &self,
        event: &GithubEvent,
        claims: Vec<DedupClaim>,
        report: &mut DeliveryReport,
    ) -> Result<(), TriggerStoreError> {
        let Some(handle) = &self.mention_handle else { return Ok(()) };
        let value = |name: &str| event.values.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        let body = value("message").unwrap_or_default();
        if event.name() != "issue_comment.created" || !mentions(body, handle) {
            return Ok(());
        }
        let Some((origin, number)) = event.github.as_ref().and_then(|o| Some((o, o.number?))) else { return Ok(()) };
        let latest = match self.runs.latest_on_github(&origin.repository, number).await {
            Ok(Some(latest)) => latest,
            Ok(None) => return Ok(()),
            Err(e) => {
                tracing::error!(error = %e, "the runs of a pull request could not be read");
                return Ok(());
            }
        };
        let name = self.triggers.get(&latest.trigger_id).await?.map_or_else(String::new, |t| t.settings.name);
        let who = TriggerRef { id: latest.trigger_id.clone(), name };
        if !event.author_association.as_deref().is_some_and(|a| TRUSTED.contains(&a)) {
            let why = "the comment mentions the bot, but its author is not an owner, member or collaborator";
            report.skipped.push((who, why.to_owned()));
            return Ok(());
        }
        let author = value("comment_author").unwrap_or("someone");
        let request = FollowUp {
            message: body.to_owned(),
            trigger_type: TriggerType::GithubWebhook,
            untrusted_from: Some(format!("{author} on {}#{number}", origin.repository)),
            claims,
        };
        match self.runs.follow_up(&latest.execution_id, request).await {
            Ok(execution) => report.started.push((who, RunRef::Execution(execution.execution_id))),
            Err(StartError::Duplicate) => report.duplicates.push(who),
            Err(e @ (StartError::Store(_) | StartError::Queue(_))) => report.failed.push((who, e)),
            Err(e) => report.skipped.push((who, format!("cannot follow up {}: {e}", latest.execution_id))),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn only_a_whole_mention_of_the_handle_counts() {
        assert!(mentions("@agented please also fix the test", "agented"));
        assert!(mentions("Thanks! @Agented, one more thing.", "agented"));
        assert!(!mentions("@agented-bot do it", "agented"));
        assert!(!mentions("mail me at me@agented.dev", "agented"));
        assert!(!mentions("@agentedness", "agented"));
        assert!(!mentions("no mention", "agented"));
    }
}
