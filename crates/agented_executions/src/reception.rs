//! What Agented answers a webhook delivery, decided here rather than in the
//! HTTP handler: a Slack-style challenge, GitHub's ping, when a signature
//! failure refuses the delivery (401), when a failed start asks the sender to
//! retry (503), and the delivery inspector's records of every decision.

use crate::intake::{DeliveryReport, GithubRefusal, TriggerRef, WebhookIntake};
use agented_kernel::TriggerId;
use agented_triggers::{
    DeliveryLog, DeliveryRecord, GithubEvent, TriggerError, TriggerStoreError, kept_body, payload_key, redact_headers,
};
use serde_json::Value;
use std::sync::Arc;

/// A delivery as it arrived: its headers (names in lower case) and its body.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    /// Header name → value, for the headers whose values are text.
    pub headers: &'a [(&'a str, &'a str)],
    /// The raw body.
    pub body: &'a [u8],
}

impl Arrival<'_> {
    /// The value of header `name` (lower case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v)
    }
}

/// The delivery inspector: where records go and how many are kept per trigger.
#[derive(Clone)]
pub struct Inspector {
    /// The records' store.
    pub log: Arc<dyn DeliveryLog>,
    /// Records kept per trigger (`webhooks.keep_deliveries`).
    pub keep: usize,
}

/// A delivery that was taken: the answer is 200.
#[derive(Debug)]
pub enum Reception {
    /// A URL-verification handshake: send the challenge back.
    Challenge(Value),
    /// GitHub's ping.
    Pong,
    /// What the delivery did.
    Delivered(DeliverySummary),
}

/// What a taken delivery did, in the answer's terms.
#[derive(Debug)]
pub struct DeliverySummary {
    /// One line.
    pub message: String,
    /// Triggers that wanted it (started, duplicate or skipped).
    pub matched: usize,
    /// Every trigger that wanted it had run for it already.
    pub duplicate: bool,
    /// Runs started: executions, or workflow runs of triggers that run a team or workflow.
    pub started: Vec<(TriggerRef, crate::RunRef)>,
    /// Triggers that had run for it already.
    pub duplicates: Vec<TriggerRef>,
    /// Triggers that wanted it but did not run, and why.
    pub skipped: Vec<(TriggerRef, String)>,
}

/// Why a delivery was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// 400: not a delivery Agented can read.
    #[error("{message}")]
    Malformed {
        /// Stable machine-readable code.
        code: &'static str,
        /// Why.
        message: String,
    },
    /// 401: not signed as the interested triggers require.
    #[error("{0}")]
    Unsigned(String),
    /// 503: a run could not be stored; the sender should retry.
    #[error("a run could not be started: {0}")]
    Retry(#[source] crate::service::StartError),
    /// 503: storage failed.
    #[error(transparent)]
    Store(#[from] TriggerStoreError),
}

fn malformed(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal::Malformed { code, message: message.into() }
}

/// A JSON object, or why the body is not one.
fn json_object(body: &[u8]) -> Result<Value, Refusal> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| malformed("invalid_json", format!("the body is not JSON: {e}")))?;
    if value.is_object() { Ok(value) } else { Err(malformed("invalid_payload", "the body must be a JSON object")) }
}

impl DeliveryReport {
    /// The answer's terms; `nothing` is the message when no trigger wanted the delivery.
    fn summary(self, nothing: &str) -> DeliverySummary {
        let matched = self.started.len() + self.duplicates.len() + self.skipped.len();
        let duplicate = matched > 0 && self.duplicates.len() == matched;
        let message = match (self.started.len(), matched) {
            (_, 0) => nothing.to_owned(),
            (0, _) if duplicate => "duplicate delivery: its runs already started".to_owned(),
            (0, _) => "no run started".to_owned(),
            (1, _) => "1 run started".to_owned(),
            (n, _) => format!("{n} runs started"),
        };
        DeliverySummary {
            message,
            matched,
            duplicate,
            started: self.started,
            duplicates: self.duplicates,
            skipped: self.skipped,
        }
    }
}

/// What the inspector writes for one delivery.
struct Entry<'a> {
    arrival: &'a Arrival<'a>,
    source: &'static str,
    event: Option<String>,
}

