//! What GitHub's deliveries change of the tracked pull requests: a pull
//! request a trigger runs for is tracked from then on; its closing, merging,
//! reopening and new commits, and submitted reviews, update it.

use super::service::PullEvent;
use crate::intake::{DeliveryReport, WebhookIntake};
use agented_triggers::GithubEvent;

impl WebhookIntake {
    /// Updates the tracked pull requests from `event`; a failure is logged, never
    /// the delivery's (its runs are started already).
    pub(crate) async fn track_pull_request(&self, event: &GithubEvent, report: &DeliveryReport) {
        let Some(service) = &self.pr_reviews else { return };
        let Some(origin) = event.github.as_ref().filter(|o| o.pull_request) else { return };
        let Some(number) = origin.number.and_then(|n| i64::try_from(n).ok()) else { return };
        let value = |name: &str| event.values.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone());
        let result = match event.event.as_str() {
            "pull_request" => {
                let started: Vec<String> = report.started.iter().map(|(t, _)| t.id.to_string()).collect();
                let pull = PullEvent {
                    project: origin.repository.clone(),
                    number,
                    action: event.action.clone().unwrap_or_default(),
                    merged: event.merged,
                    title: value("pr_title"),
                    url: value("pr_url"),
                    author: value("pr_author"),
                    repo_url: value("repo_url"),
                };
                service.on_pull_request(&pull, &started).await
            }
            "pull_request_review" if event.action.as_deref() == Some("submitted") => match &event.review {
                Some((state, body)) => service.on_review(&origin.repository, number, state, body.as_deref()).await,
                None => Ok(()),
            },
            _ => Ok(()),
        };
        if let Err(e) = result {
            tracing::error!(error = %e, project = %origin.repository, number, "a tracked pull request could not be updated");
        }
    }
}
