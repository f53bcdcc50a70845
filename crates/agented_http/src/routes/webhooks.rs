//! `POST /`: generic webhook deliveries (chat alerts, CI, monitoring), and
//! `POST /api/webhooks/github/`: GitHub events. Public, rate-limited per client
//! and capped at 10 MB. Generic triggers with a secret check a Standard
//! Webhooks signature (`webhook-id`, `webhook-timestamp`, `webhook-signature`)
//! or `X-Webhook-Signature-256`; GitHub deliveries must carry
//! `X-Hub-Signature-256` under `GITHUB_WEBHOOK_SECRET`.

use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::middleware::body_limit::WEBHOOK_LIMIT_BYTES;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};
use agented_auth::signature_matches;
use agented_auth::standard_webhooks::{DeliveryProof, SignedMessage};
use agented_executions::{DeliveryReport, GithubRefusal, TriggerRef};
use agented_triggers::{DeliveryRecord, GithubEvent, kept_body, redact_headers};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::ToSchema;

/// A trigger named in a delivery's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryTrigger {
    /// Its id.
    pub trigger_id: String,
    /// Its name.
    pub trigger_name: String,
    /// The run started (`started` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_id: Option<String>,
    /// Why it did not run (`skipped` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl DeliveryTrigger {
    fn of(t: &TriggerRef) -> Self {
        Self { trigger_id: t.id.to_string(), trigger_name: t.name.clone(), execution_id: None, reason: None }
    }
}

/// What a delivery did. Sent once every started run is durable.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryAnswer {
    /// One line for people.
    pub message: String,
    /// Triggers the delivery was for.
    pub matched: usize,
    /// True when every matching trigger had already run for this payload inside the dedup window.
    pub duplicate: bool,
    /// Runs started (`status` of each: `queued`).
    pub executions: Vec<DeliveryTrigger>,
    /// Triggers that had already run for this payload.
    pub duplicates: Vec<DeliveryTrigger>,
    /// Matching triggers that did not run, with the reason.
    pub skipped: Vec<DeliveryTrigger>,
}

/// Reads the body, refusing more than 10 MB even without a declared length.
async fn read_body(mut payload: web::Payload) -> Result<web::BytesMut, ApiError> {
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::bad_request("invalid_body", format!("could not read the body: {e}")))?;
        if (body.len() + chunk.len()) as u64 > WEBHOOK_LIMIT_BYTES {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("webhook body is over the {WEBHOOK_LIMIT_BYTES}-byte limit"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A generic webhook delivery: a JSON object. `{"type": "url_verification",
/// "challenge": X}` answers `{"challenge": X}`. Every enabled `webhook`
/// trigger it matches runs once; a repeat of the same payload inside
/// `webhooks.dedup_window_seconds` starts nothing and answers `duplicate: true`.
#[utoipa::path(
    post,
    path = "/",
    tag = "webhooks",
    request_body(content = Object, description = "Any JSON object, at most 10 MB"),
    params(
        ("X-Webhook-Signature-256" = Option<String>, Header, description = "`sha256=<hex HMAC-SHA256 of the body>` with the trigger's `webhook_secret` (refused when `webhooks.require_signed_timestamp` is on)"),
        ("webhook-id" = Option<String>, Header, description = "Standard Webhooks: the message id; a repeat within the timestamp tolerance starts nothing"),
        ("webhook-timestamp" = Option<String>, Header, description = "Standard Webhooks: Unix seconds; refused when further from now than `webhooks.timestamp_tolerance_seconds`"),
        ("webhook-signature" = Option<String>, Header, description = "Standard Webhooks: `v1,<base64 HMAC-SHA256 of id.timestamp.body>` (key: the secret, base64-decoded after a `whsec_` prefix)"),
    ),
    responses(
        (status = 200, description = "What the delivery did (or the challenge)", body = DeliveryAnswer),
        (status = 400, description = "Not a JSON object", body = ErrorBody),
        (status = 401, description = "Only triggers whose signature did not match (or whose signed timestamp is stale) were interested", body = ErrorBody),
        (status = 413, description = "Over 10 MB", body = ErrorBody),
        (status = 503, description = "A run could not be stored; send again", body = ErrorBody),
    )
)]
#[post("/")]
pub async fn generic_webhook(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body = read_body(payload).await?;
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not JSON: {e}")))?;
    let serde_json::Value::Object(object) = &value else {
        return Err(ApiError::bad_request("invalid_payload", "the body must be a JSON object"));
    };
    if object.get("type").and_then(|t| t.as_str()) == Some("url_verification") {
        let challenge = object.get("challenge").cloned().unwrap_or(serde_json::Value::Null);
        return Ok(HttpResponse::Ok().json(serde_json::json!({ "challenge": challenge })));
    }
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let message = match (header("webhook-id"), header("webhook-timestamp"), header("webhook-signature")) {
        (Some(id), Some(timestamp), Some(signatures)) => Some(SignedMessage { id, timestamp, signatures }),
        _ => None,
    };
    let proof = DeliveryProof {
        legacy: header("x-webhook-signature-256"),
        message,
        body: &body,
        now: state.clock.now(),
        policy: state.timestamp_policy,
    };
    let report = state
        .webhooks
        .deliver(&value, &|secret: &str| proof.check(secret), proof.message_id())
        .await
        .map_err(|e| ApiError::unavailable(&e))?;
    let arrival = Arrival { req: &req, body: &body, source: "webhook", event: None };
    arrival.log(&state, Some(&report), ("not_matched", Some("no enabled webhook trigger matched".into()))).await;

    let nothing_else = report.started.is_empty()
        && report.duplicates.is_empty()
        && report.skipped.is_empty()
        && report.failed.is_empty();
    if nothing_else && let Some((_, why)) = report.bad_signature.first() {
        return Err(ApiError::unauthorized(format!(
            "the delivery is not signed with the secret of the triggers this endpoint serves: {why}"
        )));
    }
    answer(&report, "no trigger matched")
}

