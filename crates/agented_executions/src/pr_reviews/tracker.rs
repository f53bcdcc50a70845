//! The `RunReporter` that marks a pull request `reviewing` while a run answers
//! it, and keeps the run's answer as its review comment.

use super::service::PrReviewService;
use crate::{Execution, Outcome, RunReporter};
use async_trait::async_trait;

/// Follows runs on pull requests for `/api/pr-reviews/`.
#[derive(Clone)]
pub struct PrReviewTracker(pub PrReviewService);

impl PrReviewTracker {
    async fn track(&self, execution: &Execution, answer: Option<&str>) -> Vec<String> {
        let Some(origin) = execution.snapshot.github.as_ref().filter(|o| o.pull_request) else { return Vec::new() };
        let Some(number) = origin.number.and_then(|n| i64::try_from(n).ok()) else { return Vec::new() };
        let trigger = execution.trigger_id.as_str();
        match self.0.on_run(trigger, &origin.repository, number, answer).await {
            Ok(()) => Vec::new(),
            Err(e) => vec![format!("the pull request's review record could not be updated: {e}")],
        }
    }
}

#[async_trait]
impl RunReporter for PrReviewTracker {
    async fn started(&self, execution: &Execution) -> Vec<String> {
        self.track(execution, None).await
    }

    async fn finished(&self, execution: &Execution, _: &Outcome, answer: &str) -> Vec<String> {
        self.track(execution, Some(answer)).await
    }
}
