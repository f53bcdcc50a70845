//! A webhook delivery, from payload to durable runs: which enabled triggers it
//! is for (signature, match field, keyword; GitHub's repository and event),
//! whether a trigger already ran for it, and the runs started through the one
//! `ExecutionService` path. A delivery is a repeat when its payload came
//! within the dedup window, its signed message id within the replay window
//! of its signed timestamp, or (GitHub, whose delivery id is not signed) its
//! signed body within the GitHub replay window.

use crate::model::TriggerType;
use crate::service::{ExecutionService, RunRequest, StartError};
use agented_kernel::{Clock, TriggerId};
use agented_triggers::{
    DedupLedger, GithubEvent, TriggerRepository, TriggerSource, TriggerStoreError, WebhookMatch, payload_key,
};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// A trigger a delivery concerned, and what happened for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerRef {
    /// Its id.
    pub id: TriggerId,
    /// Its name.
    pub name: String,
}

/// What one delivery did.
#[derive(Debug, Default)]
pub struct DeliveryReport {
    /// Runs started (durable: stored, and an execution's job queued).
    pub started: Vec<(TriggerRef, crate::RunRef)>,
    /// Triggers that already ran for this payload inside the window.
    pub duplicates: Vec<TriggerRef>,
    /// Triggers it matched that did not run, and why (busy with `reject`, gone meanwhile).
    pub skipped: Vec<(TriggerRef, String)>,
    /// Triggers whose rules matched but whose secret the delivery was not signed with, and why.
    pub bad_signature: Vec<(TriggerRef, String)>,
    /// Triggers whose rules did not match, and which rule did not hold.
    pub not_matched: Vec<(TriggerRef, String)>,
    /// Triggers whose run could not be stored or queued; their claims were released so a resend runs them.
    pub failed: Vec<(TriggerRef, StartError)>,
}

/// How long each kind of repeat is recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepeatWindows {
    /// The same payload to the same trigger (`webhooks.dedup_window_seconds`).
    pub payload: Duration,
    /// The same signed message id (twice the timestamp tolerance: a timestamp may be early or late).
    pub message_id: Duration,
    /// The same signed GitHub body (`webhooks.github_replay_window_seconds`).
    pub github_body: Duration,
}

/// Takes webhook deliveries: generic ones and GitHub's.
#[derive(Clone)]
pub struct WebhookIntake {
    pub(crate) triggers: Arc<dyn TriggerRepository>,
    pub(crate) runs: ExecutionService,
    dedup: Arc<dyn DedupLedger>,
    pub(crate) clock: Arc<dyn Clock>,
    windows: RepeatWindows,
    pub(crate) github_secret: Option<String>,
    pub(crate) inspector: Option<crate::reception::Inspector>,
    /// The bot's GitHub handle: a comment mentioning it continues the latest run there.
    pub(crate) mention_handle: Option<String>,
    /// Tracked pull requests, kept up to date from the deliveries.
    pub(crate) pr_reviews: Option<crate::pr_reviews::PrReviewService>,
}

impl std::fmt::Debug for WebhookIntake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookIntake").field("windows", &self.windows).finish_non_exhaustive()
    }
}

impl WebhookIntake {
    /// The intake over its ports; repeats inside `windows` start nothing.
    #[must_use]
    pub fn new(
        triggers: Arc<dyn TriggerRepository>,
        runs: ExecutionService,
        dedup: Arc<dyn DedupLedger>,
        clock: Arc<dyn Clock>,
        windows: RepeatWindows,
    ) -> Self {
        Self {
            triggers,
            runs,
            dedup,
            clock,
            windows,
            github_secret: None,
            inspector: None,
            mention_handle: None,
            pr_reviews: None,
        }
    }

    /// Takes GitHub deliveries signed with `secret` (`GITHUB_WEBHOOK_SECRET`); without one they are refused.
    #[must_use]
    pub fn with_github_secret(mut self, secret: Option<String>) -> Self {
        self.github_secret = secret.filter(|s| !s.is_empty());
        self
    }

    /// Comments mentioning `@handle` continue the latest run on their pull request or issue.
    #[must_use]
    pub fn with_mention_handle(mut self, handle: Option<String>) -> Self {
        self.mention_handle = handle.filter(|h| !h.is_empty());
        self
    }

    /// Keeps the tracked pull requests (`/api/pr-reviews/`) up to date from GitHub's deliveries.
    #[must_use]
    pub fn with_pr_reviews(mut self, service: crate::pr_reviews::PrReviewService) -> Self {
        self.pr_reviews = Some(service);
        self
    }

    /// Keeps records of deliveries for the inspector.
    #[must_use]
    pub fn with_inspector(mut self, inspector: crate::reception::Inspector) -> Self {
        self.inspector = Some(inspector);
        self
    }

    /// The dedup ledger (for the pruning job).
    #[must_use]
    pub fn ledger(&self) -> &Arc<dyn DedupLedger> {
        &self.dedup
    }