/// The answer for a delivery's report; 503 when a run could not be stored (send again).
fn answer(report: &DeliveryReport, nothing: &str) -> Result<HttpResponse, ApiError> {
    if let Some((who, e)) = report.failed.first() {
        tracing::warn!(trigger_id = %who.id, error = %e, "a webhook run could not be started");
        return Err(ApiError::unavailable(e).with_retry_after(5));
    }
    let matched = report.started.len() + report.duplicates.len() + report.skipped.len();
    let duplicate = matched > 0 && report.duplicates.len() == matched;
    let message = match (report.started.len(), matched) {
        (_, 0) => nothing.to_owned(),
        (0, _) if duplicate => "duplicate delivery: its runs already started".to_owned(),
        (0, _) => "no run started".to_owned(),
        (1, _) => "1 run started".to_owned(),
        (n, _) => format!("{n} runs started"),
    };
    Ok(HttpResponse::Ok().json(DeliveryAnswer {
        message,
        matched,
        duplicate,
        executions: report
            .started
            .iter()
            .map(|(t, id)| DeliveryTrigger { execution_id: Some(id.to_string()), ..DeliveryTrigger::of(t) })
            .collect(),
        duplicates: report.duplicates.iter().map(DeliveryTrigger::of).collect(),
        skipped: report
            .skipped
            .iter()
            .map(|(t, why)| DeliveryTrigger { reason: Some(why.clone()), ..DeliveryTrigger::of(t) })
            .collect(),
    }))
}