impl WebhookIntake {
    /// A generic delivery (`POST /`). `signed_by(secret)` says whether it is signed with a
    /// trigger's secret (or why not); `message_id` is its signed message id, if any.
    ///
    /// # Errors
    /// See [`Refusal`]: unreadable bodies, a delivery only triggers with other secrets wanted,
    /// a run that could not be stored.
    pub async fn receive(
        &self,
        arrival: &Arrival<'_>,
        signed_by: &(dyn Fn(&str) -> Result<(), String> + Sync),
        message_id: Option<&str>,
    ) -> Result<Reception, Refusal> {
        let value = json_object(arrival.body)?;
        if value.get("type").and_then(Value::as_str) == Some("url_verification") {
            return Ok(Reception::Challenge(value.get("challenge").cloned().unwrap_or(Value::Null)));
        }
        let report = self.deliver(&value, signed_by, message_id).await?;
        let entry = Entry { arrival, source: "webhook", event: None };
        self.inspect(&entry, Some(&report), ("not_matched", Some(unmatched_reason(&report.not_matched)))).await;
        let nothing_else = report.started.is_empty()
            && report.duplicates.is_empty()
            && report.skipped.is_empty()
            && report.failed.is_empty();
        if nothing_else && let Some((_, why)) = report.bad_signature.first() {
            return Err(Refusal::Unsigned(format!(
                "the delivery is not signed with the secret of the triggers this endpoint serves: {why}"
            )));
        }
        answer(report, "no trigger matched")
    }

    /// A GitHub delivery. `signed_with(secret)` says whether `X-Hub-Signature-256` is the
    /// body's signature under `secret`; `signed_body` identifies the signed body.
    ///
    /// # Errors
    /// See [`Refusal`]: no GitHub secret configured or a bad signature, no event header,
    /// an unreadable body, an event a trigger's prompt cannot be filled from, a run not stored.
    pub async fn receive_github(
        &self,
        arrival: &Arrival<'_>,
        signed_with: &(dyn Fn(&str) -> bool + Sync),
        signed_body: &str,
    ) -> Result<Reception, Refusal> {
        let Some(secret) = self.github_secret.as_deref() else {
            return Err(Refusal::Unsigned(
                "GitHub deliveries are refused: GITHUB_WEBHOOK_SECRET is not configured".into(),
            ));
        };
        let entry = Entry { arrival, source: "github", event: arrival.header("x-github-event").map(str::to_owned) };
        if !signed_with(secret) {
            let refused = ("bad_signature", Some("X-Hub-Signature-256 missing or wrong".to_owned()));
            self.inspect(&entry, None, refused).await;
            return Err(Refusal::Unsigned(
                "X-Hub-Signature-256 is missing or does not match GITHUB_WEBHOOK_SECRET".into(),
            ));
        }
        let event = arrival
            .header("x-github-event")
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .ok_or_else(|| malformed("missing_event", "the X-GitHub-Event header is missing"))?;
        let value = json_object(arrival.body)?;
        if event == "ping" {
            return Ok(Reception::Pong);
        }
        let event = GithubEvent::parse(event, &value);
        // Without a delivery id (not GitHub's way), the body itself identifies the delivery.
        let delivery =
            arrival.header("x-github-delivery").map_or_else(|| payload_key(&value), |d| format!("github:{}", d.trim()));
        let entry = Entry { event: Some(event.name()), ..entry };
        let report = match self.deliver_github(&event, &delivery, signed_body).await {
            Ok(report) => report,
            Err(refusal @ GithubRefusal::Missing { .. }) => {
                let why = refusal.to_string();
                self.inspect(&entry, None, ("refused", Some(why.clone()))).await;
                return Err(malformed("missing_fields", why));
            }
            Err(GithubRefusal::Store(e)) => return Err(e.into()),
        };
        let ignored = format!("ignored: no trigger wants {} events", event.name());
        self.inspect(&entry, Some(&report), ("ignored", Some(ignored.clone()))).await;
        answer(report, &ignored)
    }