    /// Runs every enabled `webhook` trigger `payload` is for. `signed_by(secret)`
    /// tells whether the delivery is signed with a trigger's secret (or why
    /// not); `message_id` is the delivery's signed message id, if it has one.
    ///
    /// # Errors
    /// [`TriggerStoreError`] when the triggers or the ledger cannot be read;
    /// per-trigger start failures are in the report instead.
    pub async fn deliver(
        &self,
        payload: &Value,
        signed_by: &(dyn Fn(&str) -> Result<(), String> + Sync),
        message_id: Option<&str>,
    ) -> Result<DeliveryReport, TriggerStoreError> {
        let mut report = DeliveryReport::default();
        let payload_key = payload_key(payload);
        let message_key = message_id.map(|id| format!("message:{id}"));
        for trigger in self.triggers.by_source(TriggerSource::Webhook).await? {
            let s = &trigger.settings;
            if !s.enabled {
                continue;
            }
            let who = TriggerRef { id: trigger.id.clone(), name: s.name.clone() };
            let rule = s.webhook_rule();
            let secret = rule.secret;
            // A trigger's signature only counts once its own rules matched: a delivery
            // meant for another trigger is no failed attempt on this one.
            let message = match rule.matches(payload) {
                WebhookMatch::Matched { message } => message,
                WebhookMatch::NotMatched(why) => {
                    report.not_matched.push((who, why));
                    continue;
                }
            };
            if let Some(Err(why)) = secret.map(signed_by) {
                report.bad_signature.push((who, why));
                continue;
            }
            let mut keys = vec![(payload_key.as_str(), self.windows.payload)];
            // Only a verified id counts: anyone can send an unsigned one.
            keys.extend(message_key.as_deref().filter(|_| secret.is_some()).map(|key| (key, self.windows.message_id)));
            let request = RunRequest {
                trigger_type: TriggerType::Webhook,
                message,
                values: Vec::new(),
                claims: Vec::new(),
                github: None,
            };
            self.run_once(who, &keys, request, &mut report).await;
        }
        Ok(report)
    }

    /// Runs every enabled `github` trigger that wants `event` (its repository
    /// and event filters). `delivery` (`X-GitHub-Delivery`) is a dedup key;
    /// `signed_body` (a hash of the signed body) is another, kept for the GitHub
    /// replay window, because the delivery id is not signed.
    ///
    /// # Errors
    /// [`GithubRefusal::Missing`] when a trigger wants the event but its prompt
    /// needs fields the payload lacks (nothing is started then);
    /// [`GithubRefusal::Store`] when triggers or the ledger cannot be read.
    pub async fn deliver_github(
        &self,
        event: &GithubEvent,
        delivery: &str,
        signed_body: &str,
    ) -> Result<DeliveryReport, GithubRefusal> {
        let mut report = DeliveryReport::default();
        let wanting: Vec<_> = self
            .triggers
            .by_source(TriggerSource::Github)
            .await?
            .into_iter()
            .filter(|t| t.settings.enabled)
            .filter(|t| event.wanted_by(&t.settings))
            .collect();
        // Check every trigger before starting any, so a refusal starts nothing.
        for trigger in &wanting {
            let missing = event.missing_for(&trigger.settings.prompt_template);
            if !missing.is_empty() {
                return Err(GithubRefusal::Missing { trigger: trigger.settings.name.clone(), fields: missing });
            }
        }
        let body_key = format!("github-body:{signed_body}");
        let keys = [(delivery, self.windows.payload), (body_key.as_str(), self.windows.github_body)];
        // A mention's follow-up claims keys of its own: its trigger may also run for the comment.
        let (mention_delivery, mention_body) = (format!("mention:{delivery}"), format!("mention:{body_key}"));
        let mention_keys =
            [(mention_delivery.as_str(), self.windows.payload), (mention_body.as_str(), self.windows.github_body)];
        self.follow_mention(event, self.claims(&mention_keys), &mut report).await?;
        for trigger in wanting {
            let who = TriggerRef { id: trigger.id.clone(), name: trigger.settings.name.clone() };
            let mut values = event.values.clone();
            let message = values.iter().position(|(n, _)| n == "message").map(|i| values.remove(i).1);
            let request = RunRequest {
                trigger_type: TriggerType::GithubWebhook,
                message,
                values,
                claims: Vec::new(),
                github: event.github.clone(),
            };
            self.run_once(who, &keys, request, &mut report).await;
        }
        self.track_pull_request(event, &report).await;
        Ok(report)
    }

    /// Each key claimed for its window from now.
    fn claims(&self, keys: &[(&str, Duration)]) -> Vec<crate::DedupClaim> {
        let now = self.clock.now();
        keys.iter()
            .map(|(key, window)| crate::DedupClaim {
                key: (*key).to_owned(),
                expires_at: now + chrono::Duration::from_std(*window).unwrap_or(chrono::Duration::MAX),
            })
            .collect()
    }

    /// Starts the trigger's run with every key claimed (each for its window),
    /// or records why not. The claims are stored with the execution in one
    /// transaction: a delivery any key of which an earlier run holds is a
    /// duplicate, and a run that was not stored (or not queued) holds none, so
    /// the sender's retry runs.
    async fn run_once(
        &self,
        who: TriggerRef,
        keys: &[(&str, Duration)],
        mut request: RunRequest,
        report: &mut DeliveryReport,
    ) {
        request.claims = self.claims(keys);
        match self.runs.fire(&who.id, request).await {
            Ok(fired) => report.started.push((who, fired.run())),
            Err(StartError::Duplicate) => report.duplicates.push(who),
            Err(StartError::Busy(running)) => {
                report.skipped.push((who, format!("busy: execution {running} is running")));
            }
            Err(StartError::NotFound(_) | StartError::Disabled(_)) => {
                report.skipped.push((who, "changed while the delivery was handled".to_owned()));
            }
            Err(StartError::Refused(why)) => report.skipped.push((who, why)),
            Err(e @ (StartError::Store(_) | StartError::Queue(_))) => report.failed.push((who, e)),
        }
    }
}

/// Why a GitHub delivery was refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GithubRefusal {
    /// A trigger wants the event, but its prompt needs fields the payload lacks.
    #[error("trigger '{trigger}' needs {} which this event does not have", fields.join(", "))]
    Missing {
        /// The trigger's name.
        trigger: String,
        /// The placeholders without a value.
        fields: Vec<String>,
    },
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] TriggerStoreError),
}
