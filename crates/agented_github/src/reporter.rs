//! `RunReporter` for GitHub: a pull request's check run follows the run, and
//! the trigger's `post_result` says where the answer goes.

use crate::api::{GithubApi, fit};
use agented_executions::{Execution, ExecutionStatus, Outcome, RunReporter};
use agented_triggers::{GithubOrigin, PostResult, TriggerRepository};
use async_trait::async_trait;
use chrono::Utc;
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Reports runs a GitHub event fired back to GitHub.
pub struct GithubReporter {
    api: GithubApi,
    triggers: Arc<dyn TriggerRepository>,
    /// Where people open Agented (for the links GitHub shows).
    public_url: String,
    /// Check runs of runs in progress, by execution id.
    checks: Mutex<HashMap<String, u64>>,
}

impl GithubReporter {
    /// A reporter posting through `api`, linking to executions under `public_url`.
    #[must_use]
    pub fn new(api: GithubApi, triggers: Arc<dyn TriggerRepository>, public_url: &str) -> Self {
        Self { api, triggers, public_url: public_url.trim_end_matches('/').to_owned(), checks: Mutex::default() }
    }

    fn link(&self, execution: &Execution) -> String {
        format!("{}/executions/{}", self.public_url, execution.execution_id)
    }

    fn checks(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        self.checks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The trigger's name and `post_result` (a deleted trigger posts nothing).
    async fn trigger_of(&self, execution: &Execution) -> (String, PostResult) {
        match self.triggers.get(&execution.trigger_id).await {
            Ok(Some(t)) => (t.settings.name, t.settings.post_result),
            _ => (execution.trigger_id.to_string(), PostResult::None),
        }
    }

    /// The check run a pull request's run gets, if it has a head commit.
    async fn open_check(&self, execution: &Execution, origin: &GithubOrigin, name: &str, notes: &mut Vec<String>) {
        let Some(commit) = origin.commit.as_deref().filter(|_| origin.pull_request) else { return };
        if self.checks().contains_key(execution.execution_id.as_str()) {
            // A run that waited for a rate limit starts again: its check run is open already.
            return;
        }
        let body = json!({
            "name": format!("Agented: {name}"),
            "head_sha": commit,
            "status": "in_progress",
            "started_at": Utc::now(),
            "details_url": self.link(execution),
            "external_id": execution.execution_id.as_str(),
        });
        match self.api.create_check_run(&origin.repository, &body, notes).await {
            Ok(id) => {
                self.checks().insert(execution.execution_id.to_string(), id);
                notes.push(format!("GitHub: check run {id} in progress on {}@{}", origin.repository, short(commit)));
            }
            Err(e) => notes.push(format!("GitHub: could not create the check run on {}: {e}", origin.repository)),
        }
    }
}

fn short(commit: &str) -> &str {
    commit.get(..7).unwrap_or(commit)
}

/// GitHub's conclusion for a run's end.
const fn conclusion(status: ExecutionStatus) -> &'static str {
    match status {
        ExecutionStatus::Success => "success",
        ExecutionStatus::Timeout => "timed_out",
        ExecutionStatus::Cancelled => "cancelled",
        _ => "failure",
    }
}

#[async_trait]
impl RunReporter for GithubReporter {
    async fn started(&self, execution: &Execution) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(origin) = &execution.snapshot.github {
            let (name, _) = self.trigger_of(execution).await;
            self.open_check(execution, origin, &name, &mut notes).await;
        }
        notes
    }

    async fn finished(&self, execution: &Execution, outcome: &Outcome, answer: &str) -> Vec<String> {
        let mut notes = Vec::new();
        let Some(origin) = &execution.snapshot.github else { return notes };
        let (name, post) = self.trigger_of(execution).await;
        let status = outcome.status.as_str();
        let answer = if answer.trim().is_empty() {
            outcome.error_message.clone().unwrap_or_else(|| "(the run gave no answer)".to_owned())
        } else {
            answer.to_owned()
        };
        let heading = format!("**{name}** · [{}]({}) · {status}", execution.execution_id, self.link(execution));
        let body = format!("{heading}\n\n{answer}");
        if origin.pull_request && origin.commit.is_some() {
            let check = self.checks().remove(execution.execution_id.as_str());
            let check = match check {
                Some(id) => Some(id),
                None => {
                    // The start was not reported (GitHub was down, or this process restarted).
                    self.open_check(execution, origin, &name, &mut notes).await;
                    self.checks().remove(execution.execution_id.as_str())
                }
            };
            if let Some(id) = check {
                let summary = if post == PostResult::Check { fit(&body) } else { heading.clone() };
                let update = json!({
                    "status": "completed",
                    "conclusion": conclusion(outcome.status),
                    "completed_at": outcome.finished_at,
                    "output": { "title": format!("{name}: {status}"), "summary": summary },
                });
                match self.api.update_check_run(&origin.repository, id, &update, &mut notes).await {
                    Ok(()) => notes.push(format!("GitHub: check run {id} completed: {}", conclusion(outcome.status))),
                    Err(e) => notes.push(format!("GitHub: could not complete check run {id}: {e}")),
                }
            }
        }
        let Some(number) = origin.number else {
            if post != PostResult::None && post != PostResult::Check {
                notes.push(format!(
                    "GitHub: post_result is {post}, but this {} event has no pull request or issue to post to",
                    origin.repository
                ));
            }
            return notes;
        };
        let target = format!("{}#{number}", origin.repository);
        let posted = match post {
            PostResult::None => return notes,
            PostResult::Check if origin.pull_request => return notes,
            PostResult::Review if origin.pull_request => self
                .api
                .create_review(&origin.repository, number, origin.commit.as_deref(), &body, &mut notes)
                .await
                .map(|url| format!("GitHub: posted the answer as a review on {target}: {url}")),
            // An issue has no reviews or check runs: its answer is the comment.
            PostResult::Comment | PostResult::Review | PostResult::Check => {
                let marker = format!("<!-- agented:{} -->", execution.trigger_id);
                self.api
                    .upsert_comment(&origin.repository, number, &marker, &body, &mut notes)
                    .await
                    .map(|url| format!("GitHub: posted the answer as the trigger's comment on {target}: {url}"))
            }
        };
        notes.push(posted.unwrap_or_else(|e| format!("GitHub: could not post the answer on {target}: {e}")));
        notes
    }
}