    /// The inspector's records of trigger `id`, newest first.
    ///
    /// # Errors
    /// `NotFound` for an unknown trigger, `Store`.
    pub async fn deliveries_of(&self, id: &str) -> Result<Vec<DeliveryRecord>, TriggerError> {
        let id = TriggerId::parse(id).map_err(|_| TriggerError::NotFound)?;
        self.triggers.get(&id).await?.ok_or(TriggerError::NotFound)?;
        let Some(inspector) = &self.inspector else { return Ok(Vec::new()) };
        let limit = u32::try_from(inspector.keep).unwrap_or(u32::MAX);
        Ok(inspector.log.recent(Some(&id), false, limit).await?)
    }

    /// The newest `limit` records of every trigger, or (`unmatched`) of deliveries no trigger matched.
    ///
    /// # Errors
    /// Storage failed.
    pub async fn recent_deliveries(
        &self,
        unmatched: bool,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>, TriggerStoreError> {
        match &self.inspector {
            Some(inspector) => inspector.log.recent(None, unmatched, limit).await,
            None => Ok(Vec::new()),
        }
    }

    /// Writes one record per trigger the delivery concerned, or one saying why none.
    async fn inspect(&self, entry: &Entry<'_>, report: Option<&DeliveryReport>, nothing: (&str, Option<String>)) {
        let Some(inspector) = &self.inspector else { return };
        // What every record of the delivery shares is worked out once, however many triggers it concerned.
        let (received_at, headers) = (self.clock.now(), redact_headers(entry.arrival.headers.iter().copied()));
        let (body, body_bytes) =
            (kept_body(entry.arrival.body), i64::try_from(entry.arrival.body.len()).unwrap_or(i64::MAX));
        let record =
            |trigger: Option<&TriggerRef>, decision: &str, reason: Option<String>, execution: Option<String>| {
                DeliveryRecord {
                    id: 0,
                    received_at,
                    source: entry.source.to_owned(),
                    event: entry.event.clone(),
                    trigger_id: trigger.map(|t| t.id.clone()),
                    decision: decision.to_owned(),
                    reason,
                    execution_id: execution,
                    headers: headers.clone(),
                    body: body.clone(),
                    body_bytes,
                }
            };
        let mut records = Vec::new();
        if let Some(r) = report {
            let repeat = "already ran for this delivery (a repeat within its dedup or replay window)";
            records.extend(r.started.iter().map(|(t, id)| record(Some(t), "started", None, Some(id.to_string()))));
            records.extend(r.duplicates.iter().map(|t| record(Some(t), "duplicate", Some(repeat.into()), None)));
            records.extend(r.skipped.iter().map(|(t, why)| record(Some(t), "skipped", Some(why.clone()), None)));
            records.extend(
                r.bad_signature.iter().map(|(t, why)| record(Some(t), "bad_signature", Some(why.clone()), None)),
            );
            records.extend(r.failed.iter().map(|(t, e)| record(Some(t), "failed", Some(e.to_string()), None)));
        }
        if records.is_empty() {
            records.push(record(None, nothing.0, nothing.1, None));
        }
        // The inspector is a debugging aid: failing to write it never fails a delivery.
        if let Err(e) = inspector.log.record(&records, inspector.keep).await {
            tracing::warn!(error = %e, "could not record a webhook delivery for the inspector");
        }
    }
}

/// Why no trigger matched, trigger by trigger (for the inspector, which only admins read).
fn unmatched_reason(not_matched: &[(TriggerRef, String)]) -> String {
    if not_matched.is_empty() {
        return "no webhook trigger is enabled".to_owned();
    }
    let each: Vec<String> = not_matched.iter().map(|(t, why)| format!("{}: {why}", t.name)).collect();
    format!("no enabled webhook trigger matched. {}", each.join("; "))
}

/// 503 when a run could not be stored (the sender retries), else what the delivery did.
fn answer(mut report: DeliveryReport, nothing: &str) -> Result<Reception, Refusal> {
    if !report.failed.is_empty() {
        let (who, e) = report.failed.swap_remove(0);
        tracing::warn!(trigger_id = %who.id, error = %e, "a webhook run could not be started");
        return Err(Refusal::Retry(e));
    }
    Ok(Reception::Delivered(report.summary(nothing)))
}