/// A GitHub event. `ping` answers `{"message": "pong"}`; an event no enabled
/// `github` trigger wants (by its `github_repos` and `github_events`) answers
/// 200 `ignored`; otherwise each wanting trigger runs once per
/// `X-GitHub-Delivery`, with the PR, issue or push placeholders filled.
#[utoipa::path(
    post,
    path = "/api/webhooks/github",
    tag = "webhooks",
    request_body(content = Object, description = "The event payload, at most 10 MB"),
    params(
        ("X-Hub-Signature-256" = String, Header, description = "`sha256=<hex HMAC-SHA256 of the body>` with `GITHUB_WEBHOOK_SECRET`"),
        ("X-GitHub-Event" = String, Header, description = "`ping`, `pull_request`, `issues`, `issue_comment`, `push`, …"),
        ("X-GitHub-Delivery" = Option<String>, Header, description = "The delivery's id: the dedup key"),
    ),
    responses(
        (status = 200, description = "pong, ignored, or what the delivery did", body = DeliveryAnswer),
        (status = 400, description = "Not a JSON object, no X-GitHub-Event, or a wanted event without the fields a prompt needs", body = ErrorBody),
        (status = 401, description = "No GITHUB_WEBHOOK_SECRET configured, or a missing or wrong signature", body = ErrorBody),
        (status = 413, description = "Over 10 MB", body = ErrorBody),
        (status = 503, description = "A run could not be stored; redeliver", body = ErrorBody),
    )
)]
#[post("/api/webhooks/github")]
pub async fn github_webhook(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let Some(secret) = state.github_webhook_secret.as_deref() else {
        return Err(ApiError::unauthorized("GitHub deliveries are refused: GITHUB_WEBHOOK_SECRET is not configured"));
    };
    let body = read_body(payload).await?;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let arrival =
        Arrival { req: &req, body: &body, source: "github", event: header("x-github-event").map(str::to_owned) };
    if !signature_matches(secret.as_bytes(), &body, header("x-hub-signature-256")) {
        let refused = ("bad_signature", Some("X-Hub-Signature-256 missing or wrong".to_owned()));
        arrival.log(&state, None, refused).await;
        return Err(ApiError::unauthorized("X-Hub-Signature-256 is missing or does not match GITHUB_WEBHOOK_SECRET"));
    }
    let event = header("x-github-event")
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| ApiError::bad_request("missing_event", "the X-GitHub-Event header is missing"))?;
    let value: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request("invalid_json", format!("the body is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::bad_request("invalid_payload", "the body must be a JSON object"));
    }
    if event == "ping" {
        return Ok(HttpResponse::Ok().json(serde_json::json!({ "message": "pong" })));
    }
    let event = GithubEvent::parse(event, &value);
    // Without a delivery id (not GitHub's way), the body itself identifies the delivery.
    let delivery = header("x-github-delivery")
        .map_or_else(|| agented_triggers::payload_key(&value), |d| format!("github:{}", d.trim()));
    let arrival = Arrival { event: Some(event.name()), ..arrival };
    let signed_body = agented_auth::body_digest(&body);
    let report = match state.webhooks.deliver_github(&event, &delivery, &signed_body).await {
        Ok(report) => report,
        Err(GithubRefusal::Missing { trigger, fields }) => {
            let why = format!("trigger '{trigger}' needs {} which this event does not have", fields.join(", "));
            arrival.log(&state, None, ("refused", Some(why.clone()))).await;
            return Err(ApiError::bad_request("missing_fields", why));
        }
        Err(GithubRefusal::Store(e)) => return Err(ApiError::unavailable(&e)),
    };
    let ignored = format!("ignored: no trigger wants {} events", event.name());
    arrival.log(&state, Some(&report), ("ignored", Some(ignored.clone()))).await;
    answer(&report, &ignored)
}

/// What the inspector keeps of one delivery, before the per-trigger decisions.
struct Arrival<'a> {
    req: &'a HttpRequest,
    body: &'a [u8],
    source: &'static str,
    event: Option<String>,
}

impl Arrival<'_> {
    fn record(
        &self,
        state: &AppState,
        trigger: Option<&TriggerRef>,
        decision: &str,
        reason: Option<String>,
        execution: Option<String>,
    ) -> DeliveryRecord {
        DeliveryRecord {
            id: 0,
            received_at: state.clock.now(),
            source: self.source.to_owned(),
            event: self.event.clone(),
            trigger_id: trigger.map(|t| t.id.clone()),
            decision: decision.to_owned(),
            reason,
            execution_id: execution,
            headers: redact_headers(
                self.req.headers().iter().filter_map(|(n, v)| v.to_str().ok().map(|v| (n.as_str(), v))),
            ),
            body: kept_body(self.body),
            body_bytes: i64::try_from(self.body.len()).unwrap_or(i64::MAX),
        }
    }

    /// One record per trigger the delivery concerned, or one unmatched record (`nothing`).
    async fn log(&self, state: &AppState, report: Option<&DeliveryReport>, nothing: (&str, Option<String>)) {
        let mut records = Vec::new();
        if let Some(r) = report {
            for (t, id) in &r.started {
                records.push(self.record(state, Some(t), "started", None, Some(id.to_string())));
            }
            for t in &r.duplicates {
                records.push(self.record(
                    state,
                    Some(t),
                    "duplicate",
                    Some("already ran for this delivery (a repeat within its dedup or replay window)".into()),
                    None,
                ));
            }
            for (t, why) in &r.skipped {
                records.push(self.record(state, Some(t), "skipped", Some(why.clone()), None));
            }
            for (t, why) in &r.bad_signature {
                records.push(self.record(state, Some(t), "bad_signature", Some(why.clone()), None));
            }
            for (t, e) in &r.failed {
                records.push(self.record(state, Some(t), "failed", Some(e.to_string()), None));
            }
        }
        if records.is_empty() {
            records.push(self.record(state, None, nothing.0, nothing.1, None));
        }
        // The inspector is a debugging aid: failing to write it never fails a delivery.
        if let Err(e) = state.deliveries.record(&records, state.keep_deliveries).await {
            tracing::warn!(error = %e, "could not record a webhook delivery for the inspector");
        }
    }
}
