//! A generic webhook delivery, from payload to durable runs: which enabled
//! `webhook` triggers it is for (signature, match field, keyword), whether a
//! trigger already ran for the same payload inside the dedup window, and the
//! runs started through the one `ExecutionService` path.

use crate::model::TriggerType;
use crate::service::{ExecutionService, RunRequest, StartError};
use agented_kernel::{Clock, ExecutionId, TriggerId};
use agented_triggers::{
    DedupLedger, GithubEvent, TriggerRepository, TriggerSource, TriggerStoreError, WebhookMatch, match_payload,
    payload_key,
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
    /// Runs started (durable: row and job stored).
    pub started: Vec<(TriggerRef, ExecutionId)>,
    /// Triggers that already ran for this payload inside the window.
    pub duplicates: Vec<TriggerRef>,
    /// Triggers it matched that did not run, and why (busy with `reject`, gone meanwhile).
    pub skipped: Vec<(TriggerRef, String)>,
    /// Triggers whose secret the signature did not match.
    pub bad_signature: Vec<TriggerRef>,
    /// Triggers whose run could not be stored or queued; their claims were released so a resend runs them.
    pub failed: Vec<(TriggerRef, StartError)>,
}

/// Takes generic webhook deliveries.
#[derive(Clone)]
pub struct WebhookIntake {
    triggers: Arc<dyn TriggerRepository>,
    runs: ExecutionService,
    dedup: Arc<dyn DedupLedger>,
    clock: Arc<dyn Clock>,
    window: Duration,
}

impl std::fmt::Debug for WebhookIntake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookIntake").field("window", &self.window).finish_non_exhaustive()
    }
}

impl WebhookIntake {
    /// The intake over its ports; repeats inside `window` start nothing.
    #[must_use]
    pub fn new(
        triggers: Arc<dyn TriggerRepository>,
        runs: ExecutionService,
        dedup: Arc<dyn DedupLedger>,
        clock: Arc<dyn Clock>,
        window: Duration,
    ) -> Self {
        Self { triggers, runs, dedup, clock, window }
    }

    /// The dedup ledger (for the pruning job).
    #[must_use]
    pub fn ledger(&self) -> &Arc<dyn DedupLedger> {
        &self.dedup
    }

    /// Runs every enabled `webhook` trigger `payload` is for. `signed_by(secret)`
    /// tells whether the delivery's signature matches a trigger's secret.
    ///
    /// # Errors
    /// [`TriggerStoreError`] when the triggers or the ledger cannot be read;
    /// per-trigger start failures are in the report instead.
    pub async fn deliver(
        &self,
        payload: &Value,
        signed_by: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<DeliveryReport, TriggerStoreError> {
        let mut report = DeliveryReport::default();
        let key = payload_key(payload);
        for trigger in self.triggers.by_source(TriggerSource::Webhook).await? {
            let s = &trigger.settings;
            if !s.enabled {
                continue;
            }
            let who = TriggerRef { id: trigger.id.clone(), name: s.name.clone() };
            if let Some(secret) = s.webhook_secret.as_deref().filter(|s| !s.is_empty())
                && !signed_by(secret)
            {
                report.bad_signature.push(who);
                continue;
            }
            let WebhookMatch::Matched { message } = match_payload(s, payload) else { continue };
            let request = RunRequest { trigger_type: TriggerType::Webhook, message, values: Vec::new() };
            self.run_once(who, &key, request, &mut report).await?;
        }
        Ok(report)
    }

    /// Runs every enabled `github` trigger that wants `event` (its repository
    /// and event filters). `delivery` (`X-GitHub-Delivery`) is the dedup key.
    ///
    /// # Errors
    /// [`GithubRefusal::Missing`] when a trigger wants the event but its prompt
    /// needs fields the payload lacks (nothing is started then);
    /// [`GithubRefusal::Store`] when triggers or the ledger cannot be read.
    pub async fn deliver_github(&self, event: &GithubEvent, delivery: &str) -> Result<DeliveryReport, GithubRefusal> {
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
        for trigger in wanting {
            let who = TriggerRef { id: trigger.id.clone(), name: trigger.settings.name.clone() };
            let mut values = event.values.clone();
            let message = values.iter().position(|(n, _)| n == "message").map(|i| values.remove(i).1);
            let request = RunRequest { trigger_type: TriggerType::GithubWebhook, message, values };
            self.run_once(who, delivery, request, &mut report).await?;
        }
        Ok(report)
    }

    /// Claims `key` for the trigger and starts its run, or records why not.
    async fn run_once(
        &self,
        who: TriggerRef,
        key: &str,
        request: RunRequest,
        report: &mut DeliveryReport,
    ) -> Result<(), TriggerStoreError> {
        let window = chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::MAX);
        let now = self.clock.now();
        if !self.dedup.claim(&who.id, key, now, now + window).await? {
            report.duplicates.push(who);
            return Ok(());
        }
        match self.runs.start(&who.id, request).await {
            Ok(execution) => report.started.push((who, execution.execution_id)),
            Err(e) => {
                // Not started: forget the claim, so the sender's retry is not taken for a duplicate.
                self.dedup.release(&who.id, key).await?;
                match e {
                    StartError::Busy(running) => {
                        report.skipped.push((who, format!("busy: execution {running} is running")));
                    }
                    StartError::NotFound(_) | StartError::Disabled(_) => {
                        report.skipped.push((who, "changed while the delivery was handled".to_owned()));
                    }
                    StartError::Store(_) | StartError::Queue(_) => report.failed.push((who, e)),
                }
            }
        }
        Ok(())
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
